"""`sons evidence …`: the evidence for the balance — transmissions log, installed scenario,
MOM and VA — and where each order stands (« prêt pour le solde » or what is missing)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sons.domain.evidence import OrderReadiness, flow_name, readiness_text
from sons.entrypoints.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_OK,
    console,
    fail,
    print_findings,
    print_json,
)
from sons.entrypoints.cli.workspace import (
    JsonOption,
    VendorOption,
    actor,
    progress_bar,
    store,
    vendor,
)
from sons.findings import SEVERITY_LABELS, Finding, Severity, has_errors
from sons.referential.loader import ReferentialError
from sons.referential.model import FLOW_LABELS, ROUTE_LABELS
from sons.services.evidence import (
    PieceOutcome,
    ReadinessReport,
    TransmissionImport,
    import_transmissions,
    install_scenario,
    read_answers,
    readiness,
    record_mom,
    upload_va,
)
from sons.store.errors import StoreError

if TYPE_CHECKING:
    from sons.services.demo_evidence import EvidenceTour

app = typer.Typer(
    help="Les preuves du solde : journal des envois, scénario installé, MOM, VA, état des bons."
)
mom_app = typer.Typer(help="La MOM (mise en ordre de marche), déclaration du fournisseur.")
va_app = typer.Typer(help="La VA (vérification d'aptitude), signée par le client final.")
app.add_typer(mom_app, name="mom")
app.add_typer(va_app, name="va")

# Beyond this many orders, `status` shows one line per order unless --details is given.
DETAILED_ORDERS = 20
_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

SiteOption = Annotated[
    str, typer.Option("--site", help="FINESS ET du site de la commande.", show_default=False)
]
NumberArgument = Annotated[str, typer.Argument(help="Numéro du bon de commande.")]


# --- import -----------------------------------------------------------------------------------


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="Journal des envois (.csv ou .jsonl).")],
    skip_invalid: Annotated[
        bool,
        typer.Option(
            "--skip-invalid",
            help="Enregistre les lignes valides et écrit les lignes rejetées, avec leurs motifs, "
            "dans <nom>.rejets.csv à côté du fichier.",
        ),
    ] = False,
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importe un journal des envois : tout ou rien (sauf --skip-invalid) ; idempotent."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            with progress_bar("Journal des envois", in_bytes=True) as progress:
                outcome = import_transmissions(
                    engine,
                    path,
                    vendor_id=entry.id,
                    skip_invalid=skip_invalid,
                    actor=actor(),
                    progress=progress,
                )
        except (StoreError, OSError) as exc:
            fail(str(exc))
    code = _import_code(outcome)
    if as_json:
        print_json(outcome.as_dict())
        raise typer.Exit(code)
    report = outcome.report
    for problem in report.problems:
        style = _STYLE[problem.severity]
        console.print(
            f"[{style}]• {SEVERITY_LABELS[problem.severity]}[/] — {problem} [dim]"
            f"[{problem.rule}][/]",
            soft_wrap=True,
        )
    if report.omitted:
        console.print(f"… et {report.omitted} autre(s) problème(s) non détaillé(s).")
    if outcome.refused:
        fail(outcome.message())
    style = "yellow" if outcome.earlier is not None or outcome.rejected else "green"
    console.print(f"[{style}]{outcome.message()}[/]", soft_wrap=True)
    if outcome.batch is not None:
        console.print("État des bons : [cyan]sons evidence status[/]", soft_wrap=True)
    raise typer.Exit(code)


def _import_code(outcome: TransmissionImport) -> int:
    if outcome.refused:
        return EXIT_BAD_INPUT
    return EXIT_FINDINGS if outcome.rejected else EXIT_OK


# --- installed scenario -----------------------------------------------------------------------


@app.command("install")
def install_command(
    number: NumberArgument,
    site: SiteOption,
    answers: Annotated[
        Path,
        typer.Option(
            "--answers",
            help="Réponses du scénario effectivement installé (JSON {question: réponse}).",
            show_default=False,
        ),
    ],
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Déclare le scénario effectivement installé d'un site (sinon le scénario commandé vaut)."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            outcome = install_scenario(
                engine,
                vendor_id=entry.id,
                number=number,
                finess=site,
                answers=read_answers(answers),
                source=answers.name,
                actor=actor(),
            )
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    if as_json:
        print_json(outcome.as_dict())
    else:
        state = "déclaré" if outcome.changed else "inchangé (déjà déclaré tel quel)"
        console.print(
            f"[green]Scénario installé {state}[/] pour le bon {outcome.number}, site "
            f"{outcome.finess_et}.",
            soft_wrap=True,
        )
        if outcome.conditions:
            console.print("Conditions de versement du solde de ce scénario :")
            for condition in outcome.conditions:
                console.print(
                    f"  • {FLOW_LABELS[condition.flow]} — {ROUTE_LABELS[condition.route]} : "
                    f"{condition.condition} (pièce : {condition.evidence_label})",
                    soft_wrap=True,
                )
        else:
            console.print("Ce scénario ne déclenche aucune condition de versement du solde.")
        if outcome.findings:
            print_findings(outcome.findings)
    raise typer.Exit(EXIT_FINDINGS if has_errors(outcome.findings) else EXIT_OK)


# --- MOM and VA -------------------------------------------------------------------------------


def _finish_piece(outcome: PieceOutcome, as_json: bool) -> None:
    if as_json:
        print_json(outcome.as_dict())
    else:
        style = "green" if outcome.accepted else "red"
        console.print(f"[{style}]{outcome.message()}[/]", soft_wrap=True)
        shown = [f for f in outcome.findings if f.severity is not Severity.INFO or as_json]
        infos = [f for f in outcome.findings if f.severity is Severity.INFO]
        for finding in infos:
            console.print(f"[cyan]• {finding.message}[/]", soft_wrap=True)
        if shown:
            print_findings(shown)
    raise typer.Exit(EXIT_FINDINGS if has_errors(outcome.findings) else EXIT_OK)


@mom_app.command("record")
def mom_record_command(
    number: NumberArgument,
    site: SiteOption,
    flows: Annotated[
        str,
        typer.Option(
            "--flows",
            help="Flux attestés, flux/voie séparés par des virgules : dmp/direct,mss_pro/direct "
            "(voies : direct, third_party).",
            show_default=False,
        ),
    ],
    by: Annotated[
        str | None, typer.Option("--by", help="Nom du déclarant (par défaut : l'auteur).")
    ] = None,
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistre la MOM d'un site : les flux mis en ordre de marche, par qui, quand."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            outcome = record_mom(
                engine,
                vendor_id=entry.id,
                number=number,
                finess=site,
                flows=flows,
                recorded_by=by,
                actor=actor(),
            )
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    _finish_piece(outcome, as_json)


@va_app.command("upload")
def va_upload_command(
    number: NumberArgument,
    pdf: Annotated[Path, typer.Argument(help="La VA signée par le client final (PDF).")],
    site: SiteOption,
    flows: Annotated[
        str | None,
        typer.Option(
            "--flows",
            help="Flux attestés (par défaut : ceux du scénario installé dont la pièce est la VA).",
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Qui dépose la VA (par défaut : l'auteur).")
    ] = None,
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dépose la VA signée d'un site : PDF et signature vérifiés, signataire, date, SHA-256."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            outcome = upload_va(
                engine,
                vendor_id=entry.id,
                number=number,
                finess=site,
                pdf_path=pdf,
                flows=flows,
                recorded_by=by,
                actor=actor(),
            )
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    _finish_piece(outcome, as_json)


# --- status -----------------------------------------------------------------------------------


@app.command("status")
def status_command(
    orders: Annotated[
        list[str] | None,
        typer.Option("--order", help="Numéro d'un bon (répétable) ; par défaut tous."),
    ] = None,
    details: Annotated[
        bool, typer.Option("--details", help="Détail par condition même pour beaucoup de bons.")
    ] = False,
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Où en est chaque bon et chaque site : prêt pour le solde, ou ce qui manque."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            report = readiness(engine, vendor_id=entry.id, numbers=orders or None)
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    findings = [f for o in report.orders for f in (*o.findings, *_site_findings(o))]
    detailed = details or len(report.orders) <= DETAILED_ORDERS
    if as_json:
        print_json({"vendor": entry.vendor.siret, **report.as_dict()})
    else:
        _print_status(report, detailed=detailed)
        # Informations (e.g. an order pinned to another referential) only in the details.
        shown = [f for f in findings if detailed or f.severity is not Severity.INFO]
        if shown:
            print_findings(shown)
    raise typer.Exit(EXIT_FINDINGS if has_errors(findings) else EXIT_OK)


def _site_findings(order: OrderReadiness) -> list[Finding]:
    return [f for site in order.sites for f in site.findings]


_VERDICT_STYLE = {True: "green", False: "red", None: "yellow"}


def _print_status(report: ReadinessReport, *, detailed: bool) -> None:
    if not report.orders:
        console.print("Aucun bon de commande pour cet éditeur.")
        return
    for order in report.orders:
        verdict = order.verdict
        style = _VERDICT_STYLE[verdict.ready]
        console.print(
            f"[bold]Bon {order.number}[/] — {order.dispositif}, signé le "
            f"{order.signed_on:%d/%m/%Y}, {order.solution} : [{style}]"
            f"{readiness_text(verdict)}[/]",
            soft_wrap=True,
        )
        if not detailed:
            continue
        table = Table(show_lines=False, expand=True)
        for column in ("Site", "Scénario", "Flux", "Envois comptés", "Pièce", "Verdict"):
            table.add_column(column)
        for site in order.sites:
            scenario = "installé" if site.scenario_installed else "commandé"
            if not site.conditions:
                table.add_row(
                    site.finess_et or "sans FINESS", scenario, "—", "—", "—",
                    readiness_text(site.verdict),
                )  # fmt: skip
            for item in site.conditions:
                counts = item.status.counts
                threshold = "non renseigné" if counts.threshold is None else str(counts.threshold)
                achieved = (
                    "non comptables" if counts.uncountable else f"{counts.achieved} / {threshold}"
                )
                piece = item.status.evidence.value + (
                    " présente" if item.status.evidence_present else " manquante"
                )
                table.add_row(
                    site.finess_et or "sans FINESS",
                    scenario,
                    flow_name(counts.flow, counts.route),
                    achieved,
                    piece,
                    f"[{_VERDICT_STYLE[item.verdict.ready]}]{readiness_text(item.verdict)}[/]",
                )
        console.print(table)
    ready = report.ready
    console.print(
        f"{len(report.orders)} bon(s) : {ready} prêt(s) pour le solde, "
        f"{sum(1 for o in report.orders if o.verdict.ready is False)} incomplet(s), "
        f"{sum(1 for o in report.orders if o.verdict.ready is None)} non déterminable(s). "
        f"Envois comptés au {report.as_of:%d/%m/%Y} (accusés ok, depuis la signature du bon, "
        "version de la solution du bon).",
        soft_wrap=True,
    )
    if any(not s.scenario_installed for o in report.orders for s in o.sites):
        console.print(
            "[dim]« commandé » : aucun scénario installé déclaré, le scénario commandé est "
            "évalué (sons evidence install pour déclarer le scénario installé).[/]",
            soft_wrap=True,
        )


# --- the demo's part --------------------------------------------------------------------------


def print_evidence_tour(tour: EvidenceTour) -> None:
    """`sons demo`'s evidence part, for people: the log imported, where the orders stand, the
    documents written."""
    console.print(
        "Le logiciel de l'éditeur journalise chaque envoi ; sons lit ce journal et compte, par "
        "bon et par site, les envois qui remplissent chaque condition de versement du solde "
        f"(accusés ok, depuis la signature du bon). Commande : [cyan]sons evidence import "
        f"{tour.log}[/]\n  {tour.imported.message()}",
        soft_wrap=True,
    )
    for number, role in tour.orders:
        console.print(f"  • [bold]{number}[/] — {role}", soft_wrap=True)
    console.print(
        f"{len(tour.moms)} MOM enregistrée(s) ([cyan]sons evidence mom record NUMÉRO --site "
        "FINESS --flows dmp/direct,mss_pro/direct,mss_patient/direct[/]). État au "
        f"{tour.day:%d/%m/%Y} : [cyan]sons evidence status "
        + " ".join(f"--order {number}" for number, _ in tour.orders)
        + "[/]",
        soft_wrap=True,
    )
    _print_status(tour.readiness, detailed=True)
    console.print("Documents PDF écrits :")
    for document in tour.documents:
        console.print(
            f"  • {document.label} du bon {document.number} : {document.path} ([cyan]sons "
            f"document {document.kind.value} {document.number} --out FICHIER.pdf[/])",
            soft_wrap=True,
        )
