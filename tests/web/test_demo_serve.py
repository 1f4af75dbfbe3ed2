"""`sons demo --serve`: the demo accounts of every role, their logins printed, the app served."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from typer.testing import CliRunner

from sons.entrypoints.cli import app
from sons.entrypoints.cli import demo as demo_command
from sons.services import demo as demo_service
from sons.services.accounts import Accounts, LoginFailed, Role
from sons.services.demo_accounts import DEMO_ACCOUNT_SPECS, create_demo_accounts
from sons.store.database import open_store

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def demo_db(tmp_path: Path, migrated_file: Path) -> Path:
    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(migrated_file, path)
    return path


def test_every_role_gets_an_account_in_its_own_tenant(demo_db: Path) -> None:
    engine = open_store(f"sqlite:///{demo_db}")
    try:
        accounts = Accounts(engine, hasher=CHEAP)
        passwords = iter(f"mot-de-passe-{n}-assez-long" for n in range(10))
        logins = create_demo_accounts(accounts, password=lambda: next(passwords))
        assert {a.role for a in logins} == set(Role)
        assert len({a.password for a in logins}) == len(logins) == len(DEMO_ACCOUNT_SPECS)
        callers = {
            a.email: accounts.log_in("127.0.0.1", a.email, a.password).caller for a in logins
        }
        with pytest.raises(LoginFailed):
            accounts.log_in("127.0.0.1", logins[0].email, "pas le bon mot de passe")
        vendors = {c.vendor_id for c in callers.values() if not c.is_operator}
        assert len(vendors) == 2  # the demo vendor and a second tenant
        by_role = {(c.role, c.vendor_id) for c in callers.values()}
        assert sum(1 for role, _ in by_role if role is Role.VENDOR_ADMIN) == 2
        operators = [c for c in callers.values() if c.is_operator]
        assert {c.role for c in operators} == {Role.OPERATOR_INSTRUCTOR, Role.OPERATOR_ADMIN}
        assert len({c.organisation_id for c in operators}) == 1
        assert len({a.organisation for a in logins}) == 3
    finally:
        engine.dispose()


def test_demo_serve_prints_the_logins_and_the_url_then_serves(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI wiring, in-process: the walk is stubbed (it has its own tests), uvicorn too."""
    served: dict[str, Any] = {}
    # The command imports the walk when it runs (start-up stays light): patch it at its home.
    monkeypatch.setattr(
        demo_service,
        "run_demo",
        lambda _output: SimpleNamespace(orders=SimpleNamespace(database=demo_db)),
    )
    monkeypatch.setattr(demo_command, "render", lambda _report: None)
    monkeypatch.setattr(
        demo_command, "serve_demo", functools.partial(demo_command.serve_demo, hasher=CHEAP)
    )
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda application, **options: served.update(options))
    port = _free_port()
    result = CliRunner().invoke(app, ["demo", "--serve", "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert served == {"host": "127.0.0.1", "port": port, "log_level": "info"}
    output = result.output
    assert f"http://127.0.0.1:{port}/" in output
    for spec in DEMO_ACCOUNT_SPECS:
        assert spec.email in output
    # What each role can try, as this (empty) database holds it: nothing invented.
    assert "Ce que chacun peut essayer :" in output
    assert "0 bon(s) de commande" in output
    assert "Le client : aucun bon de la démonstration à lui faire remplir." in output
    assert "la file d'instruction est vide." in output
    engine = open_store(f"sqlite:///{demo_db}")
    try:
        with engine.connect() as connection:
            users = connection.execute(sa.text("SELECT email FROM users")).scalars().all()
    finally:
        engine.dispose()
    assert sorted(users) == sorted(spec.email for spec in DEMO_ACCOUNT_SPECS)


def test_demo_serve_refuses_a_busy_port_before_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    walked: list[bool] = []
    monkeypatch.setattr(demo_service, "run_demo", lambda _output: walked.append(True))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["demo", "--serve", "--port", str(port)])
    assert result.exit_code != 0
    assert f"impossible d'écouter sur 127.0.0.1:{port}" in result.output
    assert walked == []


@pytest.mark.e2e
def test_the_demo_server_answers_on_a_free_port(demo_db: Path) -> None:
    """One subprocess: the served demo database answers its login page, then is stopped."""
    port = _free_port()
    code = (
        "import sys; from pathlib import Path; from argon2 import PasswordHasher; "
        "from sons.entrypoints.cli.demo import serve_demo; "
        "serve_demo(Path(sys.argv[1]), '127.0.0.1', int(sys.argv[2]), "
        "hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code, str(demo_db), str(port)],
        env={**os.environ, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    guard = threading.Timer(60, server.kill)  # never hang the suite on a server that hangs
    guard.start()
    lines: list[str] = []
    try:
        assert server.stdout is not None
        # uvicorn says when it listens: read until then, no polling.
        for line in server.stdout:
            lines.append(line)
            if "Uvicorn running on" in line:
                break
        response = httpx.get(f"http://127.0.0.1:{port}/connexion", timeout=5)
        assert response.status_code == 200
        assert "Connexion" in response.text
    finally:
        guard.cancel()
        server.kill()
        server.communicate(timeout=10)
    printed = "".join(lines)
    assert f"http://127.0.0.1:{port}/" in printed
    assert "instructeur@operateur-demo.fr" in printed
