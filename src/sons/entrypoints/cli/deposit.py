"""`sons deposit …`: the deposit files (« format de dépôt SONS ») and their simulator.

`sons deposit check` works on any file, ours or made elsewhere, without the store: the same
report as the operator's « simulateur de dépôt JSON », with every problem at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sons.domain.money import format_euros
from sons.entrypoints.cli.output import console, errors, fail, print_json
from sons.entrypoints.cli.referential import parse_date
from sons.findings import SEVERITY_LABELS, Finding, Severity
from sons.formats.deposit.check import DepositReport, check_deposit
from sons.referential.loader import Referential, ReferentialError, default_referential

app = typer.Typer(help="Les fichiers de dépôt SONS : contrôle avant dépôt (simulateur).")

# The terminal shows this many findings; --json gives them all.
SHOWN_FINDINGS = 200

FileArgument = Annotated[
    Path,
    typer.Argument(help="Fichier de dépôt JSON à contrôler.", show_default=False),
]
ZipOption = Annotated[
    Path | None,
    typer.Option("--zip", help="Zip des pièces jointes qui accompagne le fichier."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Date du contrôle AAAA-MM-JJ (par défaut : aujourd'hui)."),
]


def _referential() -> Referential:
    try:
        return default_referential()
    except ReferentialError as exc:
        fail(str(exc))


def _header(report: DepositReport) -> Table:
    table = Table(title=f"Contrôle du fichier de dépôt {Path(report.file).name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    rows = [
        ("Fichier", report.file),
        ("Zip", report.zip or "non fourni"),
        ("Format", report.format_version or "illisible"),
        ("Couloir", report.couloir or "illisible"),
        ("Dispositif", report.dispositif or "illisible"),
        ("Nature", report.kind or "illisible"),
        ("Créé le", report.created_at or "illisible"),
        ("Demandes", str(len(report.requests))),
        ("Référentiel", report.referential),
        ("Contrôlé au", report.checked_on.isoformat()),
    ]
    total_ht = sum(r.ht_cents or 0 for r in report.requests)
    if report.requests:
        rows.append(("Prestations (HT)", format_euros(total_ht)))
    if report.zip is not None:
        rows.append(("Entrées du zip", str(report.zip_entries or 0)))
    for label, value in rows:
        table.add_row(label, value)
    return table


_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _findings_table(findings: tuple[Finding, ...]) -> Table:
    """Like `output.findings_table`, with the JSON path above the message: never truncated."""
    table = Table(title="Constats", show_lines=True, expand=True)
    table.add_column("Gravité", no_wrap=True)
    table.add_column("Code", no_wrap=True)
    table.add_column("Emplacement et constat", ratio=1, overflow="fold")
    for finding in findings:
        style = _STYLE[finding.severity]
        text = f"[bold]{finding.path}[/]\n" if finding.path else ""
        text += finding.message
        if finding.source:
            text += f"\n[dim]Source : {finding.source}[/]"
        table.add_row(f"[{style}]{SEVERITY_LABELS[finding.severity]}[/]", finding.code, text)
    return table


def _print_report(report: DepositReport) -> None:
    console.print(_header(report))
    findings = report.findings
    if findings:
        shown = findings[:SHOWN_FINDINGS]
        console.print(_findings_table(shown))
        if len(findings) > SHOWN_FINDINGS:
            console.print(
                f"… et {len(findings) - SHOWN_FINDINGS} autre(s) constat(s) : « --json » les "
                "donne tous."
            )
    incomplete = report.incomplete_requests
    if incomplete:
        listed = ", ".join(incomplete[:20]) + (" …" if len(incomplete) > 20 else "")
        console.print(
            f"[yellow]{len(incomplete)} demande(s) seraient « incomplètes » (pièces jointes) : "
            f"{listed}[/]"
        )
    errors_count = report.count(Severity.ERROR)
    warnings_count = report.count(Severity.WARNING)
    if errors_count:
        console.print(
            f"[red]{errors_count} erreur(s)[/], {warnings_count} avertissement(s) : fichier à "
            "corriger avant dépôt."
        )
    else:
        console.print(
            f"[green]Aucune erreur[/], {warnings_count} avertissement(s) : fichier prêt pour le "
            "dépôt."
        )


@app.command("check")
def check(
    file: FileArgument,
    zip_file: ZipOption = None,
    as_json: JsonOption = False,
    date: DateOption = None,
) -> None:
    """Contrôle un fichier de dépôt (et son zip) comme le simulateur de l'opérateur.

    Code de sortie : 0 sans erreur, 1 avec des erreurs, 2 si le fichier n'est pas un JSON
    lisible.
    """
    referential = _referential()
    today = parse_date(date)
    if zip_file is not None and not zip_file.is_file():
        fail(f"option --zip : fichier introuvable : {zip_file}.")
    report = check_deposit(file, zip_file, referential, today)
    if as_json:
        print_json(report.as_dict())
    elif not report.readable:
        for finding in report.findings:
            where = f" ({finding.path})" if finding.path else ""
            errors.print(f"[bold red]Erreur :[/] {finding.message}{where}", soft_wrap=True)
    else:
        _print_report(report)
    raise typer.Exit(report.exit_code)
