"""`/api/v1/operator`: the payment operator's queue and the a-posteriori controls.

Operator roles only (instructor, administrator): a vendor's caller gets 403 `OPERATOR_ONLY`.
The queue lists every request received, by status (in the order a request lives them) and
dispositif, with its vendor and the tally of its intake findings (`services.instruction`).
The controls run `analytics.controls.run_controls` on the uploaded files, as
`sons operator controls` does; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import ApiError, documented
from sons.entrypoints.api.listing import Page, PagingDep, exported, in_memory, respond
from sons.entrypoints.api.tenancy import require_operator, sons_of
from sons.entrypoints.web.files import scratch_folder, stage
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.services.instruction import QueueLine, queue
from sons.services.requests import parse_status

router = APIRouter(prefix="/operator", tags=["opérateur"])

Text = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f]*$")]
CONTROLS_INVALID = "CONTROLS_INPUT_INVALID"


class QueueRowOut(BaseModel):
    id: int = Field(title="N°")
    request_ref: str = Field(title="Identifiant")
    kind: str = Field(title="Nature")
    status: str = Field(title="Statut")
    operator_label: str = Field(title="Statut (libellé)")
    dispositif: str = Field(title="Dispositif")
    vendor_siret: str = Field(title="SIRET de l'éditeur")
    vendor_name: str = Field(title="Éditeur")
    order_number: str = Field(title="Bon de commande")
    client_id: str = Field(title="Client")
    amount_ht_cents: int | None = Field(title="Montant HT (centimes)")
    amount_ttc_cents: int | None = Field(title="Montant TTC (centimes)")
    intake_errors: int = Field(title="Erreurs à la réception")
    intake_warnings: int = Field(title="Avertissements à la réception")


def _queue_row(line: QueueLine) -> QueueRowOut:
    return QueueRowOut(**line.as_dict())


@router.get(
    "/queue",
    response_model=Page[QueueRowOut],
    responses={**exported(), **documented(401, 403, 422)},
)
def operator_queue(
    request: Request,
    paging: PagingDep,
    caller: CallerDep,
    status: Annotated[Text, Query(description="Statut (« deposee », « en_instruction »…).")] = None,
    dispositif: Annotated[Text, Query(description="Code du dispositif.")] = None,
    vendor: Annotated[Text, Query(description="SIRET de l'éditeur.")] = None,
) -> Any:
    """La file de l'opérateur : les demandes reçues, par statut puis dispositif."""
    require_operator(caller)
    found = queue(
        sons_of(request).engine,
        status=parse_status(status) if status else None,
        dispositif=dispositif or None,
        vendor_siret=vendor or None,
    )
    lines = [line for group in found.groups for line in group.lines]
    return respond(request, paging, in_memory(lines, _queue_row), QueueRowOut, "file-operateur")


@router.post("/controls", responses=documented(401, 403, 413, 415, 422))
async def controls(
    request: Request,
    caller: CallerDep,
    statistics: Annotated[
        list[UploadFile], File(description="Statistiques d'usage (CSV), un ou plusieurs fichiers.")
    ],
    balances: Annotated[UploadFile, File(description="Soldes payés (CSV).")],
    establishments: Annotated[
        UploadFile, File(description="Annuaire des établissements (finess_et;finess_ej).")
    ],
    date: Annotated[dt.date | None, Form(description="Date d'arrêté (par défaut : tout).")] = None,
) -> dict[str, Any]:
    """Contrôles a posteriori des soldes payés sur les statistiques d'usage DMP/MSS. Entrée
    inutilisable : 422 avec les constats, aucun contrôle réalisé."""
    require_operator(caller)
    # DuckDB is loaded here: no other route needs it.
    import duckdb

    from sons.analytics.conditions import controlled_conditions
    from sons.analytics.controls import run_controls
    from sons.analytics.sources import InputError

    web = sons_of(request)
    limit = web.settings.max_upload_bytes
    text = {UploadKind.TEXT}
    with scratch_folder() as folder:
        stats_paths = []
        for index, upload in enumerate(statistics):
            sub = folder / "statistiques" / str(index)
            sub.mkdir(parents=True)
            read = await read_upload(upload, limit=limit, accept=text)
            stats_paths.append(str(stage(sub, read, "statistiques.csv")))
        balances_path = stage(
            folder, await read_upload(balances, limit=limit, accept=text), "soldes.csv"
        )
        directory_path = stage(
            folder,
            await read_upload(establishments, limit=limit, accept=text),
            "etablissements.csv",
        )
        try:
            report = run_controls(
                stats_paths,
                balances_path,
                controlled_conditions(web.referential),
                directory_path,
                None,
                cutoff=date,
                keep_detail=True,
            )
        except InputError as exc:
            raise ApiError(
                422, CONTROLS_INVALID, "Entrée inutilisable : aucun contrôle réalisé.", exc.findings
            ) from None
        except duckdb.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ApiError(
                422,
                CONTROLS_INVALID,
                f"DuckDB n'a pas pu faire les contrôles ({reason}) : aucun rapport.",
            ) from None
    return {k: v for k, v in report.as_dict().items() if k != "files"}
