"""Checks for the identifiers of the Ségur SONS scheme (PRIMER §9).

FINESS (health organisations), RPPS (health professionals), INS (patients), SIREN/SIRET
(companies) and MSSanté addresses. Pure functions: no framework, no clock, no I/O.

Every check normalises its input, returns the normalised value and raises
:class:`IdentifierError` (a ``ValueError`` carrying a stable ASCII ``code`` and a French
``message``) on a hard error.

Privacy: an INS is a personal health identifier and a patient MSSanté address contains one;
error messages about them never repeat the value (messages end up in logs and reports).
FINESS, RPPS, SIREN and SIRET are public directory numbers and are quoted in messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError
from stdnum.fr import siren as _stdnum_siren
from stdnum.fr import siret as _stdnum_siret

__all__ = [
    "INS_OID_NIA",
    "INS_OID_NIR",
    "INS_PRODUCTION_OIDS",
    "INS_TEST_OIDS",
    "MSS_CITIZEN_TEST_ADDRESS",
    "MSS_PATIENT_DOMAIN",
    "FinessCheck",
    "IdentifierError",
    "check_finess",
    "check_ins",
    "check_mss_address",
    "check_rpps",
    "check_siren",
    "check_siret",
    "ins_key",
    "is_patient_mss_address",
    "luhn_check_digit",
]


class IdentifierError(ValueError):
    """A hard error on an identifier: French ``message`` for people, ASCII ``code`` for scripts."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def _compact(value: str) -> str:
    """Remove every whitespace character (spaces, tabs, no-break spaces) and upper-case."""
    return "".join(value.split()).upper()


def luhn_check_digit(digits: str) -> str:
    """Return the Luhn check digit to append to ``digits`` (a non-empty string of digits)."""
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise ValueError("luhn_check_digit attend une suite non vide de chiffres")
    total = 0
    # Walking from the right, the digit next to the (future) key is doubled, then every other.
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def _is_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


# ---------------------------------------------------------------------------------------------
# FINESS
# ---------------------------------------------------------------------------------------------

FINESS_LENGTH = 9


@dataclass(frozen=True, slots=True)
class FinessCheck:
    """Result of :func:`check_finess`.

    ``number`` is normalised (no spaces, upper case); ``department`` is ``"01"``–``"95"``,
    ``"2A"``/``"2B"`` or a three-digit overseas code (``"971"``, ``"988"``…); ``warnings`` are
    French sentences for what could not be verified or was accepted despite a doubt.
    """

    number: str
    department: str
    warnings: tuple[str, ...]


def _finess_department(number: str) -> str | None:
    head = number[:2]
    if head in ("2A", "2B"):
        return head
    if head in ("97", "98") and _is_digits(number[2]):
        return number[:3]
    if _is_digits(head) and 1 <= int(head) <= 95 and head != "20":
        return head
    return None


def check_finess(value: str, strict_key: bool = True) -> FinessCheck:
    """Check a FINESS number (EJ or ET) and return it normalised with its département.

    Rules (PRIMER §9): 9 characters; the first two are the département (``01``–``95`` except
    ``20``, ``2A``, ``2B``) or ``97``/``98`` followed by a digit (overseas, three-digit code);
    the others are digits; on an all-digit number the last digit is a Luhn key.

    Decision on the key: a wrong key is an ERROR by default (``strict_key=True``). The Luhn
    rule is inferred from real numbers, and every number we checked against the public
    extract follows it, so a wrong key is far more likely a typo than a legitimate exception,
    and a typo in a FINESS sends a funding request to the wrong organisation. A caller that
    holds evidence the number is real (e.g. it was found in the imported FINESS extract) can
    pass ``strict_key=False``: the wrong key then becomes a warning and the number is kept.

    Corsican numbers (``2A``/``2B``) cannot carry a numeric Luhn key over their characters:
    the key is not checked and a warning says so.
    """
    number = _compact(value)
    if len(number) != FINESS_LENGTH:
        raise IdentifierError(
            f"Numéro FINESS {number or '(vide)'} : {len(number)} caractère(s) au lieu de "
            f"{FINESS_LENGTH}",
            "FINESS_INVALID_LENGTH",
        )
    department = _finess_department(number)
    if department is None:
        raise IdentifierError(
            f"Numéro FINESS {number} : département « {number[:2]} » inconnu (attendu 01 à 95 "
            "hors 20, 2A, 2B, ou 97x/98x pour l'outre-mer)",
            "FINESS_INVALID_DEPARTMENT",
        )
    if not _is_digits(number[2:]):
        raise IdentifierError(
            f"Numéro FINESS {number} : les 7 derniers caractères doivent être des chiffres",
            "FINESS_INVALID_FORMAT",
        )
    warnings: list[str] = []
    if department in ("2A", "2B"):
        warnings.append(
            f"Numéro FINESS {number} : numéro corse ({department}), la clé de contrôle (Luhn) "
            "n'a pas pu être vérifiée"
        )
    else:
        expected = luhn_check_digit(number[:-1])
        if number[-1] != expected:
            message = (
                f"Numéro FINESS {number} : clé de contrôle (Luhn) incorrecte, attendu {expected}"
            )
            if strict_key:
                raise IdentifierError(message, "FINESS_INVALID_KEY")
            warnings.append(f"{message} ; numéro conservé (contrôle de clé non bloquant)")
    return FinessCheck(number=number, department=department, warnings=tuple(warnings))


