"""The report files of a control run, kept an hour for the operator who ran it.

`keep` stores them and returns a random token for the download links; only the token's SHA-256
is stored. `report_file` gives one file back to the same user while the run is fresh: another
user's token, an altered one, or an expired run all answer None, the same way. The files are in
the database (see `store.control_reports`): any worker process serves the download.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping

from sqlalchemy.engine import Engine

from sons.services.accounts import Caller, Forbidden
from sons.store.control_reports import ControlReportRepository
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

REPORT_TTL = dt.timedelta(hours=1)
TOKEN_MAX_LENGTH = 64


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def keep(
    engine: Engine,
    caller: Caller,
    files: Mapping[str, bytes],
    *,
    clock: Clock = system_clock,
) -> str:
    """Store a run's files for `caller`; the token that names them. Expired runs go first."""
    if not caller.is_operator:
        raise Forbidden("Les contrôles a posteriori sont réservés à l'opérateur.")
    token = secrets.token_urlsafe(16)
    with UnitOfWork(engine, caller.actor, clock) as uow:
        reports = ControlReportRepository(uow.session, uow.journal, uow.now)
        reports.purge_expired()
        reports.add(caller.user_id, _digest(token), files, REPORT_TTL)
    return token


def report_file(
    engine: Engine,
    caller: Caller,
    token: str,
    name: str,
    *,
    clock: Clock = system_clock,
) -> bytes | None:
    """The file `name` of the caller's run `token`, while it is kept; else None."""
    if not caller.is_operator or not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    with UnitOfWork(engine, caller.actor, clock, read_only=True) as uow:
        reports = ControlReportRepository(uow.session, uow.journal, uow.now)
        return reports.file(caller.user_id, _digest(token), name)
