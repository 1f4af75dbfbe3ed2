"""Deposits and funding requests: the files a vendor files, the requests they carry, and the
history of every status change (migration 0003_requests).

- A **deposit** is one deposit file and its zip, as built by sons or imported. Both files are
  kept as blobs in `deposit_files` (not as paths): the store is then the one thing to back up,
  a deposit and its requests are written in one transaction (all or nothing), and the web app
  can offer them for download without a shared disk. Bounded by `MAX_STORED_BYTES` per file.
- A **funding request** (`FundingRequest`) is one request of a deposit: kind (avance, solde,
  avenant), status (`sons.domain.workflow.Status`), the order it concerns, the advance it
  completes (solde) or amends (avenant), the Prestation declared and the amount requested.
- Every status change writes a `request_transitions` row (who, when, from → to, action,
  motive, reason code, file name and SHA-256) and a journal entry; nothing else changes a
  status. Writes check the optimistic-lock `version` (`ConcurrentRequestEditError`).

Every row carries `vendor_id` (the tenant) and composite foreign keys keep a request, its
deposit, its order and its advance within one vendor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import (
    BigInteger,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from sons.domain.workflow import Audience, ReasonCode, RequestKind, Status, Transition
from sons.store.bulk import IN_CHUNK, chunked, insert_returning_ids
from sons.store.errors import StoreError
from sons.store.journal import Journal, JournalAction
from sons.store.tables import HASH_LENGTH, Base, Timestamps

DEPOSIT = "deposit"
FUNDING_REQUEST = "funding_request"
JSON_ROLE = "json"
ZIP_ROLE = "zip"
# A PostgreSQL bytea holds at most 1 GB; a vendor's deposit is far below this bound.
MAX_STORED_BYTES = 256 * 1024 * 1024


class DepositOrigin:
    BUILT = "build"
    IMPORTED = "import"


class ConcurrentRequestEditError(StoreError):
    """The request changed since it was read: the caller reloads and retries."""

    def __init__(self, request_id: int, expected: int, found: int | None) -> None:
        self.request_id = request_id
        self.expected_version = expected
        self.found_version = found
        super().__init__(
            f"La demande n° {request_id} a été modifiée par ailleurs (version {expected} "
            f"attendue, {found if found is not None else 'introuvable'} trouvée) ; rechargez-la "
            "et recommencez."
        )


# --- tables -----------------------------------------------------------------------------------


class DepositRow(Base):
    __tablename__ = "deposits"
    __table_args__ = (
        UniqueConstraint("vendor_id", "name"),
        UniqueConstraint("id", "vendor_id"),
        # Importing the same file twice finds the first one (idempotence by SHA-256). Not
        # unique: rebuilding a draft can give the same bytes under a new name. Writers are
        # serialised by the unit of work's lock, so the lookup cannot race.
        Index("ix_deposits_vendor_sha", "vendor_id", "json_sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    name: Mapped[str]
    origin: Mapped[str]
    kind: Mapped[str]
    couloir: Mapped[str]
    dispositif: Mapped[str]
    format_version: Mapped[str]
    file_created_at: Mapped[dt.datetime]
    json_file_name: Mapped[str]
    json_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    json_size: Mapped[int] = mapped_column(BigInteger)
    zip_file_name: Mapped[str | None]
    zip_sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    zip_size: Mapped[int | None] = mapped_column(BigInteger)
    referential_pin: Mapped[str]
    requests: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[dt.datetime]
    recorded_by: Mapped[str]
    filed_at: Mapped[dt.datetime | None]


class DepositFileRow(Base):
    """The bytes of a deposit's JSON file or zip, apart so that listing deposits reads none."""

    __tablename__ = "deposit_files"
    __table_args__ = (
        ForeignKeyConstraint(
            ["deposit_id", "vendor_id"],
            ["deposits.id", "deposits.vendor_id"],
            ondelete="CASCADE",
        ),
    )

    deposit_id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(primary_key=True)
    vendor_id: Mapped[int]
    file_name: Mapped[str]
    content: Mapped[bytes] = mapped_column(LargeBinary)


