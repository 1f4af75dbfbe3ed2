"""The operator's registries, as CSV (or XLSX) templates (docs/registres.md).

**Enrolled vendors** (`docs/examples/registre-editeurs.csv`), one row per vendor:
``siret;raison_sociale;numero_enrolement;numeros_referencement;date_enrolement;date_fin`` —
``numeros_referencement`` lists the referencing numbers of the solutions the vendor is enrolled
for, separated by « ; » (quoted in a « ; »-separated CSV); ``numero_enrolement``,
``date_enrolement`` and ``date_fin`` are optional.

**Referenced solutions** (`docs/examples/registre-solutions.csv`), one row per solution:
``numero_referencement;nom;version;dispositif;profils;date_referencement;date_fin_validite``
— ``profils`` are the profiles obtained (labels or ids of the dispositif, « ; »-separated),
resolved against the profiles in force at ``date_referencement``; ``date_fin_validite`` is
optional (referencing still valid).

Every problem is placed on its file, line and column; a file with one error stores nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sons.formats.cells import dispositif_parser, header_key, parse_date, parse_siret
from sons.formats.problems import ImportReport, ImportResult
from sons.formats.records import Fields
from sons.formats.table import read_table
from sons.referential.loader import Referential, default_referential
from sons.referential.scenario import match_profiles
from sons.store.registries import EnrolledVendor, ReferencedSolution, VendorOrigin

VENDOR_REQUIRED = ("siret", "raison_sociale", "numeros_referencement")
VENDOR_COLUMNS = (*VENDOR_REQUIRED, "numero_enrolement", "date_enrolement", "date_fin")
SOLUTION_REQUIRED = (
    "numero_referencement",
    "nom",
    "version",
    "dispositif",
    "profils",
    "date_referencement",
)
SOLUTION_COLUMNS = (*SOLUTION_REQUIRED, "date_fin_validite")

_LABELS = {
    "siret": "SIRET",
    "raison_sociale": "raison sociale",
    "numero_enrolement": "numéro d'enrôlement",
    "numeros_referencement": "numéros de référencement des solutions",
    "date_enrolement": "date d'enrôlement",
    "date_fin": "date de fin d'enrôlement",
    "numero_referencement": "numéro de référencement",
    "nom": "nom de la solution",
    "version": "version",
    "dispositif": "dispositif",
    "profils": "profils obtenus",
    "date_referencement": "date de référencement",
    "date_fin_validite": "date de fin de validité du référencement",
}


def _rows(
    path: Path, report: ImportReport, what: str, required: tuple[str, ...], known: tuple[str, ...]
) -> Iterator[Fields]:
    table = read_table(path, report, what=what)
    if table is None:
        return
    headers = {name: table.require(report, name) for name in required}
    headers |= {name: table.find(name) for name in known if name not in required}
    for header in table.headers:
        if header_key(header) not in known:
            report.warning(
                table.header_line,
                header,
                None,
                "TABLE_COLUMN_IGNORED",
                f"colonne « {header} » ignorée ; colonnes du modèle : {';'.join(known)}",
            )
    present = {name: header for name, header in headers.items() if header is not None}
    missing = {name for name in required if name not in present}
    for row in table.rows:
        fields = Fields.from_row(report, row.line, row.cells, present)
        fields.absent |= missing
        yield fields


def _period(fields: Fields, start: str, end: str) -> tuple[dt.date | None, dt.date | None]:
    begins = fields.parse(
        start, parse_date, required=start in SOLUTION_REQUIRED, label=_LABELS[start]
    )
    ends = fields.parse(end, parse_date, required=False, label=_LABELS[end])
    if begins is not None and ends is not None and ends < begins:
        fields.error(
            end,
            "REGISTRY_PERIOD_INVALID",
            f"{_LABELS[end]} du {ends.isoformat()} antérieure à la {_LABELS[start]} du "
            f"{begins.isoformat()}",
            fields.text(end),
        )
    return begins, ends


def _numbers(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def read_enrolled_vendors(path: Path) -> ImportResult[EnrolledVendor]:
    report = ImportReport.for_path(path, "registre des éditeurs enrôlés")
    vendors: list[EnrolledVendor] = []
    seen: dict[str, int | None] = {}
    for fields in _rows(
        path, report, "le registre des éditeurs enrôlés", VENDOR_REQUIRED, VENDOR_COLUMNS
    ):
        siret = fields.parse("siret", parse_siret, label=_LABELS["siret"])
        name = fields.parse("raison_sociale", str.strip, label=_LABELS["raison_sociale"])
        number = fields.parse(
            "numero_enrolement", str.strip, required=False, label=_LABELS["numero_enrolement"]
        )
        solutions = fields.parse(
            "numeros_referencement", _numbers, label=_LABELS["numeros_referencement"]
        )
        if solutions is not None and not solutions:
            fields.error(
                "numeros_referencement",
                "VALUE_REQUIRED",
                "numéros de référencement : au moins une solution attendue",
                fields.text("numeros_referencement"),
            )
        enrolled_on, ended_on = _period(fields, "date_enrolement", "date_fin")
        if siret is not None and siret in seen:
            fields.error(
                "siret",
                "REGISTRY_VENDOR_DUPLICATE",
                f"SIRET {siret} déjà donné en ligne {seen[siret]} : une seule ligne par éditeur",
                siret,
            )
            continue
        if siret is not None:
            seen[siret] = fields.default.line
        if siret is None or name is None or not solutions or not fields.ok:
            continue
        vendors.append(
            EnrolledVendor(
                siret=siret,
                name=name,
                enrolment_number=number,
                enrolled_on=enrolled_on,
                ended_on=ended_on,
                solutions=frozenset(solutions),
                origin=VendorOrigin.IMPORT,
            )
        )
    return ImportResult(tuple(vendors), report)


def read_referenced_solutions(
    path: Path, referential: Referential | None = None
) -> ImportResult[ReferencedSolution]:
    referential = referential or default_referential()
    report = ImportReport.for_path(path, "registre des solutions référencées")
    parse_dispositif = dispositif_parser(referential)
    solutions: list[ReferencedSolution] = []
    seen: dict[str, int | None] = {}
    for fields in _rows(
        path, report, "le registre des solutions référencées", SOLUTION_REQUIRED, SOLUTION_COLUMNS
    ):
        number = fields.parse(
            "numero_referencement", str.strip, label=_LABELS["numero_referencement"]
        )
        name = fields.parse("nom", str.strip, label=_LABELS["nom"])
        version = fields.parse("version", str.strip, label=_LABELS["version"])
        dispositif = fields.parse("dispositif", parse_dispositif, label=_LABELS["dispositif"])
        referenced_on, valid_until = _period(fields, "date_referencement", "date_fin_validite")
        raw_profiles = fields.parse("profils", _numbers, label=_LABELS["profils"])
        profiles: set[str] = set()
        if dispositif is not None and referenced_on is not None and raw_profiles:
            view = referential.at(dispositif, referenced_on)
            for given in raw_profiles:
                found, findings = match_profiles(view, [given])
                profiles |= found
                for finding in findings:
                    fields.error("profils", finding.code, finding.message, given)
        if number is not None and number in seen:
            fields.error(
                "numero_referencement",
                "REGISTRY_SOLUTION_DUPLICATE",
                f"numéro de référencement {number} déjà donné en ligne {seen[number]}",
                number,
            )
            continue
        if number is not None:
            seen[number] = fields.default.line
        if (
            number is None
            or name is None
            or version is None
            or dispositif is None
            or referenced_on is None
            or not fields.ok
        ):
            continue
        solutions.append(
            ReferencedSolution(
                referencing_number=number,
                name=name,
                version=version,
                dispositif=dispositif,
                profiles=frozenset(profiles),
                referenced_on=referenced_on,
                valid_until=valid_until,
            )
        )
    return ImportResult(tuple(solutions), report)
