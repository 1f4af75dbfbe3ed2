"""A page of purchase orders for a screen or an export: filtered, counted and paginated in SQL.

    page = order_page(engine, vendor_id, OrderFilters(dispositif="RAD-RIS-Va1"), page=2)

Tenant-scoped: `vendor_id` is the caller's vendor; `None` is the operator's view of every
vendor's orders (the entry point decides from the caller, never from user input). Two queries
per page (count, rows) whatever the store holds, and none of them for a list read again while
nothing changed (`_Remembered`): the list stays fast with 100,000 orders
(benchmarks/bench_web_latency.py).

Findings are not listed: they are computed by checking an order against the referential, which
is not stored; the order's own page shows them.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sons.services.accounts import Caller, Forbidden
from sons.services.actors import glancing
from sons.store.journal import journal_tail
from sons.store.order_list import (
    OrderKey,
    OrderListRow,
    OrderQuery,
    count_orders,
    order_bookmarks,
    order_rows,
)

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Beyond this many matching orders, a list says « more than » instead of counting them all:
# counting 100,000 orders at each page costs more than the page itself.
COUNT_CAP = 10_000

# How an order's stored status reads; a status not listed reads as stored.
ORDER_STATUS_LABELS = {"draft": "Brouillon"}

CLIENT_KIND_LABELS = {
    "legal_entity": "Entité juridique (FINESS)",
    "professional": "Professionnel (RPPS)",
}


def order_status_label(status: str) -> str:
    return ORDER_STATUS_LABELS.get(status, status)


@dataclass(frozen=True)
class OrderFilters:
    """What a user narrows the list to; empty values leave a criterion open."""

    dispositif: str | None = None
    status: str | None = None
    # A FINESS or RPPS prefix, or a piece of the client's name (accents and case as typed for
    # identifiers; names compared case-insensitively).
    client: str | None = None
    number: str | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None

    def is_empty(self) -> bool:
        return not any(
            (
                self.dispositif,
                self.status,
                self.client,
                self.number,
                self.signed_from,
                self.signed_to,
            )
        )


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One line of the order list."""

    number: str
    vendor_id: int
    vendor_name: str
    client_kind: str
    client_id: str
    # From the directory; None when the client is not in the imported directory.
    client_name: str | None
    dispositif: str
    status: str
    status_label: str
    prestation_ht_cents: int
    prestation_ttc_cents: int
    signed_on: dt.date

    @property
    def client_kind_label(self) -> str:
        return CLIENT_KIND_LABELS.get(self.client_kind, self.client_kind)


