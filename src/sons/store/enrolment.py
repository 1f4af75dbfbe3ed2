"""Enrolment requests (« demandes d'enrôlement ») and their pieces (migration 0005_registries).

A vendor files one request with its pieces; the operator instructs it through the workflow
table (`sons.domain.workflow.fire`, kind `RequestKind.ENROLMENT`), exactly like a funding
request: every status change writes an `enrolment_transitions` row and a journal entry, and
writes check the optimistic-lock `version`. Pieces are kept as bytes with their SHA-256, size
and media type (sniffed from the content), so the store is the one thing to back up.

Every row carries `vendor_id` (the tenant); a piece's composite foreign key keeps it within
its request's vendor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
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

from sons.domain.enrolment import FilerRole, PieceKind, PieceMedia
from sons.domain.workflow import Audience, ReasonCode, Status, Transition
from sons.store.journal import Journal, JournalAction
from sons.store.requests import (
    clean_motive,
    sha256_of,
    swap_status,
    transition_document,
)
from sons.store.tables import HASH_LENGTH, Base, Timestamps

ENROLMENT_REQUEST = "enrolment_request"


class EnrolmentRequestRow(Timestamps, Base):
    __tablename__ = "enrolment_requests"
    __table_args__ = (
        UniqueConstraint("id", "vendor_id"),
        Index("ix_enrolment_requests_vendor_status", "vendor_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    status: Mapped[str]
    filer_role: Mapped[str]
    filer_name: Mapped[str]
    iban: Mapped[str]
    bic: Mapped[str]
    solutions: Mapped[list[Any]]
    version: Mapped[int] = mapped_column(Integer)


class EnrolmentPieceRow(Base):
    __tablename__ = "enrolment_pieces"
    __table_args__ = (
        ForeignKeyConstraint(
            ["request_id", "vendor_id"],
            ["enrolment_requests.id", "enrolment_requests.vendor_id"],
            ondelete="CASCADE",
        ),
    )

    request_id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(primary_key=True)
    vendor_id: Mapped[int]
    file_name: Mapped[str]
    media_type: Mapped[str]
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(HASH_LENGTH))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class EnrolmentTransitionRow(Base):
    __tablename__ = "enrolment_transitions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["request_id", "vendor_id"],
            ["enrolment_requests.id", "enrolment_requests.vendor_id"],
            ondelete="CASCADE",
        ),
        Index("ix_enrolment_transitions_request", "request_id", "id"),
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
    journal_entry_id: Mapped[int | None]


@dataclass(frozen=True, slots=True)
class NewPiece:
    kind: PieceKind
    file_name: str
    media_type: PieceMedia
    content: bytes


@dataclass(frozen=True, slots=True)
class StoredPiece:
    kind: PieceKind
    file_name: str
    media_type: str
    size: int
    sha256: str

    def document(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "file_name": self.file_name,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class NewEnrolment:
    filer_role: FilerRole
    filer_name: str
    iban: str
    bic: str
    solutions: tuple[str, ...]
    pieces: tuple[NewPiece, ...]


@dataclass(frozen=True, slots=True)
class StoredEnrolment:
    id: int
    vendor_id: int
    status: Status
    filer_role: FilerRole
    filer_name: str
    iban: str
    bic: str
    solutions: tuple[str, ...]
    pieces: tuple[StoredPiece, ...]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    def document(self) -> dict[str, Any]:
        """The request as the journal keeps it (plain JSON values)."""
        return {
            "id": self.id,
            "vendor_id": self.vendor_id,
            "status": self.status.value,
            "filer_role": self.filer_role.value,
            "filer_name": self.filer_name,
            "iban": self.iban,
            "bic": self.bic,
            "solutions": list(self.solutions),
            "pieces": [piece.document() for piece in self.pieces],
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class EnrolmentTransition:
    at: dt.datetime
    actor: str
    audience: Audience
    action: str
    from_status: Status | None
    to_status: Status
    motive: str | None
    reason: ReasonCode | None
    journal_entry_id: int | None

    def document(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "audience": self.audience.value,
            "action": self.action,
            "from_status": None if self.from_status is None else self.from_status.value,
            "to_status": self.to_status.value,
            "motive": self.motive,
            "reason": None if self.reason is None else self.reason.value,
            "journal_entry_id": self.journal_entry_id,
        }


def _transition(row: EnrolmentTransitionRow) -> EnrolmentTransition:
    return EnrolmentTransition(
        at=row.at,
        actor=row.actor,
        audience=Audience(row.audience),
        action=row.action,
        from_status=None if row.from_status is None else Status(row.from_status),
        to_status=Status(row.to_status),
        motive=row.motive,
        reason=None if row.reason is None else ReasonCode(row.reason),
        journal_entry_id=row.journal_entry_id,
    )


class EnrolmentRepository:
    """Reads take `vendor_id=None` only for the operator; the services decide who may ask."""

    def __init__(
        self, session: Session, journal: Journal, actor: str, clock: Callable[[], dt.datetime]
    ) -> None:
        self._session = session
        self._journal = journal
        self._actor = actor
        self._clock = clock

    def _stored(self, row: EnrolmentRequestRow) -> StoredEnrolment:
        pieces = self._session.execute(
            sa.select(
                EnrolmentPieceRow.kind,
                EnrolmentPieceRow.file_name,
                EnrolmentPieceRow.media_type,
                EnrolmentPieceRow.size,
                EnrolmentPieceRow.sha256,
            )
            .where(EnrolmentPieceRow.request_id == row.id)
            .order_by(EnrolmentPieceRow.kind)
        ).all()
        return StoredEnrolment(
            id=row.id,
            vendor_id=row.vendor_id,
            status=Status(row.status),
            filer_role=FilerRole(row.filer_role),
            filer_name=row.filer_name,
            iban=row.iban,
            bic=row.bic,
            solutions=tuple(row.solutions),
            pieces=tuple(
                StoredPiece(PieceKind(kind), name, media, size, sha)
                for kind, name, media, size, sha in pieces
            ),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def add(
        self, vendor_id: int, new: NewEnrolment, *, status: Status, action: str
    ) -> StoredEnrolment:
        """Record a request at `status` (its creation is its first transition, by `action`)."""
        now = self._clock()
        row = EnrolmentRequestRow(
            vendor_id=vendor_id,
            status=status.value,
            filer_role=new.filer_role.value,
            filer_name=new.filer_name,
            iban=new.iban,
            bic=new.bic,
            solutions=list(new.solutions),
            version=1,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        self._session.flush()
        for piece in new.pieces:
            self._session.add(
                EnrolmentPieceRow(
                    request_id=row.id,
                    kind=piece.kind.value,
                    vendor_id=vendor_id,
                    file_name=piece.file_name,
                    media_type=piece.media_type.value,
                    size=len(piece.content),
                    sha256=sha256_of(piece.content),
                    content=piece.content,
                )
            )
        self._session.flush()
        stored = self._stored(row)
        entry = self._journal.record(
            JournalAction.CREATE,
            ENROLMENT_REQUEST,
            str(stored.id),
            after=stored.document() | {"action": action},
            vendor_id=vendor_id,
        )
        self._session.add(
            EnrolmentTransitionRow(
                request_id=stored.id,
                vendor_id=vendor_id,
                at=now,
                actor=self._actor,
                audience=Audience.VENDOR.value,
                action=action,
                from_status=None,
                to_status=status.value,
                motive=None,
                reason=None,
                journal_entry_id=entry.id,
            )
        )
        self._session.flush()
        return stored

    def get(self, request_id: int, *, vendor_id: int | None = None) -> StoredEnrolment | None:
        query = sa.select(EnrolmentRequestRow).where(EnrolmentRequestRow.id == request_id)
        if vendor_id is not None:
            query = query.where(EnrolmentRequestRow.vendor_id == vendor_id)
        row = self._session.scalar(query)
        return None if row is None else self._stored(row)

    def find(
        self, *, vendor_id: int | None = None, status: Status | None = None
    ) -> list[StoredEnrolment]:
        query = sa.select(EnrolmentRequestRow).order_by(EnrolmentRequestRow.id)
        if vendor_id is not None:
            query = query.where(EnrolmentRequestRow.vendor_id == vendor_id)
        if status is not None:
            query = query.where(EnrolmentRequestRow.status == status.value)
        return [self._stored(row) for row in self._session.scalars(query)]

    def piece_content(self, request_id: int, kind: PieceKind) -> bytes | None:
        row = self._session.get(EnrolmentPieceRow, (request_id, kind.value))
        return None if row is None else row.content

    def history(self, request_id: int) -> list[EnrolmentTransition]:
        rows = self._session.scalars(
            sa.select(EnrolmentTransitionRow)
            .where(EnrolmentTransitionRow.request_id == request_id)
            .order_by(EnrolmentTransitionRow.id)
        )
        return [_transition(row) for row in rows]

    def apply(
        self,
        current: StoredEnrolment,
        transition: Transition,
        *,
        audience: Audience,
        motive: str | None = None,
        reason: ReasonCode | None = None,
    ) -> StoredEnrolment:
        """Write a transition `fire` allowed, if the version still matches (compare-and-swap)."""
        now = self._clock()
        version = swap_status(
            self._session, EnrolmentRequestRow, current.id, current.version, transition, now
        )
        motive = clean_motive(motive)
        entry = self._journal.record(
            JournalAction.UPDATE,
            ENROLMENT_REQUEST,
            str(current.id),
            before={"status": current.status.value, "version": current.version},
            after=transition_document(transition, version, audience, motive, reason),
            vendor_id=current.vendor_id,
        )
        self._session.add(
            EnrolmentTransitionRow(
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
                journal_entry_id=entry.id,
            )
        )
        self._session.flush()
        updated = self.get(current.id)
        assert updated is not None
        return updated
