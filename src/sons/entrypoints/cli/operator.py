"""`sons operator …`: the payment operator's side. For now: the a-posteriori controls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from sons.domain.money import format_euros
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

if TYPE_CHECKING:
    from sons.analytics.controls import ControlsReport

app = typer.Typer(help="L'opérateur de paiement : contrôles a posteriori des soldes payés.")

# How many controls that are not conforme the terminal lists (the reports hold them all).
_SHOWN_SHORTFALLS = 20


def _balances_source(balances: Path | None) -> Path:
    """Where the paid balances come from: the file for now; the store's export later."""
    if balances is None:
        fail(
            "option --balances obligatoire : le fichier des soldes payés (format décrit dans "
            "docs/controles-a-posteriori.md)."
        )
    return balances


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
        typer.Option("--balances", help="Soldes payés (CSV ou Parquet)."),
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
