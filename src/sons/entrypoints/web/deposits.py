"""The deposit pages: the list, building one from the orders, checking a file from anywhere,
one deposit with its requests and its report, the downloads, « marquer déposé ».

Everything goes through `services.deposits` and `services.deposit_builder`, exactly as
`sons deposit …` does; a vendor sees its own deposits only (another tenant's number answers
404), the operator sees every vendor's and builds none.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from sons.domain.workflow import KIND_LABELS, Audience, RequestKind, Status, status_label
from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.files import attachment, scratch_folder, stage
from sons.entrypoints.web.security import require_caller, require_roles
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.findings import Severity
from sons.formats.deposit.check import DepositReport
from sons.services.accounts import Caller, NotFound, Role
from sons.services.deposit_builder import BuildPieces, BuildRefused, LeftOut, build_deposit
from sons.services.deposits import (
    check_deposit_file,
    checking_engine,
    deposit_content,
    list_deposits,
    mark_filed,
)
from sons.services.orders import list_orders
from sons.services.referential import ScenarioInputError, read_date
from sons.services.requests import RequestLine, list_requests
from sons.store.errors import NotFoundError, StoreError
from sons.store.requests import JSON_ROLE, ZIP_ROLE, DepositOrigin, StoredDeposit

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
VendorDep = Annotated[Caller, require_roles(Role.VENDOR_ADMIN, Role.VENDOR_USER)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]
IdPath = Annotated[int, PathParam(ge=1, le=2**31 - 1)]

# An invoice for order N comes in the form field « facture:N » (balance builds).
INVOICE_FIELD = "facture:"
# What a deposit file can carry (an enrolment is not filed as a deposit).
KIND_CHOICES = [
    (k.value, KIND_LABELS[k])
    for k in (RequestKind.ADVANCE, RequestKind.BALANCE, RequestKind.AMENDMENT)
]
ORIGIN_LABELS = {DepositOrigin.BUILT: "construit par sons", DepositOrigin.IMPORTED: "importé"}
DONE_NOTICES = {
    "construit": "Dépôt construit, contrôlé et enregistré : ses demandes sont « Brouillon » "
    "jusqu'au dépôt sur le portail de l'opérateur.",
    "depose": "Dépôt marqué déposé : ses demandes « Brouillon » sont passées à « Déposée », "
    "inscrit au journal.",
    "rien_a_deposer": "Aucune demande « Brouillon » dans ce dépôt : rien n'a été modifié.",
}


def scope_of(caller: Caller) -> int | None:
    """The vendor whose data the caller sees; None for the operator (every vendor)."""
    if caller.is_operator:
        return None
    if caller.vendor_id is None:  # a vendor organisation always has its vendor
        raise NotFound("Aucun éditeur n'est rattaché à votre organisation.")
    return caller.vendor_id


def own_vendor_id(caller: Caller) -> int:
    scope = scope_of(caller)
    assert scope is not None  # vendor roles only
    return scope


def visible_deposits(web: SonsWeb, caller: Caller) -> list[StoredDeposit]:
    """The vendor's deposits; for the operator, those filed with it (`list_deposits`)."""
    return list_deposits(web.engine, scope_of(caller))


def find_deposit(web: SonsWeb, caller: Caller, deposit_id: int) -> StoredDeposit:
    """The deposit numbered `deposit_id` if the caller may see it; 404 otherwise."""
    for deposit in visible_deposits(web, caller):
        if deposit.id == deposit_id:
            return deposit
    raise NotFound(f"Aucun dépôt n° {deposit_id}.")


def deposit_file(
    web: SonsWeb, caller: Caller, deposit: StoredDeposit, role: str
) -> tuple[str, bytes]:
    scope = scope_of(caller)
    try:
        return deposit_content(
            web.engine, scope, deposit.name if scope is not None else str(deposit.id), role
        )
    except NotFoundError as exc:
        raise NotFound(str(exc)) from None


def report_context(report: DepositReport) -> dict[str, Any]:
    """What `deposit_report.html` shows of a check report."""
    return {
        "report": report,
        "file_name": Path(report.file).name,
        "zip_name": None if report.zip is None else Path(report.zip).name,
        "errors": report.count(Severity.ERROR),
        "warnings": report.count(Severity.WARNING),
        "infos": report.count(Severity.INFO),
        "total_ht": sum(r.ht_cents or 0 for r in report.requests),
    }


# --- the list ---------------------------------------------------------------------------------


