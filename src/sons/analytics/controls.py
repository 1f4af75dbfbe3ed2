"""The payment operator's a-posteriori controls on usage statistics (seed, « Contrôles effectués »).

For every paid balance and every installed flow whose balance condition carries an
a-posteriori control — DMP statistics, MSS Pro / MSS trust-space statistics, test-address
statistics — the statistics after the balance's installation date are summed at the level the
condition names (ES-PMSI: the EJ's ETs for a public client, each ET for a private one) and
compared with the condition's threshold, counting INS-qualified documents when the condition
requires INS qualifiée. Verdicts: conforme, non conforme, données absentes.

`run_controls` reads the files with DuckDB (no extension download, bounded memory), checks
every input, runs the portable SQL of `sql/`, and writes the reports atomically: nothing is
written unless the whole run succeeds.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb

from sons.analytics.balances import check_balances, load_balances
from sons.analytics.conditions import (
    LEVEL_LABELS,
    ControlConditions,
    ControlledCondition,
    controlled_conditions,
)
from sons.analytics.engine import (
    date_literal,
    fetch_dicts,
    fetch_one,
    literal,
    make_offline,
    open_connection,
    sql,
)
from sons.analytics.establishments import load_directory
from sons.analytics.paid_balances import PaidBalances
from sons.analytics.reports import write_reports
from sons.analytics.sources import InputError, expand, load
from sons.analytics.usage import USAGE, UsageSummary, check_usage
from sons.findings import Finding, Severity, has_errors
from sons.referential.loader import default_referential


class Verdict(StrEnum):
    CONFORME = "conforme"
    NON_CONFORME = "non_conforme"
    DONNEES_ABSENTES = "donnees_absentes"


VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.CONFORME: "conforme",
    Verdict.NON_CONFORME: "non conforme",
    Verdict.DONNEES_ABSENTES: "données absentes",
}


@dataclass(frozen=True, slots=True)
class ControlResult:
    """One control: a balance, one of its flows' a-posteriori controls, one unit."""

    request_id: str
    vendor_siret: str
    vendor_name: str | None
    dispositif: str
    condition_id: str
    flow: str
    route: str
    statistics: str
    statistics_label: str
    level: str
    level_inferred: bool
    unit_id: str
    unit_kind: str
    establishments: int
    reference_date: dt.date
    reference_source: str
    first_month: str | None
    last_month: str | None
    rows_seen: int
    documents: int
    ins_documents: int | None
    ins_qualified: bool
    counted_documents: int
    threshold: int
    verdict: Verdict
    after_coverage: bool
    amount_cents: int | None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["verdict_label"] = VERDICT_LABELS[self.verdict]
        data["reference_date"] = self.reference_date.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class VendorSummary:
    vendor_siret: str
    vendor_name: str | None
    balances: int
    controls: int
    conforme: int
    non_conforme: int
    donnees_absentes: int
    balances_at_risk: int
    amount_at_stake_cents: int | None
    amounts_unknown: int


