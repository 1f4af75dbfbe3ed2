"""The REST API: every endpoint, its scope and its one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from web_fixtures import PASSWORD, People, TestClient, token_for

from sons.services.accounts import Accounts


def bearer(accounts: Accounts, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(accounts, email)}"}


def assert_error(body: dict[str, Any], code: str) -> dict[str, Any]:
    """The one error shape: {"error": {"code", "message", "findings": [...]}}."""
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "findings"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    for finding in error["findings"]:
        assert {"code", "severity", "message", "path"} <= set(finding)
    return error


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/1"),
        ("GET", "/api/v1/users"),
        ("GET", "/api/v1/users/1"),
        ("POST", "/api/v1/users"),
        ("GET", "/api/v1/referential/dispositifs"),
        ("GET", "/api/v1/referential/dispositifs/RAD-RIS-Va1"),
        ("POST", "/api/v1/referential/dispositifs/RAD-RIS-Va1/explain"),
    ],
)
def test_every_endpoint_needs_a_token_or_a_session(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path, json={})
    assert response.status_code == 401
    assert_error(response.json(), "UNAUTHENTICATED")
    assert response.headers["www-authenticate"] == "Bearer"
    forged = client.request(method, path, json={}, headers={"Authorization": "Bearer sons_faux"})
    assert forged.status_code == 401
    assert_error(forged.json(), "TOKEN_INVALID")


def test_me(client: TestClient, accounts: Accounts, people: People) -> None:
    body = client.get("/api/v1/me", headers=bearer(accounts, people.vendor_user)).json()
    assert body["email"] == people.vendor_user
    assert body["role"] == "vendor_user"
    assert body["role_label"] == "utilisateur de l'éditeur"
    assert body["organisation"]["name"] == "Éditeur A"
    assert body["organisation"]["kind"] == "vendor"
    operator = client.get("/api/v1/me", headers=bearer(accounts, people.instructor)).json()
    assert operator["organisation"]["kind"] == "operator"
    assert operator["organisation"]["vendor_id"] is None


def test_tokens_are_created_listed_used_and_revoked(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    headers = bearer(accounts, people.vendor_user)
    created = client.post("/api/v1/tokens", json={"name": "export"}, headers=headers)
    assert created.status_code == 201
    secret = created.json()["secret"]
    token_id = created.json()["token"]["id"]
    listed = client.get("/api/v1/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["tests", "export"]
    assert secret not in str(listed)
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert after.status_code == 401


def test_token_input_is_validated(client: TestClient, accounts: Accounts, people: People) -> None:
    headers = bearer(accounts, people.vendor_user)
    response = client.post("/api/v1/tokens", json={"nom": "x"}, headers=headers)
    assert response.status_code == 422
    error = assert_error(response.json(), "REQUEST_INVALID")
    paths = {f["path"] for f in error["findings"]}
    assert paths == {"body.name", "body.nom"}
    assert {f["code"] for f in error["findings"]} == {"REQUEST_FIELD_INVALID"}
    blank = client.post("/api/v1/tokens", json={"name": "   "}, headers=headers)
    assert_error(blank.json(), "ACCOUNT_INVALID")


def test_another_users_token_answers_404(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    mine = bearer(accounts, people.vendor_user)
    token_id = client.post("/api/v1/tokens", json={"name": "x"}, headers=mine).json()["token"]["id"]
    for email in (people.vendor_admin, people.other_admin, people.operator_admin):
        response = client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(accounts, email))
        assert response.status_code == 404
        assert_error(response.json(), "NOT_FOUND")
    assert client.get("/api/v1/tokens", headers=mine).json()[-1]["revoked_at"] is None


def test_users_list_and_show_are_scoped(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    admin_a = bearer(accounts, people.vendor_admin)
    admin_b = bearer(accounts, people.other_admin)
    listed = client.get("/api/v1/users", headers=admin_a).json()
    assert {u["email"] for u in listed} == {people.vendor_admin, people.vendor_user}
    user_id = next(u["id"] for u in listed if u["email"] == people.vendor_user)
    assert client.get(f"/api/v1/users/{user_id}", headers=admin_a).json()["email"] == (
        people.vendor_user
    )
    foreign = client.get(f"/api/v1/users/{user_id}", headers=admin_b)
    missing = client.get("/api/v1/users/99999", headers=admin_b)
    assert foreign.status_code == missing.status_code == 404
    assert people.vendor_user not in foreign.text
    forbidden = client.get("/api/v1/users", headers=bearer(accounts, people.vendor_user))
    assert forbidden.status_code == 403
    assert_error(forbidden.json(), "FORBIDDEN")
    everyone = client.get("/api/v1/users", headers=bearer(accounts, people.operator_admin)).json()
    assert len(everyone) == 5


def test_admins_create_users_in_their_organisation(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    admin_b = bearer(accounts, people.other_admin)
    body = {"email": "nouveau@editeur-b.fr", "name": "Nouveau", "role": "vendor_user"}
    created = client.post("/api/v1/users", json={**body, "password": PASSWORD}, headers=admin_b)
    assert created.status_code == 201
    assert created.json()["organisation_name"] == "Éditeur B"
    short = client.post(
        "/api/v1/users", json={**body, "email": "b@b.fr", "password": "court"}, headers=admin_b
    )
    assert short.status_code == 422
    assert "trop court" in assert_error(short.json(), "ACCOUNT_INVALID")["message"]
    by_user = client.post(
        "/api/v1/users",
        json={**body, "email": "c@b.fr", "password": PASSWORD},
        headers=bearer(accounts, people.vendor_user),
    )
    assert by_user.status_code == 403


def test_referential_list_and_show(client: TestClient, accounts: Accounts, people: People) -> None:
    headers = bearer(accounts, people.vendor_user)
    listed = client.get("/api/v1/referential/dispositifs", headers=headers).json()
    assert "RAD-RIS-Va1" in {d["code"] for d in listed["dispositifs"]}
    assert listed["version"].startswith("1.")
    shown = client.get(
        "/api/v1/referential/dispositifs/rad-ris-va1?date=2022-05-01", headers=headers
    ).json()
    assert shown["code"] == "RAD-RIS-Va1"
    assert shown["date"] == "2022-05-01"
    assert any(p["label"] == "Référentiel d'identités" for p in shown["profiles"])
    assert shown["sources_used"]
    assert all("strength" in p for p in shown["parameters"])
    unknown = client.get("/api/v1/referential/dispositifs/XYZ-ABC-Va1", headers=headers)
    assert unknown.status_code == 404
    assert "RAD-RIS-Va1" in assert_error(unknown.json(), "DISPOSITIF_UNKNOWN")["message"]
    bad_date = client.get("/api/v1/referential/dispositifs/RAD-RIS-Va1?date=31/12", headers=headers)
    assert bad_date.status_code == 422
    error = assert_error(bad_date.json(), "REQUEST_INVALID")
    assert error["findings"][0]["path"] == "query.date"
    assert "AAAA-MM-JJ" in error["findings"][0]["message"]


DEMO_ANSWERS = {
    "identity_referential": True,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": True,
    "mss_patient_via_pfi": False,
}


def test_explain_names_the_missing_profile_with_its_reason(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    headers = bearer(accounts, people.vendor_user)
    url = "/api/v1/referential/dispositifs/RAD-RIS-Va1/explain?date=2022-05-01"
    body = {"answers": DEMO_ANSWERS, "profiles": ["Général", "Opérateur Mailiz"]}
    result = client.post(url, json=body, headers=headers).json()
    required = {p["id"]: p for p in result["required_profiles"]}
    assert "referentiel_identites" in required
    assert required["referentiel_identites"]["because"]
    assert required["referentiel_identites"]["citations"]
    missing = [f for f in result["findings"] if f["code"] == "SCENARIO_PROFILE_MISSING"]
    assert len(missing) == 1
    assert "Référentiel d'identités" in missing[0]["message"]
    body["profiles"].append("referentiel_identites")
    fixed = client.post(url, json=body, headers=headers).json()
    assert not [f for f in fixed["findings"] if f["code"] == "SCENARIO_PROFILE_MISSING"]
    assert fixed["balance_conditions"]


def test_explain_refuses_unreadable_answers_with_the_cli_codes(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    headers = bearer(accounts, people.vendor_user)
    url = "/api/v1/referential/dispositifs/RAD-RIS-Va1/explain"
    response = client.post(
        url,
        json={"answers": {**DEMO_ANSWERS, "dmp_direct": "oui", "inventee": True}},
        headers=headers,
    )
    assert response.status_code == 422
    error = assert_error(response.json(), "SCENARIO_INPUT_INVALID")
    codes = {(f["code"], f["path"]) for f in error["findings"]}
    assert ("SCENARIO_ANSWER_INVALID", "$.dmp_direct") in codes
    assert ("SCENARIO_ANSWER_UNKNOWN", "$.inventee") in codes
    extra = client.post(url, json={"answers": {}, "autre": 1}, headers=headers)
    assert_error(extra.json(), "REQUEST_INVALID")


def test_session_callers_write_with_the_csrf_header(client: TestClient, people: People) -> None:
    from web_fixtures import log_in

    csrf = log_in(client, people.vendor_user)
    assert client.get("/api/v1/me").json()["email"] == people.vendor_user
    refused = client.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 403
    assert_error(refused.json(), "CSRF_INVALID")
    forged = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "faux"})
    assert forged.status_code == 403
    accepted = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201


def test_unknown_api_paths_and_methods_use_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/inexistant").json(), "NOT_FOUND")
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert_error(response.json(), "METHOD_NOT_ALLOWED")


def test_openapi_and_docs_are_served_without_outside_assets(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    assert {"/me", "/tokens", "/tokens/{token_id}", "/users", "/users/{user_id}"} <= paths
    assert "/referential/dispositifs/{code}/explain" in paths
    assert "ErrorBody" in spec["components"]["schemas"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "/api/v1/referential/dispositifs/{code}/explain" in docs.text
    assert "cdn" not in docs.text.lower()
    assert '<script src="http' not in docs.text
