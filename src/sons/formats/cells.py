"""Reading one value of an imported file: text, dates, amounts, yes/no, identifiers.

The same rules hold for a CSV cell, an XLSX cell and a JSON value, so that one mistake reads the
same whatever the file type. Each parser returns the value or raises `CellError` (a stable ASCII
``rule`` and a French ``message``); the readers place it (file, line, column or JSON path).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sons.domain.identifiers import IdentifierError, check_finess, check_rpps, check_siret
from sons.domain.money import AmountError, parse_euros
from sons.referential.loader import Referential, UnknownDispositif


class CellError(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return self.message


def cell_text(value: Any) -> str:
    """Any cell or JSON scalar as the text a person would have typed.

    XLSX numbers keep Excel's 15 significant digits (a formula that yields 14400.000000000002
    shows 14 400,00 in Excel and reads "14400" here); whole datetimes become ISO dates.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        text = format(value, ".15g")
        if "e" in text or "E" in text:
            text = format(Decimal(repr(value)), "f")
        return text
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def normalise_label(text: str) -> str:
    """A header or a label compared to another: NFC, single spaces, straight apostrophes.

    Spreadsheets turn « ' » into « ’ » and double spaces creep in; neither changes the words.
    """
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return " ".join(text.split())


def header_key(text: str) -> str:
    """A column name as matched against the template: case and outer spaces ignored."""
    return normalise_label(text).casefold()


# --- dates ----------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_FRENCH_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")


def parse_date(text: str) -> dt.date:
    """AAAA-MM-JJ or JJ/MM/AAAA, nothing else (no guessing between day and month orders)."""
    cleaned = text.strip()
    iso = _ISO_DATE.fullmatch(cleaned)
    french = _FRENCH_DATE.fullmatch(cleaned)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif french:
        day, month, year = (int(part) for part in french.groups())
    else:
        raise CellError(
            "DATE_FORMAT",
            f"date « {cleaned} » illisible : attendu AAAA-MM-JJ (2024-03-15) ou JJ/MM/AAAA "
            "(15/03/2024)",
        )
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError("DATE_INVALID", f"la date « {cleaned} » n'existe pas") from None


# --- amounts --------------------------------------------------------------------------------


def parse_amount(text: str) -> int:
    """Euros with at most two decimals, comma or dot, never negative → integer cents."""
    try:
        return parse_euros(text)
    except AmountError as error:
        raise CellError(error.code, error.message) from None


# --- yes / no --------------------------------------------------------------------------------

_YES = frozenset({"oui", "o", "x", "true", "vrai", "1", "yes"})
_NO = frozenset({"non", "n", "false", "faux", "0", "no"})


def parse_yes_no(text: str) -> bool | None:
    """Oui/Non, O/N, X (a ticked box), true/false, 1/0, any case; empty → None (not answered)."""
    cleaned = text.strip().casefold()
    if not cleaned:
        return None
    if cleaned in _YES:
        return True
    if cleaned in _NO:
        return False
    raise CellError(
        "YES_NO_INVALID",
        f"réponse « {text.strip()} » illisible : attendu Oui ou Non (ou O/N, X pour une case "
        "cochée, true/false, 1/0), vide si la question n'a pas de réponse",
    )


def parse_integer(text: str) -> int:
    cleaned = text.strip()
    if re.fullmatch(r"[0-9]+", cleaned) is None:
        raise CellError("INTEGER_INVALID", f"« {cleaned} » : nombre entier positif attendu")
    return int(cleaned)


# --- identifiers -----------------------------------------------------------------------------


def _lost_zero_hint(number: str) -> str:
    compact = "".join(number.split())
    if len(compact) == 8 and compact.isascii() and compact.isdigit():
        return (
            " ; le zéro initial a-t-il été perdu (cellule au format nombre) ? Saisissez le "
            "numéro comme du texte"
        )
    return ""


def parse_finess(text: str, *, strict_key: bool = True) -> tuple[str, tuple[str, ...]]:
    """A FINESS number (ET or EJ) → (normalised number, warnings)."""
    try:
        checked = check_finess(text, strict_key=strict_key)
    except IdentifierError as error:
        raise CellError(error.code, error.message + _lost_zero_hint(text)) from None
    return checked.number, checked.warnings


def parse_rpps(text: str) -> str:
    try:
        return check_rpps(text)
    except IdentifierError as error:
        raise CellError(error.code, error.message) from None


def parse_siret(text: str) -> str:
    try:
        return check_siret(text)
    except IdentifierError as error:
        raise CellError(error.code, error.message) from None


def require_text(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise CellError("VALUE_REQUIRED", f"{what} : valeur obligatoire manquante")
    return cleaned


def dispositif_parser(referential: Referential) -> Callable[[str], str]:
    """A parser of dispositif codes (any case) → the referential's canonical code."""

    def parse(text: str) -> str:
        try:
            return referential.get(text.strip()).code
        except UnknownDispositif:
            known = ", ".join(sorted(d.code for d in referential.dispositifs.values()))
            raise CellError(
                "DISPOSITIF_UNKNOWN",
                f"dispositif « {text.strip()} » inconnu du référentiel ; dispositifs connus : "
                f"{known}",
            ) from None

    return parse
