"""`/api/v1/deposits`: deposit files — list, build from the store, check an uploaded file,
download the JSON and the zip.

Building writes both files or neither and records them with their requests (« Brouillon »),
journaled with the user; the files are then downloaded from the store. Checking an uploaded
file stores nothing: the report is the simulator's, compared with the advances on record only
when the file is in the caller's own name (the operator: always).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import documented
from sons.entrypoints.api.listing import Page, PagingDep, exported, in_memory, respond
from sons.entrypoints.api.tenancy import scope_of, sons_of, vendor_of
from sons.entrypoints.web.files import attachment, scratch_folder, stage
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.services.accounts import Caller
from sons.services.deposit_builder import build_deposit
from sons.services.deposits import (
    check_deposit_file,
    checking_engine,
    deposit_content,
    list_deposits,
)
from sons.services.requests import parse_kind
from sons.store.requests import JSON_ROLE, ZIP_ROLE, StoredDeposit

router = APIRouter(prefix="/deposits", tags=["dépôts"])

NamePath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=130,
        pattern=r"^[^\x00-\x1f/]+$",
        description="Nom du dépôt (ou son numéro).",
    ),
]


class DepositOut(BaseModel):
    id: int = Field(title="N°")
    name: str = Field(title="Nom")
    origin: str = Field(title="Origine")
    kind: str = Field(title="Nature")
    couloir: str = Field(title="Couloir")
    dispositif: str = Field(title="Dispositif")
    format_version: str = Field(title="Version du format")
    file_created_at: dt.datetime = Field(title="Fichier créé le")
    json_file_name: str = Field(title="Fichier JSON")
    json_sha256: str = Field(title="SHA-256 du JSON")
    json_size: int = Field(title="Taille du JSON (octets)")
    zip_file_name: str | None = Field(title="Fichier zip")
    zip_sha256: str | None = Field(title="SHA-256 du zip")
    zip_size: int | None = Field(title="Taille du zip (octets)")
    referential_pin: str = Field(title="Version du référentiel")
    requests: int = Field(title="Demandes")
    recorded_at: dt.datetime = Field(title="Enregistré le")
    recorded_by: str = Field(title="Enregistré par")
    filed_at: dt.datetime | None = Field(title="Déposé le")


class BuildIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        max_length=20,
        pattern=r"^[^\x00-\x1f]*$",
        description="Nature des demandes : avance, solde ou avenant.",
        examples=["avance"],
    )
    dispositif: str = Field(max_length=40, pattern=r"^[^\x00-\x1f]*$", examples=["RAD-RIS-Va1"])
    orders: list[str] | None = Field(
        default=None,
        max_length=10_000,
        description="Les bons à inclure (par défaut : tous ceux du dispositif qui en attendent).",
    )
    only_valid: bool = Field(
        default=False, description="Laisser de côté (et lister) les bons en erreur."
    )
    name: str | None = Field(default=None, max_length=121, description="Nom du dépôt.")
    on: dt.date | None = Field(default=None, description="Date de création du fichier.")


def _deposit_out(deposit: StoredDeposit) -> DepositOut:
    return DepositOut(**deposit.as_dict())


def _links(request: Request, deposit: StoredDeposit) -> dict[str, str]:
    return {
        role: str(request.url_for(f"deposit_{role}", name=deposit.name))
        for role in (JSON_ROLE, ZIP_ROLE)
    }


@router.get(
    "",
    response_model=Page[DepositOut],
    responses={**exported(), **documented(401, 403, 422)},
)
def deposits(request: Request, paging: PagingDep, caller: CallerDep) -> Any:
    """Mes dépôts (l'opérateur : ceux qui lui ont été déposés, de tous les éditeurs)."""
    found = list_deposits(sons_of(request).engine, scope_of(caller))
    return respond(request, paging, in_memory(found, _deposit_out), DepositOut, "depots")


@router.post("", status_code=201, responses=documented(401, 403, 422))
def build(request: Request, body: BuildIn, caller: CallerDep) -> Any:
    """Construit un dépôt depuis mes bons (JSON et zip, contrôlés), l'enregistre avec ses
    demandes « Brouillon », journalisé ; 422 avec les constats de chaque bon écarté sinon."""
    vendor_id = vendor_of(caller)
    web = sons_of(request)
    with scratch_folder() as folder:
        outcome = build_deposit(
            web.engine,
            vendor_id=vendor_id,
            kind=parse_kind(body.kind),
            dispositif=body.dispositif,
            out_dir=folder / "depot",
            actor=caller.actor,
            clock=web.settings.clock,
            numbers=body.orders,
            only_valid=body.only_valid,
            name=body.name,
            on=body.on,
            referential=web.referential,
        )
    built = {k: v for k, v in outcome.as_dict().items() if k not in ("json", "zip")}
    return JSONResponse(
        {**built, "downloads": _links(request, outcome.deposit)},
        status_code=201,
        headers={"Location": _links(request, outcome.deposit)[JSON_ROLE]},
    )


@router.post("/check", responses=documented(401, 413, 415, 422))
async def check(
    request: Request,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="Le fichier de dépôt JSON.")],
    zip: Annotated[UploadFile | None, File(description="Son archive zip (facultative).")] = None,
    date: Annotated[
        dt.date | None, Form(description="Date du contrôle (par défaut : aujourd'hui).")
    ] = None,
) -> dict[str, Any]:
    """Contrôle un fichier de dépôt venu d'ailleurs, comme le simulateur de l'opérateur ; rien
    n'est enregistré. Le rapport liste les constats avec leurs codes."""
    web = sons_of(request)
    limit = web.settings.max_upload_bytes
    json_file = await read_upload(file, limit=limit, accept={UploadKind.JSON})
    zip_file = None if zip is None else await read_upload(zip, limit=limit, accept={UploadKind.ZIP})
    with scratch_folder() as folder:
        json_path = stage(folder, json_file, "depot.json")
        zip_path = None if zip_file is None else stage(folder, zip_file, "depot.zip")
        report = check_deposit_file(
            checking_engine(web.engine, scope_of(caller), json_path),
            json_path,
            zip_path,
            today=date or web.today(),
            referential=web.referential,
        )
    return report.as_dict()


def _download(request: Request, name: str, role: str, caller: Caller) -> Response:
    file_name, content = deposit_content(sons_of(request).engine, scope_of(caller), name, role)
    return attachment(file_name, content)


@router.get(
    "/{name}/json",
    name="deposit_json",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "Le fichier de dépôt."},
        **documented(401, 403, 404, 422),
    },
)
def download_json(request: Request, name: NamePath, caller: CallerDep) -> Response:
    """Le fichier JSON d'un dépôt, tel qu'enregistré."""
    return _download(request, name, JSON_ROLE, caller)


@router.get(
    "/{name}/zip",
    name="deposit_zip",
    response_class=Response,
    responses={
        200: {"content": {"application/zip": {}}, "description": "L'archive des pièces."},
        **documented(401, 403, 404, 422),
    },
)
def download_zip(request: Request, name: NamePath, caller: CallerDep) -> Response:
    """L'archive zip d'un dépôt, telle qu'enregistrée."""
    return _download(request, name, ZIP_ROLE, caller)
