"""The eligibility base and the solutions files: examples, and every bad input placed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sons.formats.eligibility import read_eligibility
from sons.formats.problems import ImportResult
from sons.formats.solutions import read_solutions

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _placed(result: ImportResult[Any]) -> set[tuple[int | None, str | None, str]]:
    return {(p.line, p.column, p.rule) for p in result.report.problems}


# --- eligibility ----------------------------------------------------------------------------


def test_example_eligibility_base() -> None:
    result = read_eligibility(EXAMPLES / "eligibilite.csv")
    assert result.ok, [str(p) for p in result.report.problems]
    by_key = {(c.finess, c.dispositif): c.ceiling_ht_cents for c in result.items}
    assert by_key == {
        ("010999019", "HOP-DPI-Va1"): 15_000_000,
        ("750999302", "HOP-DPI-Va1"): 42_000_000,
        ("690999214", "RAD-RIS-Va1"): 1_200_000,
        ("690999222", "RAD-RIS-Va1"): 1_200_000,
        ("310999818", "RAD-RIS-Va1"): 950_050,  # « rad-ris-va1 » in the file: any case
    }


def test_every_eligibility_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "base.csv",
        "finess;dispositif;plafond_ht;commentaire\n"
        "010999019;HOP-DPI-Va1;1 000,00;ok\n"  # 2
        "010999018;HOP-DPI-Va1;1000;clé fausse\n"  # 3
        "750999302;HOP-XYZ-Va1;1000;\n"  # 4
        "690999214;RAD-RIS-Va1;12000,555;\n"  # 5
        "690999222;RAD-RIS-Va1;-10;\n"  # 6
        "010999019;hop-dpi-va1;2000;doublon\n"  # 7
        "310999818;RAD-RIS-Va1;;\n"  # 8
        "310999818;RAD-RIS-Va1;douze;\n",  # 9
    )
    result = read_eligibility(path)
    assert not result.ok
    assert _placed(result) == {
        (1, "commentaire", "TABLE_COLUMN_IGNORED"),
        (3, "finess", "FINESS_INVALID_KEY"),
        (4, "dispositif", "DISPOSITIF_UNKNOWN"),
        (5, "plafond_ht", "AMOUNT_TOO_MANY_DECIMALS"),
        (6, "plafond_ht", "AMOUNT_NEGATIVE"),
        (7, "finess", "ELIGIBILITY_DUPLICATE"),
        (8, "plafond_ht", "VALUE_REQUIRED"),
        (9, "plafond_ht", "AMOUNT_INVALID"),
    }
    duplicate = next(p for p in result.report.problems if p.rule == "ELIGIBILITY_DUPLICATE")
    assert "ligne 2" in duplicate.message
    unknown = next(p for p in result.report.problems if p.rule == "DISPOSITIF_UNKNOWN")
    assert "RAD-RIS-Va1" in unknown.message  # lists the known dispositifs
    assert unknown.value == "HOP-XYZ-Va1"


def test_missing_column_is_reported_and_other_columns_still_checked(tmp_path: Path) -> None:
    path = _write(tmp_path, "b.csv", "finess;plafond\n010999019;1000\n01099901;2000\n")
    result = read_eligibility(path)
    assert result.items == ()
    assert _placed(result) == {
        (1, "dispositif", "TABLE_COLUMN_MISSING"),
        (1, "plafond_ht", "TABLE_COLUMN_MISSING"),
        (1, "plafond", "TABLE_COLUMN_IGNORED"),
        (3, "finess", "FINESS_INVALID_LENGTH"),
    }


def test_latin1_eligibility_base_is_read_with_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "latin.csv",
        "finess;dispositif;plafond_ht;commentaire\n010999019;HOP-DPI-Va1;1000;Orléans\n",
        "cp1252",
    )
    result = read_eligibility(path)
    assert result.ok
    assert result.report.encoding == "Latin-1 (Windows-1252)"
    assert _placed(result) == {
        (1, "commentaire", "TABLE_COLUMN_IGNORED"),
        (2, None, "ENCODING_LATIN1"),
    }
    assert [c.ceiling_ht_cents for c in result.items] == [100_000]


# --- solutions ------------------------------------------------------------------------------


def test_example_solutions_csv_and_json_agree() -> None:
    from_csv = read_solutions(EXAMPLES / "solutions.csv", today=dt.date(2024, 1, 1))
    from_json = read_solutions(EXAMPLES / "solutions.json", today=dt.date(2024, 1, 1))
    assert from_csv.ok and from_json.ok
    assert from_csv.items == from_json.items
    ris = from_csv.items[0]
    assert ris.dispositif == "RAD-RIS-Va1"
    assert ris.profiles == {"general", "operateur_mailiz", "referentiel_identites"}
    assert ris.referenced_on == dt.date(2022, 2, 15)
    assert from_csv.items[2].profiles == {"general", "client_web_dpi"}


def test_every_solution_problem_is_listed_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "s.csv",
        "nom;version;numero_referencement;dispositif;profils;date_referencement\n"
        'RIS A;1;REF-1;RAD-RIS-Va1;"Général;Profil inventé";2022-02-15\n'  # 2
        "RIS B;1;REF-2;RAD-XYZ;Général;2022-02-15\n"  # 3
        "RIS C;1;REF-3;RAD-RIS-Va1;Général;2022.02.15\n"  # 4
        "RIS D;1;REF-1;RAD-RIS-Va1;Général;\n"  # 5: same number as line 2's
        ";1;REF-5;RAD-RIS-Va1;;\n",  # 6
    )
    result = read_solutions(path, today=dt.date(2024, 1, 1))
    assert _placed(result) == {
        (2, "profils", "PROFILE_UNKNOWN"),
        (3, "dispositif", "DISPOSITIF_UNKNOWN"),
        (4, "date_referencement", "DATE_FORMAT"),
        (6, "nom", "VALUE_REQUIRED"),
        (6, "profils", "VALUE_REQUIRED"),
    }
    # Line 2 could not be read, so line 5's number is not a duplicate; it is read.
    assert [s.referencing_number for s in result.items] == ["REF-1"]
    unknown = next(p for p in result.report.problems if p.rule == "PROFILE_UNKNOWN")
    assert unknown.value == "Profil inventé"
    assert "Opérateur Mailiz" in unknown.message  # lists the possible profiles


def test_duplicate_referencing_number(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "s.csv",
        "nom;version;numero_referencement;dispositif;profils\n"
        "RIS A;1;REF-1;RAD-RIS-Va1;general\n"
        "RIS B;2;REF-1;RAD-RIS-Va1;general\n",
    )
    result = read_solutions(path, today=dt.date(2024, 1, 1))
    assert _placed(result) == {(3, "numero_referencement", "SOLUTION_DUPLICATE")}


def test_solutions_json_problems_are_placed_by_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "s.json",
        '{"solutions": [\n'
        ' {"nom": "RIS A", "version": "1", "numero_referencement": "REF-1",\n'
        '  "dispositif": "RAD-RIS-Va1", "profils": ["Général", 3], "editeur": "X"},\n'
        ' {"nom": ["RIS B"], "version": "1", "numero_referencement": "REF-2",\n'
        '  "dispositif": "RAD-RIS-Va1", "profils": "Général"},\n'
        ' "pas un objet"\n'
        "]}\n",
    )
    result = read_solutions(path, today=dt.date(2024, 1, 1))
    assert _placed(result) == {
        (None, "$.solutions[0].profils", "JSON_TYPE"),
        (None, "$.solutions[0].editeur", "JSON_KEY_UNKNOWN"),
        (None, "$.solutions[0].profils", "VALUE_REQUIRED"),
        (None, "$.solutions[1].nom", "JSON_TYPE"),
        (None, "$.solutions[1].nom", "VALUE_REQUIRED"),
        (None, "$.solutions[2]", "JSON_TYPE"),
    }


def test_solutions_json_syntax_error_is_placed(tmp_path: Path) -> None:
    path = _write(tmp_path, "s.json", '{"solutions": [\n  {"nom": "A",}\n]}\n')
    result = read_solutions(path)
    (problem,) = result.report.problems
    assert (problem.line, problem.rule) == (2, "JSON_SYNTAX")
