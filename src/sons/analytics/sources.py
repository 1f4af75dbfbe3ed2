"""The input files of the controls: which files, which columns, and reading them into DuckDB.

Three inputs share one reading path: usage statistics, paid balances and the establishments
directory. Each is a table described by a `TableSpec` (French column names, what they hold) and
comes as CSV (`;` or `,`, UTF-8, one header row) or Parquet, one or many files, or — for the
balances and the directory — a DuckDB relation. Everything that makes an input unusable
(missing file, missing column, wrong Parquet type, a CSV value that is not of the documented
type) is reported for every file at once, each placed (file, line or record, column), before
anything is computed. This module is the DuckDB-specific step: everything after it reads
tables with documented columns through portable SQL.
"""

from __future__ import annotations

import csv
import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import duckdb

from sons.analytics.engine import literal, sql
from sons.findings import Finding, Severity
from sons.formats.cells import header_key

# A list of problems of one kind stops after this many examples; one more finding gives the
# total, so that a file with a million bad lines yields a readable report.
MAX_EXAMPLES = 20

CSV_SUFFIXES = frozenset({".csv", ".txt"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
_GLOB_CHARACTERS = frozenset("*?[")
_DELIMITERS = (";", ",", "\t")

_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
)


class SourceKind(StrEnum):
    CSV = "csv"
    PARQUET = "parquet"
    RELATION = "relation"


class ColumnKind(StrEnum):
    """How a column is read and normalised (see `_expression`)."""

    CODE = "code"  # an identifier (FINESS, SIRET): spaces removed, upper case
    TEXT = "text"  # free text: outer spaces removed
    KEYWORD = "keyword"  # a value from a list (flux, statut): lower case
    INTEGER = "integer"  # a count: BIGINT
    MONTH = "month"  # AAAA-MM (a Parquet DATE is accepted and shown as AAAA-MM)


@dataclass(frozen=True, slots=True)
class Column:
    name: str  # as written in the file's header (case and outer spaces ignored)
    field: str  # the column's name in the SQL tables
    kind: ColumnKind
    required: bool = True


@dataclass(frozen=True, slots=True)
class TableSpec:
    what: str  # French, for messages: « statistiques d'usage »
    code: str  # finding code prefix: STATS, BALANCE, DIRECTORY
    columns: tuple[Column, ...]
    # Statistics must come with their documented types; balances and the directory are read as
    # text whatever their Parquet types, then parsed and checked row by row. Strictly typed
    # Parquet values are also taken as written (no trimming, no case change): national files
    # are machine-written, and normalising every string of 50 million rows at each scan would
    # cost more than the controls themselves. CSV cells are always normalised.
    strict_types: bool = False
    # The columns naming the sending software: the reading step adds `software_key`, a hash of
    # them, which the duplicate check numbers (see `duckdb/with_software_key.sql`).
    software_fields: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    label: str  # the file as messages name it
    kind: SourceKind


def place(label: str, kind: SourceKind, row: int | None = None, column: str | None = None) -> str:
    """« stats.csv, ligne 3, colonne « nb_documents » » (a record for Parquet and relations)."""
    parts = [label]
    if row is not None:
        parts.append(f"ligne {row}" if kind is SourceKind.CSV else f"enregistrement {row}")
    if column:
        parts.append(f"colonne « {column} »")
    return ", ".join(parts)


def french_count(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def more_finding(code: str, total: int, shown: int, what: str) -> Finding:
    """The line that closes a capped list: « 1 234 lignes au FINESS inconnu au total ; … »."""
    return Finding(
        code,
        Severity.INFO,
        f"{french_count(total)} {what} au total ; les {shown} premiers cas sont détaillés.",
    )


class InputError(Exception):
    """An input cannot be used at all (exit 2); `findings` says why, each placed."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        first = errors[0] if errors else None
        detail = f" Premier : {first.path} — {first.message}" if first else ""
        super().__init__(f"Entrée inutilisable ({len(errors)} erreur(s)).{detail}")


# --- which files ------------------------------------------------------------------------------


def expand(
    patterns: Iterable[str | Path], spec: TableSpec, findings: list[Finding]
) -> list[SourceFile]:
    """The files named by paths, folders (their CSV and Parquet files) or glob patterns."""
    found: list[SourceFile] = []
    seen: set[Path] = set()
    for pattern in patterns:
        text = str(pattern)
        path = Path(text)
        if path.is_file():
            matches = [path]
        elif _GLOB_CHARACTERS & set(text):
            matches = [Path(p) for p in sorted(glob.glob(text, recursive=True))]
            matches = [p for p in matches if p.is_file()]
            if not matches:
                findings.append(
                    _error(spec, "FILE_NOT_FOUND", text, "aucun fichier ne correspond à ce motif")
                )
                continue
        elif path.is_dir():
            matches = sorted(
                p
                for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in CSV_SUFFIXES | PARQUET_SUFFIXES
            )
            if not matches:
                findings.append(
                    _error(
                        spec,
                        "FILE_NOT_FOUND",
                        text,
                        "dossier sans fichier .csv ni .parquet",
                    )
                )
                continue
        else:
            findings.append(_error(spec, "FILE_NOT_FOUND", text, "fichier introuvable"))
            continue
        for match in matches:
            resolved = match.resolve()
            if resolved in seen:
                # The same file named twice (a folder and a pattern): reading it twice would
                # make every one of its rows a duplicate.
                continue
            seen.add(resolved)
            suffix = match.suffix.lower()
            if suffix in CSV_SUFFIXES:
                found.append(SourceFile(match, str(match), SourceKind.CSV))
            elif suffix in PARQUET_SUFFIXES:
                found.append(SourceFile(match, str(match), SourceKind.PARQUET))
            else:
                findings.append(
                    _error(
                        spec,
                        "FILE_TYPE",
                        str(match),
                        f"type de fichier « {suffix or '(sans extension)'} » non pris en "
                        "charge : attendu .csv ou .parquet",
                    )
                )
    return found


def _error(spec: TableSpec, rule: str, where: str, message: str) -> Finding:
    code = f"{spec.code}_{rule}"
    return Finding(code, Severity.ERROR, f"{spec.what} : {message}", where, code)


# --- columns ----------------------------------------------------------------------------------


@dataclass
class _Layout:
    """Which column of the file holds which documented column."""

    source: SourceFile
    by_field: dict[str, str] = field(default_factory=dict)  # field → column name in the file
    types: dict[str, str] = field(default_factory=dict)  # field → DuckDB type read
    csv_columns: list[tuple[str, str]] = field(default_factory=list)  # (positional name, type)
    csv_names: dict[str, str] = field(default_factory=dict)  # positional name → header
    delimiter: str = ";"


def _match_columns(
    spec: TableSpec,
    source: SourceFile,
    names: Sequence[str],
    findings: list[Finding],
) -> dict[str, str] | None:
    """field → header as written; None (with findings) when required columns are missing."""
    expected = {header_key(c.name): c for c in spec.columns}
    by_field: dict[str, str] = {}
    seen: dict[str, str] = {}
    ok = True
    for name in names:
        key = header_key(name)
        if key in seen:
            findings.append(
                _error(
                    spec,
                    "COLUMN_DUPLICATE",
                    place(source.label, source.kind, 1 if source.kind is SourceKind.CSV else None),
                    f"colonne « {name} » présente deux fois",
                )
            )
            ok = False
            continue
        seen[key] = name
        column = expected.get(key)
        if column is None:
            findings.append(
                Finding(
                    f"{spec.code}_COLUMN_UNKNOWN",
                    Severity.WARNING,
                    f"{spec.what} : colonne « {name} » inconnue, ignorée ; colonnes prévues : "
                    f"{', '.join(c.name for c in spec.columns)}",
                    place(source.label, source.kind),
                )
            )
            continue
        by_field[column.field] = name
    missing = [c.name for c in spec.columns if c.required and c.field not in by_field]
    if missing:
        listed = ", ".join(f"« {m} »" for m in missing)
        findings.append(
            _error(
                spec,
                "COLUMN_MISSING",
                place(source.label, source.kind, 1 if source.kind is SourceKind.CSV else None),
                f"colonne(s) obligatoire(s) absente(s) : {listed} ; colonnes lues : "
                f"{', '.join(names) or '(aucune)'}",
            )
        )
        ok = False
    return by_field if ok else None


def _csv_layout(spec: TableSpec, source: SourceFile, findings: list[Finding]) -> _Layout | None:
    try:
        with source.path.open("rb") as stream:
            first_line = stream.readline().decode("utf-8-sig")
    except UnicodeDecodeError:
        findings.append(
            _error(
                spec,
                "ENCODING",
                place(source.label, source.kind, 1),
                "la ligne d'en-tête n'est pas en UTF-8 ; enregistrez le fichier en CSV UTF-8",
            )
        )
        return None
    except OSError as error:
        findings.append(_error(spec, "FILE_UNREADABLE", source.label, f"illisible ({error})"))
        return None
    if not first_line.strip():
        findings.append(
            _error(
                spec,
                "FILE_EMPTY",
                place(source.label, source.kind, 1),
                "fichier vide ou sans ligne d'en-tête",
            )
        )
        return None
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    delimiter = max(_DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ";"
    names = next(csv.reader([first_line.rstrip("\r\n")], delimiter=delimiter))
    names = [n.strip() for n in names]
    by_field = _match_columns(spec, source, names, findings)
    if by_field is None:
        return None
    layout = _Layout(source, by_field, delimiter=delimiter)
    columns = {c.field: c for c in spec.columns}
    field_of = {header: name for name, header in by_field.items()}
    for index, name in enumerate(names):
        positional = f"c{index}"
        column = columns.get(field_of.get(name, ""))
        duck_type = "BIGINT" if column and column.kind is ColumnKind.INTEGER else "VARCHAR"
        layout.csv_columns.append((positional, duck_type))
        layout.csv_names[positional] = name
        if column is not None:
            layout.by_field[column.field] = positional
            layout.types[column.field] = duck_type
    return layout


def _parquet_layout(
    connection: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    source: SourceFile,
    findings: list[Finding],
) -> _Layout | None:
    try:
        described = connection.execute(
            f"DESCRIBE SELECT * FROM read_parquet({literal(str(source.path))})"
        ).fetchall()
    except duckdb.Error as error:
        findings.append(
            _error(
                spec,
                "FILE_UNREADABLE",
                source.label,
                f"fichier Parquet illisible (DuckDB : {_first_line(error)})",
            )
        )
        return None
    names = [str(row[0]) for row in described]
    types = {str(row[0]): str(row[1]) for row in described}
    by_field = _match_columns(spec, source, names, findings)
    if by_field is None:
        return None
    layout = _Layout(source, by_field)
    ok = True
    for column in spec.columns:
        name = by_field.get(column.field)
        if name is None:
            continue
        read = types[name]
        layout.types[column.field] = read
        if spec.strict_types and not _accepts(column.kind, read):
            findings.append(
                _error(
                    spec,
                    "COLUMN_TYPE",
                    place(source.label, source.kind, column=name),
                    f"type Parquet lu : {read} ; attendu : {_expected_type(column.kind)}",
                )
            )
            ok = False
    return layout if ok else None


def _accepts(kind: ColumnKind, duck_type: str) -> bool:
    if kind is ColumnKind.INTEGER:
        return duck_type in _INTEGER_TYPES
    if kind is ColumnKind.MONTH:
        return duck_type in ("VARCHAR", "DATE")
    return duck_type == "VARCHAR"


def _expected_type(kind: ColumnKind) -> str:
    if kind is ColumnKind.INTEGER:
        return "un entier (INT32 ou INT64)"
    if kind is ColumnKind.MONTH:
        return "du texte AAAA-MM (STRING) ou une date (DATE)"
    hint = (
        " (un identifiant stocké comme nombre perd ses zéros initiaux)"
        if kind is ColumnKind.CODE
        else ""
    )
    return f"du texte (STRING){hint}"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --- reading ----------------------------------------------------------------------------------


def _expression(
    column: Column, layout: _Layout | None, reference: str | None, normalise: bool
) -> str:
    """The (normalised) value of one documented column, or a typed NULL when absent."""
    duck_type = "BIGINT" if column.kind is ColumnKind.INTEGER else "VARCHAR"
    if reference is None:
        return f"CAST(NULL AS {duck_type}) AS {column.field}"
    read_type = layout.types.get(column.field, "VARCHAR") if layout else "VARCHAR"
    quoted = '"' + reference.replace('"', '""') + '"'
    if column.kind is ColumnKind.INTEGER:
        value = f"CAST({quoted} AS BIGINT)"
    elif column.kind is ColumnKind.MONTH and read_type == "DATE":
        value = f"strftime({quoted}, '%Y-%m')"
    elif not normalise:
        value = f"NULLIF({quoted}, '')"
    else:
        text = f"CAST({quoted} AS VARCHAR)"
        if column.kind is ColumnKind.CODE:
            value = (
                f"NULLIF(UPPER(regexp_replace({text}, '[\\s\\x{{00A0}}\\x{{202F}}]+', '', 'g')), "
                "'')"
            )
        elif column.kind is ColumnKind.KEYWORD:
            value = f"NULLIF(LOWER(TRIM({text})), '')"
        else:
            value = f"NULLIF(TRIM({text}), '')"
    return f"{value} AS {column.field}"


def _select_list(
    spec: TableSpec, layout: _Layout | None, available: dict[str, str], normalise: bool = True
) -> str:
    return ",\n  ".join(
        _expression(c, layout, available.get(c.field), normalise) for c in spec.columns
    )


def _with_software_key(spec: TableSpec, body: str) -> str:
    if not spec.software_fields:
        return body
    return sql(
        "duckdb/with_software_key.sql", key_columns=", ".join(spec.software_fields), body=body
    )


@dataclass
class LoadedTable:
    """What `load` built: the SQL object name and how to place its rows."""

    name: str
    kinds: dict[str, SourceKind] = field(default_factory=dict)  # source label → kind
    is_view: bool = False
    parts: list[str] = field(default_factory=list)  # the tables a view reads (CSV files)

    def place(self, label: str, row: int | None, column: str | None = None) -> str:
        return place(label, self.kinds.get(label, SourceKind.CSV), row, column)

    def row_name(self, label: str, row: int) -> str:
        """« ligne 3 » in a CSV, « enregistrement 3 » in a Parquet file or a relation."""
        csv_file = self.kinds.get(label, SourceKind.CSV) is SourceKind.CSV
        return f"{'ligne' if csv_file else 'enregistrement'} {row}"

    def drop(self, connection: duckdb.DuckDBPyConnection) -> None:
        """Free the memory the rows hold once the tables built from them are made."""
        connection.execute(f"DROP {'VIEW' if self.is_view else 'TABLE'} IF EXISTS {self.name}")
        for part in self.parts:
            connection.execute(f"DROP TABLE IF EXISTS {part}")


def load(
    connection: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    sources: Sequence[SourceFile],
    name: str,
    findings: list[Finding],
    *,
    materialize: bool,
) -> LoadedTable | None:
    """Create `name` (columns: source_file, source_row, then the spec's fields) from the files.

    CSV files are read once into a table of their own (with their rejected values recorded);
    Parquet files stay views, so a national history is scanned, never copied, when
    `materialize` is false. Returns None when any file is unusable (findings say why).
    """
    layouts: list[_Layout] = []
    for source in sources:
        if source.kind is SourceKind.CSV:
            layout = _csv_layout(spec, source, findings)
        else:
            layout = _parquet_layout(connection, spec, source, findings)
        if layout is not None:
            layouts.append(layout)
    if len(layouts) < len(sources):
        return None
    loaded = LoadedTable(name)
    parts: list[str] = []
    for index, layout in enumerate(layouts):
        source = layout.source
        loaded.kinds[source.label] = source.kind
        if source.kind is SourceKind.CSV:
            table = f"{name}_csv_{index}"
            part = _read_csv(connection, spec, layout, table, findings)
            if part is None:
                continue
            parts.append(part)
            loaded.parts.append(table)
        else:
            parts.append(
                sql(
                    "duckdb/read_parquet.sql",
                    label=literal(source.label),
                    path=literal(str(source.path)),
                    columns=_select_list(
                        spec, layout, layout.by_field, normalise=not spec.strict_types
                    ),
                )
            )
    if len(parts) < len(layouts):
        return None
    body = _with_software_key(spec, "\nUNION ALL\n".join(parts) if parts else _empty(spec))
    kind = "TABLE" if materialize else "VIEW"
    connection.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS\n{body}")
    loaded.is_view = not materialize
    if materialize:  # the rows are copied: the per-file tables are no longer needed
        for table in loaded.parts:
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        loaded.parts.clear()
    return loaded


def load_relation(
    connection: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    relation: duckdb.DuckDBPyRelation,
    name: str,
    findings: list[Finding],
) -> LoadedTable | None:
    """The same table from a DuckDB relation (made on `connection`, e.g. by the store)."""
    label = f"relation {spec.what}"
    source = SourceFile(Path(label), label, SourceKind.RELATION)
    by_field = _match_columns(spec, source, list(relation.columns), findings)
    if by_field is None:
        return None
    view = f"{name}_relation"
    relation.create_view(view, replace=True)
    layout = _Layout(source, by_field)
    layout.types = {f: _type_of(relation, column) for f, column in by_field.items()}
    body = sql(
        "duckdb/read_relation.sql",
        label=literal(label),
        view=view,
        columns=_select_list(spec, layout, by_field),
    )
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS\n{_with_software_key(spec, body)}")
    return LoadedTable(name, {label: SourceKind.RELATION})


def _type_of(relation: duckdb.DuckDBPyRelation, column: str) -> str:
    return str(relation.types[list(relation.columns).index(column)])


def _empty(spec: TableSpec) -> str:
    return (
        "SELECT CAST(NULL AS VARCHAR) AS source_file, CAST(NULL AS BIGINT) AS source_row,\n  "
        + _select_list(spec, None, {})
        + "\nWHERE 1 = 0"
    )


def _read_csv(
    connection: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    layout: _Layout,
    table: str,
    findings: list[Finding],
) -> str | None:
    """Read one CSV into `table`; None when a value or a line does not fit the layout."""
    source = layout.source
    types = "{" + ", ".join(f"{literal(n)}: {literal(t)}" for n, t in layout.csv_columns) + "}"
    rejects = f"{table}_rejects"
    statement = sql(
        "duckdb/read_csv.sql",
        table=table,
        label=literal(source.label),
        path=literal(str(source.path)),
        delimiter=literal(layout.delimiter),
        types=types,
        rejects_table=literal(rejects),
        rejects_scan=literal(f"{table}_scans"),
        columns=_select_list(spec, layout, layout.by_field),
    )
    try:
        connection.execute(statement)
    except duckdb.Error as error:
        findings.append(
            _error(
                spec,
                "FILE_UNREADABLE",
                source.label,
                f"CSV illisible (DuckDB : {_first_line(error)}) ; attendu un CSV UTF-8 avec une "
                "ligne d'en-tête",
            )
        )
        return None
    rejected = connection.execute(
        f"SELECT line, column_name, error_type, csv_line FROM {rejects} ORDER BY line"
    ).fetchall()
    for index, (line, column, error_type, csv_line) in enumerate(rejected):
        if index == MAX_EXAMPLES:
            findings.append(
                more_finding(
                    f"{spec.code}_VALUE_INVALID", len(rejected), MAX_EXAMPLES, "lignes illisibles"
                )
            )
            break
        header = layout.csv_names.get(str(column), None) if column else None
        findings.append(
            _error(
                spec,
                "VALUE_INVALID",
                place(source.label, source.kind, int(line), header),
                _reject_message(str(error_type), layout, str(column or ""), str(csv_line or "")),
            )
        )
    if rejected:
        return None
    return f"SELECT * FROM {table}"


def _reject_message(error_type: str, layout: _Layout, column: str, csv_line: str) -> str:
    expected = len(layout.csv_columns)
    if error_type == "CAST":
        index = int(column[1:]) if column[1:].isdigit() else -1
        cells = next(csv.reader([csv_line.strip("\r\n")], delimiter=layout.delimiter), [])
        value = cells[index].strip() if 0 <= index < len(cells) else ""
        return f"valeur « {value} » illisible : nombre entier attendu"
    if error_type == "TOO MANY COLUMNS":
        return f"trop de champs sur cette ligne : {expected} attendus (un séparateur en trop ?)"
    if error_type == "MISSING COLUMNS":
        return f"champs manquants sur cette ligne : {expected} attendus"
    if error_type in ("INVALID UNICODE", "INVALID ENCODING"):
        return "caractères qui ne sont pas en UTF-8 ; enregistrez le fichier en CSV UTF-8"
    return f"ligne illisible ({error_type.lower()})"
