"""Where the data lives, how to connect to it, and how to bring its schema up to date.

`SONS_DATABASE_URL` names the database (PostgreSQL in production); without it, a SQLite file
at `$SONS_HOME/sons.sqlite3`, or `./var/sons.sqlite3` from the current directory when
`SONS_HOME` is unset (docs/stockage.md). Every command that uses the store calls `open_store`,
which migrates first, so a fresh file or an older schema is never a user's problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from sons.store.errors import StoreUnavailableError

if TYPE_CHECKING:
    from alembic.config import Config

URL_VARIABLE = "SONS_DATABASE_URL"
HOME_VARIABLE = "SONS_HOME"
SQLITE_FILE_NAME = "sons.sqlite3"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Execution option that marks a connection as a writer: on SQLite it begins with BEGIN IMMEDIATE.
WRITER_OPTION = "sons_writer"
# Any constant works: it only has to differ from other applications sharing the database.
_MIGRATION_LOCK_KEY = 0x534F4E53_0001  # "SONS", 1
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def default_sqlite_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    home = env.get(HOME_VARIABLE)
    folder = Path(home).expanduser() if home else Path.cwd() / "var"
    return folder / SQLITE_FILE_NAME


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The URL from `SONS_DATABASE_URL`, else the default SQLite file."""
    env = os.environ if environ is None else environ
    configured = env.get(URL_VARIABLE, "").strip()
    if configured:
        return configured
    return f"sqlite:///{default_sqlite_path(env)}"


def _parse(url: str | URL) -> URL:
    try:
        parsed = sa.make_url(url)
    except ArgumentError:
        raise StoreUnavailableError(
            f"{URL_VARIABLE} : « {url} » n'est pas une adresse de base de données reconnue "
            "(attendu : postgresql+psycopg://utilisateur@hôte:5432/base ou sqlite:///chemin)."
        ) from None
    # Users write postgresql://…; SQLAlchemy would pick psycopg2, which we do not ship.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_engine(url: str | URL | None = None, *, echo: bool = False) -> Engine:
    """An engine for `url` (default: `database_url()`), with SQLite tuned for safe concurrency."""
    parsed = _parse(url if url is not None else database_url())
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo=echo)
    try:
        return _postgres_engine(parsed, echo=echo)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StoreUnavailableError(
            f"{URL_VARIABLE} : pilote « {parsed.drivername} » indisponible ({exc}). "
            "Pour PostgreSQL, installez psycopg 3 : pip install 'sons[pg]'."
        ) from None


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode("utf-8")


def _engine_options(echo: bool) -> dict[str, Any]:
    # orjson: JSON columns (questionnaire answers) decode several times faster than with json.
    return {"echo": echo, "json_serializer": _json_text, "json_deserializer": orjson.loads}


# A statement's execution option: PostgreSQL plans it at each execution, with its values. Psycopg
# prepares a statement run five times on a connection, and PostgreSQL then settles on a generic
# plan when its estimate is no worse, an estimate made without the values: for a page of orders
# by client name or by dates, the generic plan took three to ten times as long (4.7 ms instead
# of 1.7 for a month, 15 instead of 4.5 for « lyon »), as how many orders match decides between
# walking the list in order and seeking the matches then sorting them.
PLAN_EACH_TIME = "sons_plan_each_time"


def _postgres_engine(url: URL, *, echo: bool, **options: Any) -> Engine:
    engine = sa.create_engine(url, pool_pre_ping=True, **options, **_engine_options(echo))
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "do_execute", _execute_unprepared)
    return engine


