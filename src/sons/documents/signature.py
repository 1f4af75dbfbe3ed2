"""Checking the client's signed VA: is it a PDF, is it signed, does every signature still cover
the bytes it signed, who signed and when.

Integrity is checked offline with pyHanko: the digest of the signed byte ranges against the one
in the signature, the signature itself against the signer's certificate, and what changed in the
file after signing. The signer's chain of trust cannot be established offline (no trust list, no
revocation fetching): the result says so — « signature intègre, chaîne de confiance non
vérifiée » — rather than claim a trust it did not check.

A PDF without an electronic signature (a scanned handwritten VA) is accepted with a warning:
a person has to look at it. A signature that does not hold is an error (`VA_SIGNATURE_INVALID`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sons.findings import Finding, Severity

TRUST_NOT_VERIFIED = "chaîne de confiance non vérifiée"
# A PDF's header may follow up to 1,024 bytes of junk (PDF 32000-1, annex H).
_HEADER_WINDOW = 1024


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """One signature of the PDF.

    `intact`: the signed bytes are those the signature was computed on; `valid`: the signature
    value matches the signer's certificate; `signed_at`: the time the signer's software wrote
    (or the time-stamp's, when there is one) — claimed, not proven.
    """

    field: str
    intact: bool
    valid: bool
    signer: str | None
    signed_at: dt.datetime | None
    whole_file: bool
    changed_after: str | None

    @property
    def holds(self) -> bool:
        return self.intact and self.valid and self.changed_after is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "intact": self.intact,
            "valid": self.valid,
            "signer": self.signer,
            "signed_at": None if self.signed_at is None else self.signed_at.isoformat(),
            "whole_file": self.whole_file,
            "changed_after": self.changed_after,
            "trust": TRUST_NOT_VERIFIED,
        }


@dataclass(frozen=True, slots=True)
class PdfCheck:
    sha256: str
    size: int
    pages: int | None
    signatures: tuple[SignatureCheck, ...]
    findings: tuple[Finding, ...]

    @property
    def acceptable(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def signer(self) -> str | None:
        return next((s.signer for s in self.signatures if s.signer), None)

    @property
    def signed_at(self) -> dt.datetime | None:
        return next((s.signed_at for s in self.signatures if s.signed_at), None)

    def summary(self) -> str:
        """One French sentence on the signature(s)."""
        if self.pages is None:
            return "fichier refusé : ce n'est pas un PDF lisible"
        if not self.signatures:
            return "PDF sans signature électronique : signature manuscrite à vérifier"
        if all(s.holds for s in self.signatures):
            who = f" par {self.signer}" if self.signer else ""
            when = f" le {self.signed_at:%d/%m/%Y à %H:%M} UTC" if self.signed_at else ""
            return f"signature intègre{who}{when}, {TRUST_NOT_VERIFIED}"
        return "signature invalide : le document a été modifié après signature ou est corrompu"

    def as_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "pages": self.pages,
            "summary": self.summary(),
            "signatures": [s.as_dict() for s in self.signatures],
            "findings": [f.as_dict() for f in self.findings],
        }


def _finding(code: str, severity: Severity, message: str, path: str = "") -> Finding:
    return Finding(code, severity, message, path, code, "sons (vérification de la VA)")


@contextmanager
def _quiet() -> Iterator[None]:
    """pyHanko logs every failed trust path with a traceback; the result says it in French."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def check_signed_pdf(data: bytes, name: str = "VA") -> PdfCheck:
    """Everything sons can tell offline about a signed PDF; never raises on bad input."""
    sha256 = hashlib.sha256(data).hexdigest()
    findings: list[Finding] = []
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        findings.append(
            _finding(
                "VA_NOT_PDF",
                Severity.ERROR,
                f"{name} : ce fichier n'est pas un PDF (pas d'en-tête « %PDF- ») ; déposez la VA "
                "signée au format PDF.",
            )
        )
        return PdfCheck(sha256, len(data), None, (), tuple(findings))
    pages = _page_count(data)
    if pages is None:
        findings.append(
            _finding(
                "VA_PDF_UNREADABLE",
                Severity.ERROR,
                f"{name} : PDF illisible ou tronqué ; déposez à nouveau le fichier signé.",
            )
        )
        return PdfCheck(sha256, len(data), None, (), tuple(findings))
    signatures = _signatures(data, name, findings)
    if not signatures and not findings:
        findings.append(
            _finding(
                "VA_UNSIGNED",
                Severity.WARNING,
                f"{name} : le PDF ne porte pas de signature électronique ; si la VA a été signée "
                "à la main puis numérisée, vérifiez la signature du client final à l'œil.",
            )
        )
    for signature in signatures:
        where = f"signature « {signature.field} »"
        if not signature.intact or not signature.valid:
            findings.append(
                _finding(
                    "VA_SIGNATURE_INVALID",
                    Severity.ERROR,
                    f"{name}, {where} : les octets signés ne correspondent plus à la signature "
                    "— le document a été modifié après signature ou la signature est corrompue. "
                    "Demandez au client final la VA signée d'origine.",
                    signature.field,
                )
            )
        elif signature.changed_after is not None:
            findings.append(
                _finding(
                    "VA_MODIFIED_AFTER_SIGNING",
                    Severity.ERROR,
                    f"{name}, {where} : le fichier a été modifié après signature "
                    f"({signature.changed_after}).",
                    signature.field,
                )
            )
        else:
            findings.append(
                _finding(
                    "VA_SIGNATURE_INTACT",
                    Severity.INFO,
                    f"{name}, {where} : signature intègre"
                    + (f", signataire « {signature.signer} »" if signature.signer else "")
                    + f" ; {TRUST_NOT_VERIFIED} (vérification hors ligne, sans liste de "
                    "confiance).",
                    signature.field,
                )
            )
    return PdfCheck(sha256, len(data), pages, tuple(signatures), tuple(findings))


def _page_count(data: bytes) -> int | None:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(io.BytesIO(data), strict=False).pages)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def _signatures(data: bytes, name: str, findings: list[Finding]) -> list[SignatureCheck]:
    # Imported here: pyHanko is only needed when a VA is deposited.
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as error:  # pyHanko raises many kinds on a damaged file
        findings.append(
            _finding(
                "VA_SIGNATURE_INVALID",
                Severity.ERROR,
                f"{name} : structure de signature illisible ({type(error).__name__}).",
            )
        )
        return []
    checks: list[SignatureCheck] = []
    for signature in embedded:
        field = str(signature.field_name)
        try:
            with _quiet():
                context = ValidationContext(trust_roots=[], allow_fetching=False)
                status = validate_pdf_signature(signature, context)
        except Exception as error:  # a damaged signature fails in many ways
            checks.append(SignatureCheck(field, False, False, None, None, False, None))
            findings.append(
                _finding(
                    "VA_SIGNATURE_INVALID",
                    Severity.ERROR,
                    f"{name}, signature « {field} » : illisible ou invalide "
                    f"({type(error).__name__}).",
                    field,
                )
            )
            continue
        checks.append(
            SignatureCheck(
                field=field,
                intact=bool(status.intact),
                valid=bool(status.valid),
                signer=_signer(status),
                signed_at=_signed_at(status),
                whole_file=status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
                changed_after=_changed_after(status),
            )
        )
    return checks


def _signer(status: Any) -> str | None:
    cert = getattr(status, "signing_cert", None)
    if cert is None:
        return None
    subject = cert.subject.native
    name = subject.get("common_name") if isinstance(subject, dict) else None
    return str(name) if name else str(cert.subject.human_friendly)


def _signed_at(status: Any) -> dt.datetime | None:
    stamp = getattr(status, "timestamp_validity", None)
    when = getattr(stamp, "timestamp", None) or getattr(status, "signer_reported_dt", None)
    if not isinstance(when, dt.datetime):
        return None
    return when.astimezone(dt.UTC) if when.tzinfo else when.replace(tzinfo=dt.UTC)


_CHANGES = {
    "FORM_FILLING": "champs de formulaire remplis après signature",
    "ANNOTATIONS": "annotations ajoutées après signature",
    "OTHER": "contenu modifié après signature",
}


def _changed_after(status: Any) -> str | None:
    level = getattr(status, "modification_level", None)
    name = getattr(level, "name", None)
    if status.docmdp_ok is False:
        return _CHANGES.get(str(name), "modifications interdites par le signataire")
    return _CHANGES.get(str(name)) if name == "OTHER" else None
