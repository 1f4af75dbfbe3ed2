"""The operator's registries: importing the enrolled vendors and the referenced solutions, and
listing them (docs/registres.md).

Both imports run through `run_import`: once per file (SHA-256), all or nothing, journaled. A
row already stored under the same key (SIRET, referencing number) is replaced by the file's;
the others stay. A vendor enrolled through a validated enrolment request is in the same
registry (`origin` « enrolement »).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.formats.problems import ImportReport
from sons.formats.registries import read_enrolled_vendors, read_referenced_solutions
from sons.referential.loader import Referential
from sons.services.actors import reading
from sons.services.importing import ImportOutcome, Stored, run_import
from sons.store.imports import ImportBatch, ImportKind
from sons.store.registries import EnrolledVendor, ReferencedSolution, RegistryRepository
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock


def registries_of(uow: UnitOfWork) -> RegistryRepository:
    """The registries within a unit of work (its session, journal and clock)."""
    return RegistryRepository(uow.session, uow.journal, uow.now)


def import_enrolled_vendors(
    engine: Engine, path: Path, *, actor: str, clock: Clock = system_clock
) -> ImportOutcome:
    """Import the registry of enrolled vendors. A referencing number the solutions registry
    does not hold is a warning (the two registries may be imported in either order)."""

    def store(uow: UnitOfWork, batch: ImportBatch) -> tuple[ImportReport, Stored]:
        result = read_enrolled_vendors(path)
        stored = Stored()
        if not result.ok:
            return result.report, stored
        registries = registries_of(uow)
        known = registries.solutions(n for v in result.items for n in v.solutions)
        for vendor in result.items:
            unknown = sorted(vendor.solutions - set(known))
            if unknown:
                result.report.warning(
                    None,
                    "numeros_referencement",
                    ";".join(unknown),
                    "REGISTRY_SOLUTION_NOT_LISTED",
                    f"éditeur {vendor.siret} : solution(s) {', '.join(unknown)} absente(s) du "
                    "registre des solutions référencées (sons operator registry "
                    "import-solutions) ; ses demandes pour elles seront refusées tant qu'elles "
                    "n'y figurent pas",
                )
            stored.count(registries.save_vendor(vendor, batch_id=batch.id))
        return result.report, stored

    return run_import(engine, path, ImportKind.REGISTRY_VENDORS, store, actor=actor, clock=clock)


def import_referenced_solutions(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> ImportOutcome:
    def store(uow: UnitOfWork, batch: ImportBatch) -> tuple[ImportReport, Stored]:
        result = read_referenced_solutions(path, referential)
        stored = Stored()
        if result.ok:
            registries = registries_of(uow)
            for solution in result.items:
                stored.count(registries.save_solution(solution, batch_id=batch.id))
        return result.report, stored

    return run_import(engine, path, ImportKind.REGISTRY_SOLUTIONS, store, actor=actor, clock=clock)


@dataclass(frozen=True)
class RegistryListing:
    vendors: list[EnrolledVendor] = field(default_factory=list)
    solutions: list[ReferencedSolution] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "vendors": [vendor.document() for vendor in self.vendors],
            "solutions": [solution.document() for solution in self.solutions],
        }


def list_registries(engine: Engine) -> RegistryListing:
    with reading(engine) as uow:
        registries = registries_of(uow)
        return RegistryListing(registries.vendors(), list(registries.solutions().values()))
