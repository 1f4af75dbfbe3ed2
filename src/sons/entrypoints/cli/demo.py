"""`sons demo`: the guided walk-through, rendered for people (the walk lives in services)."""

from __future__ import annotations

from rich.rule import Rule
from rich.table import Table

from sons.entrypoints.cli.deposit import print_deposits_tour
from sons.entrypoints.cli.order import print_check_summary, print_order_findings
from sons.entrypoints.cli.output import console, fail
from sons.entrypoints.cli.referential import (
    print_dispositif,
    print_dispositif_list,
    print_explanation,
)
from sons.referential.loader import ReferentialError
from sons.services.demo import DEMO_OUTPUT, DemoReport, OrdersTour, ReferentialTour, run_demo
from sons.store.errors import StoreError
from sons.store.imports import ImportKind


def demo() -> None:
    """Démonstration guidée : le référentiel, un scénario expliqué, un règlement annoté, puis
    les bons de commande d'un éditeur importés et contrôlés dans une base neuve."""
    try:
        report = run_demo(DEMO_OUTPUT)
    except (ReferentialError, StoreError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"impossible d'écrire dans {DEMO_OUTPUT} : {exc.strerror or exc}.")
    render(report)


def render(report: DemoReport) -> None:
    console.print("[bold]Bienvenue dans sons[/] — le financement Ségur SONS, expliqué.")
    console.print(
        "Cette démonstration parcourt le référentiel : les règles de chaque dispositif, "
        "datées et sourcées, et leur application à un scénario d'installation ; puis les bons "
        "de commande d'un éditeur, importés et contrôlés.\n"
    )
    _render_referential(report.referential)
    _render_orders(report.orders)
    console.print(Rule("8. Les dépôts : l'avance, le solde, et un fichier cassé"))
    print_deposits_tour(report.deposits)
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


# How each of the demo's imports is replayed: the command, and the file it read.
_REPLAY = {
    ImportKind.FINESS: ("sons client import-finess", "finess"),
    ImportKind.LEGAL_ENTITIES: ("sons client import-entities", "legal_entities"),
    ImportKind.ELIGIBILITY: ("sons eligibility import", "eligibility"),
    ImportKind.SOLUTIONS: ("sons solution import", "solutions"),
    ImportKind.ORDERS: ("sons order import", "orders"),
}


def _render_orders(tour: OrdersTour) -> None:
    console.print(Rule("5. Les bons de commande d'un éditeur"))
    console.print(
        f"Une base SQLite neuve, propre à la démonstration et recréée à chaque lancement : "
        f"[bold]{tour.database}[/]. L'éditeur « {tour.vendor.vendor.name} » (SIRET "
        f"{tour.vendor.vendor.siret}) y importe ses fichiers, écrits dans "
        f"[bold]{tour.files.orders.parent}/[/] — tout ou rien, une seule fois, inscrits au "
        "journal :",
        soft_wrap=True,
    )
    for outcome in tour.imports:
        command, attribute = _REPLAY[outcome.kind]
        console.print(
            f"  • [cyan]{command} {getattr(tour.files, attribute)}[/]\n    {outcome.message()}",
            soft_wrap=True,
        )
    solutions = Table(title="Trois solutions, trois jeux de profils obtenus")
    for column in ("Solution", "Dispositif", "Profils obtenus"):
        solutions.add_column(column)
    for entry in tour.solutions:
        solution = entry.solution
        solutions.add_row(
            f"{solution.name} {solution.version}",
            solution.dispositif,
            " ; ".join(entry.profile_labels),
        )
    console.print(solutions)

    console.print(Rule("6. Le contrôle des bons de commande"))
    console.print(
        "Chaque bon est contrôlé contre le référentiel en vigueur à sa signature, les profils de "
        "sa solution, l'annuaire, la base d'éligibilité et tous les autres bons. Commande : "
        f"[cyan]sons order check --all --date {tour.report.today.isoformat()}[/]",
        soft_wrap=True,
    )
    print_check_summary(tour.report)

    console.print(Rule("7. Quelques bons expliqués"))
    for check, mistake in tour.explained:
        console.print(
            f"[bold]{check.number}[/] — erreur glissée exprès dans les données : {mistake}. "
            f"Commande : [cyan]sons order show {check.number}[/]",
            soft_wrap=True,
        )
        print_order_findings(check)
    journal = tour.journal
    state = "[green]chaîne intègre[/]" if journal.ok else "[red]chaîne rompue[/]"
    console.print(
        f"Journal : {journal.checked} entrée(s), {state} ([cyan]sons journal verify[/]). "
        "Pour reprendre la main sur cette base :\n"
        f"  [cyan]export SONS_DATABASE_URL=sqlite:///{tour.database.resolve()}[/]\n"
        "  [cyan]sons order list[/], [cyan]sons order show BC-RIS-012[/], "
        "[cyan]sons client list --search démo[/]",
        soft_wrap=True,
    )
