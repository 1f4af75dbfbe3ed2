"""The operator's pages: the instruction queue and the a-posteriori control reports.

Only the operator's roles (instructor, administrator) open them; a vendor's user gets 403. The
queue lists what was filed with the operator (drafts are the vendors' own business), counted
per status and dispositif; a request opens on its page (`funding_requests`), where the
decisions are taken. The controls run `analytics.controls.run_controls` on the files uploaded,
as `sons operator controls` does, and keep the reports of the run (CSV, XLSX) for download by
the same user for a while, in memory: nothing of it is written to the store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import Response

from sons.domain.workflow import KIND_LABELS, Audience, RequestKind, Status, status_label
from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.files import attachment, scratch_folder, stage
from sons.entrypoints.web.security import require_roles
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.findings import Finding, Severity
from sons.services import control_reports, instruction
from sons.services.accounts import Caller, NotFound, Role
from sons.services.instruction import QueueLine
from sons.services.referential import ScenarioInputError, read_date

if TYPE_CHECKING:
    from sons.analytics.paid_balances import PaidBalances

router = APIRouter()

OperatorDep = Annotated[Caller, require_roles(Role.OPERATOR_INSTRUCTOR, Role.OPERATOR_ADMIN)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]

PAGE_SIZE = 100
ALL = "toutes"
# Reports of a control run stay downloadable this long, for this many runs at most.


def _operator_label(status: Status) -> str:
    return status_label(status, RequestKind.ADVANCE, Audience.OPERATOR)


# --- the queue --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    status: str
    dispositif: str
    kind: str
    vendor: str
    page: int

    def query(self, page: int) -> str:
        """The queue's address with these filters, at `page`."""
        values = {
            "statut": self.status,
            "dispositif": self.dispositif,
            "nature": self.kind,
            "editeur": self.vendor,
            "page": str(page) if page > 1 else "",
        }
        return "/operateur?" + urlencode({k: v for k, v in values.items() if v})


def _filters(request: Request) -> QueueFilters:
    params = request.query_params
    page = params.get("page", "1")
    return QueueFilters(
        status=params.get("statut", "").strip(),
        dispositif=params.get("dispositif", "").strip(),
        kind=params.get("nature", "").strip(),
        vendor=params.get("editeur", "").strip(),
        page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
    )


def _matches(line: QueueLine, filters: QueueFilters) -> bool:
    request = line.request
    if filters.status == ALL:
        pass
    elif filters.status:
        if request.status.value != filters.status:
            return False
    elif request.status not in instruction.AWAITING_OPERATOR:
        return False
    if filters.dispositif and request.dispositif.upper() != filters.dispositif.upper():
        return False
    if filters.kind and request.kind.value != filters.kind:
        return False
    return not (filters.vendor and str(request.vendor_id) != filters.vendor)


@router.get("/operateur")
def queue_page(request: Request, caller: OperatorDep, web: WebDep) -> Response:
    filters = _filters(request)
    # The operator sees what was filed with it: a vendor's drafts stay the vendor's.
    lines = [
        line
        for group in instruction.queue(web.engine).groups
        if group.status is not Status.DRAFT
        for line in group.lines
    ]
    counts = Counter((line.request.status, line.request.dispositif) for line in lines)
    dispositifs = sorted({d for _, d in counts})
    statuses = [s for s in Status if s is not Status.DRAFT]
    table = [
        (s, _operator_label(s), [counts.get((s, d), 0) for d in dispositifs])
        for s in statuses
        if any(counts.get((s, d), 0) for d in dispositifs)
    ]
    chosen = [line for line in lines if _matches(line, filters)]
    chosen.sort(key=lambda line: (line.request.status is not Status.INCOMPLETE, line.request.id))
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(filters.page, pages)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return web.render(
        request,
        "operator_queue.html",
        {
            "active": "queue",
            "filters": filters,
            "table": table,
            "dispositifs": dispositifs,
            "totals": [sum(counts.get((s, d), 0) for s in statuses) for d in dispositifs],
            "incomplete": sum(1 for line in lines if line.request.status is Status.INCOMPLETE),
            "lines": [(line, _operator_label(line.request.status)) for line in shown],
            "kind_labels": KIND_LABELS,
            "count": len(chosen),
            "page": page,
            "pages": pages,
            "status_choices": [(s.value, _operator_label(s)) for s in statuses],
            "kinds": [(k.value, KIND_LABELS[k]) for k in RequestKind],
            "vendor_names": web.accounts.vendor_names(caller),
            "all": ALL,
        },
    )


# --- the a-posteriori controls ----------------------------------------------------------------


