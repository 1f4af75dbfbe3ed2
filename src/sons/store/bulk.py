"""Bulk writes and reads shared by the repositories: chunks and portable upserts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sons.store.tables import Base

CHUNK_SIZE = 2000
# Lookups by many keys are split: SQLite limits the number of bound parameters.
IN_CHUNK = 500

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def upsert(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT (primary key) DO UPDATE, on SQLite and PostgreSQL alike.

    Rows with the same key within one call: the last wins (PostgreSQL refuses to touch a row
    twice in one statement).
    """
    if not rows:
        return
    table = _table(model)
    keys = [column.name for column in table.primary_key.columns]
    unique = list({tuple(row[key] for key in keys): row for row in rows}.values())
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    updated = {
        column.name: statement.excluded[column.name]
        for column in table.columns
        if column.name not in keys
    }
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updated), unique)


def _table(model: type[Base]) -> sa.Table:
    table = model.__table__
    assert isinstance(table, sa.Table)
    return table


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """One Core executemany. Not the ORM's bulk path: it leaves out None values and splits the
    batch by the set of columns present, turning 60,000 order lines into thousands of INSERTs."""
    for chunk in chunked(rows, CHUNK_SIZE):
        session.connection().execute(sa.insert(_table(model)), chunk)


def insert_returning_ids(
    session: Session, model: type[Base], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert and return the new primary keys, in the order of `rows`."""
    table = _table(model)
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for chunk in chunked(rows, CHUNK_SIZE):
        ids.extend(session.connection().execute(statement, chunk).scalars())
    return ids
