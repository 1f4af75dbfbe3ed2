"""`sons operator registry|enrolment|cross-check` and `sons vendor enrol`, in process, on a
SQLite workspace: the operator imports its registries, a vendor files its enrolment with real
PDF pieces, the operator validates it, and the vendor appears enrolled."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from filing_fixtures import VENDOR, pdf, seed_filing
from sons.entrypoints.cli import app
from sons.store.database import open_store

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


class _Clock:
    def __init__(self) -> None:
        self.current = dt.datetime(2022, 9, 1, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.current += dt.timedelta(seconds=1)
        return self.current


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path}/sons.sqlite3"
    engine = open_store(url)
    try:
        seed_filing(engine, _Clock(), orders=())
    finally:
        engine.dispose()
    monkeypatch.setenv("SONS_DATABASE_URL", url)
    monkeypatch.setenv("SONS_ACTOR", "test:cli")
    monkeypatch.setenv("COLUMNS", "200")
    for name, text in (("attestation", "Attestation ANS"), ("identite", "CNI"), ("rib", "RIB")):
        (tmp_path / f"{name}.pdf").write_bytes(pdf(text))
    (tmp_path / "photo.txt").write_text("pas une image", encoding="utf-8")
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_registries_enrolment_and_cross_check_from_the_command_line(workspace: Path) -> None:
    code, out = _run(
        "operator", "registry", "import-solutions", str(EXAMPLES / "registre-solutions.csv")
    )
    assert code == 0, out
    assert "3 solution(s) référencée(s)" in out
    bad = workspace / "editeurs.csv"
    bad.write_text(
        "siret;raison_sociale;numeros_referencement\n12345678901234;X;REF-1\n", encoding="utf-8"
    )
    code, out = _run("operator", "registry", "import-vendors", str(bad))
    assert code == 2 and "editeurs.csv, ligne 2, colonne « siret »" in out
    pieces = [
        f"--piece=attestation-referencement={workspace / 'attestation.pdf'}",
        f"--piece=piece-identite={workspace / 'identite.pdf'}",
    ]
    enrol = [
        "vendor",
        "enrol",
        "--siret",
        VENDOR.siret,
        "--bic",
        "BNPAFRPP",
        "--solution",
        "REF-DEMO-RIS-001",
        "--filer-name",
        "Claire Durand, présidente",
        *pieces,
    ]
    code, out = _run(
        *enrol, "--iban", "FR76 3000 6000 0112 3456 7890 188", f"--piece=rib={workspace}/photo.txt"
    )
    assert code == 2
    assert "IBAN FR7630006000011234567890188 : clé de contrôle incorrecte" in out
    assert "« photo.txt » n'est ni un PDF ni une image" in out
    code, out = _run(
        *enrol,
        "--iban",
        "FR76 3000 6000 0112 3456 7890 189",
        f"--piece=rib={workspace / 'rib.pdf'}",
        "--json",
    )
    assert code == 0, out
    filed = json.loads(out)
    assert filed["status"] == "deposee" and len(filed["pieces"]) == 3
    number = str(filed["id"])
    code, out = _run("operator", "enrolment", "list", "--status", "deposee", "--json")
    assert [e["id"] for e in json.loads(out)["enrolments"]] == [filed["id"]]
    code, out = _run("operator", "enrolment", "decide", number, "--action", "valider")
    assert code == 2 and "Impossible de « valider » une demande d'enrôlement" in out
    assert _run("operator", "enrolment", "decide", number, "--action", "instruire")[0] == 0
    code, out = _run(
        "operator",
        "enrolment",
        "decide",
        number,
        "--action",
        "valider",
        "--enrolment-number",
        "ASP-2022-0042",
    )
    assert code == 0 and "Éditeur enrôlé (n° ASP-2022-0042) pour : REF-DEMO-RIS-001" in out
    code, out = _run("operator", "enrolment", "show", number)
    assert code == 0 and "Validée" in out and "RIS DÉMO 5.2.1" in out
    code, out = _run("operator", "registry", "list", "--json")
    (vendor,) = json.loads(out)["vendors"]
    assert vendor["siret"] == VENDOR.siret and vendor["origin"] == "enrolement"
    code, out = _run("operator", "cross-check", "--json")
    assert code == 0 and json.loads(out)["requests"] == 0
