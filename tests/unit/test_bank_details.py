"""IBAN and BIC of an enrolment request: python-stdnum decides, the message says in French
what is wrong, from the coarsest fault to the finest."""

from __future__ import annotations

import pytest

from sons.domain.bank_details import check_bic, check_iban, iban_matches_bic_country
from sons.domain.identifiers import IdentifierError


def test_valid_values_come_back_compact() -> None:
    assert check_iban("fr76 3000 6000 0112 3456 7890 189") == "FR7630006000011234567890189"
    assert check_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    assert check_bic("bnpa fr pp xxx") == "BNPAFRPPXXX"
    assert check_bic("BNPAFRPP") == "BNPAFRPP"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("FR7630006000011234567890188", "clé de contrôle incorrecte (modulo 97)"),
        ("FR763000600001123456789018", "26 caractères ; un IBAN « FR » en compte 27"),
        ("ZZ7630006000011234567890189", "code pays « ZZ » inconnu"),
        ("7630006000011234567890189", "format incorrect"),
        ("", "IBAN (vide) : format incorrect"),
    ],
)
def test_bad_ibans_say_why(value: str, expected: str) -> None:
    with pytest.raises(IdentifierError) as raised:
        check_iban(value)
    assert raised.value.code == "IBAN_INVALID"
    assert expected in raised.value.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("BNPA", "4 caractère(s) ; 8 ou 11 attendus"),
        ("BNPAZZPP", "code pays « ZZ » inconnu"),
        ("BNP1FRPP", "format incorrect"),
    ],
)
def test_bad_bics_say_why(value: str, expected: str) -> None:
    with pytest.raises(IdentifierError) as raised:
        check_bic(value)
    assert raised.value.code == "BIC_INVALID"
    assert expected in raised.value.message


def test_account_and_bank_countries_are_compared() -> None:
    assert iban_matches_bic_country("FR7630006000011234567890189", "BNPAFRPP")
    assert not iban_matches_bic_country("DE89370400440532013000", "BNPAFRPP")
