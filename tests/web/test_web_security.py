"""Security: CSRF on every form, login rate limit, tenant isolation, escaping, uploads, headers."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from web_fixtures import PASSWORD, People, SettableClock, TestClient, csrf_of, log_in, token_for

from sons.entrypoints.web.app import PAGE_ROUTERS
from sons.services.accounts import Accounts

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def unsafe_page_routes() -> list[tuple[str, str]]:
    """Every POST/PUT/PATCH/DELETE page, with ids filled in: none may escape the CSRF guard."""
    found = []
    for router in PAGE_ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods - {"GET", "HEAD"}:
                found.append((method, re.sub(r"\{[^}]+\}", "1", route.path)))
    return sorted(found)


def test_the_unsafe_routes_are_known() -> None:
    # A new form lands here by itself; this list only checks the discovery works.
    assert ("POST", "/connexion") in unsafe_page_routes()
    assert ("POST", "/compte/jetons/1/revoquer") in unsafe_page_routes()


@pytest.mark.parametrize(("method", "path"), unsafe_page_routes())
def test_every_form_refuses_a_missing_or_forged_csrf_token(
    client: TestClient, people: People, method: str, path: str
) -> None:
    log_in(client, people.vendor_admin)
    missing = client.request(method, path, data={"nom": "x"})
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    forged = client.request(method, path, data={"csrf_token": "forgé", "nom": "x"})
    assert forged.status_code == 403


def test_a_csrf_token_of_another_session_is_refused(
    app: FastAPI, client: TestClient, people: People
) -> None:
    with TestClient(app) as other:
        their_token = log_in(other, people.other_admin)
    log_in(client, people.vendor_admin)
    response = client.post("/compte/jetons", data={"csrf_token": their_token, "nom": "x"})
    assert response.status_code == 403


def test_the_login_form_needs_its_pre_session_token(client: TestClient, people: People) -> None:
    client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"email": people.vendor_user, "password": PASSWORD, "csrf_token": "forgé"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "sons_session" not in response.headers.get("set-cookie", "")


def test_the_login_is_rate_limited_per_address_and_login(
    client: TestClient, people: People, clock: SettableClock
) -> None:
    def attempt(password: str) -> int:
        page = client.get("/connexion")
        return client.post(
            "/connexion",
            data={
                "email": people.vendor_user,
                "password": password,
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        ).status_code

    assert [attempt("mauvais") for _ in range(5)] == [401] * 5
    page = client.get("/connexion")
    locked = client.post(
        "/connexion",
        data={"email": people.vendor_user, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert locked.status_code == 429
    assert "Trop de tentatives de connexion" in locked.text
    assert "Réessayez dans 15 minutes" in locked.text
    assert locked.headers["retry-after"] == "900"
    clock.advance(minutes=15, seconds=1)
    assert attempt(PASSWORD) == 303


def test_another_tenants_ids_answer_404_never_data(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    owner = accounts.log_in("1.1.1.1", people.vendor_user, PASSWORD).caller
    token_id = accounts.create_token(owner, "secret de A").token.id
    csrf = log_in(client, people.other_admin)
    page = client.post(f"/compte/jetons/{token_id}/revoquer", data={"csrf_token": csrf})
    assert page.status_code == 404
    assert "secret de A" not in page.text
    assert accounts.tokens(owner)[0].revoked_at is None
    headers = {"Authorization": f"Bearer {token_for(accounts, people.other_admin)}"}
    api = client.get(f"/api/v1/users/{owner.user_id}", headers=headers)
    assert api.status_code == 404
    assert people.vendor_user not in api.text


def test_free_text_is_rendered_escaped(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    accounts.create_user(
        "tests",
        org="44306184100047",
        org_name=f"Éditeur {XSS}",
        email="xss@editeur-c.fr",
        name=f"Nom {XSS}",
        role="vendor_admin",
        password=PASSWORD,
    )
    csrf = log_in(client, "xss@editeur-c.fr")
    client.post("/compte/jetons", data={"csrf_token": csrf, "nom": f"Jeton {XSS}"})
    pages = [
        client.get("/tableau-de-bord").text,
        client.get("/compte").text,
        client.get("/utilisateurs").text,
        client.get(f"/expliquer?dispositif=RAD-RIS-Va1&envoye=1&q.mss_operator={XSS}").text,
        client.get(f"/expliquer?dispositif=RAD-RIS-Va1&envoye=1&q.{XSS}=1").text,
        client.get(f"/connexion?suivant={XSS}").text,
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[1]


def test_an_oversized_upload_is_refused(app: FastAPI, client: TestClient, people: People) -> None:
    csrf = log_in(client, people.vendor_user)
    limit = app.state.sons.settings.max_upload_bytes
    big = b'{"a": "' + b"x" * limit + b'"}'
    response = client.post(
        "/expliquer",
        data={"csrf_token": csrf, "dispositif": "RAD-RIS-Va1"},
        files={"fichier": ("gros.json", big, "application/json")},
    )
    assert response.status_code == 413
    assert "dépasse la taille maximale" in response.text


def test_a_request_body_over_the_limit_is_refused_before_parsing(
    app: FastAPI, client: TestClient
) -> None:
    limit = app.state.sons.settings.max_request_bytes
    response = client.post(
        "/api/v1/referential/dispositifs/RAD-RIS-Va1/explain",
        content=b"{" + b" " * limit + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "une image PNG"),
        (b"MZ\x90\x00" + b"\x00" * 20, "un programme Windows"),
        (b"<html><script>alert(1)</script></html>", "une page HTML"),
        (b"%PDF-1.7\n", "PDF"),
    ],
)
def test_a_file_is_judged_by_its_content_not_its_name(
    client: TestClient, people: People, content: bytes, said: str
) -> None:
    csrf = log_in(client, people.vendor_user)
    response = client.post(
        "/expliquer",
        data={"csrf_token": csrf, "dispositif": "RAD-RIS-Va1"},
        files={"fichier": ("réponses.json", content, "application/json")},
    )
    assert response.status_code == 415
    assert said in response.text


def test_session_cookie_flags(client: TestClient, people: People) -> None:
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"email": people.vendor_user, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith("sons_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here


def test_cookies_are_secure_over_https(app: FastAPI, people: People) -> None:
    with TestClient(app, base_url="https://sons.example") as client:
        page = client.get("/connexion")
        assert "Secure" in page.headers["set-cookie"]
        response = client.post(
            "/connexion",
            data={
                "email": people.vendor_user,
                "password": PASSWORD,
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
        assert "Secure" in response.headers["set-cookie"]
        assert "strict-transport-security" in response.headers


def test_security_headers_and_no_open_redirect(client: TestClient, people: People) -> None:
    page = client.get("/connexion")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    response = client.post(
        "/connexion",
        data={
            "email": people.vendor_user,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "suivant": "//ailleurs.example/piege",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/tableau-de-bord"


def test_sql_looking_input_is_just_text(client: TestClient, accounts: Accounts) -> None:
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={
            "email": "' OR 1=1 --",
            "password": "' OR '1'='1",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert response.status_code == 401
    assert accounts.caller_for_token("sons_' OR 1=1 --") is None
