"""`sons demo`: the guided walk-through, rendered for people (the walk lives in services)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.rule import Rule
from rich.table import Table

from sons.entrypoints.cli.order import print_check_summary, print_order_findings
from sons.entrypoints.cli.output import console, fail
from sons.entrypoints.cli.referential import (
    print_dispositif,
    print_dispositif_list,
    print_explanation,
)
from sons.referential.loader import ReferentialError
from sons.store.errors import StoreError
from sons.store.imports import ImportKind

if TYPE_CHECKING:
    from argon2 import PasswordHasher
    from fastapi import FastAPI

    from sons.services.demo import DemoReport, OrdersTour, ReferentialTour
    from sons.services.demo_accounts import DemoAccount
    from sons.services.demo_controls import ControlsTour
    from sons.services.demo_guide import DemoGuide

# The walk's modules (every service, the PDF and analytics engines) are imported when the demo
# runs, not when `sons` starts: every other command would pay for them.


def demo(
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Puis servir l'application web sur la base de la démonstration, avec un compte "
            "par rôle (identifiants affichés) et ce que chacun peut y essayer, jusqu'à Ctrl+C.",
        ),
    ] = False,
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute (avec --serve).")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option("--port", help="Port d'écoute (avec --serve).", min=1, max=65535)
    ] = 8000,
) -> None:
    """Démonstration guidée : le référentiel, un scénario expliqué, un règlement annoté, puis
    les bons de commande d'un éditeur importés et contrôlés dans une base neuve."""
    if serve:
        # Said before the walk (a minute) rather than after it.
        _check_free(host, port)
    from sons.services.demo import DEMO_OUTPUT, run_demo

    try:
        report = run_demo(DEMO_OUTPUT)
    except (ReferentialError, StoreError, ValueError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"impossible d'écrire dans {DEMO_OUTPUT} : {exc.strerror or exc}.")
    render(report)
    if serve:
        serve_demo(report.orders.database, host, port)


