"""Who calls the API: an API token (`Authorization: Bearer sons_…`) or the web session.

A script uses a token and needs no CSRF token (no browser sends it on its own). A page's
JavaScript uses the session cookie and, for POST/PUT/PATCH/DELETE, sends the session's CSRF
token in the `X-CSRF-Token` header.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sons.entrypoints.api.errors import ApiError
from sons.entrypoints.web.security import (
    CSRF_HEADER,
    SAFE_METHODS,
    CsrfRejected,
    current_session,
    same_token,
)
from sons.services.accounts import Caller

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="jeton",
    description="Jeton d'API créé sur la page « Mon compte » : Authorization: Bearer sons_…",
)


def api_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Caller:
    accounts = request.app.state.sons.accounts
    if credentials is not None:
        caller: Caller | None = accounts.caller_for_token(credentials.credentials)
        if caller is None:
            raise ApiError(401, "TOKEN_INVALID", "Jeton d'API inconnu ou révoqué.")
        return caller
    session = current_session(request)
    if session is None:
        raise ApiError(
            401,
            "UNAUTHENTICATED",
            "Authentification requise : jeton d'API (Authorization: Bearer …) ou session.",
        )
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not same_token(sent, session.csrf_token):
            raise CsrfRejected()
    return session.caller


CallerDep = Annotated[Caller, Depends(api_caller)]
