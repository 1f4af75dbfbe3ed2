"""Vendors (éditeurs, the tenants) and their referenced solutions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sons.domain.orders import Solution, Vendor
from sons.store.errors import NotFoundError
from sons.store.journal import Change, JournalAction, JournaledRepository
from sons.store.tables import SolutionRow, VendorRow

VENDOR = "vendor"
SOLUTION = "solution"


@dataclass(frozen=True, slots=True)
class Saved:
    """The row a save wrote (or found identical) and what it did."""

    id: int
    change: Change


def vendor_document(vendor: Vendor) -> dict[str, Any]:
    return {
        "name": vendor.name,
        "siren": vendor.siren,
        "siret": vendor.siret,
        "enrolment_number": vendor.enrolment_number,
    }


def solution_document(solution: Solution) -> dict[str, Any]:
    referenced_on = solution.referenced_on
    return {
        "name": solution.name,
        "version": solution.version,
        "referencing_number": solution.referencing_number,
        "dispositif": solution.dispositif,
        "profiles": sorted(solution.profiles),
        "referenced_on": None if referenced_on is None else referenced_on.isoformat(),
    }


def _vendor(row: VendorRow) -> Vendor:
    return Vendor(
        name=row.name, siren=row.siren, siret=row.siret, enrolment_number=row.enrolment_number
    )


def _solution(row: SolutionRow) -> Solution:
    return Solution(
        name=row.name,
        version=row.version,
        referencing_number=row.referencing_number,
        dispositif=row.dispositif,
        profiles=frozenset(row.profiles),
        referenced_on=row.referenced_on,
    )


class VendorRepository(JournaledRepository):
    """Vendors, keyed by SIRET. A vendor's row id is its tenant id (`vendor_id` elsewhere)."""

    def save(self, vendor: Vendor) -> Saved:
        """Create the vendor, or update the one with the same SIRET; journaled when it changes."""
        row = self._session.scalar(sa.select(VendorRow).where(VendorRow.siret == vendor.siret))
        after = vendor_document(vendor)
        now = self._clock()
        if row is None:
            row = VendorRow(**after, created_at=now, updated_at=now)
            self._session.add(row)
            self._session.flush()
            self._journal.record(
                JournalAction.CREATE, VENDOR, vendor.siret, after=after, vendor_id=row.id
            )
            return Saved(row.id, Change.CREATED)
        before = vendor_document(_vendor(row))
        if before == after:
            return Saved(row.id, Change.UNCHANGED)
        for name, value in after.items():
            setattr(row, name, value)
        row.updated_at = now
        self._session.flush()
        self._journal.record(
            JournalAction.UPDATE, VENDOR, vendor.siret, before=before, after=after, vendor_id=row.id
        )
        return Saved(row.id, Change.UPDATED)

    def id_of(self, siret: str) -> int | None:
        return self._session.scalar(sa.select(VendorRow.id).where(VendorRow.siret == siret))

    def require_id(self, siret: str) -> int:
        vendor_id = self.id_of(siret)
        if vendor_id is None:
            raise NotFoundError(f"Aucun éditeur de SIRET {siret} n'est enregistré.")
        return vendor_id

    def get(self, vendor_id: int) -> Vendor | None:
        row = self._session.get(VendorRow, vendor_id)
        return None if row is None else _vendor(row)

    def by_siret(self, siret: str) -> Vendor | None:
        row = self._session.scalar(sa.select(VendorRow).where(VendorRow.siret == siret))
        return None if row is None else _vendor(row)

    def all(self) -> dict[int, Vendor]:
        rows = self._session.scalars(sa.select(VendorRow).order_by(VendorRow.name, VendorRow.id))
        return {row.id: _vendor(row) for row in rows}


class SolutionRepository(JournaledRepository):
    """A vendor's solutions, keyed by referencing number within the vendor."""

    def save(self, vendor_id: int, solution: Solution) -> Saved:
        """Create, or update the solution with the same referencing number; journaled when it
        changes, untouched (`Change.UNCHANGED`) when identical — re-imports change nothing."""
        row = self._row(vendor_id, solution.referencing_number)
        after = solution_document(solution)
        now = self._clock()
        entity_id = solution.referencing_number
        if row is None:
            row = SolutionRow(
                vendor_id=vendor_id,
                name=solution.name,
                version=solution.version,
                referencing_number=solution.referencing_number,
                dispositif=solution.dispositif,
                profiles=after["profiles"],
                referenced_on=solution.referenced_on,
                created_at=now,
                updated_at=now,
            )
            self._session.add(row)
            self._session.flush()
            self._journal.record(
                JournalAction.CREATE, SOLUTION, entity_id, after=after, vendor_id=vendor_id
            )
            return Saved(row.id, Change.CREATED)
        before = solution_document(_solution(row))
        if before == after:
            return Saved(row.id, Change.UNCHANGED)
        row.name = solution.name
        row.version = solution.version
        row.dispositif = solution.dispositif
        row.profiles = after["profiles"]
        row.referenced_on = solution.referenced_on
        row.updated_at = now
        self._session.flush()
        self._journal.record(
            JournalAction.UPDATE,
            SOLUTION,
            entity_id,
            before=before,
            after=after,
            vendor_id=vendor_id,
        )
        return Saved(row.id, Change.UPDATED)

    def get(self, vendor_id: int, referencing_number: str) -> Solution | None:
        row = self._row(vendor_id, referencing_number)
        return None if row is None else _solution(row)

    def all(self, vendor_id: int, *, dispositif: str | None = None) -> list[Solution]:
        query = sa.select(SolutionRow).where(SolutionRow.vendor_id == vendor_id)
        if dispositif is not None:
            query = query.where(SolutionRow.dispositif == dispositif)
        query = query.order_by(SolutionRow.dispositif, SolutionRow.name, SolutionRow.version)
        return [_solution(row) for row in self._session.scalars(query)]

    def ids(self, vendor_id: int) -> dict[str, int]:
        """Referencing number → row id, for resolving orders in bulk."""
        rows = self._session.execute(
            sa.select(SolutionRow.referencing_number, SolutionRow.id).where(
                SolutionRow.vendor_id == vendor_id
            )
        )
        return {number: row_id for number, row_id in rows}

    def _row(self, vendor_id: int, referencing_number: str) -> SolutionRow | None:
        return self._session.scalar(
            sa.select(SolutionRow).where(
                SolutionRow.vendor_id == vendor_id,
                SolutionRow.referencing_number == referencing_number,
            )
        )
