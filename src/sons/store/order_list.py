"""One page of an order list, filtered, counted and cut in SQL (the web's « Commandes » page).

Two queries per page, whatever the store holds: the count of the matching orders, and the page
itself (one `LIMIT … OFFSET …` query, joined to the vendor and to the client's name in the
directory). Both use the `(vendor_id, number)` unique index for the tenant and the order; the
other filters narrow the rows that index yields. No ORM objects: plain Core rows, cheap to read.

`vendor_id=None` reads every vendor's orders: only the operator's services pass it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from sons.domain.orders import ClientKind
from sons.store.tables import (
    LegalEntityRow,
    ProfessionalRow,
    PurchaseOrderRow,
    VendorRow,
)


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """What the list is narrowed to; None leaves a criterion open."""

    vendor_id: int | None = None
    dispositif: str | None = None
    status: str | None = None
    # A client identifier (FINESS, RPPS) prefix, or a piece of the client's name.
    client: str | None = None
    number_prefix: str | None = None
    signed_from: dt.date | None = None
    signed_to: dt.date | None = None


@dataclass(frozen=True, slots=True)
class OrderListRow:
    id: int
    vendor_id: int
    vendor_name: str
    number: str
    dispositif: str
    client_kind: str
    client_id: str
    client_name: str | None
    status: str
    signed_on: dt.date
    prestation_ht_cents: int
    prestation_ttc_cents: int


def _next_digits(prefix: str) -> str | None:
    """The first digit string after every string starting with `prefix` (digits only), or None
    when there is none ("999"): the upper bound of a prefix range on identifiers."""
    if set(prefix) == {"9"}:
        return None
    return str(int(prefix) + 1).zfill(len(prefix))


def _prefix(
    column: InstrumentedAttribute[str], prefix: str, *, ranged: bool
) -> list[sa.ColumnElement[bool]]:
    """`column` starts with `prefix`. LIKE says it exactly (wildcards typed are plain text);
    with `ranged`, a range on the column says it to the index too (SQLite does not use an index
    for LIKE under its default collation)."""
    conditions = [column.startswith(prefix, autoescape=True)]
    if ranged:
        conditions.append(column >= prefix)
        upper = _next_digits(prefix) if prefix.isdigit() else None
        if upper is not None:
            conditions.append(column < upper)
    return conditions


def _client_conditions(text: str, *, ranged: bool) -> list[sa.ColumnElement[bool]]:
    """Digits: the client's identifier (FINESS, RPPS) starts with them. Anything else: a piece
    of the client's name in the directory, case-insensitive. Either way the orders are found
    through the clients' index, not by reading every order of the vendor."""
    kinds = PurchaseOrderRow.client_kind.in_([kind.value for kind in ClientKind])
    if text.isdigit():
        return [kinds, *_prefix(PurchaseOrderRow.client_id, text, ranged=ranged)]
    wanted = text.casefold()
    # FINESS (9 digits) and RPPS (11 digits) numbers cannot be confused: one list of both.
    named = sa.union_all(
        sa.select(LegalEntityRow.finess_ej).where(
            sa.func.lower(LegalEntityRow.name).contains(wanted, autoescape=True)
        ),
        sa.select(ProfessionalRow.rpps).where(
            sa.func.lower(ProfessionalRow.name).contains(wanted, autoescape=True)
        ),
    )
    return [kinds, PurchaseOrderRow.client_id.in_(named)]


def _conditions(query: OrderQuery, dialect: str) -> list[sa.ColumnElement[bool]]:
    # Ranges only on SQLite: its comparisons are byte-wise there, as prefixes are; PostgreSQL
    # may compare under a linguistic collation, where a range is not a prefix.
    ranged = dialect == "sqlite"
    conditions: list[sa.ColumnElement[bool]] = []
    if query.vendor_id is not None:
        vendor = PurchaseOrderRow.vendor_id == query.vendor_id
        if ranged and query.client:
            # SQLite, searching clients: `+ 0` keeps its planner off the vendor's indexes, so
            # that it goes from the few clients asked for to their orders (the clients' index)
            # instead of reading every order of the vendor. PostgreSQL weighs both by itself.
            vendor = PurchaseOrderRow.vendor_id + 0 == query.vendor_id
        conditions.append(vendor)
    if query.dispositif is not None:
        conditions.append(PurchaseOrderRow.dispositif == query.dispositif)
    if query.status is not None:
        conditions.append(PurchaseOrderRow.status == query.status)
    if query.client:
        conditions.extend(_client_conditions(query.client, ranged=ranged))
    if query.number_prefix:
        conditions.extend(_prefix(PurchaseOrderRow.number, query.number_prefix, ranged=ranged))
    if query.signed_from is not None:
        conditions.append(PurchaseOrderRow.signed_on >= query.signed_from)
    if query.signed_to is not None:
        conditions.append(PurchaseOrderRow.signed_on <= query.signed_to)
    return conditions


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def count_orders(session: Session, query: OrderQuery, *, at_most: int | None = None) -> int:
    """How many orders match; with `at_most`, counting stops past it (returns at_most + 1):
    a list needs to know there are more than it shows, not how many, and counting stops early
    on the vendor's index instead of walking 100,000 entries at every page."""
    matching = sa.select(sa.literal(1)).select_from(PurchaseOrderRow)
    matching = matching.where(*_conditions(query, _dialect(session)))
    if at_most is not None:
        matching = matching.limit(at_most + 1)
    statement = sa.select(sa.func.count()).select_from(matching.subquery())
    return int(session.execute(statement).scalar_one())


def order_rows(
    session: Session, query: OrderQuery, *, limit: int, offset: int
) -> list[OrderListRow]:
    """The orders of one page: by vendor then number (the order of the unique index).

    The page's ids are found first, on the orders alone (an index walk, however deep the page),
    then joined to names: a deep page does not join the rows it skips."""
    page_ids = (
        sa.select(PurchaseOrderRow.id)
        .where(*_conditions(query, _dialect(session)))
        .order_by(PurchaseOrderRow.vendor_id, PurchaseOrderRow.number)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    client_name = sa.func.coalesce(LegalEntityRow.name, ProfessionalRow.name)
    statement = (
        sa.select(
            PurchaseOrderRow.id,
            PurchaseOrderRow.vendor_id,
            VendorRow.name.label("vendor_name"),
            PurchaseOrderRow.number,
            PurchaseOrderRow.dispositif,
            PurchaseOrderRow.client_kind,
            PurchaseOrderRow.client_id,
            client_name.label("client_name"),
            PurchaseOrderRow.status,
            PurchaseOrderRow.signed_on,
            PurchaseOrderRow.prestation_ht_cents,
            PurchaseOrderRow.prestation_ttc_cents,
        )
        .join(page_ids, page_ids.c.id == PurchaseOrderRow.id)
        .join(VendorRow, VendorRow.id == PurchaseOrderRow.vendor_id)
        .outerjoin(
            LegalEntityRow,
            sa.and_(
                PurchaseOrderRow.client_kind == ClientKind.LEGAL_ENTITY.value,
                LegalEntityRow.finess_ej == PurchaseOrderRow.client_id,
            ),
        )
        .outerjoin(
            ProfessionalRow,
            sa.and_(
                PurchaseOrderRow.client_kind == ClientKind.PROFESSIONAL.value,
                ProfessionalRow.rpps == PurchaseOrderRow.client_id,
            ),
        )
        .order_by(PurchaseOrderRow.vendor_id, PurchaseOrderRow.number)
    )
    return [OrderListRow(**row._mapping) for row in session.connection().execute(statement)]
