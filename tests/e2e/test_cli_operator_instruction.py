"""Issue 6's instruction, as an instructor runs it: `python -m sons operator …` on a SQLite
store — take in a deposit with an incomplete request, see it in the queue, instruct, validate
and pay one request, and verify the journal."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from operator_fixtures import INTAKE_DAY, deposit_data, seed_operator, write_deposit
from sons.domain.money import format_euros
from sons.store.database import open_store

pytestmark = pytest.mark.e2e


def test_intake_queue_decide_pay_end_to_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/sons.sqlite3"
    engine = open_store(url)
    at = [dt.datetime(2022, 11, 15, 9, 0, tzinfo=dt.UTC)]

    def clock() -> dt.datetime:
        at[0] += dt.timedelta(seconds=1)
        return at[0]

    try:
        seed_operator(engine, clock)
    finally:
        engine.dispose()
    data, documents = deposit_data()
    json_file, zip_file = write_deposit(
        tmp_path / "recu", data, documents, leave_out=[sorted(documents)[2]]
    )
    env = {
        **os.environ,
        "COLUMNS": "250",
        "NO_COLOR": "1",
        "PYTHONIOENCODING": "utf-8",
        "SONS_DATABASE_URL": url,
        "SONS_ACTOR": "asp:instructeur",
    }

    def sons(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "sons", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=180,
        )

    day = INTAKE_DAY.isoformat()
    intake = sons("operator", "intake", str(json_file), "--zip", str(zip_file), "--date", day)
    assert intake.returncode in (0, 1), intake.stderr
    assert "1 « incomplète(s) »" in intake.stdout and "pris en charge" in intake.stdout
    queue = sons("operator", "queue", "--json")
    assert queue.returncode == 0, queue.stderr
    listing = json.loads(queue.stdout)
    assert listing["by_status"] == {"deposee": 2, "incomplete": 1}
    (filed,) = [g for g in listing["groups"] if g["status"] == "deposee"]
    first = filed["requests"][0]
    ident, requested = str(first["id"]), first["amount_ttc_cents"]

    assert sons("operator", "decide", ident, "--action", "instruire").returncode == 0
    valider = sons("operator", "decide", ident, "--action", "valider", "--motive", "Conforme.")
    assert valider.returncode == 0, valider.stderr
    amount = format_euros(requested).replace(" €", "")
    paid = sons("operator", "pay", ident, "--amount", amount, "--date", "2022-12-20")
    assert paid.returncode == 0, paid.stderr
    assert f"Paiement de {format_euros(requested)} le 20/12/2022" in paid.stdout
    assert "Décidée et payée" in paid.stdout
    journal = sons("journal", "verify")
    assert journal.returncode == 0, journal.stdout + journal.stderr
