"""The application: server-rendered pages at `/`, the REST API at `/api/v1`.

    app = create_app(WebSettings(database_url="sqlite:///var/sons.sqlite3"))

Pages live in one router per idea (login, dashboard, referential, account); all of them share
the CSRF guard, so a new form is protected by being added there (see docs/web.md).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from sons.entrypoints.api import create_api
from sons.entrypoints.web import (
    account,
    clients,
    dashboard,
    deposits,
    evidence,
    funding_requests,
    login,
    operator,
    orders,
    orders_list,
    questionnaire,
    referential,
    solutions,
)
from sons.entrypoints.web.context import STATIC_DIR, SonsWeb
from sons.entrypoints.web.security import (
    BodyLimitMiddleware,
    CsrfRejected,
    LoginRequired,
    RoleRequired,
    SecurityHeadersMiddleware,
    csrf_protect,
)
from sons.entrypoints.web.settings import WebSettings
from sons.entrypoints.web.uploads import UploadRefused
from sons.referential.loader import UnknownDispositif
from sons.schema_errors import french_message, key_path
from sons.services.accounts import AccountError, Forbidden, NotFound

API_PREFIX = "/api/v1"

log = logging.getLogger("sons.web")


# One router per idea; a new page module is added here.
PAGE_ROUTERS = (
    login.router,
    dashboard.router,
    orders_list.router,
    referential.router,
    account.router,
    deposits.router,
    funding_requests.router,
    evidence.router,
    operator.router,
    # After the order list: /commandes/{numero} would otherwise shadow its sub-paths.
    clients.router,
    solutions.router,
    orders.router,
    questionnaire.router,
)


def pages_router() -> APIRouter:
    """Every page; `csrf_protect` guards each POST/PUT/PATCH/DELETE among them."""
    router = APIRouter(dependencies=[Depends(csrf_protect)])
    for page_router in PAGE_ROUTERS:
        router.include_router(page_router)
    return router


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The whole application on the database `settings` names, migrated first."""
    sons = SonsWeb(settings or WebSettings())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        sons.engine.dispose()

    app = FastAPI(
        title="sons",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.sons = sons
    app.include_router(pages_router())
    app.mount(API_PREFIX, create_api(sons))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _register_page_errors(app, sons)
    # Outermost last: the size limit runs before anything reads the body.
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=sons.settings.max_request_bytes)
    return app


def _register_page_errors(app: FastAPI, sons: SonsWeb) -> None:
    def page(request: Request, status: int, title: str, message: str) -> Response:
        return sons.render(
            request, "error.html", {"title": title, "message": message}, status_code=status
        )

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/connexion?suivant={quote(target, safe='')}", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        return page(request, 403, "Demande refusée", exc.message)

    @app.exception_handler(RoleRequired)
    async def role_required(request: Request, exc: RoleRequired) -> Response:
        return page(request, 403, "Accès refusé", exc.message)

    @app.exception_handler(AccountError)
    async def account_error(request: Request, exc: AccountError) -> Response:
        if isinstance(exc, NotFound):
            return page(request, 404, "Introuvable", exc.message)
        if isinstance(exc, Forbidden):
            return page(request, 403, "Accès refusé", exc.message)
        return page(request, 422, "Demande invalide", exc.message)

    @app.exception_handler(UnknownDispositif)
    async def unknown_dispositif(request: Request, exc: UnknownDispositif) -> Response:
        return page(request, 404, "Dispositif inconnu", str(exc))

    @app.exception_handler(UploadRefused)
    async def upload_refused(request: Request, exc: UploadRefused) -> Response:
        return page(request, exc.status, "Fichier refusé", exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{key_path(error['loc'])} : {french_message(error)}" for error in exc.errors()
        )
        return page(request, 422, "Demande invalide", f"Champs invalides — {problems}.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return page(request, 404, "Page introuvable", "Cette page n'existe pas.")
        if exc.status_code == 405:
            return page(
                request, 405, "Méthode non permise", "Cette adresse ne s'utilise pas ainsi."
            )
        return page(request, exc.status_code, "Erreur", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("erreur inattendue sur %s", request.url.path, exc_info=exc)
        return page(
            request,
            500,
            "Erreur interne",
            "Une erreur inattendue est survenue ; elle est consignée dans le journal du serveur.",
        )
