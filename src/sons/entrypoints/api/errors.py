"""The one shape of every API error, and the handlers that produce it.

    {"error": {"code": "NOT_FOUND", "message": "…en français…",
               "findings": [{"code", "severity", "message", "path", "rule", "source"}]}}

`code` is a stable ASCII identifier; `findings` use the same codes as the CLI (`--json`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

from sons.entrypoints.web.security import CsrfRejected
from sons.entrypoints.web.uploads import UploadRefused
from sons.findings import Finding, Severity
from sons.referential.loader import UnknownDispositif
from sons.schema_errors import french_message, key_path
from sons.services.accounts import (
    AccountError,
    Forbidden,
    InvalidAccount,
    LoginFailed,
    LoginThrottled,
    NotFound,
)
from sons.services.referential import ScenarioInputError

log = logging.getLogger("sons.api")

# The finding code of a request field that does not fit the API's schema.
REQUEST_FIELD_INVALID = "REQUEST_FIELD_INVALID"


class FindingOut(BaseModel):
    code: str = Field(description="Code stable (ASCII), le même que dans la CLI.")
    severity: str = Field(description="error, warning ou info.")
    message: str = Field(description="Le constat, en français.")
    path: str = Field(description="Le champ ou le chemin JSON concerné.")
    rule: str = ""
    source: str = ""


class ErrorDetail(BaseModel):
    code: str
    message: str
    findings: list[FindingOut]


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, findings: Iterable[Finding] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.findings = tuple(findings)


def error_response(
    status: int,
    code: str,
    message: str,
    findings: Iterable[Finding] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {"code": code, "message": message, "findings": [f.as_dict() for f in findings]}
    }
    return JSONResponse(body, status_code=status, headers=headers)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error statuses it may answer, all with `ErrorBody`."""
    labels = {
        401: "Non authentifié (jeton ou session absents ou invalides)",
        403: "Interdit (rôle insuffisant, ou jeton CSRF absent ou invalide)",
        404: "Introuvable (ou appartenant à une autre organisation)",
        413: "Requête trop volumineuse",
        422: "Requête invalide",
    }
    return {s: {"model": ErrorBody, "description": labels.get(s, "Erreur")} for s in statuses}


_ACCOUNT_STATUS: tuple[tuple[type[AccountError], int], ...] = (
    (NotFound, 404),
    (Forbidden, 403),
    (InvalidAccount, 422),
    (LoginThrottled, 429),
    (LoginFailed, 401),
)


def register_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, exc.findings, headers)

    @app.exception_handler(AccountError)
    async def account_error(_request: Request, exc: AccountError) -> Response:
        status = next((s for kind, s in _ACCOUNT_STATUS if isinstance(exc, kind)), 400)
        return error_response(status, exc.code, exc.message)

    @app.exception_handler(UnknownDispositif)
    async def unknown_dispositif(_request: Request, exc: UnknownDispositif) -> Response:
        return error_response(404, "DISPOSITIF_UNKNOWN", str(exc))

    @app.exception_handler(ScenarioInputError)
    async def scenario_input(_request: Request, exc: ScenarioInputError) -> Response:
        return error_response(422, "INPUT_INVALID", str(exc))

    @app.exception_handler(UploadRefused)
    async def upload_refused(_request: Request, exc: UploadRefused) -> Response:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(_request: Request, exc: CsrfRejected) -> Response:
        return error_response(403, "CSRF_INVALID", exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> Response:
        findings = [
            Finding(
                REQUEST_FIELD_INVALID,
                Severity.ERROR,
                f"{key_path(error['loc'])} : {french_message(error)}",
                key_path(error["loc"]),
            )
            for error in exc.errors()
        ]
        return error_response(
            422, "REQUEST_INVALID", "La requête ne respecte pas le format attendu.", findings
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(404, "NOT_FOUND", "Cette adresse n'existe pas dans l'API.")
        if exc.status_code == 405:
            return error_response(
                405, "METHOD_NOT_ALLOWED", "Cette méthode n'est pas permise sur cette adresse."
            )
        return error_response(exc.status_code, "HTTP_ERROR", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("erreur inattendue dans l'API", exc_info=exc)
        return error_response(
            500,
            "INTERNAL_ERROR",
            "Erreur interne inattendue : l'incident est consigné dans le journal du serveur.",
        )
