"""`sons referential …` as a user runs it: its exit code, its output. Two cases run as a real
subprocess (`python -m sons`); the others in-process (`cli_in_process`), as fast and as strict."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli_in_process import Finished, run_in_process
from sons.referential.loader import DATA_DIR, default_referential

pytestmark = pytest.mark.e2e

ON = "2022-05-01"
RIS_NONE = {
    "identity_referential": False,
    "hospital_environment": False,
    "mss_operator": "",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": False,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": False,
}


def sons(*args: str) -> Finished:
    return run_in_process(*args)


def sons_subprocess(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # A wide terminal keeps Rich from cutting the words the assertions look for.
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "sons", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def json_of(result: Finished | subprocess.CompletedProcess[str]) -> Any:
    return json.loads(result.stdout)


def bad_input(result: Finished | subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Exit 2, no traceback, a French message holding every fragment."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, output
    return output


def answers_file(tmp_path: Path, content: Any, name: str = "reponses.json") -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


# --- list, show, check -------------------------------------------------------------------------


def test_list_json_has_every_dispositif() -> None:
    result = sons_subprocess("referential", "list", "--json")
    assert result.returncode == 0, result.stderr
    data = json_of(result)
    codes = [d["code"] for d in data["dispositifs"]]
    assert sorted(codes) == sorted(d.code for d in default_referential().dispositifs.values())
    assert "RAD-RIS-Va1" in codes
    assert data["version"] == default_referential().pin


def test_list_table() -> None:
    result = sons("referential", "list")
    assert result.returncode == 0, result.stderr
    assert "RAD-RIS-Va1" in result.stdout and "Dispositifs du référentiel" in result.stdout


def test_show_json_shape_case_insensitive() -> None:
    result = sons("referential", "show", "rad-ris-VA1", "--date", ON, "--json")
    assert result.returncode == 0, result.stderr
    data = json_of(result)
    assert data["code"] == "RAD-RIS-Va1"
    assert data["profiles"] and all(
        isinstance(p["label"], str) and isinstance(p["mandatory"], bool) for p in data["profiles"]
    )
    assert {"label": "Général", "mandatory": True}.items() <= data["profiles"][0].items()
    assert len(data["questions"]) == 12
    for question in data["questions"]:
        assert {"id", "label", "type"} <= question.keys()
    assert data["questions"][0]["id"] == "identity_referential"
    rows = {(c["flow"], c["route"]): c for c in data["balance_conditions"]}
    assert len(rows) == 6
    for row in rows.values():
        assert {"flow", "route", "threshold", "ins_qualified", "evidence"} <= row.keys()
    assert (rows["dmp", "direct"]["threshold"], rows["dmp", "direct"]["evidence"]) == (10, "MOM")
    assert rows["mss_patient", "third_party"]["ins_qualified"] is False


def test_show_table() -> None:
    result = sons("referential", "show", "RAD-RIS-Va1", "--date", ON)
    assert result.returncode == 0, result.stderr
    assert "Conditions de versement du solde" in result.stdout
    assert "identity_referential" in result.stdout


def test_check_the_shipped_data() -> None:
    result = sons("referential", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Référentiel valide" in result.stdout
    data = json_of(sons("referential", "check", "--json"))
    assert data["valid"] is True and "RAD-RIS-Va1" in data["dispositifs"]


def test_check_a_broken_copy_names_the_file_and_the_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    profiles = data / "dispositifs" / "rad-ris-va1" / "profiles.yaml"
    text = profiles.read_text(encoding="utf-8")
    assert "    mandatory: true\n" in text
    profiles.write_text(text.replace("    mandatory: true\n", "    mandatry: true\n", 1))
    result = sons("referential", "check", "--data", str(data))
    output = bad_input(result, "Référentiel invalide", "clé inconnue")
    assert "data/dispositifs/rad-ris-va1/profiles.yaml : profiles[0].mandatry" in output
    report = json_of(sons("referential", "check", "--data", str(data), "--json"))
    assert report["valid"] is False
    assert {
        "file": "data/dispositifs/rad-ris-va1/profiles.yaml",
        "key": "profiles[0].mandatry",
        "message": "clé inconnue (non prévue par le format)",
    } in report["problems"]


def test_check_a_missing_folder(tmp_path: Path) -> None:
    bad_input(sons("referential", "check", "--data", str(tmp_path / "nulle-part")), "introuvable")


# --- explain -------------------------------------------------------------------------------------


def test_explain_a_conforming_scenario(tmp_path: Path) -> None:
    path = answers_file(tmp_path, RIS_NONE)
    result = sons(
        "referential", "explain", "RAD-RIS-Va1", "--answers", str(path), "--profiles",
        "Général", "--date", ON, "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    data = json_of(result)
    (general,) = data["required_profiles"]
    assert general["label"] == "Général"
    assert general["because"] == ["profil obligatoire pour tout référencement"]
    assert data["findings"] == []


def test_explain_a_missing_profile_exits_1_with_its_reason(tmp_path: Path) -> None:
    path = answers_file(tmp_path, {**RIS_NONE, "identity_referential": True})
    result = sons(
        "referential", "explain", "RAD-RIS-Va1", "--answers", str(path), "--profiles",
        "Général", "--date", ON, "--json",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    data = json_of(result)
    required = {p["label"]: p["because"] for p in data["required_profiles"]}
    assert required["Référentiel d'identités"] == [
        "réponse « Le client est-il configuré pour être référentiel d'identité ? » "
        "(identity_referential) = Oui"
    ]
    (finding,) = data["findings"]
    assert {"code", "severity", "message", "path"} <= finding.keys()
    assert (finding["code"], finding["severity"]) == ("SCENARIO_PROFILE_MISSING", "error")
    assert "Référentiel d'identités" in finding["message"]


def test_explain_table_and_alternatives_conflict(tmp_path: Path) -> None:
    path = answers_file(tmp_path, {**RIS_NONE, "dmp_direct": True, "dmp_via_pfi": True})
    result = sons(
        "referential", "explain", "RAD-RIS-Va1", "--answers", str(path), "--profiles",
        "Général", "--date", ON,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "SCENARIO_ALTERNATIVES_CONFLICT" in result.stdout
    assert "Profils requis par le scénario" in result.stdout


def test_explain_a_missing_answer(tmp_path: Path) -> None:
    partial = {k: v for k, v in RIS_NONE.items() if k != "client_is_scm"}
    path = answers_file(tmp_path, partial)
    result = sons("referential", "explain", "RAD-RIS-Va1", "--answers", str(path), "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    (finding,) = json_of(result)["findings"]
    assert (finding["code"], finding["path"]) == ("SCENARIO_ANSWER_MISSING", "$.client_is_scm")


# --- bad input: exit 2, a French message, no traceback ------------------------------------------


def test_malformed_answers_json(tmp_path: Path) -> None:
    path = answers_file(tmp_path, '{\n  "dmp_direct": tru\n}')
    # A subprocess: bad input must reach the shell as exit 2 and French, no traceback.
    result = sons_subprocess("referential", "explain", "RAD-RIS-Va1", "--answers", str(path))
    bad_input(result, str(path), "ligne 2, colonne", "JSON illisible")


def test_answers_that_are_not_an_object(tmp_path: Path) -> None:
    path = answers_file(tmp_path, "[true, false]")
    result = sons("referential", "explain", "RAD-RIS-Va1", "--answers", str(path))
    bad_input(result, "un objet JSON est attendu")


def test_an_unknown_dispositif(tmp_path: Path) -> None:
    path = answers_file(tmp_path, RIS_NONE)
    for args in (
        ("show", "RAD-XYZ-Va9"),
        ("explain", "RAD-XYZ-Va9", "--answers", str(path)),
        ("doc", "RAD-XYZ-Va9"),
    ):
        bad_input(sons("referential", *args), "Dispositif inconnu : « RAD-XYZ-Va9 »", "RAD-RIS-Va1")


def test_an_unknown_question_id(tmp_path: Path) -> None:
    path = answers_file(tmp_path, {**RIS_NONE, "dmp_directe": True})
    result = sons("referential", "explain", "RAD-RIS-Va1", "--answers", str(path), "--json")
    bad_input(result)
    finding = next(f for f in json_of(result)["findings"] if f["code"] == "SCENARIO_ANSWER_UNKNOWN")
    assert finding["path"] == "$.dmp_directe"
    assert "« dmp_directe » n'existe pas" in finding["message"]
    assert str(path) in finding["message"]


def test_a_wrong_answer_type(tmp_path: Path) -> None:
    path = answers_file(tmp_path, {**RIS_NONE, "dmp_direct": "oui"})
    result = sons("referential", "explain", "RAD-RIS-Va1", "--answers", str(path), "--json")
    bad_input(result)
    finding = next(f for f in json_of(result)["findings"] if f["code"] == "SCENARIO_ANSWER_INVALID")
    assert finding["path"] == "$.dmp_direct"
    assert "attendu Oui/Non (true ou false)" in finding["message"]
    table = sons("referential", "explain", "RAD-RIS-Va1", "--answers", str(path))
    bad_input(table, "SCENARIO_ANSWER_INVALID")


def test_a_missing_answers_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    result = sons("referential", "explain", "RAD-RIS-Va1", "--answers", str(missing))
    bad_input(result, "fichier de réponses introuvable", str(missing))


@pytest.mark.parametrize("command", ["show", "doc"])
def test_a_bad_date(command: str) -> None:
    result = sons("referential", command, "RAD-RIS-Va1", "--date", "01/05/2022")
    bad_input(result, "« 01/05/2022 » n'est pas une date au format AAAA-MM-JJ")


def test_a_bad_doc_format() -> None:
    result = sons("referential", "doc", "RAD-RIS-Va1", "--format", "pdf")
    bad_input(result, "« pdf » inconnu", "md, html")


# --- doc -----------------------------------------------------------------------------------------


def test_doc_markdown_on_stdout() -> None:
    result = sons("referential", "doc", "RAD-RIS-Va1", "--date", ON)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("# Règlement annoté — RAD-RIS-Va1\n")
    view = default_referential().at("RAD-RIS-Va1", dt.date.fromisoformat(ON))
    for question in view.questions:
        assert f"(`{question.id}`)" in text
    assert "document fondateur (webinaire officiel)" in text


def test_doc_html_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "reglement.html"
    result = sons(
        "referential", "doc", "rad-ris-va1", "--format", "html", "--date", ON,
        "--output", str(target),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    page = target.read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr">')
    assert '<th scope="col">' in page and "Règlement annoté — RAD-RIS-Va1" in page


def test_doc_to_an_unwritable_place(tmp_path: Path) -> None:
    target = tmp_path / "absent" / "reglement.md"
    result = sons("referential", "doc", "RAD-RIS-Va1", "--output", str(target))
    bad_input(result, "impossible d'écrire")
