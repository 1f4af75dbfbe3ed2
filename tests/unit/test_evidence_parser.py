"""The transmissions log reader: good lines read exactly, every bad line reported precisely."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evidence_samples import (
    BOURG,
    PARIS,
    UNKNOWN_SITE,
    csv_text,
    patient_test,
    pro,
    row,
    write_csv,
    write_jsonl,
)
from sons.domain.evidence import (
    InsStatus,
    LoincError,
    RecipientClass,
    Transmission,
    check_loinc,
)
from sons.domain.identifiers import MSS_CITIZEN_TEST_ADDRESS
from sons.formats.problems import ImportReport
from sons.formats.transmissions import NAMES, TransmissionLine, read_transmissions, reject_row
from sons.referential.model import Flow, Route

NOW = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.UTC)
SITES = {PARIS, BOURG}


def read(
    path: Path, *, sites: set[str] | None = SITES
) -> tuple[list[TransmissionLine], ImportReport]:
    report = ImportReport.for_path(path, "journal des envois")
    lines = list(read_transmissions(path, report, now=NOW, known_sites=sites))
    return lines, report


def only_problem(report: ImportReport) -> tuple[int | None, str | None, str | None, str]:
    problems = report.errors
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    return p.line, p.column, p.value, p.rule


# --- good lines -------------------------------------------------------------------------------


def test_a_good_line_becomes_a_transmission_in_utc(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "journal.csv", [row(at="2023-03-02T10:15:00+01:00", message_id="A1")]
    )
    lines, report = read(path)
    assert not report.has_errors and report.records == 1
    assert lines[0].line == 2
    assert lines[0].transmission == Transmission(
        message_id="A1",
        sent_at=dt.datetime(2023, 3, 2, 9, 15, tzinfo=dt.UTC),
        finess_et=PARIS,
        flow=Flow.DMP,
        route=Route.DIRECT,
        ins_status=InsStatus.QUALIFIED,
        document_type="18748-4",
        recipient=None,
        acknowledged=True,
        software_name="RIS Horizon",
        software_version="4.2",
    )


def test_csv_and_json_lines_read_the_same(tmp_path: Path) -> None:
    rows = [row(), pro(ack="ko"), patient_test(ins="absente"), row(site=BOURG, route="third_party")]
    from_csv, report_csv = read(write_csv(tmp_path / "j.csv", rows))
    from_jsonl, report_jsonl = read(write_jsonl(tmp_path / "j.jsonl", rows))
    assert not report_csv.has_errors and not report_jsonl.has_errors
    assert [x.transmission for x in from_csv] == [x.transmission for x in from_jsonl]
    recipient = from_csv[2].transmission
    assert recipient is not None and recipient.recipient_class is RecipientClass.TEST_ADDRESS
    assert from_csv[1].transmission is not None and not from_csv[1].transmission.acknowledged


def test_columns_in_any_order_any_case_and_separator(tmp_path: Path) -> None:
    header = [name.upper() for name in reversed(NAMES)]
    text = csv_text([row(message_id="Z")], header=list(reversed(NAMES))).splitlines()
    path = tmp_path / "j.csv"
    path.write_text(",".join(header) + "\n" + text[1].replace(";", ",") + "\n", encoding="utf-8")
    lines, report = read(path)
    assert not report.has_errors, [str(p) for p in report.problems]
    assert lines[0].transmission is not None and lines[0].transmission.message_id == "Z"


def test_accented_and_capitalised_values_are_read(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "j.csv", [row(ins="Qualifiée", flow="DMP", ack="OK")])
    lines, report = read(path)
    assert not report.has_errors
    assert lines[0].transmission is not None
    assert lines[0].transmission.ins_status is InsStatus.QUALIFIED


def test_same_instant_with_another_offset_is_the_same_content() -> None:
    base = dict(
        message_id="M",
        finess_et=PARIS,
        flow=Flow.DMP,
        route=Route.DIRECT,
        ins_status=InsStatus.QUALIFIED,
        document_type=None,
        recipient=None,
        acknowledged=True,
        software_name="RIS",
        software_version="1",
    )
    paris = dt.timezone(dt.timedelta(hours=1))
    one = Transmission(sent_at=dt.datetime(2023, 3, 2, 10, 0, tzinfo=paris), **base)
    same = Transmission(sent_at=dt.datetime(2023, 3, 2, 9, 0, tzinfo=dt.UTC), **base)
    other = Transmission(sent_at=dt.datetime(2023, 3, 2, 9, 0, 1, tzinfo=dt.UTC), **base)
    assert one.fingerprint() == same.fingerprint() != other.fingerprint()


# --- bad lines, each placed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "column", "rule"),
    [
        (row(site=UNKNOWN_SITE), "finess_et", "TRANSMISSION_SITE_UNKNOWN"),
        (row(site="75071218"), "finess_et", "FINESS_INVALID_LENGTH"),
        (row(at="2024-01-15T13:00:01+00:00"), "horodatage", "TRANSMISSION_IN_FUTURE"),
        (row(at="2023-03-02T10:15:00"), "horodatage", "TRANSMISSION_TIME_OFFSET_MISSING"),
        (row(at="02/03/2023 10:15"), "horodatage", "TRANSMISSION_TIME_INVALID"),
        (row(ins="provisoire"), "statut_ins", "TRANSMISSION_INS_STATUS_UNKNOWN"),
        (row(flow="dmp2"), "flux", "TRANSMISSION_FLOW_UNKNOWN"),
        (row(route="tiers"), "voie", "TRANSMISSION_ROUTE_UNKNOWN"),
        (row(ack="peut-être"), "accuse", "TRANSMISSION_ACK_UNKNOWN"),
        (row(doc="18748-5"), "type_document", "TRANSMISSION_DOCUMENT_TYPE_INVALID"),
        (pro(recipient="dr.martin@hopital.fr"), "destinataire", "MSS_ADDRESS_INVALID"),
        (pro(recipient="dr martin@hopital.mssante.fr"), "destinataire", "MSS_ADDRESS_INVALID"),
        (pro(recipient=""), "destinataire", "VALUE_REQUIRED"),
        (
            row(flow="mss_patient", recipient="dr.martin@hopital.mssante.fr"),
            "destinataire",
            "TRANSMISSION_RECIPIENT_MISMATCH",
        ),
        (
            pro(recipient=MSS_CITIZEN_TEST_ADDRESS),
            "destinataire",
            "TRANSMISSION_RECIPIENT_MISMATCH",
        ),
        (row(software=" "), "logiciel", "VALUE_REQUIRED"),
        (row(version=""), "version_logiciel", "VALUE_REQUIRED"),
        (row(message_id="x" * 201), "id_message", "TRANSMISSION_MESSAGE_ID_INVALID"),
    ],
)
def test_each_bad_value_is_placed(
    tmp_path: Path, line: dict[str, str], column: str, rule: str
) -> None:
    path = write_csv(tmp_path / "journal.csv", [row(), line, row()])
    lines, report = read(path)
    at, where, _, found = only_problem(report)
    assert (at, where, found) == (3, column, rule)
    assert [item.transmission is None for item in lines] == [False, True, False]
    assert lines[1].problems[0].rule == rule


def test_future_is_judged_against_the_injected_clock(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "j.csv", [row(at="2024-01-15T12:59:00+01:00")])
    _, report = read(path)
    assert not report.has_errors  # 11:59 UTC, before the clock's noon


def test_a_line_with_several_problems_lists_them_all(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "j.csv", [row(ins="?", flow="fax", at="hier", site=UNKNOWN_SITE, ack="")]
    )
    lines, report = read(path)
    assert {p.column for p in report.errors} == {
        "statut_ins",
        "flux",
        "horodatage",
        "finess_et",
        "accuse",
    }
    assert len(lines[0].problems) == 5


def test_messages_are_french_and_name_what_was_expected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "j.csv", [row(ins="provisoire")])
    _, report = read(path)
    text = str(report.errors[0])
    assert "j.csv, ligne 2, colonne « statut_ins »" in text
    assert "qualifiee, non_qualifiee, absente" in text and "provisoire" in text


def test_a_patient_address_is_never_quoted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "j.csv",
        [row(flow="mss_patient", recipient="1234567890123@@patient.mssante.fr")],
    )
    _, report = read(path)
    problem = report.errors[0]
    assert "1234567890123" not in str(problem) and problem.rule == "MSS_ADDRESS_INVALID"


def test_unknown_site_is_not_checked_without_the_order_sites(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "j.csv", [row(site=UNKNOWN_SITE)])
    _, report = read(path, sites=None)
    assert not report.has_errors


def test_a_recipient_on_a_dmp_line_is_ignored_with_a_warning(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "j.csv", [row(recipient="dr.x@hopital.mssante.fr")])
    lines, report = read(path)
    assert not report.has_errors and report.warnings[0].rule == "TRANSMISSION_RECIPIENT_IGNORED"
    assert lines[0].transmission is not None and lines[0].transmission.recipient is None


def test_missing_column_refuses_the_file(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    header = [n for n in NAMES if n != "statut_ins"]
    path.write_text(csv_text([row()], header=header), encoding="utf-8")
    lines, report = read(path)
    assert lines == []
    assert only_problem(report) == (1, "statut_ins", None, "TABLE_COLUMN_MISSING")


def test_extra_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    path.write_text(csv_text([row()], header=[*NAMES, "commentaire"]), encoding="utf-8")
    lines, report = read(path)
    assert not report.has_errors and report.warnings[0].rule == "TABLE_COLUMN_IGNORED"
    assert lines[0].transmission is not None


def test_wrong_field_count_is_placed(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    good = csv_text([row()]).splitlines()
    path.write_text("\n".join([*good, "a;b;c"]) + "\n", encoding="utf-8")
    lines, report = read(path)
    assert only_problem(report) == (3, None, None, "TABLE_FIELD_COUNT")
    assert len(lines) == 2


def test_json_lines_problems_are_placed_on_their_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    import json

    path.write_text(
        json.dumps(row()) + "\n{pas du json\n" + json.dumps({**row(), "flux": ["dmp"]}) + "\n",
        encoding="utf-8",
    )
    lines, report = read(path)
    assert {(p.line, p.rule) for p in report.errors} == {(2, "JSON_SYNTAX"), (3, "JSON_TYPE")}
    assert lines[0].transmission is not None


def test_unknown_file_type(tmp_path: Path) -> None:
    path = tmp_path / "journal.xlsx"
    path.write_bytes(b"PK\x03\x04")
    _, report = read(path)
    assert only_problem(report)[3] == "FILE_FORMAT_UNKNOWN"


def test_reject_row_keeps_the_values_and_every_reason(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "j.csv", [row(ins="?", flow="fax", message_id="R-1")])
    lines, _ = read(path)
    rejected = reject_row(lines[0])
    assert rejected[0] == "2" and "R-1" in rejected
    assert "[TRANSMISSION_INS_STATUS_UNKNOWN]" in rejected[-1]
    assert "[TRANSMISSION_FLOW_UNKNOWN]" in rejected[-1]


@pytest.mark.parametrize("code", ["18748-4", "11502-2", "11490-0", "34133-9"])
def test_loinc_check_digit(code: str) -> None:
    assert check_loinc(f" {code} ") == code


@pytest.mark.parametrize("code", ["18748-3", "18748", "ABC-1", "18748-44"])
def test_loinc_rejects(code: str) -> None:
    with pytest.raises(LoincError):
        check_loinc(code)


def test_a_trailing_separator_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "j.csv"
    header, line = csv_text([row(message_id="T")]).splitlines()
    path.write_text(f"{header}\n{line};\n", encoding="utf-8")
    lines, report = read(path)
    assert not report.has_errors
    assert lines[0].transmission is not None and lines[0].transmission.message_id == "T"
