"""`sons document …`: the PDF documents of an order, from the store (bon de commande, MOM, VA,
récapitulatif de solde), written atomically."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from sons.documents.context import DocumentError
from sons.entrypoints.cli.output import console, fail
from sons.entrypoints.cli.workspace import VendorOption, store, vendor
from sons.referential.loader import ReferentialError
from sons.services.documents import DOCUMENT_LABELS, DocumentKind, build_document
from sons.store.errors import StoreError

app = typer.Typer(help="Les documents PDF d'un bon : bon de commande, MOM, VA, récapitulatif.")

NumberArgument = Annotated[str, typer.Argument(help="Numéro du bon de commande.")]
OutOption = Annotated[Path, typer.Option("--out", help="Fichier PDF à écrire.", show_default=False)]
LogoOption = Annotated[
    Path | None, typer.Option("--logo", help="Logo du fournisseur (image PNG ou JPEG).")
]
DateOption = Annotated[
    str | None,
    typer.Option(
        "--date",
        help="Date de création du document et de fin de comptage AAAA-MM-JJ (par défaut : "
        "maintenant).",
    ),
]


def _clock(text: str | None) -> dt.datetime:
    if text is None:
        return dt.datetime.now(dt.UTC)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        fail(f"option --date : « {text} » n'est pas une date au format AAAA-MM-JJ.")
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def _produce(
    kind: DocumentKind,
    number: str,
    out: Path,
    logo: Path | None,
    date: str | None,
    vendor_siret: str | None,
) -> None:
    created = _clock(date)
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            data = build_document(
                engine,
                kind,
                vendor_id=entry.id,
                number=number,
                clock=lambda: created,
                logo=logo,
            )
            from sons.documents.layout import write_pdf

            write_pdf(out, data)
        except (StoreError, ReferentialError, DocumentError, OSError) as exc:
            fail(str(exc))
    label = DOCUMENT_LABELS[kind]
    console.print(
        f"[green]{label[0].upper() + label[1:]} du bon {number} écrit :[/] {out} "
        f"({len(data)} octets).",
        soft_wrap=True,
    )


# One command per document, the same options for each: only the kind and the help differ.
COMMANDS = (
    ("order", DocumentKind.ORDER, "Le bon de commande (PDF)."),
    (
        "mom",
        DocumentKind.MOM,
        "La MOM à signer par le fournisseur, avec les envois comptés et la période par flux.",
    ),
    (
        "va",
        DocumentKind.VA,
        "La VA à faire signer par le client final (scénario installé, interfaces validées).",
    ),
    (
        "balance-summary",
        DocumentKind.BALANCE_SUMMARY,
        "Le récapitulatif de solde : conditions, envois comptés, pièces, verdicts.",
    ),
)


def _document_command(kind: DocumentKind) -> Callable[..., None]:
    def command(
        number: NumberArgument,
        out: OutOption,
        logo: LogoOption = None,
        date: DateOption = None,
        vendor_siret: VendorOption = None,
    ) -> None:
        _produce(kind, number, out, logo, date, vendor_siret)

    return command


for _name, _kind, _help in COMMANDS:
    app.command(_name, help=_help)(_document_command(_kind))
