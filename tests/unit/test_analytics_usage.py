"""Usage statistics: reading CSV and Parquet, and every rule they must pass, placed."""

from __future__ import annotations

from pathlib import Path

import pytest
from analytics_files import (
    ET_PRIVATE_A,
    ET_PRIVATE_B,
    STATS_COLUMNS,
    balance,
    run,
    stats,
    write_balances,
    write_csv,
    write_directory,
    write_parquet,
    write_stats_csv,
    write_stats_parquet,
)

from sons.analytics.controls import ControlsReport, run_controls
from sons.analytics.sources import InputError
from sons.analytics.usage import month_start
from sons.findings import Finding, Severity

GOOD = stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12)


def _controls(tmp_path: Path, files: list[Path | str], out: Path | None = None) -> ControlsReport:
    return run_controls(
        files,
        write_balances(tmp_path / "soldes.csv", [balance()]),
        None,
        write_directory(tmp_path / "etablissements.csv"),
        out,
    )


def _errors(report: ControlsReport, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code and f.severity is Severity.ERROR]


def _invalid(tmp_path: Path, rows: list[tuple[object, ...]], code: str) -> Finding:
    """The controls on `rows` (after a good first row): refused, nothing written, one finding."""
    out = tmp_path / "rapports"
    report = _controls(tmp_path, [write_stats_csv(tmp_path / "stats.csv", [GOOD, *rows])], out)
    assert not report.statistics_valid
    assert report.detail is None and report.totals == {}
    assert not out.exists()
    found = _errors(report, code)
    assert len(found) == 1, report.findings
    return found[0]


def test_month_must_be_year_dash_month() -> None:
    assert month_start("2024-03") is not None
    for text in ("2024-3", "2024-13", "03/2024", "2024-03-01", "2024-00"):
        assert month_start(text) is None


def test_malformed_month(tmp_path: Path) -> None:
    finding = _invalid(
        tmp_path, [stats("2023-13", ET_PRIVATE_A, "dmp", 1, 1)], "STATS_MONTH_INVALID"
    )
    assert finding.path.endswith("stats.csv, ligne 3, colonne « mois »")
    assert "« 2023-13 »" in finding.message and "AAAA-MM" in finding.message


def test_unknown_finess_names_the_lost_leading_zero(tmp_path: Path) -> None:
    finding = _invalid(
        tmp_path, [stats("2023-04", "10999027", "dmp", 1, 1, ej="")], "STATS_FINESS_UNKNOWN"
    )
    assert finding.path.endswith("ligne 3, colonne « finess_et »")
    assert "10999027" in finding.message and "zéro initial" in finding.message
    assert "mois 2023-04" in finding.message and "flux dmp" in finding.message


def test_negative_count(tmp_path: Path) -> None:
    finding = _invalid(
        tmp_path, [stats("2023-05", ET_PRIVATE_A, "dmp", -3, 0)], "STATS_COUNT_NEGATIVE"
    )
    assert finding.path.endswith("ligne 3, colonne « nb_documents »")
    assert "-3" in finding.message


def test_more_ins_qualified_documents_than_documents(tmp_path: Path) -> None:
    finding = _invalid(
        tmp_path, [stats("2023-05", ET_PRIVATE_B, "dmp", 10, 12)], "STATS_INS_EXCEEDS_DOCUMENTS"
    )
    assert finding.path.endswith("ligne 3, colonne « nb_documents_ins_qualifiee »")
    assert "(12)" in finding.message and "(10)" in finding.message
    assert f"ET {ET_PRIVATE_B}" in finding.message


def test_ins_count_is_required_for_dmp_but_not_for_the_test_address(tmp_path: Path) -> None:
    finding = _invalid(
        tmp_path,
        [
            stats("2023-05", ET_PRIVATE_A, "mss_patient_test", 1, None),
            stats("2023-05", ET_PRIVATE_B, "dmp", 4, None),
        ],
        "STATS_VALUE_MISSING",
    )
    assert finding.path.endswith("ligne 4, colonne « nb_documents_ins_qualifiee »")


def test_unknown_flow(tmp_path: Path) -> None:
    finding = _invalid(
        tmp_path, [stats("2023-05", ET_PRIVATE_A, "mssante", 1, 1)], "STATS_FLOW_UNKNOWN"
    )
    assert "« mssante »" in finding.message and "mss_patient_test" in finding.message


def test_the_same_period_twice_in_one_file(tmp_path: Path) -> None:
    finding = _invalid(
        tmp_path, [stats("2023-05", ET_PRIVATE_B, "dmp", 4, 4)] * 2, "STATS_DUPLICATE_ROW"
    )
    assert finding.path.endswith("stats.csv, ligne 3")
    assert "ligne 4" in finding.message


