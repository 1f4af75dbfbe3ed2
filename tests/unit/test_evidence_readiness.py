"""Readiness, pure: which transmissions count, the verdict of each condition, of each site and
of each order; MOM and VA against the installed scenario."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from evidence_samples import (
    BOURG,
    BOURG_ANSWERS,
    LYON,
    PARIS,
    PARIS_ANSWERS,
    SIGNED,
    expected_log,
    write_csv,
)
from sons.domain.evidence import (
    ConditionStatus,
    Criterion,
    EvidencePiece,
    FlowEvidence,
    SiteReadiness,
    Tally,
    Transmission,
    Verdict,
    assess_site,
    combine_verdicts,
    condition_verdict,
    contradictions,
    criterion_for,
    parse_flow_routes,
    progress_text,
    readiness_text,
    tally,
)
from sons.findings import Severity
from sons.formats.problems import ImportReport
from sons.formats.transmissions import read_transmissions
from sons.referential.loader import default_referential
from sons.referential.model import BalanceCondition, Evidence, Flow, Route
from sons.referential.scenario import applicable_balance_conditions

AS_OF = dt.date(2024, 1, 15)
AT = dt.datetime(2023, 6, 1, tzinfo=dt.UTC)


def ris_conditions(answers: dict[str, object]) -> list[BalanceCondition]:
    view = default_referential().at("RAD-RIS-Va1", SIGNED)
    return applicable_balance_conditions(view, answers)


def logged(tmp_path: Path) -> tuple[list[Transmission], dict[tuple[str, str, str], int]]:
    rows, expected = expected_log()
    path = write_csv(tmp_path / "journal.csv", rows)
    report = ImportReport.for_path(path, "journal")
    now = dt.datetime(2024, 1, 15, tzinfo=dt.UTC)
    lines = list(read_transmissions(path, report, now=now))
    assert not report.has_errors, [str(p) for p in report.errors]
    return [line.transmission for line in lines if line.transmission is not None], expected


def criterion(condition: BalanceCondition, site: str | None, since: dt.date = SIGNED) -> Criterion:
    return criterion_for(condition, site, "RIS Horizon", "4.2", since, AS_OF)


# --- which transmissions count ----------------------------------------------------------------


def test_every_condition_counts_exactly_what_it_should(tmp_path: Path) -> None:
    transmissions, expected = logged(tmp_path)
    counted = {}
    for site, answers, since in (
        (PARIS, PARIS_ANSWERS, SIGNED),
        (BOURG, BOURG_ANSWERS, SIGNED),
        (LYON, {**PARIS_ANSWERS, "mss_pro_direct": False, "mss_patient_direct": False},
         dt.date(2023, 3, 1)),
    ):  # fmt: skip
        for condition in ris_conditions(answers):
            found = tally(criterion(condition, site, since), transmissions).count
            counted[(site, condition.flow.value, condition.route.value)] = found
    assert counted == expected


def test_the_same_rule_on_one_transmission(tmp_path: Path) -> None:
    transmissions, _ = logged(tmp_path)
    dmp = next(c for c in ris_conditions(PARIS_ANSWERS) if c.id == "dmp_direct")
    rule = criterion(dmp, PARIS)
    assert sum(rule.accepts(t) for t in transmissions) == 9
    first = next(t for t in transmissions if rule.accepts(t))
    for change in (
        {"acknowledged": False},
        {"ins_status": "non_qualifiee"},
        {"document_type": "11502-2"},
        {"software_version": "4.3"},
        {"finess_et": BOURG},
        {"route": Route.THIRD_PARTY},
        {"sent_at": dt.datetime(2023, 1, 31, 23, 59, tzinfo=dt.UTC)},
        {"sent_at": dt.datetime(2024, 1, 16, tzinfo=dt.UTC)},
    ):
        assert not rule.accepts(first._replace(**change)), change


def test_until_bounds_the_count(tmp_path: Path) -> None:
    transmissions, _ = logged(tmp_path)
    dmp = next(c for c in ris_conditions(PARIS_ANSWERS) if c.id == "dmp_direct")
    early = criterion_for(dmp, PARIS, "RIS Horizon", "4.2", SIGNED, dt.date(2023, 3, 3))
    # The signature day, one each from the 1st to the 3rd of March, and « ris  HORIZON »
    # (2 March); the four others of March come after.
    assert tally(early, transmissions).count == 5


def test_inferred_fields_are_said_so() -> None:
    dmp = next(c for c in ris_conditions(PARIS_ANSWERS) if c.id == "dmp_direct")
    text = criterion(dmp, PARIS).describe()
    assert "type de document 18748-4 (déduit par sons)" in text and "INS qualifiée" in text


def test_a_site_without_finess_cannot_be_counted() -> None:
    dmp = next(c for c in ris_conditions(PARIS_ANSWERS) if c.id == "dmp_direct")
    rule = criterion_for(dmp, None, "RIS Horizon", "4.2", SIGNED)
    assert rule.unsupported is not None and "sans FINESS" in rule.unsupported


@pytest.mark.parametrize("present", [True, False])
def test_a_site_without_finess_is_neither_ready_nor_short(present: bool) -> None:
    # An order to a professional whose practice has no FINESS ET: nothing in the log can be
    # attributed to it, so neither « prêt » nor « manque » — whatever the count or the piece.
    dmp = next(c for c in ris_conditions(PARIS_ANSWERS) if c.id == "dmp_direct")
    rule = criterion_for(dmp, None, "RIS Horizon", "4.2", SIGNED)
    for achieved in (0, 10):
        status = ConditionStatus.for_condition(
            None, dmp, achieved, SIGNED, AS_OF, present, uncountable=rule.unsupported
        )
        verdict = condition_verdict(status)
        assert verdict.ready is None
        assert verdict.text == f"Non déterminable : {rule.unsupported}"
        assert verdict.gaps == (f"DMP : {rule.unsupported}",)
    practice = site([dmp], {"dmp_direct": 10}, [mom("dmp/direct")] if present else [], None)
    assert practice.verdict.ready is None
    assert readiness_text(practice.verdict).startswith("Non déterminable : DMP : site sans FINESS")


# --- the verdict of one condition -------------------------------------------------------------


def status(
    threshold: int | None, achieved: int, present: bool, ins: bool | None = True
) -> ConditionStatus:
    counts = FlowEvidence(
        PARIS, Flow.DMP, Route.DIRECT, "…", threshold, achieved, SIGNED, AS_OF, ins
    )
    return ConditionStatus(counts, Evidence.MOM, present)


def test_progress_reads_as_the_vendor_expects() -> None:
    assert progress_text(status(10, 7, True).counts) == "DMP : 7/10 avec INS qualifiée"
    assert condition_verdict(status(10, 7, True)).gaps == ("DMP : 7/10 avec INS qualifiée",)
    assert condition_verdict(status(10, 12, False)).gaps == ("MOM manquante",)
    assert condition_verdict(status(10, 10, True)) == Verdict(True, "Prêt pour le solde")


@pytest.mark.parametrize(("threshold", "ins"), [(None, True), (10, None), (None, None)])
def test_unknown_referential_values_are_never_ready(
    threshold: int | None, ins: bool | None
) -> None:
    verdict = condition_verdict(status(threshold, 10_000, True, ins))
    assert verdict.ready is None
    assert "non renseigné" in verdict.text or "non renseignée" in verdict.text


def test_an_unknown_threshold_with_a_missing_piece_is_short() -> None:
    verdict = condition_verdict(status(None, 3, False))
    assert verdict.ready is False and "seuil non renseigné" in verdict.text


# --- sites and orders -------------------------------------------------------------------------


def mom(flows: str, *, accepted: bool = True) -> EvidencePiece:
    pairs, problems = parse_flow_routes(flows)
    assert not problems
    return EvidencePiece(Evidence.MOM, pairs, AT, "Jean Dupont", "La MOM n° 1", accepted)


def site(
    conditions: list[BalanceCondition],
    counts: dict[str, int],
    pieces: list[EvidencePiece],
    finess: str | None = PARIS,
) -> SiteReadiness:
    return assess_site(
        finess,
        conditions,
        {c.id: criterion(c, finess) for c in conditions},
        {key: Tally(value) for key, value in counts.items()},
        pieces,
        scenario_installed=True,
        period_end=AS_OF,
    )


def test_a_site_is_ready_when_every_condition_is() -> None:
    conditions = ris_conditions(PARIS_ANSWERS)
    counts = {"dmp_direct": 10, "mss_pro_direct": 12, "mss_patient_direct": 1}
    result = site(conditions, counts, [mom("dmp/direct,mss_pro/direct,mss_patient/direct")])
    assert result.verdict.ready is True
    assert readiness_text(result.verdict) == "Prêt pour le solde"


def test_a_site_says_what_is_missing() -> None:
    conditions = ris_conditions(PARIS_ANSWERS)
    counts = {"dmp_direct": 7, "mss_pro_direct": 12, "mss_patient_direct": 1}
    result = site(conditions, counts, [mom("mss_pro/direct,mss_patient/direct,dmp/direct")])
    assert readiness_text(result.verdict) == "Manque : DMP : 7/10 avec INS qualifiée"
    result = site(conditions, {**counts, "dmp_direct": 10}, [])
    assert readiness_text(result.verdict) == "Manque : MOM manquante"


def test_a_piece_attesting_a_flow_not_installed_does_not_count() -> None:
    conditions = ris_conditions(PARIS_ANSWERS)
    counts = {"dmp_direct": 10, "mss_pro_direct": 12, "mss_patient_direct": 1}
    wrong = mom("dmp/direct,mss_pro/direct,mss_patient/direct,dmp/third_party")
    result = site(conditions, counts, [wrong])
    assert result.verdict.ready is False
    codes = {(f.code, f.severity) for f in result.findings}
    assert ("EVIDENCE_CONTRADICTS_SCENARIO", Severity.ERROR) in codes
    gaps = result.verdict.gaps
    assert gaps == ("MOM présente mais inutilisable (en contradiction avec le scénario installé)",)


def test_a_piece_missing_a_flow_is_a_warning_and_another_piece_may_complete() -> None:
    conditions = ris_conditions(PARIS_ANSWERS)
    partial = mom("dmp/direct")
    findings = contradictions(partial, conditions, "site X")
    assert {f.severity for f in findings} == {Severity.WARNING}
    assert len(findings) == 2  # MSS Pro and MSS Patient are not attested
    counts = {"dmp_direct": 10, "mss_pro_direct": 12, "mss_patient_direct": 1}
    result = site(conditions, counts, [partial, mom("mss_pro/direct,mss_patient/direct")])
    assert result.verdict.ready is True


def test_a_rejected_va_never_counts() -> None:
    conditions = ris_conditions(BOURG_ANSWERS)
    pairs, _ = parse_flow_routes("dmp/third_party,mss_patient/third_party")
    va = EvidencePiece(Evidence.VA, pairs, AT, "x", "La VA n° 2", accepted=False)
    result = site(conditions, {"dmp_third_party": 10, "mss_patient_third_party": 1}, [va], BOURG)
    assert result.verdict.ready is False
    assert "signature non valide" in result.verdict.gaps[0]


def test_an_unknown_threshold_makes_the_order_undeterminable() -> None:
    view = default_referential().at("HOP-PFI-Va1", dt.date(2022, 6, 1))
    conditions = applicable_balance_conditions(view, {})
    assert any(c.threshold is None for c in conditions)
    pairs = frozenset((c.flow, c.route) for c in conditions)
    va = EvidencePiece(Evidence.VA, pairs, AT, "x", "La VA n° 1")
    result = assess_site(
        PARIS,
        conditions,
        {c.id: criterion(c, PARIS) for c in conditions},
        {c.id: Tally(1000) for c in conditions},
        [va],
        scenario_installed=True,
        period_end=AS_OF,
    )
    assert result.verdict.ready is None
    assert "seuil non renseigné" in readiness_text(result.verdict)


def test_order_gaps_are_grouped_by_site_once_each() -> None:
    short = Verdict(False, "x", ("DMP : 7/10 avec INS qualifiée", "MOM manquante"))
    piece = Verdict(False, "x", ("MOM manquante",))
    other = Verdict(False, "x", ("VA manquante",))
    combined = combine_verdicts([short, piece, other], prefix=["site 1", "site 1", "site 2"])
    assert combined.gaps == (
        "site 1 — DMP : 7/10 avec INS qualifiée, MOM manquante",
        "site 2 — VA manquante",
    )
    assert combine_verdicts([Verdict(True, "ok"), Verdict(None, "?", ("seuil",))]).ready is None
    assert combine_verdicts([]).ready is None


def test_flows_are_parsed_with_their_route() -> None:
    pairs, problems = parse_flow_routes("dmp/direct, MSS_PRO/third_party")
    assert pairs == {(Flow.DMP, Route.DIRECT), (Flow.MSS_PRO, Route.THIRD_PARTY)}
    assert not problems
    _, problems = parse_flow_routes("dmp,fax/direct")
    assert len(problems) == 2 and "flux/voie" in problems[0]