def _given(value: Any) -> UploadFile | None:
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


@router.get("/operateur/controles")
def controls_form(request: Request, _caller: OperatorDep, web: WebDep) -> Response:
    return web.render(request, "operator_controls.html", {"active": "controls", "date": ""})


@router.post("/operateur/controles")
async def controls_run(request: Request, caller: OperatorDep, web: WebDep) -> Response:
    # DuckDB and openpyxl are loaded here: no other page needs them.
    import duckdb

    from sons.analytics.conditions import controlled_conditions
    from sons.analytics.controls import VERDICT_LABELS, Verdict, run_controls
    from sons.analytics.paid_balances import paid_balances
    from sons.analytics.sources import InputError
    from sons.analytics.usage import summary_of

    form = await request.form()
    date_text = str(form.get("date") or "")
    context: dict[str, Any] = {"active": "controls", "date": date_text}

    def refused(message: str, findings: tuple[Finding, ...] | list[Finding] = ()) -> Response:
        return web.render(
            request,
            "operator_controls.html",
            {**context, "error": message, "input_findings": list(findings)},
            status_code=422,
        )

    try:
        cutoff = read_date(date_text, web.today(), "Date d'arrêté") if date_text else None
    except ScenarioInputError as exc:
        return refused(str(exc))
    stats = [u for u in (_given(v) for v in form.getlist("statistiques")) if u is not None]
    balances = _given(form.get("soldes"))
    directory = _given(form.get("etablissements"))
    if not stats or directory is None:
        return refused(
            "Les statistiques d'usage et l'annuaire des établissements (CSV) sont nécessaires ; "
            "les soldes payés sont ceux de la base quand aucun fichier n'est donné."
        )
    limit = web.settings.max_upload_bytes
    with scratch_folder() as folder:
        stats_paths = []
        for index, upload in enumerate(stats):
            read = await read_upload(upload, limit=limit, accept={UploadKind.TEXT})
            sub = folder / "statistiques" / str(index)
            sub.mkdir(parents=True)
            stats_paths.append(str(stage(sub, read, "statistiques.csv")))
        source: Path | PaidBalances
        if balances is None:  # the balances « Décidée et payée » of the store, every vendor
            source = await run_in_threadpool(paid_balances, web.engine, web.referential)
        else:
            read = await read_upload(balances, limit=limit, accept={UploadKind.TEXT})
            source = stage(folder, read, "soldes.csv")
        directory_path = stage(
            folder,
            await read_upload(directory, limit=limit, accept={UploadKind.TEXT}),
            "etablissements.csv",
        )
        out_dir = folder / "rapports"
        try:
            # DuckDB works for a while: off the event loop.
            report = await run_in_threadpool(
                partial(
                    run_controls,
                    stats_paths,
                    source,
                    controlled_conditions(web.referential),
                    directory_path,
                    out_dir,
                    cutoff=cutoff,
                    keep_detail=True,
                )
            )
        except InputError as exc:
            return refused("Entrée inutilisable : aucun contrôle réalisé.", exc.findings)
        except duckdb.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return refused(f"DuckDB n'a pas pu faire les contrôles ({reason}) : aucun rapport.")
        files = {path.name: path.read_bytes() for path in report.files}
    token = (
        await run_in_threadpool(
            control_reports.keep, web.engine, caller, files, clock=web.settings.clock
        )
        if files
        else None
    )
    detail = list(report.detail or ())
    shortfalls = [r for r in detail if r.verdict is not Verdict.CONFORME]
    return web.render(
        request,
        "operator_controls.html",
        {
            **context,
            "report": report,
            "usage_summary": summary_of(report.usage),
            "totals": [(VERDICT_LABELS[v], report.totals.get(v, 0)) for v in Verdict],
            "verdict_labels": VERDICT_LABELS,
            "shortfalls": shortfalls,
            "token": token,
            "file_names": sorted(files),
            "errors": sum(1 for f in report.findings if f.severity is Severity.ERROR),
        },
        status_code=200 if report.statistics_valid else 422,
    )


@router.get("/operateur/controles/{token}/{name}")
def controls_download(
    web: WebDep,
    token: Annotated[str, PathParam(max_length=64)],
    name: Annotated[str, PathParam(max_length=64)],
    caller: OperatorDep,
) -> Response:
    content = control_reports.report_file(web.engine, caller, token, name, clock=web.settings.clock)
    if content is None:
        raise NotFound(
            "Ce rapport n'est plus disponible (les rapports d'un contrôle sont gardés une heure) : "
            "relancez le contrôle."
        )
    return attachment(name, content)
