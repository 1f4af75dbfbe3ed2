"""`sons order install`, in process: the very command `sons evidence install`, under the
order it belongs to — one function, two names, the same store effect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evidence_samples import BOURG, BOURG_ANSWERS, seed
from sons.entrypoints.cli import app
from sons.entrypoints.cli import evidence as evidence_cli
from sons.entrypoints.cli import order as order_cli
from sons.store.database import open_store


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path}/sons.sqlite3"
    engine = open_store(url)
    try:
        seed(engine)
    finally:
        engine.dispose()
    monkeypatch.setenv("SONS_DATABASE_URL", url)
    monkeypatch.setenv("SONS_ACTOR", "test:cli")
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_order_install_is_evidence_install(workspace: Path) -> None:
    (callback,) = [c.callback for c in order_cli.app.registered_commands if c.name == "install"]
    assert callback is evidence_cli.install_command
    answers = workspace / "bourg.json"
    answers.write_text(json.dumps({**BOURG_ANSWERS, "dmp_via_pfi": False}), encoding="utf-8")
    runner = CliRunner()
    args = ["install", "BC-EV-1", "--site", BOURG, "--answers", str(answers), "--json"]
    first = runner.invoke(app, ["order", *args])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["changed"] is True
    again = runner.invoke(app, ["evidence", *args])  # the same declaration, by its other name
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["changed"] is False
