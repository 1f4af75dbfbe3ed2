"""The rules that compare a solde or an avenant with the advance on record: a pure function of
the file and of what the store knows, tested without a store."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from sons.domain.orders import ClientKind
from sons.domain.workflow import Status
from sons.findings import Severity
from sons.formats.deposit.advance_rules import (
    AdvanceOnRecord,
    AmendmentOnRecord,
    advance_findings,
)
from sons.formats.deposit.model import DepositFile, DepositKind
from sons.formats.deposit.specimen import specimen_deposit
from sons.referential.loader import default_referential

REFERENTIAL = default_referential()
CODE = "RAD-RIS-Va1"


@pytest.fixture(scope="module")
def balance() -> DepositFile:
    return specimen_deposit(REFERENTIAL, CODE, DepositKind.BALANCE, 2).deposit


def _on_record(deposit: DepositFile, index: int = 0, **changes: Any) -> AdvanceOnRecord:
    request = deposit.requests[index]
    assert request.advance is not None and request.client.finess_ej is not None
    record = AdvanceOnRecord(
        request_id=request.advance.request_id,
        status=Status.PAID,
        order_number=request.order.number,
        client_kind=ClientKind.LEGAL_ENTITY,
        client_id=request.client.finess_ej,
        sites=tuple(site.finess_et for site in request.sites),
        prestation_ht_cents=request.prestation.ht_cents,
        prestation_ttc_cents=request.prestation.ttc_cents,
    )
    return dataclasses.replace(record, **changes)


def _codes(deposit: DepositFile, *records: AdvanceOnRecord) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for index, finding in advance_findings(
        deposit, {r.request_id: r for r in records}, REFERENTIAL.sources
    ):
        found.setdefault(finding.code, []).append((index, finding))
    return found


def test_a_balance_matching_its_advance_has_no_finding(balance: DepositFile) -> None:
    assert _codes(balance, _on_record(balance, 0), _on_record(balance, 1)) == {}


def test_another_client_than_the_advance(balance: DepositFile) -> None:
    found = _codes(balance, _on_record(balance, 0, client_id="750712184"))
    ((index, finding),) = found["DEPOSIT_PERIMETER_CHANGED"]
    assert index == 0 and finding.severity is Severity.ERROR
    assert finding.path == "$.demandes[0].client" and "750712184" in finding.message
    assert finding.source.endswith("(source publique officielle)")


def test_sites_added_or_removed_warn(balance: DepositFile) -> None:
    record = _on_record(balance, 0)
    found = _codes(balance, dataclasses.replace(record, sites=(*record.sites, "750712184")))
    ((_, finding),) = found["DEPOSIT_SITES_CHANGED"]
    assert finding.severity is Severity.WARNING and "retiré(s) : 750712184" in finding.message


def test_balance_above_the_advance_or_its_paid_amendment(balance: DepositFile) -> None:
    request = balance.requests[0]
    lower = request.prestation.ht_cents - 1
    record = _on_record(balance, 0, prestation_ht_cents=lower)
    found = _codes(balance, record)
    ((_, finding),) = found["DEPOSIT_BALANCE_ABOVE_ADVANCE"]
    assert finding.path == "$.demandes[0].prestation.montant_ht_centimes"
    assert "DEPOSIT_ADVANCE_AMOUNT_MISMATCH" in found  # the file declared another amount
    # A paid amendment raising the Prestation lifts the ceiling.
    raised = AmendmentOnRecord(
        "AM-1", Status.PAID, request.prestation.ht_cents, request.prestation.ttc_cents
    )
    found = _codes(balance, dataclasses.replace(record, amendments=(raised,)))
    assert "DEPOSIT_BALANCE_ABOVE_ADVANCE" not in found


@pytest.mark.parametrize(
    ("statuses", "blocked"),
    [
        ((Status.PAID,), False),
        ((Status.FILED,), True),
        ((Status.PAID, Status.UNDER_REVIEW), True),
        ((Status.FILED, Status.PAID), False),
        ((Status.PAID, Status.CANCELLED), False),  # a withdrawn avenant does not block
        ((Status.PAID, Status.REJECTED), False),
    ],
)
def test_latest_amendment_must_be_paid(
    balance: DepositFile, statuses: tuple[Status, ...], blocked: bool
) -> None:
    request = balance.requests[0]
    amendments = tuple(
        AmendmentOnRecord(
            f"AM-{n}", status, request.prestation.ht_cents, request.prestation.ttc_cents
        )
        for n, status in enumerate(statuses, start=1)
    )
    found = _codes(balance, _on_record(balance, 0, amendments=amendments))
    assert ("DEPOSIT_AMENDMENT_NOT_PAID" in found) is blocked
    if blocked:
        ((_, finding),) = found["DEPOSIT_AMENDMENT_NOT_PAID"]
        assert f"AM-{len(statuses)}" in finding.message


def test_closed_or_unpaid_advance(balance: DepositFile) -> None:
    closed = _codes(balance, _on_record(balance, 0, status=Status.CANCELLED))
    assert closed["DEPOSIT_ADVANCE_CLOSED"][0][1].severity is Severity.ERROR
    unpaid = _codes(balance, _on_record(balance, 0, status=Status.UNDER_REVIEW))
    assert unpaid["DEPOSIT_ADVANCE_NOT_PAID"][0][1].severity is Severity.INFO


def test_evidence_not_recorded_when_the_store_records_evidence(balance: DepositFile) -> None:
    request = balance.requests[0]
    assert request.evidence, "the specimen's balance carries evidence"
    none_recorded = _on_record(balance, 0, evidence=frozenset())
    found = _codes(balance, none_recorded)
    assert len(found["DEPOSIT_EVIDENCE_NOT_RECORDED"]) == len(request.evidence)
    everything = frozenset((e.flow, e.route, e.piece) for e in request.evidence)
    assert "DEPOSIT_EVIDENCE_NOT_RECORDED" not in _codes(
        balance, _on_record(balance, 0, evidence=everything)
    )


def test_unknown_advance_is_an_information_and_advances_are_not_compared(
    balance: DepositFile,
) -> None:
    found = _codes(balance)
    assert [index for index, _ in found["DEPOSIT_ADVANCE_NOT_ON_RECORD"]] == [0, 1]
    assert all(f.severity is Severity.INFO for _, f in found["DEPOSIT_ADVANCE_NOT_ON_RECORD"])
    advance = specimen_deposit(REFERENTIAL, CODE, DepositKind.ADVANCE, 1).deposit
    assert advance_findings(advance, {}, REFERENTIAL.sources) == []
