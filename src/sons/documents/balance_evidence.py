"""What the MOM and the balance summary print about each balance condition of a site.

Plain values handed in by the caller: the evidence module (issue 5, readiness) computes the
counts from the transmissions log; the documents only lay them out. The one rule here is the
verdict of a condition, kept next to the values it reads so that every document says the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sons.referential.model import BalanceCondition, Evidence, Flow, Route


@dataclass(frozen=True, slots=True)
class FlowEvidence:
    """Counts achieved by one site for one flow and route, against its balance condition.

    `site` is the FINESS ET (None for a professional's practice without one);
    `condition_label` is the condition's exact wording in the referential; `threshold` and
    `ins_qualified_required` are None when the referential does not know them (« non
    renseigné »).
    """

    site: str | None
    flow: Flow
    route: Route
    condition_label: str
    threshold: int | None
    achieved: int
    period_start: dt.date
    period_end: dt.date
    ins_qualified_required: bool | None

    @classmethod
    def for_condition(
        cls,
        site: str | None,
        condition: BalanceCondition,
        achieved: int,
        period_start: dt.date,
        period_end: dt.date,
    ) -> FlowEvidence:
        return cls(
            site=site,
            flow=condition.flow,
            route=condition.route,
            condition_label=condition.condition,
            threshold=condition.threshold,
            achieved=achieved,
            period_start=period_start,
            period_end=period_end,
            ins_qualified_required=condition.ins_qualified,
        )


@dataclass(frozen=True, slots=True)
class ConditionStatus:
    """One applicable balance condition of a site: its counts and whether its piece is there."""

    counts: FlowEvidence
    evidence: Evidence
    evidence_present: bool

    @classmethod
    def for_condition(
        cls,
        site: str | None,
        condition: BalanceCondition,
        achieved: int,
        period_start: dt.date,
        period_end: dt.date,
        evidence_present: bool,
    ) -> ConditionStatus:
        counts = FlowEvidence.for_condition(site, condition, achieved, period_start, period_end)
        return cls(counts, condition.evidence, evidence_present)


@dataclass(frozen=True, slots=True)
class Verdict:
    """`ready` is None when a value the decision needs is « non renseigné »."""

    ready: bool | None
    text: str


def condition_verdict(status: ConditionStatus) -> Verdict:
    """« Prêt pour le solde », « Manque 3 envoi(s) et la MOM », or not decidable."""
    counts = status.counts
    missing: list[str] = []
    if counts.threshold is not None and counts.achieved < counts.threshold:
        missing.append(f"{counts.threshold - counts.achieved} envoi(s)")
    if not status.evidence_present:
        missing.append(f"la {status.evidence.value}")
    if missing:
        text = "Manque " + " et ".join(missing)
        if counts.threshold is None:
            text += " ; seuil non renseigné"
        return Verdict(False, text)
    if counts.threshold is None:
        # Never guess a threshold: the referential does not know it, so neither do we.
        return Verdict(None, "Non déterminable : seuil non renseigné dans le référentiel")
    return Verdict(True, "Prêt pour le solde")


def order_verdict(statuses: Sequence[ConditionStatus]) -> Verdict:
    """The order is ready when every condition of every site is."""
    if not statuses:
        return Verdict(None, "Non déterminable : aucune condition de versement du solde fournie")
    verdicts = [condition_verdict(s) for s in statuses]
    short = sum(1 for v in verdicts if v.ready is False)
    unknown = sum(1 for v in verdicts if v.ready is None)
    if short:
        return Verdict(False, f"Incomplet : {short} condition(s) non remplie(s)")
    if unknown:
        return Verdict(
            None, f"Non déterminable : {unknown} condition(s) dont le seuil est non renseigné"
        )
    return Verdict(True, "Prêt pour le solde")
