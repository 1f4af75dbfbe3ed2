"""What the services refuse, as the API's one error shape and the HTTP status that fits.

The services raise French `StoreError`s and `WorkflowError`s (the CLI prints the same messages
and exits 1 or 2); here each kind gets its status: not found (or another tenant's) → 404, a
concurrent edit or a state that forbids it → 409, unusable input → 422, a role that may not
fire a transition → 403. Findings travel with the error under the CLI's codes.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from sons.documents.context import DocumentError
from sons.domain.workflow import WorkflowError
from sons.entrypoints.api.errors import error_response
from sons.findings import Finding, Severity
from sons.services.deposit_builder import BuildRefused
from sons.services.deposits import DepositRefused
from sons.services.orders import OrderInUse, OrderRefused
from sons.store.errors import (
    ConcurrentEditError,
    DuplicateError,
    NotFoundError,
    StoreError,
    StoreUnavailableError,
)
from sons.store.requests import ConcurrentRequestEditError

# The error code of a deposit the builder refuses; each order left out is a finding.
DEPOSIT_ORDER_LEFT_OUT = "DEPOSIT_ORDER_LEFT_OUT"

_STORE_ERRORS: tuple[tuple[type[StoreError], int, str], ...] = (
    (NotFoundError, 404, "NOT_FOUND"),
    (ConcurrentEditError, 409, "VERSION_CONFLICT"),
    (ConcurrentRequestEditError, 409, "VERSION_CONFLICT"),
    (DuplicateError, 409, "ALREADY_EXISTS"),
    (OrderInUse, 409, "ORDER_IN_USE"),
    (OrderRefused, 422, "ORDER_INVALID"),
    (BuildRefused, 422, "DEPOSIT_BUILD_REFUSED"),
    (DepositRefused, 422, "DEPOSIT_REFUSED"),
    (StoreUnavailableError, 503, "STORE_UNAVAILABLE"),
)

_WORKFLOW_STATUS = {
    "WORKFLOW_FORBIDDEN": 403,
    "WORKFLOW_UNKNOWN_ACTION": 404,
    "WORKFLOW_TRANSITION_INVALID": 409,
}


def store_error_findings(exc: StoreError) -> list[Finding]:
    if isinstance(exc, OrderRefused):
        return list(exc.findings)
    if isinstance(exc, DepositRefused) and exc.report is not None:
        return list(exc.report.findings)
    if isinstance(exc, BuildRefused):
        findings: list[Finding] = []
        for item in exc.left_out:
            findings.extend(item.findings)
            if not item.findings:
                findings.extend(
                    Finding(DEPOSIT_ORDER_LEFT_OUT, Severity.ERROR, reason, item.number)
                    for reason in item.reasons
                )
        return findings
    return []


def register_service_errors(app: FastAPI) -> None:
    @app.exception_handler(StoreError)
    async def store_error(_request: Request, exc: StoreError) -> Response:
        status, code = next(
            ((s, c) for kind, s, c in _STORE_ERRORS if isinstance(exc, kind)),
            (422, "INPUT_INVALID"),
        )
        return error_response(status, code, str(exc), store_error_findings(exc))

    @app.exception_handler(DocumentError)
    async def document_error(_request: Request, exc: DocumentError) -> Response:
        return error_response(422, "DOCUMENT_INVALID", str(exc))

    @app.exception_handler(WorkflowError)
    async def workflow_error(_request: Request, exc: WorkflowError) -> Response:
        status = _WORKFLOW_STATUS.get(exc.code, 422)
        finding = Finding(exc.code, Severity.ERROR, exc.message, "action")
        return error_response(status, exc.code, exc.message, [finding])
