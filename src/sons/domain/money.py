"""Money in integer cents (PRIMER §8): parsing, VAT, French formatting, advance/balance split.

Pure functions, no floats anywhere: amounts are ``int`` cents, rates are ``Decimal`` or ``int``
percentages, and every computation is exact (``fractions.Fraction``) until a single final
rounding, half-up (ties away from zero), to the cent.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "THOUSANDS_SEPARATOR",
    "AmountError",
    "format_euros",
    "ht_from_ttc",
    "parse_euros",
    "split_cents",
    "ttc_from_ht",
]


class AmountError(ValueError):
    """An amount or rate that cannot be used: French ``message``, stable ASCII ``code``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


# Formatting uses a plain space (U+0020) both between thousands groups and before "€".
# Chosen over the narrow no-break space (U+202F) because generated documents go through PDF
# core fonts (Latin-1 only, no U+202F), CSV files and terminals, where U+202F is missing or
# shows as a box. HTML views that must not wrap an amount can wrap it in a nowrap element.
# Parsing accepts all three spaces (U+0020, U+00A0, U+202F) as thousands separators.
THOUSANDS_SEPARATOR = " "
_GROUP_SPACES = " \u00a0\u202f"
_CURRENCY_SUFFIXES = ("€", "EUR")

# sign, integer part (plain digits, or 1–3 digits then groups of 3 separated by one space),
# optional decimal part after "," or "." (any number of digits, checked afterwards).
_AMOUNT = re.compile(
    r"(?P<sign>[-+]?)"
    r"(?P<int>[0-9]+|[0-9]{1,3}(?: [0-9]{3})+)"
    r"(?:[.,](?P<dec>[0-9]+))?"
)


def parse_euros(text: str, allow_negative: bool = False) -> int:
    """Parse an amount in euros and return integer cents.

    Accepts ``"1234.50"``, ``"1 234,50"``, ``"1234,5"``, ``"1234"``, an optional trailing
    ``€``/``EUR`` and the output of :func:`format_euros`. Comma or dot is the decimal
    separator (only one of them, once); spaces may group thousands by three. Refuses more than
    two decimals (``AMOUNT_TOO_MANY_DECIMALS``: "1,234" is 1 euro and 234 thousandths, not a
    thousands group), a minus sign unless ``allow_negative`` (``AMOUNT_NEGATIVE``, even for
    zero: a sign is a statement about the amount) and anything else (``AMOUNT_INVALID``).
    """
    cleaned = text.strip()
    for suffix in _CURRENCY_SUFFIXES:
        if cleaned.upper().endswith(suffix):
            cleaned = cleaned[: -len(suffix)].rstrip()
            break
    for space in _GROUP_SPACES[1:]:
        cleaned = cleaned.replace(space, " ")
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise AmountError(
            f"Montant « {text.strip()} » illisible : attendu par exemple 1234,50 ou 1 234,50",
            "AMOUNT_INVALID",
        )
    decimals = match.group("dec") or ""
    if len(decimals) > 2:
        raise AmountError(
            f"Montant « {text.strip()} » : au plus deux décimales (centimes)",
            "AMOUNT_TOO_MANY_DECIMALS",
        )
    if match.group("sign") == "-" and not allow_negative:
        raise AmountError(
            f"Montant « {text.strip()} » : les montants négatifs ne sont pas acceptés ici",
            "AMOUNT_NEGATIVE",
        )
    euros = int(match.group("int").replace(" ", ""))
    cents = euros * 100 + int(decimals.ljust(2, "0"))
    return -cents if match.group("sign") == "-" else cents


def format_euros(cents: int) -> str:
    """Format integer cents the French way: ``123450`` → ``"1 234,50 €"``, ``-5`` → ``"-0,05 €"``.

    Plain spaces (U+0020) separate thousands and precede the euro sign (see
    ``THOUSANDS_SEPARATOR``).
    """
    sign = "-" if cents < 0 else ""
    euros, remainder = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", THOUSANDS_SEPARATOR)
    return f"{sign}{grouped},{remainder:02d}{THOUSANDS_SEPARATOR}€"


def _rate(percent: Decimal | int, code: str, *, maximum: int | None = None) -> Fraction:
    if isinstance(percent, bool) or not isinstance(percent, Decimal | int):
        # Floats are refused on purpose: 19.6 as a float is not 19.6.
        raise TypeError("taux attendu en Decimal ou int (pas de float)")
    if isinstance(percent, Decimal) and not percent.is_finite():
        raise AmountError(f"Taux {percent} invalide", code)
    rate = Fraction(percent)
    if rate < 0 or (maximum is not None and rate > maximum):
        bounds = "positif ou nul" if maximum is None else f"entre 0 et {maximum}"
        raise AmountError(f"Taux {percent} % invalide : attendu {bounds}", code)
    return rate


def _round_half_up(value: Fraction) -> int:
    """Round to the nearest integer, ties away from zero (ROUND_HALF_UP of ``decimal``)."""
    magnitude = (abs(value.numerator) * 2 + value.denominator) // (2 * value.denominator)
    return -magnitude if value < 0 else magnitude


def ttc_from_ht(ht_cents: int, vat_rate_percent: Decimal | int) -> int:
    """Amount including VAT from the amount excluding VAT, rounded half-up to the cent."""
    rate = _rate(vat_rate_percent, "VAT_RATE_INVALID")
    return _round_half_up(ht_cents * (100 + rate) / 100)


def ht_from_ttc(ttc_cents: int, vat_rate_percent: Decimal | int) -> int:
    """Amount excluding VAT from the amount including VAT, rounded half-up to the cent.

    For any ``ht`` and a rate ≥ 0, ``ht_from_ttc(ttc_from_ht(ht, r), r) == ht``.
    """
    rate = _rate(vat_rate_percent, "VAT_RATE_INVALID")
    return _round_half_up(ttc_cents * Fraction(100) / (100 + rate))


def split_cents(total: int, percent: Decimal | int) -> tuple[int, int]:
    """Split ``total`` cents into (advance, balance) for an advance of ``percent`` %.

    advance = total × percent / 100 rounded half-up; balance = total − advance. The balance
    is derived by subtraction rather than rounded on its own because two independent roundings
    can drift by a cent (e.g. 30 % / 70 % of 5 cents: 1.5 → 2 and 3.5 → 4, total 6), and the
    advance plus the balance paid by ASP must equal the order amount exactly.
    """
    if total < 0:
        raise AmountError(
            f"Montant {format_euros(total)} : un montant à répartir ne peut pas être négatif",
            "AMOUNT_NEGATIVE",
        )
    rate = _rate(percent, "PERCENT_INVALID", maximum=100)
    advance = _round_half_up(total * rate / 100)
    return advance, total - advance
