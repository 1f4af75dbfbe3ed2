"""Control report files kept in the store: any worker serves them, to their user only, for an
hour (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine

from integration.conftest import TickingClock
from sons.services import control_reports
from sons.services.accounts import OPERATOR_ORG, Accounts, Caller, Forbidden
from sons.store.database import create_engine

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
FILES = {"controles-detail.csv": b"demande;verdict\nS-1;conforme\n", "vide.csv": b""}


def _caller(accounts: Accounts, email: str, org: str, role: str) -> Caller:
    accounts.create_user(
        "test", org=org, org_name=org, email=email, role=role, password="un mot de passe long"
    )
    return accounts.log_in("127.0.0.1", email, "un mot de passe long").caller


@pytest.fixture
def people(engine: Engine, clock: TickingClock) -> dict[str, Caller]:
    accounts = Accounts(engine, clock=clock, hasher=CHEAP)
    return {
        "instructor": _caller(accounts, "i@op.fr", OPERATOR_ORG, "operator_instructor"),
        "admin": _caller(accounts, "a@op.fr", OPERATOR_ORG, "operator_admin"),
        "vendor": _caller(accounts, "v@ed.fr", "88888888000018", "vendor_admin"),
    }


def test_a_kept_report_is_served_by_another_process_to_its_user_only(
    engine: Engine, db_url: str, clock: TickingClock, people: dict[str, Caller]
) -> None:
    instructor = people["instructor"]
    token = control_reports.keep(engine, instructor, FILES, clock=clock)

    # Another engine on the same database: what a second worker process of the server holds.
    other_worker = create_engine(db_url)
    try:
        for name, content in FILES.items():
            assert (
                control_reports.report_file(other_worker, instructor, token, name, clock=clock)
                == content
            )
        assert control_reports.report_file(other_worker, instructor, token, "autre.csv") is None
        assert control_reports.report_file(other_worker, people["admin"], token, "vide.csv") is None
        assert (
            control_reports.report_file(other_worker, instructor, token[:-1] + "x", "vide.csv")
            is None
        )
        assert (
            control_reports.report_file(other_worker, people["vendor"], token, "vide.csv") is None
        )
    finally:
        other_worker.dispose()
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT token_sha256 FROM control_reports")).scalar()
        journaled = (
            connection.execute(
                sa.text("SELECT after FROM journal_entries WHERE entity_type = 'control_report'")
            )
            .scalars()
            .all()
        )
    assert stored is not None and token not in stored  # only the token's digest is stored
    assert len(journaled) == 1 and "controles-detail.csv" in str(journaled[0])
    assert "conforme" not in str(journaled[0])  # names and sizes, never the content


def test_reports_expire_after_an_hour_and_are_purged_by_the_next_run(
    engine: Engine, clock: TickingClock, people: dict[str, Caller]
) -> None:
    instructor = people["instructor"]
    old = control_reports.keep(engine, instructor, FILES, clock=clock)
    clock.current += control_reports.REPORT_TTL + dt.timedelta(seconds=1)
    assert control_reports.report_file(engine, instructor, old, "vide.csv", clock=clock) is None
    fresh = control_reports.keep(engine, instructor, FILES, clock=clock)
    assert control_reports.report_file(engine, instructor, fresh, "vide.csv", clock=clock) == b""
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM control_reports")).scalar() == 1
        files = connection.execute(sa.text("SELECT count(*) FROM control_report_files")).scalar()
    assert files == len(FILES)


def test_a_vendor_cannot_keep_control_reports(
    engine: Engine, clock: TickingClock, people: dict[str, Caller]
) -> None:
    with pytest.raises(Forbidden):
        control_reports.keep(engine, people["vendor"], FILES, clock=clock)
