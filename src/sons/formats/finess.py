"""The public FINESS extract (data.gouv.fr, « etalab » CSV), read as a stream of establishments.

Layout (PRIMER §9, column order in docs/formats-import.md with its sources): no header row but a
first line ``finess;etalab;N;AAAA-MM-JJ``; then ``structureet;`` lines, one per establishment
(ET), with 31 positional fields after the record type (an optional 32nd, ``numuai``, or a
trailing separator); then ``geolocalisation;`` lines, ignored here. Fields are separated by
« ; » and may be quoted, with doubled quotes inside (CSV rules). The extract comes in UTF-8 or
Latin-1.

`read_finess` is a generator: ~100,000 lines are read one at a time and never held in memory
(only the set of FINESS ET numbers seen, to report duplicates). Its report is complete once the
generator is exhausted; the store keeps nothing if it then has errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sons.domain.orders import Site
from sons.formats.cells import CellError, parse_date, parse_finess, parse_siret
from sons.formats.encoding import Progress, detect_encoding, open_text
from sons.formats.problems import ImportReport, ImportResult

# Fields of a `structureet` line, in order, after the record type (position 0).
STRUCTUREET_COLUMNS: tuple[str, ...] = (
    "nofinesset",  # 1  numéro FINESS de l'établissement (ET)
    "nofinessej",  # 2  numéro FINESS de l'entité juridique (EJ)
    "rs",  # 3  raison sociale
    "rslongue",  # 4  raison sociale longue
    "complrs",  # 5  complément de raison sociale
    "compldistrib",  # 6  complément de distribution
    "numvoie",  # 7  numéro de voie
    "typvoie",  # 8  type de voie
    "voie",  # 9  libellé de voie
    "compvoie",  # 10 complément de voie (indice de répétition)
    "lieuditbp",  # 11 lieu-dit / boîte postale
    "commune",  # 12 code commune (3 chiffres, dans le département)
    "departement",  # 13 code département (01…95, 2A, 2B, 9A…9J)
    "libdepartement",  # 14 libellé département
    "ligneacheminement",  # 15 ligne d'acheminement (code postal et commune)
    "telephone",  # 16
    "telecopie",  # 17
    "categetab",  # 18 catégorie d'établissement (code)
    "libcategetab",  # 19 catégorie d'établissement (libellé)
    "categagretab",  # 20 agrégat de catégorie (code)
    "libcategagretab",  # 21 agrégat de catégorie (libellé)
    "siret",  # 22
    "codeape",  # 23
    "codemft",  # 24 mode de fixation des tarifs (code)
    "libmft",  # 25 mode de fixation des tarifs (libellé)
    "codesph",  # 26 service public hospitalier (code)
    "libsph",  # 27 service public hospitalier (libellé)
    "dateouv",  # 28 date d'ouverture
    "dateautor",  # 29 date d'autorisation
    "datemaj",  # 30 date de mise à jour
    "numuai",  # 31 numéro UAI (éducation nationale), absent des extraits récents
)
_REQUIRED_FIELDS = len(STRUCTUREET_COLUMNS) - 1  # numuai may be missing
_FIELD_COUNTS = (_REQUIRED_FIELDS + 1, _REQUIRED_FIELDS + 2)  # with the record type
_ROUTING = re.compile(r"(\d{5})\s+(.*)")
_PROGRESS_EVERY = 5000


@dataclass(frozen=True, slots=True)
class Establishment:
    """One establishment (ET) of the FINESS extract, as the directory of clients needs it."""

    finess_et: str
    finess_ej: str
    name: str
    long_name: str | None
    name_complement: str | None
    address: str | None
    address_extra: str | None
    postcode: str | None
    city: str | None
    commune_code: str | None
    department: str | None
    department_label: str | None
    phone: str | None
    category_code: str | None
    category_label: str | None
    category_group_code: str | None
    category_group_label: str | None
    siret: str | None
    ape_code: str | None
    pricing_code: str | None
    pricing_label: str | None
    sph_code: str | None
    sph_label: str | None
    opened_on: dt.date | None
    authorised_on: dt.date | None
    updated_on: dt.date | None
    extract_date: dt.date | None
    line: int

    def as_site(self) -> Site:
        return Site(
            finess_et=self.finess_et,
            finess_ej=self.finess_ej,
            name=self.long_name or self.name,
            category=self.category_label,
        )


def read_finess(
    path: Path, report: ImportReport, *, progress: Progress | None = None
) -> Iterator[Establishment]:
    """Yield every readable establishment of the extract; every problem goes to ``report``.

    Hard errors (unusable line, invalid FINESS number, duplicate ET, bad first line) make the
    report refuse the file; a wrong Luhn key on a number of the public extract, an invalid SIRET
    or a bad date are warnings (the number comes from the official directory itself; the other
    fields are informative). ``progress(bytes_read, total_bytes)`` is called every few thousand
    lines.
    """
    if not path.is_file():
        report.error(None, None, str(path), "FILE_NOT_FOUND", "fichier introuvable")
        return
    encoding = detect_encoding(path, report, latin1_expected=True, what="l'extrait FINESS")
    if encoding is None:
        return
    report.encoding = encoding.label
    total = path.stat().st_size
    opened = open_text(path, encoding)
    try:
        yield from _read_records(opened.stream, report, lambda: opened.bytes_read, total, progress)
    finally:
        opened.close()


def parse_finess_extract(
    path: Path, report: ImportReport | None = None
) -> ImportResult[Establishment]:
    """The whole extract in memory: for small files (examples, tests, the demo)."""
    report = report or ImportReport.for_path(path, "extrait FINESS")
    items = tuple(read_finess(path, report))
    return ImportResult(items, report)


def _read_records(
    stream: Iterator[str],
    report: ImportReport,
    bytes_read: Callable[[], int],
    total: int,
    progress: Progress | None,
) -> Iterator[Establishment]:
    reader = csv.reader(stream, delimiter=";", quotechar='"')
    seen: dict[str, int] = {}
    ignored: dict[str, list[int]] = {}  # record type → [count, first line]
    previous = 0
    first = True
    extract_date: dt.date | None = None
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.error(
                previous + 1,
                None,
                None,
                "FINESS_CSV_SYNTAX",
                f"ligne illisible ({error}) ; vérifiez les guillemets",
            )
            previous = reader.line_num
            continue
        line = previous + 1
        previous = reader.line_num
        if first:
            first = False
            is_header, extract_date = _header(record, line, report)
            if is_header:
                continue
        kind = record[0].strip().lower() if record else ""
        if kind == "structureet":
            establishment = _establishment(record, line, report, seen, extract_date)
            if establishment is not None:
                report.records += 1
                yield establishment
        elif kind or any(cell.strip() for cell in record):
            counter = ignored.setdefault(kind or "(vide)", [0, line])
            counter[0] += 1
        if progress is not None and line % _PROGRESS_EVERY == 0:
            progress(bytes_read(), total)
    if progress is not None:
        progress(total, total)
    for kind, (count, first_line) in ignored.items():
        if kind == "geolocalisation":
            report.details["lignes geolocalisation ignorées"] = str(count)
            continue
        report.warning(
            first_line,
            None,
            kind,
            "FINESS_RECORD_IGNORED",
            f"{count} ligne(s) de type « {kind} » ignorée(s) (première en ligne {first_line}) : "
            "seules les lignes « structureet » sont lues",
        )
    if not seen:
        report.error(
            None,
            None,
            None,
            "FINESS_NO_ESTABLISHMENT",
            "aucune ligne « structureet » : ce fichier n'est pas un extrait FINESS des "
            "établissements (jeu de données « etalab » de data.gouv.fr)",
        )


def _header(record: list[str], line: int, report: ImportReport) -> tuple[bool, dt.date | None]:
    """Check the first line: (is it the extract's header line, the extract's date)."""
    cells = [cell.strip() for cell in record]
    extract_date = None
    if len(cells) >= 2 and cells[0].lower() == "finess" and cells[1].lower() == "etalab":
        if len(cells) >= 3 and cells[2]:
            report.details["numéro d'extraction"] = cells[2]
        if len(cells) >= 4 and cells[3]:
            try:
                extract_date = parse_date(cells[3])
                report.details["date de l'extrait"] = extract_date.isoformat()
            except CellError as error:
                report.warning(line, None, cells[3], error.rule, f"date de l'extrait : {error}")
        return True, extract_date
    report.error(
        line,
        None,
        ";".join(cells[:4]),
        "FINESS_HEADER_INVALID",
        "première ligne attendue « finess;etalab;N;AAAA-MM-JJ » (extrait FINESS etalab de "
        "data.gouv.fr)",
    )
    return (cells[0].lower() if cells else "") != "structureet", None


def _optional(value: str) -> str | None:
    value = value.strip()
    return value or None


def _establishment(
    record: list[str],
    line: int,
    report: ImportReport,
    seen: dict[str, int],
    extract_date: dt.date | None,
) -> Establishment | None:
    if len(record) not in _FIELD_COUNTS:
        report.error(
            line,
            None,
            None,
            "FINESS_FIELD_COUNT",
            f"ligne « structureet » de {len(record)} champs au lieu de {_FIELD_COUNTS[0]} (ou "
            f"{_FIELD_COUNTS[1]}) : colonnes décalées, un « ; » manque ou est en trop",
        )
        return None
    fields = dict(zip(STRUCTUREET_COLUMNS, (cell.strip() for cell in record[1:]), strict=False))
    finess_et = _number(fields, "nofinesset", line, report)
    finess_ej = _number(fields, "nofinessej", line, report)
    name = fields["rs"] or fields["rslongue"]
    if not name:
        report.error(line, "rs", "", "FINESS_NAME_MISSING", "raison sociale (rs et rslongue) vide")
    if finess_et is not None:
        first = seen.get(finess_et)
        if first is not None:
            report.error(
                line,
                "nofinesset",
                finess_et,
                "FINESS_DUPLICATE",
                f"établissement {finess_et} déjà présent en ligne {first}",
            )
            finess_et = None
        else:
            seen[finess_et] = line
    if finess_et is None or finess_ej is None or not name:
        return None
    siret = None
    if fields["siret"]:
        try:
            siret = parse_siret(fields["siret"])
        except CellError as error:
            report.warning(
                line, "siret", fields["siret"], error.rule, f"{error} ; SIRET non repris"
            )
    routing = fields["ligneacheminement"]
    match = _ROUTING.fullmatch(routing)
    street = " ".join(
        part for part in (fields[k] for k in ("numvoie", "compvoie", "typvoie", "voie")) if part
    )
    extra = ", ".join(part for part in (fields["compldistrib"], fields["lieuditbp"]) if part)
    return Establishment(
        finess_et=finess_et,
        finess_ej=finess_ej,
        name=name,
        long_name=_optional(fields["rslongue"]),
        name_complement=_optional(fields["complrs"]),
        address=street or None,
        address_extra=extra or None,
        postcode=match.group(1) if match else None,
        city=(match.group(2).strip() or None) if match else _optional(routing),
        commune_code=_optional(fields["commune"]),
        department=_optional(fields["departement"]),
        department_label=_optional(fields["libdepartement"]),
        phone=_optional(fields["telephone"]),
        category_code=_optional(fields["categetab"]),
        category_label=_optional(fields["libcategetab"]),
        category_group_code=_optional(fields["categagretab"]),
        category_group_label=_optional(fields["libcategagretab"]),
        siret=siret,
        ape_code=_optional(fields["codeape"]),
        pricing_code=_optional(fields["codemft"]),
        pricing_label=_optional(fields["libmft"]),
        sph_code=_optional(fields["codesph"]),
        sph_label=_optional(fields["libsph"]),
        opened_on=_date(fields, "dateouv", line, report),
        authorised_on=_date(fields, "dateautor", line, report),
        updated_on=_date(fields, "datemaj", line, report),
        extract_date=extract_date,
        line=line,
    )


def _number(fields: dict[str, str], column: str, line: int, report: ImportReport) -> str | None:
    raw = fields[column]
    try:
        number, warnings = parse_finess(raw, strict_key=False)
    except CellError as error:
        report.error(line, column, raw, error.rule, error.message)
        return None
    # Corsican numbers (2A/2B) cannot carry a numeric key: that is normal in the directory
    # itself, so the « key not verified » note is not repeated for each of them.
    if number[:2] not in ("2A", "2B"):
        for warning in warnings:
            report.warning(line, column, raw, "FINESS_INVALID_KEY", warning)
    return number


def _date(fields: dict[str, str], column: str, line: int, report: ImportReport) -> dt.date | None:
    raw = fields[column]
    if not raw:
        return None
    try:
        return parse_date(raw)
    except CellError as error:
        report.warning(line, column, raw, error.rule, f"{error} ; date non reprise")
        return None
