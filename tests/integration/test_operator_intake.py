"""The operator takes in vendors' deposits, on SQLite and PostgreSQL: incomplete requests
recorded and listed, doublons not stored twice, conflicts found, unknown or unenrolled vendors
refused with nothing stored."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from operator_fixtures import (
    INTAKE_DAY,
    SPECIMEN_VENDOR,
    deposit_data,
    seed_operator,
    snapshot,
    write_deposit,
)
from sons.domain.workflow import Status
from sons.findings import Finding, Severity
from sons.formats.deposit.mapping import file_name
from sons.services.deposits import DepositRefused
from sons.services.instruction import queue, show
from sons.services.intake import CONFLICT, Reception, intake_deposit
from sons.store.unit_of_work import UnitOfWork


def _intake(engine: Engine, files: tuple[Path, Path], clock: Any) -> Any:
    return intake_deposit(
        engine, files[0], files[1], actor="asp:reception", today=INTAKE_DAY, clock=clock
    )


def test_intake_records_incomplete_requests_and_lists_them_with_their_findings(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    seed_operator(engine, clock)
    data, documents = deposit_data()
    missing = sorted(documents)[1]  # the second request's order
    result = _intake(engine, write_deposit(tmp_path, data, documents, leave_out=[missing]), clock)
    assert result.deposit is not None and result.vendor_siret == SPECIMEN_VENDOR.siret
    receptions = [line.reception for line in result.lines]
    assert receptions == [Reception.RECEIVED, Reception.INCOMPLETE, Reception.RECEIVED]
    incomplete = result.lines[1]
    assert incomplete.request is not None and incomplete.request.status is Status.INCOMPLETE
    assert any(missing in f.message for f in incomplete.findings)
    assert "1 « incomplète(s) »" in result.message()

    found = queue(engine)
    assert found.count(Status.INCOMPLETE) == 1 and found.count(Status.FILED) == 2
    (group,) = [g for g in found.groups if g.status is Status.INCOMPLETE]
    assert group.label.startswith("Incomplète") and group.lines[0].errors >= 1
    assert queue(engine, status=Status.INCOMPLETE, dispositif="rad-ris-va1").total == 1
    assert queue(engine, vendor_siret=SPECIMEN_VENDOR.siret).total == 3
    seen = show(engine, str(incomplete.request.id))
    assert seen.findings == incomplete.findings and seen.vendor_siret == SPECIMEN_VENDOR.siret
    with UnitOfWork(engine, "lecture", read_only=True) as uow:
        (entry,) = uow.journal.history("deposit_intake", str(result.deposit.id))
    assert [r["outcome"] for r in entry.after["requests"]] == ["recue"] * 3


def test_the_same_requests_again_are_doublons_and_nothing_is_stored(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    seed_operator(engine, clock)
    data, documents = deposit_data()
    first = _intake(engine, write_deposit(tmp_path / "a", data, documents), clock)
    before = snapshot(engine)
    # The very same file, then the same requests in a file of other bytes.
    same_file = _intake(engine, write_deposit(tmp_path / "a", data, documents), clock)
    other_bytes = _intake(engine, write_deposit(tmp_path / "b", data, documents, indent=2), clock)
    for again in (same_file, other_bytes):
        assert again.deposit is None
        assert [line.reception for line in again.lines] == [Reception.DUPLICATE] * 3
        assert [line.earlier.id for line in again.lines if line.earlier] == [
            line.request.id for line in first.lines if line.request
        ]
        assert "doublons" in again.message()
    assert snapshot(engine) == before


def test_a_known_identifier_with_another_content_is_a_finding(
    engine: Engine, clock: Any, tmp_path: Path
) -> None:
    seed_operator(engine, clock)
    data, documents = deposit_data()
    _intake(engine, write_deposit(tmp_path / "a", data, documents), clock)
    changed = copy.deepcopy(data)
    prestation = changed[file_name("requests")][0][file_name("prestation")]
    for key in prestation:
        prestation[key] += 100
    result = _intake(engine, write_deposit(tmp_path / "b", changed, documents), clock)
    assert result.deposit is not None
    assert [line.reception for line in result.lines] == [
        Reception.CONFLICT,
        Reception.DUPLICATE,
        Reception.DUPLICATE,
    ]
    (conflict,) = [f for f in result.lines[0].findings if f.code == CONFLICT]
    assert conflict.severity is Severity.ERROR and "déjà reçue" in conflict.message
    assert result.has_errors
    assert queue(engine).total == 4


@pytest.mark.parametrize(
    ("vendor", "expected"),
    [
        pytest.param(None, "n'est pas connu de l'opérateur", id="inconnu"),
        pytest.param(
            dataclasses.replace(SPECIMEN_VENDOR, enrolment_number=None),
            "n'est pas enrôlé",
            id="non-enrole",
        ),
        pytest.param(
            dataclasses.replace(SPECIMEN_VENDOR, enrolment_number="ENR-999999"),
            "numéro d'enrôlement « ENR-000001 » différent",
            id="autre-enrolement",
        ),
    ],
)
def test_a_deposit_of_an_unknown_or_unenrolled_vendor_is_refused_and_nothing_stored(
    engine: Engine, clock: Any, tmp_path: Path, vendor: Any, expected: str
) -> None:
    if vendor is not None:
        with UnitOfWork(engine, "amorçage", clock) as uow:
            uow.vendors.save(vendor)
    before = snapshot(engine)
    data, documents = deposit_data()
    with pytest.raises(DepositRefused) as refused:
        _intake(engine, write_deposit(tmp_path, data, documents), clock)
    message = str(refused.value)
    assert expected in message and "rien n'a été enregistré" in message
    assert "depot.json" in message and SPECIMEN_VENDOR.siret in message
    assert snapshot(engine) == before


def test_registry_findings_are_kept_with_the_request_they_name(
    engine: Engine, clock: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def planted(uow: Any, vendor_id: int, requests: Any, on: Any) -> list[Finding]:
        first = requests[0]
        return [
            Finding("PLANTED_BY_REF", Severity.ERROR, "par identifiant", f"{first.request_ref}.x"),
            Finding("PLANTED_BY_PATH", Severity.WARNING, "par chemin", "$.demandes[1].client"),
        ]

    monkeypatch.setattr("sons.services.intake.findings_at_intake", planted)
    seed_operator(engine, clock)
    data, documents = deposit_data()
    result = _intake(engine, write_deposit(tmp_path, data, documents), clock)
    codes = [[f.code for f in line.findings] for line in result.lines]
    assert codes == [["PLANTED_BY_REF"], ["PLANTED_BY_PATH"], []]
    stored = [show(engine, str(line.request.id)).findings for line in result.lines]
    assert [[f.code for f in found] for found in stored] == codes
    tallies = {
        line.request.id: (line.errors, line.warnings) for line in queue(engine).groups[0].lines
    }
    assert sorted(tallies.values()) == [(0, 0), (0, 1), (1, 0)]
