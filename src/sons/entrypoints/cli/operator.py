"""`sons operator …`: the payment operator's side: intake of the vendors' deposits, the
instruction queue, decisions, correction requests, cancellations and recovery orders,
payments (services `intake` and `instruction`), and the a-posteriori controls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.table import Table

from sons.domain.money import format_euros
from sons.domain.workflow import Audience, RequestKind, WorkflowError, status_label
from sons.entrypoints.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_OK,
    console,
    errors,
    fail,
    print_findings,
    print_json,
)
from sons.referential.loader import ReferentialError, default_referential
from sons.store.errors import StoreError

if TYPE_CHECKING:
    from sons.analytics.controls import ControlsReport
    from sons.analytics.paid_balances import PaidBalances
    from sons.services.demo_operator import OperatorTour

app = typer.Typer(
    help="L'opérateur de paiement : réception des dépôts, instruction, paiements, contrôles a "
    "posteriori des soldes payés."
)

# How many controls that are not conforme the terminal lists (the reports hold them all).
_SHOWN_SHORTFALLS = 20


def _balances_source(balances: Path | None) -> Path | PaidBalances:
    """The file given, else every paid balance of the store (`SONS_DATABASE_URL`)."""
    if balances is not None:
        return balances
    from sons.analytics.paid_balances import paid_balances
    from sons.entrypoints.cli.workspace import store

    with store() as engine:
        try:
            return paid_balances(engine, default_referential())
        except (StoreError, ReferentialError) as error:
            fail(str(error))


def _cutoff(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"option --date : « {text} » n'est pas une date au format AAAA-MM-JJ.")


@app.command("controls")
def controls(
    stats: Annotated[
        list[str],
        typer.Option(
            "--stats",
            help="Statistiques d'usage : fichiers CSV ou Parquet, dossiers ou motifs "
            "(« stats/*.parquet »). Plusieurs chemins possibles après --stats.",
        ),
    ],
    establishments: Annotated[
        Path,
        typer.Option(
            "--establishments",
            help="Annuaire des établissements (finess_et;finess_ej) ou extrait FINESS etalab.",
        ),
    ],
    more_stats: Annotated[
        list[str] | None,
        typer.Argument(hidden=True, metavar="CHEMIN", help="Autres fichiers de statistiques."),
    ] = None,
    balances: Annotated[
        Path | None,
        typer.Option(
            "--balances",
            help="Soldes payés (CSV ou Parquet) ; par défaut, ceux de la base (SONS_DATABASE_URL).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Dossier des rapports (CSV, XLSX), écrits tout ou rien."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")] = False,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="Date d'arrêté AAAA-MM-JJ : statistiques jusqu'à ce mois, soldes jusqu'à "
            "cette date (par défaut : tout).",
        ),
    ] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option("--memory-limit", help="Mémoire de DuckDB (par exemple « 1GB »)."),
    ] = None,
    threads: Annotated[
        int | None, typer.Option("--threads", help="Fils d'exécution de DuckDB.")
    ] = None,
) -> None:
    """Contrôles a posteriori : statistiques DMP / MSS après la date d'installation des soldes."""
    # DuckDB and openpyxl are imported here, not with the CLI: other commands do not need them.
    import duckdb

    from sons.analytics.conditions import controlled_conditions
    from sons.analytics.controls import run_controls
    from sons.analytics.sources import InputError

    paths = [*stats, *(more_stats or [])]
    source = _balances_source(balances)
    cutoff = _cutoff(date)
    try:
        conditions = controlled_conditions(default_referential())
    except ReferentialError as error:
        fail(str(error))
    try:
        with errors.status("Contrôles a posteriori…") as status:
            report = run_controls(
                paths,
                source,
                conditions,
                establishments,
                out,
                cutoff=cutoff,
                keep_detail=out is None,
                memory_limit=memory_limit,
                threads=threads,
                on_step=lambda message: status.update(f"{message}…"),
            )
    except OSError as error:  # the reports folder cannot be written: nothing was replaced
        fail(f"écriture des rapports impossible dans « {out} » : {error.strerror or error}.")
    except duckdb.Error as error:  # e.g. a --memory-limit too small or not understood
        reason = str(error).strip().splitlines()[0]
        fail(
            f"DuckDB n'a pas pu faire les contrôles ({reason}) ; vérifiez --memory-limit et "
            "--threads. Aucun rapport n'a été écrit."
        )
    except InputError as error:
        if as_json:
            print_json({"usable": False, "findings": [f.as_dict() for f in error.findings]})
        else:
            print_findings(error.findings, "Entrée inutilisable : aucun contrôle réalisé")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    if as_json:
        print_json({"usable": True, **report.as_dict()})
    else:
        _print(report)
    if not report.statistics_valid or report.shortfalls:
        raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)


