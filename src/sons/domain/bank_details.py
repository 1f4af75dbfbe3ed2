"""Bank details of an enrolment request: IBAN and BIC, checked by python-stdnum.

Both raise `sons.domain.identifiers.IdentifierError` (French message, stable code) and return
the compact, upper-case form the operator stores.
"""

from __future__ import annotations

import re

from stdnum import bic as _stdnum_bic
from stdnum import iban as _stdnum_iban
from stdnum import numdb
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from sons.domain.identifiers import IdentifierError

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")
_IBAN_REGISTRY = numdb.get("iban")


def check_iban(value: str) -> str:
    """An IBAN: country code, two check digits (ISO 13616, modulo 97) and the national account
    number with the length and structure of its country. The checks run from the coarsest to
    the finest, so the message names the first thing that is wrong."""
    number = _stdnum_iban.compact(value)
    shown = number or "(vide)"
    if not _IBAN_SHAPE.match(number):
        raise IdentifierError(
            f"IBAN {shown} : format incorrect ; deux lettres de pays, deux chiffres de clé puis "
            "le numéro de compte (lettres et chiffres) attendus.",
            "IBAN_INVALID",
        )
    country = number[:2]
    structure = _IBAN_REGISTRY.info(number)[0][1]
    if not structure:
        raise IdentifierError(
            f"IBAN {shown} : code pays « {country} » inconnu du registre des IBAN.", "IBAN_INVALID"
        )
    expected = 4 + sum(int(n) for n in re.findall(r"(\d+)!?[nac]", structure.get("bban", "")))
    if len(number) != expected:
        raise IdentifierError(
            f"IBAN {shown} : {len(number)} caractères ; un IBAN « {country} » en compte "
            f"{expected}.",
            "IBAN_INVALID",
        )
    try:
        return str(_stdnum_iban.validate(number))
    except ValidationError as error:
        if isinstance(error, InvalidChecksum):
            reason = "clé de contrôle incorrecte (modulo 97) : un caractère est faux ou inversé"
        else:
            reason = f"numéro de compte mal formé pour le pays « {country} » (clé RIB comprise)"
        raise IdentifierError(f"IBAN {shown} : {reason}.", "IBAN_INVALID") from error


def check_bic(value: str) -> str:
    """A BIC (ISO 9362): 4 letters of bank, 2 of country, 2 of place, optionally 3 of branch."""
    number = _stdnum_bic.compact(value)
    shown = number or "(vide)"
    try:
        return str(_stdnum_bic.validate(number))
    except ValidationError as error:
        if isinstance(error, InvalidLength):
            reason = f"{len(number)} caractère(s) ; 8 ou 11 attendus"
        elif isinstance(error, InvalidComponent):
            reason = f"code pays « {number[4:6]} » inconnu"
        elif isinstance(error, InvalidFormat):
            reason = (
                "format incorrect : 4 lettres (banque), 2 lettres (pays), 2 caractères "
                "(localité) et éventuellement 3 (agence) attendus"
            )
        else:
            reason = "numéro invalide"
        raise IdentifierError(f"BIC {shown} : {reason}.", "BIC_INVALID") from error


def iban_matches_bic_country(iban: str, bic: str) -> bool:
    """Whether the account's country (IBAN) is the bank's (BIC): a mismatch is worth a warning,
    not a refusal (a bank may hold accounts abroad)."""
    return iban[:2] == bic[4:6]
