"""Grouped counts and sums over orders and funding requests, for the dashboards.

Every figure is one `GROUP BY` query: the database counts, Python never walks the rows. The
orders' counts read only the `(vendor_id, dispositif, status)` index. `vendor_id=None` counts
every vendor's rows: only the operator's services pass it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from sons.domain.workflow import RequestKind, Status
from sons.store.requests import FundingRequestRow
from sons.store.tables import PurchaseOrderRow, SolutionRow, VendorRow


@dataclass(frozen=True, slots=True)
class OrderGroup:
    vendor_id: int
    vendor_name: str
    dispositif: str
    status: str
    count: int


@dataclass(frozen=True, slots=True)
class RequestGroup:
    """The requests of one dispositif, kind and status, and the sum of their amounts.

    `unknown_amounts` requests have no amount (the referential does not know the rate): the
    sums leave them out and say how many they leave out."""

    dispositif: str
    kind: str
    status: str
    count: int
    amount_ht_cents: int
    amount_ttc_cents: int
    unknown_amounts: int


def _scoped(
    column: InstrumentedAttribute[int], vendor_id: int | None
) -> list[sa.ColumnElement[bool]]:
    return [] if vendor_id is None else [column == vendor_id]


def order_groups(session: Session, vendor_id: int | None) -> list[OrderGroup]:
    counted = (
        sa.select(
            PurchaseOrderRow.vendor_id,
            PurchaseOrderRow.dispositif,
            PurchaseOrderRow.status,
            sa.func.count().label("count"),
        )
        .where(*_scoped(PurchaseOrderRow.vendor_id, vendor_id))
        .group_by(PurchaseOrderRow.vendor_id, PurchaseOrderRow.dispositif, PurchaseOrderRow.status)
        .subquery()
    )
    # The vendor's name is joined after grouping: a few rows, not one per order.
    statement = (
        sa.select(
            counted.c.vendor_id,
            VendorRow.name,
            counted.c.dispositif,
            counted.c.status,
            counted.c.count,
        )
        .join(VendorRow, VendorRow.id == counted.c.vendor_id)
        .order_by(VendorRow.name, counted.c.dispositif, counted.c.status)
    )
    return [OrderGroup(*row) for row in session.execute(statement)]


def solution_groups(session: Session, vendor_id: int) -> dict[str, int]:
    statement = (
        sa.select(SolutionRow.dispositif, sa.func.count())
        .where(SolutionRow.vendor_id == vendor_id)
        .group_by(SolutionRow.dispositif)
        .order_by(SolutionRow.dispositif)
    )
    return {dispositif: int(count) for dispositif, count in session.execute(statement)}


def request_groups(
    session: Session, vendor_id: int | None, *, hidden: Iterable[Status] = ()
) -> list[RequestGroup]:
    """The requests grouped, but those in a `hidden` status (what the reader may not see)."""
    ht = FundingRequestRow.amount_ht_cents
    left_out = [s.value for s in hidden]
    statement = (
        sa.select(
            FundingRequestRow.dispositif,
            FundingRequestRow.kind,
            FundingRequestRow.status,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(ht), 0),
            sa.func.coalesce(sa.func.sum(FundingRequestRow.amount_ttc_cents), 0),
            sa.func.count() - sa.func.count(ht),
        )
        .where(
            *_scoped(FundingRequestRow.vendor_id, vendor_id),
            *([FundingRequestRow.status.not_in(left_out)] if left_out else []),
        )
        .group_by(FundingRequestRow.dispositif, FundingRequestRow.kind, FundingRequestRow.status)
        .order_by(FundingRequestRow.dispositif, FundingRequestRow.kind, FundingRequestRow.status)
    )
    return [
        RequestGroup(d, k, s, int(n), int(amount_ht or 0), int(amount_ttc or 0), int(unknown))
        for d, k, s, n, amount_ht, amount_ttc, unknown in session.execute(statement)
    ]


def orders_with_requests_in(
    session: Session, vendor_id: int | None, statuses: Iterable[Status]
) -> int:
    """How many orders have at least one request in one of `statuses`."""
    statement = sa.select(sa.func.count(sa.distinct(FundingRequestRow.order_id))).where(
        *_scoped(FundingRequestRow.vendor_id, vendor_id),
        FundingRequestRow.status.in_([s.value for s in statuses]),
        FundingRequestRow.order_id.is_not(None),
    )
    return int(session.execute(statement).scalar_one())


def balances_to_file(session: Session, vendor_id: int | None, closed: Iterable[Status]) -> int:
    """How many orders have a paid advance and no balance request yet (but `closed` ones:
    a rejected or cancelled balance is to be filed again)."""
    scope = _scoped(FundingRequestRow.vendor_id, vendor_id)
    # The orders with a balance, computed once (NOT IN a list), not probed per advance.
    with_balance = sa.select(FundingRequestRow.order_id).where(
        *scope,
        FundingRequestRow.kind == RequestKind.BALANCE.value,
        FundingRequestRow.status.not_in([s.value for s in closed]),
        FundingRequestRow.order_id.is_not(None),
    )
    statement = sa.select(sa.func.count(sa.distinct(FundingRequestRow.order_id))).where(
        *scope,
        FundingRequestRow.kind == RequestKind.ADVANCE.value,
        FundingRequestRow.status == Status.PAID.value,
        FundingRequestRow.order_id.is_not(None),
        FundingRequestRow.order_id.not_in(with_balance),
    )
    return int(session.execute(statement).scalar_one())
