"""Shared pieces of the import formats: cells, encodings, tables, the problems report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from sons.findings import Severity
from sons.formats.cells import (
    CellError,
    cell_text,
    parse_amount,
    parse_date,
    parse_finess,
    parse_yes_no,
)
from sons.formats.encoding import detect_encoding
from sons.formats.problems import ImportProblem, ImportReport
from sons.formats.table import read_table


def _report(name: str = "f.csv") -> ImportReport:
    return ImportReport(file=name, kind="essai")


# --- cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2022-03-15", dt.date(2022, 3, 15)), (" 15/03/2022 ", dt.date(2022, 3, 15))],
)
def test_dates_in_the_two_accepted_formats(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("2022/03/15", "DATE_FORMAT"),
        ("15-03-2022", "DATE_FORMAT"),
        ("15/3/2022", "DATE_FORMAT"),
        ("03/15/22", "DATE_FORMAT"),
        ("15 mars 2022", "DATE_FORMAT"),
        ("2022-02-30", "DATE_INVALID"),
        ("31/04/2022", "DATE_INVALID"),
    ],
)
def test_other_date_formats_are_refused(text: str, rule: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_date(text)
    assert caught.value.rule == rule
    assert "AAAA-MM-JJ" in caught.value.message or "n'existe pas" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oui", True),
        ("NON", False),
        ("o", True),
        ("n", False),
        ("X", True),
        ("x", True),
        ("true", True),
        ("FALSE", False),
        ("1", True),
        ("0", False),
        ("", None),
        ("  ", None),
    ],
)
def test_yes_no_vocabulary(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


def test_unreadable_yes_no() -> None:
    with pytest.raises(CellError) as caught:
        parse_yes_no("peut-être")
    assert caught.value.rule == "YES_NO_INVALID"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("12,345", "AMOUNT_TOO_MANY_DECIMALS"),
        ("-5,00", "AMOUNT_NEGATIVE"),
        ("12 €uros", "AMOUNT_INVALID"),
    ],
)
def test_amount_problems_keep_the_money_rule_codes(text: str, rule: str) -> None:
    with pytest.raises(CellError) as caught:
        parse_amount(text)
    assert caught.value.rule == rule


def test_spreadsheet_values_read_as_typed() -> None:
    assert cell_text(14400.000000000002) == "14400"
    assert cell_text(1234.5) == "1234.5"
    assert cell_text(1234.567) == "1234.567"  # refused later, not rounded
    assert cell_text(Decimal("1.10")) == "1.10"
    assert cell_text(dt.datetime(2022, 3, 15)) == "2022-03-15"
    assert cell_text(dt.datetime(2022, 3, 15, 10, 30)) == "2022-03-15 10:30:00"
    assert cell_text(True) == "true"
    assert cell_text(None) == ""


def test_finess_that_lost_its_leading_zero_says_so() -> None:
    with pytest.raises(CellError) as caught:
        parse_finess("10999019")
    assert caught.value.rule == "FINESS_INVALID_LENGTH"
    assert "zéro initial" in caught.value.message


# --- encodings ------------------------------------------------------------------------------


def test_utf8_latin1_and_refused_encodings(tmp_path: Path) -> None:
    text = "nom;ville\nCH DE DÉMO;Orléans\n"
    cases = {
        "utf8.csv": (text.encode("utf-8"), "UTF-8", set()),
        "bom.csv": (b"\xef\xbb\xbf" + text.encode("utf-8"), "UTF-8 (avec BOM)", set()),
        "cp1252.csv": (text.encode("cp1252"), "Latin-1 (Windows-1252)", {"ENCODING_LATIN1"}),
        "latin1.csv": (
            text.encode("latin-1") + b"\x81\n",
            "Latin-1 (ISO-8859-1)",
            {"ENCODING_LATIN1"},
        ),
        "utf16.csv": (text.encode("utf-16"), None, {"ENCODING_UNSUPPORTED"}),
        "nul.csv": (b"a;b\n" + text.encode("utf-16-le"), None, {"ENCODING_UNSUPPORTED"}),
        "zip.csv": (b"PK\x03\x04rest", None, {"ENCODING_UNSUPPORTED"}),
    }
    for name, (raw, label, rules) in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        report = _report(name)
        found = detect_encoding(path, report)
        assert (found.label if found else None) == label, name
        assert report.rules() == rules, name
    report = _report()
    assert detect_encoding(tmp_path / "cp1252.csv", report, latin1_allowed=False) is None
    assert report.rules() == {"ENCODING_NOT_UTF8"}
    assert report.errors[0].line == 2


# --- tables ---------------------------------------------------------------------------------


def test_csv_rows_with_wrong_field_counts_are_placed(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        "a;b;c;\n1;2;3;\n;;;\n4;5\n6;7;8;9;10\n\n11;12;13\n", encoding="utf-8", newline=""
    )
    report = _report("t.csv")
    table = read_table(path, report)
    assert table is not None
    assert table.headers == ["a", "b", "c"]
    assert [row.line for row in table.rows] == [2, 7]
    assert {(p.line, p.rule) for p in report.problems} == {
        (4, "TABLE_FIELD_COUNT"),
        (5, "TABLE_FIELD_COUNT"),
    }
    assert "2 champ(s) sur cette ligne au lieu de 3" in report.problems[0].message


def test_csv_separator_comma_and_tab_are_detected(tmp_path: Path) -> None:
    for separator in (",", "\t"):
        path = tmp_path / "s.csv"
        path.write_text(f"a{separator}b\n1{separator}2\n", encoding="utf-8")
        table = read_table(path, _report())
        assert table is not None and table.rows[0].cells == {"a": "1", "b": "2"}


def test_duplicate_and_unnamed_columns(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("a;A;;b\n1;2;3;4\n", encoding="utf-8")
    report = _report("d.csv")
    read_table(path, report)
    assert {(p.line, p.column, p.rule) for p in report.problems} == {
        (1, "A", "TABLE_COLUMN_DUPLICATE"),
        (2, "C", "TABLE_COLUMN_UNNAMED"),
    }


def test_xlsx_merged_cells_are_refused_with_their_range(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["numero", "finess_et", "dmp_direct"])
    sheet.append(["BC-1", "010999027", "Oui"])
    sheet.append([None, "010999035", "Oui"])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("B1:C1")
    path = tmp_path / "fusion.xlsx"
    workbook.save(path)
    report = _report("fusion.xlsx")
    table = read_table(path, report)
    assert table is not None
    merged = [p for p in report.problems if p.rule == "XLSX_MERGED_CELLS"]
    assert {(p.line, p.column) for p in merged} == {(2, "numero"), (1, "B")}
    assert any("A2:A3" in p.message for p in merged)


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    broken = tmp_path / "casse.xlsx"
    broken.write_bytes(b"pas un classeur")
    old = tmp_path / "ancien.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF")
    expected = {
        broken: "XLSX_UNREADABLE",
        old: "FILE_FORMAT_UNKNOWN",
        other: "FILE_FORMAT_UNKNOWN",
        tmp_path / "absent.csv": "FILE_NOT_FOUND",
    }
    for path, rule in expected.items():
        report = _report(path.name)
        assert read_table(path, report) is None
        assert report.rules() == {rule}


# --- the report -----------------------------------------------------------------------------


def test_report_places_counts_and_caps_problems() -> None:
    report = ImportReport(file="c.csv", kind="bons de commande", max_problems=3)
    for line in range(5, 0, -1):
        report.error(line, "date_signature", "2022/03/15", "DATE_FORMAT", "date illisible")
    report.warning(None, None, None, "ENCODING_LATIN1", "lu en Latin-1")
    assert report.error_count == 5 and report.warning_count == 1
    assert report.omitted == 3
    assert [p.line for p in report.problems] == [3, 4, 5]
    assert report.has_errors
    text = str(report.problems[0])
    assert text == (
        "c.csv, ligne 3, colonne « date_signature » : date illisible (valeur lue : « 2022/03/15 »)"
    )
    summary = report.summary()
    assert "5 erreur(s), 1 avertissement(s)" in summary and "refusé" in summary
    finding = report.problems[0].as_finding()
    assert (finding.code, finding.severity, finding.path) == (
        "DATE_FORMAT",
        Severity.ERROR,
        "c.csv, ligne 3, colonne « date_signature »",
    )
    assert report.as_dict()["omitted"] == 3


def test_json_path_places() -> None:
    problem = ImportProblem("c.json", None, "$.commandes[0].numero", None, "VALUE_REQUIRED", "x")
    assert problem.place == "c.json, chemin $.commandes[0].numero"
