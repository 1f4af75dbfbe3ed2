"""Referenced solutions of a vendor, from CSV/XLSX or JSON.

Columns (CSV) or keys (JSON): ``nom``, ``version``, ``numero_referencement``, ``dispositif``,
``profils`` and ``date_referencement`` (optional). Profiles are the labels or ids of the
dispositif's profiles, separated by « ; » (in a « ; »-separated CSV the cell is quoted:
``"Général;Opérateur Mailiz"``); in JSON a list or the same « ; »-separated text. They are
resolved against the profiles in force at the referencing date (today when no date is given).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sons.domain.orders import Solution
from sons.formats.cells import dispositif_parser, header_key, parse_date
from sons.formats.problems import ImportReport, ImportResult
from sons.formats.records import Fields, json_list, load_json
from sons.formats.table import read_table
from sons.referential.loader import Referential, default_referential
from sons.referential.scenario import match_profiles

REQUIRED = ("nom", "version", "numero_referencement", "dispositif", "profils")
OPTIONAL = ("date_referencement",)
COLUMNS = REQUIRED + OPTIONAL
_LABELS = {
    "nom": "nom de la solution",
    "version": "version",
    "numero_referencement": "numéro de référencement",
    "dispositif": "dispositif",
    "profils": "profils obtenus",
    "date_referencement": "date de référencement",
}


def read_solutions(
    path: Path, referential: Referential | None = None, today: dt.date | None = None
) -> ImportResult[Solution]:
    """``today`` dates the profiles of a solution without referencing date (default: today)."""
    referential = referential or default_referential()
    today = today or dt.date.today()
    report = ImportReport.for_path(path, "solutions")
    solutions: list[Solution] = []
    seen: dict[str, str] = {}
    for fields, where in _records(path, report):
        solution = _solution(fields, referential, today)
        if solution is None:
            continue
        number = solution.referencing_number
        if number in seen:
            fields.error(
                "numero_referencement",
                "SOLUTION_DUPLICATE",
                f"numéro de référencement {number} déjà donné ({seen[number]})",
                number,
            )
            continue
        seen[number] = where
        solutions.append(solution)
    return ImportResult(tuple(solutions), report)


def _records(path: Path, report: ImportReport) -> Iterator[tuple[Fields, str]]:
    if path.suffix.lower() == ".json":
        document = load_json(path, report, what="le fichier des solutions")
        if document is None:
            return
        items = json_list(report, document, "solutions", "solutions")
        report.records = len(items)
        for where, item in items:
            profiles = item.get("profils")
            flat: dict[str, Any] = dict(item)
            if isinstance(profiles, list):
                if all(isinstance(p, str) for p in profiles):
                    flat["profils"] = ";".join(profiles)
                else:
                    report.error(
                        None,
                        f"{where}.profils",
                        None,
                        "JSON_TYPE",
                        "liste de textes attendue (libellés ou identifiants de profils)",
                    )
                    flat["profils"] = None
            yield Fields.from_json(report, where, flat, COLUMNS), where
        return
    table = read_table(path, report, what="le fichier des solutions")
    if table is None:
        return
    headers = {name: table.require(report, name) for name in REQUIRED}
    headers["date_referencement"] = table.find("date_referencement")
    for header in table.headers:
        if header_key(header) not in COLUMNS:
            report.warning(
                table.header_line,
                header,
                None,
                "TABLE_COLUMN_IGNORED",
                f"colonne « {header} » ignorée ; colonnes du modèle : {';'.join(COLUMNS)}",
            )
    present = {name: header for name, header in headers.items() if header is not None}
    for row in table.rows:
        yield Fields.from_row(report, row.line, row.cells, present), f"ligne {row.line}"


def _solution(fields: Fields, referential: Referential, today: dt.date) -> Solution | None:
    texts = {
        name: fields.parse(name, str.strip, label=_LABELS[name])
        for name in ("nom", "version", "numero_referencement")
    }
    dispositif = fields.parse("dispositif", dispositif_parser(referential), label="dispositif")
    referenced_on = fields.parse(
        "date_referencement", parse_date, required=False, label="date de référencement"
    )
    raw_profiles = fields.text("profils")
    if not raw_profiles:
        fields.error("profils", "VALUE_REQUIRED", "profils obtenus : au moins un profil attendu")
    profiles: set[str] = set()
    if dispositif is not None and raw_profiles:
        view = referential.at(dispositif, referenced_on or today)
        for given in raw_profiles.split(";"):
            found, findings = match_profiles(view, [given])
            profiles |= found
            for finding in findings:
                fields.error("profils", finding.code, finding.message, given.strip())
    name, version, number = texts["nom"], texts["version"], texts["numero_referencement"]
    if not fields.ok or dispositif is None or name is None or version is None or number is None:
        return None
    return Solution(
        name=name,
        version=version,
        referencing_number=number,
        dispositif=dispositif,
        profiles=frozenset(profiles),
        referenced_on=referenced_on,
    )
