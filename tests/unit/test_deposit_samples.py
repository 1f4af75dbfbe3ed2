"""Sample deposit files for the deposit tests, written as plain dicts in the file's own names.

Other `test_deposit_*` modules import these builders (pytest puts this folder on sys.path).
The samples are RAD-RIS-Va1 files (the worked example of the referential): an advance and a
balance of two requests, with real small PDFs made by fpdf2 for their zip.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import json
import shutil
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import yaml
from fpdf import FPDF
from pypdf import PdfWriter

from sons.domain.identifiers import luhn_check_digit
from sons.formats.deposit.check import DepositReport, check_deposit
from sons.referential.loader import DATA_DIR, Referential, default_referential, load


def finess(body: str) -> str:
    """A well-formed FINESS from its first 8 characters (Luhn key appended)."""
    return body + luhn_check_digit(body)


def siret(body: str = "9000000") -> str:
    siren = f"{body:0>8}"[:8]
    siren += luhn_check_digit(siren)
    head = siren + "0001"
    return head + luhn_check_digit(head)


EJ_1, EJ_2 = finess("75071218"), finess("01078005")
ET_1, ET_2, ET_3 = finess("75000001"), finess("01000002"), finess("01000003")
ADVANCE_DAY = dt.date(2022, 11, 16)  # before the RAD-RIS-Va1 order deadline (2022-11-30)
BALANCE_DAY = dt.date(2023, 11, 21)  # before its balance deadline (2023-12-14)

# DMP direct from the RIS (MOM), MSS Pro through a PFI (VA), nothing to MSS Citoyen.
SCENARIO: dict[str, Any] = {
    "identity_referential": False,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": True,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": False,
}


@cache
def pdf_bytes(text: str) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


@cache
def empty_pdf_bytes() -> bytes:
    """A well-formed PDF without a single page."""
    stream = io.BytesIO()
    PdfWriter().write(stream)
    return stream.getvalue()


def attachment(kind: str, name: str, content: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "fichier": name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "taille_octets": len(content),
        **extra,
    }


def _request(
    number: int, ej: str, sites: list[str], kind: str, documents: dict[str, bytes]
) -> dict[str, Any]:
    request_id = f"DEM-{number:03d}"
    ht = 1_000_000 * number  # 10 000,00 € per request number
    request: dict[str, Any] = {
        "identifiant": request_id,
        "bon_de_commande": {
            "numero": f"BDC-2022-{number:03d}",
            "date_signature": "2022-10-03",
            "signataire": "Mme Dupont, directrice",
        },
        "client": {"finess_ej": ej, "es_pmsi": ej, "nom": f"Cabinet de radiologie {number}"},
        "etablissements": [{"finess_et": et, "scenario": dict(SCENARIO)} for et in sites],
        "prestation": {"montant_ht_centimes": ht, "montant_ttc_centimes": ht * 12 // 10},
    }
    pieces = []
    if kind == "avance":
        name = f"{request_id}/bon-de-commande.pdf"
        documents[name] = pdf_bytes(f"Bon de commande {request_id}")
        pieces.append(attachment("bon_de_commande", name, documents[name]))
    else:
        request["avance_de_reference"] = {
            "identifiant_demande": f"AV-{number:03d}",
            "prestation_ht_centimes": ht,
            "prestation_ttc_centimes": ht * 12 // 10,
        }
        for kind_, name in (
            ("facture", f"{request_id}/facture.pdf"),
            ("mom", f"{request_id}/mom-dmp.pdf"),
            ("va", f"{request_id}/va-mss-pro.pdf"),
        ):
            documents[name] = pdf_bytes(f"{kind_} {request_id}")
            pieces.append(attachment(kind_, name, documents[name]))
        request["preuves"] = [
            {
                "flux": "dmp",
                "voie": "direct",
                "piece": "MOM",
                "fichier": f"{request_id}/mom-dmp.pdf",
            },
            {
                "flux": "mss_pro",
                "voie": "third_party",
                "piece": "VA",
                "fichier": f"{request_id}/va-mss-pro.pdf",
            },
        ]
    request["pieces_jointes"] = pieces
    return request


def deposit(kind: str = "avance") -> tuple[dict[str, Any], dict[str, bytes]]:
    """A valid RAD-RIS-Va1 file of two requests (one with two sites) and its documents."""
    documents: dict[str, bytes] = {}
    created = "2022-11-15T09:30:00+01:00" if kind == "avance" else "2023-11-20T09:30:00+01:00"
    data = {
        "version_format": "1.0",
        "couloir": "RAD",
        "nature": kind,
        "date_creation": created,
        "editeur": {"siret": siret(), "numero_enrolement": "ENR-2022-0042"},
        "solution": {"numero_referencement": "RIS-0001", "version_technique": "5.2"},
        "dispositif": "RAD-RIS-Va1",
        "demandes": [
            _request(1, EJ_1, [ET_1], kind, documents),
            _request(2, EJ_2, [ET_2, ET_3], kind, documents),
        ],
    }
    return data, documents


def write_zip(path: Path, documents: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in documents.items():
            archive.writestr(name, content)
    return path


def write(
    folder: Path, data: Any, documents: dict[str, bytes] | None = None, name: str = "depot"
) -> tuple[Path, Path | None]:
    json_path = folder / f"{name}.json"
    try:
        content = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except TypeError:  # integers beyond 64 bits: only the standard library writes them
        content = json.dumps(data, indent=2).encode()
    json_path.write_bytes(content)
    zip_path = write_zip(folder / f"{name}.zip", documents) if documents is not None else None
    return json_path, zip_path


def run(
    folder: Path,
    data: Any,
    documents: dict[str, bytes] | None = None,
    referential: Referential | None = None,
    today: dt.date | None = None,
) -> DepositReport:
    kind = data.get("nature") if isinstance(data, dict) else None
    today = today or (BALANCE_DAY if kind == "solde" else ADVANCE_DAY)
    json_path, zip_path = write(folder, data, documents)
    return check_deposit(json_path, zip_path, referential or default_referential(), today)


def codes(report: DepositReport) -> list[str]:
    return [f.code for f in report.findings]


def found(report: DepositReport, code: str) -> list[Any]:
    return [f for f in report.findings if f.code == code]


# --- a referential with what the real data may not have -----------------------------------

SYNTHETIC = "MS1-TST-Va1"


def synthetic_referential(folder: Path) -> Referential:
    """The real RAD-RIS-Va1 copied as « MS1-TST-Va1 »: an MS1 dispositif with the indicator
    « Déploiement MSS » from 2024-09-12, a balance requirement retired on 2023-04-07, and no
    balance deadline (« non renseigné »)."""
    root = folder / "referentiel"
    (root / "dispositifs").mkdir(parents=True)
    for name in ("VERSION.yaml", "sources.yaml"):
        shutil.copy(DATA_DIR / name, root / name)
    shutil.copytree(DATA_DIR / "common", root / "common")
    target = root / "dispositifs" / SYNTHETIC.lower()
    shutil.copytree(DATA_DIR / "dispositifs" / "rad-ris-va1", target)
    shutil.copytree(DATA_DIR / "dispositifs" / "rad-ris-va1", root / "dispositifs" / "rad-ris-va1")

    def edit(name: str, change: Any) -> None:
        path = target / name
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(content)
        path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")

    def identity(content: dict[str, Any]) -> None:
        content.update(code=SYNTHETIC, couloir="MS1", deposit_family="MS1", software_type="TST")

    def balance(content: dict[str, Any]) -> None:
        content["balance_requirements"] = [
            {
                "id": "test_report",
                "label": "Compte rendu de test",
                "valid_until": dt.date(2023, 4, 6),
                "strength": "inferred",
            }
        ]
        content["indicators"] = [
            {
                "id": "deploiement_mss",
                "label": "Déploiement MSS",
                "kinds": ["solde"],
                "values": ["Cas 1", "Cas 2"],
                "valid_from": dt.date(2024, 9, 12),
                "strength": "inferred",
            }
        ]

    def parameters(content: dict[str, Any]) -> None:
        del content["parameters"]["balance_deadline"]

    edit("dispositif.yaml", identity)
    edit("balance.yaml", balance)
    edit("parameters.yaml", parameters)
    return load(root)


def synthetic_deposit(kind: str = "solde") -> tuple[dict[str, Any], dict[str, bytes]]:
    data, documents = deposit(kind)
    data = copy.deepcopy(data)
    data.update(couloir="MS1", dispositif=SYNTHETIC)
    return data, documents


# --- the samples themselves ----------------------------------------------------------------


def test_the_advance_sample_passes_with_its_zip(tmp_path: Path) -> None:
    data, documents = deposit("avance")
    report = run(tmp_path, data, documents)
    assert report.exit_code == 0, [(f.code, f.path, f.message) for f in report.findings]
    assert [r.id for r in report.requests] == ["DEM-001", "DEM-002"]
    assert report.zip_entries == len(documents)


def test_the_balance_sample_passes_with_its_zip(tmp_path: Path) -> None:
    data, documents = deposit("solde")
    report = run(tmp_path, data, documents)
    assert report.exit_code == 0, [(f.code, f.path, f.message) for f in report.findings]
    assert not report.incomplete_requests
