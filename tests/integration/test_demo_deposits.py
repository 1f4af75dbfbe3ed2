"""`sons demo`'s deposits part: from the demo orders, an advance and a balance that pass the
check, and a broken copy whose report shows each planted mistake."""

from __future__ import annotations

from pathlib import Path

from sons.findings import Severity
from sons.formats.deposit.check import check_deposit
from sons.referential.loader import default_referential
from sons.services.demo import run_demo
from sons.services.demo_deposits import ADVANCE_DAY, BALANCE_DAY


def test_the_demo_builds_checks_and_breaks_deposits(tmp_path: Path) -> None:
    tour = run_demo(tmp_path / "demo-output").deposits
    referential = default_referential()
    advance, balance = tour.advance, tour.balance
    assert len(advance.requests) == 3 and len(advance.left_out) == 1
    assert advance.left_out[0].findings, "the order left out has error findings"
    for built, day in ((advance, ADVANCE_DAY), (balance, BALANCE_DAY)):
        report = check_deposit(built.json_path, built.zip_path, referential, day)
        assert not report.has_errors, report.findings
    assert len(tour.filed.filed) == 3 and len(tour.paid) == 3
    # The balance is filed too, and left for the served demo's operator to instruct.
    assert len(tour.balance_filed.filed) == 3 and not tour.balance_filed.skipped
    assert [r.order_number for r in balance.requests] == [r.order_number for r in advance.requests]

    codes = {f.code for f in tour.broken.findings if f.severity is Severity.ERROR}
    assert codes >= {
        "DEPOSIT_BALANCE_ABOVE_ADVANCE",
        "DEPOSIT_PERIMETER_CHANGED",
        "DEPOSIT_ATTACHMENT_MISSING",
        "DEPOSIT_DEADLINE_PASSED",
    }
    assert tour.broken.incomplete_requests == [balance.requests[-1].request_ref]
    assert len(tour.breakages) == 4
    folder = tmp_path / "demo-output" / "depots"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [
            advance.json_path.name,
            advance.zip_path.name,
            balance.json_path.name,
            balance.zip_path.name,
            tour.broken_json.name,
            tour.broken_zip.name,
        ]
    )
