"""The REST API, mounted at `/api/v1`: one router per idea, one error shape, OpenAPI served.

The specification is at `/api/v1/openapi.json`; `/api/v1/docs` renders it as a page of this
site (FastAPI's Swagger UI would load its scripts from a CDN).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse

from sons.entrypoints.api import (
    accounts,
    clients,
    deposits,
    documents,
    evidence,
    operator,
    orders,
    referential,
    requests,
    solutions,
)
from sons.entrypoints.api.errors import register_errors
from sons.entrypoints.api.service_errors import register_service_errors

if TYPE_CHECKING:
    from sons.entrypoints.web.context import SonsWeb

DESCRIPTION = """API de sons (financement Ségur SONS).

Authentification : un jeton d'API (`Authorization: Bearer sons_…`, créé sur la page « Mon compte »)
ou la session du navigateur (avec l'en-tête `X-CSRF-Token` pour les écritures).

Erreurs : toujours `{"error": {"code", "message", "findings": [...]}}` ; les codes des constats
sont ceux de la ligne de commande.

Listes : paginées (`page`, `per_page` ≤ 200 ; total dans le corps, en-têtes `Link` et
`X-Total-Count`), filtrables, exportables en entier avec `format=csv` ou `format=xlsx`.
Guide : docs/api.md.
"""

_METHODS = ("get", "post", "put", "patch", "delete")

# One router per idea; a new resource is added here. Documents before orders: both live under
# /orders, and the more specific paths are matched first.
ROUTERS = (
    accounts.router,
    referential.router,
    clients.router,
    solutions.router,
    documents.router,
    orders.router,
    deposits.router,
    requests.router,
    evidence.router,
    operator.router,
)


def create_api(sons: SonsWeb) -> FastAPI:
    api = FastAPI(
        title="sons — API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.sons = sons
    register_errors(api)
    register_service_errors(api)
    for router in ROUTERS:
        api.include_router(router)

    @api.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        spec = api.openapi()
        return sons.render(request, "api_docs.html", {"spec": spec, "operations": operations(spec)})

    return api


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The operations of a specification, in path order, ready for the documentation page."""
    found: list[dict[str, Any]] = []
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            found.append(
                {
                    "method": method.upper(),
                    "path": "/api/v1" + path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tags": operation.get("tags", []),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "body": _schema_name(operation.get("requestBody")),
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return found


def _schema_name(body: dict[str, Any] | None) -> str | None:
    if not body:
        return None
    content = body.get("content", {})
    if "multipart/form-data" in content:
        return "multipart/form-data (fichiers et champs)"
    schema = content.get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref else "JSON"
