"""Usage statistics: their format (docs/statistiques-usage.md) and the checks they must pass.

One row per month, establishment (FINESS ET, with its EJ), flow and sending software: how many
documents were sent and how many of them carried a qualified INS. The flows are those the
seed's « Contrôles effectués » column names: DMP statistics, MSS Pro / MSS trust-space
statistics, and the statistics of the citizen test address.

A row that breaks a rule (unknown FINESS, negative count, more INS-qualified documents than
documents, malformed month, unknown flow, missing value, the same period twice) makes the
statistics invalid: the controls are not run on them, since a duplicated month would make a
short establishment look compliant. Each problem is placed (file, line or record) and named by
its period (ET, month, flow).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import duckdb

from sons.analytics.engine import date_literal, fetch_dicts, fetch_one, literal, sql
from sons.analytics.sources import (
    MAX_EXAMPLES,
    Column,
    ColumnKind,
    LoadedTable,
    TableSpec,
    french_count,
    more_finding,
)
from sons.findings import Finding, Severity


class UsageFlow(StrEnum):
    """The `flux` column of the statistics."""

    DMP = "dmp"
    MSS_PRO = "mss_pro"
    MSS_PATIENT_TEST = "mss_patient_test"


# Whether the INS-qualified count is mandatory for the flow: the DMP and MSS Pro conditions
# require « INS qualifiée », the test-address one does not (seed tables).
INS_COUNT_REQUIRED: dict[UsageFlow, bool] = {
    UsageFlow.DMP: True,
    UsageFlow.MSS_PRO: True,
    UsageFlow.MSS_PATIENT_TEST: False,
}

# The referential's `statistics` of an a-posteriori control → the flow of the statistics file.
# « statistiques MSS Pro » (RIS, SGL) and « statistiques de l'espace de confiance MSS » (PFI)
# both count MSS messages between professionals: one flow holds them (our reading, inferred).
STATISTICS_FLOWS: dict[str, UsageFlow] = {
    "dmp": UsageFlow.DMP,
    "mss_pro": UsageFlow.MSS_PRO,
    "mss_trust_space": UsageFlow.MSS_PRO,
    "test_address": UsageFlow.MSS_PATIENT_TEST,
}

STATISTICS_LABELS: dict[str, str] = {
    "dmp": "statistiques DMP",
    "mss_pro": "statistiques MSS Pro",
    "mss_trust_space": "statistiques de l'espace de confiance MSS",
    "test_address": "statistiques de l'adresse de test",
}

USAGE = TableSpec(
    what="statistiques d'usage",
    code="STATS",
    columns=(
        Column("mois", "month_text", ColumnKind.MONTH),
        Column("finess_et", "finess_et", ColumnKind.CODE),
        Column("finess_ej", "finess_ej", ColumnKind.CODE),
        Column("flux", "flow", ColumnKind.KEYWORD),
        Column("nb_documents", "documents", ColumnKind.INTEGER),
        Column("nb_documents_ins_qualifiee", "ins_documents", ColumnKind.INTEGER),
        Column("numero_referencement", "software_ref", ColumnKind.TEXT, required=False),
        Column("version_logiciel", "software_version", ColumnKind.TEXT, required=False),
    ),
    strict_types=True,
    software_fields=("software_ref", "software_version"),
)

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


@dataclass(frozen=True, slots=True)
class UsageSummary:
    files: int
    rows: int
    first_month: str | None
    last_month: str | None
    valid: bool


def month_start(text: str) -> dt.date | None:
    """« 2024-03 » → 2024-03-01; None for anything else (« 2024-3 », « 03/2024 »…)."""
    match = _MONTH.fullmatch(text)
    return dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None


def prepare_lookups(connection: duckdb.DuckDBPyConnection) -> None:
    """The small tables the portable SQL joins: months as written, and the known flows."""
    months = [
        str(row[0])
        for row in connection.execute(
            "SELECT DISTINCT month_text FROM usage_grouped WHERE month_text IS NOT NULL"
        ).fetchall()
    ]
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE usage_month (month_text VARCHAR, month_start DATE)"
    )
    if months:
        values = ", ".join(f"({literal(m)}, {date_literal(month_start(m))})" for m in months)
        connection.execute(f"INSERT INTO usage_month VALUES {values}")
    connection.execute(
        "CREATE OR REPLACE TEMP TABLE usage_flow (flow VARCHAR, ins_required BOOLEAN)"
    )
    connection.execute(
        "INSERT INTO usage_flow VALUES "
        + ", ".join(
            f"({literal(flow.value)}, {'true' if required else 'false'})"
            for flow, required in INS_COUNT_REQUIRED.items()
        )
    )


def check_usage(
    connection: duckdb.DuckDBPyConnection,
    loaded: LoadedTable,
    files: int,
    findings: list[Finding],
) -> UsageSummary:
    """Run every rule on `usage_rows` (and `establishment`); findings get each problem.

    A light scan numbers the sending programs (`usage_software`); one full scan groups the
    rows (`usage_grouped`, which the controls then read) and the rules, duplicated periods
    included, are counted on the groups; only a rule that is broken sends a query back to the
    rows, for its count and the first places to show.
    """
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE usage_software AS {sql('usage_software.sql')}"
    )
    connection.execute(f"CREATE OR REPLACE TEMP TABLE usage_grouped AS {sql('usage_grouped.sql')}")
    candidates = fetch_one(connection, sql("usage_duplicate_count.sql"))
    prepare_lookups(connection)
    connection.execute(f"CREATE OR REPLACE TEMP VIEW usage_checked AS {sql('usage_checked.sql')}")
    counts = fetch_one(connection, sql("usage_problem_counts.sql"))
    valid = True
    for flag, rule in _RULES.items():
        if not int(counts[flag]):
            continue
        rows = fetch_dicts(
            connection,
            sql("usage_problem_examples.sql", flag=flag, limit=str(MAX_EXAMPLES)),
        )
        if not rows:
            continue
        valid = valid and rule.severity is not Severity.ERROR
        total = int(rows[0]["rows_breaking"])
        for row in rows:
            column, message = rule.explain(row)
            findings.append(
                Finding(
                    rule.code,
                    rule.severity,
                    f"{message} ({_period(row)})",
                    loaded.place(row["source_file"], row["source_row"], column),
                    rule.code,
                )
            )
        if total > len(rows):
            findings.append(more_finding(rule.code, total, len(rows), rule.counted))
    if int(candidates["candidate_keys"]) and _duplicates(connection, loaded, findings):
        valid = False
    first, last = counts["first_month"], counts["last_month"]
    return UsageSummary(
        files=files,
        rows=int(counts["rows_read"]),
        first_month=first.strftime("%Y-%m") if first else None,
        last_month=last.strftime("%Y-%m") if last else None,
        valid=valid,
    )


def _duplicates(
    connection: duckdb.DuckDBPyConnection,
    loaded: LoadedTable,
    findings: list[Finding],
) -> bool:
    """Findings for the confirmed duplicates; False when the candidates were hash collisions."""
    rows = fetch_dicts(connection, sql("usage_duplicate_examples.sql", limit=str(MAX_EXAMPLES)))
    if not rows:
        return False
    total = int(rows[0]["duplicated_keys"])
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        key = tuple(
            row[k] for k in ("finess_et", "flow", "software_ref", "software_version", "month_text")
        )
        groups.setdefault(key, []).append(row)
    for places in groups.values():
        first, others = places[0], places[1:]
        same_file = all(p["source_file"] == first["source_file"] for p in others)
        code = "STATS_DUPLICATE_ROW" if same_file else "STATS_PERIOD_OVERLAP"
        elsewhere = " ; ".join(loaded.place(p["source_file"], p["source_row"]) for p in others)
        if same_file:
            message = (
                "ligne en double : même établissement, flux, logiciel et mois que "
                f"{elsewhere} — une période ne doit être comptée qu'une fois"
            )
        else:
            message = (
                f"période en chevauchement : le mois {first['month_text']} figure aussi dans "
                f"{elsewhere} — une période ne doit être fournie que par un seul fichier"
            )
        findings.append(
            Finding(
                code,
                Severity.ERROR,
                f"{message} ({_period(first)})",
                loaded.place(first["source_file"], first["source_row"]),
                code,
            )
        )
    if total > len(groups):
        findings.append(
            more_finding("STATS_DUPLICATE_ROW", total, len(groups), "périodes en double")
        )
    return True


def _period(row: Mapping[str, Any]) -> str:
    software = row.get("software_ref") or "non renseigné"
    version = row.get("software_version")
    if version:
        software += f" version {version}"
    return (
        f"ET {row.get('finess_et') or '(vide)'}, mois {row.get('month_text') or '(vide)'}, "
        f"flux {row.get('flow') or '(vide)'}, logiciel {software}"
    )


# --- the rules ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    severity: Severity
    counted: str  # « lignes … au total »
    explain: Callable[[Mapping[str, Any]], tuple[str, str]]  # row → (column, French message)


def _missing(row: Mapping[str, Any]) -> tuple[str, str]:
    names = [
        name
        for name, key in (
            ("mois", "month_text"),
            ("finess_et", "finess_et"),
            ("flux", "flow"),
            ("nb_documents", "documents"),
            ("nb_documents_ins_qualifiee", "ins_documents"),
        )
        if row.get(key) is None
    ]
    if "nb_documents_ins_qualifiee" in names:
        names[names.index("nb_documents_ins_qualifiee")] += " (obligatoire pour ce flux)"
    return names[0].split(" ")[0], "valeur obligatoire manquante : " + ", ".join(names)


def _month(row: Mapping[str, Any]) -> tuple[str, str]:
    return "mois", (
        f"mois « {row['month_text']} » illisible : attendu AAAA-MM (par exemple 2024-03)"
    )


def _finess(row: Mapping[str, Any]) -> tuple[str, str]:
    number = str(row["finess_et"])
    hint = (
        " ; le zéro initial a-t-il été perdu (cellule au format nombre) ?"
        if len(number) == 8 and number.isdigit()
        else ""
    )
    return "finess_et", (
        f"FINESS ET « {number} » absent de l'annuaire des établissements fourni{hint}"
    )


def _flow(row: Mapping[str, Any]) -> tuple[str, str]:
    expected = ", ".join(f.value for f in UsageFlow)
    return "flux", f"flux « {row['flow']} » inconnu : attendu l'un de {expected}"


def _negative(row: Mapping[str, Any]) -> tuple[str, str]:
    if row["documents"] is not None and row["documents"] < 0:
        return "nb_documents", f"nombre de documents négatif : {row['documents']}"
    return "nb_documents_ins_qualifiee", (
        f"nombre de documents avec INS qualifiée négatif : {row['ins_documents']}"
    )


def _ins_exceeds(row: Mapping[str, Any]) -> tuple[str, str]:
    return "nb_documents_ins_qualifiee", (
        f"plus de documents avec INS qualifiée ({french_count(row['ins_documents'])}) que de "
        f"documents ({french_count(row['documents'])})"
    )


def _ej(row: Mapping[str, Any]) -> tuple[str, str]:
    return "finess_ej", (
        f"EJ déclaré « {row['finess_ej']} » différent de celui de l'annuaire "
        f"(« {row['directory_ej']} ») : l'annuaire fait foi pour le regroupement par ES-PMSI"
    )


_RULES: dict[str, _Rule] = {
    "value_missing": _Rule("STATS_VALUE_MISSING", Severity.ERROR, "lignes incomplètes", _missing),
    "month_invalid": _Rule(
        "STATS_MONTH_INVALID", Severity.ERROR, "lignes au mois illisible", _month
    ),
    "finess_unknown": _Rule(
        "STATS_FINESS_UNKNOWN", Severity.ERROR, "lignes au FINESS inconnu", _finess
    ),
    "flow_unknown": _Rule("STATS_FLOW_UNKNOWN", Severity.ERROR, "lignes au flux inconnu", _flow),
    "count_negative": _Rule(
        "STATS_COUNT_NEGATIVE", Severity.ERROR, "lignes au nombre négatif", _negative
    ),
    "ins_exceeds": _Rule(
        "STATS_INS_EXCEEDS_DOCUMENTS",
        Severity.ERROR,
        "lignes où les documents avec INS qualifiée dépassent les documents",
        _ins_exceeds,
    ),
    "ej_mismatch": _Rule(
        "STATS_EJ_MISMATCH", Severity.WARNING, "lignes à l'EJ différent de l'annuaire", _ej
    ),
}


def summary_of(usage: UsageSummary) -> str:
    period = (
        f"de {usage.first_month} à {usage.last_month}" if usage.first_month else "aucun mois lu"
    )
    return f"{french_count(usage.rows)} ligne(s) dans {usage.files} fichier(s), {period}"
