"""Funding requests recorded straight in the store, in any status, for the dashboard tests
(the workflow's own tests walk the transitions; these only need requests to count)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sons.domain.workflow import Audience, RequestKind, Status
from sons.store.requests import DepositOrigin, NewDeposit, NewRequest, RequestRepository
from sons.store.unit_of_work import UnitOfWork

# (order number, kind, status, amount HT in cents or None when unknown)
WantedRequest = tuple[str, RequestKind, Status, int | None]


def file_requests(uow: UnitOfWork, vendor_id: int, wanted: list[WantedRequest]) -> None:
    """Record requests (order number, kind, status, amount HT) in one deposit of the vendor."""
    requests = RequestRepository(uow.session, uow.journal, uow.actor, uow.now)
    deposit = requests.add_deposit(
        vendor_id,
        NewDeposit(
            name=f"depot-{vendor_id}",
            origin=DepositOrigin.IMPORTED,
            kind="avance",
            couloir="RAD",
            dispositif="RAD-RIS-Va1",
            format_version="1",
            file_created_at=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
            json_file_name="depot.json",
            json_content=b"{}",
            zip_file_name=None,
            zip_content=None,
            referential_pin="1.0.0+test",
            requests=len(wanted),
        ),
    )
    orders = {o.number: o for o in uow.orders.summaries(vendor_id)}
    requests.add_requests(
        vendor_id,
        deposit,
        [
            NewRequest(
                position=position,
                request_ref=f"R-{position}",
                kind=kind,
                dispositif="RAD-RIS-Va1",
                order_id=orders[number].id,
                order_number=number,
                order_signed_on=orders[number].signed_on,
                client_kind="legal_entity",
                client_id="750712184",
                sites=("750712184",),
                advance_id=None,
                prestation_ht_cents=1_000_000,
                prestation_ttc_cents=1_200_000,
                advance_rate=None if amount is None else Decimal("30"),
                amount_ht_cents=amount,
                amount_ttc_cents=None if amount is None else amount * 12 // 10,
                status=status,
            )
            for position, (number, kind, status, amount) in enumerate(wanted, start=1)
        ],
        action="importer",
        audience=Audience.VENDOR,
    )