@router.get("/depots")
def deposits_page(request: Request, caller: CallerDep, web: WebDep) -> Response:
    deposits = visible_deposits(web, caller)
    notice = DONE_NOTICES.get(request.query_params.get("fait", ""))
    # What waits for the vendor: requests sent back « à modifier » or received « incomplètes ».
    to_answer = (
        []
        if caller.is_operator
        else [
            (line, status_label(line.request.status, line.request.kind, Audience.VENDOR))
            for line in list_requests(web.engine, vendor_id=scope_of(caller))
            if line.request.status in (Status.TO_AMEND, Status.INCOMPLETE)
        ]
    )
    return web.render(
        request,
        "deposits.html",
        {
            "deposits": list(reversed(deposits)),
            "vendor_names": web.accounts.vendor_names(caller),
            "origins": ORIGIN_LABELS,
            "notice": notice,
            "to_answer": to_answer,
            "active": "deposits",
        },
    )


# --- checking a file --------------------------------------------------------------------------


@router.get("/depots/controler")
def check_form(request: Request, _caller: CallerDep, web: WebDep) -> Response:
    return web.render(request, "deposit_check.html", {"active": "deposits", "date": ""})


def _given(value: Any) -> UploadFile | None:
    """A file field the user filled in (browsers send an empty part for an empty field)."""
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


@router.post("/depots/controler")
async def check_upload(request: Request, caller: CallerDep, web: WebDep) -> Response:
    form = await request.form()
    date_text = str(form.get("date") or "")
    context: dict[str, Any] = {"active": "deposits", "date": date_text}
    try:
        on = read_date(date_text, web.today(), "Date du contrôle")
    except ScenarioInputError as exc:
        return web.render(
            request, "deposit_check.html", {**context, "error": str(exc)}, status_code=422
        )
    json_upload = _given(form.get("fichier"))
    if json_upload is None:
        return web.render(
            request,
            "deposit_check.html",
            {**context, "error": "Choisissez le fichier de dépôt JSON à contrôler."},
            status_code=422,
        )
    limit = web.settings.max_upload_bytes
    json_file = await read_upload(json_upload, limit=limit, accept={UploadKind.JSON})
    zip_upload = _given(form.get("zip"))
    zip_file = (
        None
        if zip_upload is None
        else await read_upload(zip_upload, limit=limit, accept={UploadKind.ZIP})
    )
    with scratch_folder() as folder:
        json_path = stage(folder, json_file, "depot.json")
        zip_path = None if zip_file is None else stage(folder, zip_file, "depot.zip")
        store = checking_engine(web.engine, scope_of(caller), json_path)
        report = await run_in_threadpool(
            partial(
                check_deposit_file,
                store,
                json_path,
                zip_path,
                today=on,
                referential=web.referential,
            )
        )
    return web.render(
        request,
        "deposit_check.html",
        {**context, **report_context(report), "checked": True},
        status_code=200 if report.readable else 422,
    )


# --- building one -----------------------------------------------------------------------------


