"""Dated values of the referential: what `at(date)` returns around the dates that matter."""

from __future__ import annotations

import datetime as dt

import pytest

from sons.referential.loader import Referential, ValueUnknown, default_referential
from sons.referential.model import Strength


@pytest.fixture(scope="module")
def referential() -> Referential:
    return default_referential()


@pytest.mark.parametrize("code", ["MS1-DUI-Va1", "MS2-DUI-Va1"])
def test_mss_deployment_indicator_starts_on_2024_09_12(referential: Referential, code: str) -> None:
    before = referential.at(code, dt.date(2024, 9, 11))
    assert [i.id for i in before.indicators] == []

    on = referential.at(code, dt.date(2024, 9, 12))
    (indicator,) = on.indicators
    assert indicator.id == "deploiement_mss"
    assert indicator.label == "Déploiement MSS"
    assert indicator.kinds == ["solde"]
    assert indicator.values == ["Cas 1", "Cas 2"]
    assert indicator.strength is Strength.PUBLIC


@pytest.mark.parametrize("code", ["MS1-DUI-Va1", "MS2-DUI-Va1"])
def test_mss_deployment_question_follows_the_indicator(referential: Referential, code: str) -> None:
    assert referential.at(code, dt.date(2024, 9, 11)).questions == []
    ids = [q.id for q in referential.at(code, dt.date(2024, 9, 12)).questions]
    assert ids == ["mss_deployment_case"]


@pytest.mark.parametrize(
    ("code", "deadline"),
    [("HOP-DPI-Va2", dt.date(2025, 12, 17)), ("HOP-PFI-Va2", dt.date(2025, 9, 17))],
)
def test_wave_2_hop_order_deadline_from_the_opening(
    referential: Referential, code: str, deadline: dt.date
) -> None:
    before = referential.at(code, dt.date(2024, 9, 11)).parameter("order_deadline")
    assert not before.known
    assert before.strength is Strength.UNKNOWN

    value = referential.at(code, dt.date(2025, 1, 15)).parameter("order_deadline")
    assert value.require() == deadline
    assert value.strength is Strength.PUBLIC
    assert value.since == dt.date(2024, 9, 12)
    opening = referential.at(code, dt.date(2025, 1, 15)).parameter("advance_opening")
    assert opening.value == dt.date(2024, 9, 12)


def test_drimbox_wave_2_deadlines(referential: Referential) -> None:
    view = referential.at("rad-drimbox-va2", dt.date(2026, 6, 1))
    assert view.parameter("order_deadline").require() == dt.date(2026, 11, 10)
    assert view.parameter("prestation_deadline").require() == dt.date(2027, 9, 15)
    assert view.parameter("balance_deadline").require() == dt.date(2027, 12, 15)
    assert not view.parameter("advance_opening").known


def test_unknown_parameter_refuses_with_a_french_message(referential: Referential) -> None:
    value = referential.at("HOP-DPI-Va2", dt.date(2025, 1, 15)).parameter("advance_rate")
    assert not value.known
    assert value.strength is Strength.UNKNOWN
    with pytest.raises(ValueUnknown) as raised:
        value.require()
    message = str(raised.value)
    assert "advance_rate" in message
    assert "Part de la Prestation versée en avance" in message
    assert "non renseigné au 2025-01-15" in message


def test_staleness_warning_after_the_last_check(referential: Referential) -> None:
    checked = referential.at("HOP-DPI-Va2", dt.date(2026, 11, 1)).parameter("order_deadline")
    assert checked.warning is None

    stale_view = referential.at("HOP-DPI-Va2", dt.date(2026, 11, 2))
    stale = stale_view.parameter("order_deadline")
    assert stale.value == dt.date(2025, 12, 17)
    assert stale.warning is not None
    assert "2026-11-01" in stale.warning
    assert "2026-11-02" in stale.warning
    assert "à confirmer" in stale.warning
    assert stale.warning in stale_view.warnings


def test_unknown_parameter_carries_no_staleness_warning(referential: Referential) -> None:
    value = referential.at("HOP-DPI-Va2", dt.date(2030, 1, 1)).parameter("balance_deadline")
    assert not value.known
    assert value.warning is None
