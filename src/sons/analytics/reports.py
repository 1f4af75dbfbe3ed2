"""The controls' reports: per-control detail (CSV and XLSX) and the per-vendor summary.

Written into the `--out` folder, all or nothing: every file is first written under a temporary
name in that folder, and only when all of them are complete are they renamed (`os.replace`,
atomic on one file system) over any previous report. A run that fails leaves the folder as it
was. The CSV files are written by DuckDB straight from the result tables; the workbook is
streamed (openpyxl write-only mode), so a national run never holds its detail in memory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sons.analytics.conditions import LEVEL_LABELS, ControlledCondition
from sons.analytics.engine import literal, sql
from sons.findings import SEVERITY_LABELS, Finding

DETAIL_CSV = "controles-detail.csv"
VENDORS_CSV = "synthese-fournisseurs.csv"
WORKBOOK = "controles-a-posteriori.xlsx"

# A sheet holds at most 1,048,576 rows (the header included); the detail goes on to the next
# sheet beyond that.
EXCEL_MAX_ROWS = 1_048_576
# openpyxl writes some 50,000 cells a second even in write-only mode: a national run (half a
# million controls) would spend minutes on a workbook nobody scrolls. Beyond this many
# controls the workbook lists those that are not conforme; the CSV always has every one.
WORKBOOK_FULL_DETAIL_MAX = 100_000
_BATCH = 20_000
_DETAIL_ORDER = "siret_fournisseur, demande, condition_solde, statistiques, unite_controlee"


def write_reports(
    connection: duckdb.DuckDBPyConnection,
    out_dir: Path,
    *,
    findings: Sequence[Finding],
    conditions: Sequence[ControlledCondition],
    parameters: Sequence[tuple[str, str]],
    conforme_label: str,
) -> list[Path]:
    """Write the three reports from `control_detail` and `vendor_summary`; their final paths.

    `conforme_label` is the verdict label the workbook leaves out when the detail is too long
    for it (see `WORKBOOK_FULL_DETAIL_MAX`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    connection.execute(f"CREATE OR REPLACE TEMP VIEW control_report AS {sql('control_report.sql')}")
    staged: list[tuple[Path, Path]] = []
    try:
        for name, query in (
            (DETAIL_CSV, f"SELECT * FROM control_report ORDER BY {_DETAIL_ORDER}"),
            (VENDORS_CSV, sql("vendor_report.sql")),
        ):
            temporary = _staged(out_dir, name, staged)
            connection.execute(
                f"COPY ({query}\n) TO {literal(str(temporary))} "
                "(FORMAT csv, HEADER true, DELIMITER ';')"
            )
        _workbook(
            connection,
            _staged(out_dir, WORKBOOK, staged),
            findings,
            conditions,
            parameters,
            conforme_label,
        )
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, final in staged:
        with temporary.open("rb") as stream:  # on disk before the rename makes it visible
            os.fsync(stream.fileno())
        os.replace(temporary, final)
    return [final for _, final in staged]


def _staged(out_dir: Path, name: str, staged: list[tuple[Path, Path]]) -> Path:
    temporary = out_dir / f".{name}.{uuid.uuid4().hex}.tmp"
    staged.append((temporary, out_dir / name))
    return temporary


def _workbook(
    connection: duckdb.DuckDBPyConnection,
    path: Path,
    findings: Sequence[Finding],
    conditions: Sequence[ControlledCondition],
    parameters: Sequence[tuple[str, str]],
    conforme_label: str,
) -> None:
    book = Workbook(write_only=True)
    count = connection.execute("SELECT COUNT(*) FROM control_report").fetchone()
    controls = int(count[0]) if count else 0
    if controls <= WORKBOOK_FULL_DETAIL_MAX:
        _query_sheets(
            book,
            connection,
            "Contrôles",
            f"SELECT * FROM control_report ORDER BY {_DETAIL_ORDER}",
        )
        scope = f"tous les contrôles ({controls})"
    else:
        _query_sheets(
            book,
            connection,
            "Contrôles non conformes",
            f"SELECT * FROM control_report WHERE verdict <> {literal(conforme_label)} "
            f"ORDER BY {_DETAIL_ORDER}",
        )
        scope = (
            f"les contrôles non conformes ou sans données seulement (plus de "
            f"{WORKBOOK_FULL_DETAIL_MAX} contrôles) ; tous les {controls} sont dans {DETAIL_CSV}"
        )
    parameters = [*parameters, ("Détail du classeur", scope)]
    _query_sheets(book, connection, "Fournisseurs", sql("vendor_report.sql"))
    _rows_sheet(
        book,
        "Conditions",
        [
            "dispositif",
            "condition_solde",
            "flux",
            "voie",
            "statistiques",
            "niveau",
            "niveau_deduit",
            "seuil",
            "ins_qualifiee_exigee",
            "controle",
            "condition",
            "source",
        ],
        [
            [
                c.dispositif,
                c.condition_id,
                c.flow,
                c.route,
                c.statistics_label,
                LEVEL_LABELS[c.level],
                "oui" if c.level_inferred else "non",
                c.threshold,
                "oui" if c.ins_qualified else "non",
                c.control_label,
                c.condition,
                c.source,
            ]
            for c in conditions
        ],
    )
    _rows_sheet(
        book,
        "Constats",
        ["gravite", "code", "constat", "emplacement"],
        [[SEVERITY_LABELS[f.severity], f.code, f.message, f.path] for f in findings],
    )
    _rows_sheet(book, "Paramètres", ["parametre", "valeur"], [list(p) for p in parameters])
    book.save(path)


def _header(sheet: WriteOnlyWorksheet, names: Sequence[str]) -> None:
    bold = Font(bold=True)
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.freeze_panes = "A2"
    sheet.append(cells)


def _query_sheets(
    book: Workbook, connection: duckdb.DuckDBPyConnection, title: str, query: str
) -> None:
    cursor = connection.execute(query)
    names = [d[0] for d in cursor.description or ()]
    sheet, written, number = None, EXCEL_MAX_ROWS, 0
    while batch := cursor.fetchmany(_BATCH):
        for row in batch:
            if written == EXCEL_MAX_ROWS:
                number += 1
                sheet = book.create_sheet(title if number == 1 else f"{title} ({number})")
                _header(sheet, names)
                written = 1
            assert sheet is not None
            sheet.append(row)
            written += 1
    if sheet is None:
        _header(book.create_sheet(title), names)


def _rows_sheet(
    book: Workbook, title: str, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    sheet = book.create_sheet(title)
    _header(sheet, names)
    for row in rows:
        sheet.append(list(row))
