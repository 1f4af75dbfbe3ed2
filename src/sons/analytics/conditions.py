"""The balance conditions that carry an a-posteriori control, as a small table for the SQL.

The referential says, per dispositif and per installed flow and route, which balance condition
applies, its threshold (« dix », « un »), whether the documents must carry a qualified INS, and
which controls the payment operator runs — among them the a-posteriori ones, on which
statistics (DMP, MSS Pro / MSS trust space, test address) and at which level (ES-PMSI). This
module flattens them, with their validity dates, into rows the control query joins on; the SQL
picks the row in force at each balance's order date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sons.analytics.usage import STATISTICS_FLOWS, STATISTICS_LABELS
from sons.findings import Finding, Severity
from sons.referential.loader import Referential, cite

# The seed names the level (« pour chaque ES-PMSI ») for HOP-PFI-Va1 only; PRIMER §3 reads the
# operator's controls as per establishment (ES-PMSI) in general, so that is the level used when
# the referential gives none — marked as deduced in every result.
DEFAULT_LEVEL = "es_pmsi"

LEVEL_LABELS: dict[str, str] = {
    "es_pmsi": "ES-PMSI",
    "site": "site (ET)",
    "client": "ensemble des sites du solde",
}


@dataclass(frozen=True, slots=True)
class ControlledCondition:
    dispositif: str
    condition_id: str
    flow: str
    route: str
    statistics: str
    usage_flow: str
    level: str
    level_inferred: bool
    threshold: int
    ins_qualified: bool
    valid_from: dt.date | None
    valid_until: dt.date | None
    control_label: str
    condition: str
    source: str

    @property
    def statistics_label(self) -> str:
        return STATISTICS_LABELS[self.statistics]


@dataclass(frozen=True)
class ControlConditions:
    """The table, the dispositif codes balances may name (KEY → code) and the rules' pin."""

    conditions: tuple[ControlledCondition, ...]
    dispositifs: Mapping[str, str]
    pin: str
    findings: tuple[Finding, ...] = ()


def controlled_conditions(referential: Referential) -> ControlConditions:
    """Every a-posteriori control of every dispositif, whatever its dates."""
    rows: list[ControlledCondition] = []
    findings: list[Finding] = []
    for dispositif in referential.dispositifs.values():
        sources = referential.sources_for(dispositif)
        for condition in dispositif.balance.balance_conditions:
            for control in condition.controls:
                if control.kind != "a_posteriori":
                    continue
                where = f"{dispositif.code}, condition « {condition.id} »"
                if control.statistics is None:
                    findings.append(
                        Finding(
                            "CONTROL_STATISTICS_UNKNOWN",
                            Severity.WARNING,
                            "contrôle a posteriori sans statistiques désignées dans le "
                            "référentiel : non réalisé",
                            where,
                        )
                    )
                    continue
                if condition.threshold is None or condition.ins_qualified is None:
                    findings.append(
                        Finding(
                            "CONTROL_THRESHOLD_UNKNOWN",
                            Severity.WARNING,
                            "seuil ou exigence d'INS qualifiée non renseigné dans le "
                            "référentiel : contrôle non réalisé (sons ne devine pas le seuil)",
                            where,
                        )
                    )
                    continue
                rows.append(
                    ControlledCondition(
                        dispositif=dispositif.code,
                        condition_id=condition.id,
                        flow=condition.flow.value,
                        route=condition.route.value,
                        statistics=control.statistics,
                        usage_flow=STATISTICS_FLOWS[control.statistics].value,
                        level=control.level or DEFAULT_LEVEL,
                        level_inferred=control.level is None,
                        threshold=condition.threshold,
                        ins_qualified=condition.ins_qualified,
                        valid_from=condition.valid_from,
                        valid_until=condition.valid_until,
                        control_label=control.label,
                        condition=condition.condition,
                        source=cite(condition, sources),
                    )
                )
    dispositifs = {d.code.upper(): d.code for d in referential.dispositifs.values()}
    return ControlConditions(tuple(rows), dispositifs, referential.pin, tuple(findings))
