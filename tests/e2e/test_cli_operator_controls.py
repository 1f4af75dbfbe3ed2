"""`sons operator controls` run as an operator runs it: a subprocess, its exit code, its output."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
STATS = str(EXAMPLES / "statistiques-usage.csv")
BALANCES = str(EXAMPLES / "soldes-payes.csv")
DIRECTORY = str(EXAMPLES / "etablissements.csv")


def sons(*args: str) -> subprocess.CompletedProcess[str]:
    # A wide terminal keeps Rich from cutting the words the assertions look for.
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "sons", "operator", "controls", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


def test_the_examples_hold_shortfalls_and_the_reports_are_written(tmp_path: Path) -> None:
    out = tmp_path / "rapports"
    result = sons(
        "--stats", STATS, "--balances", BALANCES, "--establishments", DIRECTORY, "--out", str(out)
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for words in ("Contrôles par verdict", "non conforme", "données absentes", "Éditeur de démo"):
        assert words in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "controles-a-posteriori.xlsx",
        "controles-detail.csv",
        "synthese-fournisseurs.csv",
    ]
    with (out / "synthese-fournisseurs.csv").open(encoding="utf-8") as stream:
        vendors = {row["siret_fournisseur"]: row for row in csv.DictReader(stream, delimiter=";")}
    assert vendors["88888888000018"]["montant_en_jeu"] == "50400.00"


def test_json_output_and_a_cutoff_date() -> None:
    result = sons(
        "--stats",
        STATS,
        "--balances",
        BALANCES,
        "--establishments",
        DIRECTORY,
        "--json",
        "--date",
        "2023-05-31",
    )
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["usable"] and report["statistics_valid"] and report["cutoff"] == "2023-05-31"
    assert report["balances"] == {"read": 5, "controlled": 3, "after_cutoff": 1}
    assert sum(report["totals"].values()) == len(report["detail"])
    shortfall = next(r for r in report["detail"] if r["verdict"] == "non_conforme")
    assert shortfall["verdict_label"] == "non conforme"
    assert shortfall["counted_documents"] < shortfall["threshold"]


def test_all_conforme_exits_zero(tmp_path: Path) -> None:
    stats = tmp_path / "stats.csv"
    stats.write_text(
        "mois;finess_et;finess_ej;flux;nb_documents;nb_documents_ins_qualifiee\n"
        "2023-04;690999214;690999206;dmp;10;10\n"
        "2023-04;690999214;690999206;mss_patient_test;1;\n",
        encoding="utf-8",
    )
    balances = tmp_path / "soldes.csv"
    balances.write_text(
        "demande;siret_fournisseur;dispositif;statut_juridique;sites_et;flux_installes;"
        "date_installation\n"
        "S-1;88888888000018;RAD-RIS-Va1;privé;690999214;dmp:direct|mss_patient:direct;2023-04-02\n",
        encoding="utf-8",
    )
    result = sons("--stats", str(stats), "--balances", str(balances), "--establishments", DIRECTORY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conforme" in result.stdout


def test_invalid_statistics_exit_one_and_write_nothing(tmp_path: Path) -> None:
    stats = tmp_path / "stats.csv"
    stats.write_text(
        (EXAMPLES / "statistiques-usage.csv").read_text(encoding="utf-8")
        + "2023-13;690999214;690999206;dmp;-2;0;;\n",
        encoding="utf-8",
    )
    out = tmp_path / "rapports"
    result = sons(
        "--stats",
        str(stats),
        "--balances",
        BALANCES,
        "--establishments",
        DIRECTORY,
        "--out",
        str(out),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Statistiques invalides" in result.stdout
    assert "STATS_MONTH_INVALID" in result.stdout and "STATS_COUNT_NEGATIVE" in result.stdout
    assert "ligne 17" in result.stdout
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--stats", "absent.parquet", "--balances", BALANCES], ["absent.parquet", "introuvable"]),
        (["--stats", STATS, "--balances", "absent.csv"], ["absent.csv", "introuvable"]),
    ],
)
def test_unusable_input_exits_two(args: list[str], fragments: list[str]) -> None:
    result = sons(*args, "--establishments", DIRECTORY)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output
