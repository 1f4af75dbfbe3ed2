"""Optimistic locking on orders: a second concurrent edit is refused clearly, nothing is lost."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sons.domain.orders import PurchaseOrder, SiteScenario
from sons.store.errors import ConcurrentEditError
from sons.store.orders import StoredOrder
from sons.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from conftest import Seeded, TickingClock

OrderFactory = Callable[..., PurchaseOrder]


def _store(engine: Engine, clock: TickingClock, vendor_id: int, order: PurchaseOrder) -> None:
    with UnitOfWork(engine, "alice", clock) as uow:
        uow.orders.add(vendor_id, order)


def _read(engine: Engine, clock: TickingClock, vendor_id: int, number: str) -> StoredOrder:
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        return uow.orders.require(vendor_id, number)


def _actions(engine: Engine, clock: TickingClock, vendor_id: int, number: str) -> list[str]:
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        history = uow.journal.history("purchase_order", number, vendor_id=vendor_id)
    return [f"{entry.action}:{entry.actor}" for entry in history]


def test_the_second_of_two_edits_gets_a_clear_conflict(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    _store(engine, clock, seeded.vendor_id, make_order("BC-7"))
    alice_copy = _read(engine, clock, seeded.vendor_id, "BC-7")
    bob_copy = _read(engine, clock, seeded.vendor_id, "BC-7")

    with UnitOfWork(engine, "alice", clock) as uow:
        saved = uow.orders.update(
            seeded.vendor_id,
            dataclasses.replace(alice_copy.order, signatory="Alice"),
            expected_version=alice_copy.version,
        )
    assert saved.version == alice_copy.version + 1

    with pytest.raises(ConcurrentEditError) as conflict, UnitOfWork(engine, "bob", clock) as uow:
        uow.orders.update(
            seeded.vendor_id,
            dataclasses.replace(bob_copy.order, signatory="Bob"),
            expected_version=bob_copy.version,
        )
    assert str(conflict.value) == (
        "Le bon de commande BC-7 a été modifié par ailleurs (version 1 attendue, 2 trouvée) ; "
        "rechargez-le et recommencez."
    )
    # Nothing lost: Alice's edit stands, Bob's left no trace; reloaded, Bob can save.
    current = _read(engine, clock, seeded.vendor_id, "BC-7")
    assert (current.order.signatory, current.version) == ("Alice", 2)
    assert _actions(engine, clock, seeded.vendor_id, "BC-7") == ["create:alice", "update:alice"]
    with UnitOfWork(engine, "bob", clock) as uow:
        again = uow.orders.update(
            seeded.vendor_id,
            dataclasses.replace(current.order, signatory="Bob"),
            expected_version=current.version,
        )
    assert again.version == 3


def test_simultaneous_edits_one_wins_one_is_refused(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    _store(engine, clock, seeded.vendor_id, make_order("BC-8"))
    loaded = _read(engine, clock, seeded.vendor_id, "BC-8")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def edit(actor: str) -> None:
        barrier.wait()
        try:
            with UnitOfWork(engine, actor, clock) as uow:
                uow.orders.update(
                    seeded.vendor_id,
                    dataclasses.replace(loaded.order, signatory=actor),
                    expected_version=loaded.version,
                )
            outcomes[actor] = "saved"
        except ConcurrentEditError:
            outcomes[actor] = "conflict"

    threads = [threading.Thread(target=edit, args=(actor,)) for actor in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(actor for actor, outcome in outcomes.items() if outcome == "saved")
    current = _read(engine, clock, seeded.vendor_id, "BC-8")
    assert (current.order.signatory, current.version) == (winner, 2)


def test_delete_and_rebase_are_guarded_too(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    _store(engine, clock, seeded.vendor_id, make_order("BC-9"))
    with UnitOfWork(engine, "carol", clock) as uow:
        rebased = uow.orders.rebase(
            seeded.vendor_id, "BC-9", "1.1.0+0123456789ab", expected_version=1
        )
    assert (rebased.order.referential_pin, rebased.version) == ("1.1.0+0123456789ab", 2)
    with pytest.raises(ConcurrentEditError), UnitOfWork(engine, "dave", clock) as uow:
        uow.orders.delete(seeded.vendor_id, "BC-9", expected_version=1)
    with UnitOfWork(engine, "dave", clock) as uow:
        uow.orders.delete(seeded.vendor_id, "BC-9", expected_version=2)
    with engine.connect() as connection:
        for table in ("purchase_orders", "order_sites", "order_lines"):
            assert connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0
    deleted = "aucune trouvée : il a été supprimé"
    with pytest.raises(ConcurrentEditError, match=deleted), UnitOfWork(engine, "x", clock) as uow:
        uow.orders.set_status(seeded.vendor_id, "BC-9", "signed", expected_version=2)
    assert _actions(engine, clock, seeded.vendor_id, "BC-9") == [
        "create:alice",
        "rebase:carol",
        "delete:dave",
    ]


def test_saving_what_is_stored_spends_no_version(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    _store(engine, clock, seeded.vendor_id, make_order("BC-10"))
    loaded = _read(engine, clock, seeded.vendor_id, "BC-10")
    with UnitOfWork(engine, "alice", clock) as uow:
        assert uow.orders.update(seeded.vendor_id, loaded.order, expected_version=1) == loaded
        assert (
            uow.orders.rebase(
                seeded.vendor_id, "BC-10", loaded.order.referential_pin, expected_version=1
            )
            == loaded
        )
        status = uow.orders.set_status(seeded.vendor_id, "BC-10", "signed", expected_version=1)
    assert (status.status, status.version) == ("signed", 2)
    assert _actions(engine, clock, seeded.vendor_id, "BC-10") == ["create:alice", "update:alice"]


def test_an_edit_keeps_the_rows_of_the_sites_it_keeps(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    _store(engine, clock, seeded.vendor_id, make_order("BC-11"))

    def site_ids() -> dict[str | None, int]:
        with engine.connect() as connection:
            rows = connection.execute(sa.text("SELECT finess_et, id FROM order_sites"))
            return {finess: site_id for finess, site_id in rows}

    before = site_ids()
    loaded = _read(engine, clock, seeded.vendor_id, "BC-11")
    first, second = loaded.order.sites
    edited = dataclasses.replace(
        loaded.order,
        sites=(
            SiteScenario("690000880", {"Q1": True}),
            second,
            dataclasses.replace(first, answers={"Q1": False}),
        ),
        lines=loaded.order.lines[:1],
    )
    with UnitOfWork(engine, "alice", clock) as uow:
        uow.orders.update(seeded.vendor_id, edited, expected_version=1)
    after = site_ids()
    assert after["750712184"] == before["750712184"]
    assert after["010780054"] == before["010780054"]
    assert _read(engine, clock, seeded.vendor_id, "BC-11").order == edited
