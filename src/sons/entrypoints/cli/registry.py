"""`sons operator registry …` and `sons operator cross-check`: the operator's registries
(enrolled vendors, referenced solutions) and the cross-vendor controls over the whole store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sons.entrypoints.cli.output import EXIT_FINDINGS, console, fail, print_findings, print_json
from sons.entrypoints.cli.workspace import JsonOption, actor, finish_import, store
from sons.referential.loader import ReferentialError
from sons.services.cross_vendor import cross_check
from sons.services.registries import (
    import_enrolled_vendors,
    import_referenced_solutions,
    list_registries,
)
from sons.store.errors import StoreError

app = typer.Typer(help="Les registres de l'opérateur : éditeurs enrôlés et solutions référencées.")


@app.command("import-vendors")
def import_vendors_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="Registre des éditeurs enrôlés (siret;raison_sociale;numero_enrolement;"
            "numeros_referencement;date_enrolement;date_fin)."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Importe le registre des éditeurs enrôlés (CSV ou XLSX) : tout ou rien, une seule fois."""
    with store() as engine:
        try:
            outcome = import_enrolled_vendors(engine, path, actor=actor())
        except StoreError as exc:
            fail(str(exc))
        finish_import(outcome, as_json)


@app.command("import-solutions")
def import_solutions_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="Registre des solutions référencées (numero_referencement;nom;version;"
            "dispositif;profils;date_referencement;date_fin_validite)."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Importe le registre des solutions référencées (CSV ou XLSX) : tout ou rien, une fois."""
    with store() as engine:
        try:
            outcome = import_referenced_solutions(engine, path, actor=actor())
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
        finish_import(outcome, as_json)


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Liste les éditeurs enrôlés et les solutions référencées."""
    with store() as engine:
        listing = list_registries(engine)
    if as_json:
        print_json(listing.as_dict())
        return
    if not listing.vendors and not listing.solutions:
        console.print(
            "Registres vides. Import : [cyan]sons operator registry import-vendors FICHIER[/] "
            "et [cyan]sons operator registry import-solutions FICHIER[/]."
        )
        return
    vendors = Table(title="Éditeurs enrôlés")
    for column in ("SIRET", "Raison sociale", "Enrôlement", "Du", "Au", "Solutions", "Origine"):
        vendors.add_column(column)
    for vendor in listing.vendors:
        vendors.add_row(
            vendor.siret,
            vendor.name,
            vendor.enrolment_number or "non renseigné",
            vendor.enrolled_on.isoformat() if vendor.enrolled_on else "non renseigné",
            vendor.ended_on.isoformat() if vendor.ended_on else "—",
            ", ".join(sorted(vendor.solutions)),
            "demande d'enrôlement" if vendor.origin == "enrolement" else "registre importé",
        )
    console.print(vendors)
    solutions = Table(title="Solutions référencées")
    for column in ("N° de référencement", "Solution", "Dispositif", "Profils", "Du", "Au"):
        solutions.add_column(column)
    for solution in listing.solutions:
        solutions.add_row(
            solution.referencing_number,
            f"{solution.name} {solution.version}",
            solution.dispositif,
            ", ".join(sorted(solution.profiles)),
            solution.referenced_on.isoformat(),
            solution.valid_until.isoformat() if solution.valid_until else "—",
        )
    console.print(solutions)


def cross_check_command(as_json: JsonOption = False) -> None:
    """Contrôles inter-fournisseurs sur toutes les demandes déposées : une Prestation par
    client et par dispositif, vague 1 → vague 2, dates limites à la date de dépôt."""
    with store() as engine:
        try:
            report = cross_check(engine)
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
    if as_json:
        print_json(report.as_dict())
    else:
        console.print(
            f"[bold]Contrôles inter-fournisseurs[/] — {report.requests} demande(s) déposée(s), "
            f"{len(report.lines)} avec constat(s) ; référentiel {report.referential_pin}."
        )
        for line in report.lines:
            request = line.request
            filed = line.filed_on.isoformat() if line.filed_on else "non renseignée"
            print_findings(
                line.findings,
                f"Demande n° {request.id} « {request.request_ref} » ({request.dispositif}, "
                f"fournisseur n° {request.vendor_id}, déposée le {filed})",
            )
    if report.has_errors:
        raise typer.Exit(EXIT_FINDINGS)
