"""Order checks: what the YAML cases cannot say conveniently — wording, the rule registry,
the caches, the index of Prestations, and properties over many amounts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sons.domain.checks import (
    RULES,
    RULES_BY_CODE,
    CheckSession,
    OrderContext,
    check_order,
    client_keys,
    index_prestations,
)
from sons.domain.checks.cases import OrderCase, build_order_case, run_order_case
from sons.domain.money import format_euros, ttc_from_ht
from sons.domain.orders import (
    ClientKind,
    FundedDimension,
    LegalEntity,
    LegalStatus,
    OrderLine,
    PurchaseOrder,
    Site,
    SiteScenario,
    Solution,
    Vendor,
    es_pmsi,
)
from sons.findings import Finding, Severity
from sons.referential.loader import Referential, default_referential
from sons.schema_errors import french_errors

TODAY = dt.date(2022, 10, 1)
PUBLIC_EJ, SITE_A, SITE_B = "750000010", "750000028", "750000036"
PRIVATE_EJ, CLINIC_1, CLINIC_2 = "130000011", "130000029", "130000037"

RIS_NONE: dict[str, Any] = {
    "identity_referential": False,
    "hospital_environment": False,
    "mss_operator": "",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": True,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": False,
}

ENTITIES = {
    PUBLIC_EJ: LegalEntity(PUBLIC_EJ, "Centre hospitalier", LegalStatus.PUBLIC),
    PRIVATE_EJ: LegalEntity(PRIVATE_EJ, "Clinique", LegalStatus.PRIVATE),
}
SITES = {
    SITE_A: Site(SITE_A, PUBLIC_EJ, "CH, site A"),
    SITE_B: Site(SITE_B, PUBLIC_EJ, "CH, site B"),
    CLINIC_1: Site(CLINIC_1, PRIVATE_EJ, "Clinique, site 1"),
    CLINIC_2: Site(CLINIC_2, PRIVATE_EJ, "Clinique, site 2"),
}
SOLUTION = Solution(
    "RIS Exemple", "1.0", "REF-RIS-001", "RAD-RIS-Va1", frozenset({"Général"}), dt.date(2022, 3, 1)
)
VENDOR = Vendor("Fournisseur", "123456782", "12345678200010")


@pytest.fixture(scope="module")
def referential() -> Referential:
    return default_referential()


def make_order(referential: Referential, **changes: Any) -> PurchaseOrder:
    order = PurchaseOrder(
        number="BDC-1",
        vendor_siret=VENDOR.siret,
        solution_referencing_number=SOLUTION.referencing_number,
        dispositif="RAD-RIS-Va1",
        client_kind=ClientKind.LEGAL_ENTITY,
        client_id=PUBLIC_EJ,
        signed_on=dt.date(2022, 6, 15),
        signatory="Directrice",
        prestation_ht_cents=1_000_000,
        prestation_ttc_cents=1_200_000,
        referential_pin=referential.pin,
        sites=(SiteScenario(SITE_A, dict(RIS_NONE)),),
        lines=(OrderLine("Licence", 1_000_000, FundedDimension.LICENCE),),
    )
    return dataclasses.replace(order, **changes)


def make_context(referential: Referential, **changes: Any) -> OrderContext:
    context = OrderContext(
        referential=referential,
        today=TODAY,
        solution=SOLUTION,
        vendor=VENDOR,
        legal_entities=ENTITIES,
        sites=SITES,
        ceiling_ht_cents=2_000_000,
    )
    return dataclasses.replace(context, **changes)


def only(findings: list[Finding], code: str) -> Finding:
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, [f.code for f in findings]
    return found[0]


def test_base_order_passes(referential: Referential) -> None:
    assert check_order(make_order(referential), make_context(referential)) == []


# --- the registry of rules -----------------------------------------------------------------


def test_rule_codes_are_unique_stable_ascii_and_explained() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    for rule in RULES:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", rule.code), rule.code
        assert rule.summary.strip() and rule.summary.endswith(".")
    required = {
        "SCENARIO_PROFILE_MISSING",
        "ORDER_SOLUTION_UNKNOWN",
        "ORDER_SOLUTION_DISPOSITIF_MISMATCH",
        "ORDER_SIGNED_IN_FUTURE",
        "ORDER_AFTER_DEADLINE",
        "ORDER_DEADLINE_UNKNOWN",
        "ORDER_REFERENCING_MENTION_MISSING",
        "ORDER_TOO_EARLY_BEFORE_REFERENCING",
        "AMOUNT_PRESTATION_NOT_POSITIVE",
        "AMOUNT_PRESTATION_LINES_MISMATCH",
        "ORDER_LINE_NOT_FUNDED_BILLED_AS_SEGUR",
        "AMOUNT_TTC_INCONSISTENT",
        "AMOUNT_ABOVE_CEILING",
        "CEILING_UNKNOWN",
        "ORDER_DUPLICATE_PRESTATION",
        "ORDER_NO_SITE",
        "ORDER_SITE_DUPLICATE",
        "ORDER_SITE_UNKNOWN",
        "ORDER_SITE_OUTSIDE_CLIENT",
        "ORDER_RAD_SINGLE_SCENARIO",
        "FINESS_INVALID",
        "RPPS_INVALID",
        "ORDER_REFERENTIAL_PIN_OUTDATED",
        "ORDER_DISPOSITIF_UNKNOWN",
    }
    assert required <= set(RULES_BY_CODE)


def test_every_finding_is_a_registered_rule_with_its_severity(referential: Referential) -> None:
    order = make_order(
        referential,
        dispositif="RAD-RIS-Va1",
        signed_on=dt.date(2022, 12, 5),
        prestation_ttc_cents=1_300_000,
        referential_pin="0.1.0+old",
        sites=(
            SiteScenario(SITE_A, {**RIS_NONE, "identity_referential": True, "dmp_via_pfi": True}),
            SiteScenario(CLINIC_1, {"bogus": 1, "dmp_direct": "oui"}),
            SiteScenario("750000029", dict(RIS_NONE)),
            SiteScenario(SITE_A, dict(RIS_NONE)),
        ),
    )
    solution = dataclasses.replace(
        SOLUTION, profiles=frozenset({"Général", "Inconnu"}), referenced_on=dt.date(2023, 6, 1)
    )
    context = make_context(
        referential,
        solution=solution,
        vendor=None,
        ceiling_ht_cents=500_000,
        other_orders={("RAD-RIS-VA1", PUBLIC_EJ): ("BDC-0",)},
    )
    findings = check_order(order, context)
    assert len({f.code for f in findings}) >= 15
    for finding in findings:
        rule = RULES_BY_CODE[finding.code]
        assert finding.severity is rule.severity, finding.code
        assert finding.message.strip()


# --- wording: which answer requires which profile, which date, which amounts ----------------


def test_profile_missing_names_the_answer_the_profile_and_what_the_solution_holds(
    referential: Referential,
) -> None:
    order = make_order(
        referential,
        sites=(
            SiteScenario(SITE_A, dict(RIS_NONE)),
            SiteScenario(SITE_B, {**RIS_NONE, "identity_referential": True}),
        ),
    )
    findings = check_order(order, make_context(referential))
    missing = only(findings, "SCENARIO_PROFILE_MISSING")
    assert missing.path == "sites[1].scenario"
    assert "« Référentiel d'identités »" in missing.message
    assert "référentiel d'identité ?" in missing.message  # the question's own label
    assert "= Oui" in missing.message
    assert "profils obtenus : Général" in missing.message
    assert missing.rule == "identity_referential_requires_profile"
    assert "Profils RAD-RIS-Va1" in missing.source


def test_after_deadline_names_both_dates_and_cites_the_parameter(referential: Referential) -> None:
    order = make_order(referential, signed_on=dt.date(2022, 12, 3))
    findings = check_order(order, make_context(referential, today=dt.date(2023, 1, 1)))
    late = only(findings, "ORDER_AFTER_DEADLINE")
    assert "3 décembre 2022" in late.message
    assert "30 novembre 2022" in late.message
    assert "3 jour(s) de retard" in late.message
    assert late.rule == "order_deadline"
    assert "Calendrier de la vague 1" in late.source


def test_deadline_unknown_says_non_renseigne_never_guesses(referential: Referential) -> None:
    dispositif = referential.get("RAD-RIS-Va1")
    parameters = {k: v for k, v in dispositif.parameters.items() if k != "order_deadline"}
    stripped = dataclasses.replace(dispositif, parameters=parameters)
    other = dataclasses.replace(
        referential, dispositifs={**referential.dispositifs, "RAD-RIS-VA1": stripped}
    )
    order = make_order(other, signed_on=dt.date(2030, 1, 1))
    findings = check_order(order, make_context(other, today=dt.date(2030, 2, 1)))
    unknown = only(findings, "ORDER_DEADLINE_UNKNOWN")
    assert unknown.severity is Severity.WARNING
    assert "non renseigné" in unknown.message
    assert "ORDER_AFTER_DEADLINE" not in {f.code for f in findings}


def test_too_early_before_referencing_says_what_sons_does_not_know(
    referential: Referential,
) -> None:
    order = make_order(referential, under_referencing_condition=True)
    solution = dataclasses.replace(SOLUTION, referenced_on=dt.date(2023, 1, 1))
    findings = check_order(order, make_context(referential, solution=solution))
    early = only(findings, "ORDER_TOO_EARLY_BEFORE_REFERENCING")
    assert early.severity is Severity.WARNING
    assert "200 jours" in early.message and "120 jours" in early.message
    assert "dossier complet" in early.message and "ne connaît pas" in early.message


@settings(max_examples=200, deadline=None)
@given(
    ht=st.integers(min_value=1, max_value=10**9),
    ceiling=st.integers(min_value=1, max_value=10**9),
    ttc_shift=st.integers(min_value=-2, max_value=2),
)
def test_ceiling_is_compared_ht_and_ttc_to_the_cent(ht: int, ceiling: int, ttc_shift: int) -> None:
    referential = default_referential()
    ttc = ttc_from_ht(ht, 20) + ttc_shift
    order = make_order(referential, prestation_ht_cents=ht, prestation_ttc_cents=ttc, lines=())
    findings = check_order(order, make_context(referential, ceiling_ht_cents=ceiling))
    codes = [f.code for f in findings]
    ceiling_ttc = ttc_from_ht(ceiling, 20)
    over_ht, over_ttc = ht > ceiling, ttc > ceiling_ttc
    assert ("AMOUNT_ABOVE_CEILING" in codes) == (over_ht or over_ttc)
    assert ("AMOUNT_TTC_INCONSISTENT" in codes) == (ttc_shift != 0)
    if over_ht or over_ttc:
        above = only(findings, "AMOUNT_ABOVE_CEILING")
        assert ("en HT" in above.message) == over_ht
        assert ("en TTC" in above.message) == over_ttc
        assert above.path == ("prestation_ht" if over_ht else "prestation_ttc")
        if over_ht:
            assert f"{format_euros(ht)} pour un plafond de {format_euros(ceiling)}" in above.message
        if over_ttc:
            assert format_euros(ceiling_ttc) in above.message


def test_ceiling_unknown_is_a_warning_not_a_guess(referential: Referential) -> None:
    order = make_order(referential, prestation_ht_cents=10**12, prestation_ttc_cents=12 * 10**11)
    order = dataclasses.replace(order, lines=())
    findings = check_order(order, make_context(referential, ceiling_ht_cents=None))
    assert [f.code for f in findings] == ["CEILING_UNKNOWN"]
    assert findings[0].severity is Severity.WARNING
    assert "non renseigné" in findings[0].message


# --- perimeter: the ES-PMSI and the index of Prestations -----------------------------------


def test_es_pmsi_is_the_ej_for_public_and_the_et_for_private() -> None:
    assert es_pmsi(ENTITIES[PUBLIC_EJ], SITES[SITE_A]) == PUBLIC_EJ
    assert es_pmsi(ENTITIES[PRIVATE_EJ], SITES[CLINIC_1]) == CLINIC_1
    assert es_pmsi(ENTITIES[PRIVATE_EJ], CLINIC_2) == CLINIC_2


def test_client_keys_and_index(referential: Referential) -> None:
    public = make_order(
        referential,
        number="P",
        sites=(SiteScenario(SITE_A, RIS_NONE), SiteScenario(SITE_B, RIS_NONE)),
    )
    private = make_order(
        referential,
        number="Q",
        client_id=PRIVATE_EJ,
        sites=(SiteScenario(CLINIC_1, RIS_NONE), SiteScenario(" 130 000 037", RIS_NONE)),
    )
    doctor = make_order(
        referential,
        number="R",
        dispositif="mdv-lgc-va1",
        client_kind=ClientKind.PROFESSIONAL,
        client_id="100 000 000 09",
        sites=(SiteScenario(None, {}),),
    )
    stranger = make_order(referential, number="S", client_id="690000013")
    keys = client_keys(public, ENTITIES)
    assert keys is not None
    assert [(k.client_key, k.path) for k in keys] == [(PUBLIC_EJ, "client_id")]
    keys = client_keys(private, ENTITIES)
    assert keys is not None
    assert [k.client_key for k in keys] == [CLINIC_1, CLINIC_2]
    assert client_keys(stranger, ENTITIES) is None
    index = index_prestations([public, private, doctor, stranger, public], ENTITIES)
    assert index == {
        ("RAD-RIS-VA1", PUBLIC_EJ): ("P",),
        ("RAD-RIS-VA1", CLINIC_1): ("Q",),
        ("RAD-RIS-VA1", CLINIC_2): ("Q",),
        ("MDV-LGC-VA1", "10000000009"): ("R",),
    }
    # The whole store's index is usable as is: an order never collides with itself.
    session = CheckSession(
        referential, TODAY, legal_entities=ENTITIES, sites=SITES, other_orders=index
    )
    assert session.check(public, solution=SOLUTION, vendor=VENDOR, ceiling_ht_cents=10**7) == []
    rival = dataclasses.replace(private, number="Q2", sites=(SiteScenario(CLINIC_2, RIS_NONE),))
    findings = session.check(rival, solution=SOLUTION, vendor=VENDOR, ceiling_ht_cents=10**7)
    duplicate = only(findings, "ORDER_DUPLICATE_PRESTATION")
    assert "« Q »" in duplicate.message and CLINIC_2 in duplicate.message
    assert duplicate.path == "sites[0].finess_et"


# --- caches: shared across orders, never changing an answer --------------------------------


def test_session_results_equal_fresh_contexts(referential: Referential) -> None:
    session = CheckSession(referential, TODAY, legal_entities=ENTITIES, sites=SITES)
    orders = [
        make_order(
            referential,
            number=f"BDC-{i}",
            signed_on=dt.date(2022, 1, 1) + dt.timedelta(days=i * 7 % 200),
            sites=(SiteScenario(SITE_A, {**RIS_NONE, "identity_referential": i % 3 == 0}),),
        )
        for i in range(30)
    ]
    for order in orders:
        shared = session.check(order, solution=SOLUTION, vendor=VENDOR, ceiling_ht_cents=10**7)
        fresh = check_order(
            order, make_context(referential, solution=SOLUTION, ceiling_ht_cents=10**7)
        )
        assert shared == fresh


def test_memoised_scenarios_keep_the_date_of_each_order(referential: Referential) -> None:
    session = CheckSession(referential, TODAY, legal_entities=ENTITIES, sites=SITES)
    answers = {**RIS_NONE, "not_a_question": True}
    messages = []
    for day in (dt.date(2022, 5, 2), dt.date(2022, 5, 3)):
        order = make_order(referential, signed_on=day, sites=(SiteScenario(SITE_A, answers),))
        findings = session.check(order, solution=SOLUTION, vendor=VENDOR, ceiling_ht_cents=10**7)
        messages.append(only(findings, "SCENARIO_ANSWER_UNKNOWN").message)
    assert "2022-05-02" in messages[0] and "2022-05-03" in messages[1]


def test_unhashable_answers_are_still_checked(referential: Referential) -> None:
    order = make_order(
        referential, sites=(SiteScenario(SITE_A, {**RIS_NONE, "dmp_direct": ["oui"]}),)
    )
    findings = check_order(order, make_context(referential))
    assert only(findings, "SCENARIO_ANSWER_INVALID").path == "sites[0].scenario.dmp_direct"


def test_unknown_dispositif_still_checks_amounts_and_dates(referential: Referential) -> None:
    order = make_order(
        referential, dispositif="XXX-YYY-Va9", prestation_ht_cents=0, signed_on=TODAY
    )
    solution = dataclasses.replace(SOLUTION, dispositif="XXX-YYY-Va9")
    findings = check_order(order, make_context(referential, solution=solution))
    codes = {f.code for f in findings}
    assert {"ORDER_DISPOSITIF_UNKNOWN", "AMOUNT_PRESTATION_NOT_POSITIVE"} <= codes
    assert not any(code.startswith("SCENARIO_") for code in codes)


# --- the YAML case model --------------------------------------------------------------------


def _case(**changes: Any) -> dict[str, Any]:
    case: dict[str, Any] = {
        "name": "cas",
        "kind": "order",
        "today": "2022-10-01",
        "order": {
            "dispositif": "RAD-RIS-Va1",
            "client_id": PUBLIC_EJ,
            "signed_on": "2022-06-15",
            "prestation_ht": "10 000,00",
            "prestation_ttc": "12 000,00",
            "sites": [{"finess_et": SITE_A, "answers": RIS_NONE}],
        },
        "solution": {"dispositif": "RAD-RIS-Va1", "profiles": ["Général"]},
        "legal_entities": [{"finess_ej": PUBLIC_EJ, "status": "public"}],
        "sites": [{"finess_et": SITE_A, "finess_ej": PUBLIC_EJ}],
        "ceiling_ht": "20 000,00",
        "expect": {"findings": ["ORDER_REFERENCING_DATE_UNKNOWN"]},
    }
    case.update(changes)
    return case


def test_case_builds_the_order_in_cents(referential: Referential) -> None:
    order, context = build_order_case(OrderCase.model_validate(_case()), referential)
    assert (order.prestation_ht_cents, order.prestation_ttc_cents) == (1_000_000, 1_200_000)
    assert context.ceiling_ht_cents == 2_000_000
    assert order.referential_pin == referential.pin
    assert run_order_case(OrderCase.model_validate(_case()), referential) == []


def test_case_runner_reports_a_wrong_expectation(referential: Referential) -> None:
    case = OrderCase.model_validate(_case(expect={"findings": ["ORDER_NO_SITE"]}))
    problems = run_order_case(case, referential)
    assert problems and "ORDER_NO_SITE" in problems[0]
    assert any("ORDER_REFERENCING_DATE_UNKNOWN" in p for p in problems)


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"ceilling_ht": "1,00"}, "ceilling_ht"),
        ({"order": {**_case()["order"], "signed_onn": "2022-06-15"}}, "order.signed_onn"),
        (
            {"solution": {"dispositif": "X", "profiles": [], "referenced": None}},
            "solution.referenced",
        ),
        ({"expect": {"finding": []}}, "expect.finding"),
    ],
)
def test_case_refuses_typos_in_french(changes: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError) as caught:
        OrderCase.model_validate(_case(**changes))
    errors = dict(french_errors(caught.value))
    assert errors.get(where) == "clé inconnue (non prévue par le format)", errors


def test_case_amounts_are_text_in_euros() -> None:
    with pytest.raises(ValidationError) as caught:
        OrderCase.model_validate(_case(ceiling_ht=20000))
    assert "1 234,50" in dict(french_errors(caught.value))["ceiling_ht"]
    with pytest.raises(ValidationError) as caught:
        OrderCase.model_validate(_case(ceiling_ht="20 000,001"))
    assert "deux décimales" in dict(french_errors(caught.value))["ceiling_ht"]
