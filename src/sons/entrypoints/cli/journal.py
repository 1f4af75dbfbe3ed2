"""`sons journal …`: check that the journal of every change has not been tampered with."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from sons.entrypoints.cli.output import EXIT_FINDINGS, EXIT_OK, console, fail, print_json
from sons.store.database import describe, open_store
from sons.store.errors import StoreError
from sons.store.journal import describe_entry, verify

app = typer.Typer(help="Le journal : qui a modifié quoi et quand, chaîné par SHA-256.")

JsonOption = Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")]


@app.command("verify")
def verify_command(as_json: JsonOption = False) -> None:
    """Recalcule la chaîne d'empreintes du journal et nomme la première entrée altérée."""
    try:
        engine = open_store()
    except StoreError as exc:
        fail(str(exc))
    try:
        with Session(engine) as session:
            result = verify(session)
    finally:
        engine.dispose()
    if as_json:
        print_json({"database": describe(engine), **result.as_dict()})
    elif result.broken is None:
        console.print(
            f"[green]Journal intègre :[/] {result.checked} entrée(s) vérifiée(s) "
            f"dans {describe(engine)}.",
            soft_wrap=True,
        )
        if result.last_hash:
            console.print(
                f"Dernière empreinte : {result.last_hash}\n"
                "[dim]Notez-la ailleurs : elle permettra de prouver plus tard qu'aucune entrée "
                "récente n'a été retirée.[/]",
                soft_wrap=True,
            )
    else:
        broken = result.broken
        console.print(
            f"[bold red]Journal altéré :[/] {describe_entry(broken)} — {broken.message}",
            soft_wrap=True,
        )
        if broken.expected is not None:
            console.print(f"  attendu : {broken.expected}\n  trouvé  : {broken.found}")
        console.print(
            f"Code : {broken.problem}. Les {result.checked} entrée(s) précédente(s) sont intègres."
        )
    raise typer.Exit(EXIT_OK if result.ok else EXIT_FINDINGS)
