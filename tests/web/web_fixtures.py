"""What the web tests share besides fixtures: accounts, a settable clock, logging in."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import warnings
from typing import Any

with warnings.catch_warnings():
    # Starlette 1.x warns that its TestClient will move to another HTTP library: not ours.
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from fastapi.testclient import TestClient

from sons.services.accounts import Accounts

PASSWORD = "un mot de passe assez long"
VENDOR_SIRET = "73282932000074"
OTHER_SIRET = "55210055400013"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class SettableClock:
    """A clock the test moves by hand (rate limiting, session expiry)."""

    def __init__(self) -> None:
        self.now = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclasses.dataclass(frozen=True)
class People:
    """Accounts in two vendor tenants and the operator (see the `people` fixture)."""

    vendor_admin: str = "admin@editeur-a.fr"
    vendor_user: str = "user@editeur-a.fr"
    other_admin: str = "admin@editeur-b.fr"
    instructor: str = "instructeur@operateur.fr"
    operator_admin: str = "admin@operateur.fr"


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "la page ne porte pas de jeton CSRF"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Log in through the login form; returns the session's CSRF token."""
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/compte").text)


def token_for(accounts: Accounts, email: str) -> str:
    """An API token of the user `email`, for the `Authorization: Bearer` header."""
    session = accounts.log_in("127.0.0.1", email, PASSWORD)
    return accounts.create_token(session.caller, "tests").secret


# --- the REST API's tests -----------------------------------------------------------------------


def api_headers(accounts: Accounts, email: str) -> dict[str, str]:
    """`Authorization: Bearer …` for a new API token of the user `email`."""
    return {"Authorization": f"Bearer {token_for(accounts, email)}"}


def api_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """The API's one error shape, with that status and code; the error object."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "findings"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"]
    return error
