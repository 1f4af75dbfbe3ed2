"""Enrolment on the command line: `sons vendor enrol …` (the vendor files its request with its
pieces) and `sons operator enrolment list|show|decide` (the operator instructs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sons.domain.enrolment import (
    FILER_LABELS,
    MAX_PIECE_BYTES,
    PIECE_LABELS,
    FilerRole,
    PieceKind,
)
from sons.domain.workflow import Audience, ReasonCode, RequestKind, Status, status_label
from sons.entrypoints.cli.output import console, fail, print_json
from sons.entrypoints.cli.workspace import JsonOption, actor, store, vendor
from sons.services.enrolment import (
    OPERATOR_ACTIONS,
    EnrolmentView,
    PieceFile,
    decide_enrolment,
    file_enrolment,
    list_enrolments,
    show_enrolment,
)
from sons.store.errors import StoreError

operator_app = typer.Typer(help="Les demandes d'enrôlement des éditeurs : liste, détail, décision.")

_KINDS = ", ".join(kind.value for kind in PieceKind)


def _piece(text: str) -> PieceFile:
    """« nature=CHEMIN » → the piece, read up to one byte past the limit (which tells it)."""
    kind_text, separator, path_text = text.partition("=")
    if not separator or not path_text.strip():
        fail(f"option --piece « {text} » : attendu NATURE=FICHIER, natures : {_KINDS}.")
    try:
        kind = PieceKind(kind_text.strip().lower())
    except ValueError:
        fail(f"option --piece : nature « {kind_text} » inconnue ; natures : {_KINDS}.")
    path = Path(path_text.strip())
    try:
        with path.open("rb") as stream:
            content = stream.read(MAX_PIECE_BYTES + 1)
    except OSError as error:
        fail(f"pièce « {PIECE_LABELS[kind]} » : « {path} » illisible ({error.strerror or error}).")
    return PieceFile(kind, path.name, content)


def enrol_command(
    iban: Annotated[str, typer.Option("--iban", help="IBAN du compte à créditer.")],
    bic: Annotated[str, typer.Option("--bic", help="BIC de la banque (8 ou 11 caractères).")],
    solutions: Annotated[
        list[str],
        typer.Option(
            "--solution", help="Numéro de référencement ANS d'une solution (option répétable)."
        ),
    ],
    pieces: Annotated[
        list[str],
        typer.Option(
            "--piece",
            help=f"Pièce NATURE=FICHIER (PDF, PNG ou JPEG ; répétable). Natures : {_KINDS}.",
        ),
    ],
    filer_name: Annotated[
        str, typer.Option("--filer-name", help="Nom et qualité de la personne qui dépose.")
    ],
    filer: Annotated[
        FilerRole,
        typer.Option(
            "--filer",
            help="Qui dépose : representant-legal, salarie ou tiers (mandat exigé sauf pour le "
            "représentant légal).",
        ),
    ] = FilerRole.LEGAL_REPRESENTATIVE,
    siret: Annotated[
        str | None,
        typer.Option("--siret", help="SIRET de l'éditeur (par défaut : le seul enregistré)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Dépose la demande d'enrôlement de l'éditeur auprès de l'opérateur, avec ses pièces."""
    files = [_piece(text) for text in pieces]
    with store() as engine:
        entry = vendor(engine, siret)
        try:
            stored = file_enrolment(
                engine,
                vendor_id=entry.id,
                filer_role=filer,
                filer_name=filer_name,
                iban=iban,
                bic=bic,
                solutions=solutions,
                pieces=files,
                actor=actor(),
            )
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json(stored.document())
        return
    console.print(
        f"[green]Demande d'enrôlement n° {stored.id} déposée[/] pour {entry.vendor.name} "
        f"(SIRET {entry.vendor.siret}) : {len(stored.pieces)} pièce(s), solution(s) "
        f"{', '.join(stored.solutions)}. L'opérateur l'instruit ; « sons operator enrolment "
        f"show {stored.id} » la montre.",
        soft_wrap=True,
    )


def _status(text: str | None) -> Status | None:
    if text is None:
        return None
    try:
        return Status(text)
    except ValueError:
        fail(
            f"option --status « {text} » inconnue ; statuts : "
            + ", ".join(status.value for status in Status)
        )


