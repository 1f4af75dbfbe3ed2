"""`/api/v1/orders`: the caller's purchase orders — list, show, create, update, delete, check.

An order is written as one element of « commandes » of the JSON import format
(docs/formats-import.md): the same reader reads it, with the same problems at the same JSON
paths. Updating names the version read (optimistic locking: 409 when someone saved since);
deleting too. Checks answer the findings `sons order check --json` prints.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import documented
from sons.entrypoints.api.listing import Page, PagingDep, exported, respond
from sons.entrypoints.api.tenancy import sons_of, vendor_of
from sons.services.order_list import MAX_PER_PAGE, OrderFilters, OrderSummary, order_page
from sons.services.orders import (
    canonical_dispositif,
    check_orders,
    create_order,
    delete_order,
    show_order,
    update_order,
)

router = APIRouter(prefix="/orders", tags=["bons de commande"])

NumberPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f/]+$",
        description="Numéro du bon de commande.",
    ),
]
VersionQuery = Annotated[
    int, Query(ge=1, le=2**31 - 1, description="Version lue (verrouillage optimiste).")
]
Text = Annotated[str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f]*$")]

ORDER_EXAMPLE: dict[str, Any] = {
    "numero": "BC-2022-001",
    "date_signature": "2022-03-15",
    "signataire": "Dr Claire Martin, gérante",
    "siret_fournisseur": "73282932000074",
    "numero_referencement": "REF-RIS-001",
    "dispositif": "RAD-RIS-Va1",
    "client": "750000010",
    "type_client": "EJ",
    "prestation_ht": "10 000,00",
    "prestation_ttc": "12 000,00",
    "sites": [{"finess_et": "750000028", "reponses": {"dmp_direct": True}}],
    "lignes": [{"libelle": "Licence", "montant_ht": "10000", "dimension": "licence"}],
}
OrderBody = Annotated[
    dict[str, Any],
    Body(
        description="Un bon de commande au format d'import JSON (un élément de « commandes »).",
        examples=[ORDER_EXAMPLE],
    ),
]


class OrderRowOut(BaseModel):
    number: str = Field(title="Numéro")
    dispositif: str = Field(title="Dispositif")
    status: str = Field(title="Statut")
    status_label: str = Field(title="Statut (libellé)")
    client_kind: str = Field(title="Type de client")
    client_id: str = Field(title="Client (FINESS EJ ou RPPS)")
    client_name: str | None = Field(title="Nom du client")
    signed_on: dt.date = Field(title="Date de signature")
    prestation_ht_cents: int = Field(title="Prestation HT (centimes)")
    prestation_ttc_cents: int = Field(title="Prestation TTC (centimes)")


class OrderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="Version lue (verrouillage optimiste).")
    order: dict[str, Any] = Field(
        description="Le bon complet, au format d'import JSON ; son numéro ne change pas.",
        examples=[ORDER_EXAMPLE],
    )


def _row(summary: OrderSummary) -> OrderRowOut:
    return OrderRowOut(
        number=summary.number,
        dispositif=summary.dispositif,
        status=summary.status,
        status_label=summary.status_label,
        client_kind=summary.client_kind,
        client_id=summary.client_id,
        client_name=summary.client_name,
        signed_on=summary.signed_on,
        prestation_ht_cents=summary.prestation_ht_cents,
        prestation_ttc_cents=summary.prestation_ttc_cents,
    )


@router.get(
    "",
    response_model=Page[OrderRowOut],
    responses={**exported(), **documented(401, 403, 404, 422)},
)
def orders(
    request: Request,
    paging: PagingDep,
    caller: CallerDep,
    dispositif: Annotated[Text, Query(description="Code du dispositif (« RAD-RIS-Va1 »).")] = None,
    status: Annotated[Text, Query(description="Statut du bon (« draft »…).")] = None,
    client: Annotated[Text, Query(description="Début du FINESS/RPPS, ou partie du nom.")] = None,
    number: Annotated[Text, Query(description="Début du numéro du bon.")] = None,
    signed_from: Annotated[
        dt.date | None, Query(description="Signé à partir du (AAAA-MM-JJ).")
    ] = None,
    signed_to: Annotated[dt.date | None, Query(description="Signé jusqu'au (AAAA-MM-JJ).")] = None,
) -> Any:
    """Mes bons de commande, par numéro, filtrés ; exportables en CSV ou XLSX."""
    web = sons_of(request)
    vendor_id = vendor_of(caller)
    filters = OrderFilters(
        dispositif=canonical_dispositif(dispositif, web.referential) if dispositif else None,
        status=status,
        client=client,
        number=number,
        signed_from=signed_from,
        signed_to=signed_to,
    )

    def fetch(offset: int, limit: int) -> tuple[list[OrderRowOut], int]:
        # The service pages by number; every offset asked here is a multiple of the page size.
        size = min(limit, MAX_PER_PAGE)
        found = order_page(web.engine, vendor_id, filters, offset // size + 1, size)
        return [_row(item) for item in found.items], found.total

    return respond(request, paging, fetch, OrderRowOut, "bons-de-commande")


@router.get("/{number}", responses=documented(401, 403, 404, 422))
def order(request: Request, number: NumberPath, caller: CallerDep) -> dict[str, Any]:
    """Un bon : son contenu, ses constats, sa version et son historique au journal."""
    web = sons_of(request)
    view = show_order(
        web.engine, vendor_of(caller), number, today=web.today(), referential=web.referential
    )
    return view.as_dict()


@router.post("", status_code=201, responses=documented(401, 403, 409, 422))
def create(request: Request, body: OrderBody, caller: CallerDep) -> Any:
    """Crée un bon (rattaché à la version en cours du référentiel), journalisé avec
    l'utilisateur ; répond le bon et ses constats. 409 si le numéro existe déjà."""
    web = sons_of(request)
    view = create_order(
        web.engine,
        vendor_of(caller),
        body,
        actor=caller.actor,
        today=web.today(),
        clock=web.settings.clock,
        referential=web.referential,
    )
    location = request.url_for("order", number=view.check.number)
    return JSONResponse(view.as_dict(), status_code=201, headers={"Location": str(location)})


