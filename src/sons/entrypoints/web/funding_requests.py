"""One funding request, for the vendor and for the operator: what it is, its history, and the
actions the workflow table lets the caller's side fire now.

The caller's organisation decides the audience: a vendor's users act as the vendor (on their
own requests only; another tenant's number answers 404), the operator's as the operator. The
table (`domain.workflow`) decides which actions appear and whether a motive, a reason code or a
file goes with them; `services.instruction.fire` fires and journals them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from sons.domain.money import AmountError, parse_euros
from sons.domain.workflow import (
    KIND_LABELS,
    REASON_LABELS,
    TRANSITIONS_BY_ACTION,
    ReasonCode,
    Status,
    WorkflowError,
    status_label,
)
from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.deposits import scope_of
from sons.entrypoints.web.files import scratch_folder, stage
from sons.entrypoints.web.security import require_caller
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.services import instruction
from sons.services.accounts import Caller, NotFound
from sons.services.referential import ScenarioInputError, read_date
from sons.services.requests import (
    AUDIENCE_LABELS,
    RequestView,
    parse_reason,
    show_request,
)
from sons.store.errors import NotFoundError, StoreError
from sons.store.requests import ConcurrentRequestEditError

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]
IdPath = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
ACTION_PATTERN = r"^[a-z][a-z-]{0,40}$"

# A file given with a decision: a PDF (a notice, a letter) or a scan; never an archive.
TRANSITION_FILE_KINDS = {UploadKind.PDF, UploadKind.TEXT, UploadKind.JSON}
REASONS = [(r.value, REASON_LABELS[r]) for r in ReasonCode]
DONE = "fait"


def load_request(web: SonsWeb, caller: Caller, request_id: int) -> RequestView:
    """The request if the caller may see it; 404 (like a number that does not exist) else."""
    try:
        view = show_request(web.engine, str(request_id), vendor_id=scope_of(caller))
    except NotFoundError:
        view = None
    # The operator sees what was filed with it: a draft is still the vendor's own.
    if view is None or (caller.is_operator and view.request.status is Status.DRAFT):
        raise NotFound(f"Aucune demande n° {request_id}.")
    return view


def request_context(web: SonsWeb, caller: Caller, view: RequestView) -> dict[str, Any]:
    audience = caller.audience
    kind = view.request.kind
    return {
        "view": view,
        "r": view.request,
        "kind_label": KIND_LABELS[kind],
        "status": view.label(audience),
        "audience": audience,
        "audience_labels": AUDIENCE_LABELS,
        "label_of": lambda status: "—" if status is None else status_label(status, kind, audience),
        "actions": view.actions(audience),
        "reasons": REASONS,
        "reason_labels": REASON_LABELS,
        "vendor_name": web.accounts.vendor_names(caller).get(view.request.vendor_id, ""),
        "active": "queue" if caller.is_operator else "deposits",
        # The operator's side: what the intake found, what was paid or claimed back.
        "ledger": instruction.show(web.engine, str(view.request.id))
        if caller.is_operator
        else None,
        "motivated": instruction.MOTIVATED if caller.is_operator else frozenset(),
    }


@dataclass(frozen=True)
class Fired:
    """An action as the form asked it."""

    action: str
    motive: str | None
    reason: ReasonCode | None
    file: Path | None
    amount: str = ""
    on: str = ""
    version: int | None = None


def fire(web: SonsWeb, caller: Caller, request_id: int, fired: Fired) -> None:
    """Fire the action as the form asked it (`services.instruction.fire` routes it); the
    amount and the date are read here, named as the form names them."""
    payment = fired.action == "payer"
    instruction.fire(
        web.engine,
        caller,
        str(request_id),
        fired.action,
        on=read_date(fired.on, web.today(), "Date du paiement" if payment else "Date"),
        motive=fired.motive,
        reason=fired.reason,
        amount_cents=parse_euros(fired.amount) if fired.amount or payment else None,
        file=fired.file,
        expected_version=fired.version,
        clock=web.settings.clock,
    )


@router.get("/demandes/{request_id}")
def request_page(request: Request, request_id: IdPath, caller: CallerDep, web: WebDep) -> Response:
    view = load_request(web, caller, request_id)
    done = request.query_params.get(DONE, "")
    transition = TRANSITIONS_BY_ACTION.get(done)
    notice = None
    if transition is not None and view.history and view.history[-1].action == done:
        notice = f"« {transition.label} » : fait, inscrit au journal."
    return web.render(
        request,
        "deposit_request.html",
        {**request_context(web, caller, view), "notice": notice, "form": {}},
    )


def _given(value: Any) -> UploadFile | None:
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


@router.post("/demandes/{request_id}/actions/{action}")
async def fire_action(
    request: Request,
    request_id: IdPath,
    action: Annotated[str, PathParam(pattern=ACTION_PATTERN)],
    caller: CallerDep,
    web: WebDep,
) -> Response:
    """Fire `action` with the motive, reason code and file of the form."""
    view = load_request(web, caller, request_id)
    form = await request.form()
    motive = str(form.get("motif") or "").strip() or None
    reason_text = str(form.get("code_motif") or "")
    version_text = str(form.get("version") or "")
    values = {
        "action": action,
        "motif": motive or "",
        "code_motif": reason_text,
        "montant": str(form.get("montant") or ""),
        "date": str(form.get("date") or ""),
    }

    def refused(message: str, status_code: int) -> Response:
        return web.render(
            request,
            "deposit_request.html",
            {
                **request_context(web, caller, view),
                "error": message,
                "form": values,
                "notice": None,
            },
            status_code=status_code,
        )

    def stale() -> Response:
        nonlocal view
        view = load_request(web, caller, request_id)
        return refused(
            "La demande a changé pendant que vous la consultiez (quelqu'un d'autre a agi) : "
            "relisez-la ci-dessous avant de recommencer ; rien n'a été modifié.",
            409,
        )

    if version_text.isdigit() and int(version_text) != view.request.version:
        return stale()
    try:
        reason = parse_reason(reason_text)
    except StoreError as exc:
        return refused(str(exc), 422)
    upload = _given(form.get("fichier"))
    try:
        with scratch_folder() as folder:
            path = None
            if upload is not None:
                read = await read_upload(
                    upload, limit=web.settings.max_upload_bytes, accept=TRANSITION_FILE_KINDS
                )
                path = stage(folder, read, "piece.pdf")
            fired = Fired(
                action,
                motive,
                reason,
                path,
                amount=str(form.get("montant") or "").strip(),
                on=str(form.get("date") or "").strip(),
                version=view.request.version,
            )
            await run_in_threadpool(partial(fire, web, caller, view.request.id, fired))
    except WorkflowError as exc:
        return refused(exc.message, 422)
    except ConcurrentRequestEditError:
        return stale()
    except NotFoundError:
        raise NotFound(f"Aucune demande n° {request_id}.") from None
    except (StoreError, AmountError, ScenarioInputError) as exc:
        return refused(str(exc), 422)
    return RedirectResponse(f"/demandes/{view.request.id}?{DONE}={action}", status_code=303)