def _build_context(
    web: SonsWeb, caller: Caller, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    orders = list_orders(web.engine, own_vendor_id(caller))
    by_dispositif: dict[str, list[Any]] = defaultdict(list)
    for order in orders:
        by_dispositif[order.dispositif].append(order)
    values: dict[str, Any] = {
        "nature": "avance",
        "dispositif": "",
        "bons": [],
        "seulement_valides": False,
        "date": "",
        "nom": "",
    }
    values.update(form or {})
    return {
        "active": "deposits",
        "kinds": KIND_CHOICES,
        "orders_by_dispositif": dict(sorted(by_dispositif.items())),
        "form": values,
    }


@router.get("/depots/construire")
def build_form(request: Request, caller: VendorDep, web: WebDep) -> Response:
    return web.render(request, "deposit_build.html", _build_context(web, caller))


@router.post("/depots/construire")
async def build_post(request: Request, caller: VendorDep, web: WebDep) -> Response:
    form = await request.form()
    nature = str(form.get("nature") or "")
    dispositif = str(form.get("dispositif") or "").strip()
    numbers = [str(v).strip() for v in form.getlist("bons") if str(v).strip()]
    only_valid = form.get("seulement_valides") == "1"
    date_text = str(form.get("date") or "").strip()
    name = str(form.get("nom") or "").strip()
    values = {
        "nature": nature,
        "dispositif": dispositif,
        "bons": numbers,
        "seulement_valides": only_valid,
        "date": date_text,
        "nom": name,
    }

    def refused(message: str, left_out: tuple[LeftOut, ...] = ()) -> Response:
        context = _build_context(web, caller, values)
        return web.render(
            request,
            "deposit_build.html",
            {**context, "error": message, "left_out": left_out},
            status_code=422,
        )

    kind = next((RequestKind(v) for v, _ in KIND_CHOICES if v == nature), None)
    if kind is None:
        return refused("Nature de demande inconnue : avance, solde ou avenant.")
    if not dispositif:
        return refused("Choisissez le dispositif du dépôt.")
    try:
        on = read_date(date_text, web.today(), "Date du fichier") if date_text else None
    except ScenarioInputError as exc:
        return refused(str(exc))
    invoices: list[tuple[str, UploadFile]] = []
    for key, value in form.multi_items():
        given = _given(value)
        if key.startswith(INVOICE_FIELD) and given is not None:
            invoices.append((key.removeprefix(INVOICE_FIELD), given))
    vendor_id = own_vendor_id(caller)
    with scratch_folder() as folder:
        invoice_paths: dict[str, Path] = {}
        for number, upload in invoices:
            read = await read_upload(
                upload, limit=web.settings.max_upload_bytes, accept={UploadKind.PDF}
            )
            sub = folder / "factures" / str(len(invoice_paths))
            sub.mkdir(parents=True)
            invoice_paths[number] = stage(sub, read, "facture.pdf")
        try:
            # Rendering PDFs and checking take a while: off the event loop.
            outcome = await run_in_threadpool(
                partial(
                    build_deposit,
                    web.engine,
                    vendor_id=vendor_id,
                    kind=kind,
                    dispositif=dispositif,
                    out_dir=folder / "depot",
                    actor=caller.actor,
                    clock=web.settings.clock,
                    numbers=numbers or None,
                    only_valid=only_valid,
                    pieces=BuildPieces(invoices=invoice_paths),
                    name=name or None,
                    on=on,
                    referential=web.referential,
                )
            )
        except BuildRefused as exc:
            return refused(str(exc), exc.left_out)
        except StoreError as exc:
            return refused(str(exc))
    return RedirectResponse(f"/depots/{outcome.deposit.id}?fait=construit", status_code=303)


# --- one deposit ------------------------------------------------------------------------------


def deposit_requests(web: SonsWeb, caller: Caller, deposit: StoredDeposit) -> list[RequestLine]:
    lines = list_requests(web.engine, vendor_id=scope_of(caller))
    mine = [line for line in lines if line.request.deposit_id == deposit.id]
    if caller.is_operator:  # a draft left in a filed deposit is still the vendor's
        return [line for line in mine if line.request.status is not Status.DRAFT]
    return mine


@router.get("/depots/{deposit_id}")
def deposit_page(request: Request, deposit_id: IdPath, caller: CallerDep, web: WebDep) -> Response:
    deposit = find_deposit(web, caller, deposit_id)
    lines = deposit_requests(web, caller, deposit)
    audience = Audience.OPERATOR if caller.is_operator else Audience.VENDOR
    # The report of the stored pair, checked as on the file's creation day.
    json_name, json_bytes = deposit_file(web, caller, deposit, JSON_ROLE)
    zip_pair = deposit_file(web, caller, deposit, ZIP_ROLE) if deposit.zip_file_name else None
    checked_on: dt.date = deposit.file_created_at.date()
    with scratch_folder() as folder:
        json_path = folder / json_name
        json_path.write_bytes(json_bytes)
        zip_path = None
        if zip_pair is not None:
            zip_path = folder / zip_pair[0]
            zip_path.write_bytes(zip_pair[1])
        report = check_deposit_file(
            web.engine, json_path, zip_path, today=checked_on, referential=web.referential
        )
    return web.render(
        request,
        "deposit.html",
        {
            "active": "deposits",
            "deposit": deposit,
            "vendor_name": web.accounts.vendor_names(caller).get(deposit.vendor_id, ""),
            "origins": ORIGIN_LABELS,
            "lines": [
                (line, status_label(line.request.status, line.request.kind, audience))
                for line in lines
            ],
            "drafts": sum(1 for line in lines if line.request.status is Status.DRAFT),
            "notice": DONE_NOTICES.get(request.query_params.get("fait", "")),
            **report_context(report),
        },
    )


@router.get("/depots/{deposit_id}/json")
def download_json(deposit_id: IdPath, caller: CallerDep, web: WebDep) -> Response:
    deposit = find_deposit(web, caller, deposit_id)
    return attachment(*deposit_file(web, caller, deposit, JSON_ROLE))


@router.get("/depots/{deposit_id}/zip")
def download_zip(deposit_id: IdPath, caller: CallerDep, web: WebDep) -> Response:
    deposit = find_deposit(web, caller, deposit_id)
    return attachment(*deposit_file(web, caller, deposit, ZIP_ROLE))


@router.post("/depots/{deposit_id}/deposer")
def mark_filed_post(deposit_id: IdPath, caller: VendorDep, web: WebDep) -> Response:
    """The vendor uploaded the pair to the operator's portal: its drafts become « Déposée »."""
    deposit = find_deposit(web, caller, deposit_id)
    outcome = mark_filed(
        web.engine,
        deposit.name,
        vendor_id=own_vendor_id(caller),
        actor=caller.actor,
        clock=web.settings.clock,
    )
    done = "depose" if outcome.filed else "rien_a_deposer"
    return RedirectResponse(f"/depots/{deposit.id}?fait={done}", status_code=303)
