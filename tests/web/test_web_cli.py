"""`sons user create` and `sons serve`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner
from web_fixtures import CSRF_INPUT, PASSWORD, VENDOR_SIRET

from sons.entrypoints.cli import app
from sons.entrypoints.cli.serve import APP_FACTORY
from sons.entrypoints.web.settings import SECRET_KEY_VARIABLE
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


@contextmanager
def _served(url: str, *options: str) -> Iterator[tuple[str, list[str]]]:
    """`sons serve` in a subprocess on a free port, until the block ends; then its output."""
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sons",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *options,
        ],
        env={**os.environ, "SONS_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/connexion", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "le serveur n'a pas démarré en 30 s"
                time.sleep(0.2)
        yield base, output
    finally:
        server.terminate()
        output.append(server.communicate(timeout=20)[0])


@pytest.mark.e2e
def test_serve_migrates_and_answers(tmp_path: Path) -> None:
    with _served(f"sqlite:///{tmp_path}/serve.sqlite3") as (base, output):
        response = httpx.get(f"{base}/connexion", timeout=2)
        assert response.status_code == 200
        assert "Connexion" in response.text
        api = httpx.get(f"{base}/api/v1/me", timeout=2)
        assert api.status_code == 401
    assert f"{base}/" in output[0] and "1 processus" in output[0]


@pytest.mark.e2e
def test_serve_with_two_workers_shares_sessions_and_forms(database: str) -> None:
    """Sessions and CSRF tokens live in the database: whichever worker answers, a logged-in
    user stays logged in and their forms pass."""
    code, out = create("--org", "operateur", "--role", "operator_admin", "--email", "a@op.fr")
    assert code == 0, out
    with _served(database, "--workers", "2") as (base, output):
        with httpx.Client(base_url=base, timeout=10) as first:
            csrf = CSRF_INPUT.search(first.get("/connexion").text)
            assert csrf is not None
            data = {"email": "a@op.fr", "password": PASSWORD, "csrf_token": csrf.group(1)}
            assert first.post("/connexion", data=data).status_code in (200, 303)
            cookies = dict(first.cookies)
        for _ in range(8):  # a new connection each time: any worker may take it
            with httpx.Client(base_url=base, timeout=10, cookies=cookies) as client:
                page = client.get("/compte")
                assert page.status_code == 200 and "a@op.fr" in page.text
                token = CSRF_INPUT.search(page.text)
                assert token is not None
        with httpx.Client(base_url=base, timeout=10, cookies=cookies) as client:
            created = client.post(
                "/compte/jetons", data={"nom": "script", "csrf_token": token.group(1)}
            )
            assert created.status_code == 201, created.text[:300]
    assert "2 processus" in output[0]


def test_serve_with_workers_gives_them_one_secret_key(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Client links are signed by one worker and opened by another: without SONS_SECRET_KEY,
    one key is drawn for all of them; a key that is set is kept."""
    import uvicorn

    runs: list[tuple[object, dict[str, object]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: runs.append((target, options)))
    monkeypatch.delenv(SECRET_KEY_VARIABLE, raising=False)
    result = CliRunner().invoke(app, ["serve", "--workers", "3"])
    assert result.exit_code == 0, result.output
    target, options = runs[-1]
    assert target == APP_FACTORY and options["factory"] is True and options["workers"] == 3
    drawn = os.environ[SECRET_KEY_VARIABLE]
    assert len(drawn) >= 32
    monkeypatch.setenv(SECRET_KEY_VARIABLE, "une clé choisie par l'exploitant")
    assert CliRunner().invoke(app, ["serve", "--workers", "2"]).exit_code == 0
    assert os.environ[SECRET_KEY_VARIABLE] == "une clé choisie par l'exploitant"
