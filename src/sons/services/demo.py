"""`sons demo`: a guided walk through what sons knows, built as data for the CLI to render.

Each part of the walk is its own function returning plain data, so later issues add their own
part (orders, deposits, evidence…) to `run_demo` without touching the others.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sons.documents import rulebook as rulebook_document
from sons.referential import presentation
from sons.referential.conditions import answer_label
from sons.referential.loader import Referential, default_referential
from sons.referential.rulebook import build as build_rulebook
from sons.referential.scenario import ScenarioExplanation, explain

DEMO_OUTPUT = Path("demo-output")

DEMO_CODE = "RAD-RIS-Va1"
DEMO_DATE = dt.date(2022, 5, 1)

# A radiology practice whose RIS is its identity referential, uses Mailiz and sends its reports
# to the DMP and to the patients' secure mailboxes directly.
DEMO_ANSWERS: dict[str, Any] = {
    "identity_referential": True,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": True,
    "mss_patient_via_pfi": False,
}
# The ordered solution lacks « Référentiel d'identités »: the walk shows the finding it yields.
DEMO_PROFILES = ("Général", "Opérateur Mailiz")


@dataclass(frozen=True)
class ScenarioTour:
    code: str
    on: dt.date
    answers: dict[str, Any]
    obtained_profiles: tuple[str, ...]
    explanation: ScenarioExplanation
    answers_file: Path
    # (question label, answer as read) in questionnaire order, for people.
    answers_read: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ReferentialTour:
    pin: str
    dispositifs: list[dict[str, Any]]
    shown: dict[str, Any]
    scenario: ScenarioTour
    rulebooks: tuple[Path, ...]


@dataclass(frozen=True)
class DemoReport:
    output_dir: Path
    referential: ReferentialTour


def referential_tour(output_dir: Path, referential: Referential | None = None) -> ReferentialTour:
    """The dispositifs, one of them at a date, one scenario explained, its annotated rulebook."""
    referential = referential or default_referential()
    rows = [presentation.identity(d) for d in referential.dispositifs.values()]
    rows.sort(key=lambda r: (r["wave"], r["couloir"], r["code"]))
    view = referential.at(DEMO_CODE, DEMO_DATE)
    result = explain(view, DEMO_ANSWERS, DEMO_PROFILES)
    questions = view.questions_by_id
    answers_read = tuple(
        (questions[qid].label, answer_label(questions[qid], value) or "(vide)")
        for qid, value in DEMO_ANSWERS.items()
    )
    # Written out so that the reader can replay the scenario with `sons referential explain`.
    answers_file = output_dir / f"reponses-{view.code.lower()}.json"
    answers_file.write_text(
        json.dumps(DEMO_ANSWERS, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    scenario = ScenarioTour(
        view.code, DEMO_DATE, dict(DEMO_ANSWERS), DEMO_PROFILES, result, answers_file, answers_read
    )
    rulebook = build_rulebook(view, referential)
    written = []
    for fmt in rulebook_document.FORMATS:
        path = output_dir / f"reglement-annote-{view.code.lower()}.{fmt}"
        path.write_text(rulebook_document.render(rulebook, fmt), encoding="utf-8")
        written.append(path)
    return ReferentialTour(
        pin=referential.pin,
        dispositifs=rows,
        shown=presentation.dispositif_at(view),
        scenario=scenario,
        rulebooks=tuple(written),
    )


def run_demo(output_dir: Path = DEMO_OUTPUT) -> DemoReport:
    """Run every part of the walk; files go to `output_dir` (created if needed)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    return DemoReport(output_dir=output_dir, referential=referential_tour(output_dir))
