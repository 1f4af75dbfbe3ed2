"""The paid balances (« soldes payés ») the controls run on: format, reading and checks.

One row per paid balance: the request, its vendor, its dispositif, the client (its ES-PMSI, or
its EJ and legal status so the ES-PMSI can be derived), its sites (FINESS ET), the flows
installed with their route, and the dates (order, installation, payment) and amount. The
format is documented in docs/controles-a-posteriori.md; the store's paid balances are exported
in exactly these columns (`paid_balances`), and a DuckDB relation with them is accepted too.

A balance file with a problem is refused whole (exit 2): every problem is listed, placed, and
no control runs on a partial list of balances.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from sons.analytics.conditions import ControlConditions
from sons.analytics.engine import fetch_dicts, literal, sql
from sons.analytics.paid_balances import PaidBalances
from sons.analytics.sources import (
    MAX_EXAMPLES,
    Column,
    ColumnKind,
    LoadedTable,
    SourceFile,
    SourceKind,
    TableSpec,
    expand,
    load,
    load_relation,
    more_finding,
)
from sons.findings import Finding, Severity
from sons.referential.model import Flow, Route

BALANCES = TableSpec(
    what="soldes payés",
    code="BALANCE",
    columns=(
        Column("demande", "request_id", ColumnKind.TEXT),
        Column("siret_fournisseur", "vendor_siret", ColumnKind.CODE),
        Column("fournisseur", "vendor_name", ColumnKind.TEXT, required=False),
        Column("dispositif", "dispositif_text", ColumnKind.TEXT),
        Column("finess_ej", "finess_ej", ColumnKind.CODE, required=False),
        Column("statut_juridique", "legal_status_text", ColumnKind.KEYWORD, required=False),
        Column("es_pmsi", "es_pmsi_text", ColumnKind.TEXT, required=False),
        Column("sites_et", "sites_text", ColumnKind.TEXT),
        Column("flux_installes", "flows_text", ColumnKind.TEXT),
        Column("date_commande", "ordered_text", ColumnKind.TEXT, required=False),
        Column("date_installation", "installed_text", ColumnKind.TEXT, required=False),
        Column("date_paiement", "paid_text", ColumnKind.TEXT, required=False),
        Column("montant_solde", "amount_text", ColumnKind.TEXT, required=False),
    ),
)

# How the `flux_installes` cell may spell a route, and the `statut_juridique` cell a status
# (compared without accents, in lower case).
ROUTE_SPELLINGS: dict[str, Route] = {
    "direct": Route.DIRECT,
    "third_party": Route.THIRD_PARTY,
    "tiers": Route.THIRD_PARTY,
}
STATUS_SPELLINGS: dict[str, str] = {
    "public": "public",
    "publique": "public",
    "prive": "private",
    "privee": "private",
    "private": "private",
}


def load_balances(
    connection: duckdb.DuckDBPyConnection,
    balances: str | Path | duckdb.DuckDBPyRelation | PaidBalances,
    findings: list[Finding],
    work_dir: Path,
) -> LoadedTable | None:
    """Create `balance_input` (text cells, placed) from a file, a relation or the store's rows.

    The store's rows are written as a CSV of the documented format in `work_dir` and read like
    a file (same checks), placed as « soldes payés de la base sons, ligne N »."""
    if isinstance(balances, duckdb.DuckDBPyRelation):
        return load_relation(connection, BALANCES, balances, "balance_input", findings)
    if isinstance(balances, PaidBalances):
        exported = work_dir / "soldes-payes-base.csv"
        with exported.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, delimiter=";")
            writer.writerow([c.name for c in BALANCES.columns])
            writer.writerows(
                [row.get(c.name, "") for c in BALANCES.columns] for row in balances.rows
            )
        source = SourceFile(exported, balances.label, SourceKind.CSV)
        return load(connection, BALANCES, [source], "balance_input", findings, materialize=True)
    sources = expand([balances], BALANCES, findings)
    if not sources:
        return None
    return load(connection, BALANCES, sources, "balance_input", findings, materialize=True)


def check_balances(
    connection: duckdb.DuckDBPyConnection,
    loaded: LoadedTable,
    conditions: ControlConditions,
    findings: list[Finding],
) -> bool:
    """Parse and check every balance (needs `establishment`); False when any is unusable."""
    _lookups(connection, conditions)
    connection.execute(sql("duckdb/balance_parse.sql"))
    problems = fetch_dicts(connection, sql("balance_problems.sql", limit=str(MAX_EXAMPLES)))
    totals: dict[str, int] = {}
    for row in problems:
        code, message = _explain(row, conditions, loaded)
        findings.append(
            Finding(
                code,
                Severity.ERROR,
                message,
                loaded.place(row["source_file"], row["source_row"], row["column_name"]),
                code,
            )
        )
        totals[code] = int(row["problem_total"])
    for code, total in totals.items():
        shown = sum(1 for f in findings if f.code == code and f.severity is Severity.ERROR)
        if total > shown:
            findings.append(more_finding(code, total, shown, "problèmes de ce type"))
    if problems:
        return False
    connection.execute(f"CREATE OR REPLACE TEMP TABLE balance AS {sql('balance.sql')}")
    connection.execute(f"CREATE OR REPLACE TEMP TABLE balance_flow AS {sql('balance_flow.sql')}")
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE control_unit_member AS {sql('control_unit_member.sql')}"
    )
    # The cells as read and the split lists are no longer needed: their memory goes to the
    # controls (DuckDB spills to disk, slowly, when its tables fill its memory limit).
    loaded.drop(connection)
    for table in ("balance_rows", "balance_site_rows", "balance_es_pmsi_rows", "balance_flow_rows"):
        connection.execute(f"DROP TABLE IF EXISTS {table}")
    return True


def _lookups(connection: duckdb.DuckDBPyConnection, conditions: ControlConditions) -> None:
    tables: dict[str, tuple[str, Sequence[tuple[str, ...]]]] = {
        "dispositif_code": (
            "dispositif_key VARCHAR, dispositif VARCHAR",
            sorted(conditions.dispositifs.items()),
        ),
        "route_code": (
            "route_text VARCHAR, route VARCHAR",
            [(text, route.value) for text, route in ROUTE_SPELLINGS.items()],
        ),
        "legal_status_code": (
            "status_key VARCHAR, legal_status VARCHAR",
            list(STATUS_SPELLINGS.items()),
        ),
    }
    for name, (columns, rows) in tables.items():
        _small_table(connection, name, columns, rows)
    _small_table(connection, "flow_code", "flow VARCHAR", [(flow.value,) for flow in Flow])


def _small_table(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    columns: str,
    rows: Sequence[tuple[str, ...]],
) -> None:
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
    if rows:
        values = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)
        connection.execute(f"INSERT INTO {name} VALUES {values}")


def _explain(
    row: dict[str, Any], conditions: ControlConditions, loaded: LoadedTable
) -> tuple[str, str]:
    """(finding code, French message) of one balance problem."""
    value = row["value_text"]
    problem = row["problem"]
    if problem == "request_missing":
        return "BALANCE_VALUE_MISSING", "numéro de demande manquant"
    if problem == "request_duplicate":
        return "BALANCE_REQUEST_DUPLICATE", (
            f"demande « {value} » déjà présente en "
            f"{loaded.row_name(row['source_file'], row['other_row'])} : un solde payé par ligne"
        )
    if problem == "siret_invalid":
        shown = f"« {value} »" if value else "manquant"
        return "BALANCE_SIRET_INVALID", (f"SIRET du fournisseur {shown} : 14 chiffres attendus")
    if problem == "value_missing":
        return "BALANCE_VALUE_MISSING", f"{row['column_name']} manquant"
    if problem == "dispositif_unknown":
        known = ", ".join(sorted(conditions.dispositifs.values()))
        return "BALANCE_DISPOSITIF_UNKNOWN", (
            f"dispositif « {value} » inconnu du référentiel ; dispositifs connus : {known}"
        )
    if problem == "date_invalid":
        return "BALANCE_DATE_INVALID", (
            f"date « {value} » illisible ou inexistante : attendu AAAA-MM-JJ (2024-03-15) ou "
            "JJ/MM/AAAA (15/03/2024)"
        )
    if problem == "reference_date_missing":
        return "BALANCE_DATE_MISSING", (
            "ni date d'installation ni date de paiement du solde : les statistiques sont "
            "comptées à partir de l'une d'elles"
        )
    if problem == "amount_invalid":
        return "BALANCE_AMOUNT_INVALID", (
            f"montant « {value} » illisible : attendu par exemple 1234,50 ou 1 234,50 "
            "(au plus deux décimales, positif)"
        )
    if problem == "status_invalid":
        return "BALANCE_STATUS_INVALID", (
            f"statut juridique « {value} » inconnu : attendu « public » ou « privé »"
        )
    if problem == "es_pmsi_underivable":
        return "BALANCE_ES_PMSI_MISSING", (
            "ni es_pmsi ni statut_juridique : l'ES-PMSI est l'EJ pour un établissement public "
            "et chaque ET pour un établissement privé, l'un des deux est nécessaire"
        )
    if problem == "sites_missing":
        return "BALANCE_SITES_MISSING", (
            "aucun site (FINESS ET) : les statistiques sont rattachées aux ET"
        )
    if problem == "site_unknown":
        return "BALANCE_SITE_UNKNOWN", (
            f"site « {value} » absent de l'annuaire des établissements fourni"
        )
    if problem == "flows_missing":
        return "BALANCE_FLOWS_MISSING", (
            "aucun flux installé : attendu par exemple « dmp:direct|mss_pro:direct »"
        )
    if problem == "flow_invalid":
        flows = ", ".join(f.value for f in Flow)
        routes = ", ".join(ROUTE_SPELLINGS)
        return "BALANCE_FLOW_INVALID", (
            f"flux installé « {value} » illisible : attendu flux:voie, flux parmi {flows}, voie "
            f"parmi {routes}"
        )
    if problem == "es_pmsi_unknown":
        return "BALANCE_ES_PMSI_UNKNOWN", (
            f"ES-PMSI « {value} » : ni ET ni EJ de l'annuaire des établissements fourni"
        )
    if problem == "ej_unknown":
        return "BALANCE_EJ_UNKNOWN", f"EJ « {value} » absente de l'annuaire des établissements"
    if problem == "ej_ambiguous":
        return "BALANCE_EJ_AMBIGUOUS", (
            f"établissement public dont les sites relèvent de plusieurs EJ ({value} et "
            f"{row['other_text']}) : indiquez finess_ej ou es_pmsi"
        )
    if problem == "site_other_ej":
        return "BALANCE_SITE_OTHER_EJ", (
            f"site « {value} » rattaché à l'EJ {row['other_text']} dans l'annuaire, pas à l'EJ "
            "du solde"
        )
    raise ValueError(problem)
