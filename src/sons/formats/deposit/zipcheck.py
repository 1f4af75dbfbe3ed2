"""The zip of attachments, checked safely without extracting anything to disk.

Safety first, on the central directory alone: unsafe names (« .. », absolute paths, drive
letters, backslashes), symbolic links, encrypted entries, duplicate names, unsupported
compression, and zip bombs (declared total size, declared size per entry, compression
ratio). Only the entries the JSON references are then read, streamed a chunk at a time under
a real-size cap, hashed (SHA-256) and sniffed; PDFs are opened with pypdf in memory.

Then the JSON ↔ zip reconciliation: missing, extra or duplicate files, SHA-256 or size
mismatch, empty or unreadable PDFs, a file that is not what its name says — the causes of
requests left « incomplètes » by the operator. Each finding carries the requests it makes
incomplete.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import stat
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sons.findings import Finding, Severity
from sons.formats.deposit.model import AttachmentType

_READ_CHUNK = 1024 * 1024
_HEAD = 1024  # PDF readers accept the « %PDF- » header within the first 1024 bytes
_SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_MAGIC: dict[str, tuple[bytes, str]] = {
    ".png": (b"\x89PNG\r\n\x1a\n", "une image PNG"),
    ".jpg": (b"\xff\xd8\xff", "une image JPEG"),
    ".jpeg": (b"\xff\xd8\xff", "une image JPEG"),
    ".zip": (b"PK\x03\x04", "une archive zip"),
}
_SNIFFED = (
    (b"%PDF-", "un PDF"),
    (b"\x89PNG\r\n\x1a\n", "une image PNG"),
    (b"\xff\xd8\xff", "une image JPEG"),
    (b"PK\x03\x04", "une archive zip (ou un document Office)"),
    (b"\xd0\xcf\x11\xe0", "un document Office ancien (.doc, .xls)"),
    (b"<", "du HTML ou du XML"),
)
_UNSAFE = re.compile(r"^/|^[A-Za-z]:|[\\\x00-\x1f]|(?:^|/)\.\.(?:/|$)")
_UNSAFE_CHARS = re.compile(r"[\\\x00-\x1f]")


def unsafe_name(name: str) -> str | None:
    """Why a file name is not a safe relative path inside a zip, or None."""
    if not _UNSAFE.search(name):  # one search for the common case: a safe name
        return None
    if name.startswith("/"):
        return "chemin absolu"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "chemin avec lecteur Windows"
    if _UNSAFE_CHARS.search(name):
        return "barre oblique inverse ou caractère de contrôle"
    return "composant « .. » (sortie du dossier de destination)"


@dataclass(frozen=True)
class ZipLimits:
    """Bounds that keep a hostile zip from exhausting disk, memory or time."""

    max_zip_bytes: int = 4 * 1024**3
    max_entries: int = 500_000
    max_total_uncompressed: int = 8 * 1024**3
    max_entry_uncompressed: int = 512 * 1024**2
    max_ratio: int = 100
    # Below this size a high compression ratio is harmless (a small blank page compresses well).
    ratio_floor: int = 1024 * 1024
    max_pdf_parse_bytes: int = 64 * 1024**2


@dataclass(frozen=True, slots=True)
class ExpectedFile:
    """An attachment the JSON declares: what the zip must hold under that name."""

    name: str
    sha256: str
    size: int
    type: AttachmentType
    request_index: int
    request_id: str
    path: str  # JSON path of the attachment's file name


@dataclass(frozen=True, slots=True)
class ZipFinding:
    finding: Finding
    requests: tuple[int, ...] = ()  # indexes of the requests this finding leaves incomplete


@dataclass
class ZipReport:
    findings: list[ZipFinding] = field(default_factory=list)
    entries: int = 0
    read: int = 0

    def add(
        self,
        code: str,
        message: str,
        path: str,
        requests: Iterable[int] = (),
        severity: Severity = Severity.ERROR,
    ) -> None:
        finding = Finding(code, severity, message, path, "pièces jointes")
        self.findings.append(ZipFinding(finding, tuple(sorted(set(requests)))))


def _ids(expected: Sequence[ExpectedFile]) -> str:
    ids = list(dict.fromkeys(e.request_id for e in expected))
    shown = ", ".join(f"« {i} »" for i in ids[:10])
    more = f" et {len(ids) - 10} autre(s)" if len(ids) > 10 else ""
    return f"demande(s) {shown}{more}"


def _indexes(expected: Iterable[ExpectedFile]) -> list[int]:
    return [e.request_index for e in expected]


def check_zip(
    path: Path, expected: Sequence[ExpectedFile], limits: ZipLimits | None = None
) -> ZipReport:
    limits = limits or ZipLimits()
    report = ZipReport()
    label = path.name
    everyone = _indexes(expected)
    try:
        size = path.stat().st_size
    except OSError as exc:
        report.add(
            "DEPOSIT_ZIP_UNREADABLE",
            f"Zip illisible : {path} ({exc.strerror}) ; toutes les pièces jointes manquent.",
            label,
            everyone,
        )
        return report
    if size > limits.max_zip_bytes:
        report.add(
            "DEPOSIT_ZIP_TOO_LARGE",
            f"Zip trop volumineux : {size} octets, limite {limits.max_zip_bytes} ; non lu.",
            label,
            everyone,
        )
        return report
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive, label, expected, limits, report)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        report.add(
            "DEPOSIT_ZIP_UNREADABLE",
            f"{label} n'est pas une archive zip lisible ({exc}) ; toutes les pièces jointes "
            "manquent.",
            label,
            everyone,
        )
    return report


def _check_archive(
    archive: zipfile.ZipFile,
    label: str,
    expected: Sequence[ExpectedFile],
    limits: ZipLimits,
    report: ZipReport,
) -> None:
    infos = archive.infolist()
    report.entries = len(infos)
    wanted: dict[str, list[ExpectedFile]] = defaultdict(list)
    for item in expected:
        wanted[item.name].append(item)
    if len(infos) > limits.max_entries:
        report.add(
            "DEPOSIT_ZIP_BOMB",
            f"{label} : {len(infos)} entrées, limite {limits.max_entries} ; archive non lue.",
            label,
            _indexes(expected),
        )
        return
    by_name: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
    blocked: set[str] = set()
    declared_total = 0
    for info in infos:
        name = info.filename
        where = f"{label}:{name}"
        concerned = wanted.get(name, [])
        requests = _indexes(concerned)
        problem = unsafe_name(name)
        if problem:
            report.add(
                "DEPOSIT_ZIP_PATH_UNSAFE",
                f"Entrée « {name} » du zip : {problem} ; elle serait dangereuse à extraire.",
                where,
                requests,
            )
            blocked.add(name)
        if info.is_dir():
            continue
        by_name[name].append(info)
        declared_total += info.file_size
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):
            report.add(
                "DEPOSIT_ZIP_SYMLINK",
                f"Entrée « {name} » du zip : lien symbolique, refusé (il pourrait désigner un "
                "fichier hors de l'archive).",
                where,
                requests,
            )
            blocked.add(name)
        if info.flag_bits & 0x1:
            report.add(
                "DEPOSIT_ZIP_ENCRYPTED",
                f"Entrée « {name} » du zip : chiffrée (mot de passe) ; l'opérateur ne pourra pas "
                "la lire.",
                where,
                requests,
            )
            blocked.add(name)
        if info.compress_type not in _SUPPORTED_METHODS:
            report.add(
                "DEPOSIT_ZIP_UNSUPPORTED",
                f"Entrée « {name} » du zip : méthode de compression {info.compress_type} non "
                "standard ; utiliser « deflate ».",
                where,
                requests,
            )
            blocked.add(name)
        if info.file_size > limits.max_entry_uncompressed:
            report.add(
                "DEPOSIT_ZIP_BOMB",
                f"Entrée « {name} » du zip : {info.file_size} octets une fois décompressée, "
                f"limite {limits.max_entry_uncompressed} ; non lue.",
                where,
                requests,
            )
            blocked.add(name)
        elif info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size // max(info.compress_size, 1)
            report.add(
                "DEPOSIT_ZIP_BOMB",
                f"Entrée « {name} » du zip : taux de compression {ratio}:1 (limite "
                f"{limits.max_ratio}:1), signature d'une « bombe zip » ; non lue.",
                where,
                requests,
            )
            blocked.add(name)
    for name, copies in by_name.items():
        if len(copies) > 1:
            concerned = wanted.get(name, [])
            report.add(
                "DEPOSIT_ZIP_DUPLICATE_ENTRY",
                f"« {name} » figure {len(copies)} fois dans le zip : impossible de savoir "
                f"laquelle est la pièce{' des ' + _ids(concerned) if concerned else ''}.",
                f"{label}:{name}",
                _indexes(concerned),
            )
            blocked.add(name)
    if declared_total > limits.max_total_uncompressed:
        report.add(
            "DEPOSIT_ZIP_BOMB",
            f"{label} : {declared_total} octets une fois décompressé, limite "
            f"{limits.max_total_uncompressed} ; archive non lue.",
            label,
            _indexes(expected),
        )
        return
    _reconcile(archive, label, wanted, by_name, blocked, limits, report)


def _near_name(name: str, names: Iterable[str]) -> str | None:
    folded = unicodedata.normalize("NFC", name).casefold()
    for candidate in names:
        if unicodedata.normalize("NFC", candidate).casefold() == folded:
            return candidate
    return None


def _reconcile(
    archive: zipfile.ZipFile,
    label: str,
    wanted: dict[str, list[ExpectedFile]],
    by_name: dict[str, list[zipfile.ZipInfo]],
    blocked: set[str],
    limits: ZipLimits,
    report: ZipReport,
) -> None:
    real_total = 0
    for name, concerned in wanted.items():
        first = concerned[0]
        infos = by_name.get(name)
        if not infos:
            near = _near_name(name, by_name)
            hint = f" ; le zip contient « {near} » (casse ou accents différents)" if near else ""
            for item in concerned:
                report.add(
                    "DEPOSIT_ATTACHMENT_MISSING",
                    f"Pièce « {name} » de la demande « {item.request_id} » absente du zip{hint}.",
                    item.path,
                    [item.request_index],
                )
            continue
        if name in blocked:
            continue  # already reported, with these requests
        if real_total > limits.max_total_uncompressed:
            report.add(
                "DEPOSIT_ZIP_BOMB",
                f"Pièce « {name} » non lue : le zip a déjà produit plus de "
                f"{limits.max_total_uncompressed} octets décompressés.",
                first.path,
                _indexes(concerned),
            )
            continue
        content = _read_entry(archive, infos[0], limits, report, label, concerned)
        report.read += 1
        if content is None:
            continue
        real_total += content.size
        _compare(content, concerned, report)
        _inspect(content, name, concerned, limits, report)
    referenced = set(wanted)
    for name in by_name:
        if name not in referenced:
            report.add(
                "DEPOSIT_ZIP_EXTRA_FILE",
                f"« {name} » est dans le zip mais aucune demande ne le déclare : il sera ignoré "
                "ou fera refuser le dépôt ; le déclarer ou le retirer.",
                f"{label}:{name}",
                severity=Severity.WARNING,
            )


@dataclass
class _Content:
    size: int
    sha256: str
    head: bytes
    data: bytes | None  # kept for PDFs small enough to open


def _read_entry(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: ZipLimits,
    report: ZipReport,
    label: str,
    concerned: list[ExpectedFile],
) -> _Content | None:
    digest = hashlib.sha256()
    keep = info.filename.lower().endswith(".pdf") and info.file_size <= limits.max_pdf_parse_bytes
    chunks: list[bytes] = []
    size = 0
    head = b""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_READ_CHUNK):
                size += len(chunk)
                if size > limits.max_entry_uncompressed:
                    report.add(
                        "DEPOSIT_ZIP_BOMB",
                        f"Entrée « {info.filename} » : plus de {limits.max_entry_uncompressed} "
                        "octets réels une fois décompressée ; lecture arrêtée.",
                        f"{label}:{info.filename}",
                        _indexes(concerned),
                    )
                    return None
                digest.update(chunk)
                if len(head) < _HEAD:
                    head += chunk[: _HEAD - len(head)]
                if keep:
                    chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError) as exc:
        report.add(
            "DEPOSIT_ZIP_ENTRY_CORRUPT",
            f"Entrée « {info.filename} » du zip illisible ({exc}) ; pièce des {_ids(concerned)}.",
            f"{label}:{info.filename}",
            _indexes(concerned),
        )
        return None
    return _Content(size, digest.hexdigest(), head, b"".join(chunks) if keep else None)


def _compare(content: _Content, concerned: list[ExpectedFile], report: ZipReport) -> None:
    for item in concerned:
        if item.size != content.size:
            report.add(
                "DEPOSIT_ATTACHMENT_SIZE_MISMATCH",
                f"Pièce « {item.name} » de la demande « {item.request_id} » : {content.size} "
                f"octets dans le zip, {item.size} déclarés dans le JSON.",
                item.path,
                [item.request_index],
            )
        if item.sha256.lower() != content.sha256:
            report.add(
                "DEPOSIT_ATTACHMENT_SHA256_MISMATCH",
                f"Pièce « {item.name} » de la demande « {item.request_id} » : empreinte SHA-256 "
                f"du zip {content.sha256}, différente de celle déclarée ({item.sha256.lower()}) "
                "— mauvais fichier ou fichier modifié après la création du JSON.",
                item.path,
                [item.request_index],
            )


def _sniff(head: bytes) -> str:
    stripped = head.lstrip()
    for magic, what in _SNIFFED:
        if stripped.startswith(magic):
            return what
    return "un autre type de fichier"


def _inspect(
    content: _Content,
    name: str,
    concerned: list[ExpectedFile],
    limits: ZipLimits,
    report: ZipReport,
) -> None:
    first = concerned[0]
    requests = _indexes(concerned)
    who = _ids(concerned)
    if content.size == 0:
        report.add(
            "DEPOSIT_ATTACHMENT_EMPTY",
            f"Pièce « {name} » vide (0 octet) ; pièce des {who}.",
            first.path,
            requests,
        )
        return
    suffix = Path(name).suffix.lower()
    is_pdf = b"%PDF-" in content.head
    if suffix == ".pdf":
        if not is_pdf:
            report.add(
                "DEPOSIT_ATTACHMENT_NOT_PDF",
                f"« {name} » porte l'extension .pdf mais n'est pas un PDF (contenu : "
                f"{_sniff(content.head)}) ; pièce des {who}.",
                first.path,
                requests,
            )
            return
        _open_pdf(content, name, concerned, limits, report)
        return
    if is_pdf:
        report.add(
            "DEPOSIT_ATTACHMENT_CONTENT_MISMATCH",
            f"« {name} » est un PDF mais son nom ne finit pas par .pdf ; le renommer.",
            first.path,
            requests,
            Severity.WARNING,
        )
    expected_magic = _MAGIC.get(suffix)
    if expected_magic is not None and not content.head.startswith(expected_magic[0]):
        report.add(
            "DEPOSIT_ATTACHMENT_CONTENT_MISMATCH",
            f"« {name} » devrait être {expected_magic[1]} d'après son nom, mais contient "
            f"{_sniff(content.head)} ; pièce des {who}.",
            first.path,
            requests,
        )


def _open_pdf(
    content: _Content,
    name: str,
    concerned: list[ExpectedFile],
    limits: ZipLimits,
    report: ZipReport,
) -> None:
    first = concerned[0]
    requests = _indexes(concerned)
    if content.data is None:
        report.add(
            "DEPOSIT_PDF_NOT_OPENED",
            f"« {name} » : PDF de plus de {limits.max_pdf_parse_bytes} octets, non ouvert "
            "(en-tête PDF vérifié seulement).",
            first.path,
            requests,
            Severity.INFO,
        )
        return
    from pypdf import PdfReader  # imported here: only a zip check with PDFs needs it

    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # pypdf logs every repaired defect; we report our own
    try:
        reader = PdfReader(io.BytesIO(content.data), strict=False)
        if reader.is_encrypted:
            report.add(
                "DEPOSIT_PDF_ENCRYPTED",
                f"« {name} » : PDF protégé par mot de passe ; l'opérateur ne pourra pas le lire.",
                first.path,
                requests,
            )
            return
        pages = len(reader.pages)
    except Exception as exc:  # a hostile PDF can raise anything from the parser
        report.add(
            "DEPOSIT_PDF_UNREADABLE",
            f"« {name} » : PDF illisible ({type(exc).__name__}: {exc}) ; pièce des "
            f"{_ids(concerned)}.",
            first.path,
            requests,
        )
        return
    finally:
        logger.setLevel(level)
    if pages == 0:
        report.add(
            "DEPOSIT_PDF_EMPTY",
            f"« {name} » : PDF sans aucune page ; pièce des {_ids(concerned)}.",
            first.path,
            requests,
        )