@router.put("/{number}", responses=documented(401, 403, 404, 409, 422))
def update(
    request: Request, number: NumberPath, body: OrderUpdate, caller: CallerDep
) -> dict[str, Any]:
    """Remplace le bon s'il est toujours à la version donnée (sinon 409 : rechargez-le). Il
    garde sa version du référentiel et son statut ; le même contenu ne change rien."""
    web = sons_of(request)
    view = update_order(
        web.engine,
        vendor_of(caller),
        number,
        body.order,
        expected_version=body.version,
        actor=caller.actor,
        today=web.today(),
        clock=web.settings.clock,
        referential=web.referential,
    )
    return view.as_dict()


@router.delete("/{number}", status_code=204, responses=documented(401, 403, 404, 409, 422))
def delete(
    request: Request, number: NumberPath, version: VersionQuery, caller: CallerDep
) -> Response:
    """Supprime le bon à la version donnée, journalisé. Un bon qui a des demandes de
    financement ou des preuves enregistrées est conservé (409)."""
    web = sons_of(request)
    delete_order(
        web.engine,
        vendor_of(caller),
        number,
        expected_version=version,
        actor=caller.actor,
        clock=web.settings.clock,
    )
    return Response(status_code=204)


@router.post("/{number}/checks", responses=documented(401, 403, 404, 422))
def checks(request: Request, number: NumberPath, caller: CallerDep) -> dict[str, Any]:
    """Contrôle le bon à la date du jour : les constats, avec les codes de
    `sons order check --json`, et leur synthèse. Rien n'est écrit."""
    web = sons_of(request)
    report = check_orders(
        web.engine,
        vendor_of(caller),
        today=web.today(),
        numbers=[number],
        referential=web.referential,
    )
    return report.as_dict()
