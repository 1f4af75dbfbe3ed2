"""The registry of imported files: what makes every import idempotent.

A file is known by its kind, its scope (shared reference data or one vendor) and the SHA-256 of
its bytes. Importing the same file again finds the earlier batch and changes nothing; the unique
constraint on (kind, scope, sha256) holds even when two imports of it race.

Usage, inside one unit of work (so a failure leaves nothing, the batch row included):
    batch = uow.imports.register(ImportKind.FINESS, path.name, file_sha256(path))
    count = uow.directory.upsert_establishments(rows, batch_id=batch.id)
    uow.imports.complete(batch, count)      # sets the row count and journals the import
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sons.store.errors import AlreadyImportedError, StoreError
from sons.store.journal import Journal, JournalAction
from sons.store.tables import ImportBatchRow

IMPORT_BATCH = "import_batch"
SHARED_SCOPE = "shared"


class ImportKind(StrEnum):
    FINESS = "finess"
    LEGAL_ENTITIES = "legal_entities"
    PROFESSIONALS = "professionals"
    ELIGIBILITY = "eligibility"
    SOLUTIONS = "solutions"
    ORDERS = "orders"
    TRANSMISSIONS = "transmissions"
    REGISTRY_VENDORS = "registry_vendors"
    REGISTRY_SOLUTIONS = "registry_solutions"


@dataclass(frozen=True, slots=True)
class ImportBatch:
    id: int
    kind: str
    file_name: str
    sha256: str
    rows: int
    imported_at: dt.datetime
    actor: str
    vendor_id: int | None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scope_of(vendor_id: int | None) -> str:
    return SHARED_SCOPE if vendor_id is None else f"vendor:{vendor_id}"


def _batch(row: ImportBatchRow) -> ImportBatch:
    return ImportBatch(
        id=row.id,
        kind=row.kind,
        file_name=row.file_name,
        sha256=row.sha256,
        rows=row.rows,
        imported_at=row.imported_at,
        actor=row.actor,
        vendor_id=row.vendor_id,
    )


class ImportRegistry:
    def __init__(
        self,
        session: Session,
        journal: Journal,
        actor: str,
        clock: Callable[[], dt.datetime],
    ) -> None:
        self._session = session
        self._journal = journal
        self._actor = actor
        self._clock = clock
        self._open: set[int] = set()

    def find(
        self, kind: ImportKind | str, sha256: str, *, vendor_id: int | None = None
    ) -> ImportBatch | None:
        """The earlier import of this very file, if any."""
        row = self._session.scalar(
            sa.select(ImportBatchRow).where(
                ImportBatchRow.kind == str(kind),
                ImportBatchRow.scope == scope_of(vendor_id),
                ImportBatchRow.sha256 == sha256,
            )
        )
        return None if row is None else _batch(row)

    def register(
        self,
        kind: ImportKind | str,
        file_name: str,
        sha256: str,
        *,
        vendor_id: int | None = None,
    ) -> ImportBatch:
        """Open a batch for this file; `AlreadyImportedError` if it was imported before."""
        earlier = self.find(kind, sha256, vendor_id=vendor_id)
        if earlier is not None:
            raise AlreadyImportedError(already_imported_message(earlier))
        row = ImportBatchRow(
            kind=str(kind),
            scope=scope_of(vendor_id),
            vendor_id=vendor_id,
            file_name=file_name,
            sha256=sha256,
            rows=0,
            imported_at=self._clock(),
            actor=self._actor,
        )
        self._session.add(row)
        self._session.flush()
        self._open.add(row.id)
        return _batch(row)

    def complete(self, batch: ImportBatch, rows: int) -> ImportBatch:
        """Record how many rows the batch stored, and journal the import."""
        row = self._session.get(ImportBatchRow, batch.id)
        if row is None or batch.id not in self._open:
            raise StoreError(f"L'import n° {batch.id} n'est pas ouvert dans cette opération.")
        row.rows = rows
        self._session.flush()
        self._open.discard(batch.id)
        done = _batch(row)
        self._journal.record(
            JournalAction.IMPORT,
            IMPORT_BATCH,
            str(done.id),
            after={
                "kind": done.kind,
                "file_name": done.file_name,
                "sha256": done.sha256,
                "rows": done.rows,
            },
            vendor_id=done.vendor_id,
        )
        return done

    def ensure_completed(self) -> None:
        """Called before commit: a registered batch never completed is a programming error."""
        if self._open:
            numbers = ", ".join(str(n) for n in sorted(self._open))
            raise StoreError(f"Import(s) n° {numbers} enregistré(s) mais jamais terminé(s).")

    def all(
        self, *, kind: ImportKind | str | None = None, vendor_id: int | None = None
    ) -> list[ImportBatch]:
        query = sa.select(ImportBatchRow)
        if kind is not None:
            query = query.where(ImportBatchRow.kind == str(kind))
        if vendor_id is not None:
            query = query.where(ImportBatchRow.vendor_id == vendor_id)
        rows = self._session.scalars(query.order_by(ImportBatchRow.id))
        return [_batch(row) for row in rows]


def already_imported_message(batch: ImportBatch) -> str:
    when = batch.imported_at.astimezone(dt.UTC)
    return (
        f"Ce fichier (SHA-256 {batch.sha256[:12]}…) a déjà été importé le "
        f"{when:%Y-%m-%d à %H:%M} UTC par {batch.actor}, sous le nom « {batch.file_name} » "
        f"(import n° {batch.id}, {batch.rows} ligne(s)) : rien n'a été modifié."
    )
