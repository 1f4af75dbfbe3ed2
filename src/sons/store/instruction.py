"""What the payment operator records around a funding request (migration 0004_instruction).

- An **intake** (`request_intakes`) is one reception of a request in a vendor's deposit: the
  deposit it came in, the SHA-256 of its content (its JSON object, canonical) so that the same
  request received again is recognised as a « doublon », and whether it was a first reception
  or a new deposit answering a correction (`redeposee`).
- An **intake finding** (`intake_findings`) is a finding the checks gave the request when it was
  received (deposit checks, registries, cross-vendor controls): kept with the request, so that
  the queue and the request's page show them long after the deposit's report is gone.
- A **payment** (`payments`) is an amount paid on a date for an advance, a balance or an
  amendment; a **recovery order** (`recovery_orders`) an amount claimed back, with its date
  and motive, when a paid request is cancelled (a client changing vendor after its advance).

Rows carry `vendor_id` (the tenant) and composite foreign keys keep them with their request's
vendor. Every write is journaled; statuses are not written here (the workflow does that).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from sons.findings import Finding, Severity
from sons.store.bulk import IN_CHUNK, chunked
from sons.store.journal import Journal, JournalAction
from sons.store.requests import FUNDING_REQUEST, FundingRequestRow, NewRequest, StoredRequest
from sons.store.tables import HASH_LENGTH, Base

DEPOSIT_INTAKE = "deposit_intake"
PAYMENT = "payment"
RECOVERY_ORDER = "recovery_order"


class IntakeOutcome:
    RECEIVED = "recue"
    REFILED = "redeposee"


def _request_key() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["request_id", "vendor_id"],
        ["funding_requests.id", "funding_requests.vendor_id"],
        ondelete="CASCADE",
    )


# --- tables -----------------------------------------------------------------------------------


class RequestIntakeRow(Base):
    __tablename__ = "request_intakes"
    __table_args__ = (
        _request_key(),
        ForeignKeyConstraint(["deposit_id", "vendor_id"], ["deposits.id", "deposits.vendor_id"]),
        Index("ix_request_intakes_request", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int]
    vendor_id: Mapped[int]
    deposit_id: Mapped[int]
    content_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    outcome: Mapped[str]
    at: Mapped[dt.datetime]


class IntakeFindingRow(Base):
    __tablename__ = "intake_findings"
    __table_args__ = (
        _request_key(),
        ForeignKeyConstraint(["deposit_id", "vendor_id"], ["deposits.id", "deposits.vendor_id"]),
        Index("ix_intake_findings_request", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int]
    vendor_id: Mapped[int]
    deposit_id: Mapped[int]
    code: Mapped[str]
    severity: Mapped[str]
    message: Mapped[str] = mapped_column(Text)
    path: Mapped[str]
    rule: Mapped[str]
    source: Mapped[str] = mapped_column(Text)


class PaymentRow(Base):
    __tablename__ = "payments"
    __table_args__ = (_request_key(), Index("ix_payments_request", "request_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int]
    vendor_id: Mapped[int]
    kind: Mapped[str]
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[dt.date]
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[str]


class RecoveryOrderRow(Base):
    __tablename__ = "recovery_orders"
    __table_args__ = (
        _request_key(),
        Index("ix_recovery_orders_request", "request_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int]
    vendor_id: Mapped[int]
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    issued_on: Mapped[dt.date]
    motive: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[str]


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request of an intake, to record: its content fingerprint and its findings."""

    request_id: int
    content_sha256: str
    outcome: str
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class Payment:
    id: int
    request_id: int
    vendor_id: int
    kind: str
    amount_cents: int
    paid_on: dt.date
    recorded_at: dt.datetime
    recorded_by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request_id": self.request_id,
            "kind": self.kind,
            "amount_cents": self.amount_cents,
            "paid_on": self.paid_on.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
        }


@dataclass(frozen=True, slots=True)
class RecoveryOrder:
    id: int
    request_id: int
    vendor_id: int
    amount_cents: int
    issued_on: dt.date
    motive: str
    recorded_at: dt.datetime
    recorded_by: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "request_id": self.request_id,
            "amount_cents": self.amount_cents,
            "issued_on": self.issued_on.isoformat(),
            "motive": self.motive,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
        }


def _finding(row: IntakeFindingRow) -> Finding:
    return Finding(row.code, Severity(row.severity), row.message, row.path, row.rule, row.source)


