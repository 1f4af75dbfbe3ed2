"""What a store command works in: the database, who acts (for the journal), for which vendor
(the tenant), how long work shows its progress, and how an import's report reads.

- Database: `SONS_DATABASE_URL`, else the SQLite file of docs/stockage.md (`open_store`).
- Actor: `SONS_ACTOR`, else « cli:<OS user> ».
- Vendor: `--vendor SIRET`, else `SONS_VENDOR`, else the only vendor of the store; otherwise a
  French error naming the vendors (exit 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy.engine import Engine

from sons.entrypoints.cli.output import (
    EXIT_BAD_INPUT,
    SEVERITY_STYLES,
    console,
    errors,
    fail,
    print_json,
)
from sons.findings import SEVERITY_LABELS
from sons.services.actors import command_line_actor
from sons.services.importing import ImportOutcome
from sons.services.importing import Progress as ProgressCallback
from sons.services.vendors import VendorEntry, resolve_vendor
from sons.store.database import open_store
from sons.store.errors import StoreError

JsonOption = Annotated[bool, typer.Option("--json", help="Sortie JSON pour les scripts.")]
VendorOption = Annotated[
    str | None,
    typer.Option(
        "--vendor",
        envvar="SONS_VENDOR",
        help="SIRET de l'éditeur (par défaut : SONS_VENDOR, sinon le seul éditeur enregistré).",
        show_envvar=False,
    ),
]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="Date du contrôle AAAA-MM-JJ (par défaut : aujourd'hui)."),
]


@contextmanager
def store() -> Iterator[Engine]:
    """The migrated store, disposed at the end; an unreachable database is exit 2."""
    try:
        engine = open_store()
    except StoreError as exc:
        fail(str(exc))
    try:
        yield engine
    finally:
        engine.dispose()


def actor() -> str:
    return command_line_actor()


def vendor(engine: Engine, siret: str | None) -> VendorEntry:
    try:
        return resolve_vendor(engine, siret)
    except StoreError as exc:
        fail(str(exc))


@contextmanager
def progress_bar(description: str, *, in_bytes: bool = False) -> Iterator[ProgressCallback]:
    """A progress bar on the error stream (standard output stays clean for --json), fed by a
    `progress(done, total)` callback; it disappears when the work is done."""
    count = DownloadColumn() if in_bytes else MofNCompleteColumn()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        count,
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def print_problems(outcome: ImportOutcome) -> None:
    """Every problem of the file, one line each: place, message with the value, rule."""
    report = outcome.report
    for problem in report.problems:
        style = SEVERITY_STYLES[problem.severity]
        console.print(
            f"[{style}]• {SEVERITY_LABELS[problem.severity]}[/] — {problem} [dim]"
            f"[{problem.rule}][/]",
            soft_wrap=True,
        )
    if report.omitted:
        console.print(f"… et {report.omitted} autre(s) problème(s) non détaillé(s).")


def finish_import(outcome: ImportOutcome, as_json: bool, *, hint: str = "") -> NoReturn:
    """Show what the import did (and `hint`, what to do next, once stored); exit 2 when the
    file was refused (nothing stored)."""
    if as_json:
        print_json(outcome.as_dict())
        raise typer.Exit(EXIT_BAD_INPUT if outcome.refused else 0)
    print_problems(outcome)
    if outcome.refused:
        fail(outcome.message())
    style = "yellow" if outcome.earlier is not None else "green"
    console.print(f"[{style}]{outcome.message()}[/]", soft_wrap=True)
    if hint and outcome.batch is not None:
        console.print(hint, soft_wrap=True)
    raise typer.Exit(0)
