"""`sons client …`: the directory of clients — the FINESS extract, the legal entities and their
public or private status, and what the directory knows of a FINESS number."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sons.domain.money import format_euros
from sons.entrypoints.cli.output import console, fail, print_json
from sons.entrypoints.cli.workspace import (
    JsonOption,
    actor,
    finish_import,
    progress_bar,
    store,
)
from sons.services.directory import (
    STATUS_LABELS,
    ClientCard,
    ClientPage,
    import_finess,
    import_legal_entities,
    list_clients,
    show_client,
)
from sons.store.errors import StoreError

app = typer.Typer(help="Les clients : annuaire FINESS des établissements et entités juridiques.")

FileArgument = Annotated[Path, typer.Argument(help="Fichier à importer.")]


@app.command("import-finess")
def import_finess_command(path: FileArgument, as_json: JsonOption = False) -> None:
    """Importe l'extrait FINESS public (etalab, ~100 000 établissements) : tout ou rien."""
    with store() as engine:
        try:
            with progress_bar("Extrait FINESS", in_bytes=True) as progress:
                outcome = import_finess(engine, path, actor=actor(), progress=progress)
        except StoreError as exc:
            fail(str(exc))
        finish_import(outcome, as_json)


@app.command("import-entities")
def import_entities_command(path: FileArgument, as_json: JsonOption = False) -> None:
    """Importe les entités juridiques (finess_ej;raison_sociale;siren;statut public|prive)."""
    with store() as engine:
        try:
            outcome = import_legal_entities(engine, path, actor=actor())
        except StoreError as exc:
            fail(str(exc))
        finish_import(outcome, as_json)


@app.command("list")
def list_command(
    department: Annotated[
        str | None, typer.Option("--department", help="Département : 01…95, 2A, 2B, 9A…")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option("--search", help="Texte cherché dans le nom ou la commune (sans accents)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Nombre de lignes.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Lignes à sauter.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Liste les établissements de l'annuaire (FINESS ET), avec leur entité juridique."""
    with store() as engine:
        page = list_clients(
            engine, department=department, search=search, limit=limit, offset=offset
        )
    if as_json:
        print_json({"total": page.total, "clients": [row.as_dict() for row in page.rows]})
        return
    print_client_page(page)


def print_client_page(page: ClientPage) -> None:
    if not page.rows:
        console.print(
            "Aucun établissement ne correspond"
            + (f" ({page.total} au total)." if page.total else " : l'annuaire est-il importé ?")
            + " Import : [cyan]sons client import-finess FICHIER[/]",
            soft_wrap=True,
        )
        return
    table = Table(title="Établissements (annuaire FINESS)")
    for column in ("FINESS ET", "Nom", "Catégorie", "Commune", "Dépt", "FINESS EJ", "Statut EJ"):
        table.add_column(column)
    for row in page.rows:
        item, entity = row.establishment, row.legal_entity
        table.add_row(
            item.finess_et,
            item.long_name or item.name,
            item.category_label or "",
            " ".join(p for p in (item.postcode, item.city) if p),
            item.department or "",
            item.finess_ej,
            "non renseigné" if entity is None else STATUS_LABELS[entity.status],
        )
    console.print(table)
    shown = f"{page.offset + 1} à {page.offset + len(page.rows)}"
    more = " ; --offset pour la suite" if page.offset + len(page.rows) < page.total else ""
    console.print(f"Établissements {shown} sur {page.total}{more}.")


@app.command("show")
def show_command(
    finess: Annotated[str, typer.Argument(help="FINESS d'un établissement (ET) ou d'une EJ.")],
    as_json: JsonOption = False,
) -> None:
    """Montre un établissement ou une entité juridique : statut, sites, ES-PMSI, plafonds."""
    with store() as engine:
        try:
            card = show_client(engine, finess)
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json(card.as_dict())
        return
    print_client_card(card)


def print_client_card(card: ClientCard) -> None:
    item, entity = card.establishment, card.legal_entity
    if item is not None:
        console.print(
            f"[bold]{item.long_name or item.name}[/] — établissement FINESS {item.finess_et}"
        )
        address = ", ".join(p for p in (item.address, item.postcode, item.city) if p)
        console.print(
            f"Catégorie : {item.category_label or 'non renseignée'} ; adresse : "
            f"{address or 'non renseignée'} ; département {item.department or 'non renseigné'}.",
            soft_wrap=True,
        )
        console.print(f"Entité juridique : {item.finess_ej}.")
    if entity is None:
        console.print(
            "Statut public ou privé de l'entité juridique : [yellow]non renseigné[/] (importez "
            "les entités juridiques : sons client import-entities FICHIER) ; ES-PMSI inconnu.",
            soft_wrap=True,
        )
    else:
        siren = f", SIREN {entity.siren}" if entity.siren else ""
        console.print(
            f"Entité juridique [bold]{entity.name}[/] (FINESS {entity.finess_ej}{siren}) : "
            f"{STATUS_LABELS[entity.status]}.",
            soft_wrap=True,
        )
    if card.es_pmsi is not None:
        console.print(f"Identifiant ES-PMSI : {card.es_pmsi}.")
    elif entity is not None:
        console.print("Entité privée : chaque site (ET) est son propre ES-PMSI.")
    if card.sites:
        sites = Table(title="Sites de l'entité juridique")
        for column in ("FINESS ET", "Nom", "Catégorie"):
            sites.add_column(column)
        for site in card.sites:
            sites.add_row(site.finess_et, site.name, site.category or "")
        console.print(sites)
    if card.es_pmsi is not None:
        if card.ceilings:
            ceilings = Table(title=f"Plafonds de la base d'éligibilité ({card.es_pmsi})")
            ceilings.add_column("Dispositif")
            ceilings.add_column("Plafond HT", justify="right")
            for code, cents in card.ceilings.items():
                ceilings.add_row(code, format_euros(cents))
            console.print(ceilings)
        else:
            console.print("Aucun plafond dans la base d'éligibilité importée.")