@operator_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option("--status", help="Statut (deposee, en_instruction, …).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Liste les demandes d'enrôlement de tous les éditeurs."""
    wanted = _status(status)
    with store() as engine:
        requests = list_enrolments(engine, status=wanted)
    if as_json:
        print_json({"enrolments": [request.document() for request in requests]})
        return
    if not requests:
        console.print("Aucune demande d'enrôlement.")
        return
    table = Table(title="Demandes d'enrôlement")
    for column in ("N°", "Éditeur n°", "Statut", "Déposant", "Solutions", "Pièces", "Reçue le"):
        table.add_column(column)
    for request in requests:
        table.add_row(
            str(request.id),
            str(request.vendor_id),
            status_label(request.status, RequestKind.ENROLMENT, Audience.OPERATOR),
            f"{request.filer_name} ({FILER_LABELS[request.filer_role]})",
            ", ".join(request.solutions),
            str(len(request.pieces)),
            request.created_at.date().isoformat(),
        )
    console.print(table)


def _print_view(view: EnrolmentView) -> None:
    request = view.request
    who = "non renseigné" if view.vendor is None else f"{view.vendor.name} ({view.vendor.siret})"
    console.print(
        f"[bold]Demande d'enrôlement n° {request.id}[/] — {who} — "
        f"{status_label(request.status, RequestKind.ENROLMENT, Audience.OPERATOR)}"
    )
    console.print(
        f"Déposant : {request.filer_name} ({FILER_LABELS[request.filer_role]}) ; IBAN "
        f"{request.iban} ; BIC {request.bic}.",
        soft_wrap=True,
    )
    pieces = Table(title="Pièces")
    for column in ("Nature", "Fichier", "Type", "Octets", "SHA-256"):
        pieces.add_column(column)
    for piece in request.pieces:
        pieces.add_row(
            PIECE_LABELS[piece.kind],
            piece.file_name,
            piece.media_type,
            str(piece.size),
            piece.sha256,
        )
    console.print(pieces)
    for number, solution in view.solutions.items():
        found = (
            "absente du registre des solutions référencées"
            if solution is None
            else f"{solution.name} {solution.version}, {solution.dispositif}"
        )
        console.print(f"Solution {number} : {found}.")
    for warning in view.warnings:
        console.print(f"[yellow]• avertissement[/] — {warning}", soft_wrap=True)
    history = Table(title="Historique")
    for column in ("Le", "Par", "Action", "Statut", "Motif"):
        history.add_column(column)
    for step in view.history:
        history.add_row(
            step.at.isoformat(timespec="seconds"),
            step.actor,
            step.action,
            status_label(step.to_status, RequestKind.ENROLMENT, Audience.OPERATOR),
            step.motive or "",
        )
    console.print(history)


@operator_app.command("show")
def show_command(
    request_id: Annotated[int, typer.Argument(help="Numéro de la demande d'enrôlement.")],
    as_json: JsonOption = False,
) -> None:
    """Montre une demande d'enrôlement : pièces (SHA-256), solutions au registre, historique."""
    with store() as engine:
        try:
            view = show_enrolment(engine, request_id)
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json(view.as_dict())
    else:
        _print_view(view)


@operator_app.command("decide")
def decide_command(
    request_id: Annotated[int, typer.Argument(help="Numéro de la demande d'enrôlement.")],
    action: Annotated[
        str, typer.Option("--action", help=f"Action : {', '.join(OPERATOR_ACTIONS)}.")
    ],
    motive: Annotated[
        str | None, typer.Option("--motive", help="Motif (obligatoire pour refuser).")
    ] = None,
    reason: Annotated[
        ReasonCode | None,
        typer.Option(
            "--reason", help="Code de motif d'une correction : incorrect, incomplet, obsolete."
        ),
    ] = None,
    enrolment_number: Annotated[
        str | None,
        typer.Option("--enrolment-number", help="Numéro d'enrôlement attribué (à la validation)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Instruit une demande d'enrôlement ; « valider » enrôle l'éditeur pour ses solutions."""
    with store() as engine:
        try:
            view = decide_enrolment(
                engine,
                request_id,
                action,
                motive=motive,
                reason=reason,
                enrolment_number=enrolment_number,
                actor=actor(),
            )
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json(view.as_dict())
        return
    label = status_label(view.request.status, RequestKind.ENROLMENT, Audience.OPERATOR)
    console.print(f"[green]Demande d'enrôlement n° {request_id} : {label}.[/]")
    if view.enrolled is not None and action == "valider":
        console.print(
            f"Éditeur enrôlé (n° {view.enrolled.enrolment_number or 'non renseigné'}) pour : "
            + ", ".join(sorted(view.enrolled.solutions))
            + ".",
            soft_wrap=True,
        )
