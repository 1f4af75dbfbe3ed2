"""Client questionnaire links (migration 0006_web): a vendor lets a client's IT manager answer an
order's questionnaire without an account.

One row per link: the order it opens (scoped to its vendor), the SHA-256 of its random nonce
(the signed token carries the nonce; a copy of the database opens no link), when it expires, and
its end — revoked by the vendor, or used once by the client, who is recorded by the name and
address they typed. Ending a link is a compare-and-set on « still open », so two submissions
racing on one link cannot both land. Every write is journaled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sons.store.errors import NotFoundError, StoreError
from sons.store.journal import JournalAction, JournaledRepository
from sons.store.tables import HASH_LENGTH, Base, PurchaseOrderRow

QUESTIONNAIRE_LINK = "questionnaire_link"


class LinkState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUBMITTED = "submitted"


LINK_STATE_LABELS = {
    LinkState.OPEN: "ouvert",
    LinkState.EXPIRED: "expiré",
    LinkState.REVOKED: "révoqué",
    LinkState.SUBMITTED: "réponses reçues",
}


class QuestionnaireLinkRow(Base):
    __tablename__ = "questionnaire_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["order_id", "vendor_id"],
            ["purchase_orders.id", "purchase_orders.vendor_id"],
            ondelete="CASCADE",
        ),
        Index("ix_questionnaire_links_vendor_order", "vendor_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"))
    order_id: Mapped[int]
    nonce_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    recipient: Mapped[str]
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by: Mapped[str | None]
    submitted_at: Mapped[dt.datetime | None]
    submitted_by: Mapped[str | None]


@dataclass(frozen=True, slots=True)
class QuestionnaireLink:
    id: int
    vendor_id: int
    order_id: int
    nonce_sha256: str
    recipient: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None
    submitted_at: dt.datetime | None
    submitted_by: str | None

    def state(self, now: dt.datetime) -> LinkState:
        if self.submitted_at is not None:
            return LinkState.SUBMITTED
        if self.revoked_at is not None:
            return LinkState.REVOKED
        if now >= self.expires_at:
            return LinkState.EXPIRED
        return LinkState.OPEN

    def document(self, number: str) -> dict[str, Any]:
        """The link as the journal keeps it (never the nonce)."""
        return {
            "id": self.id,
            "order": number,
            "recipient": self.recipient,
            "expires_at": self.expires_at.isoformat(),
            "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
            "revoked_by": self.revoked_by,
            "submitted_at": None if self.submitted_at is None else self.submitted_at.isoformat(),
            "submitted_by": self.submitted_by,
        }


def _link(row: QuestionnaireLinkRow) -> QuestionnaireLink:
    return QuestionnaireLink(
        id=row.id,
        vendor_id=row.vendor_id,
        order_id=row.order_id,
        nonce_sha256=row.nonce_sha256,
        recipient=row.recipient,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        revoked_by=row.revoked_by,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
    )


class LinkClosedError(StoreError):
    """The link was revoked or used meanwhile: nothing was written."""


class QuestionnaireLinkRepository(JournaledRepository):
    def get(self, link_id: int) -> QuestionnaireLink | None:
        """Any vendor's link: the client holds no account, the signed token names the link."""
        row = self._session.get(QuestionnaireLinkRow, link_id)
        return None if row is None else _link(row)

    def order_number(self, link: QuestionnaireLink) -> str | None:
        return self._session.scalar(
            sa.select(PurchaseOrderRow.number).where(
                PurchaseOrderRow.id == link.order_id, PurchaseOrderRow.vendor_id == link.vendor_id
            )
        )

    def of_order(self, vendor_id: int, order_id: int) -> list[QuestionnaireLink]:
        rows = self._session.scalars(
            sa.select(QuestionnaireLinkRow)
            .where(
                QuestionnaireLinkRow.vendor_id == vendor_id,
                QuestionnaireLinkRow.order_id == order_id,
            )
            .order_by(QuestionnaireLinkRow.id.desc())
        )
        return [_link(row) for row in rows]

    def add(
        self,
        vendor_id: int,
        order_id: int,
        number: str,
        *,
        nonce_sha256: str,
        recipient: str,
        expires_at: dt.datetime,
        created_by: str,
    ) -> QuestionnaireLink:
        row = QuestionnaireLinkRow(
            vendor_id=vendor_id,
            order_id=order_id,
            nonce_sha256=nonce_sha256,
            recipient=recipient,
            created_at=self._clock(),
            created_by=created_by,
            expires_at=expires_at,
        )
        self._session.add(row)
        self._session.flush()
        link = _link(row)
        self._journal.record(
            JournalAction.CREATE,
            QUESTIONNAIRE_LINK,
            str(link.id),
            after=link.document(number),
            vendor_id=vendor_id,
        )
        return link

    def revoke(self, vendor_id: int, link_id: int, number: str, *, by: str) -> QuestionnaireLink:
        return self._close(vendor_id, link_id, number, revoked_at=self._clock(), revoked_by=by)

    def mark_submitted(
        self, vendor_id: int, link_id: int, number: str, *, by: str
    ) -> QuestionnaireLink:
        return self._close(vendor_id, link_id, number, submitted_at=self._clock(), submitted_by=by)

    def _close(self, vendor_id: int, link_id: int, number: str, **values: Any) -> QuestionnaireLink:
        before = self._session.get(QuestionnaireLinkRow, link_id)
        if before is None or before.vendor_id != vendor_id:
            raise NotFoundError(f"Le lien de questionnaire n° {link_id} n'existe pas.")
        previous = _link(before)
        # Compare-and-set: only a link still open (neither revoked nor used) is closed.
        result = self._session.execute(
            sa.update(QuestionnaireLinkRow)
            .where(
                QuestionnaireLinkRow.id == link_id,
                QuestionnaireLinkRow.revoked_at.is_(None),
                QuestionnaireLinkRow.submitted_at.is_(None),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise LinkClosedError(
                f"Le lien de questionnaire n° {link_id} est déjà révoqué ou déjà utilisé."
            )
        self._session.expire(before)
        after = _link(before)
        self._journal.record(
            JournalAction.UPDATE,
            QUESTIONNAIRE_LINK,
            str(link_id),
            before=previous.document(number),
            after=after.document(number),
            vendor_id=vendor_id,
        )
        return after
