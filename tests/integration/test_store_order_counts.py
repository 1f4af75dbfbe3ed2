"""The dashboards' grouped counts and sums, computed by the database (both backends)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine

from dashboard_fixtures import file_requests
from integration.conftest import OTHER_VENDOR, Seeded, TickingClock
from sons.domain.orders import PurchaseOrder
from sons.domain.workflow import RequestKind, Status
from sons.services.dashboard import CLOSED_WITHOUT_PAYMENT
from sons.store.order_counts import (
    balances_to_file,
    order_groups,
    orders_with_requests_in,
    request_groups,
    solution_groups,
)
from sons.store.unit_of_work import UnitOfWork


def test_counts_and_sums_are_grouped_and_scoped(
    engine: Engine, seeded: Seeded, clock: TickingClock, make_order: Callable[..., PurchaseOrder]
) -> None:
    vendor, other = seeded.vendor_id, seeded.other_vendor_id
    with UnitOfWork(engine, "amorçage", clock) as uow:
        uow.orders.add_many(vendor, [make_order(f"BC-{n}") for n in range(1, 7)])
        uow.orders.add(
            vendor,
            make_order("BC-DMP", dispositif="DMP-Va1", solution_referencing_number="REF-RIS-001"),
        )
        uow.orders.add(other, make_order("BC-1", vendor_siret=OTHER_VENDOR.siret))
        uow.orders.set_status(vendor, "BC-6", "validated", expected_version=1)
        file_requests(
            uow,
            vendor,
            [
                ("BC-1", RequestKind.ADVANCE, Status.PAID, 300_000),  # balance filed below
                ("BC-1", RequestKind.BALANCE, Status.UNDER_REVIEW, 700_000),
                ("BC-2", RequestKind.ADVANCE, Status.PAID, 300_000),  # balance to file
                ("BC-3", RequestKind.ADVANCE, Status.PAID, None),  # balance rejected: to file again
                ("BC-3", RequestKind.BALANCE, Status.REJECTED, 700_000),
                ("BC-4", RequestKind.ADVANCE, Status.INCOMPLETE, 300_000),  # blocked
                ("BC-5", RequestKind.ADVANCE, Status.TO_AMEND, 300_000),  # blocked
                ("BC-5", RequestKind.AMENDMENT, Status.TO_AMEND, 50_000),  # same order
            ],
        )
        file_requests(uow, other, [("BC-1", RequestKind.ADVANCE, Status.INCOMPLETE, 1_000)])

    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        session = uow.session
        mine = [(g.dispositif, g.status, g.count) for g in order_groups(session, vendor)]
        assert mine == [
            ("DMP-Va1", "draft", 1),
            ("RAD-RIS-Va1", "draft", 5),
            ("RAD-RIS-Va1", "validated", 1),
        ]
        everyone = order_groups(session, None)
        assert sum(g.count for g in everyone) == 8
        assert {g.vendor_name for g in everyone} == {seeded.vendor.name, OTHER_VENDOR.name}
        assert solution_groups(session, vendor) == {"RAD-RIS-Va1": 1}

        groups = {(g.kind, g.status): g for g in request_groups(session, vendor)}
        paid = groups[("avance", "decidee_et_payee")]
        assert (paid.count, paid.amount_ht_cents, paid.amount_ttc_cents, paid.unknown_amounts) == (
            3,
            600_000,
            720_000,
            1,
        )
        assert sum(g.count for g in request_groups(session, None)) == 9
        # What a reader may not see is left out (the operator: the vendors' drafts).
        hidden = request_groups(session, None, hidden=(Status.PAID, Status.INCOMPLETE))
        assert sum(g.count for g in hidden) == 4  # 9 less 3 paid and 2 incomplete

        blocking = (Status.INCOMPLETE, Status.TO_AMEND)
        assert orders_with_requests_in(session, vendor, blocking) == 2
        assert orders_with_requests_in(session, other, blocking) == 1
        assert orders_with_requests_in(session, None, blocking) == 3
        assert balances_to_file(session, vendor, CLOSED_WITHOUT_PAYMENT) == 2
        assert balances_to_file(session, other, CLOSED_WITHOUT_PAYMENT) == 0
