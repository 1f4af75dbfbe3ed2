"""Everything an order check may read, handed over as values: no database, no clock.

The service that checks orders loads the directory, the eligibility ceilings and the keys used
by other orders once, then builds one `OrderContext` per order (cheap: the big mappings are
shared). Referential views are cached per (dispositif, date) in a `CheckCache` that the
contexts of one run share, so checking thousands of orders stays linear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from sons.domain.money import ttc_from_ht
from sons.domain.orders import LegalEntity, Site, Solution, Vendor
from sons.findings import Finding
from sons.referential.loader import (
    DispositifAtDate,
    ParameterValue,
    Referential,
    UnknownDispositif,
    cite,
)
from sons.referential.model import Alternative, Profile, ProfileRule, Question, Sourced
from sons.referential.scenario import ScenarioExplanation, explain, match_profiles

# (dispositif code in upper case, ES-PMSI or RPPS) → numbers of the orders holding that key.
PrestationIndex = Mapping[tuple[str, str], tuple[str, ...]]


class _SnapshotView(DispositifAtDate):
    """A view whose item lists are filtered once: the scenario checks read them per site."""

    @cached_property
    def profiles(self) -> list[Profile]:
        return super().profiles

    @cached_property
    def questions(self) -> list[Question]:
        return super().questions

    @cached_property
    def questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def alternatives(self) -> list[Alternative]:
        return super().alternatives

    @cached_property
    def rules(self) -> list[ProfileRule]:
        return super().rules


@dataclass(frozen=True)
class CommonAtDate:
    """The parameters shared by every dispositif, as in force on one date."""

    on: dt.date
    vat_rate: ParameterValue
    pre_referencing_max_days: ParameterValue


# (path prefix, answers as sorted items, obtained profile ids) → the explanation.
_ScenarioMemo = dict[
    tuple[str, tuple[tuple[str, Any], ...], frozenset[str] | None], ScenarioExplanation
]


@dataclass(frozen=True)
class DispositifSnapshot:
    """One dispositif on one date, with the values the order checks need, resolved once."""

    view: DispositifAtDate
    order_deadline: ParameterValue
    ceiling_strategy: ParameterValue
    # Shared by every date with the same items in force (see `CheckCache.snapshot`).
    _scenarios: _ScenarioMemo = field(default_factory=dict, repr=False, compare=False)
    _obtained: dict[frozenset[str], tuple[frozenset[str], tuple[Finding, ...]]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def explain(
        self, answers: Mapping[str, Any], obtained: frozenset[str] | None, prefix: str
    ) -> ScenarioExplanation:
        """`sons.referential.scenario.explain`, memoised: a vendor's orders repeat a few
        scenarios, and explaining one costs far more than loading the order."""
        try:
            key = (prefix, tuple(sorted(answers.items())), obtained)
            found = self._scenarios.get(key)
        except TypeError:  # an unhashable (hence invalid) answer: explain it every time
            return explain(self.view, answers, obtained, prefix)
        if found is None:
            found = explain(self.view, answers, obtained, prefix)
            # The only finding that quotes the view's date must not be reused on another date.
            if not any(f.code == "SCENARIO_ANSWER_UNKNOWN" for f in found.findings):
                self._scenarios[key] = found
        return found

    def obtained_profiles(self, solution: Solution) -> tuple[frozenset[str], tuple[Finding, ...]]:
        """The solution's profiles as ids of this dispositif, and the names it does not know."""
        cached = self._obtained.get(solution.profiles)
        if cached is None:
            ids, findings = match_profiles(
                self.view, sorted(solution.profiles), prefix="solution.profiles"
            )
            cached = (frozenset(ids), tuple(findings))
            self._obtained[solution.profiles] = cached
        return cached


class CheckCache:
    """Views and parameters per date for one referential; shared by the contexts of a run."""

    def __init__(self) -> None:
        self._referential: Referential | None = None
        self._snapshots: dict[tuple[str, dt.date], DispositifSnapshot | None] = {}
        self._common: dict[dt.date, CommonAtDate] = {}
        self._memos: dict[tuple[object, ...], _ScenarioMemo] = {}
        self._ttc: dict[tuple[int, Decimal], int] = {}

    def _bind(self, referential: Referential) -> None:
        # A cache filled under another referential would answer with stale rules.
        if self._referential is not referential:
            self._referential = referential
            self._snapshots.clear()
            self._common.clear()
            self._memos.clear()

    def snapshot(
        self, referential: Referential, code: str, on: dt.date
    ) -> DispositifSnapshot | None:
        """The dispositif in force on `on`, or None when the referential does not know it."""
        self._bind(referential)
        key = (code.strip().upper(), on)
        if key in self._snapshots:
            return self._snapshots[key]
        try:
            dispositif = referential.get(code)
        except UnknownDispositif:
            snapshot = None
        else:
            view = _SnapshotView(dispositif, on, referential.sources_for(dispositif))
            # Dates with the same questions, alternatives, rules and profiles in force explain
            # a scenario alike: they share one memo (orders are signed on hundreds of dates).
            in_force = (
                key[0],
                tuple(p.id for p in view.profiles),
                tuple(q.id for q in view.questions),
                tuple(a.id for a in view.alternatives),
                tuple(r.id for r in view.rules),
            )
            memo = self._memos.setdefault(in_force, {})
            snapshot = DispositifSnapshot(
                view, view.parameter("order_deadline"), view.parameter("ceiling_strategy"), memo
            )
        self._snapshots[key] = snapshot
        return snapshot

    def ttc(self, ht_cents: int, rate: Decimal) -> int:
        """`ttc_from_ht`, memoised: exact fractions are slow and amounts repeat."""
        key = (ht_cents, rate)
        found = self._ttc.get(key)
        if found is None:
            found = self._ttc[key] = ttc_from_ht(ht_cents, rate)
        return found

    def common(self, referential: Referential, on: dt.date) -> CommonAtDate:
        self._bind(referential)
        found = self._common.get(on)
        if found is None:
            found = CommonAtDate(
                on,
                referential.common_parameter("vat_rate", on),
                referential.common_parameter("pre_referencing_max_days", on),
            )
            self._common[on] = found
        return found


@dataclass(frozen=True)
class OrderContext:
    """What one order is checked against.

    `legal_entities` is keyed by FINESS EJ and `sites` by FINESS ET (normalised: no spaces,
    upper case); `ceiling_ht_cents` is the client's ceiling from the eligibility base, None
    when unknown; `other_orders` maps (dispositif code upper, ES-PMSI or RPPS) to the orders
    already holding that Prestation (the order itself is ignored if listed).
    """

    referential: Referential
    today: dt.date
    solution: Solution | None = None
    vendor: Vendor | None = None
    legal_entities: Mapping[str, LegalEntity] = field(default_factory=dict)
    sites: Mapping[str, Site] = field(default_factory=dict)
    ceiling_ht_cents: int | None = None
    other_orders: PrestationIndex = field(default_factory=dict)
    cache: CheckCache = field(default_factory=CheckCache, repr=False, compare=False)

    def snapshot(self, code: str, on: dt.date) -> DispositifSnapshot | None:
        return self.cache.snapshot(self.referential, code, on)

    def common(self, on: dt.date) -> CommonAtDate:
        return self.cache.common(self.referential, on)

    def cite(self, item: Sourced) -> str:
        """The source of a rule stated in code, among the referential's global sources."""
        return cite(item, self.referential.sources)
