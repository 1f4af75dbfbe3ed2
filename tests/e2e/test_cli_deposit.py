"""`sons deposit check` and `sons schema export` as a user runs them: the exit code, the output.
Every bad input of issue 4 gives a precise message and exit 2 or 1. Two cases run as a real
subprocess (`python -m sons`); the others in-process (`cli_in_process`), as strict."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF

from cli_in_process import Finished, run_in_process
from sons.domain.identifiers import luhn_check_digit
from sons.formats.deposit.schema import deposit_families, deposit_schema, render
from sons.referential.loader import default_referential

pytestmark = pytest.mark.e2e

DAY = "2022-11-16"


def sons(*args: str) -> Finished:
    return run_in_process(*args)


def sons_subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "sons", *args], capture_output=True, text=True, env=env, timeout=120
    )


def _pdf(text: str) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def _finess(body: str) -> str:
    return body + luhn_check_digit(body)


def _siret() -> str:
    siren = "90000000" + luhn_check_digit("90000000")
    return siren + "0001" + luhn_check_digit(siren + "0001")


SCENARIO = {
    "identity_referential": False,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": False,
}


def advance(folder: Path, documents: dict[str, bytes] | None = None) -> dict[str, Any]:
    """A valid RAD-RIS-Va1 advance of one request; its order PDF goes into `documents`."""
    order = _pdf("Bon de commande DEM-1")
    if documents is not None:
        documents["DEM-1/bdc.pdf"] = order
    ej = _finess("75071218")
    return {
        "version_format": "1.0",
        "couloir": "RAD",
        "nature": "avance",
        "date_creation": "2022-11-15T09:30:00+01:00",
        "editeur": {"siret": _siret(), "numero_enrolement": "ENR-1"},
        "solution": {"numero_referencement": "RIS-1", "version_technique": "5.2"},
        "dispositif": "RAD-RIS-Va1",
        "demandes": [
            {
                "identifiant": "DEM-1",
                "bon_de_commande": {
                    "numero": "BDC-1",
                    "date_signature": "2022-10-03",
                    "signataire": "Mme Dupont",
                },
                "client": {"finess_ej": ej, "es_pmsi": ej},
                "etablissements": [{"finess_et": _finess("75000001"), "scenario": SCENARIO}],
                "prestation": {"montant_ht_centimes": 1_000_000, "montant_ttc_centimes": 1_200_000},
                "pieces_jointes": [
                    {
                        "type": "bon_de_commande",
                        "fichier": "DEM-1/bdc.pdf",
                        "sha256": hashlib.sha256(order).hexdigest(),
                        "taille_octets": len(order),
                    }
                ],
            }
        ],
    }


def _write(folder: Path, data: Any, documents: dict[str, bytes] | None = None) -> list[str]:
    path = folder / "depot.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    args = [str(path)]
    if documents is not None:
        with zipfile.ZipFile(folder / "pieces.zip", "w") as archive:
            for name, content in documents.items():
                archive.writestr(name, content)
        args += ["--zip", str(folder / "pieces.zip")]
    return args


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_valid_file_and_its_zip_pass(tmp_path: Path) -> None:
    documents: dict[str, bytes] = {}
    args = _write(tmp_path, advance(tmp_path, documents), documents)
    result = sons_subprocess("deposit", "check", *args, "--date", DAY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Aucune erreur" in result.stdout and "RAD-RIS-Va1" in result.stdout


def test_errors_exit_1_with_every_finding_in_json(tmp_path: Path) -> None:
    data = advance(tmp_path)
    request = data["demandes"][0]
    request["prestation"]["montant_ttc_centimes"] = "1200000"
    request["etablissements"][0]["scenario"]["dmp_via_pfi"] = True
    request["client"]["inconnu"] = 1
    result = sons("deposit", "check", *_write(tmp_path, data), "--json", "--date", DAY)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    placed = {(f["code"], f["path"]) for f in report["findings"]}
    assert ("DEPOSIT_FIELD_TYPE", "$.demandes[0].prestation.montant_ttc_centimes") in placed
    assert ("DEPOSIT_FIELD_UNKNOWN", "$.demandes[0].client.inconnu") in placed
    assert all({"code", "severity", "message", "path"} <= set(f) for f in report["findings"])


def test_the_terminal_report_is_in_french_and_names_the_place(tmp_path: Path) -> None:
    data = advance(tmp_path)
    data["demandes"][0]["prestation"]["montant_ttc_centimes"] = 1_250_000
    result = sons("deposit", "check", *_write(tmp_path, data), "--date", DAY)
    assert result.returncode == 1
    assert "$.demandes[0].prestation.montant_ttc_centimes" in result.stdout
    assert "incohérent avec le HT" in result.stdout and "erreur(s)" in result.stdout


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        (b'{"version_format": "1.0", "demandes": [', "DEPOSIT_JSON_TRUNCATED", "tronqué"),
        ('{"nom": "Hôpital"}'.encode("latin-1"), "DEPOSIT_NOT_UTF8", "octet 10"),
        (b'{"a": 1,}', "DEPOSIT_JSON_INVALID", "ligne 1, colonne 9"),
        (b"", "DEPOSIT_FILE_EMPTY", "vide"),
    ],
    ids=["truncated", "latin-1", "syntax", "empty"],
)
def test_unreadable_json_exits_2(tmp_path: Path, content: bytes, code: str, words: str) -> None:
    path = tmp_path / "depot.json"
    path.write_bytes(content)
    machine = sons("deposit", "check", str(path), "--json", "--date", DAY)
    assert machine.returncode == 2
    report = json.loads(machine.stdout)
    assert report["readable"] is False and report["findings"][0]["code"] == code
    finding = report["findings"][0]
    assert words in finding["message"] + finding["path"]
    assert _listing(tmp_path) == {"depot.json"}  # nothing written beside it


def test_unreadable_json_in_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "depot.json"
    path.write_bytes(b'{\n  "version_format": "1.0",\n  "demandes": [')
    result = sons_subprocess("deposit", "check", str(path))
    assert result.returncode == 2
    assert "ligne 3" in result.stderr and "tronqué" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_2_gb_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "enorme.json"
    with path.open("wb") as stream:
        stream.truncate(2 * 1024**3)  # sparse: costs no disk
    result = sons("deposit", "check", str(path), "--json")
    assert result.returncode == 2
    assert json.loads(result.stdout)["findings"][0]["code"] == "DEPOSIT_FILE_TOO_LARGE"


def test_duplicate_keys_bom_and_big_numbers_exit_1(tmp_path: Path) -> None:
    text = json.dumps(advance(tmp_path), ensure_ascii=False)
    text = text.replace('"numero": "BDC-1"', '"numero": "BDC-1", "numero": "BDC-2"')
    text = text.replace("1200000", "1" + "0" * 30)
    path = tmp_path / "depot.json"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = sons("deposit", "check", str(path), "--json", "--date", DAY)
    assert result.returncode == 1
    placed = {(f["code"], f["path"]) for f in json.loads(result.stdout)["findings"]}
    assert ("DEPOSIT_BOM", "$") in placed
    assert ("DEPOSIT_DUPLICATE_KEY", "$.demandes[0].bon_de_commande.numero") in placed
    assert (
        "DEPOSIT_NUMBER_OUT_OF_RANGE",
        "$.demandes[0].prestation.montant_ttc_centimes",
    ) in placed


def test_zip_problems_exit_1_and_name_the_incomplete_requests(tmp_path: Path) -> None:
    documents: dict[str, bytes] = {}
    data = advance(tmp_path, documents)
    documents["DEM-1/bdc.pdf"] = b"pas un PDF"  # same name, other content
    documents["../evade.pdf"] = b"x"
    result = sons("deposit", "check", *_write(tmp_path, data, documents), "--json", "--date", DAY)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    found = {f["code"] for f in report["findings"]}
    assert {
        "DEPOSIT_ATTACHMENT_SHA256_MISMATCH",
        "DEPOSIT_ATTACHMENT_NOT_PDF",
        "DEPOSIT_ZIP_PATH_UNSAFE",
    } <= found
    assert report["summary"]["incomplete_requests"] == ["DEM-1"]
    assert not (tmp_path.parent / "evade.pdf").exists()  # nothing extracted, anywhere


def test_a_missing_zip_is_a_usage_error(tmp_path: Path) -> None:
    args = _write(tmp_path, advance(tmp_path))
    result = sons("deposit", "check", *args, "--zip", str(tmp_path / "absent.zip"))
    assert result.returncode == 2 and "introuvable" in result.stderr


def test_schema_export_writes_the_generated_schemas(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = sons("schema", "export", "--out", str(out))
    assert result.returncode == 0, result.stderr
    referential = default_referential()
    families = deposit_families(referential)
    assert sorted(_listing(out)) == sorted(f"depot-sons-{f}.schema.json" for f in families)
    for family in families:
        written = (out / f"depot-sons-{family}.schema.json").read_text(encoding="utf-8")
        assert written == render(deposit_schema(referential, family))


def test_schema_export_of_one_couloir_and_bad_options(tmp_path: Path) -> None:
    one = sons("schema", "export", "--couloir", "rad", "--out", str(tmp_path / "un"))
    assert one.returncode == 0
    assert _listing(tmp_path / "un") == {"depot-sons-RAD.schema.json"}
    unknown = sons("schema", "export", "--couloir", "XYZ", "--out", str(tmp_path / "deux"))
    assert unknown.returncode == 2 and "Couloirs possibles" in unknown.stderr
    assert not (tmp_path / "deux").exists()
    blocked = tmp_path / "fichier"
    blocked.write_text("x")
    refused = sons("schema", "export", "--out", str(blocked))
    assert refused.returncode == 2 and blocked.read_text() == "x"
