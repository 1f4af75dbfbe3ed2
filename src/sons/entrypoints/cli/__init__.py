"""The `sons` command. Each command group lives in its own module, named after its idea."""

from __future__ import annotations

import typer

from sons.entrypoints.cli import demo, deposit, journal, referential, schema, serve, user

app = typer.Typer(
    name="sons",
    help="sons — financement Ségur SONS : référentiel, bons de commande, dépôts, preuves.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(referential.app, name="referential")
app.add_typer(journal.app, name="journal")
app.add_typer(deposit.app, name="deposit")
app.add_typer(schema.app, name="schema")
app.add_typer(user.app, name="user")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)


def main() -> None:
    app()