@dataclass(frozen=True)
class ControlsReport:
    """What a run found. `detail` is None when not kept (national runs write it to files)."""

    pin: str
    cutoff: dt.date | None
    usage: UsageSummary
    balances_read: int = 0
    balances_controlled: int = 0
    balances_after_cutoff: int = 0
    totals: Mapping[Verdict, int] = field(default_factory=dict)
    vendors: tuple[VendorSummary, ...] = ()
    detail: tuple[ControlResult, ...] | None = None
    findings: tuple[Finding, ...] = ()
    conditions: tuple[ControlledCondition, ...] = ()
    files: tuple[Path, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def statistics_valid(self) -> bool:
        return not has_errors(self.findings)

    @property
    def controls(self) -> int:
        return sum(self.totals.values())

    @property
    def shortfalls(self) -> int:
        """Controls that are not conforme (non conforme or données absentes)."""
        return self.totals.get(Verdict.NON_CONFORME, 0) + self.totals.get(
            Verdict.DONNEES_ABSENTES, 0
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "referential": self.pin,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "statistics_valid": self.statistics_valid,
            "statistics": asdict(self.usage),
            "balances": {
                "read": self.balances_read,
                "controlled": self.balances_controlled,
                "after_cutoff": self.balances_after_cutoff,
            },
            "totals": {v.value: self.totals.get(v, 0) for v in Verdict},
            "vendors": [asdict(v) for v in self.vendors],
            "conditions": [asdict(c) for c in self.conditions],
            "findings": [f.as_dict() for f in self.findings],
            "files": [str(p) for p in self.files],
            "detail": None if self.detail is None else [r.as_dict() for r in self.detail],
        }


StatsPaths = Sequence[str | Path]
TableInput = str | Path | duckdb.DuckDBPyRelation
BalancesInput = TableInput | PaidBalances


def run_controls(
    stats_paths: StatsPaths,
    balances: BalancesInput,
    conditions: ControlConditions | None,
    directory: TableInput,
    out_dir: Path | None = None,
    *,
    cutoff: dt.date | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
    keep_detail: bool = True,
    memory_limit: str | None = None,
    threads: int | None = None,
    on_step: Callable[[str], None] | None = None,
) -> ControlsReport:
    """Check the inputs, run the controls, write the reports to `out_dir` (when given).

    `stats_paths`: CSV or Parquet files, folders or glob patterns. `balances` and `directory`:
    a file, or a DuckDB relation made on `connection`; `balances` may also be the store's paid
    balances (`paid_balances.paid_balances`, whose balances left out become warnings).
    `conditions`: the a-posteriori controls of the referential (`controlled_conditions`; None =
    the packaged referential). `cutoff`: statistics after this date's month and balances whose
    reference date is later are left out.

    Raises `InputError` when an input is unusable (missing file or column, wrong Parquet type,
    a balance that cannot be read); returns a report whose `statistics_valid` is False (and
    writes nothing) when the statistics break a rule.
    """
    if conditions is None:
        conditions = controlled_conditions(default_referential())
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            [
                Finding(
                    "OUTPUT_NOT_A_FOLDER",
                    Severity.ERROR,
                    "--out doit désigner un dossier",
                    str(out_dir),
                )
            ]
        )
    with ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sons-controles-")))
        owned = connection is None
        if connection is None:
            connection = open_connection(
                memory_limit=memory_limit, threads=threads, temp_directory=work_dir / "spill"
            )
            stack.callback(connection.close)
        else:
            make_offline(connection)
        run = _Run(
            connection,
            conditions,
            cutoff,
            on_step or (lambda _message: None),
            work_dir,
            free_order=owned,
        )
        report = run.execute(stats_paths, balances, directory, out_dir, keep_detail)
    return report


