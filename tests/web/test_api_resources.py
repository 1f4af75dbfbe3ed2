"""The rest of the API: clients and the FINESS import, solutions, evidence (transmissions,
readiness), documents (PDF) and the operator's controls; scopes and roles of each."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from web_filing import seed
from web_fixtures import People, SettableClock, TestClient, api_error, api_headers

from sons.services.accounts import Accounts

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


@pytest.fixture
def vendor(app: FastAPI, people: People, clock: SettableClock) -> int:
    return seed(app, clock)


@pytest.fixture
def admin(accounts: Accounts, people: People, vendor: int) -> dict[str, str]:
    return api_headers(accounts, people.vendor_admin)


def upload(path: Path) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (path.name, path.read_bytes(), "text/csv")}


def test_clients_list_show_and_finess_import(
    client: TestClient, accounts: Accounts, people: People, admin: dict[str, str]
) -> None:
    listed = client.get("/api/v1/clients?search=clinique", headers=admin).json()
    assert [c["finess_et"] for c in listed["items"]] == ["130000029"]
    assert listed["items"][0]["status"] == "private"
    card = client.get("/api/v1/clients/750000010", headers=admin).json()
    assert card["legal_entity"]["name"] == "Centre hospitalier public"
    assert card["ceilings_ht_cents"] == {"RAD-RIS-Va1": 2_000_000}
    api_error(client.get("/api/v1/clients/999999999", headers=admin), 404, "NOT_FOUND")
    extract = EXAMPLES / "finess-extrait.csv"
    user = api_headers(accounts, people.vendor_user)
    api_error(
        client.post("/api/v1/clients/finess-import", files=upload(extract), headers=user),
        403,
        "ADMIN_ONLY",
    )
    imported = client.post("/api/v1/clients/finess-import", files=upload(extract), headers=admin)
    assert imported.status_code == 201, imported.text
    assert imported.json()["status"] == "imported" and imported.json()["rows"] > 0
    again = client.post("/api/v1/clients/finess-import", files=upload(extract), headers=admin)
    assert again.status_code == 200 and again.json()["status"] == "already_imported"
    ain = client.get("/api/v1/clients?department=1", headers=admin).json()
    assert ain["total"] >= 3 and {c["department"] for c in ain["items"]} == {"01"}
    broken = {"file": ("finess.csv", b"pas;un;extrait\n1;2;3\n", "text/csv")}
    error = api_error(
        client.post("/api/v1/clients/finess-import", files=broken, headers=admin),
        422,
        "IMPORT_REFUSED",
    )
    assert error["findings"] and all(f["path"].startswith("finess.csv") for f in error["findings"])


def test_solutions_list_and_import(
    client: TestClient, accounts: Accounts, people: People, admin: dict[str, str]
) -> None:
    listed = client.get("/api/v1/solutions", headers=admin).json()
    assert [(s["referencing_number"], s["orders"]) for s in listed["items"]] == [("REF-RIS-001", 3)]
    body = "nom;version;numero_referencement;dispositif;profils;date_referencement\n"
    body += "RIS Nouveau;1.0;REF-RIS-002;RAD-RIS-Va1;Général;2022-02-15\n"
    files = {"file": ("solutions.csv", body.encode(), "text/csv")}
    imported = client.post("/api/v1/solutions/import", files=files, headers=admin)
    assert imported.status_code == 201, imported.text
    assert imported.json()["changes"] == {"created": 1}
    numbers = [
        s["referencing_number"]
        for s in client.get("/api/v1/solutions", headers=admin).json()["items"]
    ]
    assert sorted(numbers) == ["REF-RIS-001", "REF-RIS-002"]
    other = api_headers(accounts, people.other_admin)
    assert client.get("/api/v1/solutions", headers=other).json()["total"] == 0
    api_error(
        client.get("/api/v1/solutions", headers=api_headers(accounts, people.instructor)),
        403,
        "VENDOR_ONLY",
    )


def test_readiness_and_transmissions(client: TestClient, admin: dict[str, str]) -> None:
    report = client.get("/api/v1/evidence/readiness", headers=admin).json()
    assert sorted(o["order"] for o in report["orders"]) == ["BC-A", "BC-B", "BC-ERR"]
    one = client.get("/api/v1/evidence/readiness/BC-B", headers=admin).json()
    assert one["order"] == "BC-B" and one["as_of"] == "2025-03-03" and one["sites"]
    api_error(client.get("/api/v1/evidence/readiness/BC-Z", headers=admin), 404, "NOT_FOUND")
    log = (EXAMPLES / "envois.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"
    log += (
        "2022-11-04T09:10:00+01:00;750000028;dmp;direct;qualifiee;18748-4;;ok;RIS Horizon;4.2;M-1\n"
    )
    files = {"file": ("envois.csv", log.encode(), "text/csv")}
    imported = client.post("/api/v1/evidence/transmissions", files=files, headers=admin)
    assert imported.status_code == 201, imported.text
    assert imported.json()["stored"] == 1 and "rejects_file" not in imported.json()
    bad = {"file": ("envois.csv", (log + "pas une date;x;y\n").encode(), "text/csv")}
    api_error(
        client.post("/api/v1/evidence/transmissions", files=bad, headers=admin),
        422,
        "IMPORT_REFUSED",
    )


@pytest.mark.parametrize("kind", ["order", "va"])
def test_documents_are_pdfs(client: TestClient, admin: dict[str, str], kind: str) -> None:
    response = client.get(f"/api/v1/orders/BC-A/documents/{kind}", headers=admin)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f"{kind}-BC-A.pdf" in response.headers["content-disposition"]


def test_controls_run_on_uploaded_files_for_the_operator_only(
    client: TestClient, accounts: Accounts, people: People, admin: dict[str, str]
) -> None:
    files = [
        ("statistics", ("statistiques.csv", (EXAMPLES / "statistiques-usage.csv").read_bytes())),
        ("balances", ("soldes.csv", (EXAMPLES / "soldes-payes.csv").read_bytes())),
        ("establishments", ("etab.csv", (EXAMPLES / "etablissements.csv").read_bytes())),
    ]
    api_error(
        client.post("/api/v1/operator/controls", files=files, headers=admin), 403, "OPERATOR_ONLY"
    )
    operator = api_headers(accounts, people.operator_admin)
    ran = client.post("/api/v1/operator/controls", files=files, headers=operator)
    assert ran.status_code == 200, ran.text
    assert ran.json()["statistics_valid"] is True and sum(ran.json()["totals"].values()) > 0
    unusable = [files[0], ("balances", ("soldes.csv", b"a;b\n1;2\n")), files[2]]
    error = api_error(
        client.post("/api/v1/operator/controls", files=unusable, headers=operator),
        422,
        "CONTROLS_INPUT_INVALID",
    )
    assert error["findings"]
