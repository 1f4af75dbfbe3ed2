"""`sons user …`: create the accounts of the web application."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from sons.entrypoints.cli.output import console, fail, print_json
from sons.services.accounts import OPERATOR_ORG, ROLE_LABELS, AccountError, Accounts, Role
from sons.store.database import describe, open_store
from sons.store.errors import StoreError

app = typer.Typer(help="Les comptes de l'application web : organisations, utilisateurs, rôles.")

_ROLES = ", ".join(f"{r.value} ({ROLE_LABELS[r]})" for r in Role)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        # The first line only: `echo secret | sons user create … --password-stdin`.
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("aucun terminal pour saisir le mot de passe : utilisez --password-stdin.")
    first = getpass.getpass("Mot de passe : ")
    if getpass.getpass("Mot de passe (confirmation) : ") != first:
        fail("les deux saisies du mot de passe diffèrent.")
    return first


@app.command("create")
def create(
    org: Annotated[
        str,
        typer.Option(
            "--org",
            help=f"SIRET de l'éditeur, ou « {OPERATOR_ORG} » pour l'opérateur du financement.",
        ),
    ],
    role: Annotated[str, typer.Option("--role", help=f"Rôle : {_ROLES}.")],
    email: Annotated[str, typer.Option("--email", help="Adresse électronique (identifiant).")],
    name: Annotated[
        str | None, typer.Option("--name", help="Nom affiché (par défaut : début de l'adresse).")
    ] = None,
    org_name: Annotated[
        str | None,
        typer.Option(
            "--org-name",
            help="Nom de l'éditeur, pour le créer s'il n'est pas encore dans la base.",
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Lire le mot de passe sur l'entrée standard."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")] = False,
) -> None:
    """Crée un compte (et son organisation à la première utilisation)."""
    password = _password(password_stdin)
    try:
        engine = open_store()
    except StoreError as exc:
        fail(str(exc))
    try:
        accounts = Accounts(engine)
        created = accounts.create_user(
            f"cli:{getpass.getuser()}",
            org=org,
            email=email,
            role=role,
            password=password,
            name=name,
            org_name=org_name,
        )
    except (AccountError, StoreError) as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    user = created.user
    if as_json:
        print_json(
            {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "role": user.role,
                "organisation_id": user.organisation_id,
                "organisation": created.organisation_name,
                "database": describe(engine),
            }
        )
        return
    console.print(
        f"[green]Compte créé[/] : {user.email} ({created.role_label}) dans "
        f"« {created.organisation_name} », base {describe(engine)}."
    )
