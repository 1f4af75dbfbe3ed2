"""The establishments directory: which FINESS ET exist and the EJ each belongs to.

The controls need it twice: a statistics row for an ET the directory does not know is refused,
and a public client's ES-PMSI is its EJ, so its statistics are those of every ET of that EJ
(PRIMER §9). It comes as a small table (`finess_et;finess_ej;raison_sociale`, CSV or Parquet),
as the public FINESS extract itself (the « etalab » CSV, recognised by its first line), or as a
DuckDB relation with the same columns.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb

from sons.analytics.engine import fetch_dicts, sql
from sons.analytics.sources import (
    MAX_EXAMPLES,
    Column,
    ColumnKind,
    SourceFile,
    SourceKind,
    TableSpec,
    expand,
    load,
    load_relation,
)
from sons.findings import Finding, Severity
from sons.formats.finess import read_finess
from sons.formats.problems import ImportReport

DIRECTORY = TableSpec(
    what="annuaire des établissements",
    code="DIRECTORY",
    columns=(
        Column("finess_et", "finess_et", ColumnKind.CODE),
        Column("finess_ej", "finess_ej", ColumnKind.CODE),
        Column("raison_sociale", "name", ColumnKind.TEXT, required=False),
    ),
)

_ETALAB_FIRST_FIELDS = "finess;etalab"


def load_directory(
    connection: duckdb.DuckDBPyConnection,
    directory: str | Path | duckdb.DuckDBPyRelation,
    findings: list[Finding],
    work_dir: Path,
) -> bool:
    """Create `establishment` (finess_et, finess_ej, name); False when the input is unusable."""
    if isinstance(directory, duckdb.DuckDBPyRelation):
        loaded = load_relation(connection, DIRECTORY, directory, "establishment_rows", findings)
    else:
        sources = expand([directory], DIRECTORY, findings)
        if len(sources) == 1 and _is_etalab(sources[0]):
            converted = _from_etalab(sources[0], findings, work_dir)
            if converted is None:
                return False
            sources = [converted]
        loaded = (
            load(connection, DIRECTORY, sources, "establishment_rows", findings, materialize=True)
            if sources
            else None
        )
    if loaded is None:
        return False
    problems = fetch_dicts(connection, sql("establishment_problems.sql", limit=str(MAX_EXAMPLES)))
    for row in problems:
        if row["problem"] == "value_missing":
            column = "finess_et" if row["finess_et"] is None else "finess_ej"
            message = f"annuaire des établissements : {column} manquant"
        else:
            column = "finess_ej"
            message = (
                f"annuaire des établissements : l'ET {row['finess_et']} y est rattaché à deux EJ "
                f"({row['lowest_ej']} et {row['highest_ej']}, voir aussi la ligne "
                f"{row['first_row']}) ; un ET n'appartient qu'à une EJ"
            )
        code = (
            "DIRECTORY_VALUE_MISSING"
            if row["problem"] == "value_missing"
            else ("DIRECTORY_EJ_CONFLICT")
        )
        findings.append(
            Finding(
                code,
                Severity.ERROR,
                message,
                loaded.place(row["source_file"], row["source_row"], column),
                code,
            )
        )
    if problems:
        return False
    connection.execute(f"CREATE OR REPLACE TEMP TABLE establishment AS {sql('establishment.sql')}")
    loaded.drop(connection)
    return True


def _is_etalab(source: SourceFile) -> bool:
    if source.kind is not SourceKind.CSV:
        return False
    with source.path.open("rb") as stream:
        start = stream.read(64).lstrip(b"\xef\xbb\xbf")
    return start.lower().startswith(_ETALAB_FIRST_FIELDS.encode())


def _from_etalab(source: SourceFile, findings: list[Finding], work_dir: Path) -> SourceFile | None:
    """The public FINESS extract, read by `sons.formats.finess`, as a directory table."""
    report = ImportReport.for_path(source.path, "extrait FINESS")
    handle, name = tempfile.mkstemp(suffix=".csv", dir=work_dir)
    with open(handle, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=";")
        writer.writerow([c.name for c in DIRECTORY.columns])
        for item in read_finess(source.path, report):
            writer.writerow([item.finess_et, item.finess_ej, item.long_name or item.name])
    if report.has_errors:
        findings.extend(report.findings())
        return None
    # Messages keep naming the extract the user gave, not the converted copy.
    return SourceFile(Path(name), source.label, SourceKind.CSV)