@dataclass(frozen=True)
class OrderPage:
    """One page of orders. `total` is exact when `total_is_exact`; otherwise more than
    COUNT_CAP orders match and `total` is COUNT_CAP (« plus de 10 000 »)."""

    # A tuple: a page may be handed to several requests (see `_Remembered`).
    items: tuple[OrderSummary, ...]
    total: int
    page: int
    per_page: int
    total_is_exact: bool = True

    @property
    def pages(self) -> int | None:
        """How many pages the matching orders fill (at least one); None when not counted."""
        if not self.total_is_exact:
            return None
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        """The 1-based position of the page's first order (0 when the page is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        pages = self.pages
        if pages is None:
            # Not counted to the end: a full page may have a next one.
            return len(self.items) == self.per_page
        return self.page < pages


def _summary(row: OrderListRow) -> OrderSummary:
    return OrderSummary(
        number=row.number,
        vendor_id=row.vendor_id,
        vendor_name=row.vendor_name,
        client_kind=row.client_kind,
        client_id=row.client_id,
        client_name=row.client_name,
        dispositif=row.dispositif,
        status=row.status,
        status_label=order_status_label(row.status),
        prestation_ht_cents=row.prestation_ht_cents,
        prestation_ttc_cents=row.prestation_ttc_cents,
        signed_on=row.signed_on,
    )


class OrderFilterError(ValueError):
    """A filter that cannot be read (a date); `str()` is French and names the field."""


# The names filters take in a query string (web page, API), and how each reads in a message.
FILTER_FIELDS = {
    "dispositif": "dispositif",
    "statut": "statut",
    "client": "client",
    "numero": "numéro",
    "signe_du": "signé du",
    "signe_au": "signé au",
}


def _date(params: Mapping[str, str], name: str) -> dt.date | None:
    text = (params.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise OrderFilterError(
            f"Filtre « {FILTER_FIELDS[name]} » ({name}) : « {text} » n'est pas une date au "
            "format AAAA-MM-JJ."
        ) from None


def filters_from_params(params: Mapping[str, str]) -> OrderFilters:
    """The filters of a query string (`dispositif`, `statut`, `client`, `numero`, `signe_du`,
    `signe_au`); `OrderFilterError` when a date cannot be read or the dates are reversed."""
    filters = OrderFilters(
        dispositif=_text(params.get("dispositif")),
        status=_text(params.get("statut")),
        client=_text(params.get("client")),
        number=_text(params.get("numero")),
        signed_from=_date(params, "signe_du"),
        signed_to=_date(params, "signe_au"),
    )
    if filters.signed_from and filters.signed_to and filters.signed_from > filters.signed_to:
        raise OrderFilterError(
            f"Filtres « signé du » et « signé au » : le {filters.signed_from:%d/%m/%Y} est "
            f"postérieur au {filters.signed_to:%d/%m/%Y} ; aucune période ne correspond."
        )
    return filters


def filters_as_params(filters: OrderFilters) -> dict[str, str]:
    """The query string of `filters` (for links that keep them: pagination, exports)."""
    values = {
        "dispositif": filters.dispositif,
        "statut": filters.status,
        "client": filters.client,
        "numero": filters.number,
        "signe_du": filters.signed_from.isoformat() if filters.signed_from else None,
        "signe_au": filters.signed_to.isoformat() if filters.signed_to else None,
    }
    return {name: value for name, value in values.items() if value}


def _text(value: str | None) -> str | None:
    stripped = (value or "").strip()
    return stripped or None


def vendor_scope(caller: Caller) -> int | None:
    """Whose orders `caller` sees: its vendor's, or every vendor's (None) for the operator."""
    if caller.is_operator:
        return None
    if caller.vendor_id is None:
        raise Forbidden(
            "Ce compte n'est rattaché à aucun éditeur : il ne voit aucun bon de commande."
        )
    return caller.vendor_id


class _Remembered:
    """What recent lists read, per database, valid while the journal's tail is unchanged.

    Every state change adds a journal entry, in the transaction that makes it, and writers
    append one at a time (`store.journal.lock_for_append`): while the journal's last entry (id
    and hash, distinct for two databases) is the same, so are the orders, their clients' names
    and their vendors'. A list read again — its count, its bookmarks, one of its pages — is then
    taken from here instead of the database; any change makes the next reading ask anew. An
    empty journal keeps nothing (its data may have been loaded around it). The newest SIZE
    readings are kept, per process."""

    SIZE = 512

    def __init__(self) -> None:
        self._by_engine: weakref.WeakKeyDictionary[Engine, OrderedDict[Hashable, object]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def recall(self, engine: Engine, key: Hashable) -> object | None:
        with self._lock:
            kept = self._by_engine.setdefault(engine, OrderedDict())
            found = kept.get(key)
            if found is not None:
                kept.move_to_end(key)
            return found

    def keep(self, engine: Engine, key: Hashable, value: object) -> None:
        with self._lock:
            kept = self._by_engine.setdefault(engine, OrderedDict())
            kept[key] = value
            kept.move_to_end(key)
            while len(kept) > self.SIZE:
                kept.popitem(last=False)


_REMEMBERED = _Remembered()
Tail = tuple[int, str] | None


def _count(engine: Engine, session: Session, query: OrderQuery, tail: Tail) -> int:
    """How many orders match, counted up to COUNT_CAP + 1."""
    key = ("count", query, tail)
    known = _REMEMBERED.recall(engine, key) if tail is not None else None
    if isinstance(known, int):
        return known
    counted = count_orders(session, query, at_most=COUNT_CAP)
    if tail is not None:
        _REMEMBERED.keep(engine, key, counted)
    return counted


# A deep page seeks the last bookmark before it: one every this many orders (see
# `order_bookmarks`); a page skips fewer orders than that.
BOOKMARK_EVERY = 1_000


@dataclass(frozen=True, slots=True)
class _Bookmarks:
    keys: tuple[OrderKey, ...]
    # Whether the list ends before the next bookmark would be.
    complete: bool


def _start(
    engine: Engine, session: Session, query: OrderQuery, offset: int, tail: Tail
) -> tuple[OrderKey | None, int]:
    """Where a page at `offset` starts reading: after a bookmark, and how many orders further.
    The bookmarks are read up to the page the first time (a walk as long as the page's own
    would be), extended as deeper pages are asked, and kept while the list is unchanged."""
    wanted = offset // BOOKMARK_EVERY
    if tail is None or wanted == 0:
        return None, offset
    key = ("bookmarks", query, tail)
    known = _REMEMBERED.recall(engine, key)
    marks = known if isinstance(known, _Bookmarks) else _Bookmarks((), complete=False)
    if len(marks.keys) < wanted and not marks.complete:
        missing = wanted - len(marks.keys)
        more = order_bookmarks(
            session,
            query,
            every=BOOKMARK_EVERY,
            count=missing,
            after=marks.keys[-1] if marks.keys else None,
        )
        marks = _Bookmarks((*marks.keys, *more), complete=len(more) < missing)
        _REMEMBERED.keep(engine, key, marks)
    used = min(wanted, len(marks.keys))
    if used == 0:
        return None, offset
    return marks.keys[used - 1], offset - used * BOOKMARK_EVERY


def order_page(
    engine: Engine,
    vendor_id: int | None,
    filters: OrderFilters,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> OrderPage:
    """The orders matching `filters` on page `page` (1-based), ordered by vendor and number.

    `page` and `per_page` are brought within bounds (1…, 1…MAX_PER_PAGE) rather than refused:
    a page past the end is empty, with the total saying how many orders match (counted up to
    COUNT_CAP: see `OrderPage`).
    """
    page = max(1, page)
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    query = OrderQuery(
        vendor_id=vendor_id,
        dispositif=_text(filters.dispositif),
        status=_text(filters.status),
        client=_text(filters.client),
        number_prefix=_text(filters.number),
        signed_from=filters.signed_from,
        signed_to=filters.signed_to,
    )
    offset = (page - 1) * per_page
    # A glance: the statements each see their own snapshot, and each snapshot has the journal
    # tail read first or a later one, so that what is remembered is never older than its key.
    with glancing(engine) as uow:
        tail = journal_tail(uow.session)
        key = ("page", query, offset, per_page, tail)
        known = _REMEMBERED.recall(engine, key) if tail is not None else None
        if isinstance(known, OrderPage):
            return known
        counted = _count(engine, uow.session, query, tail)
        exact = counted <= COUNT_CAP
        rows: list[OrderListRow] = []
        if not exact or counted > offset:
            after, skipped = _start(engine, uow.session, query, offset, tail)
            rows = order_rows(
                uow.session,
                query,
                limit=per_page,
                offset=skipped,
                matching=counted,
                after=after,
            )
    total = counted if exact else COUNT_CAP
    found = OrderPage(tuple(_summary(row) for row in rows), total, page, per_page, exact)
    if tail is not None:
        _REMEMBERED.keep(engine, key, found)
    return found
