"""What an import answers in the API: 201 with the outcome (200 when the same file was already
imported: nothing changed), or 422 with every problem of the file (nothing stored)."""

from __future__ import annotations

from starlette.responses import JSONResponse

from sons.entrypoints.api.errors import ApiError
from sons.services.importing import ImportOutcome

IMPORT_REFUSED = "IMPORT_REFUSED"


def import_response(outcome: ImportOutcome) -> JSONResponse:
    if outcome.refused:
        raise ApiError(422, IMPORT_REFUSED, outcome.message(), outcome.report.findings())
    return JSONResponse(outcome.as_dict(), status_code=200 if outcome.earlier else 201)