class FundingRequestRow(Timestamps, Base):
    __tablename__ = "funding_requests"
    __table_args__ = (
        UniqueConstraint("id", "vendor_id"),
        ForeignKeyConstraint(["deposit_id", "vendor_id"], ["deposits.id", "deposits.vendor_id"]),
        # An order with requests cannot be deleted: a filed request keeps what it was about.
        ForeignKeyConstraint(
            ["order_id", "vendor_id"], ["purchase_orders.id", "purchase_orders.vendor_id"]
        ),
        ForeignKeyConstraint(
            ["advance_id", "vendor_id"], ["funding_requests.id", "funding_requests.vendor_id"]
        ),
        Index("ix_funding_requests_vendor_status", "vendor_id", "status", "kind"),
        Index("ix_funding_requests_vendor_ref", "vendor_id", "request_ref"),
        # One Prestation per client and dispositif, across vendors (services/cross_vendor).
        Index("ix_funding_requests_client", "client_kind", "client_id", "dispositif"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    deposit_id: Mapped[int] = mapped_column(index=True)
    position: Mapped[int] = mapped_column(Integer)
    request_ref: Mapped[str]
    kind: Mapped[str]
    status: Mapped[str]
    dispositif: Mapped[str]
    order_id: Mapped[int | None] = mapped_column(index=True)
    order_number: Mapped[str]
    order_signed_on: Mapped[dt.date]
    client_kind: Mapped[str]
    client_id: Mapped[str]
    sites: Mapped[list[Any]]
    advance_id: Mapped[int | None] = mapped_column(index=True)
    prestation_ht_cents: Mapped[int] = mapped_column(BigInteger)
    prestation_ttc_cents: Mapped[int] = mapped_column(BigInteger)
    # The advance rate applied (percent, as text: exact), None when the referential does not
    # know it; the amounts are then None too (« non renseigné »).
    advance_rate: Mapped[str | None]
    amount_ht_cents: Mapped[int | None] = mapped_column(BigInteger)
    amount_ttc_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Finding codes the check gave this request when it was built or imported.
    codes: Mapped[list[Any]]
    version: Mapped[int] = mapped_column(Integer)


class RequestTransitionRow(Base):
    __tablename__ = "request_transitions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["request_id", "vendor_id"],
            ["funding_requests.id", "funding_requests.vendor_id"],
            ondelete="CASCADE",
        ),
        Index("ix_request_transitions_request", "request_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int]
    vendor_id: Mapped[int]
    at: Mapped[dt.datetime]
    actor: Mapped[str]
    audience: Mapped[str]
    action: Mapped[str]
    from_status: Mapped[str | None]
    to_status: Mapped[str]
    motive: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None]
    file_name: Mapped[str | None]
    file_sha256: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    journal_entry_id: Mapped[int | None]


# --- values -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewDeposit:
    name: str
    origin: str
    kind: str
    couloir: str
    dispositif: str
    format_version: str
    file_created_at: dt.datetime
    json_file_name: str
    json_content: bytes
    zip_file_name: str | None
    zip_content: bytes | None
    referential_pin: str
    requests: int


@dataclass(frozen=True, slots=True)
class StoredDeposit:
    id: int
    vendor_id: int
    name: str
    origin: str
    kind: str
    couloir: str
    dispositif: str
    format_version: str
    file_created_at: dt.datetime
    json_file_name: str
    json_sha256: str
    json_size: int
    zip_file_name: str | None
    zip_sha256: str | None
    zip_size: int | None
    referential_pin: str
    requests: int
    recorded_at: dt.datetime
    recorded_by: str
    filed_at: dt.datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "origin": self.origin,
            "kind": self.kind,
            "couloir": self.couloir,
            "dispositif": self.dispositif,
            "format_version": self.format_version,
            "file_created_at": self.file_created_at.isoformat(),
            "json_file_name": self.json_file_name,
            "json_sha256": self.json_sha256,
            "json_size": self.json_size,
            "zip_file_name": self.zip_file_name,
            "zip_sha256": self.zip_sha256,
            "zip_size": self.zip_size,
            "referential_pin": self.referential_pin,
            "requests": self.requests,
            "recorded_at": self.recorded_at.isoformat(),
            "recorded_by": self.recorded_by,
            "filed_at": None if self.filed_at is None else self.filed_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A request to record; `status` and `motive` are those of its creation."""

    position: int
    request_ref: str
    kind: RequestKind
    dispositif: str
    order_id: int | None
    order_number: str
    order_signed_on: dt.date
    client_kind: str
    client_id: str
    sites: tuple[str, ...]
    advance_id: int | None
    prestation_ht_cents: int
    prestation_ttc_cents: int
    advance_rate: Decimal | None
    amount_ht_cents: int | None
    amount_ttc_cents: int | None
    codes: tuple[str, ...] = ()
    status: Status = Status.DRAFT
    motive: str | None = None


@dataclass(frozen=True, slots=True)
class StoredRequest:
    id: int
    vendor_id: int
    deposit_id: int
    position: int
    request_ref: str
    kind: RequestKind
    status: Status
    dispositif: str
    order_id: int | None
    order_number: str
    order_signed_on: dt.date
    client_kind: str
    client_id: str
    sites: tuple[str, ...]
    advance_id: int | None
    prestation_ht_cents: int
    prestation_ttc_cents: int
    advance_rate: Decimal | None
    amount_ht_cents: int | None
    amount_ttc_cents: int | None
    codes: tuple[str, ...]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    def document(self) -> dict[str, Any]:
        """The request as the journal keeps it (plain JSON values)."""
        return {
            "id": self.id,
            "deposit_id": self.deposit_id,
            "position": self.position,
            "request_ref": self.request_ref,
            "kind": self.kind.value,
            "status": self.status.value,
            "dispositif": self.dispositif,
            "order_number": self.order_number,
            "order_signed_on": self.order_signed_on.isoformat(),
            "client_kind": self.client_kind,
            "client_id": self.client_id,
            "sites": list(self.sites),
            "advance_id": self.advance_id,
            "prestation_ht_cents": self.prestation_ht_cents,
            "prestation_ttc_cents": self.prestation_ttc_cents,
            "advance_rate": None if self.advance_rate is None else str(self.advance_rate),
            "amount_ht_cents": self.amount_ht_cents,
            "amount_ttc_cents": self.amount_ttc_cents,
            "codes": list(self.codes),
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class TransitionRecord:
    id: int
    request_id: int
    at: dt.datetime
    actor: str
    audience: Audience
    action: str
    from_status: Status | None
    to_status: Status
    motive: str | None
    reason: ReasonCode | None
    file_name: str | None
    file_sha256: str | None
    journal_entry_id: int | None


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _deposit(row: DepositRow) -> StoredDeposit:
    return StoredDeposit(
        id=row.id,
        vendor_id=row.vendor_id,
        name=row.name,
        origin=row.origin,
        kind=row.kind,
        couloir=row.couloir,
        dispositif=row.dispositif,
        format_version=row.format_version,
        file_created_at=row.file_created_at,
        json_file_name=row.json_file_name,
        json_sha256=row.json_sha256,
        json_size=row.json_size,
        zip_file_name=row.zip_file_name,
        zip_sha256=row.zip_sha256,
        zip_size=row.zip_size,
        referential_pin=row.referential_pin,
        requests=row.requests,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        filed_at=row.filed_at,
    )


def _request(row: FundingRequestRow) -> StoredRequest:
    return StoredRequest(
        id=row.id,
        vendor_id=row.vendor_id,
        deposit_id=row.deposit_id,
        position=row.position,
        request_ref=row.request_ref,
        kind=RequestKind(row.kind),
        status=Status(row.status),
        dispositif=row.dispositif,
        order_id=row.order_id,
        order_number=row.order_number,
        order_signed_on=row.order_signed_on,
        client_kind=row.client_kind,
        client_id=row.client_id,
        sites=tuple(row.sites),
        advance_id=row.advance_id,
        prestation_ht_cents=row.prestation_ht_cents,
        prestation_ttc_cents=row.prestation_ttc_cents,
        advance_rate=None if row.advance_rate is None else Decimal(row.advance_rate),
        amount_ht_cents=row.amount_ht_cents,
        amount_ttc_cents=row.amount_ttc_cents,
        codes=tuple(row.codes),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _transition(row: RequestTransitionRow) -> TransitionRecord:
    return TransitionRecord(
        id=row.id,
        request_id=row.request_id,
        at=row.at,
        actor=row.actor,
        audience=Audience(row.audience),
        action=row.action,
        from_status=None if row.from_status is None else Status(row.from_status),
        to_status=Status(row.to_status),
        motive=row.motive,
        reason=None if row.reason is None else ReasonCode(row.reason),
        file_name=row.file_name,
        file_sha256=row.file_sha256,
        journal_entry_id=row.journal_entry_id,
    )


# --- repository -------------------------------------------------------------------------------


def swap_status(
    session: Session,
    table: type[FundingRequestRow] | type[Any],
    request_id: int,
    expected_version: int,
    transition: Transition,
    now: dt.datetime,
) -> int:
    """Set a request's status if its version is still `expected_version` (compare-and-swap);
    the new version, or `ConcurrentRequestEditError`. Funding and enrolment requests share it."""
    version = expected_version + 1
    result = session.execute(
        sa.update(table)
        .where(table.id == request_id, table.version == expected_version)
        .values(status=transition.target.value, version=version, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        found = session.scalar(sa.select(table.version).where(table.id == request_id))
        raise ConcurrentRequestEditError(request_id, expected_version, found)
    return version


def clean_motive(motive: str | None) -> str | None:
    return motive.strip() if motive and motive.strip() else None


def transition_document(
    transition: Transition,
    version: int,
    audience: Audience,
    motive: str | None,
    reason: ReasonCode | None,
) -> dict[str, Any]:
    """What the journal keeps of a transition (the `after` side of its entry)."""
    return {
        "status": transition.target.value,
        "version": version,
        "action": transition.action,
        "audience": audience.value,
        "motive": motive,
        "reason": None if reason is None else reason.value,
    }


class RequestRepository:
    """Deposits, funding requests and their transitions. Reads take `vendor_id=None` only for
    the operator, who sees every vendor; the services decide who may ask."""

    def __init__(
        self, session: Session, journal: Journal, actor: str, clock: Callable[[], dt.datetime]
    ) -> None:
        self._session = session
        self._journal = journal
        self._actor = actor
        self._clock = clock

    # -- deposits ----------------------------------------------------------------------------

    def add_deposit(self, vendor_id: int, new: NewDeposit) -> StoredDeposit:
        for role, content in ((JSON_ROLE, new.json_content), (ZIP_ROLE, new.zip_content)):
            if content is not None and len(content) > MAX_STORED_BYTES:
                raise StoreError(
                    f"Fichier {role} du dépôt « {new.name} » trop volumineux pour être conservé "
                    f"({len(content)} octets, limite {MAX_STORED_BYTES} octets)."
                )
        row = DepositRow(
            vendor_id=vendor_id,
            name=new.name,
            origin=new.origin,
            kind=new.kind,
            couloir=new.couloir,
            dispositif=new.dispositif,
            format_version=new.format_version,
            file_created_at=new.file_created_at,
            json_file_name=new.json_file_name,
            json_sha256=sha256_of(new.json_content),
            json_size=len(new.json_content),
            zip_file_name=new.zip_file_name,
            zip_sha256=None if new.zip_content is None else sha256_of(new.zip_content),
            zip_size=None if new.zip_content is None else len(new.zip_content),
            referential_pin=new.referential_pin,
            requests=new.requests,
            recorded_at=self._clock(),
            recorded_by=self._actor,
            filed_at=None,
        )
        self._session.add(row)
        self._session.flush()
        files = [(JSON_ROLE, new.json_file_name, new.json_content)]
        if new.zip_content is not None and new.zip_file_name is not None:
            files.append((ZIP_ROLE, new.zip_file_name, new.zip_content))
        for role, file_name, content in files:
            self._session.add(
                DepositFileRow(
                    deposit_id=row.id,
                    role=role,
                    vendor_id=vendor_id,
                    file_name=file_name,
                    content=content,
                )
            )
        self._session.flush()
        stored = _deposit(row)
        self._journal.record(
            JournalAction.CREATE,
            DEPOSIT,
            str(stored.id),
            after=stored.as_dict(),
            vendor_id=vendor_id,
        )
        return stored

    def deposit(self, deposit_id: int, *, vendor_id: int | None = None) -> StoredDeposit | None:
        query = sa.select(DepositRow).where(DepositRow.id == deposit_id)
        if vendor_id is not None:
            query = query.where(DepositRow.vendor_id == vendor_id)
        row = self._session.scalar(query)
        return None if row is None else _deposit(row)

    def deposit_named(self, vendor_id: int, name: str) -> StoredDeposit | None:
        row = self._session.scalar(
            sa.select(DepositRow).where(DepositRow.vendor_id == vendor_id, DepositRow.name == name)
        )
        return None if row is None else _deposit(row)

    def deposit_with_sha(self, vendor_id: int, json_sha256: str) -> StoredDeposit | None:
        row = self._session.scalar(
            sa.select(DepositRow)
            .where(DepositRow.vendor_id == vendor_id, DepositRow.json_sha256 == json_sha256)
            .order_by(DepositRow.id)
            .limit(1)
        )
        return None if row is None else _deposit(row)

    def deposits(self, vendor_id: int | None = None) -> list[StoredDeposit]:
        query = sa.select(DepositRow).order_by(DepositRow.id)
        if vendor_id is not None:
            query = query.where(DepositRow.vendor_id == vendor_id)
        return [_deposit(row) for row in self._session.scalars(query)]

    def deposit_names(self, vendor_id: int, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return list(
            self._session.scalars(
                sa.select(DepositRow.name).where(
                    DepositRow.vendor_id == vendor_id,
                    DepositRow.name.like(f"{escaped}%", escape="\\"),
                )
            )
        )

    def deposit_content(self, deposit_id: int, role: str) -> tuple[str, bytes] | None:
        """(file name, bytes) of the deposit's JSON file (`JSON_ROLE`) or zip (`ZIP_ROLE`)."""
        row = self._session.get(DepositFileRow, (deposit_id, role))
        return None if row is None else (row.file_name, row.content)

    def mark_deposit_filed(self, deposit: StoredDeposit) -> StoredDeposit:
        row = self._session.get(DepositRow, deposit.id)
        if row is None:
            raise StoreError(f"Le dépôt n° {deposit.id} n'existe plus.")
        before = {"filed_at": None if row.filed_at is None else row.filed_at.isoformat()}
        row.filed_at = self._clock()
        self._session.flush()
        stored = _deposit(row)
        assert stored.filed_at is not None
        self._journal.record(
            JournalAction.UPDATE,
            DEPOSIT,
            str(stored.id),
            before=before,
            after={"filed_at": stored.filed_at.isoformat()},
            vendor_id=stored.vendor_id,
        )
        return stored

    # -- requests ----------------------------------------------------------------------------

    def add_requests(
        self,
        vendor_id: int,
        deposit: StoredDeposit,
        requests: Sequence[NewRequest],
        *,
        action: str,
        audience: Audience,
    ) -> list[StoredRequest]:
        """Record new requests (version 1); each gets its creation in its history and the
        journal (`action`, from no status to its `status`)."""
        if not requests:
            return []
        now = self._clock()
        values = [
            {
                "vendor_id": vendor_id,
                "deposit_id": deposit.id,
                "position": new.position,
                "request_ref": new.request_ref,
                "kind": new.kind.value,
                "status": new.status.value,
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
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for new in requests
        ]
        ids = insert_returning_ids(self._session, FundingRequestRow, values)
        stored = self.many(ids)
        for item, new in zip(stored, requests, strict=True):
            entry = self._journal.record(
                JournalAction.CREATE,
                FUNDING_REQUEST,
                str(item.id),
                after=item.document()
                | {"deposit": deposit.name, "action": action, "motive": new.motive},
                vendor_id=vendor_id,
            )
            self._session.add(
                RequestTransitionRow(
                    request_id=item.id,
                    vendor_id=vendor_id,
                    at=now,
                    actor=self._actor,
                    audience=audience.value,
                    action=action,
                    from_status=None,
                    to_status=item.status.value,
                    motive=new.motive,
                    reason=None,
                    file_name=deposit.json_file_name,
                    file_sha256=deposit.json_sha256,
                    journal_entry_id=entry.id,
                )
            )
        self._session.flush()
        return stored

    def get(self, request_id: int, *, vendor_id: int | None = None) -> StoredRequest | None:
        query = sa.select(FundingRequestRow).where(FundingRequestRow.id == request_id)
        if vendor_id is not None:
            query = query.where(FundingRequestRow.vendor_id == vendor_id)
        row = self._session.scalar(query)
        return None if row is None else _request(row)

    def many(self, ids: Iterable[int]) -> list[StoredRequest]:
        """The requests of these ids, in the order given."""
        wanted = list(ids)
        found: dict[int, StoredRequest] = {}
        for chunk in chunked(sorted(set(wanted)), IN_CHUNK):
            rows = self._session.scalars(
                sa.select(FundingRequestRow).where(FundingRequestRow.id.in_(chunk))
            )
            found.update((row.id, _request(row)) for row in rows)
        return [found[request_id] for request_id in wanted if request_id in found]

    def find(
        self,
        *,
        vendor_id: int | None = None,
        status: Status | None = None,
        kind: RequestKind | None = None,
        dispositif: str | None = None,
        deposit_id: int | None = None,
        request_refs: Iterable[str] | None = None,
        order_ids: Iterable[int] | None = None,
        advance_ids: Iterable[int] | None = None,
    ) -> list[StoredRequest]:
        """Requests matching every filter given, oldest first."""
        conditions: list[sa.ColumnElement[bool]] = []
        if vendor_id is not None:
            conditions.append(FundingRequestRow.vendor_id == vendor_id)
        if status is not None:
            conditions.append(FundingRequestRow.status == status.value)
        if kind is not None:
            conditions.append(FundingRequestRow.kind == kind.value)
        if dispositif is not None:
            conditions.append(FundingRequestRow.dispositif == dispositif)
        if deposit_id is not None:
            conditions.append(FundingRequestRow.deposit_id == deposit_id)
        query = sa.select(FundingRequestRow).where(*conditions).order_by(FundingRequestRow.id)
        keyed: list[tuple[Any, list[Any]]] = []
        if request_refs is not None:
            keyed.append((FundingRequestRow.request_ref, sorted(set(request_refs))))
        if order_ids is not None:
            keyed.append((FundingRequestRow.order_id, sorted(set(order_ids))))
        if advance_ids is not None:
            keyed.append((FundingRequestRow.advance_id, sorted(set(advance_ids))))
        if not keyed:
            return [_request(row) for row in self._session.scalars(query)]
        column, keys = keyed[0]
        found: dict[int, StoredRequest] = {}
        for chunk in chunked(keys, IN_CHUNK):
            chunk_query = query.where(column.in_(chunk))
            for extra_column, extra_keys in keyed[1:]:
                chunk_query = chunk_query.where(extra_column.in_(extra_keys))
            found.update((row.id, _request(row)) for row in self._session.scalars(chunk_query))
        return [found[key] for key in sorted(found)]

    def history(self, request_id: int) -> list[TransitionRecord]:
        rows = self._session.scalars(
            sa.select(RequestTransitionRow)
            .where(RequestTransitionRow.request_id == request_id)
            .order_by(RequestTransitionRow.id)
        )
        return [_transition(row) for row in rows]

    def apply(
        self,
        current: StoredRequest,
        transition: Transition,
        *,
        audience: Audience,
        motive: str | None = None,
        reason: ReasonCode | None = None,
        file_name: str | None = None,
        file_sha256: str | None = None,
    ) -> StoredRequest:
        """Write a transition `fire` allowed: the new status if the version still matches
        (compare-and-swap), its history row and its journal entry."""
        now = self._clock()
        version = swap_status(
            self._session, FundingRequestRow, current.id, current.version, transition, now
        )
        motive = clean_motive(motive)
        entry = self._journal.record(
            JournalAction.UPDATE,
            FUNDING_REQUEST,
            str(current.id),
            before={"status": current.status.value, "version": current.version},
            after={
                **transition_document(transition, version, audience, motive, reason),
                "file_name": file_name,
                "file_sha256": file_sha256,
            },
            vendor_id=current.vendor_id,
        )
        self._session.add(
            RequestTransitionRow(
                request_id=current.id,
                vendor_id=current.vendor_id,
                at=now,
                actor=self._actor,
                audience=audience.value,
                action=transition.action,
                from_status=current.status.value,
                to_status=transition.target.value,
                motive=motive,
                reason=None if reason is None else reason.value,
                file_name=file_name,
                file_sha256=file_sha256,
                journal_entry_id=entry.id,
            )
        )
        self._session.flush()
        updated = self.get(current.id)
        assert updated is not None
        return updated
