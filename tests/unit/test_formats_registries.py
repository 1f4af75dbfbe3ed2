"""The operator's registry templates: the documented examples read as they are, and every bad
cell is reported with its file, line and column, nothing kept from a file with an error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sons.formats.registries import read_enrolled_vendors, read_referenced_solutions

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_templates_read_without_problem() -> None:
    vendors = read_enrolled_vendors(EXAMPLES / "registre-editeurs.csv")
    solutions = read_referenced_solutions(EXAMPLES / "registre-solutions.csv")
    assert vendors.ok and not vendors.report.problems
    assert solutions.ok and not solutions.report.problems
    (vendor,) = vendors.items
    assert vendor.siret == "88888888000018" and vendor.enrolled_on == dt.date(2022, 3, 1)
    # Every solution the vendor is enrolled for is in the solutions template.
    assert vendor.solutions <= {s.referencing_number for s in solutions.items}
    ris = next(s for s in solutions.items if s.referencing_number == "REF-DEMO-RIS-001")
    # Profile labels become the referential's ids, resolved at the referencing date.
    assert ris.profiles == {"general", "operateur_mailiz", "referentiel_identites"}
    assert ris.valid_until is None


def test_bad_vendor_lines_are_placed_on_file_line_and_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "editeurs.csv",
        "siret;raison_sociale;numero_enrolement;numeros_referencement;date_enrolement;date_fin\n"
        "73282932000075;Clé fausse;ENR-1;REF-1;2022-03-01;\n"
        "73282932000074;Bon éditeur;ENR-2;;2022-03-01;\n"
        "55210055400013;Autre;ENR-3;REF-2;2022-13-01;\n"
        "88888888000018;Dates inversées;ENR-4;REF-3;2022-05-01;2022-04-01\n"
        "88888888000018;Doublon;ENR-5;REF-4;;\n",
    )
    result = read_enrolled_vendors(path)
    assert not result.ok
    texts = [str(p) for p in result.report.errors]
    assert any(
        t.startswith("editeurs.csv, ligne 2, colonne « siret »") and "clé" in t for t in texts
    )
    assert any(
        t.startswith("editeurs.csv, ligne 3, colonne « numeros_referencement »")
        and "manquante" in t
        for t in texts
    )
    assert any(
        t.startswith("editeurs.csv, ligne 4, colonne « date_enrolement »") and "n'existe pas" in t
        for t in texts
    )
    assert any(
        t.startswith("editeurs.csv, ligne 5, colonne « date_fin »") and "antérieure" in t
        for t in texts
    )
    duplicate = [p for p in result.report.errors if p.rule == "REGISTRY_VENDOR_DUPLICATE"]
    assert [p.line for p in duplicate] == [6]


def test_bad_solution_lines_name_the_rule_and_the_value(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "solutions.csv",
        "numero_referencement;nom;version;dispositif;profils;date_referencement;extra\n"
        "REF-1;RIS;1.0;RAD-RIS-Va9;Général;2022-02-15;x\n"
        "REF-2;RIS;1.0;RAD-RIS-Va1;Profil inventé;2022-02-15;x\n"
        "REF-3;RIS;1.0;RAD-RIS-Va1;Général;;x\n"
        "REF-1;RIS;1.0;RAD-RIS-Va1;Général;2022-02-15;x\n",
    )
    result = read_referenced_solutions(path)
    assert not result.ok and not result.items
    by_line = {(p.line, p.column): p for p in result.report.errors}
    assert by_line[(2, "dispositif")].rule == "DISPOSITIF_UNKNOWN"
    assert "Profil inventé" in str(by_line[(3, "profils")])
    assert by_line[(4, "date_referencement")].rule == "VALUE_REQUIRED"
    assert by_line[(5, "numero_referencement")].rule == "REGISTRY_SOLUTION_DUPLICATE"
    (ignored,) = result.report.warnings
    assert ignored.rule == "TABLE_COLUMN_IGNORED" and ignored.column == "extra"


def test_a_missing_column_is_reported_once_on_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "editeurs.csv", "siret;raison_sociale\n73282932000074;Éditeur\n")
    result = read_enrolled_vendors(path)
    assert not result.ok and not result.items
    (problem,) = result.report.errors
    assert problem.line == 1 and "numeros_referencement" in str(problem)
