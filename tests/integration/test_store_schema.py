"""The schema: migrations build exactly the models, on SQLite and PostgreSQL; where data lives."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from sons.store.database import (
    HEAD_REVISION,
    alembic_config,
    at_head,
    create_engine,
    database_url,
    default_sqlite_path,
    migrate,
    open_store,
    writer,
)
from sons.store.errors import StoreUnavailableError
from sons.store.schema import metadata

EXPECTED_TABLES = {
    "vendors",
    "solutions",
    "establishments",
    "legal_entities",
    "professionals",
    "eligibility_ceilings",
    "import_batches",
    "purchase_orders",
    "order_sites",
    "order_lines",
    "journal_entries",
}


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrations_build_the_models_exactly(fresh_db_url: str) -> None:
    engine = create_engine(fresh_db_url)
    try:
        assert _current_revision(engine) is None
        migrate(engine)
        assert _current_revision(engine) == _head()
        tables = set(sa.inspect(engine).get_table_names())
        assert tables >= EXPECTED_TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata())
        assert differences == []
    finally:
        engine.dispose()


def test_the_head_revision_constant_is_alembics_head(fresh_db_url: str) -> None:
    assert _head() == HEAD_REVISION
    engine = create_engine(fresh_db_url)
    try:
        assert not at_head(engine)  # empty: Alembic must run
        migrate(engine)
        assert at_head(engine)
        with writer(engine).begin() as connection:
            command.downgrade(alembic_config(connection), "-1")
        assert not at_head(engine)  # one behind: Alembic runs again and brings it back
        migrate(engine)
        assert at_head(engine) and _current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


def test_migrating_again_changes_nothing_and_downgrade_empties(fresh_db_url: str) -> None:
    engine = open_store(fresh_db_url)
    try:
        migrate(engine)
        assert _current_revision(engine) == _head()
        with writer(engine).begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert set(sa.inspect(engine).get_table_names()) & EXPECTED_TABLES == set()
        migrate(engine)
        assert set(sa.inspect(engine).get_table_names()) >= EXPECTED_TABLES
    finally:
        engine.dispose()


def test_the_promised_indexes_exist(engine: Engine) -> None:
    inspector = sa.inspect(engine)

    def indexed(table: str) -> list[list[str | None]]:
        return [index["column_names"] for index in inspector.get_indexes(table)]

    assert ["vendor_id", "dispositif", "status"] in indexed("purchase_orders")
    assert ["client_kind", "client_id", "vendor_id", "number"] in indexed("purchase_orders")
    assert ["finess_ej"] in indexed("order_sites")


def test_sqlite_enforces_foreign_keys_and_uses_wal(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path}/pragmas.sqlite3")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO solutions (vendor_id, name, version, referencing_number, "
                "dispositif, profiles, created_at, updated_at) "
                "VALUES (999, 'x', '1', 'R', 'D', '[]', '2025-01-01', '2025-01-01')"
            )
    finally:
        engine.dispose()


def test_the_database_location(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = "postgresql+psycopg://sons@db.example:5432/sons"
    assert database_url({"SONS_DATABASE_URL": explicit, "SONS_HOME": "/ignored"}) == explicit
    assert default_sqlite_path({"SONS_HOME": str(tmp_path)}) == tmp_path / "sons.sqlite3"
    assert database_url({"SONS_HOME": str(tmp_path)}) == f"sqlite:///{tmp_path}/sons.sqlite3"
    monkeypatch.chdir(tmp_path)
    assert default_sqlite_path({}) == tmp_path / "var" / "sons.sqlite3"
    assert database_url({"SONS_DATABASE_URL": "  "}) == f"sqlite:///{tmp_path}/var/sons.sqlite3"


def test_opening_the_default_store_creates_its_folder(tmp_path: Path) -> None:
    path = default_sqlite_path({"SONS_HOME": str(tmp_path / "neuf")})
    engine = open_store(f"sqlite:///{path}")
    engine.dispose()
    assert path.is_file()


def test_a_plain_postgresql_url_uses_psycopg() -> None:
    engine = create_engine("postgresql://sons@localhost/sons")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
    finally:
        engine.dispose()


def test_an_unusable_url_is_explained_in_french() -> None:
    with pytest.raises(StoreUnavailableError, match="n'est pas une adresse de base de données"):
        create_engine("pas une url")


def test_an_unreachable_server_is_explained_in_french() -> None:
    with pytest.raises(StoreUnavailableError, match="Impossible d'ouvrir la base de données"):
        open_store("postgresql://sons@127.0.0.1:1/sons?connect_timeout=2")
