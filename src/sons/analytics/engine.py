"""DuckDB as the controls use it: never reaching the network, and running our SQL files.

The controls read local CSV and Parquet files only; the readers they need (CSV, Parquet) are
built into the `duckdb` wheel. Extension auto-install and auto-load are switched off so that no
query can ever trigger a download (an operator's machine may have no network, and a control must
not depend on a third-party server). The SQL lives in `sql/*.sql` (portable: standard SQL run on
tables with documented columns) and `sql/duckdb/*.sql` (the DuckDB-specific reading step).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import duckdb

# Settings that keep DuckDB from installing or loading anything on its own.
OFFLINE_SETTINGS: Mapping[str, bool] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}
# DuckDB draws its own progress bar on stdout for long queries; the CLI shows its own status.
_QUIET: Mapping[str, bool] = {"enable_progress_bar": False}


def open_connection(
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with extension downloads off.

    `temp_directory` is where DuckDB spills when a query outgrows `memory_limit`; without one it
    would write a `.tmp` folder in the current directory.
    """
    config: dict[str, str | bool | int | float | list[str]] = dict(OFFLINE_SETTINGS)
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    connection = duckdb.connect(":memory:", config=config)
    for name, value in _QUIET.items():  # session settings: not accepted in `config`
        connection.execute(f"SET {name} = {'true' if value else 'false'}")
    return connection


def make_offline(connection: duckdb.DuckDBPyConnection) -> None:
    """The same settings on a connection someone else opened (e.g. the store's export)."""
    for name, value in {**OFFLINE_SETTINGS, **_QUIET}.items():
        connection.execute(f"SET {name} = {'true' if value else 'false'}")


def external_extensions(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Loaded extensions that are not built into the wheel (expected: none)."""
    rows = connection.execute(
        "SELECT extension_name FROM duckdb_extensions() "
        "WHERE loaded AND install_mode <> 'STATICALLY_LINKED' ORDER BY 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


@cache
def sql_text(name: str) -> str:
    """The text of `sql/<name>` (package data), comments included."""
    return resources.files("sons.analytics").joinpath("sql", name).read_text(encoding="utf-8")


def sql(name: str, **values: str) -> str:
    """`sql/<name>` with its `${placeholders}` replaced (names of columns or quoted literals)."""
    text = sql_text(name)
    return Template(text).substitute(values) if values else text


def literal(value: str) -> str:
    """A SQL string literal (quotes doubled): file names go into the reading SQL this way."""
    return "'" + value.replace("'", "''") + "'"


def date_literal(value: dt.date | None) -> str:
    return "NULL" if value is None else f"DATE '{value.isoformat()}'"


def fetch_dicts(connection: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    """Every row of a (small) result, as dicts keyed by column name."""
    cursor = connection.execute(query)
    names = [d[0] for d in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(connection: duckdb.DuckDBPyConnection, query: str) -> dict[str, Any]:
    rows = fetch_dicts(connection, query)
    if len(rows) != 1:
        raise RuntimeError(f"une ligne attendue, {len(rows)} lue(s)")
    return rows[0]
