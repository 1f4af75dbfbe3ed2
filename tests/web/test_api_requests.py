"""`/api/v1/requests` and `/api/v1/operator/queue`: the workflow's verbs generated from the
table, who may fire them, their motive, reason, amount and file, and tenant isolation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from web_filing import filed_advance, seed
from web_fixtures import (
    VENDOR_SIRET,
    People,
    SettableClock,
    TestClient,
    api_error,
    api_headers,
)

from filing_fixtures import pdf
from sons.domain.workflow import TRANSITIONS
from sons.services.accounts import Accounts


@pytest.fixture
def request_id(app: FastAPI, people: People, clock: SettableClock, tmp_path: Path) -> int:
    built = filed_advance(app, seed(app, clock), tmp_path / "depot", clock)
    (request,) = built.requests
    return request.id


@pytest.fixture
def vendor(accounts: Accounts, people: People) -> dict[str, str]:
    return api_headers(accounts, people.vendor_admin)


@pytest.fixture
def instructor(accounts: Accounts, people: People) -> dict[str, str]:
    return api_headers(accounts, people.instructor)


def test_every_transition_of_the_table_is_a_documented_verb(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for transition in TRANSITIONS:
        operation = spec["paths"][f"/requests/{{ident}}/{transition.action}"]["post"]
        assert operation["summary"] == transition.label
        assert "journal" in operation["description"]
    assert "multipart/form-data" in str(spec["paths"]["/requests/{ident}/rejeter"])


def test_list_show_and_export(
    client: TestClient, request_id: int, vendor: dict[str, str], instructor: dict[str, str]
) -> None:
    listed = client.get("/api/v1/requests?status=Déposée&kind=avance", headers=vendor).json()
    assert [r["id"] for r in listed["items"]] == [request_id]
    assert listed["items"][0]["vendor_label"] == "Déposée"
    assert client.get("/api/v1/requests?status=validee", headers=vendor).json()["total"] == 0
    api_error(client.get("/api/v1/requests?status=nimporte", headers=vendor), 422, "INPUT_INVALID")
    shown = client.get(f"/api/v1/requests/{request_id}", headers=instructor).json()
    assert shown["order_number"] == "BC-A"
    assert {a["action"] for a in shown["actions"]["operator"]} >= {"instruire", "rejeter"}
    exported = client.get("/api/v1/requests?format=csv", headers=instructor)
    rows = exported.content.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("N°;Identifiant;Nature;Statut;") and len(rows) == 2


def test_the_table_decides_who_fires_what(
    client: TestClient, request_id: int, vendor: dict[str, str], instructor: dict[str, str]
) -> None:
    base = f"/api/v1/requests/{request_id}"
    error = api_error(client.post(f"{base}/valider", headers=vendor), 403, "WORKFLOW_FORBIDDEN")
    assert error["findings"][0]["code"] == "WORKFLOW_FORBIDDEN"
    api_error(client.post(f"{base}/deposer", headers=instructor), 403, "WORKFLOW_FORBIDDEN")
    api_error(client.post(f"{base}/payer", headers=vendor), 403, "WORKFLOW_FORBIDDEN")
    api_error(
        client.post(f"{base}/payer", headers=instructor, data={"amount": "10"}),
        409,
        "WORKFLOW_TRANSITION_INVALID",
    )
    api_error(client.post(f"{base}/inventer", headers=instructor), 404, "NOT_FOUND")
    no_reason = client.post(f"{base}/demander-correction", headers=instructor, data={"motive": "x"})
    api_error(no_reason, 422, "WORKFLOW_REASON_REQUIRED")
    assert client.get(base, headers=vendor).json()["status"] == "deposee"


def test_a_correction_request_with_motive_reason_and_file_is_journaled(
    client: TestClient,
    request_id: int,
    vendor: dict[str, str],
    instructor: dict[str, str],
    people: People,
) -> None:
    base = f"/api/v1/requests/{request_id}"
    taken = client.post(f"{base}/instruire", headers=instructor)
    assert taken.status_code == 200, taken.text
    sent = client.post(
        f"{base}/demander-correction",
        headers=instructor,
        data={"motive": "Le VA n'est pas signé.", "reason": "incomplet"},
        files={"file": ("courrier.pdf", pdf("Courrier"), "application/pdf")},
    )
    assert sent.status_code == 200, sent.text
    assert (sent.json()["to"], sent.json()["vendor_label"]) == ("a_modifier", "A modifier")
    assert "inscrit au journal" in sent.json()["message"]
    last = client.get(base, headers=vendor).json()["history"][-1]
    assert (last["actor"], last["motive"], last["reason"]) == (
        people.instructor,
        "Le VA n'est pas signé.",
        "incomplet",
    )
    assert last["file_name"] == "courrier.pdf" and len(last["file_sha256"]) == 64
    assert last["journal_entry"] is not None
    image = client.post(
        f"{base}/rejeter",
        headers=instructor,
        data={"motive": "x"},
        files={"file": ("scan.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "application/pdf")},
    )
    api_error(image, 415, "UPLOAD_TYPE_REFUSED")


def test_payment_takes_its_amount(
    client: TestClient, request_id: int, instructor: dict[str, str]
) -> None:
    base = f"/api/v1/requests/{request_id}"
    for verb, data in (("instruire", {}), ("valider", {"motive": "Conforme."})):
        assert client.post(f"{base}/{verb}", headers=instructor, data=data).status_code == 200
    api_error(client.post(f"{base}/payer", headers=instructor), 422, "AMOUNT_REQUIRED")
    api_error(
        client.post(f"{base}/valider", headers=instructor, data={"amount": "1"}),
        422,
        "AMOUNT_NOT_ALLOWED",
    )
    paid = client.post(
        f"{base}/payer", headers=instructor, data={"amount": "1 000,00", "on": "2025-03-01"}
    )
    assert paid.status_code == 200, paid.text
    body: dict[str, Any] = paid.json()
    assert body["to"] == "decidee_et_payee" and body["payment"]["amount_cents"] == 100_000


def test_another_tenant_gets_404(
    client: TestClient, accounts: Accounts, people: People, request_id: int
) -> None:
    other = api_headers(accounts, people.other_admin)
    for method, path in (
        ("GET", f"/api/v1/requests/{request_id}"),
        ("POST", f"/api/v1/requests/{request_id}/retirer"),
        ("POST", f"/api/v1/requests/{request_id}/deposer"),
    ):
        response = client.request(method, path, headers=other, data={"motive": "x"})
        api_error(response, 404, "NOT_FOUND")
        assert "BC-A" not in response.text
    assert client.get("/api/v1/requests", headers=other).json()["total"] == 0


def test_the_operator_queue_is_the_operators(
    client: TestClient, request_id: int, vendor: dict[str, str], instructor: dict[str, str]
) -> None:
    api_error(client.get("/api/v1/operator/queue", headers=vendor), 403, "OPERATOR_ONLY")
    queue = client.get(
        "/api/v1/operator/queue?status=deposee&dispositif=RAD-RIS-Va1", headers=instructor
    )
    assert queue.status_code == 200, queue.text
    (line,) = queue.json()["items"]
    assert (line["id"], line["vendor_siret"], line["status"]) == (
        request_id,
        VENDOR_SIRET,
        "deposee",
    )
    assert (
        client.get("/api/v1/operator/queue?status=validee", headers=instructor).json()["total"] == 0
    )
    xlsx = client.get("/api/v1/operator/queue?format=xlsx", headers=instructor)
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