def _execute_unprepared(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
    """Runs the statements marked PLAN_EACH_TIME unprepared; True: done, SQLAlchemy executes
    nothing more."""
    if context is None or not context.execution_options.get(PLAN_EACH_TIME):
        return False
    cursor.execute(statement, parameters, prepare=False)
    return True


def _sqlite_engine(url: URL, *, echo: bool) -> Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}, **_engine_options(echo)
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We emit BEGIN ourselves (below): the sqlite3 module's implicit transactions skip
        # SELECTs and DDL, which would break repeatable reads and transactional migrations.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL: readers never wait for the writer, and the writer never waits for readers.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that read before
        # another one committed could not upgrade to a writer and would fail instead of waiting.
        writer = connection.get_execution_options().get(WRITER_OPTION, False)
        # Straight to the driver: every unit of work begins so, and SQLAlchemy's statement
        # machinery (events, result) would cost more than the BEGIN itself.
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _with_options(engine: Engine, name: str, **options: Any) -> Engine:
    """`engine` with `options`, made once and kept on the engine: an engine with options is a
    new object, costly to make (a copy of the engine's events), and every unit of work needs
    one. Kept as an attribute, it lives and dies with its engine (a weak mapping would keep the
    engine alive through the value's reference to it)."""
    found: Engine | None = engine.__dict__.get(name)
    if found is None:
        found = engine.execution_options(**options)
        setattr(engine, name, found)
    return found


def writer(engine: Engine) -> Engine:
    """The same engine, its transactions marked as writers (see `_on_begin`)."""
    return _with_options(engine, "_sons_writer", **{WRITER_OPTION: True})


def reader(engine: Engine) -> Engine:
    """The same engine, its transactions read-only: PostgreSQL refuses any write in them, told
    by the BEGIN itself (« BEGIN READ ONLY », no round trip of its own). SQLite's readers
    take no write lock (see `_on_begin`); nothing writes through a reader's unit of work."""
    if engine.dialect.name != "postgresql":
        return engine
    return _with_options(engine, "_sons_reader", postgresql_readonly=True)


def glancer(engine: Engine) -> Engine:
    """The engine for glances: reads of a few statements, each on its own snapshot (a page's
    session, a list's count and rows), on the hot path of every page.

    SQLite: the engine itself (a transaction there costs no round trip).

    PostgreSQL: an engine of its own on the same database, made once, whose connections are
    read-only for good (`default_transaction_read_only`) and in autocommit: a glance sends its
    statements and nothing else — no BEGIN, no ROLLBACK, two round trips fewer — and
    PostgreSQL still refuses any write slipped into it. Under READ COMMITTED, PostgreSQL's
    default, statements of one transaction each see their own snapshot anyway. Not for streamed
    reads: a server-side cursor needs a transaction. It is disposed of with its engine."""
    if engine.dialect.name != "postgresql":
        return engine
    found: Engine | None = engine.__dict__.get("_sons_glancer")
    if found is None:
        given = engine.url.query.get("options", "")
        parts = [given] if isinstance(given, str) else list(given)
        options = " ".join([*filter(None, parts), "-c default_transaction_read_only=on"])
        made = _postgres_engine(
            engine.url.update_query_dict({"options": options}),
            echo=bool(engine.echo),
            isolation_level="AUTOCOMMIT",
        )
        engine._sons_glancer = made  # type: ignore[attr-defined]
        event.listen(engine, "engine_disposed", lambda _engine: made.dispose())
        found = made
    return found


# The newest migration. A store already there is opened without loading Alembic and its
# scripts (most of a command's start-up time); tests/integration/test_store_schema.py checks this
# is Alembic's head, and a stale value only costs the time of a migration that finds nothing.
HEAD_REVISION = "0007_control_reports"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configured in code: no alembic.ini is needed at run time."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def at_head(engine: Engine) -> bool:
    """Whether the schema is already at `HEAD_REVISION` (a read, no lock, no Alembic)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return False
        versions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return [row[0] for row in versions] == [HEAD_REVISION]


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (`alembic upgrade head`), in one transaction."""
    if at_head(engine):
        return
    from alembic import command

    with writer(engine).begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting at once: the second waits, then finds nothing to do.
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
        command.upgrade(alembic_config(connection), "head")


def describe(engine: Engine) -> str:
    """The database for a human: the URL without its password."""
    return engine.url.render_as_string(hide_password=True)


def open_store(url: str | URL | None = None) -> Engine:
    """The engine, migrated; a French `StoreUnavailableError` if the database cannot be used."""
    engine = create_engine(url)
    try:
        migrate(engine)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreUnavailableError(
            f"Impossible d'ouvrir la base de données {describe(engine)} : {reason}. "
            f"Vérifiez {URL_VARIABLE} (ou l'emplacement du fichier SQLite) et que le serveur "
            "est joignable."
        ) from None
    return engine
