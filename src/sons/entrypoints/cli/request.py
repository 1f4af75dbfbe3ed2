"""`sons request …`: the funding requests (avance, solde, avenant) and their workflow.

The role comes from `--as`: `vendor` (the default; the vendor of `--vendor`, `SONS_VENDOR` or
the only one of the store, who sees only its own requests) or `operator` (every vendor's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sons.domain.money import format_euros
from sons.domain.orders import ClientKind
from sons.domain.workflow import (
    KIND_LABELS,
    REASON_LABELS,
    Audience,
    WorkflowError,
    status_label,
)
from sons.entrypoints.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_OK,
    console,
    errors,
    fail,
    print_json,
)
from sons.entrypoints.cli.workspace import JsonOption, VendorOption, actor, store, vendor
from sons.services.requests import (
    AUDIENCE_LABELS,
    list_requests,
    parse_audience,
    parse_kind,
    parse_reason,
    parse_status,
    show_request,
    transition_request,
)
from sons.store.errors import StoreError

app = typer.Typer(help="Les demandes de financement (avance, solde, avenant) et leurs statuts.")

# Refusals by the workflow table are findings (exit 1); the rest is unusable input (exit 2).
_REFUSALS = frozenset({"WORKFLOW_FORBIDDEN", "WORKFLOW_TRANSITION_INVALID"})

AsOption = Annotated[
    str,
    typer.Option("--as", help="Rôle : vendor (fournisseur, défaut) ou operator (opérateur)."),
]
RequestArgument = Annotated[
    str,
    typer.Argument(help="Numéro de la demande (ou son identifiant dans le fichier de dépôt)."),
]


def _audience(role: str) -> Audience:
    try:
        return parse_audience(role)
    except StoreError as exc:
        fail(str(exc))


_CLIENT_KINDS = {ClientKind.LEGAL_ENTITY.value: "FINESS EJ", ClientKind.PROFESSIONAL.value: "RPPS"}


def _money(cents: int | None) -> str:
    return "non renseigné" if cents is None else format_euros(cents)


@app.command("list")
def list_command(
    status: Annotated[str | None, typer.Option("--status", help="Statut (ex. deposee).")] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Nature : avance, solde, avenant.")
    ] = None,
    dispositif: Annotated[str | None, typer.Option("--dispositif", help="Dispositif.")] = None,
    role: AsOption = "vendor",
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Liste les demandes, avec le libellé du statut pour le rôle choisi."""
    audience = _audience(role)
    try:
        wanted_status = None if status is None else parse_status(status)
        wanted_kind = None if kind is None else parse_kind(kind)
    except StoreError as exc:
        fail(str(exc))
    with store() as engine:
        # The operator sees every vendor; a vendor, only itself.
        vendor_id = vendor(engine, vendor_siret).id if audience is Audience.VENDOR else None
        lines = list_requests(
            engine,
            vendor_id=vendor_id,
            status=wanted_status,
            kind=wanted_kind,
            dispositif=dispositif,
        )
    if as_json:
        print_json([line.as_dict() for line in lines])
        raise typer.Exit(EXIT_OK)
    label_key = "vendor_label" if audience is Audience.VENDOR else "operator_label"
    table = Table(title=f"Demandes ({AUDIENCE_LABELS[audience]})")
    for column in ("N°", "Identifiant", "Nature", "Bon", "Client", "Demandé HT", "Statut"):
        table.add_column(column)
    for line in lines:
        data = line.as_dict()
        table.add_row(
            str(data["id"]),
            data["request_ref"],
            data["kind"],
            data["order_number"],
            data["client_id"],
            _money(data["amount_ht_cents"]),
            data[label_key],
        )
    console.print(table)
    if not lines:
        console.print("Aucune demande.")
    raise typer.Exit(EXIT_OK)


