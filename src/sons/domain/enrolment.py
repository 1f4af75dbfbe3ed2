"""An enrolment request (« demande d'enrôlement ») and its pieces, as the operator asks them
[public, PRIMER §3]: the ANS referencing certificate, the legal representative's identity
document, a mandate when an employee or a third party files, the bank details (IBAN, BIC) and,
when relevant, the VAT attestation.

A piece is a file known by its content, never by its name: `sniff_piece` tells a PDF or an
image (PNG, JPEG) from its first bytes, and `piece_problem` says in French why a file is
refused (empty, too large, another kind of content).
"""

from __future__ import annotations

from enum import StrEnum


class PieceKind(StrEnum):
    REFERENCING_CERTIFICATE = "attestation-referencement"
    IDENTITY_DOCUMENT = "piece-identite"
    MANDATE = "mandat"
    BANK_DETAILS = "rib"
    VAT_ATTESTATION = "attestation-tva"


PIECE_LABELS: dict[PieceKind, str] = {
    PieceKind.REFERENCING_CERTIFICATE: "attestation de référencement de l'ANS",
    PieceKind.IDENTITY_DOCUMENT: "pièce d'identité du représentant légal",
    PieceKind.MANDATE: "mandat",
    PieceKind.BANK_DETAILS: "relevé d'identité bancaire (IBAN et BIC)",
    PieceKind.VAT_ATTESTATION: "attestation de TVA",
}


class FilerRole(StrEnum):
    """Who files the request: the mandate is required unless it is the legal representative."""

    LEGAL_REPRESENTATIVE = "representant-legal"
    EMPLOYEE = "salarie"
    THIRD_PARTY = "tiers"


FILER_LABELS: dict[FilerRole, str] = {
    FilerRole.LEGAL_REPRESENTATIVE: "le représentant légal",
    FilerRole.EMPLOYEE: "un salarié de l'éditeur",
    FilerRole.THIRD_PARTY: "un tiers",
}


def required_pieces(role: FilerRole) -> tuple[PieceKind, ...]:
    """The pieces every request carries; the VAT attestation is filed « when relevant », a
    case sons cannot decide, so it is accepted and never required."""
    pieces = [
        PieceKind.REFERENCING_CERTIFICATE,
        PieceKind.IDENTITY_DOCUMENT,
        PieceKind.BANK_DETAILS,
    ]
    if role is not FilerRole.LEGAL_REPRESENTATIVE:
        pieces.append(PieceKind.MANDATE)
    return tuple(pieces)


class PieceMedia(StrEnum):
    PDF = "application/pdf"
    PNG = "image/png"
    JPEG = "image/jpeg"


# A scanned piece of a few pages stays well below this; the store keeps the bytes.
MAX_PIECE_BYTES = 10 * 1024 * 1024

_MAGIC = (
    (b"%PDF-", PieceMedia.PDF),
    (b"\x89PNG\r\n\x1a\n", PieceMedia.PNG),
    (b"\xff\xd8\xff", PieceMedia.JPEG),
)


def sniff_piece(content: bytes) -> PieceMedia | None:
    """The media type of a piece from its first bytes; None when it is not a PDF or an image."""
    for magic, media in _MAGIC:
        if content.startswith(magic):
            return media
    return None


def piece_problem(kind: PieceKind, name: str, content: bytes) -> str | None:
    """Why this file cannot be this piece (French), or None when it can."""
    label = PIECE_LABELS[kind]
    if not content:
        return f"pièce « {label} » : le fichier « {name} » est vide."
    if len(content) > MAX_PIECE_BYTES:
        return (
            f"pièce « {label} » : le fichier « {name} » fait {len(content)} octets, au-delà de "
            f"la taille maximale de {MAX_PIECE_BYTES // (1024 * 1024)} Mo."
        )
    if sniff_piece(content) is None:
        return (
            f"pièce « {label} » : le fichier « {name} » n'est ni un PDF ni une image (PNG, JPEG) "
            "d'après son contenu."
        )
    return None
