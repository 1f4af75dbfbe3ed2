"""`/api/v1/requests`: funding requests — list, show, and the workflow's verbs.

    POST /api/v1/requests/12/demander-correction   (multipart: motive, reason, version, file)

One route per transition of `sons.domain.workflow.TRANSITIONS`, generated from the table: a
verb added there is a route here, documented with its label, who fires it and what it takes.
The table judges every call (`transition_request`): a vendor firing an operator's verb gets
403 `WORKFLOW_FORBIDDEN`, a verb the status does not allow 409 `WORKFLOW_TRANSITION_INVALID`,
a missing motive or reason 422. A vendor sees and moves its own requests only; the operator
sees every request filed with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from pydantic import BaseModel, Field

from sons.domain.money import AmountError, parse_euros
from sons.domain.workflow import TRANSITIONS, ReasonCode, Transition
from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import ApiError, documented
from sons.entrypoints.api.listing import Page, PagingDep, exported, in_memory, respond
from sons.entrypoints.api.tenancy import scope_of, sons_of
from sons.entrypoints.web.context import SonsWeb
from sons.entrypoints.web.files import scratch_folder, stage
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.services.accounts import Caller
from sons.services.instruction import (
    INSTRUCTION_VERBS,
    CancelOutcome,
    PaymentOutcome,
    fire,
)
from sons.services.requests import (
    AUDIENCE_LABELS,
    RequestLine,
    TransitionOutcome,
    list_requests,
    parse_kind,
    parse_reason,
    parse_status,
    show_request,
)

router = APIRouter(prefix="/requests", tags=["demandes"])

IdentPath = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f/]+$",
        description="Numéro de la demande (« 12 ») ou son identifiant dans le fichier de dépôt.",
    ),
]
Text = Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00-\x1f]*$")]
# A piece given with a transition (a notice, a motive): a PDF.
TRANSITION_FILE_KINDS = frozenset({UploadKind.PDF})
# The verbs that take an amount (`amount`, in euros), and what it is.
AMOUNTS = {
    "payer": "le montant payé (obligatoire)",
    "recouvrer": "le montant à recouvrer (obligatoire)",
    "annuler": "le montant à recouvrer, pour une demande déjà payée",
}
AMOUNT_REQUIRED = frozenset({"payer", "recouvrer"})


class RequestRowOut(BaseModel):
    id: int = Field(title="N°")
    request_ref: str = Field(title="Identifiant")
    kind: str = Field(title="Nature")
    status: str = Field(title="Statut")
    vendor_label: str = Field(title="Statut (fournisseur)")
    operator_label: str = Field(title="Statut (opérateur)")
    dispositif: str = Field(title="Dispositif")
    order_number: str = Field(title="Bon de commande")
    client_kind: str = Field(title="Type de client")
    client_id: str = Field(title="Client")
    deposit: str = Field(title="Dépôt")
    advance_ref: str | None = Field(title="Avance")
    prestation_ht_cents: int = Field(title="Prestation HT (centimes)")
    prestation_ttc_cents: int = Field(title="Prestation TTC (centimes)")
    amount_ht_cents: int | None = Field(title="Montant HT (centimes)")
    amount_ttc_cents: int | None = Field(title="Montant TTC (centimes)")
    version: int = Field(title="Version")
    updated_at: dt.datetime = Field(title="Modifiée le")


def request_row(line: RequestLine) -> RequestRowOut:
    return RequestRowOut(**line.as_dict())


def filtered_requests(
    request: Request,
    vendor_id: int | None,
    status: str | None,
    kind: str | None,
    dispositif: str | None,
) -> list[RequestLine]:
    """The requests in scope matching the filters (statuses and natures as the CLI reads them:
    « a_modifier », « A modifier », « solde »…)."""
    return list_requests(
        sons_of(request).engine,
        vendor_id=vendor_id,
        status=parse_status(status) if status else None,
        kind=parse_kind(kind) if kind else None,
        dispositif=dispositif or None,
    )


@router.get(
    "",
    response_model=Page[RequestRowOut],
    responses={**exported(), **documented(401, 403, 422)},
)
def requests(
    request: Request,
    paging: PagingDep,
    caller: CallerDep,
    status: Annotated[Text, Query(description="Statut (« deposee », « A modifier »…).")] = None,
    kind: Annotated[Text, Query(description="avance, solde ou avenant.")] = None,
    dispositif: Annotated[Text, Query(description="Code du dispositif.")] = None,
) -> Any:
    """Mes demandes (l'opérateur : celles de tous les éditeurs), les plus anciennes d'abord."""
    found = filtered_requests(request, scope_of(caller), status, kind, dispositif)
    return respond(request, paging, in_memory(found, request_row), RequestRowOut, "demandes")


@router.get("/{ident}", responses=documented(401, 403, 404, 422))
def show(request: Request, ident: IdentPath, caller: CallerDep) -> dict[str, Any]:
    """Une demande : ses statuts lus par chacun, ses liens, les actions possibles et son
    historique (qui, quand, motif, code, pièce)."""
    return show_request(sons_of(request).engine, ident, vendor_id=scope_of(caller)).as_dict()


def _description(transition: Transition) -> str:
    sources = ", ".join(sorted(s.value for s in transition.sources))
    takes = [
        "un motif (obligatoire)" if transition.motive_required else "un motif (facultatif)",
        *(["un code de motif (obligatoire)"] if transition.reason_required else []),
        *(["une pièce PDF (facultative)"] if transition.file_allowed else []),
        *([f"`amount` : {AMOUNTS[transition.action]}"] if transition.action in AMOUNTS else []),
    ]
    return (
        f"« {transition.label} » : réservé au {AUDIENCE_LABELS[transition.audience]} ; depuis "
        f"les statuts {sources} vers « {transition.target.value} ». Prend {', '.join(takes)}. "
        "Inscrit au journal avec l'utilisateur."
    )


def _amount(action: str, text: str | None) -> int | None:
    if text is None or not text.strip():
        if action in AMOUNT_REQUIRED:
            raise ApiError(
                422,
                "AMOUNT_REQUIRED",
                f"« {action} » exige un montant (champ amount, en euros) : {AMOUNTS[action]}.",
            )
        return None
    if action not in AMOUNTS:
        raise ApiError(422, "AMOUNT_NOT_ALLOWED", f"« {action} » ne prend pas de montant.")
    try:
        return parse_euros(text)
    except AmountError as error:
        raise ApiError(422, error.code, f"amount : {error.message}") from None


def _fire(
    web: SonsWeb, caller: Caller, ident: str, action: str, given: _Given
) -> TransitionOutcome | PaymentOutcome | CancelOutcome:
    """Fire `action` (`services.instruction.fire` routes it), the amount read and checked here:
    required or refused as the verb says, when the operator fires a verb of the instruction;
    refused for any other verb but those that take one (the table then judges who fires)."""
    cents = None
    if caller.is_operator and action in INSTRUCTION_VERBS:
        cents = _amount(action, given.amount)
    elif given.amount and action not in AMOUNTS:
        _amount(action, given.amount)  # refused: this verb takes no amount
    return fire(
        web.engine,
        caller,
        ident,
        action,
        on=given.on or web.today(),
        motive=given.motive,
        reason=given.reason,
        amount_cents=cents,
        file=given.file,
        clock=web.settings.clock,
    )


@dataclass(frozen=True)
class _Given:
    motive: str | None
    reason: ReasonCode | None
    amount: str | None
    on: dt.date | None
    file: FilePath | None


def _verb(transition: Transition) -> Any:
    action = transition.action

    async def fire_verb(
        request: Request,
        ident: IdentPath,
        caller: CallerDep,
        motive: Annotated[str | None, Form(max_length=4000, description="Motif.")] = None,
        reason: Annotated[
            str | None,
            Form(max_length=40, description="Code de motif : incorrect, incomplet, obsolete."),
        ] = None,
        amount: Annotated[
            str | None,
            Form(max_length=40, description="Montant en euros (paiement, recouvrement)."),
        ] = None,
        on: Annotated[
            dt.date | None,
            Form(description="Date du paiement ou du recouvrement (par défaut : aujourd'hui)."),
        ] = None,
        file: Annotated[UploadFile | None, File(description="Pièce jointe (PDF).")] = None,
    ) -> dict[str, Any]:
        web = sons_of(request)
        with scratch_folder() as folder:
            path = None
            if file is not None:
                read = await read_upload(
                    file, limit=web.settings.max_upload_bytes, accept=TRANSITION_FILE_KINDS
                )
                path = stage(folder, read, "piece.pdf")
            given = _Given(motive, parse_reason(reason), amount, on, path)
            outcome = _fire(web, caller, ident, action, given)
        return {**outcome.as_dict(), "message": outcome.message()}

    fire_verb.__name__ = f"request_{action.replace('-', '_')}"
    return fire_verb


for _transition in TRANSITIONS:
    router.add_api_route(
        f"/{{ident}}/{_transition.action}",
        _verb(_transition),
        methods=["POST"],
        summary=_transition.label,
        description=_description(_transition),
        responses=documented(401, 403, 404, 409, 413, 415, 422),
    )