@app.command("show")
def show_command(
    ident: RequestArgument,
    role: AsOption = "vendor",
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Une demande : ses statuts (fournisseur et opérateur), ses liens, son historique."""
    audience = _audience(role)
    with store() as engine:
        vendor_id = vendor(engine, vendor_siret).id if audience is Audience.VENDOR else None
        try:
            view = show_request(engine, ident, vendor_id=vendor_id)
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json(view.as_dict())
        raise typer.Exit(EXIT_OK)
    request = view.request
    table = Table(
        title=f"{KIND_LABELS[request.kind].capitalize()} n° {request.id} « {request.request_ref} »",
        show_header=False,
    )
    table.add_column("", style="bold")
    table.add_column("")
    rows = [
        ("Statut (fournisseur)", view.label(Audience.VENDOR)),
        ("Statut (opérateur)", view.label(Audience.OPERATOR)),
        ("Dispositif", request.dispositif),
        ("Bon de commande", f"{request.order_number} du {request.order_signed_on.isoformat()}"),
        ("Client", f"{_CLIENT_KINDS.get(request.client_kind, '')} {request.client_id}"),
        ("Sites", ", ".join(request.sites) or "—"),
        (
            "Prestation",
            f"{format_euros(request.prestation_ht_cents)} HT, "
            f"{format_euros(request.prestation_ttc_cents)} TTC",
        ),
        (
            "Montant demandé",
            f"{_money(request.amount_ht_cents)} HT, {_money(request.amount_ttc_cents)} TTC"
            + ("" if request.advance_rate is None else f" (avance {request.advance_rate} %)"),
        ),
        ("Dépôt", f"{view.deposit.name} ({view.deposit.json_file_name})"),
        ("Version", str(request.version)),
    ]
    if view.advance is not None:
        rows.append(("Avance", f"n° {view.advance.id} « {view.advance.request_ref} »"))
    for related in view.related:
        rows.append(
            (KIND_LABELS[related.kind].capitalize(), f"n° {related.id} « {related.request_ref} »")
        )
    for who in Audience:
        actions = ", ".join(t.action for t in view.actions(who)) or "aucune"
        rows.append((f"Actions ({AUDIENCE_LABELS[who]})", actions))
    for label, value in rows:
        table.add_row(label, value)
    console.print(table)
    history = Table(title="Historique")
    for column in ("Quand (UTC)", "Qui", "Action", "De → à", "Motif", "Pièce"):
        history.add_column(column)
    kind = request.kind
    for record in view.history:
        data_from = (
            "—" if record.from_status is None else status_label(record.from_status, kind, audience)
        )
        reason = "" if record.reason is None else f"[{REASON_LABELS[record.reason]}] "
        piece = "" if record.file_name is None else f"{record.file_name}\n{record.file_sha256}"
        history.add_row(
            f"{record.at:%Y-%m-%d %H:%M:%S}",
            f"{record.actor} ({AUDIENCE_LABELS[record.audience]})",
            record.action,
            f"{data_from} → {status_label(record.to_status, kind, audience)}",
            reason + (record.motive or ""),
            piece,
        )
    console.print(history)
    raise typer.Exit(EXIT_OK)


@app.command("transition")
def transition_command(
    ident: RequestArgument,
    action: Annotated[str, typer.Argument(help="Action (ex. deposer, demander-correction).")],
    motive: Annotated[
        str | None, typer.Option("--motive", help="Motif (obligatoire pour les refus).")
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Code de motif : incorrect, incomplet, obsolete."),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Pièce jointe (PDF) à la transition.")
    ] = None,
    role: AsOption = "vendor",
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change le statut d'une demande selon la table du workflow ; inscrit au journal avec le
    motif et l'empreinte SHA-256 de la pièce.

    Code de sortie : 0 fait, 1 refusé par la table (rôle, statut), 2 entrée inutilisable.
    """
    audience = _audience(role)
    try:
        reason_code = parse_reason(reason)
    except StoreError as exc:
        fail(str(exc))
    with store() as engine:
        vendor_id = vendor(engine, vendor_siret).id if audience is Audience.VENDOR else None
        try:
            outcome = transition_request(
                engine,
                ident,
                action,
                audience=audience,
                vendor_id=vendor_id,
                actor=actor(),
                motive=motive,
                reason=reason_code,
                file=file,
            )
        except WorkflowError as exc:
            errors.print(f"[bold red]Refusé :[/] {exc.message}", soft_wrap=True)
            raise typer.Exit(EXIT_FINDINGS if exc.code in _REFUSALS else EXIT_BAD_INPUT) from None
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json(outcome.as_dict())
    else:
        console.print(f"[green]{outcome.message()}[/]", soft_wrap=True)
    raise typer.Exit(EXIT_OK)
