"""Run `sons …` in this process (Typer's CliRunner), with the shape of a finished subprocess.

Each e2e file keeps a few true subprocess runs (`python -m sons`: start-up, encoding, exit
codes as the shell sees them); the rest of its cases run here, which spares a Python start-up
per case. An exception the command did not turn into a French message fails the test, as a
traceback would in a terminal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from sons.entrypoints.cli import app
from sons.entrypoints.cli.output import console, errors

# As `COLUMNS=250` for a subprocess: Rich must not cut the words the assertions look for.
WIDE = 250


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


@contextmanager
def wide_consoles() -> Iterator[None]:
    widths = [(c, c.width) for c in (console, errors)]
    for c, _ in widths:
        c.width = WIDE
    try:
        yield
    finally:
        for c, width in widths:
            c.width = width


def run_in_process(
    *args: str, env: Mapping[str, str | None] | None = None, cwd: Path | None = None
) -> Finished:
    """`env`: variables set (None: unset) while the command runs; `cwd`: its folder."""
    with wide_consoles(), contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        result = CliRunner().invoke(app, list(args), env=dict(env) if env else None)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Finished(result.exit_code, result.stdout, result.stderr)