def _payment(row: PaymentRow) -> Payment:
    return Payment(
        row.id,
        row.request_id,
        row.vendor_id,
        row.kind,
        row.amount_cents,
        row.paid_on,
        row.recorded_at,
        row.recorded_by,
    )


def _recovery(row: RecoveryOrderRow) -> RecoveryOrder:
    return RecoveryOrder(
        row.id,
        row.request_id,
        row.vendor_id,
        row.amount_cents,
        row.issued_on,
        row.motive,
        row.recorded_at,
        row.recorded_by,
    )


# What the operator records on a request with money: a payment or a recovery order.
_MoneyRow = TypeVar("_MoneyRow", PaymentRow, RecoveryOrderRow)
_Money = TypeVar("_Money", Payment, RecoveryOrder)


# --- repository -------------------------------------------------------------------------------


class InstructionRepository:
    """Intakes, intake findings, payments and recovery orders. Reads take the request ids the
    services resolved within the caller's scope."""

    def __init__(
        self, session: Session, journal: Journal, actor: str, clock: Callable[[], dt.datetime]
    ) -> None:
        self._session = session
        self._journal = journal
        self._actor = actor
        self._clock = clock

    # -- intake ------------------------------------------------------------------------------

    def record_intake(
        self, vendor_id: int, deposit_id: int, received: Sequence[ReceivedRequest]
    ) -> None:
        """The requests one deposit brought, with their findings; one journal entry for the
        deposit (the requests' own creation or status change is journaled by the workflow)."""
        if not received:
            return
        now = self._clock()
        self._session.execute(
            sa.insert(RequestIntakeRow),
            [
                {
                    "request_id": item.request_id,
                    "vendor_id": vendor_id,
                    "deposit_id": deposit_id,
                    "content_sha256": item.content_sha256,
                    "outcome": item.outcome,
                    "at": now,
                }
                for item in received
            ],
        )
        findings = [
            {
                "request_id": item.request_id,
                "vendor_id": vendor_id,
                "deposit_id": deposit_id,
                "code": finding.code,
                "severity": finding.severity.value,
                "message": finding.message,
                "path": finding.path,
                "rule": finding.rule,
                "source": finding.source,
            }
            for item in received
            for finding in item.findings
        ]
        if findings:
            self._session.execute(sa.insert(IntakeFindingRow), findings)
        self._journal.record(
            JournalAction.CREATE,
            DEPOSIT_INTAKE,
            str(deposit_id),
            after={
                "deposit_id": deposit_id,
                "requests": [
                    {
                        "request_id": item.request_id,
                        "outcome": item.outcome,
                        "content_sha256": item.content_sha256,
                        "findings": [f.code for f in item.findings],
                    }
                    for item in received
                ],
            },
            vendor_id=vendor_id,
        )

    def fingerprints(self, request_ids: Iterable[int]) -> dict[int, str]:
        """Request id → the content SHA-256 of its latest intake (requests never taken in by
        the operator, e.g. built in sons and marked filed, are absent)."""
        found: dict[int, tuple[int, str]] = {}
        for chunk in chunked(sorted(set(request_ids)), IN_CHUNK):
            rows = self._session.execute(
                sa.select(
                    RequestIntakeRow.request_id,
                    RequestIntakeRow.id,
                    RequestIntakeRow.content_sha256,
                ).where(RequestIntakeRow.request_id.in_(chunk))
            )
            for request_id, row_id, sha in rows:
                if request_id not in found or found[request_id][0] < row_id:
                    found[request_id] = (row_id, sha)
        return {request_id: sha for request_id, (_, sha) in found.items()}

    def findings(self, request_ids: Iterable[int]) -> dict[int, list[Finding]]:
        """Request id → the findings of its latest intake, in the order they were given."""
        wanted = sorted(set(request_ids))
        latest: dict[int, int] = {}
        for chunk in chunked(wanted, IN_CHUNK):
            rows = self._session.execute(
                sa.select(RequestIntakeRow.request_id, sa.func.max(RequestIntakeRow.deposit_id))
                .where(RequestIntakeRow.request_id.in_(chunk))
                .group_by(RequestIntakeRow.request_id)
            )
            latest.update((request_id, deposit_id) for request_id, deposit_id in rows)
        found: dict[int, list[Finding]] = defaultdict(list)
        for chunk in chunked(wanted, IN_CHUNK):
            finding_rows = self._session.scalars(
                sa.select(IntakeFindingRow)
                .where(IntakeFindingRow.request_id.in_(chunk))
                .order_by(IntakeFindingRow.id)
            )
            for row in finding_rows:
                if latest.get(row.request_id) == row.deposit_id:
                    found[row.request_id].append(_finding(row))
        return dict(found)

    def refile(self, current: StoredRequest, deposit_id: int, new: NewRequest) -> None:
        """A new deposit of a request sent back « à modifier » (or « incomplète »): the request
        now says what the new deposit says. Its status is the workflow's business (`deposer`),
        fired by the caller right after; the content change is journaled here."""
        values = {
            "deposit_id": deposit_id,
            "position": new.position,
            "dispositif": new.dispositif,
            "order_id": new.order_id,
            "order_number": new.order_number,
            "order_signed_on": new.order_signed_on,
            "client_kind": new.client_kind,
            "client_id": new.client_id,
            "sites": list(new.sites),
            "advance_id": new.advance_id,
            "prestation_ht_cents": new.prestation_ht_cents,
            "prestation_ttc_cents": new.prestation_ttc_cents,
            "advance_rate": None if new.advance_rate is None else str(new.advance_rate),
            "amount_ht_cents": new.amount_ht_cents,
            "amount_ttc_cents": new.amount_ttc_cents,
            "codes": list(new.codes),
        }
        self._session.execute(
            sa.update(FundingRequestRow)
            .where(FundingRequestRow.id == current.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        before = current.document()
        self._journal.record(
            JournalAction.UPDATE,
            FUNDING_REQUEST,
            str(current.id),
            before={key: before.get(key) for key in values},
            after={
                key: (value.isoformat() if isinstance(value, dt.date) else value)
                for key, value in values.items()
            }
            | {"action": "redeposer"},
            vendor_id=current.vendor_id,
        )

    # -- payments and recovery orders --------------------------------------------------------

    def add_payment(self, request: StoredRequest, amount_cents: int, paid_on: dt.date) -> Payment:
        row = PaymentRow(
            request_id=request.id,
            vendor_id=request.vendor_id,
            kind=request.kind.value,
            amount_cents=amount_cents,
            paid_on=paid_on,
            recorded_at=self._clock(),
            recorded_by=self._actor,
        )
        return self._recorded(row, _payment, PAYMENT, request.vendor_id)

    def payments(self, request_ids: Iterable[int]) -> list[Payment]:
        return self._of_requests(PaymentRow, _payment, request_ids)

    def add_recovery(
        self, request: StoredRequest, amount_cents: int, issued_on: dt.date, motive: str
    ) -> RecoveryOrder:
        row = RecoveryOrderRow(
            request_id=request.id,
            vendor_id=request.vendor_id,
            amount_cents=amount_cents,
            issued_on=issued_on,
            motive=motive,
            recorded_at=self._clock(),
            recorded_by=self._actor,
        )
        return self._recorded(row, _recovery, RECOVERY_ORDER, request.vendor_id)

    def recoveries(self, request_ids: Iterable[int]) -> list[RecoveryOrder]:
        return self._of_requests(RecoveryOrderRow, _recovery, request_ids)

    def _recorded(
        self, row: _MoneyRow, convert: Callable[[Any], _Money], entity: str, vendor_id: int
    ) -> _Money:
        """A payment or recovery order stored, and journaled with what it says."""
        self._session.add(row)
        self._session.flush()
        made = convert(row)
        self._journal.record(
            JournalAction.CREATE, entity, str(made.id), after=made.as_dict(), vendor_id=vendor_id
        )
        return made

    def _of_requests(
        self, table: type[_MoneyRow], convert: Callable[[Any], _Money], request_ids: Iterable[int]
    ) -> list[_Money]:
        """The payments or recovery orders of these requests, by id."""
        found: list[_Money] = []
        for chunk in chunked(sorted(set(request_ids)), IN_CHUNK):
            rows = self._session.scalars(sa.select(table).where(table.request_id.in_(chunk)))
            found.extend(convert(row) for row in rows)
        return sorted(found, key=lambda item: item.id)

    def finding_counts(self, request_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """Request id → (errors, warnings) of its latest intake."""
        return {
            request_id: (
                sum(1 for f in found if f.severity is Severity.ERROR),
                sum(1 for f in found if f.severity is Severity.WARNING),
            )
            for request_id, found in self.findings(request_ids).items()
        }
