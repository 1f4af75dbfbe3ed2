"""The FINESS extract reader: the documented example, bad lines placed, encodings, streaming."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

from sons.domain.identifiers import check_finess, check_siret
from sons.findings import Severity
from sons.formats.finess import STRUCTUREET_COLUMNS, parse_finess_extract, read_finess
from sons.formats.problems import ImportReport
from sons.formats.synthetic_finess import (
    extract_lines,
    finess_number,
    structureet_fields,
    write_extract,
)

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "finess-extrait.csv"


def _write(tmp_path: Path, lines: list[str], name: str = "extrait.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**changes: str) -> str:
    """A valid `structureet` line (the first synthetic one) with some fields replaced."""
    fields = dict(zip(STRUCTUREET_COLUMNS, structureet_fields(0), strict=False))
    fields.update(changes)
    return "structureet;" + ";".join(fields.get(c, "") for c in STRUCTUREET_COLUMNS[:-1]) + ";"


def test_example_extract_reads_every_establishment() -> None:
    result = parse_finess_extract(EXAMPLE)
    assert result.ok, [str(p) for p in result.report.problems]
    assert result.report.encoding == "UTF-8"
    assert len(result.items) == 14
    assert result.report.details["lignes geolocalisation ignorées"] == "5"
    assert result.report.details["date de l'extrait"] == "2024-05-14"
    by_et = {e.finess_et: e for e in result.items}
    chu = by_et["750999310"]
    assert chu.finess_ej == "750999302"
    assert chu.category_code == "101"
    assert chu.category_label == "Centre Hospitalier Régional (C.H.R.)"
    assert chu.siret == "26750999000011"
    assert (chu.postcode, chu.city) == ("75013", "PARIS")
    assert chu.department == "75"
    assert chu.extract_date == dt.date(2024, 5, 14)
    assert chu.updated_on == dt.date(2024, 1, 15)
    # Quoted field with doubled quotes (CSV rules), as in the real extract.
    assert by_et["590999710"].name == 'EHPAD "LES TILLEULS"'
    # Overseas: the FINESS starts with 971, the département column says 9A.
    assert by_et["971999610"].department == "9A"
    # Corsica: no numeric key, no warning repeated for each such number.
    assert "2A0999991" in by_et
    assert result.report.warning_count == 0
    site = by_et["010999027"].as_site()
    assert (site.finess_et, site.finess_ej, site.category) == (
        "010999027",
        "010999019",
        "Centre Hospitalier (C.H.)",
    )


def test_latin1_extract_is_detected_and_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("cp1252"))
    result = parse_finess_extract(path)
    assert result.ok
    assert result.report.encoding == "Latin-1 (Windows-1252)"
    note = next(p for p in result.report.problems if p.rule == "ENCODING_LATIN1")
    assert note.severity is Severity.INFO
    assert note.line == 2  # first line with a non-ASCII byte
    assert result.items[0].name == "CH DE DÉMO"
    assert result.items == parse_finess_extract(EXAMPLE).items


def test_mixed_encodings_are_refused_naming_both_lines(tmp_path: Path) -> None:
    lines = list(extract_lines(3))
    raw = "\n".join(lines[:2]).encode("utf-8") + b"\n" + lines[2].encode("cp1252") + b"\n"
    path = tmp_path / "mixte.csv"
    path.write_bytes(raw)
    report = ImportReport.for_path(path, "extrait FINESS")
    assert list(read_finess(path, report)) == []
    (problem,) = report.errors
    assert problem.rule == "ENCODING_MIXED"
    assert problem.line == 3
    assert "ligne 2 est en UTF-8" in problem.message and "ligne 3" in problem.message


def test_utf16_extract_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_text("\n".join(extract_lines(2)), encoding="utf-16")
    result = parse_finess_extract(path)
    assert not result.ok
    assert result.report.rules() == {"ENCODING_UNSUPPORTED"}
    assert "UTF-16" in result.report.errors[0].message


def test_every_bad_line_is_reported_at_once(tmp_path: Path) -> None:
    good = [_line()]
    other = finess_number("02", 1)
    lines = [
        "finess;etalab;111;2024-05-14",
        good[0],  # line 2
        _line(nofinesset=other[:-1] + str((int(other[-1]) + 1) % 10)),  # 3: wrong key
        _line(nofinesset=finess_number("03", 1), nofinessej="01234"),  # 4: EJ too short
        "structureet;" + finess_number("04", 1) + ";too;few;fields",  # 5: field count
        good[0],  # 6: duplicate of line 2
        _line(nofinesset=finess_number("05", 1), siret="12345678901234", datemaj="31/02/2020"),
        "geolocalisation;010000024;870215.7;6571590.5;1,ATLASANTE;2024-05-14",
        "equipmateriellourd;010000024;x",  # 9: another record type, ignored with a warning
    ]
    report = ImportReport.for_path(tmp_path / "x.csv", "extrait FINESS")
    establishments = list(read_finess(_write(tmp_path, lines, "x.csv"), report))
    placed = {(p.line, p.column, p.rule, p.severity) for p in report.problems}
    assert placed == {
        (3, "nofinesset", "FINESS_INVALID_KEY", Severity.WARNING),
        (4, "nofinessej", "FINESS_INVALID_LENGTH", Severity.ERROR),
        (5, None, "FINESS_FIELD_COUNT", Severity.ERROR),
        (6, "nofinesset", "FINESS_DUPLICATE", Severity.ERROR),
        (7, "siret", "SIRET_INVALID", Severity.WARNING),
        (7, "datemaj", "DATE_INVALID", Severity.WARNING),
        (9, None, "FINESS_RECORD_IGNORED", Severity.WARNING),
    }
    duplicate = next(p for p in report.problems if p.rule == "FINESS_DUPLICATE")
    assert "ligne 2" in duplicate.message
    # Lines with only warnings are kept (the wrong key on a number of the public directory).
    assert [e.line for e in establishments] == [2, 3, 7]
    assert establishments[2].siret is None and establishments[2].updated_on is None
    assert report.has_errors


def test_bad_first_line_and_no_establishment(tmp_path: Path) -> None:
    report = ImportReport.for_path(tmp_path / "y.csv", "extrait FINESS")
    path = _write(tmp_path, ["numero;nom;plafond", "1;2;3"], "y.csv")
    assert list(read_finess(path, report)) == []
    assert {(p.line, p.rule) for p in report.errors} == {
        (1, "FINESS_HEADER_INVALID"),
        (None, "FINESS_NO_ESTABLISHMENT"),
    }


def test_streaming_stays_lazy_on_a_100k_line_extract(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "gros.csv", 100_000)
    size = path.stat().st_size
    assert size > 20_000_000
    report = ImportReport.for_path(path, "extrait FINESS")
    tracemalloc.start()
    try:
        stream = read_finess(path, report)
        first = next(stream)
        for _ in range(2000):
            next(stream)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stream.close()
    assert first.line == 2
    assert report.records == 2001  # only what was pulled has been parsed
    # Eager reading would hold the whole file (and more); streaming holds about a block.
    assert peak < size / 4, f"pic mémoire {peak} octets pour un fichier de {size}"


def test_progress_reports_bytes_read(tmp_path: Path) -> None:
    path = write_extract(tmp_path / "moyen.csv", 6_000)
    calls: list[tuple[int, int]] = []
    report = ImportReport.for_path(path, "extrait FINESS")
    count = sum(1 for _ in read_finess(path, report, progress=lambda r, t: calls.append((r, t))))
    assert count == 6_000 and report.records == 6_000 and not report.problems
    total = path.stat().st_size
    assert calls[-1] == (total, total)
    reads = [r for r, _ in calls]
    assert reads == sorted(reads) and 0 < reads[0] < total


def test_synthetic_extract_numbers_are_valid() -> None:
    lines = list(extract_lines(500))
    assert lines[0] == "finess;etalab;111;2024-05-14"
    assert len(lines) == 501
    for line in lines[1:]:
        fields = line.split(";")
        assert check_finess(fields[1]).warnings == ()
        assert check_finess(fields[2]).warnings == ()
        check_siret(fields[22])
    assert len({line.split(";")[1] for line in lines[1:]}) == 500
