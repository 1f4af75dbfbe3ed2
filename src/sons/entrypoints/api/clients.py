"""`/api/v1/clients`: the directory of establishments (FINESS), one client, the FINESS import.

The directory is public reference data shared by every vendor (the FINESS extract): every
caller reads it; only administrators (of a vendor or of the operator) import an extract.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Query, Request, UploadFile
from pydantic import BaseModel, Field

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import ApiError, documented
from sons.entrypoints.api.imports import import_response
from sons.entrypoints.api.listing import Page, PagingDep, exported, respond
from sons.entrypoints.api.tenancy import sons_of
from sons.entrypoints.api.uploaded import TABLE_KINDS, staging
from sons.services.accounts import Caller
from sons.services.directory import ClientRow, import_finess, list_clients, show_client

router = APIRouter(prefix="/clients", tags=["clients"])

Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f]*$")]
FinessPath = Annotated[
    str, Path(pattern=r"^\s*[0-9A-Za-z]{9}\s*$", description="FINESS ET ou EJ (9 caractères).")
]


class ClientOut(BaseModel):
    finess_et: str = Field(title="FINESS ET")
    finess_ej: str = Field(title="FINESS EJ")
    name: str = Field(title="Raison sociale")
    category: str | None = Field(title="Catégorie")
    city: str | None = Field(title="Commune")
    postcode: str | None = Field(title="Code postal")
    department: str | None = Field(title="Département")
    legal_entity: str | None = Field(title="Entité juridique")
    status: str | None = Field(title="Statut (public, private)")


def _client_out(row: ClientRow) -> ClientOut:
    return ClientOut(**row.as_dict())


def require_admin(caller: Caller) -> None:
    if not caller.is_admin:
        raise ApiError(
            403, "ADMIN_ONLY", "Opération réservée aux administrateurs (éditeur ou opérateur)."
        )


@router.get(
    "",
    response_model=Page[ClientOut],
    responses={**exported(), **documented(401, 422)},
)
def clients(
    request: Request,
    paging: PagingDep,
    _caller: CallerDep,
    department: Annotated[
        str | None,
        Query(max_length=3, pattern=r"^[0-9A-Za-z]{1,3}$", description="« 69 », « 2A »…"),
    ] = None,
    search: Annotated[Text, Query(description="Nom ou commune (accents et casse ignorés).")] = None,
) -> Any:
    """Les établissements de l'annuaire FINESS, filtrés par département et par recherche."""
    engine = sons_of(request).engine

    def fetch(offset: int, limit: int) -> tuple[list[ClientOut], int]:
        page = list_clients(
            engine, department=department, search=search, limit=limit, offset=offset
        )
        return [_client_out(row) for row in page.rows], page.total

    return respond(request, paging, fetch, ClientOut, "clients")


@router.get("/{finess}", responses=documented(401, 404, 422))
def client(request: Request, finess: FinessPath, _caller: CallerDep) -> dict[str, Any]:
    """Un FINESS tel que l'annuaire le connaît : l'établissement, son entité juridique, ses
    sites, l'identifiant ES-PMSI et les plafonds de la base d'éligibilité."""
    web = sons_of(request)
    return show_client(web.engine, finess, referential=web.referential).as_dict()


@router.post("/finess-import", status_code=201, responses=documented(401, 403, 413, 415, 422))
async def finess_import(
    request: Request,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="Extrait FINESS public (CSV).")],
) -> Any:
    """Importe l'extrait FINESS public, tout ou rien (administrateurs). Le même fichier deux
    fois ne change rien. Au-delà de la taille maximale d'un envoi, utilisez la CLI
    (`sons client import-finess`)."""
    require_admin(caller)
    web = sons_of(request)
    with staging(request) as staged:
        path = await staged.file(file, TABLE_KINDS, "finess.csv")
        outcome = import_finess(web.engine, path, actor=caller.actor, clock=web.settings.clock)
    return import_response(outcome)
