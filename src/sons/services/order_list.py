"""A page of purchase orders for a screen or an export: filtered, counted and paginated in SQL.

    page = order_page(engine, vendor_id, OrderFilters(dispositif="RAD-RIS-Va1"), page=2)

Tenant-scoped: `vendor_id` is the caller's vendor; `None` is the operator's view of every
vendor's orders (the entry point decides from the caller, never from user input). Two queries
per page (count, rows) whatever the store holds: the list stays fast with 100,000 orders
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
from sons.store.order_list import OrderListRow, OrderQuery, count_orders, order_rows

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

    items: list[OrderSummary]
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


class _RememberedCounts:
    """The counts of recent lists, per database, valid while the journal's tail is unchanged.

    Paging through a list, or coming back to it, asks the same count again: counting up to
    COUNT_CAP reads as many index entries each time. Every state change adds a journal entry,
    so a count is kept with the journal's last entry (id and hash: distinct for two databases)
    and asked again only once the journal has moved on. An empty journal keeps nothing (its
    data may have been loaded around it)."""

    SIZE = 512

    def __init__(self) -> None:
        self._by_engine: weakref.WeakKeyDictionary[Engine, OrderedDict[Hashable, int]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def count(self, engine: Engine, session: Session, query: OrderQuery, at_most: int) -> int:
        tail = journal_tail(session)
        if tail is None:
            return count_orders(session, query, at_most=at_most)
        key = (query, at_most, tail)
        with self._lock:
            counts = self._by_engine.setdefault(engine, OrderedDict())
            known = counts.get(key)
            if known is not None:
                counts.move_to_end(key)
                return known
        counted = count_orders(session, query, at_most=at_most)
        with self._lock:
            counts[key] = counted
            while len(counts) > self.SIZE:
                counts.popitem(last=False)
        return counted


_COUNTS = _RememberedCounts()


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
    # A glance: the count and the page are two statements, each may see its own snapshot.
    with glancing(engine) as uow:
        counted = _COUNTS.count(engine, uow.session, query, COUNT_CAP)
        exact = counted <= COUNT_CAP
        rows = (
            order_rows(uow.session, query, limit=per_page, offset=offset, matching=counted)
            if not exact or counted > offset
            else []
        )
    total = counted if exact else COUNT_CAP
    return OrderPage([_summary(row) for row in rows], total, page, per_page, exact)
