"""`sons vendor …`: the vendors (éditeurs), who own solutions and orders."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sons.entrypoints.cli.output import console, fail, print_json
from sons.entrypoints.cli.workspace import JsonOption, actor, store
from sons.services.vendors import create_vendor, list_vendors
from sons.store.errors import StoreError
from sons.store.journal import Change

app = typer.Typer(help="Les éditeurs : création et liste (chaque éditeur voit ses seules données).")

_CHANGES = {
    Change.CREATED: "Éditeur créé",
    Change.UPDATED: "Éditeur mis à jour",
    Change.UNCHANGED: "Éditeur déjà enregistré tel quel : rien n'a été modifié",
}


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option("--name", help="Raison sociale de l'éditeur.")],
    siret: Annotated[str, typer.Option("--siret", help="SIRET (14 chiffres, clé vérifiée).")],
    enrolment: Annotated[
        str | None,
        typer.Option("--enrolment", help="Numéro d'inscription auprès de l'ASP (facultatif)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistre un éditeur (ou met à jour celui de ce SIRET), inscrit au journal."""
    with store() as engine:
        try:
            entry, change = create_vendor(
                engine, name=name, siret=siret, enrolment_number=enrolment, actor=actor()
            )
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json({**entry.as_dict(), "change": change.value})
        return
    vendor = entry.vendor
    enrolled = f", inscription ASP {vendor.enrolment_number}" if vendor.enrolment_number else ""
    console.print(
        f"[green]{_CHANGES[change]}[/] : {vendor.name} (SIREN {vendor.siren}, SIRET "
        f"{vendor.siret}{enrolled}).",
        soft_wrap=True,
    )


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Liste les éditeurs enregistrés, avec leurs nombres de solutions et de bons de commande."""
    with store() as engine:
        entries = list_vendors(engine)
    if as_json:
        print_json({"vendors": [entry.as_dict() for entry in entries]})
        return
    if not entries:
        console.print(
            "Aucun éditeur enregistré. Création : [cyan]sons vendor create --name … --siret …[/]"
        )
        return
    table = Table(title="Éditeurs")
    for column in ("SIRET", "Raison sociale", "SIREN", "Inscription ASP", "Solutions", "Bons"):
        table.add_column(column)
    for entry in entries:
        vendor = entry.vendor
        table.add_row(
            vendor.siret,
            vendor.name,
            vendor.siren,
            vendor.enrolment_number or "non renseigné",
            str(entry.solutions),
            str(entry.orders),
        )
    console.print(table)
