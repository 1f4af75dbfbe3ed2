"""`sons operator intake|queue|show|decide|request-correction|cancel|pay`, in process: French
output, JSON for scripts, exit codes (0 done, 1 findings or refused by the workflow table,
2 unusable input with nothing stored)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from operator_fixtures import INTAKE_DAY, deposit_data, seed_operator, snapshot, write_deposit
from sons.domain.money import format_euros
from sons.entrypoints.cli import app
from sons.formats.deposit.mapping import file_name
from sons.store.database import open_store


class Workspace:
    def __init__(self, url: str, folder: Path) -> None:
        self.url = url
        self.folder = folder
        self.runner = CliRunner()

    def run(self, *args: str) -> Any:
        return self.runner.invoke(app, ["operator", *args])

    def json(self, *args: str, code: int = 0) -> Any:
        done = self.run(*args, "--json")
        assert done.exit_code == code, done.output
        return json.loads(done.stdout)

    def snapshot(self) -> dict[str, Any]:
        engine = open_store(self.url)
        try:
            return snapshot(engine)
        finally:
            engine.dispose()


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    url = f"sqlite:///{tmp_path}/sons.sqlite3"
    engine = open_store(url)
    clock_at = [dt.datetime(2022, 11, 15, 9, 0, tzinfo=dt.UTC)]

    def clock() -> dt.datetime:
        clock_at[0] += dt.timedelta(seconds=1)
        return clock_at[0]

    try:
        seed_operator(engine, clock)
    finally:
        engine.dispose()
    monkeypatch.setenv("SONS_DATABASE_URL", url)
    monkeypatch.setenv("SONS_ACTOR", "asp:instructeur")
    monkeypatch.setenv("COLUMNS", "200")
    return Workspace(url, tmp_path)


def _intake(workspace: Workspace, leave_out: tuple[str, ...] = ()) -> Any:
    data, documents = deposit_data()
    json_file, zip_file = write_deposit(
        workspace.folder / "recu", data, documents, leave_out=leave_out
    )
    return json_file, zip_file, documents


def test_intake_queue_decide_pay(workspace: Workspace) -> None:
    data, documents = deposit_data()
    missing = sorted(documents)[1]
    json_file, zip_file = write_deposit(
        workspace.folder / "recu", data, documents, leave_out=[missing]
    )
    day = INTAKE_DAY.isoformat()
    shown = workspace.run("intake", str(json_file), "--zip", str(zip_file), "--date", day)
    assert shown.exit_code == 1, shown.output  # the incomplete request's errors
    assert "incomplète" in shown.output and "pris en charge" in shown.output
    again = workspace.json("intake", str(json_file), "--zip", str(zip_file), "--date", day)
    assert again["stored"] is False and again["counts"]["doublon"] == 3

    queue = workspace.json("queue")
    assert queue["total"] == 3 and queue["by_status"] == {"deposee": 2, "incomplete": 1}
    text = workspace.run("queue", "--status", "incomplète")
    assert text.exit_code == 0 and "Incomplète" in text.output and "1 demande(s)" in text.output
    first = str(queue["groups"][0]["requests"][0]["id"])

    before = workspace.snapshot()
    no_motive = workspace.run("decide", first, "--action", "rejeter")
    assert no_motive.exit_code == 2 and "exige un motif" in no_motive.output
    too_early = workspace.run("decide", first, "--action", "valider", "--motive", "ok")
    assert too_early.exit_code == 1 and "actions possibles" in too_early.output
    assert workspace.snapshot() == before

    workspace.json("decide", first, "--action", "instruire")
    validated = workspace.json("decide", first, "--action", "valider", "--motive", "Conforme.")
    assert validated["to"] == "validee"
    requested = workspace.json("show", first)["amount_ttc_cents"]
    above = format_euros(requested + 1).replace(" €", "")
    before = workspace.snapshot()
    refused = workspace.run("pay", first, "--amount", above, "--date", "2022-12-20")
    assert refused.exit_code == 2 and "dépasse le montant demandé" in refused.output
    assert workspace.snapshot() == before
    amount = format_euros(requested).replace(" €", "")
    paid = workspace.json("pay", first, "--amount", amount, "--date", "2022-12-20")
    assert paid["to"] == "decidee_et_payee" and paid["payment"]["amount_cents"] == requested
    page = workspace.run("show", first)
    assert page.exit_code == 0 and "Paiement" in page.output and "Décidée et payée" in page.output


def test_correction_and_cancel_and_bad_input(workspace: Workspace) -> None:
    json_file, zip_file, _ = _intake(workspace)
    day = INTAKE_DAY.isoformat()
    taken = workspace.run("intake", str(json_file), "--zip", str(zip_file), "--date", day, "--json")
    result = json.loads(taken.stdout)
    # Exit 1 exactly when a request kept a finding of severity error (registries, controls).
    severities = {f["severity"] for r in result["requests"] for f in r["findings"]}
    assert taken.exit_code == (1 if "error" in severities else 0), taken.output
    first, second = (str(r["id"]) for r in result["requests"][:2])
    before = workspace.snapshot()
    wrong = workspace.run(
        "request-correction", first, "--reason", "faux", "--motive", "Montant erroné."
    )
    assert wrong.exit_code == 2 and "Code de motif « faux » inconnu" in wrong.output
    bad_amount = workspace.run("pay", first, "--amount", "12,345")
    assert bad_amount.exit_code == 2 and "option --amount" in bad_amount.output
    assert workspace.snapshot() == before
    sent_back = workspace.json(
        "request-correction", first, "--reason", "obsolete", "--motive", "Bon de commande ancien."
    )
    assert sent_back["to"] == "a_modifier"
    cancelled = workspace.run("cancel", second, "--motive", "Le client a changé d'éditeur.")
    assert cancelled.exit_code == 0 and "Annulée" in cancelled.output


def test_intake_of_an_unknown_vendor_is_refused(workspace: Workspace) -> None:
    data, documents = deposit_data()
    data[file_name("vendor")][file_name("siret")] = "73282932000074"
    json_file, zip_file = write_deposit(workspace.folder / "inconnu", data, documents)
    before = workspace.snapshot()
    refused = workspace.run(
        "intake", str(json_file), "--zip", str(zip_file), "--date", "2022-11-15"
    )
    assert refused.exit_code == 2
    assert "73282932000074" in refused.output and "rien n'a été enregistré" in refused.output
    assert workspace.snapshot() == before
