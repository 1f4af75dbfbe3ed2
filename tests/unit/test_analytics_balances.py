"""Paid balances and the establishments directory: what makes them unusable, placed."""

from __future__ import annotations

from pathlib import Path

import pytest
from analytics_files import (
    DIRECTORY,
    EJ_PUBLIC,
    ET_PRIVATE_A,
    ET_PUBLIC_A,
    balance,
    public_balance,
    stats,
    write_balances,
    write_csv,
    write_directory,
    write_stats_csv,
)

from sons.analytics.controls import run_controls
from sons.analytics.sources import InputError
from sons.findings import Finding

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def _refused(tmp_path: Path, rows: list[dict[str, str]]) -> list[Finding]:
    stats_file = write_stats_csv(
        tmp_path / "stats.csv", [stats("2023-04", ET_PRIVATE_A, "dmp", 1, 1)]
    )
    out = tmp_path / "rapports"
    with pytest.raises(InputError) as raised:
        run_controls(
            [stats_file],
            write_balances(tmp_path / "soldes.csv", rows),
            None,
            write_directory(tmp_path / "dir.csv"),
            out,
        )
    assert not out.exists()
    return list(raised.value.findings)


def _one(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, findings
    return found[0]


def test_every_problem_of_the_balances_is_placed(tmp_path: Path) -> None:
    findings = _refused(
        tmp_path,
        [
            balance(),  # line 2: fine
            balance(demande="S-2", date_installation="2023-02-30"),
            balance(demande="S-3", dispositif="HOP-XYZ-Va9"),
            balance(demande="S-4", sites_et="690999999"),
            balance(demande="S-5", flux_installes="dmp:direct|dmp"),
            balance(demande="S-6", statut_juridique="", es_pmsi=""),
            balance(),  # line 8: S-1 again
            balance(demande="S-8", montant_solde="12,345"),
            balance(demande="S-9", siret_fournisseur="8888888800001"),
            balance(demande="S-10", date_installation="", date_paiement=""),
            balance(demande="S-11", statut_juridique="associatif"),
        ],
    )
    where = {f.code: f.path.split(", ", 1)[1] for f in findings}
    assert where == {
        "BALANCE_DATE_INVALID": "ligne 3, colonne « date_installation »",
        "BALANCE_DISPOSITIF_UNKNOWN": "ligne 4, colonne « dispositif »",
        "BALANCE_SITE_UNKNOWN": "ligne 5, colonne « sites_et »",
        "BALANCE_FLOW_INVALID": "ligne 6, colonne « flux_installes »",
        "BALANCE_ES_PMSI_MISSING": "ligne 7, colonne « statut_juridique »",
        "BALANCE_REQUEST_DUPLICATE": "ligne 8, colonne « demande »",
        "BALANCE_AMOUNT_INVALID": "ligne 9, colonne « montant_solde »",
        "BALANCE_SIRET_INVALID": "ligne 10, colonne « siret_fournisseur »",
        "BALANCE_DATE_MISSING": "ligne 11, colonne « date_installation »",
        "BALANCE_STATUS_INVALID": "ligne 12, colonne « statut_juridique »",
    }
    assert "« 2023-02-30 »" in _one(findings, "BALANCE_DATE_INVALID").message
    assert "RAD-RIS-Va1" in _one(findings, "BALANCE_DISPOSITIF_UNKNOWN").message
    assert "« dmp »" in _one(findings, "BALANCE_FLOW_INVALID").message
    assert "déjà présente en ligne 2" in _one(findings, "BALANCE_REQUEST_DUPLICATE").message


def test_a_public_client_whose_sites_belong_to_two_ejs_needs_its_ej(tmp_path: Path) -> None:
    findings = _refused(
        tmp_path,
        [public_balance(finess_ej="", sites_et=f"{ET_PUBLIC_A}|{ET_PRIVATE_A}")],
    )
    assert "plusieurs EJ" in _one(findings, "BALANCE_EJ_AMBIGUOUS").message
    findings = _refused(tmp_path, [public_balance(sites_et=f"{ET_PUBLIC_A}|{ET_PRIVATE_A}")])
    finding = _one(findings, "BALANCE_SITE_OTHER_EJ")
    assert ET_PRIVATE_A in finding.message and EJ_PUBLIC not in finding.message


def test_unknown_es_pmsi_and_ej(tmp_path: Path) -> None:
    findings = _refused(
        tmp_path, [balance(es_pmsi="999999999"), balance(demande="S-2", finess_ej="999999998")]
    )
    assert "999999999" in _one(findings, "BALANCE_ES_PMSI_UNKNOWN").message
    assert "999999998" in _one(findings, "BALANCE_EJ_UNKNOWN").message


def test_balances_without_a_required_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "soldes.csv", ["demande", "dispositif"], [["S-1", "RAD-RIS-Va1"]])
    with pytest.raises(InputError) as raised:
        run_controls(
            [write_stats_csv(tmp_path / "stats.csv", [])],
            path,
            None,
            write_directory(tmp_path / "dir.csv"),
        )
    finding = _one(list(raised.value.findings), "BALANCE_COLUMN_MISSING")
    for column in ("siret_fournisseur", "sites_et", "flux_installes"):
        assert f"« {column} »" in finding.message


def test_a_directory_giving_one_et_two_ejs_is_refused(tmp_path: Path) -> None:
    rows = [*DIRECTORY, (ET_PRIVATE_A, EJ_PUBLIC, "DOUBLON")]
    with pytest.raises(InputError) as raised:
        run_controls(
            [write_stats_csv(tmp_path / "stats.csv", [])],
            write_balances(tmp_path / "soldes.csv", [balance()]),
            None,
            write_directory(tmp_path / "dir.csv", rows),
        )
    finding = _one(list(raised.value.findings), "DIRECTORY_EJ_CONFLICT")
    assert finding.path.endswith("ligne 7, colonne « finess_ej »")
    assert "ligne 5" in finding.message
    assert ET_PRIVATE_A in finding.message


def test_the_public_finess_extract_serves_as_directory(tmp_path: Path) -> None:
    report = run_controls(
        [EXAMPLES / "statistiques-usage.csv"],
        EXAMPLES / "soldes-payes.csv",
        None,
        EXAMPLES / "finess-extrait.csv",
    )
    with_table = run_controls(
        [EXAMPLES / "statistiques-usage.csv"],
        EXAMPLES / "soldes-payes.csv",
        None,
        EXAMPLES / "etablissements.csv",
    )
    assert report.statistics_valid and report.totals == with_table.totals
    assert report.controls > 0 and report.shortfalls > 0
