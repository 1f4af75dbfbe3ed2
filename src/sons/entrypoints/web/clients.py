"""Clients and sites: the directory of establishments (search, a client's card) and the upload
of the public FINESS extract. The directory is shared reference data, common to every vendor;
a vendor's own orders for a client are reached through the order list, scoped to it.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Path, Query, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from sons.domain.orders import directory_key
from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.files import scratch_folder, stage
from sons.entrypoints.web.security import require_admin, require_caller
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.entrypoints.web.uploads import _size as size_label
from sons.services.accounts import Caller, NotFound
from sons.services.directory import STATUS_LABELS, list_clients, show_client
from sons.services.directory import import_finess as import_finess_file
from sons.services.importing import ImportOutcome
from sons.store.errors import NotFoundError

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
AdminDep = Annotated[Caller, Depends(require_admin)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]
PER_PAGE = 50
# A FINESS number: nine characters, digits (2A/2B for Corsica); searched as a number, not a name.
_FINESS = re.compile(r"(?:\d{2}|2A|2B)\d{7}")


def _clients(
    request: Request,
    web: SonsWeb,
    *,
    q: str = "",
    department: str = "",
    offset: int = 0,
    outcome: ImportOutcome | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    page = list_clients(
        web.engine,
        department=department or None,
        search=q or None,
        limit=PER_PAGE,
        offset=offset,
    )

    def link(to: int) -> str:
        params = {k: v for k, v in (("q", q), ("departement", department)) if v}
        return "/clients?" + urlencode({**params, "debut": to})

    return web.render(
        request,
        "clients.html",
        {
            "active": "clients",
            "q": q,
            "department": department,
            "page": page,
            "previous_link": link(max(0, offset - PER_PAGE)) if offset > 0 else None,
            "next_link": link(offset + PER_PAGE) if offset + PER_PAGE < page.total else None,
            "status_labels": STATUS_LABELS,
            "max_upload": size_label(web.settings.max_upload_bytes),
            "outcome": outcome,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/clients")
def clients_page(
    request: Request,
    _caller: CallerDep,
    web: WebDep,
    q: Annotated[str, Query(max_length=200)] = "",
    departement: Annotated[str, Query(max_length=3)] = "",
    debut: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    q = q.strip()
    if _FINESS.fullmatch(directory_key(q)):
        try:
            card = show_client(web.engine, q, referential=web.referential)
        except NotFoundError as exc:
            return _clients(request, web, q=q, department=departement, error=str(exc))
        return RedirectResponse(f"/clients/{card.finess}", status_code=303)
    return _clients(request, web, q=q, department=departement.strip(), offset=debut)


@router.get("/clients/{finess}")
def client_card(
    request: Request,
    finess: Annotated[str, Path(max_length=20)],
    _caller: CallerDep,
    web: WebDep,
) -> Response:
    try:
        card = show_client(web.engine, finess, referential=web.referential)
    except NotFoundError as exc:
        raise NotFound(str(exc)) from None
    return web.render(
        request,
        "clients_card.html",
        {"active": "clients", "card": card, "status_labels": STATUS_LABELS},
    )


@router.post("/clients/import-finess")
async def import_finess(
    request: Request,
    caller: AdminDep,
    web: WebDep,
    fichier: Annotated[UploadFile, File()],
) -> Response:
    """The FINESS extract, all or nothing; the report names each problem's line and column."""
    upload = await read_upload(
        fichier,
        limit=web.settings.max_upload_bytes,
        accept={UploadKind.TEXT},
        latin1=True,
    )
    with scratch_folder() as folder:
        path = stage(folder, upload, "extrait-finess.csv")
        outcome = import_finess_file(web.engine, path, actor=caller.actor, clock=web.settings.clock)
    status = 422 if outcome.refused else 200
    return _clients(request, web, outcome=outcome, status_code=status)
