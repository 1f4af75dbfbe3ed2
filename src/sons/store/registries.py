"""The operator's registries (migration 0005_registries): enrolled vendors and referenced
solutions, shared reference data the intake checks each funding request against.

- An **enrolled vendor** is keyed by its SIRET: name, enrolment number, the dates of its
  enrolment and the referencing numbers of the solutions it is enrolled for. It comes from an
  imported registry (`origin` « import », before enrolment goes live) or from a validated
  enrolment request (« enrolement »).
- A **referenced solution** is keyed by its referencing number: name, version, dispositif, the
  profiles it obtained (ids of the referential) and the dates of its referencing.

Every change is journaled; saving the same values again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, Session, mapped_column

from sons.domain.workflow import Status
from sons.store.bulk import IN_CHUNK, chunked
from sons.store.journal import Change, JournalAction, JournaledRepository
from sons.store.requests import FundingRequestRow, RequestTransitionRow
from sons.store.tables import Base

REGISTRY_VENDOR = "registry_vendor"
REGISTRY_SOLUTION = "registry_solution"


class VendorOrigin:
    IMPORT = "import"
    ENROLMENT = "enrolement"


class RegistryVendorRow(Base):
    __tablename__ = "registry_vendors"

    siret: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    enrolment_number: Mapped[str | None]
    enrolled_on: Mapped[dt.date | None]
    ended_on: Mapped[dt.date | None]
    solutions: Mapped[list[Any]]
    origin: Mapped[str]
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    updated_at: Mapped[dt.datetime]


class RegistrySolutionRow(Base):
    __tablename__ = "registry_solutions"

    referencing_number: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    version: Mapped[str]
    dispositif: Mapped[str]
    profiles: Mapped[list[Any]]
    referenced_on: Mapped[dt.date]
    valid_until: Mapped[dt.date | None]
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    updated_at: Mapped[dt.datetime]


@dataclass(frozen=True, slots=True)
class EnrolledVendor:
    siret: str
    name: str
    enrolment_number: str | None
    enrolled_on: dt.date | None
    ended_on: dt.date | None
    solutions: frozenset[str]
    origin: str = VendorOrigin.IMPORT

    def enrolled_at(self, on: dt.date) -> bool:
        """Enrolled on `on`: an unknown start date does not refuse, an end date does."""
        started = self.enrolled_on is None or self.enrolled_on <= on
        return started and (self.ended_on is None or on <= self.ended_on)

    def document(self) -> dict[str, Any]:
        return {
            "siret": self.siret,
            "name": self.name,
            "enrolment_number": self.enrolment_number,
            "enrolled_on": None if self.enrolled_on is None else self.enrolled_on.isoformat(),
            "ended_on": None if self.ended_on is None else self.ended_on.isoformat(),
            "solutions": sorted(self.solutions),
            "origin": self.origin,
        }


@dataclass(frozen=True, slots=True)
class ReferencedSolution:
    referencing_number: str
    name: str
    version: str
    dispositif: str
    profiles: frozenset[str]
    referenced_on: dt.date
    valid_until: dt.date | None = None

    def referenced_at(self, on: dt.date) -> bool:
        return self.referenced_on <= on and (self.valid_until is None or on <= self.valid_until)

    def document(self) -> dict[str, Any]:
        return {
            "referencing_number": self.referencing_number,
            "name": self.name,
            "version": self.version,
            "dispositif": self.dispositif,
            "profiles": sorted(self.profiles),
            "referenced_on": self.referenced_on.isoformat(),
            "valid_until": None if self.valid_until is None else self.valid_until.isoformat(),
        }


def _vendor(row: RegistryVendorRow) -> EnrolledVendor:
    return EnrolledVendor(
        siret=row.siret,
        name=row.name,
        enrolment_number=row.enrolment_number,
        enrolled_on=row.enrolled_on,
        ended_on=row.ended_on,
        solutions=frozenset(row.solutions),
        origin=row.origin,
    )


def _solution(row: RegistrySolutionRow) -> ReferencedSolution:
    return ReferencedSolution(
        referencing_number=row.referencing_number,
        name=row.name,
        version=row.version,
        dispositif=row.dispositif,
        profiles=frozenset(row.profiles),
        referenced_on=row.referenced_on,
        valid_until=row.valid_until,
    )


class RegistryRepository(JournaledRepository):
    def save_vendor(self, vendor: EnrolledVendor, *, batch_id: int | None = None) -> Change:
        row = self._session.get(RegistryVendorRow, vendor.siret)
        after = vendor.document()
        if row is None:
            row = RegistryVendorRow(
                siret=vendor.siret,
                name=vendor.name,
                enrolment_number=vendor.enrolment_number,
                enrolled_on=vendor.enrolled_on,
                ended_on=vendor.ended_on,
                solutions=sorted(vendor.solutions),
                origin=vendor.origin,
                import_batch_id=batch_id,
                updated_at=self._clock(),
            )
            self._session.add(row)
            self._session.flush()
            self._journal.record(JournalAction.CREATE, REGISTRY_VENDOR, vendor.siret, after=after)
            return Change.CREATED
        before = _vendor(row).document()
        if before == after:
            return Change.UNCHANGED
        row.name = vendor.name
        row.enrolment_number = vendor.enrolment_number
        row.enrolled_on = vendor.enrolled_on
        row.ended_on = vendor.ended_on
        row.solutions = sorted(vendor.solutions)
        row.origin = vendor.origin
        row.import_batch_id = batch_id
        row.updated_at = self._clock()
        self._session.flush()
        self._journal.record(
            JournalAction.UPDATE, REGISTRY_VENDOR, vendor.siret, before=before, after=after
        )
        return Change.UPDATED

    def vendor(self, siret: str) -> EnrolledVendor | None:
        row = self._session.get(RegistryVendorRow, siret)
        return None if row is None else _vendor(row)

    def vendors(self) -> list[EnrolledVendor]:
        rows = self._session.scalars(sa.select(RegistryVendorRow).order_by(RegistryVendorRow.siret))
        return [_vendor(row) for row in rows]

    def save_solution(self, solution: ReferencedSolution, *, batch_id: int | None = None) -> Change:
        row = self._session.get(RegistrySolutionRow, solution.referencing_number)
        after = solution.document()
        number = solution.referencing_number
        if row is None:
            self._session.add(
                RegistrySolutionRow(
                    referencing_number=number,
                    name=solution.name,
                    version=solution.version,
                    dispositif=solution.dispositif,
                    profiles=sorted(solution.profiles),
                    referenced_on=solution.referenced_on,
                    valid_until=solution.valid_until,
                    import_batch_id=batch_id,
                    updated_at=self._clock(),
                )
            )
            self._session.flush()
            self._journal.record(JournalAction.CREATE, REGISTRY_SOLUTION, number, after=after)
            return Change.CREATED
        before = _solution(row).document()
        if before == after:
            return Change.UNCHANGED
        row.name = solution.name
        row.version = solution.version
        row.dispositif = solution.dispositif
        row.profiles = sorted(solution.profiles)
        row.referenced_on = solution.referenced_on
        row.valid_until = solution.valid_until
        row.import_batch_id = batch_id
        row.updated_at = self._clock()
        self._session.flush()
        self._journal.record(
            JournalAction.UPDATE, REGISTRY_SOLUTION, number, before=before, after=after
        )
        return Change.UPDATED

    def solutions(self, numbers: Iterable[str] | None = None) -> dict[str, ReferencedSolution]:
        """Referencing number → solution (all of them when `numbers` is None)."""
        query = sa.select(RegistrySolutionRow).order_by(RegistrySolutionRow.referencing_number)
        if numbers is None:
            return {row.referencing_number: _solution(row) for row in self._session.scalars(query)}
        found: dict[str, ReferencedSolution] = {}
        for chunk in chunked(sorted(set(numbers)), IN_CHUNK):
            rows = self._session.scalars(
                query.where(RegistrySolutionRow.referencing_number.in_(chunk))
            )
            found.update((row.referencing_number, _solution(row)) for row in rows)
        return found


def filing_instants(session: Session) -> dict[int, dt.datetime]:
    """Funding request id → when it first reached the operator (« déposée » or
    « incomplète »): the instant the deadlines are judged at. One grouped query."""
    query = (
        sa.select(RequestTransitionRow.request_id, sa.func.min(RequestTransitionRow.at))
        .where(RequestTransitionRow.to_status.in_((Status.FILED.value, Status.INCOMPLETE.value)))
        .group_by(RequestTransitionRow.request_id)
    )
    found: dict[int, dt.datetime] = {}
    for request_id, at in session.execute(query):
        # min() bypasses the column type on SQLite: the instant comes back naive (UTC) or text.
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        found[request_id] = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return found


def holding_request_ids(
    session: Session, client_ids: Iterable[str], statuses: Iterable[str], kinds: Iterable[str]
) -> list[int]:
    """Ids of the funding requests of every vendor for these clients (FINESS EJ or RPPS, as
    filed), in these statuses and kinds: the only ones a request's Prestation can collide
    with, since an ES-PMSI (EJ, or ET of one EJ) or an RPPS belongs to a single client."""
    query = sa.select(FundingRequestRow.id).where(
        FundingRequestRow.status.in_(sorted(set(statuses))),
        FundingRequestRow.kind.in_(sorted(set(kinds))),
    )
    found: list[int] = []
    for chunk in chunked(sorted(set(client_ids)), IN_CHUNK):
        found += session.scalars(query.where(FundingRequestRow.client_id.in_(chunk)))
    return sorted(found)
