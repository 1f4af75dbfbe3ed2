"""The vendor's referenced solutions: the list, and the import of a solutions file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from starlette.responses import Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.files import scratch_folder, stage
from sons.entrypoints.web.security import require_caller
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.entrypoints.web.uploads import _size as size_label
from sons.services.accounts import Caller, Forbidden
from sons.services.importing import ImportOutcome
from sons.services.solutions import import_solutions, list_solutions

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]


def _vendor_of(caller: Caller) -> int:
    if caller.vendor_id is None:
        raise Forbidden(
            "Les solutions sont celles d'un éditeur : ce compte n'est rattaché à aucun éditeur."
        )
    return caller.vendor_id


def _solutions(
    request: Request,
    web: SonsWeb,
    caller: Caller,
    *,
    outcome: ImportOutcome | None = None,
    status_code: int = 200,
) -> Response:
    entries = list_solutions(web.engine, _vendor_of(caller), referential=web.referential)
    return web.render(
        request,
        "solutions.html",
        {
            "active": "solutions",
            "entries": entries,
            "outcome": outcome,
            "max_upload": size_label(web.settings.max_upload_bytes),
        },
        status_code=status_code,
    )


@router.get("/solutions")
def solutions_page(request: Request, caller: CallerDep, web: WebDep) -> Response:
    return _solutions(request, web, caller)


@router.post("/solutions/import")
async def solutions_import(
    request: Request,
    caller: CallerDep,
    web: WebDep,
    fichier: Annotated[UploadFile, File()],
) -> Response:
    vendor_id = _vendor_of(caller)
    upload = await read_upload(
        fichier,
        limit=web.settings.max_upload_bytes,
        accept={UploadKind.TEXT, UploadKind.JSON, UploadKind.ZIP},
    )
    with scratch_folder() as folder:
        path = stage(folder, upload, "solutions.csv")
        outcome = import_solutions(
            web.engine,
            path,
            vendor_id=vendor_id,
            actor=caller.actor,
            clock=web.settings.clock,
            referential=web.referential,
            today=web.today(),
        )
    return _solutions(
        request, web, caller, outcome=outcome, status_code=422 if outcome.refused else 200
    )
