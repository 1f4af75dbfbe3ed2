"""The client questionnaire link: the vendor creates and revokes links from the order editor;
the client's IT manager opens /questionnaire/{jeton} without an account, answers per site,
sees what each answer implies, and submits once.

The client's pages carry no session: their forms are protected by the pre-session CSRF token
(double submit, as the login form), and the link itself is the credential — checked by
`sons.services.questionnaire_links` on every request, before anything is read or stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.responses import Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.orders import render_editor, review_for_editor, site_answers_from_form
from sons.entrypoints.web.security import require_caller
from sons.services.accounts import Caller
from sons.services.order_editing import draft_of, editing_vendor, load_order
from sons.services.questionnaire_links import (
    AnswersRefused,
    LinkRefused,
    OpenedLink,
    create_link,
    open_link,
    read_answers,
    revoke_link,
    submit_answers,
)
from sons.services.referential import form_value

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
TokenPath = Annotated[str, Path(max_length=400)]


# --- the vendor's side --------------------------------------------------------------------------


def _editor(
    request: Request,
    web: SonsWeb,
    caller: Caller,
    number: str,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    stored = load_order(web.engine, editing_vendor(caller), number)
    review = review_for_editor(web, caller, draft_of(stored), stored.number)
    return render_editor(
        request, web, caller, review, editing=stored.number, status_code=status_code, **extra
    )


@router.post("/liens-questionnaire")
def create_link_post(
    request: Request,
    caller: CallerDep,
    web: WebDep,
    numero: Annotated[str, Form(max_length=200)],
    destinataire: Annotated[str, Form(max_length=400)] = "",
    jours: Annotated[int, Form(ge=-(2**31), le=2**31 - 1)] = 14,
) -> Response:
    try:
        created = create_link(
            web.engine,
            caller,
            numero,
            recipient=destinataire,
            days=jours,
            secret=web.settings.secret_key,
            clock=web.settings.clock,
        )
    except AnswersRefused as exc:
        return _editor(request, web, caller, numero, 422, link_error=exc.message)
    # Rendered, not redirected: the link is shown this once (only its digest is kept).
    return _editor(request, web, caller, numero, 201, created_link=created)


@router.post("/liens-questionnaire/{link_id}/revoquer")
def revoke_link_post(request: Request, link_id: IdPath, caller: CallerDep, web: WebDep) -> Response:
    try:
        link, number = revoke_link(web.engine, caller, link_id, clock=web.settings.clock)
    except AnswersRefused as exc:
        return web.render(
            request,
            "error.html",
            {"title": "Lien déjà clos", "message": exc.message},
            status_code=409,
        )
    return _editor(
        request,
        web,
        caller,
        number,
        notice=f"Lien n° {link.id} révoqué : il n'ouvre plus le questionnaire.",
    )


# --- the client's side --------------------------------------------------------------------------


def _refused(request: Request, web: SonsWeb, exc: LinkRefused) -> Response:
    return web.render(
        request,
        "questionnaire_refused.html",
        {"title": exc.title, "message": exc.message},
        status_code=exc.status,
    )


def _page(
    request: Request,
    web: SonsWeb,
    token: str,
    opened: OpenedLink,
    answers: list[dict[str, str]] | None,
    *,
    name: str = "",
    email: str = "",
    version: int | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    order = opened.order
    # Unless the client typed some, the answers already in the order (the vendor's draft).
    shown = (
        answers
        if answers is not None
        else [
            {qid: form_value(value) for qid, value in site.answers.items()} for site in order.sites
        ]
    )
    typed = read_answers(opened, shown)
    context = {
        "token": token,
        "opened": opened,
        "order": order,
        "sites": [
            {
                "index": index,
                "finess_et": site.finess_et,
                "name": opened.site_names.get(site.finess_et or "", None),
                "answers": shown[index],
                "result": opened.explain(typed[index]),
            }
            for index, site in enumerate(order.sites)
        ],
        "name": name,
        "email": email,
        "version": opened.stored.version if version is None else version,
        "error": error,
    }
    return web.render(request, "questionnaire.html", context, status_code=status_code)


def _client_answers(form: Any, opened: OpenedLink) -> list[dict[str, str]]:
    """One answer set per site of the order, by the site's number in the form (a site the
    form left out has no answers; a site the order does not have is ignored)."""
    by_site = site_answers_from_form(form)
    return [by_site.get(index, {}) for index in range(len(opened.order.sites))]


@router.get("/questionnaire/{token}")
def client_page(request: Request, token: TokenPath, web: WebDep) -> Response:
    try:
        opened = open_link(
            web.engine,
            token,
            secret=web.settings.secret_key,
            referential=web.referential,
            clock=web.settings.clock,
        )
    except LinkRefused as exc:
        return _refused(request, web, exc)
    return _page(request, web, token, opened, None)


@router.post("/questionnaire/{token}/verification")
async def client_fragment(request: Request, token: TokenPath, web: WebDep) -> Response:
    """The implications of the posted answers, per site (the page's script calls it)."""
    try:
        opened = open_link(
            web.engine,
            token,
            secret=web.settings.secret_key,
            referential=web.referential,
            clock=web.settings.clock,
        )
    except LinkRefused as exc:
        return _refused(request, web, exc)
    answers = _client_answers(await request.form(), opened)
    typed = read_answers(opened, answers)
    sites = [
        {"index": index, "result": opened.explain(site_answers)}
        for index, site_answers in enumerate(typed)
    ]
    return web.render(request, "questionnaire_review.html", {"sites": sites, "fragment": True})


@router.post("/questionnaire/{token}")
async def client_submit(request: Request, token: TokenPath, web: WebDep) -> Response:
    form = await request.form()
    settings = web.settings
    try:
        opened = open_link(
            web.engine,
            token,
            secret=settings.secret_key,
            referential=web.referential,
            clock=settings.clock,
        )
    except LinkRefused as exc:
        return _refused(request, web, exc)
    answers = _client_answers(form, opened)
    name = str(form.get("nom") or "")[:400]
    email = str(form.get("email") or "")[:400]
    raw_version = str(form.get("version") or "")
    version = int(raw_version) if raw_version.isdigit() and len(raw_version) < 10 else 0
    if form.get("action") != "envoyer":
        return _page(request, web, token, opened, answers, name=name, email=email, version=version)
    try:
        _, stored = submit_answers(
            web.engine,
            token,
            secret=settings.secret_key,
            referential=web.referential,
            name=name,
            email=email,
            sites=answers,
            version=version,
            clock=settings.clock,
        )
    except LinkRefused as exc:
        return _refused(request, web, exc)
    except AnswersRefused as exc:
        status = 409 if exc.version is not None and exc.version != version else 422
        return _page(
            request,
            web,
            token,
            opened,
            answers,
            name=name,
            email=email,
            version=exc.version,
            error=exc.message,
            status_code=status,
        )
    return web.render(
        request,
        "questionnaire_done.html",
        {
            "order": stored.order,
            "vendor_name": opened.vendor_name,
            "name": name,
            "at": settings.clock(),
        },
    )
