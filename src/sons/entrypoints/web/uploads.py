"""Uploaded files: limited in size and identified by their content, never by their name.

`read_upload` is the one way pages and API routes take a file: it reads at most the limit
(one byte more tells it was exceeded), recognises the content from its first bytes and refuses
anything that is not one of the kinds the caller accepts, with a French message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class UploadKind(StrEnum):
    PDF = "pdf"
    ZIP = "zip"
    JSON = "json"
    TEXT = "text"


KIND_LABELS = {
    UploadKind.PDF: "PDF",
    UploadKind.ZIP: "archive ZIP (ou classeur XLSX)",
    UploadKind.JSON: "JSON",
    UploadKind.TEXT: "texte (CSV, UTF-8)",
}

# Content we recognise to name it in the refusal: a renamed image or program is told as such.
_KNOWN_FOREIGN = (
    (b"\x89PNG\r\n\x1a\n", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"GIF8", "une image GIF"),
    (b"\x7fELF", "un programme (ELF)"),
    (b"MZ", "un programme Windows"),
    (b"\x1f\x8b", "une archive gzip"),
    (b"Rar!", "une archive RAR"),
    (b"7z\xbc\xaf", "une archive 7-Zip"),
    (b"\xd0\xcf\x11\xe0", "un document Office ancien (OLE)"),
)
_SNIFF_BYTES = 4096


class UploadRefused(Exception):
    """A refused file: a stable ASCII `code`, a French `message` and the HTTP status to use."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class ReadableUpload(Protocol):
    """What `read_upload` needs of a file (Starlette's `UploadFile` has it)."""

    filename: str | None

    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Upload:
    name: str
    kind: UploadKind
    data: bytes

    def text(self) -> str:
        """The content as text (JSON and text kinds), without a UTF-8 byte-order mark."""
        return self.data.decode("utf-8-sig")


def sniff(head: bytes, *, latin1: bool = False) -> UploadKind | str:
    """The kind of a content from its first bytes; a French description when it is none of ours.

    `latin1`: a text may also be ISO-8859-1 (the public FINESS extract is), read as such."""
    if head.startswith(b"%PDF-"):
        return UploadKind.PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return UploadKind.ZIP
    for magic, description in _KNOWN_FOREIGN:
        if head.startswith(magic):
            return description
    if b"\x00" in head:
        return "un fichier binaire"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the sniffing window is not an encoding error.
        if latin1:
            text = head.decode("latin-1")
        elif exc.start < len(head) - 3:
            return "un fichier qui n'est pas du texte UTF-8"
        else:
            text = head[: exc.start].decode("utf-8-sig")
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return UploadKind.JSON
    if stripped.lower().startswith(("<!doctype", "<html", "<script", "<svg", "<?xml")):
        return "une page HTML ou un document XML"
    return UploadKind.TEXT


async def read_upload(
    upload: ReadableUpload,
    *,
    limit: int,
    accept: frozenset[UploadKind] | set[UploadKind],
    latin1: bool = False,
) -> Upload:
    """The file's content, if within `limit` bytes and of an accepted kind; else `UploadRefused`.

    `latin1`: a text may be ISO-8859-1 instead of UTF-8 (the reader then detects which)."""
    name = (upload.filename or "fichier").replace("\\", "/").rsplit("/", 1)[-1][:200]
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            "UPLOAD_TOO_LARGE",
            f"Le fichier « {name} » dépasse la taille maximale acceptée ({_size(limit)}).",
            413,
        )
    if not data:
        raise UploadRefused("UPLOAD_EMPTY", f"Le fichier « {name} » est vide.", 422)
    found = sniff(data[:_SNIFF_BYTES], latin1=latin1)
    if not isinstance(found, UploadKind) or found not in accept:
        wanted = " ou ".join(KIND_LABELS[k] for k in sorted(accept))
        described = KIND_LABELS[found] if isinstance(found, UploadKind) else found
        raise UploadRefused(
            "UPLOAD_TYPE_REFUSED",
            f"Le fichier « {name} » est {described}, d'après son contenu ; attendu : {wanted}.",
            415,
        )
    if found in (UploadKind.JSON, UploadKind.TEXT) and not latin1:
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UploadRefused(
                "UPLOAD_ENCODING",
                f"Le fichier « {name} » n'est pas en UTF-8 (octet invalide en position "
                f"{exc.start}).",
                422,
            ) from None
    return Upload(name, found, data)


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} Mio".replace(".0 ", " ").replace(".", ",")
    if count >= 1024:
        return f"{count // 1024} Kio"
    return f"{count} octets"
