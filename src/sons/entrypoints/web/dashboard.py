"""The dashboard of each role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.security import require_caller
from sons.services.accounts import Caller
from sons.services.dashboard import SOON_DAYS, build_dashboard

router = APIRouter()


@router.get("/tableau-de-bord")
def dashboard_page(
    request: Request,
    caller: Annotated[Caller, Depends(require_caller)],
    web: Annotated[SonsWeb, Depends(sons_web)],
) -> Response:
    board = build_dashboard(web.engine, web.accounts, web.referential, caller, web.today())
    return web.render(
        request,
        "dashboard.html",
        {"board": board, "soon_days": SOON_DAYS, "active": "dashboard"},
    )
