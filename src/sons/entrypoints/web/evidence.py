"""The evidence pages of a vendor: where each order and site stands for its balance, the signed
VA uploaded from the client, and the order's documents to download.

`services.evidence.readiness` decides (« Prêt pour le solde », « Manque : DMP : 7/10 avec INS
qualifiée ; VA manquante », « non renseigné » where the referential does not know a value);
`upload_va` checks the PDF's signature and keeps a tampered one as « rejetée »;
`services.documents.build_document` renders the PDFs. Vendor roles only: the operator has no
orders of its own.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from sons.domain.evidence import OrderReadiness, flow_name, progress_text, readiness_text
from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.deposits import own_vendor_id
from sons.entrypoints.web.files import attachment, scratch_folder, stage
from sons.entrypoints.web.security import require_roles
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.findings import Severity
from sons.services.accounts import Caller, NotFound, Role
from sons.services.documents import DocumentKind, build_document
from sons.services.evidence import EvidenceRequestError, PieceOutcome, readiness, upload_va
from sons.store.errors import NotFoundError

router = APIRouter()

VendorDep = Annotated[Caller, require_roles(Role.VENDOR_ADMIN, Role.VENDOR_USER)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]
NumberPath = Annotated[str, PathParam(min_length=1, max_length=200)]

# Where a document's download is named after (« bon-de-commande-BC-A.pdf »).
DOCUMENT_FILES = {
    DocumentKind.ORDER: "bon-de-commande",
    DocumentKind.MOM: "mom",
    DocumentKind.VA: "va-a-signer",
    DocumentKind.BALANCE_SUMMARY: "recapitulatif-solde",
}
DOCUMENT_TITLES = {
    DocumentKind.ORDER: "Bon de commande",
    DocumentKind.MOM: "MOM",
    DocumentKind.VA: "VA",
    DocumentKind.BALANCE_SUMMARY: "Récapitulatif de solde",
}
VERDICT_CLASSES = {True: "ready", False: "short", None: "unknown"}


def _order_rows(order: OrderReadiness) -> list[dict[str, Any]]:
    """One row per condition of each site, as the page shows it."""
    rows: list[dict[str, Any]] = []
    for site in order.sites:
        scenario = "installé" if site.scenario_installed else "commandé"
        if not site.conditions:
            rows.append(
                {
                    "site": site.finess_et or "sans FINESS",
                    "scenario": scenario,
                    "flow": "—",
                    "progress": "—",
                    "piece": "—",
                    "verdict": readiness_text(site.verdict),
                    "state": VERDICT_CLASSES[site.verdict.ready],
                }
            )
        for item in site.conditions:
            status = item.status
            piece = status.evidence.value + (
                " présente" if status.evidence_present else " manquante"
            )
            rows.append(
                {
                    "site": site.finess_et or "sans FINESS",
                    "scenario": scenario,
                    "flow": flow_name(status.counts.flow, status.counts.route),
                    "progress": progress_text(status.counts),
                    "piece": status.evidence_note or piece,
                    "verdict": readiness_text(item.verdict),
                    "state": VERDICT_CLASSES[item.verdict.ready],
                }
            )
    return rows


@router.get("/preuves")
def readiness_page(request: Request, caller: VendorDep, web: WebDep) -> Response:
    report = readiness(
        web.engine,
        vendor_id=own_vendor_id(caller),
        clock=web.settings.clock,
        referential=web.referential,
    )
    orders = [
        {
            "order": order,
            "verdict": readiness_text(order.verdict),
            "state": VERDICT_CLASSES[order.verdict.ready],
        }
        for order in report.orders
    ]
    return web.render(
        request,
        "evidence.html",
        {
            "active": "evidence",
            "report": report,
            "orders": orders,
            "short": sum(1 for o in report.orders if o.verdict.ready is False),
            "undetermined": sum(1 for o in report.orders if o.verdict.ready is None),
        },
    )


def _order_page(
    request: Request,
    web: SonsWeb,
    caller: Caller,
    number: str,
    *,
    outcome: PieceOutcome | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    try:
        report = readiness(
            web.engine,
            vendor_id=own_vendor_id(caller),
            numbers=[number],
            clock=web.settings.clock,
            referential=web.referential,
        )
    except NotFoundError:
        raise NotFound(f"Aucun bon de commande « {number} » pour votre éditeur.") from None
    order = report.orders[0]
    findings = [*order.findings, *(f for site in order.sites for f in site.findings)]
    if outcome is not None:
        findings = list(outcome.findings)
    return web.render(
        request,
        "evidence_order.html",
        {
            "active": "evidence",
            "report": report,
            "order": order,
            "verdict": readiness_text(order.verdict),
            "state": VERDICT_CLASSES[order.verdict.ready],
            "rows": _order_rows(order),
            "sites": [s.finess_et for s in order.sites if s.finess_et],
            "documents": [(k.value, DOCUMENT_TITLES[k]) for k in DocumentKind],
            "findings": findings,
            "outcome": outcome,
            "outcome_errors": outcome is not None
            and any(f.severity is Severity.ERROR for f in outcome.findings),
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/preuves/{number}")
def order_evidence_page(
    request: Request, number: NumberPath, caller: VendorDep, web: WebDep
) -> Response:
    return _order_page(request, web, caller, number)


@router.post("/preuves/{number}/va")
async def va_upload(
    request: Request, number: NumberPath, caller: VendorDep, web: WebDep
) -> Response:
    """The client's signed VA for one site: checked, kept; « rejetée » when its signature does
    not hold (it never counts then)."""
    form = await request.form()
    finess = str(form.get("site") or "").strip()
    given = form.get("fichier")
    if not finess or not isinstance(given, UploadFile) or not given.filename:
        return _order_page(
            request,
            web,
            caller,
            number,
            error="Choisissez le site et le PDF de la VA signée.",
            status_code=422,
        )
    read = await read_upload(given, limit=web.settings.max_upload_bytes, accept={UploadKind.PDF})
    try:
        with scratch_folder() as folder:
            # In a worker thread: the signature check runs an event loop of its own.
            outcome = await run_in_threadpool(
                partial(
                    upload_va,
                    web.engine,
                    vendor_id=own_vendor_id(caller),
                    number=number,
                    finess=finess,
                    pdf_path=stage(folder, read, "va.pdf"),
                    actor=caller.actor,
                    clock=web.settings.clock,
                    referential=web.referential,
                )
            )
    except NotFoundError:
        raise NotFound(f"Aucun bon de commande « {number} » pour votre éditeur.") from None
    except EvidenceRequestError as exc:
        return _order_page(request, web, caller, number, error=str(exc), status_code=422)
    return _order_page(
        request,
        web,
        caller,
        number,
        outcome=outcome,
        status_code=201 if outcome.accepted else 422,
    )


@router.get("/preuves/{number}/documents/{kind}")
def document_download(
    number: NumberPath, kind: DocumentKind, caller: VendorDep, web: WebDep
) -> Response:
    try:
        content = build_document(
            web.engine,
            kind,
            vendor_id=own_vendor_id(caller),
            number=number,
            clock=web.settings.clock,
            referential=web.referential,
        )
    except (EvidenceRequestError, NotFoundError) as exc:
        raise NotFound(str(exc)) from None
    return attachment(f"{DOCUMENT_FILES[kind]}-{number}.pdf", content)