def _print(report: ControlsReport) -> None:
    from sons.analytics.controls import VERDICT_LABELS, Verdict
    from sons.analytics.sources import french_count
    from sons.analytics.usage import summary_of

    console.print(f"[bold]Contrôles a posteriori[/] — référentiel {report.pin}")
    console.print(f"Statistiques : {summary_of(report.usage)}.")
    if report.findings:
        print_findings(report.findings)
    if not report.statistics_valid:
        console.print(
            "[red]Statistiques invalides : contrôles non réalisés, aucun rapport écrit.[/] "
            "Corrigez les lignes signalées puis relancez."
        )
        return
    console.print(
        f"Soldes : {french_count(report.balances_read)} lu(s), "
        f"{french_count(report.balances_controlled)} contrôlé(s) "
        "(les autres n'ont aucun flux soumis à un contrôle a posteriori)."
    )
    totals = Table(title="Contrôles par verdict")
    totals.add_column("Verdict")
    totals.add_column("Contrôles", justify="right")
    for verdict in Verdict:
        totals.add_row(VERDICT_LABELS[verdict], french_count(report.totals.get(verdict, 0)))
    console.print(totals)
    _print_vendors(report)
    _print_shortfalls(report)
    if report.files:
        console.print("Rapports écrits :")
        for path in report.files:
            console.print(f"  {path}")


def _print_vendors(report: ControlsReport) -> None:
    from sons.analytics.sources import french_count

    if not report.vendors:
        return
    table = Table(title="Synthèse par fournisseur")
    for column in (
        "SIRET",
        "Fournisseur",
        "Soldes",
        "Conformes",
        "Non conformes",
        "Données absentes",
        "Montant en jeu",
    ):
        table.add_column(column)
    for vendor in report.vendors:
        amount = (
            format_euros(vendor.amount_at_stake_cents)
            if vendor.amount_at_stake_cents is not None
            else ("non renseigné" if vendor.amounts_unknown else "—")
        )
        table.add_row(
            vendor.vendor_siret,
            vendor.vendor_name or "non renseigné",
            french_count(vendor.balances),
            french_count(vendor.conforme),
            french_count(vendor.non_conforme),
            french_count(vendor.donnees_absentes),
            amount,
        )
    console.print(table)


def _print_shortfalls(report: ControlsReport) -> None:
    from sons.analytics.controls import VERDICT_LABELS, Verdict

    if report.detail is None or not report.shortfalls:
        return
    shortfalls = [r for r in report.detail if r.verdict is not Verdict.CONFORME]
    table = Table(title="Contrôles non conformes ou sans données", show_lines=True)
    for column in ("Demande", "Dispositif", "Statistiques", "Unité", "Depuis", "Retenu / seuil"):
        table.add_column(column)
    table.add_column("Verdict")
    for result in shortfalls[:_SHOWN_SHORTFALLS]:
        ins = " avec INS qualifiée" if result.ins_qualified else ""
        table.add_row(
            result.request_id,
            result.dispositif,
            result.statistics_label,
            f"{result.unit_kind} {result.unit_id}",
            result.reference_date.isoformat(),
            f"{result.counted_documents}{ins} / {result.threshold}",
            VERDICT_LABELS[result.verdict],
        )
    console.print(table)
    if len(shortfalls) > _SHOWN_SHORTFALLS:
        console.print(
            f"… et {len(shortfalls) - _SHOWN_SHORTFALLS} autre(s) : voir les rapports (--out)."
        )


