"""Importing a file into the store: all or nothing, once, with every problem of the file listed.

Every import use case (FINESS extract, legal entities, eligibility base, solutions, orders) runs
through `run_import`, which gives them the same three guarantees:

- **idempotent**: the file is known by its SHA-256; the same bytes imported again (under any
  name) change nothing, and the outcome says when and by whom it was first imported;
- **all or nothing**: the file is read and stored in one unit of work; if its report has any
  error — found while reading or while matching it against the store — the unit of work rolls
  back, so nothing is stored, neither the rows, nor the import, nor a journal entry;
- **journaled**: the import itself (file, SHA-256, rows) and every entity it creates or changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.formats.problems import ImportReport
from sons.store.imports import ImportBatch, ImportKind, already_imported_message, file_sha256
from sons.store.journal import Change
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` during a long import or check (bytes, rows or orders)."""

KIND_LABELS: dict[ImportKind, str] = {
    ImportKind.FINESS: "extrait FINESS",
    ImportKind.LEGAL_ENTITIES: "entités juridiques",
    ImportKind.PROFESSIONALS: "professionnels",
    ImportKind.ELIGIBILITY: "base d'éligibilité",
    ImportKind.SOLUTIONS: "solutions",
    ImportKind.ORDERS: "bons de commande",
    ImportKind.REGISTRY_VENDORS: "registre des éditeurs enrôlés",
    ImportKind.REGISTRY_SOLUTIONS: "registre des solutions référencées",
}
# What one stored row is, in the outcome's sentence.
ROW_NOUNS: dict[ImportKind, str] = {
    ImportKind.FINESS: "établissement(s)",
    ImportKind.LEGAL_ENTITIES: "entité(s) juridique(s)",
    ImportKind.PROFESSIONALS: "professionnel(s)",
    ImportKind.ELIGIBILITY: "plafond(s)",
    ImportKind.SOLUTIONS: "solution(s)",
    ImportKind.ORDERS: "bon(s) de commande",
    ImportKind.REGISTRY_VENDORS: "éditeur(s) enrôlé(s)",
    ImportKind.REGISTRY_SOLUTIONS: "solution(s) référencée(s)",
}
_CHANGE_LABELS = {
    Change.CREATED: "créé(s)",
    Change.UPDATED: "modifié(s)",
    Change.UNCHANGED: "inchangé(s)",
}


@dataclass
class Stored:
    """What the storing step of an import did: rows written, and per entity what changed
    (empty for bulk upserts of reference data, which do not tell)."""

    rows: int = 0
    changes: dict[Change, int] = field(default_factory=dict)

    def count(self, change: Change) -> None:
        self.rows += 1
        self.changes[change] = self.changes.get(change, 0) + 1


@dataclass(frozen=True)
class ImportOutcome:
    """What an import did. Exactly one of: refused (`report.has_errors`), already imported
    (`earlier`), or stored (`batch`)."""

    kind: ImportKind
    report: ImportReport
    batch: ImportBatch | None = None
    earlier: ImportBatch | None = None
    stored: Stored = field(default_factory=Stored)

    @property
    def refused(self) -> bool:
        return self.report.has_errors

    def message(self) -> str:
        """One French sentence for people."""
        if self.earlier is not None:
            return already_imported_message(self.earlier)
        if self.batch is None:
            return self.report.summary()
        noun = ROW_NOUNS[self.kind]
        details = ", ".join(
            f"{self.stored.changes[change]} {label}"
            for change, label in _CHANGE_LABELS.items()
            if self.stored.changes.get(change)
        )
        warnings = (
            f" ; {self.report.warning_count} avertissement(s) à lire"
            if self.report.warning_count
            else ""
        )
        return (
            f"{self.report.file} ({KIND_LABELS[self.kind]}) importé (import n° "
            f"{self.batch.id}) : {self.stored.rows} {noun}"
            + (f" ({details})" if details else " enregistré(s)")
            + f"{warnings}."
        )

    def as_dict(self) -> dict[str, Any]:
        batch = self.batch or self.earlier
        return {
            "kind": self.kind.value,
            "status": (
                "refused" if self.refused else "already_imported" if self.earlier else "imported"
            ),
            "message": self.message(),
            "import_id": None if batch is None else batch.id,
            "rows": self.stored.rows,
            "changes": {change.value: count for change, count in self.stored.changes.items()},
            "report": self.report.as_dict(),
        }


class _Refused(Exception):
    """Raised inside the unit of work to roll it back: the file has errors."""


StoreStep = Callable[[UnitOfWork, ImportBatch], tuple[ImportReport, Stored]]


def run_import(
    engine: Engine,
    path: Path,
    kind: ImportKind,
    store: StoreStep,
    *,
    actor: str,
    clock: Clock = system_clock,
    vendor_id: int | None = None,
) -> ImportOutcome:
    """Import `path` once, all or nothing. `store(uow, batch)` reads the file, writes what it
    holds (tagged with `batch.id`) and returns the report and what it stored; any error in
    the report rolls everything back."""
    if not path.is_file():
        report = ImportReport.for_path(path, KIND_LABELS[kind])
        report.error(None, None, str(path), "FILE_NOT_FOUND", "fichier introuvable")
        return ImportOutcome(kind, report)
    sha256 = file_sha256(path)
    refused: ImportReport | None = None
    try:
        with UnitOfWork(engine, actor, clock) as uow:
            earlier = uow.imports.find(kind, sha256, vendor_id=vendor_id)
            if earlier is not None:
                return ImportOutcome(
                    kind, ImportReport.for_path(path, KIND_LABELS[kind]), earlier=earlier
                )
            batch = uow.imports.register(kind, path.name, sha256, vendor_id=vendor_id)
            report, stored = store(uow, batch)
            if report.has_errors:
                refused = report
                raise _Refused
            done = uow.imports.complete(batch, stored.rows)
    except _Refused:
        assert refused is not None
        return ImportOutcome(kind, refused)
    return ImportOutcome(kind, report, batch=done, stored=stored)
