"""Database fixtures: each store test runs on SQLite and on PostgreSQL.

The PostgreSQL variant runs when SONS_TEST_POSTGRES_URL is set (CI sets it); it is skipped, with
the reason, when the variable is unset, and FAILS when the variable is set but the server cannot
be reached — a CI run must not turn green by silently skipping half of its tests.

Isolation: SQLite gets a new file per test. PostgreSQL gets one schema per test session
(`sons_test_<random>`, migrated once, dropped at the end), emptied before each test; tests that
need a virgin database ask for `fresh_db_url`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from sons.domain.orders import (
    ClientKind,
    FundedDimension,
    NotFunded,
    OrderLine,
    PurchaseOrder,
    SiteScenario,
    Solution,
    Vendor,
)
from sons.store.database import create_engine, open_store
from sons.store.schema import metadata
from sons.store.unit_of_work import UnitOfWork

POSTGRES_VARIABLE = "SONS_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get(POSTGRES_VARIABLE, "").strip()
    if not url:
        pytest.skip(f"{POSTGRES_VARIABLE} n'est pas définie : variante PostgreSQL non exécutée")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"{POSTGRES_VARIABLE}={url} est définie mais le serveur PostgreSQL est injoignable : "
            f"{exc.orig}",
            pytrace=False,
        )
    finally:
        engine.dispose()
    return url


class PostgresSchemas:
    """Creates throw-away schemas on the test server and drops them all at the end."""

    def __init__(self, server_url: str) -> None:
        self._admin = create_engine(server_url)
        self._server_url = server_url
        self._created: list[str] = []

    def create(self) -> str:
        name = f"sons_test_{uuid.uuid4().hex[:12]}"
        with self._admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        self._created.append(name)
        url = make_url(self._server_url).update_query_dict({"options": f"-csearch_path={name}"})
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._admin.begin() as connection:
            for name in self._created:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_schemas(postgres_url: str) -> Iterator[PostgresSchemas]:
    schemas = PostgresSchemas(postgres_url)
    yield schemas
    schemas.drop_all()


@dataclass
class MigratedPostgres:
    url: str
    engine: Engine

    def empty(self) -> None:
        tables = ", ".join(f'"{table.name}"' for table in metadata().sorted_tables)
        with self.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def migrated_postgres(postgres_schemas: PostgresSchemas) -> Iterator[MigratedPostgres]:
    url = postgres_schemas.create()
    engine = open_store(url)
    yield MigratedPostgres(url, engine)
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of the test's backend."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/sons.sqlite3"
    migrated: MigratedPostgres = request.getfixturevalue("migrated_postgres")
    migrated.empty()
    return migrated.url


@pytest.fixture
def fresh_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database of the test's backend on which nothing has run yet, not even migrations."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/virgin.sqlite3"
    schemas: PostgresSchemas = request.getfixturevalue("postgres_schemas")
    return schemas.create()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_store(db_url)
    yield engine
    engine.dispose()


class TickingClock:
    """A clock for tests: starts at a fixed UTC instant and moves one second per reading."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.current = start or dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.current += dt.timedelta(seconds=1)
        return self.current


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


# -- sample values ---------------------------------------------------------------------------

VENDOR = Vendor(
    name="Éditeur Radiologie Numérique",
    siren="732829320",
    siret="73282932000074",
    enrolment_number="ASP-2023-0042",
)
OTHER_VENDOR = Vendor(name="Autre Éditeur", siren="552100554", siret="55210055400013")
SOLUTION = Solution(
    name="RIS Horizon",
    version="4.2",
    referencing_number="REF-RIS-001",
    dispositif="RAD-RIS-Va1",
    profiles=frozenset({"DMP-Alimentation", "MSS-Envoi"}),
    referenced_on=dt.date(2023, 1, 15),
)


def sample_order(number: str = "BC-2023-001", **changes: Any) -> PurchaseOrder:
    """A complete order of VENDOR for SOLUTION: two sites, funded and not-funded lines."""
    order = PurchaseOrder(
        number=number,
        vendor_siret=VENDOR.siret,
        solution_referencing_number=SOLUTION.referencing_number,
        dispositif=SOLUTION.dispositif,
        client_kind=ClientKind.LEGAL_ENTITY,
        client_id="750712184",
        signed_on=dt.date(2023, 2, 1),
        signatory="Dr Élise Martin, directrice",
        prestation_ht_cents=1_234_550,
        prestation_ttc_cents=1_481_460,
        referential_pin="1.0.0+ff132d2aec5a",
        under_referencing_condition=False,
        sites=(
            SiteScenario("750712184", {"Q1": True, "Q2": ["dmp", "mss"], "Q3": 12}),
            SiteScenario("010780054", {"Q1": False, "Q4": "Réponse accentuée"}),
        ),
        lines=(
            OrderLine("Licence RIS", 800_000, dimension=FundedDimension.LICENCE),
            OrderLine("Formation", 434_550, dimension=FundedDimension.TRAINING),
            OrderLine(
                "Boîtes MSS",
                25_000,
                not_funded=NotFunded.MSS_MAILBOXES,
                billed_as_segur=True,
            ),
        ),
        extra={"source": "tableau", "ligne": 4},
    )
    return dataclasses.replace(order, **changes)


@dataclass
class Seeded:
    vendor_id: int
    other_vendor_id: int
    vendor: Vendor = VENDOR
    other_vendor: Vendor = OTHER_VENDOR
    solution: Solution = SOLUTION


@pytest.fixture
def seeded(engine: Engine, clock: TickingClock) -> Seeded:
    """VENDOR with SOLUTION, and OTHER_VENDOR with a solution of the same referencing number."""
    with UnitOfWork(engine, "amorçage", clock) as uow:
        vendor_id = uow.vendors.save(VENDOR).id
        other_id = uow.vendors.save(OTHER_VENDOR).id
        uow.solutions.save(vendor_id, SOLUTION)
        uow.solutions.save(other_id, SOLUTION)
    return Seeded(vendor_id, other_id)


@pytest.fixture
def make_order() -> Callable[..., PurchaseOrder]:
    """`make_order(number, **changes)`: a complete order of the seeded vendor."""
    return sample_order
