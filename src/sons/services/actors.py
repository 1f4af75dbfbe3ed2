"""Who acts: every write names its actor in the journal; reads run as a fixed reader.

Entry points choose the actor (the web's logged-in user, the CLI's `SONS_ACTOR` or OS user) and
hand it to the use cases, with the clock; nothing below the services guesses it.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

from sqlalchemy.engine import Engine

from sons.store.unit_of_work import UnitOfWork

ACTOR_VARIABLE = "SONS_ACTOR"
# Read-only units of work write nothing to the journal; they still need a name.
READER = "lecture"


def reading(engine: Engine) -> UnitOfWork:
    """A read-only unit of work: a consistent snapshot, nothing written."""
    return UnitOfWork(engine, READER, read_only=True)


def glancing(engine: Engine) -> UnitOfWork:
    """A glance: a read of a few statements that need no common snapshot (a list's count and
    its page), nothing streamed; on PostgreSQL it costs no BEGIN and no ROLLBACK."""
    return UnitOfWork(engine, READER, glance=True)


def command_line_actor(environ: Mapping[str, str] | None = None) -> str:
    """`SONS_ACTOR` when set, else « cli:<OS user> »."""
    env = os.environ if environ is None else environ
    configured = env.get(ACTOR_VARIABLE, "").strip()
    if configured:
        return configured
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (some containers)
        user = "inconnu"
    return f"cli:{user}"
