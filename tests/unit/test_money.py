"""Tests for sons.domain.money (integer cents, French format, VAT, advance/balance split)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sons.domain.money import (
    AmountError,
    format_euros,
    ht_from_ttc,
    parse_euros,
    split_cents,
    ttc_from_ht,
)

VAT_RATES = [0, 20, 10, Decimal("5.5"), Decimal("2.1"), Decimal("8.5"), Decimal("19.6")]
cents_values = st.integers(min_value=-(10**15), max_value=10**15)
non_negative_cents = st.integers(min_value=0, max_value=10**15)
rates = st.sampled_from(VAT_RATES) | st.decimals(
    min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False
)


def _decimal_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------
# parse_euros
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.50", 123450),
        ("1 234,50", 123450),
        ("1234,5", 123450),
        ("1234", 123400),
        ("0,05", 5),
        ("0", 0),
        ("  12,30  ", 1230),
        ("1 234,50 €", 123450),
        ("1234,50€", 123450),
        ("1234,50 EUR", 123450),
        ("1\u00a0234,50", 123450),
        ("1\u202f234\u202f567,89\u202f€", 123456789),
        ("1 000 000", 100000000),
        ("+12", 1200),
        ("007,10", 710),
    ],
)
def test_parse_euros_accepts(text: str, cents: int) -> None:
    assert parse_euros(text) == cents


@pytest.mark.parametrize("text", ["1,234", "1.234", "0,001", "12,500"])
def test_parse_euros_refuses_three_decimals(text: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_euros(text)
    assert caught.value.code == "AMOUNT_TOO_MANY_DECIMALS"
    assert "deux décimales" in caught.value.message


@pytest.mark.parametrize("text", ["-5", "-1 234,50 €", "-0,01", "-0"])
def test_parse_euros_refuses_negative_unless_allowed(text: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_euros(text)
    assert caught.value.code == "AMOUNT_NEGATIVE"
    assert "négatif" in caught.value.message


def test_parse_euros_negative_allowed() -> None:
    assert parse_euros("-5", allow_negative=True) == -500
    assert parse_euros("-1 234,50 €", allow_negative=True) == -123450
    assert parse_euros("-0", allow_negative=True) == 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "12a",
        "€",
        "1.234,50",
        "1,234.50",
        "1,2,3",
        "12 34",
        "1234 567",
        "1  234",
        "1234.",
        ",50",
        "--1",
        "- 1",
        "1e3",
        "١٢٣",
        "12,-5",
        "nan",
        "1 234,50 € €",
    ],
)
def test_parse_euros_refuses_garbage(text: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_euros(text)
    assert caught.value.code == "AMOUNT_INVALID"
    assert str(caught.value) == caught.value.message


def test_amount_error_is_a_value_error() -> None:
    assert issubclass(AmountError, ValueError)


# ---------------------------------------------------------------------------------------------
# format_euros
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (123450, "1 234,50 €"),
        (0, "0,00 €"),
        (5, "0,05 €"),
        (99, "0,99 €"),
        (100, "1,00 €"),
        (99999, "999,99 €"),
        (100000000, "1 000 000,00 €"),
        (-123450, "-1 234,50 €"),
        (-5, "-0,05 €"),
    ],
)
def test_format_euros(cents: int, text: str) -> None:
    assert format_euros(cents) == text


@given(cents_values)
def test_format_then_parse_round_trips(cents: int) -> None:
    assert parse_euros(format_euros(cents), allow_negative=True) == cents


@given(non_negative_cents)
def test_format_then_parse_round_trips_without_negative(cents: int) -> None:
    assert parse_euros(format_euros(cents)) == cents


@given(non_negative_cents, st.sampled_from([",", "."]), st.booleans())
def test_plain_decimal_text_parses(cents: int, separator: str, short: bool) -> None:
    euros, remainder = divmod(cents, 100)
    decimals = f"{remainder:02d}"
    if short and decimals.endswith("0"):
        decimals = decimals[0]
    assert parse_euros(f"{euros}{separator}{decimals}") == cents


# ---------------------------------------------------------------------------------------------
# VAT
# ---------------------------------------------------------------------------------------------


def test_vat_examples() -> None:
    assert ttc_from_ht(10000, 20) == 12000
    assert ht_from_ttc(12000, 20) == 10000
    assert ttc_from_ht(1, 20) == 1  # 1.2 → 1
    assert ttc_from_ht(3, 20) == 4  # 3.6 → 4
    assert ttc_from_ht(5, 10) == 6  # 5.5 → 6 (half-up)
    assert ttc_from_ht(25, 2) == 26  # 25.5 → 26
    assert ttc_from_ht(35, 10) == 39  # 38.5 → 39 (banker's rounding would give 38)
    assert ttc_from_ht(100, Decimal("5.5")) == 106  # 105.5 → 106
    assert ttc_from_ht(0, 20) == 0
    assert ht_from_ttc(100, 20) == 83  # 83.33 → 83
    assert ht_from_ttc(12345, 0) == 12345


def test_vat_rate_validation() -> None:
    with pytest.raises(TypeError):
        ttc_from_ht(100, cast(Any, 19.6))
    with pytest.raises(TypeError):
        ht_from_ttc(100, True)
    for bad in (-1, Decimal("-0.5"), Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises(AmountError) as caught:
            ttc_from_ht(100, bad)
        assert caught.value.code == "VAT_RATE_INVALID"


@given(cents_values, rates)
def test_ttc_matches_decimal_half_up(ht: int, rate: Decimal | int) -> None:
    with localcontext() as context:
        context.prec = 60
        expected = _decimal_half_up(Decimal(ht) * (100 + Decimal(rate)) / 100)
    assert ttc_from_ht(ht, rate) == expected


@given(non_negative_cents, rates)
def test_ttc_is_at_least_ht(ht: int, rate: Decimal | int) -> None:
    assert ttc_from_ht(ht, rate) >= ht


@given(cents_values, rates)
def test_ht_round_trips_through_ttc(ht: int, rate: Decimal | int) -> None:
    # |ttc − ht·(1+r)| ≤ ½ cent, so |ttc/(1+r) − ht| < ½ cent: rounding gives ht back.
    assert ht_from_ttc(ttc_from_ht(ht, rate), rate) == ht


@given(cents_values, rates)
def test_ttc_round_trips_within_one_cent(ttc: int, rate: Decimal | int) -> None:
    # Not every TTC amount is reachable from a whole-cent HT: at most one cent apart (r ≤ 100).
    assert abs(ttc_from_ht(ht_from_ttc(ttc, rate), rate) - ttc) <= 1


@given(non_negative_cents, non_negative_cents, rates)
def test_ttc_is_monotonic(a: int, b: int, rate: Decimal | int) -> None:
    low, high = sorted((a, b))
    assert ttc_from_ht(low, rate) <= ttc_from_ht(high, rate)
    assert ht_from_ttc(low, rate) <= ht_from_ttc(high, rate)


# ---------------------------------------------------------------------------------------------
# split_cents
# ---------------------------------------------------------------------------------------------


def test_split_examples() -> None:
    assert split_cents(100000, 30) == (30000, 70000)
    assert split_cents(5, 30) == (2, 3)  # 1.5 → 2; 70 % alone would round 3.5 → 4
    assert split_cents(1, 50) == (1, 0)
    assert split_cents(0, 30) == (0, 0)
    assert split_cents(12345, 0) == (0, 12345)
    assert split_cents(12345, 100) == (12345, 0)
    assert split_cents(10000, Decimal("33.33")) == (3333, 6667)


def test_split_validation() -> None:
    with pytest.raises(AmountError) as caught:
        split_cents(-1, 30)
    assert caught.value.code == "AMOUNT_NEGATIVE"
    for bad in (-1, 101, Decimal("100.01"), Decimal("NaN")):
        with pytest.raises(AmountError) as caught:
            split_cents(100, bad)
        assert caught.value.code == "PERCENT_INVALID"
    with pytest.raises(TypeError):
        split_cents(100, cast(Any, 30.0))


percents = st.integers(min_value=0, max_value=100) | st.decimals(
    min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False
)


@given(non_negative_cents, percents)
def test_split_always_sums_to_total(total: int, percent: Decimal | int) -> None:
    advance, balance = split_cents(total, percent)
    assert advance + balance == total
    assert 0 <= advance <= total
    assert 0 <= balance <= total


@given(non_negative_cents, percents)
def test_split_advance_is_half_up_rounding(total: int, percent: Decimal | int) -> None:
    with localcontext() as context:
        context.prec = 60
        expected = _decimal_half_up(Decimal(total) * Decimal(percent) / 100)
    assert split_cents(total, percent)[0] == expected
