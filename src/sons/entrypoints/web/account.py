"""My account (API tokens) and, for administrators, the users of the organisation."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request
from starlette.responses import RedirectResponse, Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.security import require_admin, require_caller
from sons.services.accounts import (
    ROLE_LABELS,
    ROLES_OF,
    AccountError,
    Caller,
    CreatedToken,
)

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
AdminDep = Annotated[Caller, Depends(require_admin)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _account(
    request: Request,
    web: SonsWeb,
    caller: Caller,
    *,
    created: CreatedToken | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return web.render(
        request,
        "account.html",
        {
            "me": web.accounts.me(caller),
            "tokens": web.accounts.tokens(caller),
            "created": created,
            "error": error,
            "active": "account",
        },
        status_code=status_code,
    )


@router.get("/compte")
def account_page(request: Request, caller: CallerDep, web: WebDep) -> Response:
    return _account(request, web, caller)


@router.post("/compte/jetons")
def create_token(
    request: Request, caller: CallerDep, web: WebDep, nom: Annotated[str, Form()] = ""
) -> Response:
    try:
        created = web.accounts.create_token(caller, nom)
    except AccountError as exc:
        return _account(request, web, caller, error=exc.message, status_code=422)
    # Rendered, not redirected: the secret is shown this once and never again.
    return _account(request, web, caller, created=created, status_code=201)


@router.post("/compte/jetons/{token_id}/revoquer")
def revoke_token(token_id: IdPath, caller: CallerDep, web: WebDep) -> Response:
    web.accounts.revoke_token(caller, token_id)
    return RedirectResponse("/compte", status_code=303)


def _users(
    request: Request,
    web: SonsWeb,
    caller: Caller,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    roles = sorted(ROLES_OF[caller.organisation_kind])
    return web.render(
        request,
        "users.html",
        {
            "users": web.accounts.users(caller),
            "roles": [(r.value, ROLE_LABELS[r]) for r in roles],
            "form": form or {"email": "", "nom": "", "role": roles[-1].value},
            "error": error,
            "notice": notice,
            "active": "users",
        },
        status_code=status_code,
    )


@router.get("/utilisateurs")
def users_page(request: Request, caller: AdminDep, web: WebDep) -> Response:
    created = request.query_params.get("cree")
    notice = f"Compte créé pour {created}." if created else None
    return _users(request, web, caller, notice=notice)


@router.post("/utilisateurs")
def create_user(
    request: Request,
    caller: AdminDep,
    web: WebDep,
    email: Annotated[str, Form()] = "",
    nom: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        created = web.accounts.add_user(caller, email=email, name=nom, role=role, password=password)
    except AccountError as exc:
        form = {"email": email, "nom": nom, "role": role}
        return _users(request, web, caller, error=exc.message, form=form, status_code=422)
    return RedirectResponse(f"/utilisateurs?cree={quote(created.user.email)}", status_code=303)
