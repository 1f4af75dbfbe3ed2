"""`sons order …`: a vendor's purchase orders — import, list, show, check, rebase, and `install`
(the installed scenario of a site: the very command `sons evidence install`, under its order)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sons.domain.checks import RULES_BY_CODE
from sons.domain.money import format_euros
from sons.domain.orders import FUNDED_DIMENSION_LABELS, NOT_FUNDED_LABELS, ClientKind
from sons.entrypoints.cli.evidence import install_command
from sons.entrypoints.cli.output import (
    EXIT_FINDINGS,
    EXIT_OK,
    console,
    fail,
    print_findings,
    print_json,
)
from sons.entrypoints.cli.referential import parse_date
from sons.entrypoints.cli.workspace import (
    DateOption,
    JsonOption,
    VendorOption,
    actor,
    finish_import,
    progress_bar,
    store,
    vendor,
)
from sons.findings import SEVERITY_LABELS
from sons.referential.conditions import answer_label
from sons.referential.loader import ReferentialError, UnknownDispositif, default_referential
from sons.services.dashboard import ORDER_STATUS_LABELS
from sons.services.orders import (
    CheckReport,
    OrderCheck,
    OrderView,
    RebaseOutcome,
    check_orders,
    import_orders,
    list_orders,
    rebase_order,
    show_order,
)
from sons.store.errors import StoreError

app = typer.Typer(help="Les bons de commande d'un éditeur : import, liste, contrôle, rebase.")
# An alias, not a copy: the installed scenario belongs to an order site as much as to its evidence.
app.command("install")(install_command)

_CLIENT_KINDS = {ClientKind.LEGAL_ENTITY: "entité juridique", ClientKind.PROFESSIONAL: "RPPS"}


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="Fichier des bons (CSV, XLSX ou JSON).")],
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importe des bons de commande : tout ou rien ; un bon déjà enregistré est mis à jour."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            with progress_bar("Bons de commande") as progress:
                outcome = import_orders(
                    engine, path, vendor_id=entry.id, actor=actor(), progress=progress
                )
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
        finish_import(
            outcome,
            as_json,
            hint="Contrôle des bons : [cyan]sons order check --all[/] (les bons importés ne sont "
            "contrôlés qu'à la demande).",
        )


@app.command("list")
def list_command(
    dispositif: Annotated[
        str | None, typer.Option("--dispositif", help="Code du dispositif, ex. RAD-RIS-Va1.")
    ] = None,
    status: Annotated[str | None, typer.Option("--status", help="Statut (ex. draft).")] = None,
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Liste les bons de commande de l'éditeur."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            summaries = list_orders(engine, entry.id, dispositif=dispositif, status=status)
        except UnknownDispositif as exc:
            fail(str(exc))
    if as_json:
        print_json(
            {
                "vendor": entry.vendor.siret,
                "orders": [
                    {
                        "number": s.number,
                        "dispositif": s.dispositif,
                        "solution_referencing_number": s.solution_referencing_number,
                        "client_kind": s.client_kind.value,
                        "client_id": s.client_id,
                        "signed_on": s.signed_on.isoformat(),
                        "prestation_ht_cents": s.prestation_ht_cents,
                        "prestation_ttc_cents": s.prestation_ttc_cents,
                        "status": s.status,
                        "version": s.version,
                    }
                    for s in summaries
                ],
            }
        )
        return
    if not summaries:
        console.print(
            f"Aucun bon de commande pour {entry.vendor.name} avec ces critères. Import : "
            "[cyan]sons order import FICHIER[/]",
            soft_wrap=True,
        )
        return
    table = Table(title=f"Bons de commande de {entry.vendor.name}")
    for column in ("Numéro", "Dispositif", "Client", "Signé le", "Prestation HT", "Statut", "Ver."):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            s.number,
            s.dispositif,
            f"{s.client_id} ({_CLIENT_KINDS[s.client_kind]})",
            s.signed_on.isoformat(),
            format_euros(s.prestation_ht_cents),
            ORDER_STATUS_LABELS.get(s.status, s.status),
            str(s.version),
        )
    console.print(table)
    console.print(f"{len(summaries)} bon(s) de commande.")


@app.command("show")
def show_command(
    number: Annotated[str, typer.Argument(help="Numéro du bon de commande.")],
    vendor_siret: VendorOption = None,
    date: DateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Montre un bon de commande, ses constats expliqués et son historique au journal."""
    today = parse_date(date)
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            view = show_order(engine, entry.id, number, today=today)
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    if as_json:
        print_json(view.as_dict())
    else:
        print_order(view)
    raise typer.Exit(EXIT_FINDINGS if view.check.errors else EXIT_OK)


