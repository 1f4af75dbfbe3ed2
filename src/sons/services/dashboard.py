"""The dashboard of each role: what exists in the store and the referential, scoped to the caller.

A vendor sees its own orders and solutions; the operator sees every vendor's orders. Sections
grow as capabilities land (deposits, evidence, requests): each is computed here, never in a page.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from sons.referential.loader import Referential
from sons.services.accounts import Accounts, Caller
from sons.services.referential import Deadline, upcoming_deadlines
from sons.store.unit_of_work import UnitOfWork

# Deadlines this close are shown as urgent.
SOON_DAYS = 30

# How an order's stored status reads; a status not listed reads as stored.
ORDER_STATUS_LABELS = {"draft": "Brouillon"}


@dataclass(frozen=True, slots=True)
class OrderCount:
    vendor_id: int
    vendor_name: str
    dispositif: str
    status: str
    count: int

    @property
    def status_label(self) -> str:
        return ORDER_STATUS_LABELS.get(self.status, self.status)


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
    users: int | None = None

    @property
    def orders_total(self) -> int:
        return sum(c.count for c in self.order_counts)

    @property
    def soon(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.days_left <= SOON_DAYS]

    def by_status(self) -> list[tuple[str, int]]:
        totals: Counter[str] = Counter()
        for item in self.order_counts:
            totals[item.status_label] += item.count
        return sorted(totals.items())

    def by_dispositif(self) -> list[tuple[str, int]]:
        totals: Counter[str] = Counter()
        for item in self.order_counts:
            totals[item.dispositif] += item.count
        return sorted(totals.items())


def build_dashboard(
    engine: Engine, accounts: Accounts, referential: Referential, caller: Caller, today: dt.date
) -> Dashboard:
    """Everything the caller's dashboard shows, scoped to what the caller may see."""
    vendor_names = accounts.vendor_names(caller)
    counts: list[OrderCount] = []
    solutions: Counter[str] = Counter()
    with UnitOfWork(engine, caller.actor, read_only=True) as uow:
        if caller.is_operator:
            vendors = {vid: vendor_names.get(vid, v.name) for vid, v in uow.vendors.all().items()}
        elif caller.vendor_id is not None:
            vendors = {caller.vendor_id: caller.organisation_name}
        else:
            vendors = {}
        for vendor_id, name in sorted(vendors.items(), key=lambda item: item[1]):
            # One query per vendor; counted here until the store offers a grouped count.
            tally = Counter((s.dispositif, s.status) for s in uow.orders.summaries(vendor_id))
            counts.extend(
                OrderCount(vendor_id, name, dispositif, status, number)
                for (dispositif, status), number in sorted(tally.items())
            )
            if not caller.is_operator:
                solutions.update(s.dispositif for s in uow.solutions.all(vendor_id))
    couloirs = Counter(d.identity.couloir.value for d in referential.dispositifs.values())
    deadlines, unknown = upcoming_deadlines(referential, today)
    users = len(accounts.users(caller)) if caller.is_admin else None
    return Dashboard(
        caller=caller,
        today=today,
        referential_pin=referential.pin,
        dispositifs_by_couloir=dict(sorted(couloirs.items())),
        order_counts=counts,
        solutions=[SolutionCount(d, n) for d, n in sorted(solutions.items())],
        deadlines=deadlines,
        unknown_deadlines=unknown,
        users=users,
    )
