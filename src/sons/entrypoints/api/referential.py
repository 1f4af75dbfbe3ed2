"""`/api/v1/referential`: the dispositifs, one dispositif at a date, and a scenario explained."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import ApiError, documented
from sons.services.referential import dispositif_at, dispositif_list, explain_scenario

router = APIRouter(prefix="/referential", tags=["référentiel"])

DateQuery = Annotated[
    dt.date | None,
    Query(description="Date d'effet AAAA-MM-JJ (par défaut : aujourd'hui)."),
]


class DispositifIdentity(BaseModel):
    code: str
    label: str
    couloir: str
    software_type: str
    wave: int
    deposit_family: str
    code_strength: str


class DispositifList(BaseModel):
    version: str = Field(description="Version du référentiel (« 1.0.0+empreinte »).")
    dispositifs: list[DispositifIdentity]


class ExplainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, StrictBool | StrictInt | StrictStr | None] = Field(
        default_factory=dict,
        description="Identifiant de question → réponse (true/false, texte, choix ou entier).",
        examples=[{"identity_referential": True, "mss_operator": "Mailiz"}],
    )
    profiles: list[StrictStr] | None = Field(
        default=None,
        description=(
            "Profils obtenus par la solution (libellés ou identifiants). Donnés, chaque profil "
            "requis absent produit le constat SCENARIO_PROFILE_MISSING."
        ),
    )


def _today(request: Request) -> dt.date:
    today: dt.date = request.app.state.sons.today()
    return today


@router.get("/dispositifs", response_model=DispositifList, responses=documented(401))
def list_dispositifs(request: Request, _caller: CallerDep) -> dict[str, Any]:
    """Les dispositifs du référentiel."""
    referential = request.app.state.sons.referential
    return {"version": referential.pin, "dispositifs": dispositif_list(referential)}


@router.get("/dispositifs/{code}", responses=documented(401, 404, 422))
def show_dispositif(
    request: Request, code: str, _caller: CallerDep, date: DateQuery = None
) -> dict[str, Any]:
    """Un dispositif tel qu'en vigueur à une date : profils, questionnaire, règles, soldes,
    paramètres datés, chacun avec sa force et sa source."""
    return dispositif_at(request.app.state.sons.referential, code, date or _today(request))


@router.post("/dispositifs/{code}/explain", responses=documented(401, 403, 404, 422))
def explain(
    request: Request,
    code: str,
    body: ExplainRequest,
    _caller: CallerDep,
    date: DateQuery = None,
) -> dict[str, Any]:
    """Explique un scénario : profils requis et pourquoi, flux déclarés, conditions de solde,
    constats. Des réponses illisibles (question inconnue, type invalide, profil inconnu)
    répondent 422 avec les constats, comme la CLI sort en code 2."""
    answers = {k: v for k, v in body.answers.items()}
    result = explain_scenario(
        request.app.state.sons.referential, code, date or _today(request), answers, body.profiles
    )
    if result.input_invalid:
        raise ApiError(
            422,
            "SCENARIO_INPUT_INVALID",
            "Les réponses ne peuvent pas être lues telles quelles : voir les constats.",
            result.findings,
        )
    return result.as_dict()
