"""`sons solution …`: a vendor's referenced solutions and the profiles they obtained."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sons.entrypoints.cli.output import console, fail, print_json
from sons.entrypoints.cli.workspace import (
    JsonOption,
    VendorOption,
    actor,
    finish_import,
    store,
    vendor,
)
from sons.referential.loader import ReferentialError
from sons.services.solutions import import_solutions, list_solutions
from sons.store.errors import StoreError

app = typer.Typer(help="Les solutions référencées d'un éditeur : import et liste.")


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="Fichier des solutions (CSV, XLSX ou JSON).")],
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Importe les solutions de l'éditeur : tout ou rien, une seule fois."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            outcome = import_solutions(engine, path, vendor_id=entry.id, actor=actor())
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
        finish_import(outcome, as_json)


@app.command("list")
def list_command(vendor_siret: VendorOption = None, as_json: JsonOption = False) -> None:
    """Liste les solutions de l'éditeur, leurs profils obtenus et leurs bons de commande."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        entries = list_solutions(engine, entry.id)
    if as_json:
        print_json(
            {"vendor": entry.vendor.siret, "solutions": [item.as_dict() for item in entries]}
        )
        return
    if not entries:
        console.print(
            f"Aucune solution pour {entry.vendor.name}. Import : "
            "[cyan]sons solution import FICHIER[/]",
            soft_wrap=True,
        )
        return
    table = Table(title=f"Solutions de {entry.vendor.name}")
    for column in (
        "N° de référencement",
        "Nom",
        "Version",
        "Dispositif",
        "Profils",
        "Référencée le",
        "Bons",
    ):
        table.add_column(column)
    for item in entries:
        solution = item.solution
        table.add_row(
            solution.referencing_number,
            solution.name,
            solution.version,
            solution.dispositif,
            " ; ".join(item.profile_labels),
            "non renseigné"
            if solution.referenced_on is None
            else solution.referenced_on.isoformat(),
            str(item.orders),
        )
    console.print(table)
