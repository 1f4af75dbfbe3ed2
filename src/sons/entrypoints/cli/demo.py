"""`sons demo`: the guided walk-through, rendered for people (the walk lives in services)."""

from __future__ import annotations

from rich.rule import Rule
from rich.table import Table

from sons.entrypoints.cli.output import console, fail
from sons.entrypoints.cli.referential import (
    print_dispositif,
    print_dispositif_list,
    print_explanation,
)
from sons.referential.loader import ReferentialError
from sons.services.demo import DEMO_OUTPUT, DemoReport, ReferentialTour, run_demo


def demo() -> None:
    """Démonstration guidée : le référentiel, un dispositif, un scénario expliqué, un règlement."""
    try:
        report = run_demo(DEMO_OUTPUT)
    except ReferentialError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"impossible d'écrire dans {DEMO_OUTPUT} : {exc.strerror or exc}.")
    render(report)


def render(report: DemoReport) -> None:
    console.print("[bold]Bienvenue dans sons[/] — le financement Ségur SONS, expliqué.")
    console.print(
        "Cette démonstration parcourt le référentiel : les règles de chaque dispositif, "
        "datées et sourcées, et leur application à un scénario d'installation.\n"
    )
    _render_referential(report.referential)
    console.print(Rule())
    console.print(f"Fichiers produits dans [bold]{report.output_dir}/[/].")


def _render_referential(tour: ReferentialTour) -> None:
    console.print(Rule("1. Les dispositifs du référentiel"))
    console.print(
        f"Le référentiel (version {tour.pin}) décrit {len(tour.dispositifs)} dispositifs. "
        "Commande : [cyan]sons referential list[/]"
    )
    print_dispositif_list(tour.dispositifs, tour.pin)

    scenario = tour.scenario
    on = scenario.on.isoformat()
    console.print(Rule(f"2. Un dispositif : {scenario.code} au {on}"))
    console.print(
        "Profils, questionnaire, conditions de versement du solde et paramètres en vigueur à "
        f"cette date. Commande : [cyan]sons referential show {scenario.code} --date {on}[/]"
    )
    print_dispositif(tour.shown)

    console.print(Rule("3. Un scénario expliqué"))
    console.print(
        "Un cabinet de radiologie répond au questionnaire ; la solution commandée a obtenu les "
        f"profils : {' ; '.join(scenario.obtained_profiles)}. Commande : "
        f"[cyan]sons referential explain {scenario.code} --answers {scenario.answers_file} "
        f'--profiles "{";".join(scenario.obtained_profiles)}" --date {on}[/]'
    )
    answers = Table(title="Réponses au scénario d'installation")
    answers.add_column("Question")
    answers.add_column("Réponse")
    for label, answer in scenario.answers_read:
        answers.add_row(label, answer)
    console.print(answers)
    explanation = scenario.explanation
    print_explanation(
        scenario.code, scenario.on, explanation.required_profiles, explanation.findings
    )

    console.print(Rule("4. Le règlement annoté"))
    console.print(
        "Chaque règle à côté de sa source et de sa force, pour relecture par un expert. "
        f"Commande : [cyan]sons referential doc {scenario.code} --format html[/]"
    )
    for path in tour.rulebooks:
        console.print(f"  • {path}")