# --- intake and instruction -------------------------------------------------------------------

# Refusals by the workflow table are findings (exit 1); the rest is unusable input (exit 2).
_REFUSALS = frozenset({"WORKFLOW_FORBIDDEN", "WORKFLOW_TRANSITION_INVALID"})
# What a decision, a payment or a cancellation may answer instead of doing it (in French).
_REFUSABLE = (WorkflowError, StoreError, OSError)
# How many findings of an intake the terminal lists (--json gives them all).
_SHOWN_FINDINGS = 50

RequestArgument = Annotated[
    str,
    typer.Argument(help="Numéro de la demande (ou son identifiant dans le fichier de dépôt)."),
]
MotiveOption = Annotated[
    str | None, typer.Option("--motive", help="Motif de la décision (texte libre).")
]
FileOption = Annotated[
    Path | None, typer.Option("--file", help="Pièce jointe (PDF) à la décision.")
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")]


def _day(text: str | None, option: str) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"option {option} : « {text} » n'est pas une date au format AAAA-MM-JJ.")


def _cents(text: str, option: str) -> int:
    from sons.domain.money import AmountError, parse_euros

    try:
        return parse_euros(text)
    except AmountError as error:
        fail(f"option {option} : {error.message}.")


def _refused(error: Exception) -> NoReturn:
    """A refusal in French: exit 1 when the workflow table says no, 2 for unusable input."""
    if isinstance(error, WorkflowError):
        errors.print(f"[bold red]Refusé :[/] {error.message}", soft_wrap=True)
        raise typer.Exit(EXIT_FINDINGS if error.code in _REFUSALS else EXIT_BAD_INPUT)
    fail(str(error))


