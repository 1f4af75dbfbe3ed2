"""What every page and route shares: the database, the services, the referential, templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from sons.domain.money import format_euros
from sons.entrypoints.web.security import (
    PRE_SESSION_CSRF_COOKIE,
    csrf_token_for,
    current_session,
    set_cookie,
)
from sons.entrypoints.web.settings import WebSettings
from sons.findings import SEVERITY_LABELS, Severity
from sons.referential.loader import Referential, default_referential
from sons.referential.model import STRENGTH_LABELS, Strength
from sons.services.accounts import Accounts
from sons.store.database import open_store

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"


def _date_fr(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        local = value.astimezone(ZoneInfo("Europe/Paris"))
        return local.strftime("%d/%m/%Y à %H:%M")
    # Not strftime: lists show dozens of dates per page, and it takes three times as long.
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def _strength_label(value: str) -> str:
    try:
        return STRENGTH_LABELS[Strength(value)]
    except ValueError:
        return value


def _severity_label(value: str) -> str:
    try:
        return SEVERITY_LABELS[Severity(value)]
    except ValueError:
        return value


def environment() -> jinja2.Environment:
    """Templates escape every value: free text typed by users can never become markup."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates ship with the code: no look at their files' dates at every page.
        auto_reload=False,
    )
    env.filters["date_fr"] = _date_fr
    env.filters["euros"] = format_euros
    env.filters["strength_label"] = _strength_label
    env.filters["severity_label"] = _severity_label
    return env


class SonsWeb:
    """The application's shared state, kept in `app.state.sons`."""

    def __init__(self, settings: WebSettings, referential: Referential | None = None) -> None:
        self.settings = settings
        self.engine = open_store(settings.database_url)
        self.accounts = Accounts(
            self.engine,
            clock=settings.clock,
            hasher=settings.password_hasher,
            session_ttl=settings.session_ttl,
            login_policy=settings.login_policy,
        )
        self.referential = referential or default_referential()
        self.templates = Jinja2Templates(env=environment())
        self._zone = ZoneInfo(settings.time_zone)

    def today(self) -> dt.date:
        return self.settings.clock().astimezone(self._zone).date()

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        """A page, with what the layout needs: the caller, the CSRF token, the referential."""
        session = current_session(request)
        values = {
            "caller": session.caller if session else None,
            "csrf_token": csrf_token_for(request),
            "referential_pin": self.referential.pin,
            "today": self.today(),
            **(context or {}),
        }
        response = self.templates.TemplateResponse(
            request, template, values, status_code=status_code
        )
        new_token = getattr(request.state, "new_pre_session_csrf", None)
        if new_token:
            set_cookie(response, request, PRE_SESSION_CSRF_COOKIE, new_token, max_age=None)
        response.headers["Cache-Control"] = "no-store"
        return response


def sons_web(request: Request) -> SonsWeb:
    """Dependency: the application's shared state."""
    state: SonsWeb = request.app.state.sons
    return state
