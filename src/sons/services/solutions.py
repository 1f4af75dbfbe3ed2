"""A vendor's referenced solutions: importing them (CSV, XLSX or JSON) and listing them.

A solution is keyed by its referencing number within its vendor: importing a file creates the
new ones, updates those that changed (name, version, profiles, date…) and leaves the others
untouched; each change is journaled, and the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.orders import Solution
from sons.formats.problems import ImportReport
from sons.formats.solutions import read_solutions
from sons.referential.loader import Referential, UnknownDispositif, default_referential
from sons.services.actors import reading
from sons.services.importing import ImportOutcome, Stored, run_import
from sons.store.imports import ImportBatch, ImportKind
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock


def import_solutions(
    engine: Engine,
    path: Path,
    *,
    vendor_id: int,
    actor: str,
    clock: Clock = system_clock,
    referential: Referential | None = None,
    today: dt.date | None = None,
) -> ImportOutcome:
    """Import a vendor's solutions; `today` dates the profiles of a solution without a
    referencing date (see `sons.formats.solutions`)."""

    def store(uow: UnitOfWork, batch: ImportBatch) -> tuple[ImportReport, Stored]:
        result = read_solutions(path, referential, today)
        stored = Stored()
        if result.ok:
            for solution in result.items:
                stored.count(uow.solutions.save(vendor_id, solution).change)
        return result.report, stored

    return run_import(
        engine, path, ImportKind.SOLUTIONS, store, actor=actor, clock=clock, vendor_id=vendor_id
    )


@dataclass(frozen=True)
class SolutionEntry:
    solution: Solution
    orders: int
    # The obtained profiles by their labels in the referential (ids it does not know, as is).
    profile_labels: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        solution = self.solution
        return {
            "name": solution.name,
            "version": solution.version,
            "referencing_number": solution.referencing_number,
            "dispositif": solution.dispositif,
            "profiles": sorted(solution.profiles),
            "profile_labels": list(self.profile_labels),
            "referenced_on": (
                None if solution.referenced_on is None else solution.referenced_on.isoformat()
            ),
            "orders": self.orders,
        }


def _labels(solution: Solution, referential: Referential) -> tuple[str, ...]:
    try:
        known = {p.id: p.label for p in referential.get(solution.dispositif).profiles}
    except UnknownDispositif:
        known = {}
    return tuple(sorted(known.get(p, p) for p in solution.profiles))


def list_solutions(
    engine: Engine, vendor_id: int, *, referential: Referential | None = None
) -> list[SolutionEntry]:
    """The vendor's solutions by dispositif and name, with how many orders name each."""
    referential = referential or default_referential()
    with reading(engine) as uow:
        solutions = uow.solutions.all(vendor_id)
        orders = Counter(s.solution_referencing_number for s in uow.orders.summaries(vendor_id))
    return [
        SolutionEntry(s, orders[s.referencing_number], _labels(s, referential)) for s in solutions
    ]
