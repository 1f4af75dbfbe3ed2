"""The referential pages: the dispositifs, one dispositif, and « expliquer un scénario »."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.responses import Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.security import require_caller
from sons.entrypoints.web.uploads import UploadKind, read_upload
from sons.referential.loader import DispositifAtDate, UnknownDispositif
from sons.services.accounts import Caller
from sons.services.referential import (
    ANSWER_FIELD_PREFIX,
    ScenarioInputError,
    ScenarioResult,
    answers_from_json,
    dispositif_at,
    dispositif_list,
    explain_scenario,
    form_value,
    read_date,
    read_form_answers,
)

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]


@router.get("/referentiel")
def dispositifs_page(request: Request, _caller: CallerDep, web: WebDep) -> Response:
    return web.render(
        request,
        "dispositifs.html",
        {"dispositifs": dispositif_list(web.referential), "active": "referential"},
    )


@router.get("/referentiel/{code}")
def dispositif_page(
    request: Request, code: str, _caller: CallerDep, web: WebDep, date: str | None = None
) -> Response:
    try:
        on = read_date(date, web.today())
    except ScenarioInputError as exc:
        return web.render(
            request,
            "error.html",
            {"title": "Date invalide", "message": str(exc)},
            status_code=422,
        )
    data = dispositif_at(web.referential, code, on)
    return web.render(request, "dispositif.html", {"d": data, "active": "referential"})


@router.get("/expliquer")
def explain_page(request: Request, _caller: CallerDep, web: WebDep) -> Response:
    """The questionnaire of a dispositif; once sent (`envoye`), the explanation under it."""
    params = request.query_params
    code = params.get("dispositif", "").strip()
    try:
        on = read_date(params.get("date"), web.today())
    except ScenarioInputError as exc:
        return _explain(request, web, code, web.today(), error=str(exc), status_code=422)
    if not code:
        return _explain(request, web, "", on)
    try:
        view = web.referential.at(code, on)
    except UnknownDispositif as exc:
        return _explain(request, web, "", on, error=str(exc), status_code=404)
    sent = params.get("envoye") == "1"
    answers = read_form_answers(view, params.multi_items())
    # Once sent, the ticked boxes are the obtained profiles, none ticked included.
    profiles = params.getlist("profil") if sent else None
    return _explain(
        request, web, code, on, view=view, answers=answers, profiles=profiles, sent=sent
    )


@router.post("/expliquer")
async def explain_upload(
    request: Request,
    _caller: CallerDep,
    web: WebDep,
    fichier: Annotated[UploadFile, File()],
    dispositif: Annotated[str, Form()],
    date: Annotated[str, Form()] = "",
) -> Response:
    """The same explanation, from an answers file (JSON, as `sons referential explain`)."""
    try:
        on = read_date(date, web.today())
        view = web.referential.at(dispositif, on)
    except ScenarioInputError as exc:
        return _explain(request, web, dispositif, web.today(), error=str(exc), status_code=422)
    upload = await read_upload(
        fichier, limit=web.settings.max_upload_bytes, accept={UploadKind.JSON}
    )
    try:
        answers = answers_from_json(upload.text(), upload.name)
    except ScenarioInputError as exc:
        return _explain(request, web, view.code, on, view=view, error=str(exc), status_code=422)
    return _explain(request, web, view.code, on, view=view, answers=answers, sent=True)


def _explain(
    request: Request,
    web: SonsWeb,
    code: str,
    on: dt.date,
    *,
    view: DispositifAtDate | None = None,
    answers: dict[str, Any] | None = None,
    profiles: list[str] | None = None,
    sent: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    answers = answers or {}
    result: ScenarioResult | None = None
    if view is not None and sent:
        result = explain_scenario(web.referential, view.code, on, answers, profiles)
    ticked = {p.casefold() for p in profiles or ()}
    context = {
        "active": "explain",
        "dispositifs": dispositif_list(web.referential),
        "code": view.code if view is not None else code,
        "on": on,
        "view": view,
        "questions": [
            {
                "id": q.id,
                "field": ANSWER_FIELD_PREFIX + q.id,
                "label": q.label,
                "type": q.type,
                "required": q.required,
                "help": q.help,
                "choices": [(c.value, c.label) for c in q.choices or ()],
                "value": form_value(answers.get(q.id)),
            }
            for q in (view.questions if view is not None else ())
        ],
        "profiles": [
            {
                "id": p.id,
                "label": p.label,
                "mandatory": p.mandatory,
                "checked": p.id.casefold() in ticked or p.label.casefold() in ticked,
            }
            for p in (view.profiles if view is not None else ())
        ],
        "sent": sent,
        "result": result,
        "error": error,
    }
    if result is not None and result.input_invalid and status_code == 200:
        status_code = 422
    return web.render(request, "explain.html", context, status_code=status_code)
