"""Small input files for the a-posteriori controls tests: statistics, balances, directory.

Numbers come from the demo FINESS extract: a public EJ with three ETs, a private EJ with two.
Parquet files are written with DuckDB (pandas and pyarrow are benchmark-only).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from sons.analytics.controls import ControlsReport, run_controls

EJ_PUBLIC = "010999019"
ET_PUBLIC_A = "010999027"
ET_PUBLIC_B = "010999035"
ET_PUBLIC_C = "010999043"
EJ_PRIVATE = "690999206"
ET_PRIVATE_A = "690999214"
ET_PRIVATE_B = "690999222"

DIRECTORY = (
    (ET_PUBLIC_A, EJ_PUBLIC, "CH DE DÉMO"),
    (ET_PUBLIC_B, EJ_PUBLIC, "EHPAD DU CH DE DÉMO"),
    (ET_PUBLIC_C, EJ_PUBLIC, "HÔPITAL DE JOUR DE DÉMO"),
    (ET_PRIVATE_A, EJ_PRIVATE, "IMAGERIE DE DÉMO LYON"),
    (ET_PRIVATE_B, EJ_PRIVATE, "IMAGERIE DE DÉMO VILLEURBANNE"),
)

STATS_COLUMNS = {
    "mois": "VARCHAR",
    "finess_et": "VARCHAR",
    "finess_ej": "VARCHAR",
    "flux": "VARCHAR",
    "nb_documents": "BIGINT",
    "nb_documents_ins_qualifiee": "BIGINT",
    "numero_referencement": "VARCHAR",
    "version_logiciel": "VARCHAR",
}

BALANCE_COLUMNS = (
    "demande",
    "siret_fournisseur",
    "fournisseur",
    "dispositif",
    "finess_ej",
    "statut_juridique",
    "es_pmsi",
    "sites_et",
    "flux_installes",
    "date_commande",
    "date_installation",
    "date_paiement",
    "montant_solde",
)

VENDOR = "88888888000018"
RIS_FLOWS = "dmp:direct|mss_pro:tiers|mss_patient:direct"
PFI_FLOWS = "dpi_inbound:direct|dmp:direct|mss_pro:direct|mss_patient:direct"


def stats(
    month: str,
    et: str,
    flow: str,
    documents: int | None,
    ins: int | None,
    *,
    ej: str | None = None,
    software: str | None = "REF-1",
    version: str | None = "1.0",
) -> tuple[Any, ...]:
    """One statistics row; the EJ defaults to the directory's."""
    if ej is None:
        ej = next((row[1] for row in DIRECTORY if row[0] == et), "")
    return (month, et, ej, flow, documents, ins, software, version)


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], delimiter: str = ";"
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
    return path


def write_stats_csv(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    return write_csv(path, list(STATS_COLUMNS), rows)


def write_parquet(path: Path, columns: Mapping[str, str], rows: Sequence[Sequence[Any]]) -> Path:
    connection = duckdb.connect()
    try:
        definition = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
        connection.execute(f"CREATE TABLE t ({definition})")
        if rows:
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f"INSERT INTO t VALUES ({marks})", [list(r) for r in rows])
        connection.execute(f"COPY t TO '{path}' (FORMAT parquet)")
    finally:
        connection.close()
    return path


def write_stats_parquet(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    return write_parquet(path, STATS_COLUMNS, rows)


def balance(**cells: str) -> dict[str, str]:
    """A paid RAD-RIS-Va1 balance of the private client on both its sites, overridable."""
    row = {
        "demande": "S-1",
        "siret_fournisseur": VENDOR,
        "fournisseur": "Éditeur de démo",
        "dispositif": "RAD-RIS-Va1",
        "finess_ej": EJ_PRIVATE,
        "statut_juridique": "privé",
        "es_pmsi": "",
        "sites_et": f"{ET_PRIVATE_A}|{ET_PRIVATE_B}",
        "flux_installes": RIS_FLOWS,
        "date_commande": "2022-03-15",
        "date_installation": "2023-03-10",
        "date_paiement": "2023-06-30",
        "montant_solde": "8 400,00",
    }
    row.update(cells)
    return row


def public_balance(**cells: str) -> dict[str, str]:
    """A paid HOP-PFI-Va1 balance of the public EJ, on one of its sites."""
    return balance(
        **{
            "demande": "S-PFI",
            "dispositif": "HOP-PFI-Va1",
            "finess_ej": EJ_PUBLIC,
            "statut_juridique": "public",
            "sites_et": ET_PUBLIC_A,
            "flux_installes": PFI_FLOWS,
            **cells,
        }
    )


def write_balances(path: Path, rows: Sequence[Mapping[str, str]]) -> Path:
    return write_csv(path, BALANCE_COLUMNS, [[r.get(c, "") for c in BALANCE_COLUMNS] for r in rows])


def write_directory(path: Path, rows: Sequence[Sequence[str]] = DIRECTORY) -> Path:
    return write_csv(path, ["finess_et", "finess_ej", "raison_sociale"], rows)


def run(
    tmp_path: Path,
    stats_rows: Sequence[Sequence[Any]],
    balances: Sequence[Mapping[str, str]],
    **options: Any,
) -> ControlsReport:
    """The controls on one statistics CSV, the balances and the demo directory."""
    return run_controls(
        [write_stats_csv(tmp_path / "stats.csv", stats_rows)],
        write_balances(tmp_path / "soldes.csv", balances),
        None,
        write_directory(tmp_path / "etablissements.csv"),
        **options,
    )


def verdicts(report: ControlsReport) -> dict[tuple[str, str, str], str]:
    """(request, statistics, unit) → verdict, for assertions."""
    assert report.detail is not None
    return {(r.request_id, r.statistics, r.unit_id): r.verdict.value for r in report.detail}
