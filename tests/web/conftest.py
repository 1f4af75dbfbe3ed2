"""Fixtures of the web tests: an application on a fresh SQLite file, users of two tenants.

The password hasher is argon2 with the smallest parameters: the tests check the flow, not the
cost, and log in hundreds of times.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.engine import make_url
from web_fixtures import OTHER_SIRET, PASSWORD, VENDOR_SIRET, People, SettableClock, TestClient

from sons.entrypoints.web.app import create_app
from sons.entrypoints.web.settings import WebSettings
from sons.services.accounts import Accounts
from sons.store.database import create_engine, open_store


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock()


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file, copied for each test: migrating once is enough."""
    path = tmp_path_factory.mktemp("modele") / "web.sqlite3"
    open_store(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_file: Path) -> str:
    shutil.copyfile(migrated_file, tmp_path / "web.sqlite3")
    return f"sqlite:///{tmp_path}/web.sqlite3"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The application's database: SQLite; a module overrides it to run on both backends."""
    return sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_database_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    """SQLite, then PostgreSQL in a schema of its own when SONS_TEST_POSTGRES_URL is set
    (skipped otherwise, failing if it is set but unreachable, as the store's tests do)."""
    if request.param == "sqlite":
        yield sqlite_url
        return
    server = os.environ.get("SONS_TEST_POSTGRES_URL", "").strip()
    if not server:
        pytest.skip("SONS_TEST_POSTGRES_URL n'est pas définie : variante PostgreSQL non exécutée")
    admin = create_engine(server)
    name = f"sons_web_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    url = make_url(server).update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(database_url: str, clock: SettableClock) -> WebSettings:
    return WebSettings(
        database_url=database_url,
        clock=clock,
        password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )


@pytest.fixture
def app(settings: WebSettings) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.sons.engine.dispose()


@pytest.fixture
def accounts(app: FastAPI) -> Accounts:
    found: Accounts = app.state.sons.accounts
    return found


@pytest.fixture
def people(accounts: Accounts) -> People:
    people = People()
    for email, org, org_name, role in (
        (people.vendor_admin, VENDOR_SIRET, "Éditeur A", "vendor_admin"),
        (people.vendor_user, VENDOR_SIRET, None, "vendor_user"),
        (people.other_admin, OTHER_SIRET, "Éditeur B", "vendor_admin"),
        (people.instructor, "operateur", None, "operator_instructor"),
        (people.operator_admin, "operateur", None, "operator_admin"),
    ):
        accounts.create_user(
            "tests", org=org, org_name=org_name, email=email, role=role, password=PASSWORD
        )
    return people


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
