"""The VA's PDF: a real PDF, its PAdES signature intact or not, the signer and the time.

The signed PDFs are made in the test with pyHanko and a self-signed certificate (cryptography).
"""

from __future__ import annotations

import hashlib

import pytest

from evidence_samples import altered, signed_pdf, unsigned_pdf
from sons.documents.signature import TRUST_NOT_VERIFIED, check_signed_pdf
from sons.findings import Severity


@pytest.fixture(scope="module")
def signed() -> bytes:
    return signed_pdf("Dr Élise Martin")


def codes(data: bytes) -> set[str]:
    return {f.code for f in check_signed_pdf(data).findings}


def test_an_intact_signature_gives_signer_time_and_honest_trust(signed: bytes) -> None:
    check = check_signed_pdf(signed, "va.pdf")
    assert check.acceptable and check.pages == 1
    assert check.signer == "Dr Élise Martin"
    assert check.signed_at is not None and check.signed_at.tzinfo is not None
    assert check.sha256 == hashlib.sha256(signed).hexdigest()
    assert check.summary().startswith("signature intègre par Dr Élise Martin")
    assert check.summary().endswith(TRUST_NOT_VERIFIED)
    assert [f.code for f in check.findings] == ["VA_SIGNATURE_INTACT"]


def test_one_byte_altered_in_the_signed_range_is_detected(signed: bytes) -> None:
    tampered = altered(signed)
    assert len(tampered) == len(signed) and tampered != signed
    check = check_signed_pdf(tampered, "va.pdf")
    assert not check.acceptable
    invalid = [f for f in check.findings if f.code == "VA_SIGNATURE_INVALID"]
    assert invalid and invalid[0].severity is Severity.ERROR
    assert "modifié après signature" in invalid[0].message
    assert check.signatures[0].intact is False


def test_an_unsigned_pdf_is_accepted_with_a_warning() -> None:
    check = check_signed_pdf(unsigned_pdf())
    assert check.acceptable and check.signatures == ()
    assert [(f.code, f.severity) for f in check.findings] == [("VA_UNSIGNED", Severity.WARNING)]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Bonjour, ceci n'est pas un PDF", "VA_NOT_PDF"),
        (b"PK\x03\x04 un zip", "VA_NOT_PDF"),
        (b"%PDF-1.7\n truncated", "VA_PDF_UNREADABLE"),
    ],
)
def test_what_is_not_a_readable_pdf_is_refused(data: bytes, code: str) -> None:
    check = check_signed_pdf(data)
    assert check.pages is None and not check.acceptable
    assert codes(data) == {code}
