"""`sons eligibility …`: the eligibility base, each client's ceiling per dispositif."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sons.entrypoints.cli.output import fail
from sons.entrypoints.cli.workspace import JsonOption, actor, finish_import, store
from sons.referential.loader import ReferentialError
from sons.services.eligibility import import_eligibility
from sons.store.errors import StoreError

app = typer.Typer(help="La base d'éligibilité : le plafond HT de chaque client par dispositif.")


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="Fichier finess;dispositif;plafond_ht.")],
    as_json: JsonOption = False,
) -> None:
    """Importe la base d'éligibilité (CSV ou XLSX) : tout ou rien, une seule fois."""
    with store() as engine:
        try:
            outcome = import_eligibility(engine, path, actor=actor())
        except (StoreError, ReferentialError) as exc:
            fail(str(exc))
        finish_import(outcome, as_json)
