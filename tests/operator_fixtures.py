"""Deposit files as a vendor sends them to the payment operator, and the vendor that sends
them, for the operator's intake and instruction tests (services, CLI, end to end).

The files are specimen advances of RAD-RIS-Va1 (synthetic identifiers); the vendor is the
filing fixtures' one under the specimen's SIRET and enrolment number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from filing_fixtures import CODE, VENDOR, pdf, seed_filing
from sons.formats.deposit.model import DepositKind
from sons.formats.deposit.specimen import specimen_deposit, synthetic_siret
from sons.referential.loader import default_referential
from sons.store.instruction import IntakeFindingRow, PaymentRow, RecoveryOrderRow, RequestIntakeRow
from sons.store.journal import JournalEntryRow
from sons.store.requests import DepositRow, FundingRequestRow, RequestTransitionRow

INTAKE_DAY = dt.date(2022, 11, 15)
SPECIMEN_ENROLMENT = "ENR-000001"
SPECIMEN_VENDOR = dataclasses.replace(
    VENDOR,
    siret=synthetic_siret(),
    siren=synthetic_siret()[:9],
    enrolment_number=SPECIMEN_ENROLMENT,
)


def seed_operator(engine: Engine, clock: Callable[[], dt.datetime]) -> int:
    """The specimen files' vendor, enrolled with the operator; its id."""
    return seed_filing(engine, clock, orders=(), vendor=SPECIMEN_VENDOR)


def deposit_data(count: int = 3) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A specimen advance deposit (file content, zip entries) of `count` requests."""
    specimen = specimen_deposit(
        default_referential(), CODE, DepositKind.ADVANCE, count, document=lambda name: pdf(name)
    )
    return specimen.deposit.to_file(), specimen.documents


def write_deposit(
    folder: Path,
    data: dict[str, Any],
    documents: dict[str, bytes],
    *,
    name: str = "depot",
    leave_out: Iterable[str] = (),
    indent: int | None = None,
) -> tuple[Path, Path]:
    """The JSON file and its zip (without the entries `leave_out`) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    json_file, zip_file = folder / f"{name}.json", folder / f"{name}.zip"
    json_file.write_text(json.dumps(data, ensure_ascii=False, indent=indent), encoding="utf-8")
    skipped = set(leave_out)
    with zipfile.ZipFile(zip_file, "w") as archive:
        for entry, content in documents.items():
            if entry not in skipped:
                # A fixed date: the same entries give the same zip, byte for byte.
                archive.writestr(zipfile.ZipInfo(entry, date_time=(2022, 11, 15, 0, 0, 0)), content)
    return json_file, zip_file


TABLES = (
    DepositRow,
    FundingRequestRow,
    RequestTransitionRow,
    JournalEntryRow,
    RequestIntakeRow,
    IntakeFindingRow,
    PaymentRow,
    RecoveryOrderRow,
)


def snapshot(engine: Engine) -> dict[str, Any]:
    """What a refusal must leave exactly as it was: row counts, and every request's status
    and version."""
    with engine.connect() as connection:
        counts = {
            model.__tablename__: connection.execute(
                sa.select(sa.func.count()).select_from(model)
            ).scalar_one()
            for model in TABLES
        }
        requests = connection.execute(
            sa.select(
                FundingRequestRow.id, FundingRequestRow.status, FundingRequestRow.version
            ).order_by(FundingRequestRow.id)
        ).all()
    return {"counts": counts, "requests": [tuple(row) for row in requests]}
