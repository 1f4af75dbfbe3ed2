"""A table with a header row, read from a CSV or the first sheet of an XLSX workbook.

The templates of `docs/formats-import.md` (eligibility base, solutions, purchase orders) are
tables: one header row, then one row per record. This module reads them the same way whatever
the file type and reports what makes a table unreadable — wrong encoding, a row with too many or
too few fields, merged cells, duplicate or unnamed columns — each placed on its line and column.
It does not know what the columns mean; each format checks its own columns.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from sons.formats.cells import cell_text, header_key
from sons.formats.encoding import detect_encoding
from sons.formats.problems import ImportReport

CSV_SUFFIXES = frozenset({".csv", ".txt"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_DELIMITERS = (";", ",", "\t")
_DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its line (CSV line or Excel row number) and its cells by header."""

    line: int
    cells: dict[str, str]

    def get(self, header: str | None) -> str:
        if header is None:
            return ""
        return self.cells.get(header, "")


@dataclass
class Table:
    headers: list[str]
    rows: list[Row] = field(default_factory=list)
    header_line: int = 1

    def find(self, *names: str) -> str | None:
        """The header as written in the file for the first of ``names`` present (any case)."""
        by_key = {header_key(h): h for h in self.headers}
        for name in names:
            found = by_key.get(header_key(name))
            if found is not None:
                return found
        return None

    def require(self, report: ImportReport, name: str, *aliases: str) -> str | None:
        """The header for ``name``; a placed error when the column is missing."""
        found = self.find(name, *aliases)
        if found is None:
            report.error(
                self.header_line,
                name,
                None,
                "TABLE_COLUMN_MISSING",
                f"colonne obligatoire « {name} » absente de la ligne d'en-tête ; colonnes "
                f"lues : {', '.join(self.headers) or '(aucune)'}",
            )
        return found


def read_table(path: Path, report: ImportReport, what: str = "le fichier") -> Table | None:
    """Read a CSV (any of ; , tab as separator) or an XLSX file; None when unusable."""
    if not path.is_file():
        report.error(None, None, str(path), "FILE_NOT_FOUND", "fichier introuvable")
        return None
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, report, what)
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path, report)
    if suffix == ".xls":
        report.error(
            None,
            None,
            None,
            "FILE_FORMAT_UNKNOWN",
            "classeur Excel 97-2003 (.xls) non pris en charge : enregistrez-le au format .xlsx "
            "ou en CSV UTF-8",
        )
        return None
    report.error(
        None,
        None,
        path.suffix or None,
        "FILE_FORMAT_UNKNOWN",
        f"type de fichier « {path.suffix or '(sans extension)'} » non reconnu : attendu .csv "
        "ou .xlsx",
    )
    return None


# --- CSV ------------------------------------------------------------------------------------


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    if counts[";"]:
        return ";"
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_csv(path: Path, report: ImportReport, what: str) -> Table | None:
    encoding = detect_encoding(path, report, what=what)
    if encoding is None:
        return None
    report.encoding = encoding.label
    with path.open(encoding=encoding.codec, newline="") as stream:
        first_line = stream.readline()
        if not first_line.strip():
            report.error(
                1, None, None, "FILE_EMPTY", "fichier vide ou sans ligne d'en-tête en ligne 1"
            )
            return None
        delimiter = _sniff_delimiter(first_line)
        if delimiter != ";":
            report.details["séparateur"] = _DELIMITER_NAMES[delimiter]
        stream.seek(0)
        records = _csv_records(stream, delimiter, report)
        return _table_from_records(records, report, short_rows_allowed=False)


def _csv_records(
    stream: Iterable[str], delimiter: str, report: ImportReport
) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', strict=False)
    previous = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report.error(
                previous + 1,
                None,
                None,
                "TABLE_CSV_SYNTAX",
                f"ligne CSV illisible ({error}) ; vérifiez les guillemets",
            )
            previous = reader.line_num
            continue
        yield previous + 1, record
        previous = reader.line_num


# --- XLSX -----------------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _merged_ranges(workbook: Any, worksheet: Any) -> list[str]:
    """Merged ranges of a read-only sheet (openpyxl's read-only mode does not expose them)."""
    archive: zipfile.ZipFile | None = getattr(workbook, "_archive", None)
    sheet_path: str | None = getattr(worksheet, "_worksheet_path", None)
    if archive is None or sheet_path is None:
        return []
    ranges: list[str] = []
    with archive.open(sheet_path) as source:
        for _event, element in ElementTree.iterparse(source):
            if element.tag == f"{_SHEET_NS}mergeCell":
                ranges.append(element.get("ref", ""))
            elif element.tag == f"{_SHEET_NS}row":
                element.clear()  # keep memory flat on big sheets
    return ranges