def _check_free(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            fail(
                f"impossible d'écouter sur {host}:{port} ({exc.strerror or exc}) : choisissez un "
                "autre port avec --port."
            )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@dataclass(frozen=True)
class OpenedDemo:
    """The demo's application, ready to serve: its accounts and what each role can try."""

    app: FastAPI
    logins: list[DemoAccount]
    guide: DemoGuide


def open_demo(
    database: Path,
    *,
    hasher: PasswordHasher | None = None,
    password: Callable[[], str] | None = None,
) -> OpenedDemo:
    """The application on the demo's database, with an account per role and the guide (`hasher`
    and `password`: tests pass a cheap hasher and a known password)."""
    # Imported here: the walk alone does not pay for loading the web stack.
    from sons.entrypoints.web.app import create_app
    from sons.entrypoints.web.settings import WebSettings
    from sons.services.demo_accounts import (
        VENDOR_ADMIN_EMAIL,
        create_demo_accounts,
        random_password,
    )
    from sons.services.demo_guide import demo_guide

    settings = WebSettings(database_url=f"sqlite:///{database.resolve()}", password_hasher=hasher)
    app = create_app(settings)
    state = app.state.sons
    logins = create_demo_accounts(state.accounts, password or random_password)
    guide = demo_guide(
        state.engine,
        state.accounts,
        vendor_admin=VENDOR_ADMIN_EMAIL,
        secret=settings.secret_key,
        clock=settings.clock,
    )
    return OpenedDemo(app, logins, guide)


def serve_demo(
    database: Path, host: str, port: int, *, hasher: PasswordHasher | None = None
) -> None:
    """Serve the demo's database with an account per role, until Ctrl+C (`hasher`: tests
    pass a cheap one)."""
    import uvicorn

    from sons.services.accounts import AccountError

    try:
        opened = open_demo(database, hasher=hasher)
    except (AccountError, StoreError) as exc:
        fail(str(exc))
    url = f"http://{host}:{port}/"
    console.print(Rule("12. L'application web"))
    print_demo_logins(opened.logins)
    print_demo_guide(opened.guide, opened.logins, url)
    if not _is_loopback(host):
        console.print(
            f"[bold red]Attention[/] : {host} n'est pas une adresse locale ; ces comptes de "
            "démonstration sont joignables depuis le réseau."
        )
    console.print(
        f"La démonstration est servie sur [bold]{url}[/] (base {database}). "
        "Connectez-vous avec l'un des comptes ci-dessus ; Ctrl+C pour arrêter.",
        soft_wrap=True,
    )
    # As `sons serve`: uvicorn says when it listens, and logs each request.
    uvicorn.run(opened.app, host=host, port=port, log_level="info")


def print_demo_logins(logins: list[DemoAccount]) -> None:
    # Lines rather than a table: a narrow terminal must not cut a password being copied.
    console.print("Comptes de démonstration (mots de passe tirés au hasard à chaque lancement) :")
    for account in logins:
        console.print(
            f"  • {account.role_label} — {account.organisation}\n"
            f"    identifiant : [bold]{account.email}[/]   "
            f"mot de passe : [bold]{account.password}[/]",
            soft_wrap=True,
        )


def print_demo_guide(guide: DemoGuide, logins: list[DemoAccount], url: str) -> None:
    """What each role can try, with the figures the database holds at serve time."""
    from sons.services.accounts import ROLES_OF, OrganisationKind

    vendor = ", ".join(a.email for a in logins if a.organisation == guide.vendor_name)
    operators = ROLES_OF[OrganisationKind.OPERATOR]
    operator = ", ".join(a.email for a in logins if a.role in operators)
    console.print("Ce que chacun peut essayer :")
    console.print(
        f"  • L'éditeur ({vendor}) : {guide.orders} bon(s) de commande, chacun avec ses "
        f"constats expliqués (« Bons de commande »), {guide.deposits} dépôt(s) et leurs "
        "demandes (« Dépôts »), les preuves du solde (« Preuves »).",
        soft_wrap=True,
    )
    link = guide.client_link
    if link is None:
        console.print(
            "  • Le client : aucun bon de la démonstration à lui faire remplir.", soft_wrap=True
        )
    else:
        console.print(
            f"  • Le client, sans compte : le questionnaire du bon {link.order_number} (erreur "
            f"glissée exprès : {link.mistake}), lien valable {link.days} jours créé au nom de "
            f"{link.created_by} :\n    [bold]{url}questionnaire/{link.token}[/]",
            soft_wrap=True,
        )
    if guide.awaiting:
        waiting = " ; ".join(f"« {label} » : {count}" for label, count in guide.awaiting)
        console.print(
            f"  • L'opérateur ({operator}) : {guide.awaiting_total} demande(s) à traiter dans la "
            f"file d'instruction ({waiting}) — {url}operateur",
            soft_wrap=True,
        )
    else:
        console.print(
            f"  • L'opérateur ({operator}) : la file d'instruction est vide.", soft_wrap=True
        )


def render(report: DemoReport) -> None:
    from sons.entrypoints.cli.deposit import print_deposits_tour
    from sons.entrypoints.cli.evidence import print_evidence_tour
    from sons.entrypoints.cli.operator import print_operator_tour

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
    console.print(Rule("9. Les preuves du solde : journal des envois, état des bons, documents"))
    print_evidence_tour(report.evidence)
    if report.operator is not None:
        console.print(Rule("10. L'opérateur de paiement : réception, instruction, paiements"))
        print_operator_tour(report.operator)
    if report.controls is not None:
        console.print(Rule("11. Les contrôles a posteriori sur les statistiques d'usage"))
        _render_controls(report.controls)
    console.print(Rule())
    console.print(f"Fichiers produits dans [bold]{report.output_dir}/[/].")


def _render_controls(tour: ControlsTour) -> None:
    """The controls on the operator's paid balances: verdict counts and where the reports are."""
    from sons.analytics.controls import VERDICT_LABELS, Verdict

    report = tour.report
    console.print(
        "Des statistiques mensuelles sont générées pour les sites des soldes payés (un site "
        "sous le seuil, un flux sans statistiques), puis contrôlées sur les soldes payés de la "
        f"base de l'opérateur. Commande : [cyan]SONS_DATABASE_URL=sqlite:///{tour.database} "
        f"sons operator controls --stats {tour.statistics} --establishments {tour.directory} "
        "--out DOSSIER[/]",
        soft_wrap=True,
    )
    counts = " ; ".join(f"{VERDICT_LABELS[v]} : {report.totals.get(v, 0)}" for v in Verdict)
    console.print(
        f"{report.balances_read} solde(s) payé(s), {report.controls} contrôle(s) — {counts}."
    )
    for path in report.files:
        console.print(f"  • {path}")


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