class _Run:
    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        conditions: ControlConditions,
        cutoff: dt.date | None,
        on_step: Callable[[str], None],
        work_dir: Path,
        *,
        free_order: bool,
    ) -> None:
        self.connection = connection
        self.free_order = free_order
        self.conditions = conditions
        self.cutoff = cutoff
        self.on_step = on_step
        self.work_dir = work_dir
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str, message: str) -> Iterator[None]:
        self.on_step(message)
        start = time.perf_counter()
        yield
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    def execute(
        self,
        stats_paths: StatsPaths,
        balances: BalancesInput,
        directory: TableInput,
        out_dir: Path | None,
        keep_detail: bool,
    ) -> ControlsReport:
        connection = self.connection
        unusable: list[Finding] = []
        findings: list[Finding] = list(self.conditions.findings)
        if isinstance(balances, PaidBalances):
            findings.extend(
                Finding(
                    "BALANCE_LEFT_OUT",
                    Severity.WARNING,
                    f"solde payé « {reference} » non contrôlé : {reason}",
                    balances.label,
                )
                for reference, reason in balances.left_out
            )
            if not balances.rows:
                findings.append(
                    Finding(
                        "BALANCE_NONE",
                        Severity.WARNING,
                        "aucun solde payé à contrôler dans la base (demande de solde au statut "
                        "« Décidée et payée »)",
                        balances.label,
                    )
                )
        with self.step("lecture", "Lecture des fichiers"):
            directory_ok = load_directory(connection, directory, unusable, self.work_dir)
            balance_table = load_balances(connection, balances, unusable, self.work_dir)
            sources = expand(stats_paths, USAGE, unusable)
            if not stats_paths:
                unusable.append(
                    Finding(
                        "STATS_FILE_NOT_FOUND",
                        Severity.ERROR,
                        "statistiques d'usage : aucun fichier indiqué (option --stats)",
                    )
                )
            usage_table = (
                load(connection, USAGE, sources, "usage_rows", unusable, materialize=False)
                if sources
                else None
            )
        if has_errors(unusable) or not directory_ok or balance_table is None or usage_table is None:
            raise InputError(unusable)
        if self.free_order:
            # CSV line numbers were taken while reading; from here on results only need the
            # order their ORDER BY gives, and DuckDB runs faster and leaner without keeping
            # the order rows were read in. (Not changed on a connection the caller owns.)
            connection.execute("SET preserve_insertion_order = false")
        with self.step("vérifications", "Vérification des soldes et des statistiques"):
            balances_ok = check_balances(connection, balance_table, self.conditions, unusable)
            usage = check_usage(connection, usage_table, len(sources), findings)
        if not balances_ok:
            raise InputError(unusable + findings)
        findings = [f for f in unusable if f.severity is not Severity.ERROR] + findings
        if usage.rows == 0:
            findings.append(
                Finding(
                    "STATS_EMPTY",
                    Severity.WARNING,
                    "statistiques d'usage : aucune ligne lue ; tous les contrôles seront en "
                    "« données absentes »",
                )
            )
        if not usage.valid:
            return ControlsReport(
                self.conditions.pin,
                self.cutoff,
                usage,
                findings=tuple(findings),
                timings=self.timings,
            )
        with self.step("contrôles", "Contrôles a posteriori"):
            self._prepare(usage)
            connection.execute(
                f"CREATE OR REPLACE TEMP TABLE usage_monthly AS {sql('usage_monthly.sql')}"
            )
            # Checked and summed: the groups and the rows read are no longer needed, and
            # their memory goes to the controls' joins.
            connection.execute("DROP TABLE IF EXISTS usage_grouped")
            connection.execute("DROP VIEW IF EXISTS usage_checked")
            usage_table.drop(connection)
            connection.execute(
                f"CREATE OR REPLACE TEMP TABLE control_detail AS {sql('control_detail.sql')}"
            )
            connection.execute(
                f"CREATE OR REPLACE TEMP TABLE vendor_summary AS {sql('vendor_summary.sql')}"
            )
            report = self._report(usage, findings, keep_detail)
        report = replace(report, timings=dict(self.timings))
        if out_dir is None:
            return report
        with self.step("rapports", "Écriture des rapports"):
            files = write_reports(
                connection,
                out_dir,
                findings=report.findings,
                conditions=report.conditions,
                parameters=_parameters(report),
                conforme_label=VERDICT_LABELS[Verdict.CONFORME],
            )
        return replace(report, files=tuple(files), timings=dict(self.timings))

    def _prepare(self, usage: UsageSummary) -> None:
        """The small tables the control query joins: conditions, run parameters, labels."""
        connection = self.connection
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE control_condition (condition_key INTEGER, "
            "dispositif_key VARCHAR, dispositif VARCHAR, condition_id VARCHAR, flow VARCHAR, "
            "route VARCHAR, statistics_kind VARCHAR, statistics_label VARCHAR, "
            "usage_flow VARCHAR, control_level VARCHAR, level_label VARCHAR, "
            "level_inferred BOOLEAN, threshold INTEGER, ins_qualified BOOLEAN, "
            "valid_from DATE, valid_until DATE)"
        )
        rows = [
            ", ".join(
                (
                    str(key),
                    literal(c.dispositif.upper()),
                    literal(c.dispositif),
                    literal(c.condition_id),
                    literal(c.flow),
                    literal(c.route),
                    literal(c.statistics),
                    literal(c.statistics_label),
                    literal(c.usage_flow),
                    literal(c.level),
                    literal(LEVEL_LABELS[c.level]),
                    _boolean(c.level_inferred),
                    str(c.threshold),
                    _boolean(c.ins_qualified),
                    date_literal(c.valid_from),
                    date_literal(c.valid_until),
                )
            )
            for key, c in enumerate(self.conditions.conditions)
        ]
        if rows:
            connection.execute(
                "INSERT INTO control_condition VALUES " + ", ".join(f"({r})" for r in rows)
            )
        cutoff_month = self.cutoff.replace(day=1) if self.cutoff else None
        last = dt.date.fromisoformat(usage.last_month + "-01") if usage.last_month else None
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE control_run AS SELECT "
            f"{date_literal(self.cutoff)} AS cutoff_date, "
            f"{date_literal(cutoff_month)} AS cutoff_month, "
            f"{date_literal(last)} AS last_usage_month"
        )
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE verdict_label (verdict VARCHAR, label VARCHAR)"
        )
        connection.execute(
            "INSERT INTO verdict_label VALUES "
            + ", ".join(f"({literal(v.value)}, {literal(VERDICT_LABELS[v])})" for v in Verdict)
        )

    def _report(
        self, usage: UsageSummary, findings: list[Finding], keep_detail: bool
    ) -> ControlsReport:
        connection = self.connection
        totals = {
            Verdict(str(row["verdict"])): int(row["controls"])
            for row in fetch_dicts(
                connection,
                "SELECT verdict, COUNT(*) AS controls FROM control_detail GROUP BY verdict",
            )
        }
        counts = fetch_one(
            connection,
            "SELECT (SELECT COUNT(*) FROM balance) AS balances_read, "
            "(SELECT COUNT(DISTINCT source_row) FROM control_detail) AS balances_controlled, "
            "(SELECT COUNT(*) FROM balance, control_run WHERE cutoff_date IS NOT NULL "
            "AND reference_date > cutoff_date) AS balances_after_cutoff",
        )
        vendors = tuple(
            VendorSummary(**row)
            for row in fetch_dicts(connection, "SELECT * FROM vendor_summary ORDER BY vendor_siret")
        )
        used_keys = {
            int(row["condition_key"])
            for row in fetch_dicts(connection, "SELECT DISTINCT condition_key FROM control_detail")
        }
        used = tuple(c for key, c in enumerate(self.conditions.conditions) if key in used_keys)
        for condition in used:
            if condition.level_inferred:
                findings.append(
                    Finding(
                        "CONTROL_LEVEL_INFERRED",
                        Severity.INFO,
                        f"{condition.statistics_label} : la source ne précise pas le niveau "
                        "du contrôle ; sons contrôle par ES-PMSI (déduit, à confirmer)",
                        f"{condition.dispositif}, condition « {condition.condition_id} »",
                        condition.condition_id,
                        condition.source,
                    )
                )
        after_cutoff = int(counts["balances_after_cutoff"])
        if after_cutoff:
            findings.append(
                Finding(
                    "CONTROL_BALANCE_AFTER_CUTOFF",
                    Severity.INFO,
                    f"{after_cutoff} solde(s) dont la date de référence suit la date d'arrêté "
                    "ne sont pas contrôlés",
                )
            )
        detail = self._detail() if keep_detail else None
        return ControlsReport(
            pin=self.conditions.pin,
            cutoff=self.cutoff,
            usage=usage,
            balances_read=int(counts["balances_read"]),
            balances_controlled=int(counts["balances_controlled"]),
            balances_after_cutoff=after_cutoff,
            totals=totals,
            vendors=vendors,
            detail=detail,
            findings=tuple(findings),
            conditions=used,
            timings=self.timings,
        )

    def _detail(self) -> tuple[ControlResult, ...]:
        rows = fetch_dicts(
            self.connection,
            "SELECT * FROM control_detail ORDER BY vendor_siret, request_id, condition_id, "
            "statistics_kind, unit_id",
        )
        return tuple(
            ControlResult(
                request_id=row["request_id"],
                vendor_siret=row["vendor_siret"],
                vendor_name=row["vendor_name"],
                dispositif=row["dispositif"],
                condition_id=row["condition_id"],
                flow=row["flow"],
                route=row["route"],
                statistics=row["statistics_kind"],
                statistics_label=row["statistics_label"],
                level=row["control_level"],
                level_inferred=bool(row["level_inferred"]),
                unit_id=row["unit_id"],
                unit_kind=row["unit_kind"],
                establishments=int(row["establishments"]),
                reference_date=row["reference_date"],
                reference_source=row["reference_source"],
                first_month=row["first_month"],
                last_month=row["last_month"],
                rows_seen=int(row["rows_seen"]),
                documents=int(row["documents"]),
                ins_documents=None if row["ins_documents"] is None else int(row["ins_documents"]),
                ins_qualified=bool(row["ins_qualified"]),
                counted_documents=int(row["counted_documents"]),
                threshold=int(row["threshold"]),
                verdict=Verdict(row["verdict"]),
                after_coverage=bool(row["after_coverage"]),
                amount_cents=None if row["amount_cents"] is None else int(row["amount_cents"]),
            )
            for row in rows
        )


def _parameters(report: ControlsReport) -> list[tuple[str, str]]:
    usage = report.usage
    period = f"{usage.first_month} à {usage.last_month}" if usage.first_month else "aucun mois"
    return [
        ("Référentiel", report.pin),
        ("Date d'arrêté", report.cutoff.isoformat() if report.cutoff else "aucune"),
        ("Statistiques", f"{usage.rows} ligne(s), {usage.files} fichier(s), {period}"),
        ("Soldes lus", str(report.balances_read)),
        ("Soldes contrôlés", str(report.balances_controlled)),
        *((VERDICT_LABELS[v].capitalize(), str(report.totals.get(v, 0))) for v in Verdict),
    ]


def _boolean(value: bool) -> str:
    return "true" if value else "false"
