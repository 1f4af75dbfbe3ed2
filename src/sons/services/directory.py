"""The directory of clients: establishments (FINESS ET) from the public extract, their legal
entities (FINESS EJ) with their public or private status, and what a client looks like.

Shared reference data, common to every vendor. Both imports are all or nothing and idempotent
(`sons.services.importing`); the FINESS extract (~100,000 lines) streams from the file into the
store in chunks, so its memory stays flat, and a single error anywhere rolls it all back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.orders import LegalEntity, LegalStatus, Site, directory_key, es_pmsi
from sons.formats.finess import read_finess
from sons.formats.legal_entities import read_legal_entities
from sons.formats.problems import ImportReport
from sons.referential.loader import Referential, default_referential
from sons.services.actors import reading
from sons.services.importing import KIND_LABELS, ImportOutcome, Progress, Stored, run_import
from sons.store.directory import Establishment
from sons.store.errors import NotFoundError
from sons.store.imports import ImportBatch, ImportKind
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

STATUS_LABELS = {LegalStatus.PUBLIC: "public", LegalStatus.PRIVATE: "privé"}


def import_finess(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    clock: Clock = system_clock,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import the public FINESS extract into the directory of establishments."""

    def store(uow: UnitOfWork, batch: ImportBatch) -> tuple[ImportReport, Stored]:
        report = ImportReport.for_path(path, KIND_LABELS[ImportKind.FINESS])
        rows = uow.directory.upsert_establishments(
            read_finess(path, report, progress=progress), batch_id=batch.id
        )
        return report, Stored(rows=rows)

    return run_import(engine, path, ImportKind.FINESS, store, actor=actor, clock=clock)


def import_legal_entities(
    engine: Engine, path: Path, *, actor: str, clock: Clock = system_clock
) -> ImportOutcome:
    """Import the legal entities and their public/private status (docs/formats-import.md)."""

    def store(uow: UnitOfWork, batch: ImportBatch) -> tuple[ImportReport, Stored]:
        result = read_legal_entities(path)
        if not result.ok:
            return result.report, Stored()
        rows = uow.directory.upsert_legal_entities(result.items, batch_id=batch.id)
        return result.report, Stored(rows=rows)

    return run_import(engine, path, ImportKind.LEGAL_ENTITIES, store, actor=actor, clock=clock)


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientRow:
    """One establishment of the directory, with its legal entity when that one is known."""

    establishment: Establishment
    legal_entity: LegalEntity | None

    def as_dict(self) -> dict[str, Any]:
        item = self.establishment
        entity = self.legal_entity
        return {
            "finess_et": item.finess_et,
            "finess_ej": item.finess_ej,
            "name": item.long_name or item.name,
            "category": item.category_label,
            "city": item.city,
            "postcode": item.postcode,
            "department": item.department,
            "legal_entity": None if entity is None else entity.name,
            "status": None if entity is None else entity.status.value,
        }


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientRow]
    total: int
    limit: int | None
    offset: int


def department_code(text: str) -> str:
    """« 1 » → « 01 », « 2a » → « 2A »: the département as the extract writes it."""
    code = text.strip().upper()
    return code.zfill(2) if code.isdigit() and len(code) == 1 else code


def list_clients(
    engine: Engine,
    *,
    department: str | None = None,
    search: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> ClientPage:
    """Establishments by FINESS ET, filtered by département and by a name or city search
    (accents and case ignored), with the total before paging."""
    department = department_code(department) if department else None
    with reading(engine) as uow:
        found = uow.directory.establishments(
            department=department, search=search, limit=limit, offset=offset
        )
        total = uow.directory.count_establishments(department=department, search=search)
        entities = uow.directory.legal_entities(e.finess_ej for e in found)
    rows = [ClientRow(e, entities.get(directory_key(e.finess_ej))) for e in found]
    return ClientPage(rows, total, limit, offset)


@dataclass(frozen=True)
class ClientCard:
    """A FINESS number as the directory knows it: the establishment (when it is an ET), its
    legal entity, the entity's sites, the ES-PMSI and the ceilings listed under it."""

    finess: str
    establishment: Establishment | None
    legal_entity: LegalEntity | None
    sites: list[Site]
    es_pmsi: str | None
    ceilings: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        entity = self.legal_entity
        return {
            "finess": self.finess,
            "establishment": (
                None
                if self.establishment is None
                else ClientRow(self.establishment, entity).as_dict()
            ),
            "legal_entity": None
            if entity is None
            else {
                "finess_ej": entity.finess_ej,
                "name": entity.name,
                "siren": entity.siren,
                "status": entity.status.value,
            },
            "sites": [
                {"finess_et": s.finess_et, "name": s.name, "category": s.category}
                for s in self.sites
            ],
            "es_pmsi": self.es_pmsi,
            "ceilings_ht_cents": dict(self.ceilings),
        }


def show_client(
    engine: Engine, finess: str, *, referential: Referential | None = None
) -> ClientCard:
    """The establishment or legal entity of that FINESS; `NotFoundError` when neither."""
    referential = referential or default_referential()
    number = directory_key(finess)
    with reading(engine) as uow:
        establishment = uow.directory.establishment(number)
        ej = establishment.finess_ej if establishment is not None else number
        entity = uow.directory.legal_entity(ej)
        if establishment is None and entity is None:
            sites = uow.directory.sites_of(number)
            if not sites:
                raise NotFoundError(
                    f"Le FINESS {number} n'est ni un établissement (ET) de l'annuaire importé, "
                    "ni une entité juridique (EJ) connue : importez l'extrait FINESS (sons "
                    "client import-finess) et les entités juridiques (sons client "
                    "import-entities)."
                )
        else:
            sites = uow.directory.sites_of(ej)
        key: str | None = None
        if entity is not None:
            key = es_pmsi(entity, establishment.site() if establishment else number)
            if entity.status is LegalStatus.PRIVATE and establishment is None:
                key = None  # a private entity reports under each of its sites, not as a whole
        ceilings: dict[str, int] = {}
        if key is not None:
            for dispositif in referential.dispositifs.values():
                found = uow.eligibility.ceilings(dispositif.code, [key])
                if key in found:
                    ceilings[dispositif.code] = found[key]
    return ClientCard(number, establishment, entity, sites, key, ceilings)
