"""`/api/v1/deposits`: build from the store, download the JSON and zip, check an uploaded
file; another tenant's deposit is 404."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from web_filing import built_advance, seed
from web_fixtures import People, SettableClock, TestClient, api_error, api_headers

from sons.services.accounts import Accounts
from sons.services.deposits import mark_filed

BUILD = {"kind": "avance", "dispositif": "rad-ris-va1", "orders": ["BC-A"], "on": "2022-10-15"}


@pytest.fixture
def vendor(app: FastAPI, people: People, clock: SettableClock) -> int:
    return seed(app, clock)


@pytest.fixture
def admin(accounts: Accounts, people: People, vendor: int) -> dict[str, str]:
    return api_headers(accounts, people.vendor_admin)


def test_build_then_download_json_and_zip(
    client: TestClient, admin: dict[str, str], people: People
) -> None:
    built = client.post("/api/v1/deposits", json=BUILD, headers=admin)
    assert built.status_code == 201, built.text
    body = built.json()
    assert [r["order_number"] for r in body["requests"]] == ["BC-A"]
    assert body["requests"][0]["status"] == "brouillon"
    assert body["deposit"]["recorded_by"] == people.vendor_admin
    assert "json" not in body and "zip" not in body  # no server path leaks
    document = client.get(body["downloads"]["json"], headers=admin)
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/json"
    assert json.loads(document.content)["nature"] == "avance"
    archive = client.get(body["downloads"]["zip"], headers=admin)
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert any(name.endswith(".pdf") for name in opened.namelist())
    listed = client.get("/api/v1/deposits", headers=admin).json()
    assert [d["name"] for d in listed["items"]] == [body["deposit"]["name"]]


def test_build_refusal_lists_the_findings_of_each_order_left_out(
    client: TestClient, admin: dict[str, str]
) -> None:
    refused = client.post(
        "/api/v1/deposits", json={**BUILD, "orders": ["BC-A", "BC-ERR"]}, headers=admin
    )
    error = api_error(refused, 422, "DEPOSIT_BUILD_REFUSED")
    assert [f["code"] for f in error["findings"]] == ["AMOUNT_TTC_INCONSISTENT"]
    assert client.get("/api/v1/deposits", headers=admin).json()["total"] == 0
    api_error(
        client.post("/api/v1/deposits", json={**BUILD, "kind": "rien"}, headers=admin),
        422,
        "INPUT_INVALID",
    )


def test_check_an_uploaded_file(
    app: FastAPI,
    client: TestClient,
    admin: dict[str, str],
    vendor: int,
    clock: SettableClock,
    tmp_path: Path,
) -> None:
    built = built_advance(app, vendor, tmp_path / "depot", clock)
    files = {
        "file": ("depot.json", built.json_path.read_bytes(), "application/json"),
        "zip": ("depot.zip", built.zip_path.read_bytes(), "application/zip"),
    }
    checked = client.post(
        "/api/v1/deposits/check", files=files, data={"date": "2022-10-15"}, headers=admin
    )
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert report["readable"] is True and report["kind"] == "avance"
    assert [f for f in report["findings"] if f["severity"] == "error"] == []
    broken = client.post(
        "/api/v1/deposits/check",
        files={"file": ("depot.json", b'{"nature": "avance"}', "application/json")},
        headers=admin,
    )
    assert broken.status_code == 200
    assert any(f["severity"] == "error" for f in broken.json()["findings"])
    hostile = client.post(
        "/api/v1/deposits/check",
        files={"file": ("depot.json", b"\x7fELF\x02\x01\x01", "application/json")},
        headers=admin,
    )
    api_error(hostile, 415, "UPLOAD_TYPE_REFUSED")


def test_another_tenant_gets_404(
    client: TestClient, accounts: Accounts, people: People, admin: dict[str, str]
) -> None:
    name = client.post("/api/v1/deposits", json=BUILD, headers=admin).json()["deposit"]["name"]
    other = api_headers(accounts, people.other_admin)
    for path in (f"/api/v1/deposits/{name}/json", f"/api/v1/deposits/{name}/zip"):
        response = client.get(path, headers=other)
        api_error(response, 404, "NOT_FOUND")
    assert client.get("/api/v1/deposits", headers=other).json()["total"] == 0
    # Found by the generated requests: « ² » is a digit to str.isdigit, not a number to int.
    for odd in ("²", "99999999999999999999999"):
        api_error(client.get(f"/api/v1/deposits/{odd}/json", headers=admin), 404, "NOT_FOUND")
        api_error(client.get(f"/api/v1/requests/{odd}", headers=admin), 404, "NOT_FOUND")
    api_error(client.post("/api/v1/deposits", json=BUILD, headers=other), 422, "INPUT_INVALID")
    operator = api_headers(accounts, people.instructor)
    api_error(client.post("/api/v1/deposits", json=BUILD, headers=operator), 403, "VENDOR_ONLY")


def test_the_operator_sees_a_deposit_once_it_is_filed_only(
    client: TestClient,
    accounts: Accounts,
    people: People,
    admin: dict[str, str],
    vendor: int,
    app: FastAPI,
) -> None:
    """A deposit sons built is the vendor's draft until it is filed: the operator neither lists
    nor downloads it (404, as a number that does not exist), as on the web pages."""
    body = client.post("/api/v1/deposits", json=BUILD, headers=admin).json()
    number = body["deposit"]["id"]
    operator = api_headers(accounts, people.instructor)
    assert client.get("/api/v1/deposits", headers=operator).json()["total"] == 0
    for role in ("json", "zip"):
        api_error(
            client.get(f"/api/v1/deposits/{number}/{role}", headers=operator), 404, "NOT_FOUND"
        )

    mark_filed(app.state.sons.engine, body["deposit"]["name"], vendor_id=vendor, actor="tests")
    listed = client.get("/api/v1/deposits", headers=operator).json()
    assert [d["id"] for d in listed["items"]] == [number]
    document = client.get(f"/api/v1/deposits/{number}/json", headers=operator)
    assert document.status_code == 200 and json.loads(document.content)["nature"] == "avance"
