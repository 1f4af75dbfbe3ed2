"""`sons evidence …` and `sons document …` run as a user runs them: a subprocess on a SQLite file
(`SONS_DATABASE_URL`), its exit code, its output."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from cli_in_process import Finished, run_in_process
from evidence_samples import (
    BOURG,
    BOURG_ANSWERS,
    PARIS,
    UNKNOWN_SITE,
    altered,
    expected_log,
    row,
    seed,
    signed_pdf,
    write_csv,
    write_jsonl,
)
from sons.store.database import open_store

pytestmark = pytest.mark.e2e
MOM_RECORD = ("evidence", "mom", "record", "BC-EV-1")


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path}/sons.sqlite3"
    engine = open_store(url)
    try:
        seed(engine)
    finally:
        engine.dispose()
    return tmp_path


def _variables(workspace: Path) -> dict[str, str]:
    return {"SONS_DATABASE_URL": f"sqlite:///{workspace}/sons.sqlite3", "SONS_ACTOR": "test:e2e"}


def sons(workspace: Path, *args: str) -> Finished:
    """In this process (`cli_in_process`): a Python start-up spared per command."""
    return run_in_process(*args, env=_variables(workspace), cwd=workspace)


def sons_subprocess(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Through `python -m sons`, as the shell runs it (start-up, encoding, exit code)."""
    env = {
        **os.environ,
        **_variables(workspace),
        "COLUMNS": "250",
        "NO_COLOR": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    return subprocess.run(
        [sys.executable, "-m", "sons", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=workspace,
        timeout=120,
        check=False,
    )


def status(workspace: Path) -> dict[str, Any]:
    result = sons(workspace, "evidence", "status", "--json")
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def counted(report: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    return {
        (site["finess_et"], c["flow"], c["route"]): c["counted"]["count"]
        for order in report["orders"]
        for site in order["sites"]
        for c in site["conditions"]
    }


def test_import_then_status_counts_exactly_and_says_what_is_missing(workspace: Path) -> None:
    rows, expected = expected_log()
    write_csv(workspace / "journal.csv", rows)
    result = sons_subprocess(workspace, "evidence", "import", "journal.csv")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rows)} envoi(s) enregistré(s)" in result.stdout
    report = status(workspace)
    assert counted(report) == expected
    first = report["orders"][0]
    assert first["ready"] is False
    assert first["verdict"].startswith(f"Manque : site {PARIS} — DMP : 9/10 avec INS qualifiée")
    assert (
        report["orders"][1]["verdict"] == "Manque : DMP : 2/10 avec INS qualifiée ; MOM manquante"
    )
    text = sons(workspace, "evidence", "status")
    assert text.returncode == 0
    assert "Bon BC-EV-2" in text.stdout and "2 / 10" in text.stdout and "commandé" in text.stdout
    again = sons(workspace, "evidence", "import", "journal.csv")
    assert again.returncode == 0 and "déjà été importé" in again.stdout
    write_jsonl(workspace / "copie.jsonl", rows)
    copy = sons(workspace, "evidence", "import", "copie.jsonl", "--json")
    assert json.loads(copy.stdout)["already_stored"] == len(rows)
    assert counted(status(workspace)) == expected


def test_a_bad_file_is_refused_with_every_problem_placed(workspace: Path) -> None:
    rows = [
        row(),
        row(site=UNKNOWN_SITE),
        row(at="2099-01-01T00:00:00+01:00"),
        row(ins="provisoire"),
        row(flow="mss_pro", recipient="dr.martin@hopital.fr"),
        row(message_id="DOUBLE"),
        row(message_id="DOUBLE", ack="ko"),
    ]
    write_csv(workspace / "journal.csv", rows)
    result = sons(workspace, "evidence", "import", "journal.csv")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    for fragment in (
        "journal.csv, ligne 3, colonne « finess_et »",
        "[TRANSMISSION_SITE_UNKNOWN]",
        "journal.csv, ligne 4, colonne « horodatage »",
        "[TRANSMISSION_IN_FUTURE]",
        "journal.csv, ligne 5, colonne « statut_ins »",
        "[TRANSMISSION_INS_STATUS_UNKNOWN]",
        "journal.csv, ligne 6, colonne « destinataire »",
        "[MSS_ADDRESS_INVALID]",
        "journal.csv, ligne 8, colonne « id_message »",
        "[TRANSMISSION_ID_CONFLICT]",
        "rien n'est enregistré",
    ):
        assert fragment in output, fragment
    assert all(c == 0 for c in counted(status(workspace)).values())
    assert not (workspace / "journal.rejets.csv").exists()


def test_skip_invalid_keeps_the_good_lines_and_writes_the_rejects(workspace: Path) -> None:
    write_csv(workspace / "journal.csv", [row(), row(site=UNKNOWN_SITE, message_id="R-1"), row()])
    result = sons(workspace, "evidence", "import", "journal.csv", "--skip-invalid", "--json")
    assert result.returncode == 1, result.stderr
    outcome = json.loads(result.stdout)
    assert (outcome["stored"], outcome["rejected"]) == (2, 1)
    rejects = (workspace / "journal.rejets.csv").read_text(encoding="utf-8").splitlines()
    assert len(rejects) == 2 and rejects[1].startswith("3;") and "R-1" in rejects[1]
    assert "TRANSMISSION_SITE_UNKNOWN" in rejects[1]
    assert counted(status(workspace))[(PARIS, "dmp", "direct")] == 2


def test_install_mom_va_and_documents(workspace: Path) -> None:
    rows, _ = expected_log()
    write_csv(workspace / "journal.csv", rows)
    assert sons(workspace, "evidence", "import", "journal.csv").returncode == 0
    (workspace / "bourg.json").write_text(json.dumps(BOURG_ANSWERS), encoding="utf-8")
    installed = sons(
        workspace, "evidence", "install", "BC-EV-1", "--site", BOURG, "--answers", "bourg.json"
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Scénario installé déclaré" in installed.stdout
    mom = sons(
        workspace, "evidence", "mom", "record", "BC-EV-1", "--site", PARIS,
        "--flows", "dmp/direct,mss_pro/direct,mss_patient/direct", "--by", "Jean Dupont",
    )  # fmt: skip
    assert mom.returncode == 0, mom.stdout + mom.stderr
    assert "MOM n° 1 enregistrée" in mom.stdout
    (workspace / "va.pdf").write_bytes(signed_pdf("Dr Élise Martin"))
    va = sons(workspace, "evidence", "va", "upload", "BC-EV-1", "va.pdf", "--site", BOURG)
    assert va.returncode == 0, va.stdout + va.stderr
    assert "signature intègre par Dr Élise Martin" in va.stdout
    assert "chaîne de confiance non vérifiée" in va.stdout
    site = status(workspace)["orders"][0]["sites"][1]
    assert site["scenario"] == "installed"
    assert [c["evidence_present"] for c in site["conditions"]] == [True, True]
    assert (
        site["verdict"] == "Manque : MSS Patient via un logiciel tiers : 0/1 vers l'adresse de test"
    )
    for kind in ("order", "mom", "va", "balance-summary"):
        out = workspace / f"{kind}.pdf"
        result = sons(
            workspace, "document", kind, "BC-EV-1", "--out", str(out), "--date", "2024-01-15"
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert out.read_bytes().startswith(b"%PDF-")
    text = " ".join(
        " ".join(p.extract_text().split())
        for p in PdfReader(io.BytesIO((workspace / "mom.pdf").read_bytes())).pages
    )
    assert "9 (seuil non atteint) du 01/02/2023 au 15/01/2024" in text


def test_an_altered_va_is_reported_and_not_counted(workspace: Path) -> None:
    (workspace / "va.pdf").write_bytes(altered(signed_pdf()))
    result = sons(workspace, "evidence", "va", "upload", "BC-EV-1", "va.pdf", "--site", BOURG)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VA_SIGNATURE_INVALID" in result.stdout and "REJETÉE" in result.stdout
    site = status(workspace)["orders"][0]["sites"][1]
    assert not any(c["evidence_present"] for c in site["conditions"])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("evidence", "import", "absent.csv"), "fichier introuvable"),
        (("evidence", "status", "--order", "BC-INCONNU"), "BC-INCONNU"),
        (
            (*MOM_RECORD, "--site", PARIS, "--flows", "dmp"),
            "attendu flux/voie",
        ),
        (
            (
                "evidence",
                "mom",
                "record",
                "BC-EV-1",
                "--site",
                UNKNOWN_SITE,
                "--flows",
                "dmp/direct",
            ),
            "n'est pas un site du bon de commande BC-EV-1",
        ),
        (("evidence", "va", "upload", "BC-EV-1", "journal.csv", "--site", BOURG), "pas un PDF"),
        (("document", "mom", "BC-INCONNU", "--out", "x.pdf"), "BC-INCONNU"),
    ],
)
def test_unusable_input_is_exit_2_in_french(
    workspace: Path, args: tuple[str, ...], fragment: str
) -> None:
    write_csv(workspace / "journal.csv", [row()])
    result = sons(workspace, *args)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert fragment in output and "Traceback" not in output
