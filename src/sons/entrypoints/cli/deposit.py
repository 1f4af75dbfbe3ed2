"""`sons deposit …`: the deposit files (« format de dépôt SONS ») and their simulator.

`sons deposit check` works on any file, ours or made elsewhere, without the store: the same
report as the operator's « simulateur de dépôt JSON », with every problem at once. When a store
is configured and knows the advance a solde or an avenant refers to, it adds the rules that
compare them. `build`, `import`, `mark-filed` and `list` work with the store.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.engine import Engine

from sons.domain.money import format_euros
from sons.domain.workflow import Audience, RequestKind, status_label
from sons.entrypoints.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_OK,
    SEVERITY_STYLES,
    console,
    errors,
    fail,
    print_json,
)
from sons.entrypoints.cli.referential import parse_date
from sons.entrypoints.cli.workspace import VendorOption, actor, store, vendor
from sons.findings import SEVERITY_LABELS, Finding, Severity
from sons.formats.deposit.check import DepositReport
from sons.referential.loader import Referential, ReferentialError, default_referential
from sons.services.demo_deposits import DepositsTour
from sons.services.deposit_builder import (
    BuildOutcome,
    BuildPieces,
    BuildRefused,
    LeftOut,
    build_deposit,
)
from sons.services.deposits import (
    DepositRefused,
    check_deposit_file,
    import_deposit,
    list_deposits,
    mark_filed,
)
from sons.services.requests import parse_kind
from sons.store.database import URL_VARIABLE, default_sqlite_path, open_store
from sons.store.errors import StoreError

app = typer.Typer(help="Les fichiers de dépôt SONS : contrôle avant dépôt (simulateur).")

# The terminal shows this many findings; --json gives them all.
SHOWN_FINDINGS = 200

FileArgument = Annotated[
    Path,
    typer.Argument(help="Fichier de dépôt JSON à contrôler.", show_default=False),
]
ZipOption = Annotated[
    Path | None,
    typer.Option("--zip", help="Zip des pièces jointes qui accompagne le fichier."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Date du contrôle AAAA-MM-JJ (par défaut : aujourd'hui)."),
]


def _referential() -> Referential:
    try:
        return default_referential()
    except ReferentialError as exc:
        fail(str(exc))


def _header(report: DepositReport) -> Table:
    table = Table(title=f"Contrôle du fichier de dépôt {Path(report.file).name}", show_header=False)
    table.add_column("", style="bold")
    table.add_column("")
    rows = [
        ("Fichier", report.file),
        ("Zip", report.zip or "non fourni"),
        ("Format", report.format_version or "illisible"),
        ("Couloir", report.couloir or "illisible"),
        ("Dispositif", report.dispositif or "illisible"),
        ("Nature", report.kind or "illisible"),
        ("Créé le", report.created_at or "illisible"),
        ("Demandes", str(len(report.requests))),
        ("Référentiel", report.referential),
        ("Contrôlé au", report.checked_on.isoformat()),
    ]
    total_ht = sum(r.ht_cents or 0 for r in report.requests)
    if report.requests:
        rows.append(("Prestations (HT)", format_euros(total_ht)))
    if report.zip is not None:
        rows.append(("Entrées du zip", str(report.zip_entries or 0)))
    for label, value in rows:
        table.add_row(label, value)
    return table


def _findings_table(findings: tuple[Finding, ...]) -> Table:
    """Like `output.findings_table`, with the JSON path above the message: never truncated."""
    table = Table(title="Constats", show_lines=True, expand=True)
    table.add_column("Gravité", no_wrap=True)
    table.add_column("Code", no_wrap=True)
    table.add_column("Emplacement et constat", ratio=1, overflow="fold")
    for finding in findings:
        style = SEVERITY_STYLES[finding.severity]
        text = f"[bold]{finding.path}[/]\n" if finding.path else ""
        text += finding.message
        if finding.source:
            text += f"\n[dim]Source : {finding.source}[/]"
        table.add_row(f"[{style}]{SEVERITY_LABELS[finding.severity]}[/]", finding.code, text)
    return table


def _print_report(report: DepositReport) -> None:
    console.print(_header(report))
    findings = report.findings
    if findings:
        shown = findings[:SHOWN_FINDINGS]
        console.print(_findings_table(shown))
        if len(findings) > SHOWN_FINDINGS:
            console.print(
                f"… et {len(findings) - SHOWN_FINDINGS} autre(s) constat(s) : « --json » les "
                "donne tous."
            )
    incomplete = report.incomplete_requests
    if incomplete:
        listed = ", ".join(incomplete[:20]) + (" …" if len(incomplete) > 20 else "")
        console.print(
            f"[yellow]{len(incomplete)} demande(s) seraient « incomplètes » (pièces jointes) : "
            f"{listed}[/]"
        )
    errors_count = report.count(Severity.ERROR)
    warnings_count = report.count(Severity.WARNING)
    if errors_count:
        console.print(
            f"[red]{errors_count} erreur(s)[/], {warnings_count} avertissement(s) : fichier à "
            "corriger avant dépôt."
        )
    else:
        console.print(
            f"[green]Aucune erreur[/], {warnings_count} avertissement(s) : fichier prêt pour le "
            "dépôt."
        )


NoStoreOption = Annotated[
    bool,
    typer.Option(
        "--no-store",
        help="Contrôle sur le fichier seul, sans comparer à l'avance enregistrée dans la base.",
    ),
]


def _store_engine() -> Engine | None:
    """The store when one is configured (SONS_DATABASE_URL, or the default SQLite file
    already there): a standalone check never creates a database as a side effect."""
    if not os.environ.get(URL_VARIABLE, "").strip() and not default_sqlite_path().exists():
        return None
    try:
        return open_store()
    except StoreError as exc:
        errors.print(
            f"[yellow]Avertissement :[/] base indisponible ({exc}) ; contrôle sur le fichier seul.",
            soft_wrap=True,
        )
        return None


@app.command("check")
def check(
    file: FileArgument,
    zip_file: ZipOption = None,
    as_json: JsonOption = False,
    date: DateOption = None,
    no_store: NoStoreOption = False,
) -> None:
    """Contrôle un fichier de dépôt (et son zip) comme le simulateur de l'opérateur.

    Pour un solde ou un avenant dont la base connaît l'avance, ajoute les contrôles croisés
    (périmètre, montant déclaré à l'avance, dernier avenant « Décidé et payé »).

    Code de sortie : 0 sans erreur, 1 avec des erreurs, 2 si le fichier n'est pas un JSON
    lisible.
    """
    referential = _referential()
    today = parse_date(date)
    if zip_file is not None and not zip_file.is_file():
        fail(f"option --zip : fichier introuvable : {zip_file}.")
    engine = None if no_store else _store_engine()
    try:
        report = check_deposit_file(engine, file, zip_file, today=today, referential=referential)
    finally:
        if engine is not None:
            engine.dispose()
    if as_json:
        print_json(report.as_dict())
    elif not report.readable:
        for finding in report.findings:
            where = f" ({finding.path})" if finding.path else ""
            errors.print(f"[bold red]Erreur :[/] {finding.message}{where}", soft_wrap=True)
    else:
        _print_report(report)
    raise typer.Exit(report.exit_code)


# --- build ------------------------------------------------------------------------------------


def _pairs(values: list[str] | None, option: str) -> list[tuple[str, str]]:
    """« KEY=VALUE » options, each split at its first « = »."""
    pairs = []
    for value in values or []:
        key, sign, rest = value.partition("=")
        if not sign or not key.strip() or not rest.strip():
            fail(f"option {option} : « {value} » n'a pas la forme CLÉ=VALEUR.")
        pairs.append((key.strip(), rest.strip()))
    return pairs


def _order_keyed(values: list[str] | None, option: str) -> dict[tuple[str, str], str]:
    keyed = {}
    for key, value in _pairs(values, option):
        number, colon, item = key.rpartition(":")
        if not colon or not number or not item:
            fail(f"option {option} : « {key} » n'a pas la forme NUMÉRO:IDENTIFIANT.")
        keyed[(number, item)] = value
    return keyed


def _pieces(
    invoices: list[str] | None,
    vas: list[str] | None,
    moms: list[str] | None,
    requirements: list[str] | None,
    indicators: list[str] | None,
) -> BuildPieces:
    everyone: dict[str, str] = {}
    per_order: dict[tuple[str, str], str] = {}
    for key, value in _pairs(indicators, "--indicator"):
        number, colon, item = key.rpartition(":")
        if colon:
            per_order[(number, item)] = value
        else:
            everyone[key] = value
    return BuildPieces(
        invoices={n: Path(p) for n, p in _pairs(invoices, "--invoice")},
        vas={n: Path(p) for n, p in _pairs(vas, "--va")},
        moms={n: Path(p) for n, p in _pairs(moms, "--mom")},
        requirements={k: Path(p) for k, p in _order_keyed(requirements, "--requirement").items()},
        indicators=everyone,
        order_indicators=per_order,
    )


def _numbers(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [n.strip() for value in values for n in value.split(",") if n.strip()]


def _print_left_out(left_out: tuple[LeftOut, ...], title: str) -> None:
    table = Table(title=title, show_lines=True)
    table.add_column("Bon de commande", no_wrap=True)
    table.add_column("Raisons")
    for item in left_out:
        table.add_row(item.number, "\n".join(f"• {reason}" for reason in item.reasons))
    console.print(table)


def _print_build(outcome: BuildOutcome) -> None:
    table = Table(title=f"Dépôt « {outcome.deposit.name} » ({outcome.deposit.kind})")
    table.add_column("Demande", no_wrap=True)
    table.add_column("Bon", no_wrap=True)
    table.add_column("Client", no_wrap=True)
    table.add_column("Prestation HT", justify="right")
    table.add_column("Demandé HT", justify="right")
    table.add_column("Statut")
    for request in outcome.requests:
        amount = request.amount_ht_cents
        table.add_row(
            f"n° {request.id} {request.request_ref}",
            request.order_number,
            request.client_id,
            format_euros(request.prestation_ht_cents),
            "non renseigné" if amount is None else format_euros(amount),
            status_label(request.status, request.kind, Audience.VENDOR),
        )
    console.print(table)
    if outcome.superseded:
        listed = ", ".join(r.request_ref for r in outcome.superseded)
        console.print(f"Brouillon(s) remplacé(s) et retiré(s) : {listed}.")
    if outcome.left_out:
        _print_left_out(outcome.left_out, "Bons laissés de côté (--only-valid)")
    for note in outcome.notes:
        console.print(f"[yellow]• {note}[/]", soft_wrap=True)
    _print_report(outcome.report)
    console.print(
        f"Fichiers écrits : [bold]{outcome.json_path}[/] et [bold]{outcome.zip_path}[/]. Après "
        f"le dépôt sur le portail : [cyan]sons deposit mark-filed {outcome.deposit.name}[/]",
        soft_wrap=True,
    )


KIND_CHOICES = ", ".join(k.value for k in RequestKind)


@app.command("build")
def build(
    kind: Annotated[str, typer.Option("--kind", help=f"Nature : {KIND_CHOICES}.")],
    dispositif: Annotated[str, typer.Option("--dispositif", help="Code du dispositif.")],
    out: Annotated[Path, typer.Option("--out", help="Dossier où écrire le JSON et le zip.")],
    orders: Annotated[
        list[str] | None,
        typer.Option("--orders", help="Numéros des bons (répéter, ou séparer par des virgules)."),
    ] = None,
    only_valid: Annotated[
        bool,
        typer.Option("--only-valid", help="Laisser de côté (et lister) les bons en erreur."),
    ] = False,
    invoices: Annotated[
        list[str] | None, typer.Option("--invoice", help="Facture : NUMÉRO=FICHIER.pdf.")
    ] = None,
    vas: Annotated[
        list[str] | None, typer.Option("--va", help="VA signée : NUMÉRO=FICHIER.pdf.")
    ] = None,
    moms: Annotated[
        list[str] | None,
        typer.Option("--mom", help="MOM signée : NUMÉRO=FICHIER.pdf (sinon générée)."),
    ] = None,
    requirements: Annotated[
        list[str] | None,
        typer.Option("--requirement", help="Pièce exigée : NUMÉRO:EXIGENCE=FICHIER."),
    ] = None,
    indicators: Annotated[
        list[str] | None,
        typer.Option("--indicator", help="Indicateur : ID=VALEUR ou NUMÉRO:ID=VALEUR."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Nom du dépôt (par défaut : généré).")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date", help="Date de création du fichier AAAA-MM-JJ (défaut : maintenant)."
        ),
    ] = None,
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Construit un fichier de dépôt et son zip depuis les bons de commande de la base.

    Code de sortie : 0 fichier prêt, 1 bons refusés ou fichier avec des erreurs au contrôle,
    2 entrée inutilisable.
    """
    referential = _referential()
    try:
        request_kind = parse_kind(kind)
    except StoreError as exc:
        fail(str(exc))
    on = None if date is None else parse_date(date)
    pieces = _pieces(invoices, vas, moms, requirements, indicators)
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            outcome = build_deposit(
                engine,
                vendor_id=entry.id,
                kind=request_kind,
                dispositif=dispositif,
                out_dir=out,
                actor=actor(),
                numbers=_numbers(orders),
                only_valid=only_valid,
                pieces=pieces,
                name=name,
                on=on,
                referential=referential,
            )
        except BuildRefused as exc:
            if as_json:
                print_json({"refused": str(exc), "left_out": [i.as_dict() for i in exc.left_out]})
            else:
                _print_left_out(exc.left_out, "Bons refusés")
                errors.print(f"[bold red]Refusé :[/] {exc}", soft_wrap=True)
            raise typer.Exit(EXIT_FINDINGS) from None
        except (StoreError, OSError) as exc:
            fail(str(exc))
    if as_json:
        print_json(outcome.as_dict())
    else:
        _print_build(outcome)
    raise typer.Exit(EXIT_FINDINGS if outcome.report.has_errors else EXIT_OK)


# --- import, mark filed, list -----------------------------------------------------------------


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="Fichier de dépôt JSON reçu.")],
    zip_file: ZipOption = None,
    date: DateOption = None,
    vendor_siret: Annotated[
        str | None,
        typer.Option("--vendor", help="SIRET attendu de l'éditeur (contrôle du fichier)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistre les demandes d'un fichier de dépôt reçu, tout ou rien.

    Les demandes sont « déposées », ou « incomplètes » quand leur partie du zip échoue.
    Réimporter le même fichier ne change rien. Code de sortie : 0 enregistré, 2 fichier
    inutilisable (rien n'est enregistré).
    """
    referential = _referential()
    today = parse_date(date)
    with store() as engine:
        vendor_id = None if vendor_siret is None else vendor(engine, vendor_siret).id
        try:
            outcome = import_deposit(
                engine,
                file,
                zip_file,
                actor=actor(),
                today=today,
                vendor_id=vendor_id,
                referential=referential,
            )
        except DepositRefused as exc:
            if as_json:
                print_json(
                    {
                        "refused": str(exc),
                        "report": None if exc.report is None else exc.report.as_dict(),
                    }
                )
                raise typer.Exit(EXIT_BAD_INPUT) from None
            if exc.report is not None and exc.report.readable:
                _print_report(exc.report)
            fail(str(exc))
        except (StoreError, OSError) as exc:
            fail(str(exc))
    if as_json:
        print_json(outcome.as_dict())
        raise typer.Exit(EXIT_OK)
    table = Table(title=f"Dépôt « {outcome.deposit.name} »")
    table.add_column("Demande", no_wrap=True)
    table.add_column("Bon", no_wrap=True)
    table.add_column("Statut (fournisseur)")
    table.add_column("Statut (opérateur)")
    for request in outcome.requests:
        table.add_row(
            f"n° {request.id} {request.request_ref}",
            request.order_number,
            status_label(request.status, request.kind, Audience.VENDOR),
            status_label(request.status, request.kind, Audience.OPERATOR),
        )
    console.print(table)
    style = "green" if outcome.created else "yellow"
    console.print(f"[{style}]{outcome.message()}[/]", soft_wrap=True)
    raise typer.Exit(EXIT_OK)


@app.command("mark-filed")
def mark_filed_command(
    name: Annotated[str, typer.Argument(help="Nom du dépôt (celui du fichier, sans .json).")],
    vendor_siret: VendorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Après le dépôt du fichier sur le portail de l'opérateur : ses demandes passent de
    « Brouillon » à « Déposée » (inscrit au journal)."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        try:
            outcome = mark_filed(engine, name, vendor_id=entry.id, actor=actor())
        except StoreError as exc:
            fail(str(exc))
    if as_json:
        print_json(outcome.as_dict())
        raise typer.Exit(EXIT_OK)
    console.print(f"[green]{outcome.message()}[/]", soft_wrap=True)
    for request, reason in outcome.skipped:
        console.print(f"  • {request.request_ref} (n° {request.id}) : {reason}", soft_wrap=True)
    raise typer.Exit(EXIT_OK)


@app.command("list")
def list_command(vendor_siret: VendorOption = None, as_json: JsonOption = False) -> None:
    """Liste les dépôts de l'éditeur (construits ou importés)."""
    with store() as engine:
        entry = vendor(engine, vendor_siret)
        deposits = list_deposits(engine, entry.id)
    if as_json:
        print_json([d.as_dict() for d in deposits])
        raise typer.Exit(EXIT_OK)
    table = Table(title=f"Dépôts de {entry.vendor.name}")
    for column in ("Nom", "Nature", "Dispositif", "Demandes", "Origine", "Créé le", "Déposé le"):
        table.add_column(column)
    for deposit in deposits:
        table.add_row(
            deposit.name,
            deposit.kind,
            deposit.dispositif,
            str(deposit.requests),
            "construit" if deposit.origin == "build" else "importé",
            f"{deposit.file_created_at:%Y-%m-%d %H:%M}",
            "—" if deposit.filed_at is None else f"{deposit.filed_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    raise typer.Exit(EXIT_OK)


# --- the demo's deposits part -----------------------------------------------------------------


def print_deposits_tour(tour: DepositsTour) -> None:
    """`sons demo`, deposits: the advance, its filing and payment, the balance, a broken file."""
    advance, balance = tour.advance, tour.balance
    console.print(
        f"L'éditeur construit le fichier d'avance de {advance.deposit.dispositif} depuis ses bons "
        "(le bon en erreur est laissé de côté). Commande : [cyan]sons deposit build --kind "
        f"avance --dispositif {advance.deposit.dispositif} --orders … --only-valid --out …[/]",
        soft_wrap=True,
    )
    _print_build(advance)
    console.print(
        f"Déposé sur le portail de l'opérateur : [cyan]sons deposit mark-filed "
        f"{advance.deposit.name}[/] — {tour.filed.message()} L'opérateur instruit, valide et "
        f"paie : {', '.join(tour.paid)} « Décidée(s) et payée(s) » "
        "([cyan]sons request list[/]).",
        soft_wrap=True,
    )
    console.print(
        "\nPlus tard, le solde, avec la facture de chaque bon : [cyan]sons deposit build --kind "
        "solde … --invoice NUMÉRO=FACTURE.pdf[/]",
        soft_wrap=True,
    )
    _print_build(balance)
    console.print(
        f"Déposé à son tour : [cyan]sons deposit mark-filed {balance.deposit.name}[/] — "
        f"{tour.balance_filed.message()} Ces demandes attendent l'instruction de l'opérateur "
        "(sa file, dans l'application web : [cyan]sons demo --serve[/]).",
        soft_wrap=True,
    )
    console.print(
        f"\nEnfin, une copie volontairement cassée du solde ({tour.broken_json.name}) :",
        soft_wrap=True,
    )
    for breakage in tour.breakages:
        console.print(f"  • {breakage}", soft_wrap=True)
    console.print(
        f"Commande : [cyan]sons deposit check {tour.broken_json} --zip {tour.broken_zip}[/]",
        soft_wrap=True,
    )
    _print_report(tour.broken)
