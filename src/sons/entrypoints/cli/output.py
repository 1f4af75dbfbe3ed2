"""How every CLI command reports: a French table for people, `--json` for machines.

Exit codes are the same everywhere: 0 no error, 1 findings of severity error, 2 unusable input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from sons.findings import SEVERITY_LABELS, Finding, Severity, has_errors

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

# How each severity is coloured, wherever a command prints findings or problems.
SEVERITY_STYLES = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def fail(message: str) -> NoReturn:
    """Unusable input: a French message naming the place, exit 2, no traceback."""
    errors.print(f"[bold red]Erreur :[/] {message}", soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def findings_table(findings: Iterable[Finding], title: str = "Constats") -> Table:
    table = Table(title=title, show_lines=True, expand=True)
    table.add_column("Gravité", no_wrap=True)
    table.add_column("Code", no_wrap=True)
    table.add_column("Constat")
    table.add_column("Emplacement")
    for finding in findings:
        style = SEVERITY_STYLES[finding.severity]
        message = finding.message
        if finding.source:
            message += f"\n[dim]Source : {finding.source}[/]"
        table.add_row(
            f"[{style}]{SEVERITY_LABELS[finding.severity]}[/]",
            finding.code,
            message,
            finding.path,
        )
    return table


def print_findings(findings: list[Finding] | tuple[Finding, ...], title: str = "Constats") -> None:
    if not findings:
        console.print("[green]Aucun constat : tout est conforme.[/]")
        return
    console.print(findings_table(findings, title))
    errors_count = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings_count = sum(1 for f in findings if f.severity is Severity.WARNING)
    console.print(f"{errors_count} erreur(s), {warnings_count} avertissement(s).")


def exit_for(findings: list[Finding] | tuple[Finding, ...]) -> NoReturn:
    raise typer.Exit(EXIT_FINDINGS if has_errors(findings) else EXIT_OK)