# ---------------------------------------------------------------------------------------------
# RPPS
# ---------------------------------------------------------------------------------------------

RPPS_LENGTH = 11


def check_rpps(value: str, *, verify_key: bool = False) -> str:
    """Check an RPPS number (11 digits) and return it without spaces.

    Only the 11 digits are checked by default. The last digit is widely described as a Luhn
    key over the 11 digits, and the one real public number we could see (10005173140) passes
    it, but we found no official ANS specification stating it during implementation: refusing
    a real practitioner on an unconfirmed rule would be worse than missing a typo. Callers that
    want the Luhn check anyway pass ``verify_key=True`` (code ``RPPS_INVALID_KEY``).
    """
    number = _compact(value)
    if len(number) != RPPS_LENGTH or not _is_digits(number):
        raise IdentifierError(
            f"Numéro RPPS {number or '(vide)'} : {RPPS_LENGTH} chiffres attendus",
            "RPPS_INVALID",
        )
    if verify_key:
        expected = luhn_check_digit(number[:-1])
        if number[-1] != expected:
            raise IdentifierError(
                f"Numéro RPPS {number} : clé de contrôle (Luhn) incorrecte, attendu {expected}",
                "RPPS_INVALID_KEY",
            )
    return number


# ---------------------------------------------------------------------------------------------
# INS (NIR or NIA + OID)
# ---------------------------------------------------------------------------------------------

INS_LENGTH = 15
INS_OID_NIR = "1.2.250.1.213.1.4.8"
INS_OID_NIA = "1.2.250.1.213.1.4.9"
INS_PRODUCTION_OIDS = frozenset({INS_OID_NIR, INS_OID_NIA})
INS_TEST_OIDS = frozenset({"1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"})

_INS_PATTERN = re.compile(r"[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}")
# Corsica: the département 2A/2B counts as 19/18 in the key computation.
_CORSICA_KEY_DEPARTMENTS = {"2A": "19", "2B": "18"}


def ins_key(body: str) -> str:
    """Return the two-digit key of a 13-character NIR/NIA body (Corsica ``2A``/``2B`` allowed).

    key = 97 − (body mod 97), where ``2A`` → ``19`` and ``2B`` → ``18`` at positions 6–7.
    """
    department = body[5:7]
    numeric = body
    if department in _CORSICA_KEY_DEPARTMENTS:
        numeric = body[:5] + _CORSICA_KEY_DEPARTMENTS[department] + body[7:]
    if len(numeric) != INS_LENGTH - 2 or not _is_digits(numeric):
        raise ValueError("ins_key attend 13 caractères (chiffres, 2A/2B en positions 6–7)")
    return f"{97 - int(numeric) % 97:02d}"


def _normalise_oid(oid: str) -> str:
    oid = oid.strip()
    if oid.lower().startswith("urn:oid:"):
        oid = oid[len("urn:oid:") :]
    return oid


def check_ins(value: str, oid: str | None = None, production: bool = True) -> str:
    """Check an INS (matricule NIR or NIA, 15 characters) and its OID; return it normalised.

    The 13-character body is the NIR/NIA (7th character ``A``/``B`` for Corsica, département
    ``2A``/``2B`` at positions 6–7), followed by a two-digit key (see :func:`ins_key`).
    When ``oid`` is given it must be the NIR or NIA OID; the test/demo OIDs (``.4.10``,
    ``.4.11``) are refused when ``production`` is true (code ``INS_TEST_OID``); any other OID
    is refused (``INS_UNKNOWN_OID``). The INS value itself never appears in messages.
    """
    number = _compact(value)
    if len(number) != INS_LENGTH:
        raise IdentifierError(
            f"INS : {len(number)} caractère(s) au lieu de {INS_LENGTH}", "INS_INVALID_LENGTH"
        )
    if _INS_PATTERN.fullmatch(number) is None:
        raise IdentifierError(
            "INS : format invalide (chiffres attendus, sauf 2A ou 2B en positions 6 et 7 "
            "pour la Corse)",
            "INS_INVALID_FORMAT",
        )
    if number[13:] != ins_key(number[:13]):
        raise IdentifierError("INS : clé de contrôle incorrecte", "INS_INVALID_KEY")
    if oid is not None:
        normalised_oid = _normalise_oid(oid)
        if normalised_oid in INS_TEST_OIDS:
            if production:
                raise IdentifierError(
                    f"INS : l'OID {normalised_oid} est réservé aux tests et démonstrations, "
                    "refusé en production",
                    "INS_TEST_OID",
                )
        elif normalised_oid not in INS_PRODUCTION_OIDS:
            raise IdentifierError(
                f"INS : OID « {normalised_oid} » inconnu (attendu {INS_OID_NIR} pour un NIR "
                f"ou {INS_OID_NIA} pour un NIA)",
                "INS_UNKNOWN_OID",
            )
    return number


