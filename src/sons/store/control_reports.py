"""The files of an a-posteriori control run, kept for a while for the operator who ran it
(migration 0007_control_reports).

The web page runs the controls, shows the verdicts and offers the report files to download. The
download is a second request, which may reach another worker process of the server, or come
after a restart: so the files live in the database, not in a process's memory. One row per run:
the SHA-256 of the random token the page links to (a copy of the database opens no report), the
user who ran it, and when it expires; one row per file. Creating and purging runs are journaled
(file names and sizes, never their content).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from sons.store.journal import JournalAction, JournaledRepository
from sons.store.tables import HASH_LENGTH, Base

CONTROL_REPORT = "control_report"


class ControlReportRow(Base):
    __tablename__ = "control_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ControlReportFileRow(Base):
    __tablename__ = "control_report_files"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("control_reports.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True, slots=True)
class KeptReport:
    id: int
    expires_at: dt.datetime


class ControlReportRepository(JournaledRepository):
    def add(
        self, user_id: int, token_sha256: str, files: Mapping[str, bytes], ttl: dt.timedelta
    ) -> KeptReport:
        now = self._clock()
        row = ControlReportRow(
            token_sha256=token_sha256, user_id=user_id, created_at=now, expires_at=now + ttl
        )
        self._session.add(row)
        self._session.flush()
        self._session.add_all(
            ControlReportFileRow(report_id=row.id, name=name, content=content)
            for name, content in files.items()
        )
        self._journal.record(
            JournalAction.CREATE,
            CONTROL_REPORT,
            str(row.id),
            after={
                "user_id": user_id,
                "expires_at": row.expires_at.isoformat(),
                "files": {name: len(content) for name, content in sorted(files.items())},
            },
        )
        return KeptReport(row.id, row.expires_at)

    def file(self, user_id: int, token_sha256: str, name: str) -> bytes | None:
        """A file of the user's own unexpired run; anyone else's answers as a missing one."""
        content: bytes | None = self._session.scalar(
            sa.select(ControlReportFileRow.content)
            .join(ControlReportRow, ControlReportRow.id == ControlReportFileRow.report_id)
            .where(
                ControlReportRow.token_sha256 == token_sha256,
                ControlReportRow.user_id == user_id,
                ControlReportRow.expires_at > self._clock(),
                ControlReportFileRow.name == name,
            )
        )
        return content

    def purge_expired(self) -> int:
        """Delete the runs past their time, files included; how many."""
        expired = list(
            self._session.scalars(
                sa.select(ControlReportRow.id).where(ControlReportRow.expires_at <= self._clock())
            )
        )
        if not expired:
            return 0
        # Files first: SQLite enforces the cascade only with its foreign keys switched on.
        self._session.execute(
            sa.delete(ControlReportFileRow).where(ControlReportFileRow.report_id.in_(expired))
        )
        self._session.execute(sa.delete(ControlReportRow).where(ControlReportRow.id.in_(expired)))
        for report_id in expired:
            self._journal.record(JournalAction.DELETE, CONTROL_REPORT, str(report_id))
        return len(expired)
