"""The order list: filters, count and pages in SQL, scoped to the tenant (both backends)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine

from integration.conftest import OTHER_VENDOR, Seeded, TickingClock
from sons.domain.orders import ClientKind, LegalEntity, LegalStatus, Professional, PurchaseOrder
from sons.services import order_list
from sons.services.order_list import MAX_PER_PAGE, OrderFilters, order_page
from sons.store import order_list as store_order_list
from sons.store.unit_of_work import UnitOfWork


@pytest.fixture
def stored(
    engine: Engine, seeded: Seeded, clock: TickingClock, make_order: Callable[..., PurchaseOrder]
) -> Seeded:
    """Seven orders of the vendor (two clients in the directory, one RPPS), one of the other."""
    orders = [
        make_order(f"BC-2024-{n:03d}", signed_on=dt.date(2024, n, 10), client_id=client)
        for n, client in ((1, "750712184"), (2, "750712184"), (3, "130786049"), (4, "130786049"))
    ]
    orders += [
        make_order(f"AV-{n}", dispositif="DMP-Va1", signed_on=dt.date(2023, 6, n)) for n in (1, 2)
    ]
    orders.append(
        make_order("RPPS-1", client_kind=ClientKind.PROFESSIONAL, client_id="10003456789")
    )
    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.directory.upsert_legal_entities(
            [
                LegalEntity("750712184", "CENTRE HOSPITALIER DE SAINT-DENIS", LegalStatus.PUBLIC),
                LegalEntity("130786049", "Clinique 100% Soins_Plus", LegalStatus.PRIVATE),
            ]
        )
        uow.directory.upsert_professionals([Professional("10003456789", "Dr Jeanne Durand")])
        uow.orders.add_many(seeded.vendor_id, orders)
        other = make_order("BC-2024-001", vendor_siret=OTHER_VENDOR.siret)
        uow.orders.add(seeded.other_vendor_id, other)
        uow.orders.set_status(seeded.vendor_id, "AV-2", "validated", expected_version=1)
    return seeded


def _calls(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> list[tuple[tuple[object, ...], dict[str, object]]]:
    """The calls the order list makes to `name` (a function of the store it imported), which
    still does its work: what was read, and how often."""
    calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
    real = getattr(order_list, name)

    def recording(*args: object, **kwargs: object) -> object:
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(order_list, name, recording)
    return calls


def numbers(engine: Engine, vendor_id: int | None, **filters: object) -> list[str]:
    page = order_page(engine, vendor_id, OrderFilters(**filters), per_page=MAX_PER_PAGE)  # type: ignore[arg-type]
    assert page.total == len(page.items)
    return [item.number for item in page.items]


def test_vendor_sees_its_orders_with_client_names_and_labels(
    engine: Engine, stored: Seeded
) -> None:
    page = order_page(engine, stored.vendor_id, OrderFilters())

    assert page.total == 7
    assert [i.number for i in page.items] == sorted(i.number for i in page.items)
    by_number = {item.number: item for item in page.items}
    first = by_number["BC-2024-001"]
    assert first.client_name == "CENTRE HOSPITALIER DE SAINT-DENIS"
    assert first.vendor_name == stored.vendor.name
    assert (first.status, first.status_label) == ("draft", "Brouillon")
    assert (first.prestation_ht_cents, first.prestation_ttc_cents) == (1_234_550, 1_481_460)
    assert by_number["RPPS-1"].client_name == "Dr Jeanne Durand"
    assert by_number["RPPS-1"].client_kind_label == "Professionnel (RPPS)"
    # A status the labels do not know reads as stored, never as an invented wording.
    assert by_number["AV-2"].status_label == "validated"


def test_operator_view_spans_vendors_and_vendor_view_does_not(
    engine: Engine, stored: Seeded
) -> None:
    everyone = order_page(engine, None, OrderFilters(number="BC-2024-001"))
    assert sorted(i.vendor_id for i in everyone.items) == sorted(
        [stored.vendor_id, stored.other_vendor_id]
    )
    assert numbers(engine, stored.other_vendor_id) == ["BC-2024-001"]
    assert numbers(engine, 10_000) == []


def test_filters_combine_in_sql(engine: Engine, stored: Seeded) -> None:
    vendor = stored.vendor_id
    assert numbers(engine, vendor, dispositif="DMP-Va1") == ["AV-1", "AV-2"]
    assert numbers(engine, vendor, status="validated") == ["AV-2"]
    assert numbers(engine, vendor, dispositif="DMP-Va1", status="draft") == ["AV-1"]
    assert numbers(engine, vendor, number="BC-2024-00") == [f"BC-2024-00{n}" for n in range(1, 5)]
    assert numbers(engine, vendor, client="1307") == ["BC-2024-003", "BC-2024-004"]
    # Identifier prefixes, the last digit carried or not (SQLite searches them as a range).
    assert numbers(engine, vendor, client="75071218") == [
        "AV-1",
        "AV-2",
        "BC-2024-001",
        "BC-2024-002",
    ]
    assert numbers(engine, vendor, client="130786049") == ["BC-2024-003", "BC-2024-004"]
    assert numbers(engine, vendor, client="1000345") == ["RPPS-1"]
    assert numbers(engine, vendor, client="999") == []
    # Number prefixes are compared as typed, case included, on both databases.
    assert numbers(engine, vendor, number="bc-") == []
    # Names: case-insensitive piece; LIKE wildcards typed by the user are plain characters.
    assert numbers(engine, vendor, client="saint-denis") == [
        "AV-1",
        "AV-2",
        "BC-2024-001",
        "BC-2024-002",
    ]
    assert numbers(engine, vendor, client="100%") == ["BC-2024-003", "BC-2024-004"]
    assert numbers(engine, vendor, client="soins_plus") == ["BC-2024-003", "BC-2024-004"]
    assert numbers(engine, vendor, client="100_") == []
    assert numbers(engine, vendor, number="%") == []
    assert numbers(engine, vendor, client="durand") == ["RPPS-1"]
    assert numbers(
        engine, vendor, signed_from=dt.date(2024, 2, 1), signed_to=dt.date(2024, 3, 10)
    ) == ["BC-2024-002", "BC-2024-003"]
    # Blank text filters are no filter at all.
    assert len(numbers(engine, vendor, client="  ", number="")) == 7


def test_pages_cut_the_list_and_bounds_are_kept(engine: Engine, stored: Seeded) -> None:
    vendor = stored.vendor_id
    pages = [order_page(engine, vendor, OrderFilters(), page=n, per_page=3) for n in (1, 2, 3)]
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert {p.total for p in pages} == {7} and {p.pages for p in pages} == {3}
    listed = [i.number for p in pages for i in p.items]
    assert listed == numbers(engine, vendor)
    assert (pages[1].first_index, pages[1].last_index) == (4, 6)
    assert (pages[0].has_previous, pages[0].has_next, pages[2].has_next) == (False, True, False)

    past_the_end = order_page(engine, vendor, OrderFilters(), page=9, per_page=3)
    assert (past_the_end.items, past_the_end.total, past_the_end.first_index) == ((), 7, 0)
    clamped = order_page(engine, vendor, OrderFilters(), page=-4, per_page=100_000)
    assert (clamped.page, clamped.per_page, len(clamped.items)) == (1, MAX_PER_PAGE, 7)


def test_filters_are_a_frozen_value() -> None:
    filters = OrderFilters(dispositif="DMP-Va1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        filters.dispositif = "X"  # type: ignore[misc]
    assert OrderFilters().is_empty() and not filters.is_empty()


def test_past_the_count_cap_the_total_is_a_lower_bound(
    engine: Engine, stored: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_list, "COUNT_CAP", 3)
    first = order_page(engine, stored.vendor_id, OrderFilters(), page=1, per_page=2)
    assert (first.total, first.total_is_exact, first.pages) == (3, False, None)
    assert first.has_next and [i.number for i in first.items] == ["AV-1", "AV-2"]
    # Pages go on past the cap; the last one, not full, has no next.
    last = order_page(engine, stored.vendor_id, OrderFilters(), page=4, per_page=2)
    assert [i.number for i in last.items] == ["RPPS-1"] and not last.has_next
    narrowed = order_page(engine, stored.vendor_id, OrderFilters(dispositif="DMP-Va1"))
    assert (narrowed.total, narrowed.total_is_exact, narrowed.pages) == (2, True, 1)


def test_a_number_prefix_stops_at_the_next_prefix(
    engine: Engine, stored: Seeded, clock: TickingClock, make_order: Callable[..., PurchaseOrder]
) -> None:
    """A prefix is a range on the vendor's numbers (SQLite): it ends where the prefix does,
    digits or not, and a character past the ASCII range still bounds it."""
    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.orders.add_many(
            stored.vendor_id,
            [make_order(n) for n in ("AW-1", "AV", "AVé-1", "AU-9", "BC-2025-001")],
        )
    vendor = stored.vendor_id
    assert numbers(engine, vendor, number="AV") == ["AV", "AV-1", "AV-2", "AVé-1"]
    assert numbers(engine, vendor, number="AVé") == ["AVé-1"]
    assert numbers(engine, vendor, number="BC-2024") == [f"BC-2024-00{n}" for n in range(1, 5)]
    assert numbers(engine, vendor, number="BC-202") == [
        *(f"BC-2024-00{n}" for n in range(1, 5)),
        "BC-2025-001",
    ]


def test_a_count_is_asked_again_only_once_the_journal_has_moved(
    engine: Engine,
    stored: Seeded,
    clock: TickingClock,
    make_order: Callable[..., PurchaseOrder],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counted = _calls(monkeypatch, "count_orders")
    vendor = stored.vendor_id
    first = [order_page(engine, vendor, OrderFilters(), page=n, per_page=2) for n in (1, 2, 3)]
    assert [p.total for p in first] == [7, 7, 7] and len(counted) == 1  # paging: one count
    assert order_page(engine, vendor, OrderFilters(dispositif="DMP-Va1")).total == 2
    assert len(counted) == 2  # other filters: their own count

    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.orders.add(vendor, make_order("BC-2024-099"))
    assert order_page(engine, vendor, OrderFilters(), per_page=2).total == 8
    assert len(counted) == 3
    # Another tenant's list is counted on its own, never taken from this one.
    assert order_page(engine, stored.other_vendor_id, OrderFilters()).total == 1


@pytest.mark.parametrize(
    "filters",
    [
        {"client": "750712184"},
        {"client": "7507"},
        {"client": "saint-denis"},
        {"client": "soins_plus"},
        {"signed_from": dt.date(2024, 2, 1)},
        {"signed_from": dt.date(2023, 1, 1), "signed_to": dt.date(2024, 3, 31)},
        {"client": "clinique", "signed_to": dt.date(2024, 12, 31), "number": "BC-"},
    ],
)
def test_reading_in_order_finds_what_seeking_finds(
    engine: Engine, stored: Seeded, monkeypatch: pytest.MonkeyPatch, filters: dict[str, object]
) -> None:
    """With many matches SQLite reads the vendor's orders in the list's order instead of
    seeking the matches and sorting them: the same orders, in the same order, page by page."""
    vendor = stored.vendor_id

    def pages() -> list[list[str]]:
        return [
            [
                item.number
                for item in order_page(
                    engine, vendor, OrderFilters(**filters), page=n, per_page=2
                ).items
            ]  # type: ignore[arg-type]
            for n in (1, 2, 3)
        ]

    sought = pages()
    assert any(sought)
    monkeypatch.setattr(store_order_list, "IN_ORDER_FACTOR", 0)  # every page reads in order
    monkeypatch.setattr(order_list, "_REMEMBERED", order_list._Remembered())  # read anew
    assert pages() == sought


def test_a_page_is_read_again_only_once_the_journal_has_moved(
    engine: Engine,
    stored: Seeded,
    clock: TickingClock,
    make_order: Callable[..., PurchaseOrder],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = _calls(monkeypatch, "order_rows")
    vendor = stored.vendor_id
    first = order_page(engine, vendor, OrderFilters(), page=1, per_page=2)
    again = order_page(engine, vendor, OrderFilters(), page=1, per_page=2)
    assert again == first and len(read) == 1
    # Another page, other filters, another tenant: each read on its own.
    assert order_page(engine, vendor, OrderFilters(), page=2, per_page=2) != first
    assert order_page(engine, stored.other_vendor_id, OrderFilters(), per_page=2) != first
    assert len(read) == 3

    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.orders.add(vendor, make_order("AA-0001"))
    moved = order_page(engine, vendor, OrderFilters(), page=1, per_page=2)
    assert [item.number for item in moved.items] == ["AA-0001", "AV-1"] and moved.total == 8
    assert len(read) == 4


def _every_page(engine: Engine, vendor: int | None, filters: OrderFilters) -> list[list[str]]:
    return [
        [f"{i.vendor_id}/{i.number}" for i in order_page(engine, vendor, filters, n, 2).items]
        for n in range(1, 8)
    ]


@pytest.mark.parametrize(
    "filters",
    [
        OrderFilters(),
        OrderFilters(client="saint-denis"),
        OrderFilters(client="7507"),
        OrderFilters(number="BC-"),
        OrderFilters(signed_from=dt.date(2000, 1, 1)),
    ],
    ids=["tout", "nom", "finess", "numero", "dates"],
)
@pytest.mark.parametrize("operator", [False, True], ids=["editeur", "operateur"])
def test_deep_pages_read_after_bookmarks_are_the_pages_offsets_give(
    engine: Engine,
    stored: Seeded,
    clock: TickingClock,
    make_order: Callable[..., PurchaseOrder],
    monkeypatch: pytest.MonkeyPatch,
    filters: OrderFilters,
    operator: bool,
) -> None:
    """A bookmark every 3 orders on lists of 2-order pages: pages 3 and further seek a bookmark,
    then skip fewer orders; they are the pages that skipping from the start gives, for one vendor's
    list and for every vendor's (both vendors' orders, the bookmark's vendor compared too)."""
    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.orders.add_many(
            stored.vendor_id,
            [make_order(f"BC-2030-{n:03d}", client_id="750712184") for n in range(6)],
        )
        uow.orders.add_many(
            stored.other_vendor_id,
            [make_order(f"BC-2030-{n:03d}", vendor_siret=OTHER_VENDOR.siret) for n in range(3)],
        )
    vendor = None if operator else stored.vendor_id
    skipped = _every_page(engine, vendor, filters)
    assert sum(map(len, skipped)) >= 7  # pages 4 and further seek a bookmark

    calls = _calls(monkeypatch, "order_bookmarks")

    def bookmarked() -> list[tuple[str | None, object]]:
        """Each reading of bookmarks: after which order (None: the list's start), how many."""
        return [
            (getattr(kwargs["after"], "number", None), kwargs["count"]) for _args, kwargs in calls
        ]

    monkeypatch.setattr(order_list, "BOOKMARK_EVERY", 3)
    monkeypatch.setattr(order_list, "_REMEMBERED", order_list._Remembered())
    assert _every_page(engine, vendor, filters) == skipped
    # Read as the pages go deeper, each time from the last one read, never from the start
    # again (pages 3 to 7 start after 4, 6, 8, 10 and 12 orders: one bookmark more for 4, 6,
    # 10 and 12).
    assert [count for _after, count in bookmarked()] == [1] * len(calls)
    assert calls and bookmarked()[0][0] is None
    assert all(after is not None for after, _count in bookmarked()[1:])

    # The last page first: its bookmarks at once, then the pages before it use them.
    calls.clear()
    monkeypatch.setattr(order_list, "_REMEMBERED", order_list._Remembered())
    last = max(n for n, page in enumerate(skipped, 1) if page)
    deep = order_page(engine, vendor, filters, last, 2)
    assert [f"{i.vendor_id}/{i.number}" for i in deep.items] == skipped[last - 1]
    assert _every_page(engine, vendor, filters) == skipped
    assert bookmarked() == [(None, (last - 1) * 2 // 3)]
