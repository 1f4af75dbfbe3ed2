"""`/api/v1/evidence`: the transmissions log import, and where each order stands against its
balance conditions (readiness)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from starlette.responses import JSONResponse

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import ApiError, documented
from sons.entrypoints.api.imports import IMPORT_REFUSED
from sons.entrypoints.api.tenancy import sons_of, vendor_of
from sons.entrypoints.api.uploaded import TABLE_KINDS, staging
from sons.services.evidence import import_transmissions, readiness, readiness_dict

router = APIRouter(prefix="/evidence", tags=["preuves"])

NumberPath = Annotated[
    str,
    Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f/]+$", description="Numéro du bon."),
]


@router.post("/transmissions", status_code=201, responses=documented(401, 403, 413, 415, 422))
async def transmissions(
    request: Request,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="Journal des envois : CSV ou JSON Lines.")],
) -> Any:
    """Importe un journal d'envois (DMP, MSS) de mes clients, tout ou rien : une ligne
    invalide refuse le fichier (422, avec chaque problème). Le même fichier deux fois ne
    change rien (200). Journalisé avec l'utilisateur."""
    vendor_id = vendor_of(caller)
    web = sons_of(request)
    with staging(request) as staged:
        path = await staged.file(file, TABLE_KINDS, "envois.csv")
        outcome = import_transmissions(
            web.engine, path, vendor_id=vendor_id, actor=caller.actor, clock=web.settings.clock
        )
    if outcome.refused:
        raise ApiError(422, IMPORT_REFUSED, outcome.message(), outcome.report.findings())
    body = {k: v for k, v in outcome.as_dict().items() if k != "rejects_file"}
    return JSONResponse(body, status_code=200 if outcome.earlier else 201)


@router.get("/readiness", responses=documented(401, 403, 404, 422))
def readiness_report(
    request: Request,
    caller: CallerDep,
    order: Annotated[
        list[str] | None,
        Query(max_length=1000, description="Numéros des bons (par défaut : tous mes bons)."),
    ] = None,
) -> dict[str, Any]:
    """Où en est chacun de mes bons face aux conditions de son solde, à la date du jour."""
    web = sons_of(request)
    report = readiness(
        web.engine,
        vendor_id=vendor_of(caller),
        numbers=order or None,
        clock=web.settings.clock,
        referential=web.referential,
    )
    return report.as_dict()


@router.get("/readiness/{number}", responses=documented(401, 403, 404, 422))
def order_readiness(request: Request, number: NumberPath, caller: CallerDep) -> dict[str, Any]:
    """Où en est un bon face aux conditions de son solde, site par site."""
    web = sons_of(request)
    report = readiness(
        web.engine,
        vendor_id=vendor_of(caller),
        numbers=[number],
        clock=web.settings.clock,
        referential=web.referential,
    )
    return {"as_of": report.as_of.isoformat(), **readiness_dict(report.orders[0])}
