"""`sons demo`'s orders part: a fresh SQLite store of its own, seeded through the real imports,
every planted mistake found — and only those — and the same result at every run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sons.domain.workflow import Status
from sons.services.demo import EXPLAINED_CODES, DemoReport, run_demo
from sons.services.demo_data import DEFECTS


def test_the_demo_finds_exactly_the_mistakes_planted_in_its_data(tmp_path: Path) -> None:
    report = run_demo(tmp_path / "demo-output")
    tour = report.orders
    assert tour.database == tmp_path / "var" / "demo.sqlite3" and tour.database.is_file()
    assert all(not outcome.refused and outcome.batch for outcome in tour.imports)
    assert [len(tour.solutions), len({s.profile_labels for s in tour.solutions})] == [3, 3]
    checks = {check.number: [f.code for f in check.findings] for check in tour.report.checks}
    assert len(checks) == 80
    assert Counter(number.split("-")[1] for number in checks) == {"RIS": 30, "DPI": 25, "LGC": 25}
    for number, (_, code) in DEFECTS.items():
        assert code in checks[number], (number, checks[number])
    # The order whose client BC-DPI-005 orders again is flagged too; nothing else is.
    flagged = {number for number, codes in checks.items() if codes}
    assert flagged == {*DEFECTS, "BC-DPI-004"}
    assert [check.number for check, _ in tour.explained] == [
        next(n for n, (_, c) in sorted(DEFECTS.items()) if c == code) for code in EXPLAINED_CODES
    ]
    assert tour.journal.ok and tour.journal.checked > 80
    # The files are left for the reader to replay the imports with the CLI.
    assert (tmp_path / "demo-output" / "donnees" / "commandes.csv").is_file()

    # The operator's part runs on the same walk (one run: the demo takes seconds).
    operator_part_holds(report)

    again = run_demo(tmp_path / "demo-output").orders
    assert again.journal.checked == tour.journal.checked  # recreated, not appended to
    assert {c.number: [f.code for f in c.findings] for c in again.report.checks} == checks


def operator_part_holds(report: DemoReport) -> None:
    """The operator enrols the vendor, then takes in, instructs and pays its deposits."""
    operator = report.operator
    assert operator.registries.enrolment.request.status is Status.VALIDATED
    findings = [
        f
        for result in (operator.advance, operator.answer, operator.balance)
        for f in result.findings
    ]
    # Enrolled before its first deposit: no request is flagged for enrolment.
    assert not [f for f in findings if f.code.startswith("INTAKE_VENDOR")], findings
    assert operator.incomplete and operator.sent_back
    assert operator.payments == 4 and operator.paid_cents > 0
    statuses = {group.label for group in operator.queue.groups}
    assert "Décidée et payée" in statuses
