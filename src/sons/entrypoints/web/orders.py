"""The order editor: a new order (/commandes/nouvelle) and an existing one (/commandes/{numero}).

The form is the whole state: buttons add or remove a site (and « Vérifier » shows the findings)
by posting it back, so the editor works without JavaScript. With it, `sons.js` posts the form to
/commandes/verification on every change and swaps in the regions of the returned fragment:
each site's implications and the order's findings update as answers change. Reading, checking
and saving are `sons.services.order_editing`; this module only maps form fields.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.security import require_caller
from sons.services.accounts import Caller, NotFound
from sons.services.order_editing import (
    CLIENT_KIND_LABELS,
    LINE_NATURES,
    LineDraft,
    OrderDraft,
    OrderEditError,
    OrderReview,
    SiteDraft,
    draft_of,
    editing_vendor,
    editor_choices,
    load_order,
    order_history,
    review_draft,
    save_draft,
)
from sons.services.orders import show_order
from sons.services.questionnaire_links import DEFAULT_DAYS, MAX_DAYS, CreatedLink, links_of
from sons.services.referential import dispositif_list
from sons.store.errors import NotFoundError

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]

# Bounds on what one form may hold: an order has a few sites and lines, never thousands.
MAX_SITES = 200
MAX_LINES = 200
_SITE_FIELD = re.compile(r"site-(\d{1,3})\.(finess_et|q\.(.+))")
_LINE_FIELD = re.compile(r"ligne-(\d{1,3})\.(libelle|montant_ht|nature|facture_segur)")
_REMOVE_SITE = re.compile(r"retirer-site-(\d{1,3})")
ACTION_LABELS = {
    "create": "création",
    "update": "modification",
    "rebase": "rattachement au référentiel",
    "delete": "suppression",
}


def order_path(number: str) -> str:
    return "/commandes/" + quote(number, safe="")


def site_answers_from_form(form: FormData) -> dict[int, dict[str, str]]:
    """Site number → question id → answer as typed, from the fields « site-<n>.q.<id> »."""
    found: dict[int, dict[str, str]] = {}
    for name, value in form.multi_items():
        match = _SITE_FIELD.fullmatch(name)
        if match and match.group(3) is not None and isinstance(value, str):
            index = int(match.group(1))
            if index < MAX_SITES:
                found.setdefault(index, {})[match.group(3)] = value
    return found


def draft_from_form(form: FormData) -> tuple[OrderDraft, str]:
    """The draft the form holds, and the button pressed (« verifier » when none)."""

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    sites: dict[int, dict[str, Any]] = {}
    lines: dict[int, dict[str, Any]] = {}
    for name, value in form.multi_items():
        if not isinstance(value, str):
            continue
        if found := _SITE_FIELD.fullmatch(name):
            index = int(found.group(1))
            if index < MAX_SITES:
                site = sites.setdefault(index, {"finess_et": "", "answers": {}})
                if found.group(3) is not None:
                    site["answers"][found.group(3)] = value
                else:
                    site["finess_et"] = value.strip()
        elif found := _LINE_FIELD.fullmatch(name):
            index = int(found.group(1))
            if index < MAX_LINES:
                lines.setdefault(index, {})[found.group(2)] = value
    version = text("version")
    draft = OrderDraft(
        number=text("numero").strip(),
        solution=text("numero_referencement"),
        dispositif=text("dispositif"),
        client_kind=text("type_client"),
        client_id=text("client"),
        signed_on=text("date_signature"),
        signatory=text("signataire"),
        prestation_ht=text("prestation_ht"),
        prestation_ttc=text("prestation_ttc"),
        under_referencing_condition=text("sous_condition_referencement") == "oui",
        sites=tuple(
            SiteDraft(site["finess_et"], site["answers"]) for _, site in sorted(sites.items())
        ),
        lines=tuple(
            LineDraft(
                line.get("libelle", ""),
                line.get("montant_ht", ""),
                line.get("nature", ""),
                line.get("facture_segur") == "oui",
            )
            for _, line in sorted(lines.items())
        ),
        version=int(version) if version.isdigit() and len(version) < 10 else None,
    )
    return draft, text("action") or "verifier"


def _with_sites(draft: OrderDraft, action: str) -> OrderDraft | None:
    """The draft after the « add a site » / « remove site n » buttons; None for other buttons."""
    if action == "ajouter-site":
        if len(draft.sites) >= MAX_SITES:
            return draft
        return _replace_sites(draft, (*draft.sites, SiteDraft()))
    if found := _REMOVE_SITE.fullmatch(action):
        index = int(found.group(1))
        return _replace_sites(draft, tuple(s for i, s in enumerate(draft.sites) if i != index))
    return None


def _replace_sites(draft: OrderDraft, sites: tuple[SiteDraft, ...]) -> OrderDraft:
    return dataclasses.replace(draft, sites=sites)


def review_for_editor(
    web: SonsWeb, caller: Caller, draft: OrderDraft, editing: str | None
) -> OrderReview:
    pin = (
        load_order(web.engine, caller.vendor_id, editing).order.referential_pin if editing else None
    )
    return review_draft(
        web.engine, caller, draft, today=web.today(), referential=web.referential, pin=pin
    )


def render_editor(
    request: Request,
    web: SonsWeb,
    caller: Caller,
    review: OrderReview,
    *,
    editing: str | None,
    notice: str | None = None,
    error: str | None = None,
    created_link: CreatedLink | None = None,
    link_error: str | None = None,
    status_code: int = 200,
) -> Response:
    draft = review.draft
    # Always one empty line at the end, for the next one.
    lines = [line for line in draft.lines if not line.blank] + [LineDraft()]
    context: dict[str, Any] = {
        "active": "orders",
        "is_new": editing is None,
        "form_action": "/commandes/nouvelle" if editing is None else order_path(editing),
        "draft": draft,
        "review": review,
        "lines": lines,
        "choices": editor_choices(web.engine, caller),
        "dispositifs": dispositif_list(web.referential),
        "client_kinds": [(kind.value, label) for kind, label in CLIENT_KIND_LABELS.items()],
        "natures": list(LINE_NATURES.items()),
        "notice": notice,
        "error": error,
        "created_link": created_link,
        "created_url": (
            str(request.base_url) + "questionnaire/" + created_link.token if created_link else ""
        ),
        "link_error": link_error,
        "links": [],
        "history": (),
        "action_labels": ACTION_LABELS,
        "default_days": DEFAULT_DAYS,
        "max_days": MAX_DAYS,
    }
    if editing is not None:
        context["links"] = links_of(web.engine, caller, editing, clock=web.settings.clock)
        context["history"] = order_history(web.engine, caller, editing)
    return web.render(request, "order_edit.html", context, status_code=status_code)


@router.get("/commandes/nouvelle")
def new_order_page(
    request: Request,
    caller: CallerDep,
    web: WebDep,
    client: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """An empty order; `client` (from a client's card) fills the client in."""
    editing_vendor(caller)
    choices = editor_choices(web.engine, caller)
    first = choices.solutions[0] if len(choices.solutions) == 1 else None
    draft = OrderDraft(
        solution=first.referencing_number if first else "",
        dispositif=first.dispositif if first else "",
        client_id=client.strip(),
        signed_on=web.today().isoformat(),
        sites=(SiteDraft(),),
    )
    return render_editor(
        request, web, caller, review_for_editor(web, caller, draft, None), editing=None
    )


@router.post("/commandes/nouvelle")
async def new_order_post(request: Request, caller: CallerDep, web: WebDep) -> Response:
    return await _post(request, caller, web, editing=None)


@router.post("/commandes/verification")
async def review_fragment(request: Request, caller: CallerDep, web: WebDep) -> Response:
    """The live regions of the editor for the posted form (the page's script calls it)."""
    form = await request.form()
    draft, _ = draft_from_form(form)
    edition = form.get("edition")
    editing = edition if isinstance(edition, str) and edition else None
    review = review_for_editor(web, caller, draft, editing)
    return web.render(request, "order_review.html", {"review": review, "fragment": True})


@router.get("/commandes/{numero:path}")
def order_page(request: Request, numero: str, caller: CallerDep, web: WebDep) -> Response:
    if caller.is_operator:
        return _operator_view(request, numero, web)
    stored = load_order(web.engine, editing_vendor(caller), numero)
    saved = request.query_params.get("enregistre") == "1"
    notice = (
        f"Bon de commande {stored.number} enregistré (version {stored.version})." if saved else None
    )
    review = review_for_editor(web, caller, draft_of(stored), stored.number)
    return render_editor(request, web, caller, review, editing=stored.number, notice=notice)


@router.post("/commandes/{numero:path}")
async def order_post(request: Request, numero: str, caller: CallerDep, web: WebDep) -> Response:
    stored = load_order(web.engine, editing_vendor(caller), numero)
    return await _post(request, caller, web, editing=stored.number)


async def _post(request: Request, caller: Caller, web: SonsWeb, *, editing: str | None) -> Response:
    draft, action = draft_from_form(await request.form())
    changed = _with_sites(draft, action)
    if changed is not None or action != "enregistrer":
        review = review_for_editor(web, caller, changed or draft, editing)
        return render_editor(request, web, caller, review, editing=editing)
    try:
        stored, _ = save_draft(
            web.engine,
            caller,
            draft,
            today=web.today(),
            referential=web.referential,
            editing=editing,
            clock=web.settings.clock,
        )
    except OrderEditError as exc:
        return render_editor(
            request,
            web,
            caller,
            exc.review,
            editing=editing,
            error=exc.message,
            status_code=exc.status,
        )
    return RedirectResponse(order_path(stored.number) + "?enregistre=1", status_code=303)


def _operator_view(request: Request, numero: str, web: SonsWeb) -> Response:
    """The operator reads any vendor's order (as the order list shows them), never edits it."""
    vendor = request.query_params.get("editeur", "")
    if not (vendor.isdigit() and len(vendor) < 10):
        raise NotFound(f"Le bon de commande « {numero} » n'existe pas (éditeur non précisé).")
    try:
        view = show_order(
            web.engine, int(vendor), numero, today=web.today(), referential=web.referential
        )
    except NotFoundError:
        raise NotFound(f"Le bon de commande « {numero} » n'existe pas pour cet éditeur.") from None
    return web.render(
        request,
        "order_view.html",
        {"active": "orders", "view": view, "action_labels": ACTION_LABELS},
    )