def test_the_same_period_in_two_files(tmp_path: Path) -> None:
    may = stats("2023-05", ET_PRIVATE_B, "dmp", 4, 4)
    first = write_stats_csv(tmp_path / "a-mai.csv", [GOOD, may])
    second = write_stats_parquet(tmp_path / "b-mai.parquet", [may])
    report = _controls(tmp_path, [first, second])
    (finding,) = _errors(report, "STATS_PERIOD_OVERLAP")
    assert finding.path.endswith("a-mai.csv, ligne 3")
    assert "b-mai.parquet, enregistrement 1" in finding.message
    assert "2023-05" in finding.message
    # Two programs sending the same month are not a duplicate.
    other = stats("2023-05", ET_PRIVATE_B, "dmp", 4, 4, software="REF-2")
    second = write_stats_parquet(tmp_path / "b-mai.parquet", [other])
    assert _controls(tmp_path, [first, second]).statistics_valid


def test_a_period_repeated_under_another_ej_is_still_a_duplicate(tmp_path: Path) -> None:
    # The EJ written is a key of the groups; the duplicate check looks across them.
    finding = _invalid(
        tmp_path,
        [
            stats("2023-05", ET_PRIVATE_B, "dmp", 4, 4),
            stats("2023-05", ET_PRIVATE_B, "dmp", 4, 4, ej="690999999"),
        ],
        "STATS_DUPLICATE_ROW",
    )
    assert finding.path.endswith("stats.csv, ligne 3") and "ligne 4" in finding.message


def test_many_programs_in_one_period_and_a_duplicate_among_them(tmp_path: Path) -> None:
    # More programs than one lane of bits (63): no false alarm, and a repeat is still found,
    # whichever lane it falls in; a row without program named twice is a repeat too.
    programs = [
        stats("2023-05", ET_PRIVATE_B, "dmp", 1, 1, software=f"REF-{n}", version=None)
        for n in range(150)
    ]
    clean = write_stats_csv(tmp_path / "stats.csv", [GOOD, *programs])
    assert _controls(tmp_path, [clean]).statistics_valid
    anonymous = stats("2023-05", ET_PRIVATE_A, "dmp", 1, 1, software=None, version=None)
    for repeated in (programs[0], programs[100], programs[149], anonymous):
        rows = [GOOD, *programs, anonymous, repeated]
        report = _controls(tmp_path, [write_stats_csv(tmp_path / "stats.csv", rows)])
        (finding,) = _errors(report, "STATS_DUPLICATE_ROW")
        assert f"ligne {len(rows) + 1}" in finding.message, finding


def test_problems_beyond_twenty_are_counted(tmp_path: Path) -> None:
    rows = [
        stats(f"2023-{m:02d}", ET_PRIVATE_A, "mss_pro", -1, 0, version=str(v))
        for m in (1, 2)
        for v in range(13)
    ]
    report = _controls(tmp_path, [write_stats_csv(tmp_path / "stats.csv", [GOOD, *rows])])
    assert len(_errors(report, "STATS_COUNT_NEGATIVE")) == 20
    (total,) = [
        f
        for f in report.findings
        if f.code == "STATS_COUNT_NEGATIVE" and f.severity is Severity.INFO
    ]
    assert total.message.startswith("26 ")


def test_an_ej_differing_from_the_directory_is_a_warning(tmp_path: Path) -> None:
    rows = [stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12, ej="690999999")]
    report = run(tmp_path, rows, [balance()])
    assert report.statistics_valid and report.totals
    (warning,) = [f for f in report.findings if f.code == "STATS_EJ_MISMATCH"]
    assert warning.severity is Severity.WARNING and "690999206" in warning.message


def test_files_folders_and_patterns(tmp_path: Path) -> None:
    folder = tmp_path / "stats"
    folder.mkdir()
    write_stats_csv(folder / "2023-04.csv", [GOOD])
    write_stats_parquet(folder / "2023-05.parquet", [stats("2023-05", ET_PRIVATE_B, "dmp", 10, 10)])
    by_folder = _controls(tmp_path, [folder])
    by_pattern = _controls(tmp_path, [str(folder / "2023-*")])
    # A file named twice is read once: its rows are not duplicates of themselves.
    twice = _controls(tmp_path, [folder, folder / "2023-04.csv"])
    for report in (by_folder, by_pattern, twice):
        assert report.statistics_valid and report.usage.files == 2 and report.usage.rows == 2


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("absent.csv", "STATS_FILE_NOT_FOUND", "fichier introuvable"),
        ("stats-*.parquet", "STATS_FILE_NOT_FOUND", "aucun fichier ne correspond"),
        ("stats.xlsx", "STATS_FILE_TYPE", "attendu .csv ou .parquet"),
    ],
)
def test_files_that_cannot_be_found_or_read(
    tmp_path: Path, name: str, code: str, expected: str
) -> None:
    if name.endswith(".xlsx"):
        (tmp_path / name).write_bytes(b"PK")
    with pytest.raises(InputError) as raised:
        _controls(tmp_path, [tmp_path / name])
    (finding,) = [f for f in raised.value.findings if f.code == code]
    assert expected in finding.message


