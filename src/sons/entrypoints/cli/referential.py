"""`sons referential …`: read, check and explain the rules of the dispositifs."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sons.documents import rulebook as rulebook_document
from sons.entrypoints.cli.output import (
    EXIT_BAD_INPUT,
    console,
    exit_for,
    fail,
    print_findings,
    print_json,
)
from sons.findings import Finding
from sons.referential import presentation
from sons.referential.loader import (
    Referential,
    ReferentialError,
    UnknownDispositif,
    default_referential,
    load,
)
from sons.referential.rulebook import build as build_rulebook
from sons.referential.scenario import INPUT_CODES, RequiredProfile, explain

app = typer.Typer(help="Le référentiel : dispositifs, profils, questionnaires, règles, soldes.")

JsonOption = Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Date d'effet AAAA-MM-JJ (par défaut : aujourd'hui)."),
]


def _referential() -> Referential:
    try:
        return default_referential()
    except ReferentialError as exc:
        fail(str(exc))


def parse_date(text: str | None, option: str = "--date") -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"option {option} : « {text} » n'est pas une date au format AAAA-MM-JJ.")


@app.command("list")
def list_dispositifs(as_json: JsonOption = False) -> None:
    """Liste les dispositifs du référentiel."""
    referential = _referential()
    rows = [presentation.identity(d) for d in referential.dispositifs.values()]
    rows.sort(key=lambda r: (r["wave"], r["couloir"], r["code"]))
    if as_json:
        print_json({"version": referential.pin, "dispositifs": rows})
        return
    print_dispositif_list(rows, referential.pin)


def print_dispositif_list(rows: list[dict[str, Any]], pin: str) -> None:
    table = Table(title=f"Dispositifs du référentiel (version {pin})")
    for column in ("Code", "Couloir", "Type", "Vague", "Format de dépôt", "Libellé"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["code"],
            row["couloir"],
            row["software_type"],
            str(row["wave"]),
            row["deposit_family"],
            row["label"],
        )
    console.print(table)


@app.command("show")
def show(
    code: Annotated[str, typer.Argument(help="Code du dispositif, ex. HOP-DPI-Va1.")],
    date: DateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Montre un dispositif tel qu'en vigueur à une date."""
    referential = _referential()
    on = parse_date(date)
    try:
        view = referential.at(code, on)
    except UnknownDispositif as exc:
        fail(str(exc))
    data = presentation.dispositif_at(view)
    if as_json:
        print_json(data)
        return
    print_dispositif(data)


def print_dispositif(data: dict[str, Any]) -> None:
    console.print(f"[bold]{data['code']}[/] — {data['label']} (au {data['date']})")
    console.print(
        f"Couloir {data['couloir']}, logiciel {data['software_type']}, vague {data['wave']}, "
        f"format de dépôt {data['deposit_family']}."
    )
    profiles = Table(title="Profils")
    for column in ("Profil", "Obligatoire", "Déclencheur", "Force"):
        profiles.add_column(column)
    for p in data["profiles"]:
        profiles.add_row(
            p["label"], "oui" if p["mandatory"] else "non", p["trigger"] or "", p["strength"]
        )
    console.print(profiles)
    questions = Table(title="Scénario d'installation (questionnaire)")
    for column in ("#", "Identifiant", "Question", "Type", "Force"):
        questions.add_column(column)
    for index, q in enumerate(data["questions"], start=1):
        questions.add_row(str(index), q["id"], q["label"], q["type"], q["strength"])
    console.print(questions)
    balance = Table(title="Conditions de versement du solde")
    for column in ("Flux", "Voie", "Condition", "Seuil", "INS qualifiée", "Pièce"):
        balance.add_column(column)
    for c in data["balance_conditions"]:
        threshold = "non renseigné" if c["threshold"] is None else str(c["threshold"])
        ins = {True: "oui", False: "non", None: "non renseigné"}[c["ins_qualified"]]
        balance.add_row(
            c["flow_label"], c["route_label"], c["condition"], threshold, ins, c["evidence_label"]
        )
    console.print(balance)
    parameters = Table(title="Paramètres datés")
    for column in ("Paramètre", "Valeur", "Force", "Depuis"):
        parameters.add_column(column)
    for p in data["parameters"]:
        value = p["value"]
        if isinstance(value, dict):
            value = value["label"]
        parameters.add_row(
            p["label"],
            "non renseigné" if value is None else str(value),
            p["strength"],
            p["since"] or "",
        )
    console.print(parameters)
    for warning in data["warnings"]:
        console.print(f"[yellow]Attention :[/] {warning}")


