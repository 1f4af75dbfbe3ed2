"""`/api/v1/orders`: list (paginated, filtered, exported), show, create, update with its
version, delete, checks; another tenant's order is 404, every write journaled with the user."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from web_filing import built_advance, engine_of, seed
from web_fixtures import People, SettableClock, TestClient, api_error, api_headers

from sons.services.accounts import Accounts
from sons.services.actors import reading
from sons.store.orders import PURCHASE_ORDER

NEW_ORDER: dict[str, Any] = {
    "numero": "BC-API-1",
    "date_signature": "2022-06-15",
    "signataire": "Dr Élise Martin, directrice",
    "siret_fournisseur": "73282932000074",
    "numero_referencement": "REF-RIS-001",
    "dispositif": "RAD-RIS-Va1",
    "client": "750000010",
    "type_client": "EJ",
    "prestation_ht": "10 000,00",
    "prestation_ttc": 12000.00,
    "sites": [{"finess_et": "750000028", "reponses": {"dmp_direct": True}}],
    "lignes": [{"libelle": "Licence RIS", "montant_ht": "10000", "dimension": "licence"}],
}


@pytest.fixture
def database_url(any_database_url: str) -> str:
    """Orders are written through the store: on SQLite, and on PostgreSQL when it is set up."""
    return any_database_url


@pytest.fixture
def vendor(app: FastAPI, people: People, clock: SettableClock) -> int:
    return seed(app, clock)


@pytest.fixture
def admin(accounts: Accounts, people: People, vendor: int) -> dict[str, str]:
    return api_headers(accounts, people.vendor_admin)


def journal(app: FastAPI, number: str) -> list[tuple[str, str]]:
    with reading(engine_of(app)) as uow:
        return [(e.action, e.actor) for e in uow.journal.history(PURCHASE_ORDER, number)]


def test_list_is_paginated_with_total_and_links(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/api/v1/orders?per_page=2", headers=admin)
    assert response.status_code == 200
    body = response.json()
    assert [o["number"] for o in body["items"]] == ["BC-A", "BC-B"]
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (3, 1, 2, 2)
    assert response.headers["x-total-count"] == "3"
    links = response.headers["link"]
    assert 'page=2>; rel="next"' in links and 'rel="last"' in links and "per_page=2" in links
    assert "<http://testserver/api/v1/orders?" in links
    second = client.get("/api/v1/orders?per_page=2&page=2", headers=admin).json()
    assert [o["number"] for o in second["items"]] == ["BC-ERR"]
    beyond = client.get("/api/v1/orders?per_page=2&page=9", headers=admin).json()
    assert beyond["items"] == [] and beyond["total"] == 3
    too_many = client.get("/api/v1/orders?per_page=201", headers=admin)
    assert api_error(too_many, 422, "REQUEST_INVALID")["findings"][0]["path"] == "query.per_page"


def test_list_filters(client: TestClient, admin: dict[str, str]) -> None:
    def numbers(query: str) -> list[str]:
        response = client.get(f"/api/v1/orders?{query}", headers=admin)
        assert response.status_code == 200, response.text
        return [o["number"] for o in response.json()["items"]]

    assert numbers("number=BC-E") == ["BC-ERR"]
    assert numbers("client=1300") == ["BC-B"]
    assert numbers("dispositif=rad-ris-va1&status=draft") == ["BC-A", "BC-B", "BC-ERR"]
    assert numbers("status=validee") == []
    assert numbers("signed_from=2023-01-01") == []
    assert numbers("client=' OR 1=1 --") == [] and numbers("number=%25") == []
    api_error(client.get("/api/v1/orders?dispositif=XYZ", headers=admin), 404, "DISPOSITIF_UNKNOWN")


def test_show_create_update_delete_and_the_journal(
    app: FastAPI, client: TestClient, admin: dict[str, str], people: People
) -> None:
    created = client.post("/api/v1/orders", json=NEW_ORDER, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["number"] == "BC-API-1" and body["version"] == 1
    assert body["prestation_ttc_cents"] == 1_200_000
    assert created.headers["location"].endswith("/api/v1/orders/BC-API-1")
    assert {f["code"] for f in body["findings"]} >= {"ORDER_ANSWER_MISSING"} or body["findings"]
    shown = client.get("/api/v1/orders/BC-API-1", headers=admin).json()
    assert shown["sites"][0]["finess_et"] == "750000028"
    api_error(client.post("/api/v1/orders", json=NEW_ORDER, headers=admin), 409, "ALREADY_EXISTS")

    changed = copy.deepcopy(NEW_ORDER)
    changed["signataire"] = "M. Paul Durand"
    updated = client.put(
        "/api/v1/orders/BC-API-1", json={"version": 1, "order": changed}, headers=admin
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["signatory"] == "M. Paul Durand" and updated.json()["version"] == 2
    stale = client.put(
        "/api/v1/orders/BC-API-1", json={"version": 1, "order": NEW_ORDER}, headers=admin
    )
    assert "version 1 attendue, 2 trouvée" in api_error(stale, 409, "VERSION_CONFLICT")["message"]
    assert client.get("/api/v1/orders/BC-API-1", headers=admin).json()["signatory"] == (
        "M. Paul Durand"
    )
    api_error(
        client.delete("/api/v1/orders/BC-API-1?version=1", headers=admin), 409, "VERSION_CONFLICT"
    )
    assert client.delete("/api/v1/orders/BC-API-1?version=2", headers=admin).status_code == 204
    api_error(client.get("/api/v1/orders/BC-API-1", headers=admin), 404, "NOT_FOUND")
    assert journal(app, "BC-API-1") == [
        ("create", people.vendor_admin),
        ("update", people.vendor_admin),
        ("delete", people.vendor_admin),
    ]


def test_a_bad_order_is_refused_with_findings_at_json_paths(
    app: FastAPI, client: TestClient, admin: dict[str, str]
) -> None:
    broken = {**NEW_ORDER, "prestation_ht": 1234.567, "date_signature": "31/02/2022"}
    error = api_error(
        client.post("/api/v1/orders", json=broken, headers=admin), 422, "ORDER_INVALID"
    )
    assert {"$.prestation_ht", "$.date_signature"} <= {f["path"] for f in error["findings"]}
    unknown = {**NEW_ORDER, "sites": [{"finess_et": "750000028", "reponses": {"inconnue": True}}]}
    error = api_error(
        client.post("/api/v1/orders", json=unknown, headers=admin), 422, "ORDER_INVALID"
    )
    assert [f["path"] for f in error["findings"]] == ["$.sites[0].reponses.inconnue"], error
    foreign = {**NEW_ORDER, "numero_referencement": "REF-INCONNUE"}
    error = api_error(
        client.post("/api/v1/orders", json=foreign, headers=admin), 422, "ORDER_INVALID"
    )
    assert [f["code"] for f in error["findings"]] == ["SOLUTION_UNKNOWN"]
    renamed = {**NEW_ORDER, "numero": "BC-AUTRE"}
    error = api_error(
        client.put("/api/v1/orders/BC-A", json={"version": 1, "order": renamed}, headers=admin),
        422,
        "ORDER_INVALID",
    )
    assert error["findings"][0]["code"] == "ORDER_NUMBER_MISMATCH"
    assert journal(app, "BC-AUTRE") == [] and journal(app, "BC-API-1") == []


def test_checks_answer_the_cli_codes(client: TestClient, admin: dict[str, str]) -> None:
    response = client.post("/api/v1/orders/BC-ERR/checks", headers=admin)
    assert response.status_code == 200
    (checked,) = response.json()["orders"]
    assert [f["code"] for f in checked["findings"]] == ["AMOUNT_TTC_INCONSISTENT"]
    assert response.json()["summary"]["with_errors"] == 1
    clean = client.post("/api/v1/orders/BC-A/checks", headers=admin).json()
    assert clean["summary"]["with_errors"] == 0


def test_csv_and_xlsx_exports_hold_every_matching_order(
    client: TestClient, admin: dict[str, str]
) -> None:
    csv = client.get("/api/v1/orders?format=csv&per_page=1&status=draft", headers=admin)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "bons-de-commande.csv" in csv.headers["content-disposition"]
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Numéro;Dispositif;Statut;")
    assert [line.split(";")[0] for line in lines[1:]] == ["BC-A", "BC-B", "BC-ERR"]
    xlsx = client.get("/api/v1/orders?format=xlsx", headers=admin)
    assert xlsx.content.startswith(b"PK")
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(xlsx.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Numéro" and [r[0] for r in rows[1:]] == ["BC-A", "BC-B", "BC-ERR"]
    assert rows[1][8] == 1_000_000  # amounts stay numbers


def test_another_tenant_gets_404_and_an_empty_list(
    client: TestClient, accounts: Accounts, people: People, vendor: int
) -> None:
    other = api_headers(accounts, people.other_admin)
    for method, path in (
        ("GET", "/api/v1/orders/BC-A"),
        ("POST", "/api/v1/orders/BC-A/checks"),
        ("DELETE", "/api/v1/orders/BC-A?version=1"),
        ("GET", "/api/v1/orders/BC-A/documents/order"),
        ("GET", "/api/v1/evidence/readiness/BC-A"),
    ):
        response = client.request(method, path, headers=other)
        error = api_error(response, 404, "NOT_FOUND")
        assert "750000010" not in response.text and "Élise" not in error["message"]
    update = client.put(
        "/api/v1/orders/BC-A",
        json={"version": 1, "order": {**NEW_ORDER, "numero": "BC-A"}},
        headers=other,
    )
    api_error(update, 404, "NOT_FOUND")
    assert client.get("/api/v1/orders", headers=other).json()["total"] == 0
    operator = api_headers(accounts, people.instructor)
    api_error(client.get("/api/v1/orders", headers=operator), 403, "VENDOR_ONLY")


def test_an_order_with_a_funding_request_is_kept(
    app: FastAPI,
    client: TestClient,
    admin: dict[str, str],
    vendor: int,
    clock: SettableClock,
    tmp_path: Path,
) -> None:
    built_advance(app, vendor, tmp_path / "depot", clock)
    version = client.get("/api/v1/orders/BC-A", headers=admin).json()["version"]
    refused = client.delete(f"/api/v1/orders/BC-A?version={version}", headers=admin)
    assert "demandes de financement" in api_error(refused, 409, "ORDER_IN_USE")["message"]
    assert client.get("/api/v1/orders/BC-A", headers=admin).status_code == 200


def test_every_operation_needs_a_token_or_a_session(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        for method in item:
            concrete = path.replace("{kind}", "order").replace("{", "x").replace("}", "")
            response = client.request(method.upper(), f"/api/v1{concrete}")
            api_error(response, 401, "UNAUTHENTICATED")
