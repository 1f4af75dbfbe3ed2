"""What the deposit, evidence and operator page tests share: the filing store seeded in the
application's database (the vendor of `VENDOR_SIRET`, its solution, orders BC-A, BC-B and
BC-ERR) and deposits built, filed or received through the services."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from filing_fixtures import ADVANCE_DAY, CODE, seed_filing
from sons.domain.workflow import Audience, RequestKind
from sons.services.deposit_builder import BuildOutcome, build_deposit
from sons.services.deposits import mark_filed
from sons.services.requests import transition_request


def engine_of(app: FastAPI) -> Engine:
    found: Engine = app.state.sons.engine
    return found


def seed(app: FastAPI, clock: Any) -> int:
    """The filing store in the app's database; the vendor's id (the one `people` made)."""
    return seed_filing(engine_of(app), clock)


def text_of(html: str) -> str:
    """The visible text, tags removed and spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def built_advance(
    app: FastAPI, vendor_id: int, out: Path, clock: Any, numbers: tuple[str, ...] = ("BC-A",)
) -> BuildOutcome:
    return build_deposit(
        engine_of(app),
        vendor_id=vendor_id,
        kind=RequestKind.ADVANCE,
        dispositif=CODE,
        out_dir=out,
        actor="admin@editeur-a.fr",
        clock=clock,
        numbers=list(numbers),
        on=ADVANCE_DAY,
        referential=app.state.sons.referential,
    )


def filed_advance(app: FastAPI, vendor_id: int, out: Path, clock: Any) -> BuildOutcome:
    """An advance on BC-A, built and marked filed: « Déposée », in the operator's queue."""
    built = built_advance(app, vendor_id, out, clock)
    mark_filed(engine_of(app), built.deposit.name, vendor_id=vendor_id, actor="admin", clock=clock)
    return built


def operator_fires(app: FastAPI, request_id: int, clock: Any, *actions: str) -> None:
    for action in actions:
        transition_request(
            engine_of(app),
            str(request_id),
            action,
            audience=Audience.OPERATOR,
            vendor_id=None,
            actor="instructeur@operateur.fr",
            clock=clock,
        )
