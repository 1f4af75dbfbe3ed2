"""The directory: establishments (FINESS ET) and legal entities (EJ) from the public FINESS
extract, and professionals (RPPS). Shared reference data, written in bulk by imports.

Bulk writes are upserts in chunks, so a 100,000-line extract streams through in bounded memory;
the import batch they belong to is journaled once (`ImportRegistry.complete`), not row by row.
Numbers are keyed as `directory_key` writes them (no spaces, upper case: 2A/2B).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from sons.domain.orders import LegalEntity, LegalStatus, Professional, Site, directory_key
from sons.store.bulk import CHUNK_SIZE, IN_CHUNK, chunked, upsert
from sons.store.tables import EstablishmentRow, LegalEntityRow, ProfessionalRow


@dataclass(frozen=True, slots=True)
class Establishment:
    """One line of the FINESS extract (structureet), as the directory keeps it. Field names
    are those of `sons.formats.finess.Establishment`, which carries more."""

    finess_et: str
    finess_ej: str
    name: str
    long_name: str | None = None
    category_code: str | None = None
    category_label: str | None = None
    siret: str | None = None
    address: str | None = None
    postcode: str | None = None
    commune_code: str | None = None
    city: str | None = None
    department: str | None = None
    department_label: str | None = None
    extract_date: dt.date | None = None

    def site(self) -> Site:
        """The domain's site, named and categorised as the FINESS reader's `as_site` does."""
        return Site(
            finess_et=self.finess_et,
            finess_ej=self.finess_ej,
            name=self.long_name or self.name,
            category=self.category_label,
        )


_ESTABLISHMENT_FIELDS = tuple(Establishment.__slots__)


class EstablishmentFields(Protocol):
    """What an upsert reads: `Establishment`, or the FINESS reader's records as they stream."""

    @property
    def finess_et(self) -> str: ...
    @property
    def finess_ej(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def long_name(self) -> str | None: ...
    @property
    def category_code(self) -> str | None: ...
    @property
    def category_label(self) -> str | None: ...
    @property
    def siret(self) -> str | None: ...
    @property
    def address(self) -> str | None: ...
    @property
    def postcode(self) -> str | None: ...
    @property
    def commune_code(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...
    @property
    def department(self) -> str | None: ...
    @property
    def department_label(self) -> str | None: ...
    @property
    def extract_date(self) -> dt.date | None: ...


def searchable(text: str) -> str:
    """Without accents, case-folded: what name searches compare."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _search_text(item: EstablishmentFields) -> str:
    return searchable(" ".join(p for p in (item.name, item.long_name, item.city) if p))


def _establishment(row: EstablishmentRow) -> Establishment:
    return Establishment(**{name: getattr(row, name) for name in _ESTABLISHMENT_FIELDS})


_STATUSES = {status.value: status for status in LegalStatus}
# Look-ups by more keys than this, a quarter of the table or more, read the table instead.
_SCAN_ABOVE = 2000
_SCAN_SHARE = 4


def _legal_entity(row: LegalEntityRow) -> LegalEntity:
    return LegalEntity(
        finess_ej=row.finess_ej, name=row.name, status=LegalStatus(row.status), siren=row.siren
    )


class DirectoryRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- bulk writes (imports) ---------------------------------------------------------------

    def upsert_establishments(
        self, establishments: Iterable[EstablishmentFields], *, batch_id: int | None = None
    ) -> int:
        """Insert or refresh establishments by FINESS ET; returns how many lines were written."""
        written = 0
        for chunk in chunked(establishments, CHUNK_SIZE):
            rows = [
                {
                    **{name: getattr(item, name) for name in _ESTABLISHMENT_FIELDS},
                    "finess_et": directory_key(item.finess_et),
                    "finess_ej": directory_key(item.finess_ej),
                    "import_batch_id": batch_id,
                    "search_text": _search_text(item),
                }
                for item in chunk
            ]
            upsert(self._session, EstablishmentRow, rows)
            written += len(rows)
        return written

    def upsert_legal_entities(
        self,
        entities: Iterable[LegalEntity],
        *,
        extract_date: dt.date | None = None,
        batch_id: int | None = None,
    ) -> int:
        written = 0
        for chunk in chunked(entities, CHUNK_SIZE):
            rows = [
                {
                    "finess_ej": directory_key(entity.finess_ej),
                    "name": entity.name,
                    "siren": entity.siren,
                    "status": entity.status.value,
                    "extract_date": extract_date,
                    "import_batch_id": batch_id,
                }
                for entity in chunk
            ]
            upsert(self._session, LegalEntityRow, rows)
            written += len(rows)
        return written

    def upsert_professionals(
        self, professionals: Iterable[Professional], *, batch_id: int | None = None
    ) -> int:
        written = 0
        for chunk in chunked(professionals, CHUNK_SIZE):
            rows = [
                {"rpps": directory_key(p.rpps), "name": p.name, "import_batch_id": batch_id}
                for p in chunk
            ]
            upsert(self._session, ProfessionalRow, rows)
            written += len(rows)
        return written

    # -- reads -------------------------------------------------------------------------------

    def establishment(self, finess_et: str) -> Establishment | None:
        row = self._session.get(EstablishmentRow, directory_key(finess_et))
        return None if row is None else _establishment(row)

    def sites(self, finess_ets: Iterable[str]) -> dict[str, Site]:
        """FINESS ET → site, for those found; the keys are normalised by `directory_key`."""
        found: dict[str, Site] = {}
        # Only the columns a site needs, as plain rows: an order check asks for tens of
        # thousands of sites, and building ORM objects for them costs more than the query.
        query = sa.select(
            EstablishmentRow.finess_et,
            EstablishmentRow.finess_ej,
            EstablishmentRow.name,
            EstablishmentRow.long_name,
            EstablishmentRow.category_label,
        )
        wanted = {directory_key(n) for n in finess_ets}
        for et, ej, name, long_name, category in self._by_keys(
            query, EstablishmentRow.finess_et, wanted
        ):
            found[et] = Site(finess_et=et, finess_ej=ej, name=long_name or name, category=category)
        return found

    def _by_keys(
        self, query: Any, key: InstrumentedAttribute[str], wanted: set[str]
    ) -> Iterator[Any]:
        """The rows of `query` whose `key` (its first column) is in `wanted`.

        A few keys: look-ups by chunks of keys. Keys that are a large share of the table (an
        order check of a big vendor asks for tens of thousands): one read of the whole table,
        filtered here — reading every row once costs less than as many index probes.
        """
        # Plain Core rows on the session's connection: the ORM's per-row work is not needed.
        connection = self._session.connection()
        if len(wanted) > _SCAN_ABOVE:
            table_rows = connection.scalar(
                sa.select(sa.func.count()).select_from(query.get_final_froms()[0])
            )
            if len(wanted) * _SCAN_SHARE > (table_rows or 0):
                # fetchall: one call into the driver rather than one per row.
                yield from (row for row in connection.execute(query).all() if row[0] in wanted)
                return
        for chunk in chunked(sorted(wanted), IN_CHUNK):
            yield from connection.execute(query.where(key.in_(chunk)))

    def sites_of(self, finess_ej: str) -> list[Site]:
        rows = self._session.scalars(
            sa.select(EstablishmentRow)
            .where(EstablishmentRow.finess_ej == directory_key(finess_ej))
            .order_by(EstablishmentRow.finess_et)
        )
        return [_establishment(row).site() for row in rows]

    def establishments(
        self,
        *,
        department: str | None = None,
        finess_ej: str | None = None,
        search: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Establishment]:
        """Establishments by FINESS ET; `search` matches the name, long name or city,
        ignoring accents and case."""
        query = self._filtered(sa.select(EstablishmentRow), department, finess_ej, search)
        query = query.order_by(EstablishmentRow.finess_et).offset(offset).limit(limit)
        return [_establishment(row) for row in self._session.scalars(query)]

    def count_establishments(
        self,
        *,
        department: str | None = None,
        finess_ej: str | None = None,
        search: str | None = None,
    ) -> int:
        query = self._filtered(
            sa.select(sa.func.count()).select_from(EstablishmentRow),
            department,
            finess_ej,
            search,
        )
        return int(self._session.scalar(query) or 0)

    def legal_entity(self, finess_ej: str) -> LegalEntity | None:
        row = self._session.get(LegalEntityRow, directory_key(finess_ej))
        return None if row is None else _legal_entity(row)

    def legal_entities(self, finess_ejs: Iterable[str]) -> dict[str, LegalEntity]:
        found: dict[str, LegalEntity] = {}
        query = sa.select(
            LegalEntityRow.finess_ej,
            LegalEntityRow.name,
            LegalEntityRow.status,
            LegalEntityRow.siren,
        )
        wanted = {directory_key(n) for n in finess_ejs}
        for ej, name, status, siren in self._by_keys(query, LegalEntityRow.finess_ej, wanted):
            found[ej] = LegalEntity(finess_ej=ej, name=name, status=_STATUSES[status], siren=siren)
        return found

    def professional(self, rpps: str) -> Professional | None:
        row = self._session.get(ProfessionalRow, directory_key(rpps))
        return None if row is None else Professional(rpps=row.rpps, name=row.name)

    def professionals(self, rpps_numbers: Iterable[str]) -> dict[str, Professional]:
        found: dict[str, Professional] = {}
        for chunk in chunked(sorted({directory_key(n) for n in rpps_numbers}), IN_CHUNK):
            rows = self._session.scalars(
                sa.select(ProfessionalRow).where(ProfessionalRow.rpps.in_(chunk))
            )
            found.update((row.rpps, Professional(rpps=row.rpps, name=row.name)) for row in rows)
        return found

    @staticmethod
    def _filtered(
        query: sa.Select[Any],
        department: str | None,
        finess_ej: str | None,
        search: str | None,
    ) -> sa.Select[Any]:
        if department is not None:
            query = query.where(EstablishmentRow.department == department)
        if finess_ej is not None:
            query = query.where(EstablishmentRow.finess_ej == directory_key(finess_ej))
        if search:
            query = query.where(
                EstablishmentRow.search_text.contains(searchable(search), autoescape=True)
            )
        return query