def test_parquet_without_a_required_column(tmp_path: Path) -> None:
    columns = {k: v for k, v in STATS_COLUMNS.items() if k != "nb_documents_ins_qualifiee"}
    path = write_parquet(tmp_path / "stats.parquet", columns, [GOOD[:5] + GOOD[6:]])
    with pytest.raises(InputError) as raised:
        _controls(tmp_path, [path])
    (finding,) = raised.value.findings
    assert finding.code == "STATS_COLUMN_MISSING"
    assert "« nb_documents_ins_qualifiee »" in finding.message and finding.path.endswith(
        "stats.parquet"
    )


def test_parquet_with_wrong_types(tmp_path: Path) -> None:
    columns = {**STATS_COLUMNS, "finess_et": "INTEGER", "nb_documents": "DOUBLE"}
    row = ("2023-04", 690999214, "690999206", "dmp", 12.0, 12, "REF-1", "1.0")
    with pytest.raises(InputError) as raised:
        _controls(tmp_path, [write_parquet(tmp_path / "stats.parquet", columns, [row])])
    found = {f.path.rsplit("« ", 1)[-1]: f.message for f in raised.value.findings}
    assert set(found) == {"finess_et »", "nb_documents »"}
    assert "INTEGER" in found["finess_et »"] and "zéros initiaux" in found["finess_et »"]
    assert "DOUBLE" in found["nb_documents »"] and "entier" in found["nb_documents »"]


def test_csv_without_a_required_column(tmp_path: Path) -> None:
    header = [c for c in STATS_COLUMNS if c != "flux"]
    path = write_csv(tmp_path / "stats.csv", header, [])
    with pytest.raises(InputError) as raised:
        _controls(tmp_path, [path])
    (finding,) = raised.value.findings
    assert finding.code == "STATS_COLUMN_MISSING" and finding.path.endswith("stats.csv, ligne 1")


def test_csv_values_that_are_not_counts(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "stats.csv",
        list(STATS_COLUMNS),
        [GOOD, ("2023-05", ET_PRIVATE_A, "", "dmp", "dix", 3, "", ""), (*GOOD, "en trop")],
    )
    with pytest.raises(InputError) as raised:
        _controls(tmp_path, [path])
    places = {f.path: f.message for f in raised.value.findings if f.code == "STATS_VALUE_INVALID"}
    assert "valeur « dix » illisible" in places[f"{path}, ligne 3, colonne « nb_documents »"]
    assert "trop de champs" in places[f"{path}, ligne 4"]


def test_csv_cells_are_trimmed_and_an_unknown_column_is_a_warning(tmp_path: Path) -> None:
    header = [*STATS_COLUMNS, "commentaire"]
    row = ("2023-04", f" {ET_PRIVATE_A[:3]} {ET_PRIVATE_A[3:]} ", "", " DMP ", 12, 12, "", "", "x")
    report = run_controls(
        [write_csv(tmp_path / "stats.csv", header, [row], delimiter=",")],
        write_balances(tmp_path / "soldes.csv", [balance(sites_et=ET_PRIVATE_A)]),
        None,
        write_directory(tmp_path / "dir.csv"),
    )
    assert report.statistics_valid
    assert {r.verdict.value for r in report.detail or () if r.statistics == "dmp"} == {"conforme"}
    (warning,) = [f for f in report.findings if f.code == "STATS_COLUMN_UNKNOWN"]
    assert "« commentaire »" in warning.message


def test_csv_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "stats.csv"
    header = ";".join(STATS_COLUMNS)
    path.write_bytes(f"{header}\n2023-04;{ET_PRIVATE_A};;dmp;12;12;REF;v".encode() + b"\xe9\n")
    with pytest.raises(InputError) as raised:
        _controls(tmp_path, [path])
    (finding,) = raised.value.findings
    assert finding.code == "STATS_VALUE_INVALID" and "UTF-8" in finding.message
    assert finding.path.endswith("ligne 2, colonne « version_logiciel »")


def test_bad_statistics_leave_the_previous_reports_as_they_were(tmp_path: Path) -> None:
    out = tmp_path / "rapports"
    out.mkdir()
    (out / "controles-detail.csv").write_text("ancien rapport", encoding="utf-8")
    duplicated = write_stats_csv(tmp_path / "stats.csv", [GOOD, GOOD])
    assert not _controls(tmp_path, [duplicated], out).statistics_valid
    wrong = write_parquet(
        tmp_path / "stats.parquet", {**STATS_COLUMNS, "mois": "INTEGER"}, [(202304, *GOOD[1:])]
    )
    with pytest.raises(InputError) as raised:
        _controls(tmp_path, [wrong], out)
    (finding,) = raised.value.findings
    assert finding.path.endswith("stats.parquet, colonne « mois »")
    assert "INTEGER" in finding.message and "AAAA-MM" in finding.message
    assert [p.name for p in out.iterdir()] == ["controles-detail.csv"]
    assert (out / "controles-detail.csv").read_text(encoding="utf-8") == "ancien rapport"
