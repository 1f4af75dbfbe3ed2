"""`sons schema …`: the published JSON Schemas of the deposit format, one per couloir."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sons.entrypoints.cli.output import console, fail
from sons.formats.deposit.schema import deposit_families, export
from sons.referential.loader import ReferentialError, default_referential

app = typer.Typer(help="Les schémas JSON du format de dépôt SONS (un par couloir).")


@app.command("export")
def export_schemas(
    couloir: Annotated[
        str | None,
        typer.Option("--couloir", help="Un seul couloir (HOP, BIO, RAD…) ; par défaut tous."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Dossier où écrire les schémas.")] = Path(
        "schemas"
    ),
) -> None:
    """Écrit les schémas JSON (draft 2020-12) générés depuis le référentiel."""
    try:
        referential = default_referential()
    except ReferentialError as exc:
        fail(str(exc))
    family = couloir.strip().upper() if couloir else None
    if family is not None and family not in deposit_families(referential):
        fail(
            f"option --couloir : aucun dispositif du référentiel n'a le format de dépôt "
            f"« {couloir} ». Couloirs possibles : {', '.join(deposit_families(referential))}."
        )
    if out.exists() and not out.is_dir():
        fail(f"option --out : {out} existe et n'est pas un dossier.")
    for path in export(referential, out, family):
        console.print(f"Écrit : {path}")
