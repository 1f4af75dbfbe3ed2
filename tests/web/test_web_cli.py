"""`sons user create` and `sons serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner
from web_fixtures import PASSWORD, VENDOR_SIRET

from sons.entrypoints.cli import app
from sons.services.accounts import Accounts, LoginFailed
from sons.store.database import open_store


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("SONS_DATABASE_URL", url)
    return url


def create(*args: str, password: str = PASSWORD) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["user", "create", *args, "--password-stdin"], input=password + "\n"
    )
    return result.exit_code, result.output


def test_user_create_then_log_in(database: str) -> None:
    code, out = create(
        "--org",
        VENDOR_SIRET,
        "--org-name",
        "Éditeur A",
        "--role",
        "vendor_admin",
        "--email",
        "chef@editeur-a.fr",
        "--name",
        "Cheffe",
    )
    assert code == 0, out
    assert "Compte créé" in out and "Éditeur A" in out
    code, out = create(
        "--org", "operateur", "--role", "operator_instructor", "--email", "i@op.fr", "--json"
    )
    assert code == 0, out
    assert '"role": "operator_instructor"' in out
    engine = open_store(database)
    try:
        accounts = Accounts(engine)
        assert accounts.log_in("127.0.0.1", "chef@editeur-a.fr", PASSWORD).caller.name == "Cheffe"
        with pytest.raises(LoginFailed):
            accounts.log_in("127.0.0.1", "chef@editeur-a.fr", PASSWORD + "x")
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("args", "password", "expected"),
    [
        (["--org", "operateur", "--role", "patron", "--email", "a@b.fr"], PASSWORD, "inconnu"),
        (["--org", "operateur", "--role", "operator_admin", "--email", "a@b.fr"], "court", "court"),
        (
            ["--org", VENDOR_SIRET, "--role", "vendor_user", "--email", "a@b.fr"],
            PASSWORD,
            "--org-name",
        ),
    ],
)
def test_user_create_refuses_with_a_french_message_and_exit_2(
    database: str, args: list[str], password: str, expected: str
) -> None:
    code, out = create(*args, password=password)
    assert code == 2
    assert "Erreur" in out and expected in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.e2e
def test_serve_migrates_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "SONS_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3"}
    server = subprocess.Popen(
        [sys.executable, "-m", "sons", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/connexion", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "le serveur n'a pas démarré en 30 s"
                time.sleep(0.2)
        assert response.status_code == 200
        assert "Connexion" in response.text
        api = httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=2)
        assert api.status_code == 401
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert f"http://127.0.0.1:{port}/" in output
