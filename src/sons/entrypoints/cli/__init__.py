"""The `sons` command. Each command group lives in its own module, named after its idea."""

from __future__ import annotations

import typer

from sons.entrypoints.cli import (
    client,
    demo,
    deposit,
    document,
    eligibility,
    enrolment,
    evidence,
    journal,
    operator,
    order,
    referential,
    registry,
    request,
    schema,
    serve,
    solution,
    user,
    vendor,
)

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
app.add_typer(request.app, name="request")
app.add_typer(schema.app, name="schema")
app.add_typer(operator.app, name="operator")
# Registries, enrolment and cross-vendor controls (issue 6) hang under existing groups.
operator.app.add_typer(registry.app, name="registry")
operator.app.add_typer(enrolment.operator_app, name="enrolment")
operator.app.command("cross-check")(registry.cross_check_command)
vendor.app.command("enrol")(enrolment.enrol_command)
app.add_typer(user.app, name="user")
app.add_typer(client.app, name="client")
app.add_typer(eligibility.app, name="eligibility")
app.add_typer(vendor.app, name="vendor")
app.add_typer(solution.app, name="solution")
app.add_typer(order.app, name="order")
app.add_typer(evidence.app, name="evidence")
app.add_typer(document.app, name="document")
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)


def main() -> None:
    app()