@app.command("check")
def check_command(
    numbers: Annotated[
        list[str] | None, typer.Argument(help="Numéros des bons à contrôler.", show_default=False)
    ] = None,
    check_all: Annotated[bool, typer.Option("--all", help="Contrôle tous les bons.")] = False,
    vendor_siret: VendorOption = None,
    date: DateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Contrôle des bons de commande : chaque constat expliqué ; code 1 s'il y a une erreur."""
    if check_all and numbers:
        fail("donnez des numéros de bons ou --all, pas les deux.")
    if not check_all and not numbers:
        fail("précisez les numéros des bons à contrôler, ou --all pour les contrôler tous.")
    today = parse_date(date)
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            with progress_bar("Contrôle des bons") as progress:
                report = check_orders(
                    engine, entry.id, today=today, numbers=numbers or None, progress=progress
                )
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    if as_json:
        print_json(report.as_dict())
    else:
        print_check_report(report)
    raise typer.Exit(EXIT_FINDINGS if report.has_errors else EXIT_OK)


@app.command("rebase")
def rebase_command(
    number: Annotated[str, typer.Argument(help="Numéro du bon de commande.")],
    vendor_siret: VendorOption = None,
    date: DateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rattache le bon à la version en cours du référentiel (explicite, inscrit au journal)."""
    today = parse_date(date)
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            outcome = rebase_order(engine, entry.id, number, actor=actor(), today=today)
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    if as_json:
        print_json(outcome.as_dict())
    else:
        print_rebase(outcome)


# --- rendering (also used by `sons demo`) -----------------------------------------------------


def order_title(check: OrderCheck) -> str:
    order = check.stored.order
    return (
        f"{order.number} — {order.dispositif}, client {order.client_id} "
        f"({_CLIENT_KINDS[order.client_kind]}), signé le {order.signed_on.isoformat()}"
    )


def print_order_findings(check: OrderCheck) -> None:
    print_findings(check.findings, title=order_title(check))


def print_check_summary(report: CheckReport) -> None:
    summary = report.summary()
    console.print(
        f"[bold]Résumé[/] : {summary.orders} bon(s) contrôlé(s) le "
        f"{report.today.isoformat()} avec le référentiel {report.referential_pin} — "
        f"[red]{summary.with_errors} avec erreur(s)[/], [yellow]{summary.with_warnings} avec "
        f"avertissement(s) seulement[/], [green]{summary.conforming} sans erreur ni "
        "avertissement[/].",
        soft_wrap=True,
    )
    if not summary.by_code:
        return
    table = Table(title="Constats par code")
    for column in ("Code", "Gravité", "Nombre", "Signification"):
        table.add_column(column)
    for code, count in summary.by_code.items():
        rule = RULES_BY_CODE.get(code)
        table.add_row(
            code,
            "" if rule is None else SEVERITY_LABELS[rule.severity],
            str(count),
            "" if rule is None else rule.summary,
        )
    console.print(table)


def print_check_report(report: CheckReport) -> None:
    conforming = []
    for check in report.checks:
        if check.findings:
            print_order_findings(check)
        else:
            conforming.append(check.number)
    if conforming:
        console.print(
            f"[green]Sans aucun constat[/] ({len(conforming)}) : " + ", ".join(conforming),
            soft_wrap=True,
        )
    print_check_summary(report)


def print_order(view: OrderView) -> None:
    check = view.check
    stored = check.stored
    order = stored.order
    console.print(f"[bold]Bon de commande {order.number}[/] — {order.dispositif}")
    kind = _CLIENT_KINDS[order.client_kind]
    solution = check.solution
    named = (
        f"{solution.name} {solution.version} (référencement {solution.referencing_number})"
        if solution is not None
        else f"inconnue (référencement {order.solution_referencing_number})"
    )
    ceiling = (
        "non renseigné"
        if check.ceiling_ht_cents is None
        else f"{format_euros(check.ceiling_ht_cents)} HT"
    )
    pin = order.referential_pin
    pinned = (
        pin if pin == view.referential_pin else f"{pin} (version en cours : {view.referential_pin})"
    )
    facts = Table(show_header=False, box=None)
    facts.add_column("", style="bold")
    facts.add_column("")
    for label, value in (
        ("Client", f"{order.client_id} ({kind})"),
        ("Solution", named),
        ("Signé le", f"{order.signed_on.isoformat()} par {order.signatory}"),
        (
            "Sous condition de référencement",
            "oui" if order.under_referencing_condition else "non",
        ),
        (
            "Prestation Ségur",
            f"{format_euros(order.prestation_ht_cents)} HT, "
            f"{format_euros(order.prestation_ttc_cents)} TTC",
        ),
        ("Plafond (base d'éligibilité)", ceiling),
        ("Référentiel", pinned),
        (
            "Statut, version",
            f"{ORDER_STATUS_LABELS.get(stored.status, stored.status)}, version {stored.version}",
        ),
    ):
        facts.add_row(label, value)
    console.print(facts)
    _print_sites(view)
    if order.lines:
        lines = Table(title="Lignes")
        for column in ("Libellé", "Montant HT", "Classement", "Facturée Ségur"):
            lines.add_column(column)
        for line in order.lines:
            if line.dimension is not None:
                kind_label = FUNDED_DIMENSION_LABELS[line.dimension]
            elif line.not_funded is not None:
                kind_label = "Hors Ségur : " + NOT_FUNDED_LABELS[line.not_funded]
            else:
                kind_label = "non classée"
            billed = "oui" if line.billed_as_segur else ("" if line.funded else "non")
            lines.add_row(line.label, format_euros(line.amount_ht_cents), kind_label, billed)
        console.print(lines)
    print_order_findings(check)
    if view.history:
        history = Table(title="Historique (journal)")
        for column in ("Entrée", "Date (UTC)", "Auteur", "Action"):
            history.add_column(column)
        for entry in view.history:
            history.add_row(
                str(entry.id), entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.actor, entry.action
            )
        console.print(history)


def _print_sites(view: OrderView) -> None:
    order = view.check.stored.order
    if not order.sites:
        return
    try:
        questions = default_referential().at(order.dispositif, order.signed_on).questions_by_id
    except UnknownDispositif:
        questions = {}
    table = Table(title="Sites et scénario commandé")
    table.add_column("FINESS ET")
    table.add_column("Réponses au questionnaire")
    for site in order.sites:
        answers = []
        for qid, value in site.answers.items():
            question = questions.get(qid)
            shown = answer_label(question, value) if question is not None else str(value)
            answers.append(f"{qid} = {shown or '(vide)'}")
        table.add_row(site.finess_et or "(sans FINESS)", " ; ".join(answers))
    console.print(table)


def print_rebase(outcome: RebaseOutcome) -> None:
    style = "green" if outcome.rebased else "yellow"
    console.print(f"[{style}]{outcome.message()}[/]", soft_wrap=True)
    if not outcome.rebased:
        return
    if not outcome.old_rules_available:
        print_findings(outcome.findings, title=f"Constats selon la version {outcome.new_pin}")
        return
    if outcome.disappeared:
        print_findings(outcome.disappeared, title="Constats qui disparaissent")
    if outcome.appeared:
        print_findings(outcome.appeared, title="Constats qui apparaissent")