# ---------------------------------------------------------------------------------------------
# SIREN / SIRET (python-stdnum, La Poste exception included)
# ---------------------------------------------------------------------------------------------


def _stdnum_reason(error: ValidationError, length: int) -> str:
    if isinstance(error, InvalidLength):
        return f"{length} chiffres attendus"
    if isinstance(error, InvalidChecksum):
        return "clé de contrôle (Luhn) incorrecte"
    return "seuls des chiffres sont attendus"


def check_siren(value: str) -> str:
    """Check a SIREN (9 digits, Luhn key) and return it without spaces or dots."""
    number = _stdnum_siren.compact(value)
    try:
        return _stdnum_siren.validate(number)
    except ValidationError as error:
        raise IdentifierError(
            f"Numéro SIREN {number or '(vide)'} : {_stdnum_reason(error, 9)}", "SIREN_INVALID"
        ) from error


def check_siret(value: str) -> str:
    """Check a SIRET (14 digits) and return it without spaces or dots.

    Luhn key on the 14 digits and on the SIREN part, except La Poste (SIREN 356000000), whose
    establishments use "sum of digits multiple of 5" (handled by python-stdnum).
    """
    number = _stdnum_siret.compact(value)
    try:
        return _stdnum_siret.validate(number)
    except ValidationError as error:
        raise IdentifierError(
            f"Numéro SIRET {number or '(vide)'} : {_stdnum_reason(error, 14)}", "SIRET_INVALID"
        ) from error


# ---------------------------------------------------------------------------------------------
# MSSanté addresses
# ---------------------------------------------------------------------------------------------

MSS_DOMAIN_SUFFIX = "mssante.fr"
MSS_PATIENT_DOMAIN = "patient.mssante.fr"
MSS_CITIZEN_TEST_ADDRESS = "reponse.automatique-test@patient.mssante.fr"

_LOCAL_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_LOCAL_ATOM}(?:\.{_LOCAL_ATOM})*")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_MAX_LOCAL_LENGTH = 64
_MAX_ADDRESS_LENGTH = 254


def _mss_error(reason: str) -> IdentifierError:
    return IdentifierError(f"Adresse MSSanté invalide : {reason}", "MSS_ADDRESS_INVALID")


def check_mss_address(value: str) -> str:
    """Check an MSSanté address and return it with its domain in lower case.

    A syntactically valid e-mail address (dot-atom local part, no quoted forms) whose domain is
    ``mssante.fr`` or one of its sub-domains (``hopital.mssante.fr``, ``patient.mssante.fr``…).
    The local part keeps its case. The address is not repeated in messages (patient addresses
    contain the INS).
    """
    address = value.strip()
    if not address:
        raise _mss_error("adresse vide")
    if len(address) > _MAX_ADDRESS_LENGTH:
        raise _mss_error(f"plus de {_MAX_ADDRESS_LENGTH} caractères")
    if address.count("@") != 1:
        raise _mss_error("une adresse contient exactement un « @ »")
    local, domain = address.split("@")
    if not local or len(local) > _MAX_LOCAL_LENGTH or _LOCAL_PART.fullmatch(local) is None:
        raise _mss_error("partie avant « @ » incorrecte")
    domain = domain.lower()
    labels = domain.split(".")
    if not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise _mss_error("nom de domaine incorrect")
    if domain != MSS_DOMAIN_SUFFIX and not domain.endswith("." + MSS_DOMAIN_SUFFIX):
        raise _mss_error(f"le domaine doit se terminer par {MSS_DOMAIN_SUFFIX}")
    return f"{local}@{domain}"


def is_patient_mss_address(value: str) -> bool:
    """True for a valid MSSanté address of the citizen (patient) domain ``patient.mssante.fr``."""
    try:
        address = check_mss_address(value)
    except IdentifierError:
        return False
    return address.rsplit("@", 1)[1] == MSS_PATIENT_DOMAIN
