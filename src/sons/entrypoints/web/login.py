"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.security import (
    PRE_SESSION_CSRF_COOKIE,
    SESSION_COOKIE,
    client_ip,
    current_session,
    set_cookie,
)
from sons.services.accounts import LoginFailed, LoginThrottled

router = APIRouter()

HOME = "/tableau-de-bord"


def safe_next(target: str) -> str:
    """Only a path of this site: never another site (open redirect)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")) and "\n" not in target:
        return target
    return HOME


@router.get("/")
def root(request: Request) -> Response:
    return RedirectResponse(HOME if current_session(request) else "/connexion", status_code=303)


@router.get("/connexion")
def login_page(
    request: Request, web: Annotated[SonsWeb, Depends(sons_web)], suivant: str = ""
) -> Response:
    if current_session(request) is not None:
        return RedirectResponse(safe_next(suivant), status_code=303)
    notice = "Vous êtes déconnecté." if "au-revoir" in request.query_params else None
    return web.render(
        request, "login.html", {"next": suivant, "email": "", "error": None, "notice": notice}
    )


@router.post("/connexion")
def log_in(
    request: Request,
    web: Annotated[SonsWeb, Depends(sons_web)],
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    suivant: Annotated[str, Form()] = "",
) -> Response:
    try:
        opened = web.accounts.log_in(client_ip(request), email, password)
    except LoginThrottled as exc:
        refused = web.render(
            request,
            "login.html",
            {"next": suivant, "email": email, "error": exc.message, "notice": None},
            status_code=429,
        )
        refused.headers["Retry-After"] = str(exc.retry_after)
        return refused
    except LoginFailed as exc:
        return web.render(
            request,
            "login.html",
            {"next": suivant, "email": email, "error": exc.message, "notice": None},
            status_code=401,
        )
    response = RedirectResponse(safe_next(suivant), status_code=303)
    max_age = int(web.settings.session_ttl.total_seconds())
    set_cookie(response, request, SESSION_COOKIE, opened.token, max_age=max_age)
    response.delete_cookie(PRE_SESSION_CSRF_COOKIE, path="/")
    return response


@router.post("/deconnexion")
def log_out(request: Request, web: Annotated[SonsWeb, Depends(sons_web)]) -> Response:
    session = current_session(request)
    if session is not None:
        web.accounts.log_out(session.token)
    response = RedirectResponse("/connexion?au-revoir", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