def _range_start(ref: str) -> tuple[int, int]:
    """'B3:C4' → (row 3, column index 1)."""
    start = ref.split(":")[0]
    letters = "".join(c for c in start if c.isalpha())
    digits = "".join(c for c in start if c.isdigit())
    column = 0
    for char in letters.upper():
        column = column * 26 + (ord(char) - ord("A") + 1)
    return int(digits or 0), column - 1


def _read_xlsx(path: Path, report: ImportReport) -> Table | None:
    # Imported lazily: openpyxl is only needed for XLSX files.
    from openpyxl import load_workbook

    report.encoding = None
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds (zip, XML, key errors)
        report.error(
            None,
            None,
            None,
            "XLSX_UNREADABLE",
            f"classeur illisible ({type(error).__name__}) : enregistrez-le à nouveau au format "
            ".xlsx depuis votre tableur",
        )
        return None
    try:
        if not workbook.worksheets:
            report.error(None, None, None, "XLSX_UNREADABLE", "classeur sans feuille")
            return None
        worksheet = workbook.worksheets[0]
        report.details["feuille"] = worksheet.title
        if len(workbook.worksheets) > 1:
            report.info(
                None,
                None,
                None,
                "XLSX_FIRST_SHEET_ONLY",
                f"seule la première feuille (« {worksheet.title} ») est lue ; les "
                f"{len(workbook.worksheets) - 1} autre(s) sont ignorées",
            )
        records = (
            (number, [cell_text(value) for value in values])
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1)
        )
        # openpyxl stops a row at the sheet's last used column: short rows are normal here.
        table = _table_from_records(records, report, short_rows_allowed=True)
        for ref in _merged_ranges(workbook, worksheet):
            row, column = _range_start(ref)
            header = None
            if table is not None and 0 <= column < len(table.headers) and row > 1:
                header = table.headers[column] or None
            report.error(
                row or None,
                header or _column_letter(column),
                None,
                "XLSX_MERGED_CELLS",
                f"cellules fusionnées {ref} : défusionnez-les et répétez la valeur dans chaque "
                "cellule (une valeur par cellule)",
            )
        return table
    finally:
        workbook.close()


# --- shared ---------------------------------------------------------------------------------


def _table_from_records(
    records: Iterable[tuple[int, list[str]]], report: ImportReport, *, short_rows_allowed: bool
) -> Table | None:
    iterator = iter(records)
    for line, record in iterator:
        if any(cell.strip() for cell in record):
            header_line, raw_headers = line, record
            break
    else:
        report.error(1, None, None, "FILE_EMPTY", "aucune ligne d'en-tête : le fichier est vide")
        return None
    headers = [cell.strip() for cell in raw_headers]
    while headers and not headers[-1]:
        headers.pop()
    table = Table(headers=[h for h in headers if h], header_line=header_line)
    seen: dict[str, int] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        key = header_key(header)
        if key in seen:
            report.error(
                header_line,
                header,
                None,
                "TABLE_COLUMN_DUPLICATE",
                f"la colonne « {header} » apparaît deux fois (colonnes {_column_letter(seen[key])} "
                f"et {_column_letter(index)})",
            )
        else:
            seen[key] = index
    width = len(headers)
    for line, record in iterator:
        if not any(cell.strip() for cell in record):
            continue  # blank lines and rows of empty cells (« ;;;; ») are not records
        extra = [cell for cell in record[width:] if cell.strip()]
        if extra or (len(record) < width and not short_rows_allowed):
            report.error(
                line,
                None,
                None,
                "TABLE_FIELD_COUNT",
                f"{len(record)} champ(s) sur cette ligne au lieu de {width} (un par colonne "
                "d'en-tête) ; un séparateur manque ou est en trop",
            )
            continue
        cells: dict[str, str] = {}
        for index, header in enumerate(headers):
            value = record[index] if index < len(record) else ""
            if not header:
                if value.strip():
                    report.error(
                        line,
                        _column_letter(index),
                        value,
                        "TABLE_COLUMN_UNNAMED",
                        f"valeur dans la colonne {_column_letter(index)}, qui n'a pas d'en-tête",
                    )
                continue
            cells[header] = value
        table.rows.append(Row(line, cells))
    report.records = len(table.rows)
    return table
