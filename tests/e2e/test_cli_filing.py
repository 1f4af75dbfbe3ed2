"""Issue 4's « done when », as a vendor runs it: build an advance file and its zip from the
orders, check it, mark it filed, later build the balance and check it — `python -m sons` on a
SQLite store seeded with the filing fixtures."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli_in_process import Finished, run_in_process
from filing_fixtures import ADVANCE_DAY, BALANCE_DAY, CODE, ORDER_A, pay, pdf, seed_filing
from sons.store.database import open_store

pytestmark = pytest.mark.e2e


class Sons:
    """`sons …` in this process (`cli_in_process`), or through `python -m sons` with `real`."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        self.cwd = tmp_path
        self.variables = {"SONS_DATABASE_URL": url, "SONS_ACTOR": "alice@editeur.fr"}
        self.real_next = False

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str] | Finished:
        if not self.real_next:
            return run_in_process(*args, env=self.variables, cwd=self.cwd)
        self.real_next = False
        env = {**os.environ, **self.variables}
        env.update(COLUMNS="250", NO_COLOR="1", PYTHONIOENCODING="utf-8")
        return subprocess.run(
            [sys.executable, "-m", "sons", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.cwd,
            timeout=180,
        )

    @property
    def real(self) -> Sons:
        """The next call runs as a subprocess."""
        self.real_next = True
        return self

    def json(self, *args: str) -> Any:
        done = self(*args, "--json")
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout)


def test_advance_then_balance_from_the_orders(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/sons.sqlite3"
    engine = open_store(url)
    clock_at = [dt.datetime(2022, 10, 1, 9, 0, tzinfo=dt.UTC)]

    def clock() -> dt.datetime:
        clock_at[0] += dt.timedelta(seconds=1)
        return clock_at[0]

    seed_filing(engine, clock, orders=(ORDER_A,))
    sons = Sons(tmp_path, url)

    built = sons.json(
        "deposit", "build", "--kind", "avance", "--dispositif", CODE, "--out", "depots",
        "--date", ADVANCE_DAY.isoformat(),
    )  # fmt: skip
    name = built["deposit"]["name"]
    json_file, zip_file = Path(built["json"]), Path(built["zip"])
    assert (tmp_path / json_file).is_file() and (tmp_path / zip_file).is_file()
    assert built["report"]["summary"]["errors"] == 0

    checked = sons(
        "deposit", "check", str(json_file), "--zip", str(zip_file),
        "--date", ADVANCE_DAY.isoformat(),
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
    assert "Aucune erreur" in checked.stdout

    filed = sons.real("deposit", "mark-filed", name)
    assert filed.returncode == 0, filed.stderr
    assert "« Brouillon » à « Déposée »" in filed.stdout
    (advance,) = sons.json("request", "list")
    assert advance["vendor_label"] == "Déposée" and advance["kind"] == "avance"

    refused = sons("request", "transition", str(advance["id"]), "valider")
    assert refused.returncode == 1
    assert "réservé à l'opérateur de paiement" in refused.stderr

    pay(engine, advance["id"], clock)
    engine.dispose()
    invoice = tmp_path / "facture.pdf"
    invoice.write_bytes(pdf("Facture BC-A, 100 % de la Prestation"))
    balance = sons.json(
        "deposit", "build", "--kind", "solde", "--dispositif", CODE, "--out", "depots",
        "--date", BALANCE_DAY.isoformat(), "--invoice", f"{ORDER_A.number}={invoice}",
    )  # fmt: skip
    assert balance["report"]["summary"]["errors"] == 0, balance["report"]["findings"]
    assert any("scénario commandé" in note for note in balance["notes"])
    checked = sons(
        "deposit", "check", balance["json"], "--zip", balance["zip"],
        "--date", BALANCE_DAY.isoformat(),
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout

    (request,) = balance["requests"]
    shown = sons.json("request", "show", str(request["id"]))
    assert shown["advance"]["id"] == advance["id"]
    assert shown["vendor_label"] == "Brouillon"
    assert shown["history"][0]["action"] == "construire"
    assert shown["history"][0]["file_name"] == Path(balance["json"]).name

    truncated = tmp_path / "tronque.json"
    truncated.write_bytes((tmp_path / json_file).read_bytes()[:200])
    imported = sons("deposit", "import", str(truncated))
    assert imported.returncode == 2
    assert "rien n'a été enregistré" in imported.stderr
