"""`/api/v1/solutions`: the caller's referenced solutions, and importing them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import documented
from sons.entrypoints.api.imports import import_response
from sons.entrypoints.api.listing import Page, PagingDep, exported, in_memory, respond
from sons.entrypoints.api.tenancy import sons_of, vendor_of
from sons.entrypoints.api.uploaded import TABLE_KINDS, staging
from sons.services.orders import canonical_dispositif
from sons.services.solutions import SolutionEntry, import_solutions, list_solutions

router = APIRouter(prefix="/solutions", tags=["solutions"])


class SolutionOut(BaseModel):
    name: str = Field(title="Nom")
    version: str = Field(title="Version")
    referencing_number: str = Field(title="Numéro de référencement")
    dispositif: str = Field(title="Dispositif")
    profiles: list[str] = Field(title="Profils (identifiants)")
    profile_labels: list[str] = Field(title="Profils")
    referenced_on: str | None = Field(title="Date de référencement")
    orders: int = Field(title="Bons de commande")


def _solution_out(entry: SolutionEntry) -> SolutionOut:
    return SolutionOut(**entry.as_dict())


@router.get(
    "", response_model=Page[SolutionOut], responses={**exported(), **documented(401, 403, 404, 422)}
)
def solutions(
    request: Request,
    paging: PagingDep,
    caller: CallerDep,
    dispositif: Annotated[
        str | None, Query(max_length=40, description="Code du dispositif (« RAD-RIS-Va1 »).")
    ] = None,
) -> Any:
    """Mes solutions référencées, par dispositif et nom, avec le nombre de bons de chacune."""
    web = sons_of(request)
    entries = list_solutions(web.engine, vendor_of(caller), referential=web.referential)
    if dispositif is not None:
        code = canonical_dispositif(dispositif, web.referential)
        entries = [e for e in entries if e.solution.dispositif == code]
    return respond(request, paging, in_memory(entries, _solution_out), SolutionOut, "solutions")


@router.post("/import", status_code=201, responses=documented(401, 403, 413, 415, 422))
async def import_file(
    request: Request,
    caller: CallerDep,
    file: Annotated[UploadFile, File(description="Solutions : CSV, XLSX ou JSON.")],
) -> Any:
    """Importe mes solutions, tout ou rien ; chaque création ou modification est journalisée
    avec l'utilisateur. Le même fichier deux fois ne change rien (200)."""
    vendor_id = vendor_of(caller)
    web = sons_of(request)
    with staging(request) as staged:
        path = await staged.file(file, TABLE_KINDS, "solutions.csv")
        outcome = import_solutions(
            web.engine,
            path,
            vendor_id=vendor_id,
            actor=caller.actor,
            clock=web.settings.clock,
            referential=web.referential,
            today=web.today(),
        )
    return import_response(outcome)