@app.command("check")
def check(
    data_dir: Annotated[
        Path | None,
        typer.Option("--data", help="Dossier de données à vérifier (par défaut : celui de sons)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Vérifie tout le jeu de données du référentiel (utilisé par la CI)."""
    try:
        referential = load(data_dir) if data_dir else load()
    except ReferentialError as exc:
        if as_json:
            print_json({"valid": False, "problems": [asdict(p) for p in exc.problems]})
        else:
            console.print(f"[red]{exc}[/]")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except FileNotFoundError as exc:
        fail(f"dossier de données introuvable : {exc.filename}")
    if as_json:
        print_json(
            {
                "valid": True,
                "version": referential.pin,
                "dispositifs": sorted(d.code for d in referential.dispositifs.values()),
            }
        )
        return
    console.print(
        f"[green]Référentiel valide[/] : version {referential.pin}, "
        f"{len(referential.dispositifs)} dispositifs."
    )


def _read_answers(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        fail(f"fichier de réponses introuvable : {path}")
    except UnicodeDecodeError:
        fail(f"{path} : le fichier n'est pas en UTF-8.")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{path}, ligne {exc.lineno}, colonne {exc.colno} : JSON illisible ({exc.msg}).")
    if not isinstance(raw, dict):
        fail(
            f"{path} : un objet JSON est attendu, qui associe chaque identifiant de question "
            'à sa réponse (ex. {"dmp_direct": true}).'
        )
    return raw


def print_explanation(
    code: str,
    on: dt.date,
    required: Sequence[RequiredProfile],
    findings: Sequence[Finding],
) -> None:
    table = Table(title=f"Profils requis par le scénario — {code} au {on.isoformat()}")
    table.add_column("Profil")
    table.add_column("Parce que")
    for item in required:
        table.add_row(item.label, "\n".join(item.because))
    console.print(table)
    print_findings(tuple(findings))


@app.command("explain")
def explain_command(
    code: Annotated[str, typer.Argument(help="Code du dispositif.")],
    answers: Annotated[
        Path, typer.Option("--answers", help="Fichier JSON : identifiant de question → réponse.")
    ],
    profiles: Annotated[
        str | None,
        typer.Option("--profiles", help="Profils obtenus par la solution, séparés par « ; »."),
    ] = None,
    date: DateOption = None,
    as_json: JsonOption = False,
) -> None:
    """Explique un scénario : profils requis et pourquoi, et constats."""
    referential = _referential()
    on = parse_date(date)
    try:
        view = referential.at(code, on)
    except UnknownDispositif as exc:
        fail(str(exc))
    raw = _read_answers(answers)
    obtained = profiles.split(";") if profiles is not None else None
    result = explain(view, raw, obtained)
    findings = list(result.findings)
    for finding_index, finding in enumerate(findings):
        if finding.code in INPUT_CODES and finding.path.startswith("$"):
            findings[finding_index] = type(finding)(
                finding.code,
                finding.severity,
                f"{answers} : {finding.message}",
                finding.path,
                finding.rule,
                finding.source,
            )
    if as_json:
        data = result.as_dict()
        data["findings"] = [f.as_dict() for f in findings]
        print_json({"code": view.code, "date": on.isoformat(), **data})
    else:
        print_explanation(view.code, on, result.required_profiles, findings)
    if any(f.code in INPUT_CODES for f in findings):
        raise typer.Exit(EXIT_BAD_INPUT)
    exit_for(findings)


@app.command("doc")
def doc(
    code: Annotated[str, typer.Argument(help="Code du dispositif, ex. RAD-RIS-Va1.")],
    fmt: Annotated[
        str, typer.Option("--format", help="Format du document : md (Markdown) ou html.")
    ] = "md",
    date: DateOption = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Fichier à écrire (par défaut : la sortie standard)."),
    ] = None,
) -> None:
    """Produit le règlement annoté d'un dispositif : chaque règle, sa source et sa force."""
    if fmt not in rulebook_document.FORMATS:
        fail(
            f"option --format : « {fmt} » inconnu ; formats possibles : "
            + ", ".join(rulebook_document.FORMATS)
            + "."
        )
    referential = _referential()
    on = parse_date(date)
    try:
        view = referential.at(code, on)
    except UnknownDispositif as exc:
        fail(str(exc))
    text = rulebook_document.render(build_rulebook(view, referential), fmt)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"impossible d'écrire {output} : {exc.strerror or exc}.")
    console.print(f"Règlement annoté de {view.code} au {on.isoformat()} écrit dans {output}.")