@app.command("intake")
def intake_command(
    file: Annotated[Path, typer.Argument(help="Fichier de dépôt JSON reçu d'un éditeur.")],
    zip_file: Annotated[
        Path | None, typer.Option("--zip", help="Zip des pièces jointes du dépôt.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Date de réception AAAA-MM-JJ (par défaut : aujourd'hui)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Reçoit le dépôt d'un éditeur : tous les contrôles, demandes « incomplètes » et doublons.

    L'éditeur est celui du fichier (SIRET) ; un éditeur inconnu ou non enrôlé est refusé. Code
    de sortie : 0 reçu, 1 reçu avec des constats de gravité erreur, 2 refusé (rien n'est
    enregistré).
    """
    from sons.entrypoints.cli.workspace import actor, store
    from sons.services.deposits import DepositRefused
    from sons.services.intake import RECEPTION_LABELS, intake_deposit

    today = _day(date, "--date")
    try:
        referential = default_referential()
    except ReferentialError as error:
        fail(str(error))
    with store() as engine:
        try:
            result = intake_deposit(
                engine, file, zip_file, actor=actor(), today=today, referential=referential
            )
        except DepositRefused as refused:
            if as_json:
                report = refused.report
                print_json(
                    {
                        "refused": str(refused),
                        "report": None if report is None else report.as_dict(),
                    }
                )
                raise typer.Exit(EXIT_BAD_INPUT) from None
            if refused.report is not None and refused.report.findings:
                print_findings(
                    list(refused.report.findings[:_SHOWN_FINDINGS]), "Contrôles du dépôt"
                )
            fail(str(refused))
        except (StoreError, OSError) as error:
            fail(str(error))
    if as_json:
        print_json(result.as_dict())
        raise typer.Exit(EXIT_FINDINGS if result.has_errors else EXIT_OK)
    table = Table(title=f"Réception de {result.file_name}")
    for column in ("Position", "Identifiant", "N°", "Réception", "Statut", "Constats"):
        table.add_column(column)
    for line in result.lines:
        data = line.as_dict()
        errors_count = sum(1 for f in line.findings if f.severity.value == "error")
        table.add_row(
            str(line.position + 1),
            line.request_ref,
            "—" if data["id"] is None else str(data["id"]),
            RECEPTION_LABELS[line.reception],
            data["operator_label"] or "—",
            f"{errors_count} erreur(s), {len(line.findings) - errors_count} autre(s)"
            if line.findings
            else "—",
        )
    console.print(table)
    findings = result.findings
    if findings:
        print_findings(findings[:_SHOWN_FINDINGS], "Constats à la réception")
        if len(findings) > _SHOWN_FINDINGS:
            console.print(f"… et {len(findings) - _SHOWN_FINDINGS} autre(s) : « --json ».")
    style = "green" if result.deposit is not None else "yellow"
    console.print(f"[{style}]{result.message()}[/]", soft_wrap=True)
    raise typer.Exit(EXIT_FINDINGS if result.has_errors else EXIT_OK)


@app.command("queue")
def queue_command(
    status: Annotated[
        str | None, typer.Option("--status", help="Statut (ex. deposee, incomplete).")
    ] = None,
    dispositif: Annotated[str | None, typer.Option("--dispositif", help="Dispositif.")] = None,
    vendor_siret: Annotated[
        str | None, typer.Option("--vendor", help="SIRET de l'éditeur.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """La file d'instruction : les demandes reçues par statut et dispositif, avec les comptes."""
    from sons.entrypoints.cli.workspace import store
    from sons.services.instruction import queue
    from sons.services.requests import parse_status

    try:
        wanted = None if status is None else parse_status(status)
    except StoreError as error:
        fail(str(error))
    with store() as engine:
        try:
            found = queue(engine, status=wanted, dispositif=dispositif, vendor_siret=vendor_siret)
        except StoreError as error:
            fail(str(error))
    if as_json:
        print_json(found.as_dict())
        raise typer.Exit(EXIT_OK)
    summary = Table(title="File d'instruction")
    for column in ("Statut", "Dispositif", "Demandes"):
        summary.add_column(column)
    for group in found.groups:
        summary.add_row(group.label, group.dispositif, str(len(group.lines)))
    console.print(summary)
    for group in found.groups:
        table = Table(title=f"{group.label} — {group.dispositif} ({len(group.lines)})")
        for column in ("N°", "Identifiant", "Nature", "Éditeur", "Client", "Demandé TTC"):
            table.add_column(column)
        table.add_column("Constats à la réception")
        for line in group.lines:
            r = line.request
            amount = (
                "non renseigné" if r.amount_ttc_cents is None else format_euros(r.amount_ttc_cents)
            )
            tally = (
                f"{line.errors} erreur(s), {line.warnings} avert."
                if line.errors or line.warnings
                else "—"
            )
            table.add_row(
                str(r.id),
                r.request_ref,
                r.kind.value,
                line.vendor_name or line.vendor_siret,
                r.client_id,
                amount,
                tally,
            )
        console.print(table)
    console.print(f"{found.total} demande(s).")
    raise typer.Exit(EXIT_OK)


@app.command("show")
def show_command(ident: RequestArgument, as_json: JsonFlag = False) -> None:
    """Une demande vue par l'opérateur : statut, constats à la réception, paiements,
    recouvrements et historique."""
    from sons.domain.workflow import REASON_LABELS
    from sons.entrypoints.cli.workspace import store
    from sons.services.instruction import show

    with store() as engine:
        try:
            seen = show(engine, ident)
        except StoreError as error:
            fail(str(error))
    if as_json:
        print_json(seen.as_dict())
        raise typer.Exit(EXIT_OK)
    request = seen.view.request
    console.print(
        f"[bold]Demande n° {request.id} « {request.request_ref} »[/] ({request.kind.value}, "
        f"{request.dispositif}) — éditeur {seen.vendor_name} (SIRET {seen.vendor_siret}) — "
        f"statut « {seen.view.label(Audience.OPERATOR)} »",
        soft_wrap=True,
    )
    amount = request.amount_ttc_cents
    console.print(
        "Montant demandé : "
        + ("non renseigné" if amount is None else f"{format_euros(amount)} TTC")
        + " ; actions possibles : "
        + (", ".join(t.action for t in seen.view.actions(Audience.OPERATOR)) or "aucune")
    )
    if seen.findings:
        print_findings(list(seen.findings), "Constats à la réception")
    else:
        console.print("Aucun constat à la réception.")
    for payment in seen.payments:
        console.print(
            f"Paiement : {format_euros(payment.amount_cents)} le {payment.paid_on:%d/%m/%Y} "
            f"({payment.recorded_by})"
        )
    for order in seen.recoveries:
        console.print(
            f"Ordre de recouvrement n° {order.id} : {format_euros(order.amount_cents)} le "
            f"{order.issued_on:%d/%m/%Y} — {order.motive}"
        )
    history = Table(title="Historique")
    for column in ("Quand (UTC)", "Qui", "Action", "De → à", "Motif"):
        history.add_column(column)
    for record in seen.view.history:
        before = (
            "—"
            if record.from_status is None
            else status_label(record.from_status, request.kind, Audience.OPERATOR)
        )
        reason = "" if record.reason is None else f"[{REASON_LABELS[record.reason]}] "
        history.add_row(
            f"{record.at:%Y-%m-%d %H:%M:%S}",
            record.actor,
            record.action,
            f"{before} → {status_label(record.to_status, request.kind, Audience.OPERATOR)}",
            reason + (record.motive or ""),
        )
    console.print(history)
    raise typer.Exit(EXIT_OK)


@app.command("decide")
def decide_command(
    ident: RequestArgument,
    action: Annotated[
        str,
        typer.Option(
            "--action", help="Décision : valider, rejeter, instruire, declarer-incomplete."
        ),
    ],
    motive: MotiveOption = None,
    file: FileOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Décide d'une demande selon la table du workflow, avec son motif ; inscrit au journal.

    Code de sortie : 0 fait, 1 refusé par la table (statut), 2 entrée inutilisable.
    """
    from sons.entrypoints.cli.workspace import actor, store
    from sons.services.instruction import decide

    with store() as engine:
        try:
            outcome = decide(engine, ident, action, motive=motive, actor=actor(), file=file)
        except _REFUSABLE as error:
            _refused(error)
    _done(outcome.message(), outcome.as_dict(), as_json)


@app.command("request-correction")
def request_correction_command(
    ident: RequestArgument,
    reason: Annotated[
        str, typer.Option("--reason", help="Code de motif : incorrect, incomplet, obsolete.")
    ],
    motive: MotiveOption = None,
    file: FileOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Renvoie une demande « à modifier » avec son code de motif ; l'éditeur répond par un
    nouveau dépôt (« sons operator intake » la remet « déposée »)."""
    from sons.entrypoints.cli.workspace import actor, store
    from sons.services.instruction import request_correction
    from sons.services.requests import parse_reason

    try:
        code = parse_reason(reason)
    except StoreError as error:
        fail(f"option --reason : {error}")
    with store() as engine:
        try:
            outcome = request_correction(
                engine, ident, reason=code, motive=motive, actor=actor(), file=file
            )
        except _REFUSABLE as error:
            _refused(error)
    _done(outcome.message(), outcome.as_dict(), as_json)


@app.command("cancel")
def cancel_command(
    ident: RequestArgument,
    motive: MotiveOption = None,
    recovery_amount: Annotated[
        str | None,
        typer.Option(
            "--recovery-amount",
            help="Montant à recouvrer (ex. 1234,56) quand la demande a été payée : ordre de "
            "recouvrement.",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option("--date", help="Date de l'ordre de recouvrement (par défaut : aujourd'hui)."),
    ] = None,
    file: FileOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Annule une demande ; une demande payée donne lieu à un ordre de recouvrement."""
    from sons.entrypoints.cli.workspace import actor, store
    from sons.services.instruction import cancel

    cents = None if recovery_amount is None else _cents(recovery_amount, "--recovery-amount")
    on = _day(date, "--date")
    with store() as engine:
        try:
            outcome = cancel(
                engine,
                ident,
                motive=motive,
                actor=actor(),
                on=on,
                recovery_cents=cents,
                file=file,
            )
        except _REFUSABLE as error:
            _refused(error)
    _done(outcome.message(), outcome.as_dict(), as_json)


@app.command("pay")
def pay_command(
    ident: RequestArgument,
    amount: Annotated[str, typer.Option("--amount", help="Montant payé (ex. 1234,56).")],
    date: Annotated[str | None, typer.Option("--date", help="Date du paiement AAAA-MM-JJ.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Enregistre le paiement d'une demande validée (avance, solde ou avenant)."""
    from sons.entrypoints.cli.workspace import actor, store
    from sons.services.instruction import pay

    cents = _cents(amount, "--amount")
    paid_on = _day(date, "--date")
    with store() as engine:
        try:
            outcome = pay(engine, ident, amount_cents=cents, paid_on=paid_on, actor=actor())
        except _REFUSABLE as error:
            _refused(error)
    _done(outcome.message(), outcome.as_dict(), as_json)


def _done(message: str, data: dict[str, object], as_json: bool) -> None:
    if as_json:
        print_json(data)
    else:
        console.print(f"[green]{message}[/]", soft_wrap=True)
    raise typer.Exit(EXIT_OK)


def print_operator_tour(tour: OperatorTour) -> None:
    """`sons demo`, the operator's part: intake, instruction and payments, in short."""
    console.print(
        "L'opérateur de paiement reçoit les fichiers de l'éditeur dans sa propre base "
        f"({tour.database}). Commande : [cyan]sons operator intake FICHIER.json --zip "
        "FICHIER.zip[/]",
        soft_wrap=True,
    )
    enrolment = tour.registries.enrolment
    console.print(
        f"Registre des solutions référencées : {tour.registries.solutions.message()} "
        "([cyan]sons operator registry import-solutions[/]). Demande d'enrôlement de l'éditeur "
        f"n° {enrolment.request.id} : "
        f"{status_label(enrolment.request.status, RequestKind.ENROLMENT, Audience.OPERATOR)} "
        "([cyan]sons vendor enrol[/], puis [cyan]sons operator enrolment decide[/]).",
        soft_wrap=True,
    )
    for title, result in (
        ("Avance (zip incomplet)", tour.advance),
        ("Nouveau dépôt de l'éditeur", tour.answer),
        ("Solde", tour.balance),
    ):
        console.print(f"• {title} : {result.message()}", soft_wrap=True)
    if tour.incomplete:
        console.print(
            f"La demande « {tour.incomplete} » est reçue « incomplète » (pièce absente du zip) et "
            "listée comme telle dans la file.",
            soft_wrap=True,
        )
    console.print(
        f"La demande « {tour.sent_back} » est renvoyée « à modifier » (motif : incorrect) : "
        "[cyan]sons operator request-correction … --reason incorrect --motive …[/] ; le nouveau "
        "dépôt de l'éditeur la remet « déposée ».",
        soft_wrap=True,
    )
    console.print(
        f"{tour.payments} paiement(s) enregistré(s) pour {format_euros(tour.paid_cents)} "
        "([cyan]sons operator decide … --action valider --motive …[/], puis [cyan]sons operator "
        "pay … --amount … --date …[/]).",
        soft_wrap=True,
    )
    table = Table(title="File d'instruction à la fin (sons operator queue)")
    for column in ("Statut", "Dispositif", "Demandes"):
        table.add_column(column)
    for group in tour.queue.groups:
        table.add_row(group.label, group.dispositif, str(len(group.lines)))
    console.print(table)
