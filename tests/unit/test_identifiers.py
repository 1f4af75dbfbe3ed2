"""Tests for sons.domain.identifiers (FINESS, RPPS, INS, SIREN/SIRET, MSSanté)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.fr import nir

from sons.domain.identifiers import (
    INS_OID_NIA,
    INS_OID_NIR,
    MSS_CITIZEN_TEST_ADDRESS,
    FinessCheck,
    IdentifierError,
    check_finess,
    check_ins,
    check_mss_address,
    check_rpps,
    check_siren,
    check_siret,
    ins_key,
    is_patient_mss_address,
    luhn_check_digit,
)

DIGITS = "0123456789"

# ---------------------------------------------------------------------------------------------
# Error type
# ---------------------------------------------------------------------------------------------


def test_identifier_error_is_a_value_error_with_code_and_message() -> None:
    with pytest.raises(ValueError) as caught:
        check_finess("123")
    error = caught.value
    assert isinstance(error, IdentifierError)
    assert error.code == "FINESS_INVALID_LENGTH"
    assert str(error) == error.message
    assert error.code.isascii()


def test_luhn_check_digit_matches_stdnum_on_examples() -> None:
    for payload in ("75071218", "01078005", "01000002", "7992739871"):
        assert luhn_check_digit(payload) == luhn.calc_check_digit(payload)
    with pytest.raises(ValueError):
        luhn_check_digit("")
    with pytest.raises(ValueError):
        luhn_check_digit("12a")


# ---------------------------------------------------------------------------------------------
# FINESS
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number", "department"),
    [
        ("750712184", "750712184", "75"),
        ("010780054", "010780054", "01"),
        ("010000024", "010000024", "01"),
        (" 75 071 218 4 ", "750712184", "75"),
    ],
)
def test_real_finess_numbers_pass(value: str, number: str, department: str) -> None:
    assert check_finess(value) == FinessCheck(number=number, department=department, warnings=())


def test_finess_wrong_key_is_an_error_by_default_with_expected_key() -> None:
    with pytest.raises(IdentifierError) as caught:
        check_finess("750712185")
    assert caught.value.code == "FINESS_INVALID_KEY"
    assert caught.value.message == (
        "Numéro FINESS 750712185 : clé de contrôle (Luhn) incorrecte, attendu 4"
    )


def test_finess_wrong_key_is_a_warning_when_not_strict() -> None:
    result = check_finess("750712185", strict_key=False)
    assert result.number == "750712185"
    assert result.department == "75"
    assert len(result.warnings) == 1
    assert "clé de contrôle (Luhn) incorrecte, attendu 4" in result.warnings[0]


@pytest.mark.parametrize("value", ["2a0000123", "2B1234567", "2A 000 012 3"])
def test_corsican_finess_passes_with_unverified_key_warning(value: str) -> None:
    result = check_finess(value)
    assert result.number == value.replace(" ", "").upper()
    assert result.department == value[:2].upper()
    assert len(result.warnings) == 1
    assert "n'a pas pu être vérifiée" in result.warnings[0]


def test_overseas_finess_department_has_three_digits() -> None:
    payload = "97100001"
    number = payload + luhn.calc_check_digit(payload)
    assert check_finess(number).department == "971"
    payload = "98800001"
    assert check_finess(payload + luhn.calc_check_digit(payload)).department == "988"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "FINESS_INVALID_LENGTH"),
        ("75071218", "FINESS_INVALID_LENGTH"),
        ("7507121840", "FINESS_INVALID_LENGTH"),
        ("000000000", "FINESS_INVALID_DEPARTMENT"),
        ("200000000", "FINESS_INVALID_DEPARTMENT"),
        ("960000000", "FINESS_INVALID_DEPARTMENT"),
        ("990000000", "FINESS_INVALID_DEPARTMENT"),
        ("2C0000000", "FINESS_INVALID_DEPARTMENT"),
        ("97A000000", "FINESS_INVALID_DEPARTMENT"),
        ("AB0000000", "FINESS_INVALID_DEPARTMENT"),
        ("75071218X", "FINESS_INVALID_FORMAT"),
        ("2A00001B3", "FINESS_INVALID_FORMAT"),
    ],
)
def test_finess_hard_errors(value: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        check_finess(value)
    assert caught.value.code == code
    assert caught.value.message.startswith("Numéro FINESS")


_FINESS_DIGIT_PREFIXES = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["97", "98"]


@st.composite
def valid_digit_finess(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(_FINESS_DIGIT_PREFIXES))
    body = draw(st.text(alphabet=DIGITS, min_size=6, max_size=6))
    payload = prefix + body
    return payload + luhn.calc_check_digit(payload)


@given(valid_digit_finess())
def test_generated_valid_finess_always_passes(number: str) -> None:
    result = check_finess(number)
    assert result.number == number
    assert result.warnings == ()
    expected_department = number[:3] if number[:2] in ("97", "98") else number[:2]
    assert result.department == expected_department


@given(valid_digit_finess(), st.integers(min_value=0, max_value=8), st.integers(1, 9))
def test_changing_one_digit_of_a_valid_finess_always_fails(
    number: str, index: int, shift: int
) -> None:
    changed_digit = str((int(number[index]) + shift) % 10)
    altered = number[:index] + changed_digit + number[index + 1 :]
    with pytest.raises(IdentifierError) as caught:
        check_finess(altered)
    # A changed département digit may make the département itself unknown; otherwise the
    # Luhn key catches every single-digit change.
    assert caught.value.code in ("FINESS_INVALID_KEY", "FINESS_INVALID_DEPARTMENT")
    if caught.value.code == "FINESS_INVALID_KEY":
        relaxed = check_finess(altered, strict_key=False)
        assert relaxed.number == altered
        assert len(relaxed.warnings) == 1


@given(st.sampled_from(["2A", "2B"]), st.text(alphabet=DIGITS, min_size=7, max_size=7))
def test_any_corsican_finess_passes_with_a_warning(department: str, rest: str) -> None:
    result = check_finess(department + rest)
    assert result.department == department
    assert len(result.warnings) == 1


# ---------------------------------------------------------------------------------------------
# RPPS
# ---------------------------------------------------------------------------------------------


def test_rpps_eleven_digits() -> None:
    assert check_rpps("10005173140") == "10005173140"
    assert check_rpps(" 100 0517 3140 ") == "10005173140"
    # Key not checked by default (see check_rpps docstring).
    assert check_rpps("10005173141") == "10005173141"


def test_rpps_optional_luhn_key() -> None:
    assert check_rpps("10005173140", verify_key=True) == "10005173140"
    with pytest.raises(IdentifierError) as caught:
        check_rpps("10005173141", verify_key=True)
    assert caught.value.code == "RPPS_INVALID_KEY"
    assert "attendu 0" in caught.value.message


@pytest.mark.parametrize("value", ["", "1000517314", "100051731400", "1000517314A", "８" * 11])
def test_rpps_invalid(value: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        check_rpps(value)
    assert caught.value.code == "RPPS_INVALID"


# ---------------------------------------------------------------------------------------------
# INS
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "137047624348415",  # published worked example: key 97 − (1370476243484 mod 97) = 15
        "253072B07300470",  # Corsica 2B (python-stdnum examples)
        "253072A07300443",  # Corsica 2A
        "2 53 07 2a 073 004 43",
    ],
)
def test_valid_ins_examples(value: str) -> None:
    assert check_ins(value) == "".join(value.split()).upper()


def test_ins_key_examples() -> None:
    assert ins_key("1370476243484") == "15"
    assert ins_key("253072B073004") == "70"
    assert ins_key("253072A073004") == "43"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "INS_INVALID_LENGTH"),
        ("13704762434841", "INS_INVALID_LENGTH"),
        ("1370476243484150", "INS_INVALID_LENGTH"),
        ("137047624348416", "INS_INVALID_KEY"),
        ("253072B07300443", "INS_INVALID_KEY"),  # 2A key on a 2B number
        ("253072C07300443", "INS_INVALID_FORMAT"),
        ("253073A07300443", "INS_INVALID_FORMAT"),  # A/B only after a 2
        ("1370A7624348415", "INS_INVALID_FORMAT"),
        ("13704762434841X", "INS_INVALID_FORMAT"),
    ],
)
def test_invalid_ins(value: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        check_ins(value)
    assert caught.value.code == code
    # The INS is personal data: messages never repeat it.
    if value:
        assert value not in caught.value.message


def test_ins_oids() -> None:
    ins = "137047624348415"
    assert check_ins(ins, oid=INS_OID_NIR) == ins
    assert check_ins(ins, oid=INS_OID_NIA) == ins
    assert check_ins(ins, oid=f"urn:oid:{INS_OID_NIR}") == ins
    for test_oid in ("1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"):
        with pytest.raises(IdentifierError) as caught:
            check_ins(ins, oid=test_oid)
        assert caught.value.code == "INS_TEST_OID"
        assert check_ins(ins, oid=test_oid, production=False) == ins
    for unknown in ("1.2.250.1.213.1.4.2", "", "1.2.250.1.213.1.4.8.1"):
        for production in (True, False):
            with pytest.raises(IdentifierError) as caught:
                check_ins(ins, oid=unknown, production=production)
            assert caught.value.code == "INS_UNKNOWN_OID"


@st.composite
def valid_ins(draw: st.DrawFn) -> str:
    sex = draw(st.sampled_from("123478"))
    year_month = draw(st.text(alphabet=DIGITS, min_size=4, max_size=4))
    department = draw(
        st.one_of(st.sampled_from(["2A", "2B"]), st.text(alphabet=DIGITS, min_size=2, max_size=2))
    )
    rest = draw(st.text(alphabet=DIGITS, min_size=6, max_size=6))
    body = sex + year_month + department + rest
    # Independent oracle: python-stdnum's NIR key (same 2A→19, 2B→18 rule).
    return body + nir.calc_check_digits(body)


@given(valid_ins())
def test_generated_ins_with_correct_key_passes(ins: str) -> None:
    assert check_ins(ins) == ins
    assert check_ins(ins, oid=INS_OID_NIR) == ins


@given(valid_ins(), st.integers(min_value=0, max_value=99))
def test_ins_with_altered_key_fails(ins: str, key: int) -> None:
    altered_key = f"{key:02d}"
    if altered_key == ins[13:]:
        altered_key = f"{(key + 1) % 100:02d}"
    with pytest.raises(IdentifierError) as caught:
        check_ins(ins[:13] + altered_key)
    assert caught.value.code == "INS_INVALID_KEY"


@given(valid_ins(), st.integers(min_value=0, max_value=12), st.integers(1, 9))
def test_ins_with_one_changed_body_digit_fails(ins: str, index: int, shift: int) -> None:
    if not ins[index].isdigit():
        return
    altered = ins[:index] + str((int(ins[index]) + shift) % 10) + ins[index + 1 :]
    with pytest.raises(IdentifierError) as caught:
        check_ins(altered)
    assert caught.value.code in ("INS_INVALID_KEY", "INS_INVALID_FORMAT")


# ---------------------------------------------------------------------------------------------
# SIREN / SIRET
# ---------------------------------------------------------------------------------------------


def test_siren() -> None:
    assert check_siren("732829320") == "732829320"
    assert check_siren("732 829 320") == "732829320"
    assert check_siren("356000000") == "356000000"  # La Poste
    for value, fragment in [
        ("732829321", "clé de contrôle"),
        ("73282932", "9 chiffres"),
        ("73282932A", "chiffres"),
        ("", "(vide)"),
    ]:
        with pytest.raises(IdentifierError) as caught:
            check_siren(value)
        assert caught.value.code == "SIREN_INVALID"
        assert fragment in caught.value.message


def test_siret() -> None:
    assert check_siret("73282932000074") == "73282932000074"
    assert check_siret("732 829 320 00074") == "73282932000074"
    with pytest.raises(IdentifierError) as caught:
        check_siret("73282932000079")
    assert caught.value.code == "SIRET_INVALID"
    assert "clé de contrôle" in caught.value.message
    with pytest.raises(IdentifierError) as caught:
        check_siret("7328293200007")
    assert "14 chiffres" in caught.value.message


@pytest.mark.parametrize(
    "value",
    # La Poste establishments (python-stdnum test data): the sum of digits is a multiple of 5
    # although the plain Luhn key fails; the head office 35600000000048 follows Luhn.
    ["35600000009075", "356 000 000 09075", "35600000049837", "35600000000048"],
)
def test_la_poste_siret_exception(value: str) -> None:
    assert check_siret(value) == value.replace(" ", "")


def test_la_poste_siret_exception_is_really_needed_and_still_checked() -> None:
    assert not luhn.is_valid("35600000009075")
    assert not luhn.is_valid("35600000049837")
    with pytest.raises(IdentifierError) as caught:
        check_siret("35600000049838")
    assert caught.value.code == "SIRET_INVALID"


# ---------------------------------------------------------------------------------------------
# MSSanté
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dr.martin@hopital.mssante.fr", "dr.martin@hopital.mssante.fr"),
        (MSS_CITIZEN_TEST_ADDRESS, MSS_CITIZEN_TEST_ADDRESS),
        ("137047624348415@patient.mssante.fr", "137047624348415@patient.mssante.fr"),
        ("  Dr.Martin@Hopital.MSSante.FR ", "Dr.Martin@hopital.mssante.fr"),
        ("secretariat+cardio@ch-exemple.mssante.fr", "secretariat+cardio@ch-exemple.mssante.fr"),
        ("jean.dupont@medecin.mssante.fr", "jean.dupont@medecin.mssante.fr"),
    ],
)
def test_valid_mss_addresses(value: str, expected: str) -> None:
    assert check_mss_address(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "dr.martin@gmail.com",
        "dr.martin@fakemssante.fr",
        "dr.martin@hopital.mssante.fr.example.com",
        "dr.martin@hopital.mssante.com",
        "dr.martin",
        "@hopital.mssante.fr",
        "a@@hopital.mssante.fr",
        "a@b@hopital.mssante.fr",
        ".martin@hopital.mssante.fr",
        "dr..martin@hopital.mssante.fr",
        "dr.martin.@hopital.mssante.fr",
        "dr martin@hopital.mssante.fr",
        "dr.martin@-hopital.mssante.fr",
        "dr.martin@hopital..mssante.fr",
        "dr.martin@hôpital.mssante.fr",
        "é@hopital.mssante.fr",
        "x" * 65 + "@hopital.mssante.fr",
        "a@" + "b" * 250 + ".mssante.fr",
    ],
)
def test_invalid_mss_addresses(value: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        check_mss_address(value)
    assert caught.value.code == "MSS_ADDRESS_INVALID"
    assert caught.value.message.startswith("Adresse MSSanté invalide")
    assert not is_patient_mss_address(value)


def test_patient_mss_addresses() -> None:
    assert is_patient_mss_address(MSS_CITIZEN_TEST_ADDRESS)
    assert is_patient_mss_address("137047624348415@patient.mssante.fr")
    assert is_patient_mss_address("137047624348415@PATIENT.MSSANTE.FR")
    assert not is_patient_mss_address("dr.martin@hopital.mssante.fr")
    assert not is_patient_mss_address("x@sub.patient.mssante.fr")
    assert not is_patient_mss_address("x@patient.example.fr")
