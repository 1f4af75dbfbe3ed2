"""The dashboard of each role: what exists in the store and the referential, scoped to the caller.

A vendor sees its own orders, requests and solutions; the operator sees every vendor's. Every
figure is a grouped SQL count or sum (`sons.store.order_counts`): the page costs a handful of
queries whatever the store holds (benchmarks/bench_web_latency.py, 100,000 orders).

What the figures mean (docs/web.md says the same to users):
- **expected** amounts: advance and balance requests filed with the operator and not closed
  without payment (statuses from « Déposée » to « Décidée et payée »); **received**: those
  « Décidée et payée ». A request without an amount (rate not in the referential) is counted
  apart, never guessed.
- **to pay** (operator): requests « Validée, à payer ».
- the operator's request figures leave out the vendors' drafts (« Brouillon »): they are not
  filed with it.
- **orders blocked**: orders with a request « Incomplète » or « A modifier » — the findings the
  operator sent back. The order checks' own findings are not stored (they are computed against
  the referential: `sons order check`, the order's page), so they are not counted here.
- **balances to file**: orders whose advance is « Décidée et payée » and that have no balance
  request yet (a rejected or cancelled one does not count). Whether the evidence is complete is
  the readiness report's business (evidence page), too costly to compute for every order here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from sons.domain.workflow import KIND_LABELS, Audience, RequestKind, Status, status_label
from sons.referential.loader import Referential
from sons.services.accounts import Accounts, Caller

# Re-exported: `sons order` reads the labels from here (they live with the order list now).
from sons.services.order_list import ORDER_STATUS_LABELS as ORDER_STATUS_LABELS
from sons.services.order_list import order_status_label, vendor_scope
from sons.services.referential import Deadline, upcoming_deadlines
from sons.store.order_counts import (
    RequestGroup,
    balances_to_file,
    order_groups,
    orders_with_requests_in,
    request_groups,
    solution_groups,
)
from sons.store.unit_of_work import UnitOfWork

# Deadlines this close are shown as urgent.
SOON_DAYS = 30

FUNDED_KINDS = frozenset({RequestKind.ADVANCE.value, RequestKind.BALANCE.value})
EXPECTED_STATUSES = frozenset(
    s.value
    for s in (
        Status.FILED,
        Status.INCOMPLETE,
        Status.UNDER_REVIEW,
        Status.TO_AMEND,
        Status.VALIDATED,
        Status.PAID,
    )
)
BLOCKING_STATUSES = (Status.INCOMPLETE, Status.TO_AMEND)
# A balance in these statuses is no balance: the vendor files another.
CLOSED_WITHOUT_PAYMENT = (Status.REJECTED, Status.CANCELLED)


@dataclass(frozen=True, slots=True)
class OrderCount:
    vendor_id: int
    vendor_name: str
    dispositif: str
    status: str
    count: int

    @property
    def status_label(self) -> str:
        return order_status_label(self.status)


@dataclass(frozen=True, slots=True)
class RequestCount:
    dispositif: str
    kind: str
    kind_label: str
    status: str
    status_label: str
    count: int
    amount_ht_cents: int
    amount_ttc_cents: int
    unknown_amounts: int


@dataclass(frozen=True, slots=True)
class Amount:
    """A sum of request amounts; `unknown` requests had no amount to add."""

    requests: int = 0
    ht_cents: int = 0
    ttc_cents: int = 0
    unknown: int = 0

    def plus(self, group: RequestGroup) -> Amount:
        return Amount(
            self.requests + group.count,
            self.ht_cents + group.amount_ht_cents,
            self.ttc_cents + group.amount_ttc_cents,
            self.unknown + group.unknown_amounts,
        )


@dataclass(frozen=True, slots=True)
class SolutionCount:
    dispositif: str
    count: int


@dataclass(frozen=True)
class Dashboard:
    caller: Caller
    today: dt.date
    referential_pin: str
    dispositifs_by_couloir: dict[str, int]
    order_counts: list[OrderCount]
    solutions: list[SolutionCount]
    deadlines: list[Deadline]
    unknown_deadlines: int
    request_counts: list[RequestCount]
    expected: Amount
    received: Amount
    to_pay: Amount
    blocked_orders: int
    balances_to_file: int
    users: int | None = None

    @property
    def orders_total(self) -> int:
        return sum(c.count for c in self.order_counts)

    @property
    def requests_total(self) -> int:
        return sum(c.count for c in self.request_counts)

    @property
    def incomplete_requests(self) -> int:
        return sum(c.count for c in self.request_counts if c.status == Status.INCOMPLETE.value)

    @property
    def soon(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.days_left <= SOON_DAYS]

    def by_status(self) -> list[tuple[str, int]]:
        return _totals((c.status_label, c.count) for c in self.order_counts)

    def by_dispositif(self) -> list[tuple[str, int]]:
        return _totals((c.dispositif, c.count) for c in self.order_counts)

    def requests_by_status(self) -> list[tuple[str, int]]:
        return _totals((c.status_label, c.count) for c in self.request_counts)

    def requests_by_dispositif(self) -> list[tuple[str, int]]:
        return _totals((c.dispositif, c.count) for c in self.request_counts)


def _totals(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    totals: Counter[str] = Counter()
    for key, count in pairs:
        totals[key] += count
    return sorted(totals.items())


def _request_count(group: RequestGroup, audience: Audience) -> RequestCount:
    try:
        kind_label = KIND_LABELS[RequestKind(group.kind)]
        label = status_label(Status(group.status), RequestKind(group.kind), audience)
    except ValueError:  # a kind or status the workflow does not know reads as stored
        kind_label, label = group.kind, group.status
    return RequestCount(
        group.dispositif,
        group.kind,
        kind_label,
        group.status,
        label,
        group.count,
        group.amount_ht_cents,
        group.amount_ttc_cents,
        group.unknown_amounts,
    )


def _amounts(groups: Iterable[RequestGroup]) -> tuple[Amount, Amount, Amount]:
    expected = received = to_pay = Amount()
    for group in groups:
        if group.kind in FUNDED_KINDS and group.status in EXPECTED_STATUSES:
            expected = expected.plus(group)
            if group.status == Status.PAID.value:
                received = received.plus(group)
        if group.status == Status.VALIDATED.value:
            to_pay = to_pay.plus(group)
    return expected, received, to_pay


def build_dashboard(
    engine: Engine, accounts: Accounts, referential: Referential, caller: Caller, today: dt.date
) -> Dashboard:
    """Everything the caller's dashboard shows, scoped to what the caller may see."""
    scope = vendor_scope(caller)
    names = accounts.vendor_names(caller)
    with UnitOfWork(engine, caller.actor, read_only=True) as uow:
        session = uow.session
        orders = order_groups(session, scope)
        # The operator sees what was filed with it: a vendor's drafts stay the vendor's.
        hidden = (Status.DRAFT,) if caller.is_operator else ()
        requests = request_groups(session, scope, hidden=hidden)
        blocked = orders_with_requests_in(session, scope, BLOCKING_STATUSES)
        to_file = balances_to_file(session, scope, CLOSED_WITHOUT_PAYMENT)
        solutions = {} if scope is None else solution_groups(session, scope)
    audience = Audience.OPERATOR if caller.is_operator else Audience.VENDOR
    expected, received, to_pay = _amounts(requests)
    couloirs = Counter(d.identity.couloir.value for d in referential.dispositifs.values())
    deadlines, unknown = upcoming_deadlines(referential, today)
    users = len(accounts.users(caller)) if caller.is_admin else None
    return Dashboard(
        caller=caller,
        today=today,
        referential_pin=referential.pin,
        dispositifs_by_couloir=dict(sorted(couloirs.items())),
        order_counts=[
            OrderCount(
                g.vendor_id, names.get(g.vendor_id, g.vendor_name), g.dispositif, g.status, g.count
            )
            for g in orders
        ],
        solutions=[SolutionCount(d, n) for d, n in solutions.items()],
        deadlines=deadlines,
        unknown_deadlines=unknown,
        request_counts=[_request_count(g, audience) for g in requests],
        expected=expected,
        received=received,
        to_pay=to_pay,
        blocked_orders=blocked,
        balances_to_file=to_file,
        users=users,
    )
