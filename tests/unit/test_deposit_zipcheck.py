"""The zip of attachments: unsafe archives refused unread, every JSON ↔ zip mismatch found,
and each finding names the requests it leaves « incomplètes »."""

from __future__ import annotations

import stat
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_deposit_samples import (
    ADVANCE_DAY,
    attachment,
    codes,
    deposit,
    empty_pdf_bytes,
    found,
    pdf_bytes,
    write,
)

from sons.formats.deposit.check import CheckLimits, check_deposit
from sons.formats.deposit.zipcheck import ZipLimits, check_zip, unsafe_name
from sons.referential.loader import default_referential

ORDER_1 = "DEM-001/bon-de-commande.pdf"
ORDER_2 = "DEM-002/bon-de-commande.pdf"


def _check(folder: Path, data: Any, zip_path: Path, limits: ZipLimits | None = None) -> Any:
    json_path, _ = write(folder, data)
    return check_deposit(
        json_path,
        zip_path,
        default_referential(),
        ADVANCE_DAY,
        CheckLimits(zip=limits or ZipLimits()),
    )


def _zip(folder: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    path = folder / "pieces.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, content in entries:
            archive.writestr(info, content)
    return path


def _only(report: Any, code: str) -> Any:
    matching = found(report, code)
    assert len(matching) == 1, [(f.code, f.path, f.message) for f in report.findings]
    return matching[0]


def _summary(report: Any, request_id: str) -> Any:
    return next(r for r in report.requests if r.id == request_id)


def test_missing_extra_and_near_names(tmp_path: Path) -> None:
    data, documents = deposit()
    entries = [(ORDER_1.upper(), documents[ORDER_1]), ("notes.txt", b"brouillon")]
    report = _check(tmp_path, data, _zip(tmp_path, entries))
    missing = found(report, "DEPOSIT_ATTACHMENT_MISSING")
    assert [f.path for f in missing] == [
        "$.demandes[0].pieces_jointes[0].fichier",
        "$.demandes[1].pieces_jointes[0].fichier",
    ]
    assert f"le zip contient « {ORDER_1.upper()} »" in missing[0].message
    extra = found(report, "DEPOSIT_ZIP_EXTRA_FILE")
    assert {f.path for f in extra} == {f"pieces.zip:{ORDER_1.upper()}", "pieces.zip:notes.txt"}
    assert all(f.severity.value == "warning" for f in extra)
    assert report.incomplete_requests == ["DEM-001", "DEM-002"]


def test_sha256_and_size_mismatch(tmp_path: Path) -> None:
    data, documents = deposit()
    other = pdf_bytes("Un autre document, plus long que le bon de commande")
    report = _check(
        tmp_path, data, _zip(tmp_path, [(ORDER_1, other), (ORDER_2, documents[ORDER_2])])
    )
    sha = _only(report, "DEPOSIT_ATTACHMENT_SHA256_MISMATCH")
    assert sha.path == "$.demandes[0].pieces_jointes[0].fichier"
    assert "« DEM-001 »" in sha.message
    assert _only(report, "DEPOSIT_ATTACHMENT_SIZE_MISMATCH").path == sha.path
    assert _summary(report, "DEM-001").incomplete and not _summary(report, "DEM-002").incomplete


def test_a_pdf_that_is_not_a_pdf_and_an_empty_pdf(tmp_path: Path) -> None:
    data, _ = deposit()
    fake = b"<html>Ceci n'est pas un PDF</html>"
    empty = empty_pdf_bytes()
    data["demandes"][0]["pieces_jointes"] = [attachment("bon_de_commande", ORDER_1, fake)]
    data["demandes"][1]["pieces_jointes"] = [attachment("bon_de_commande", ORDER_2, empty)]
    report = _check(tmp_path, data, _zip(tmp_path, [(ORDER_1, fake), (ORDER_2, empty)]))
    not_pdf = _only(report, "DEPOSIT_ATTACHMENT_NOT_PDF")
    assert "du HTML ou du XML" in not_pdf.message and "« DEM-001 »" in not_pdf.message
    assert _only(report, "DEPOSIT_PDF_EMPTY").path == "$.demandes[1].pieces_jointes[0].fichier"
    assert report.incomplete_requests == ["DEM-001", "DEM-002"]


def test_empty_and_unreadable_pdfs(tmp_path: Path) -> None:
    data, _ = deposit()
    broken = b"%PDF-1.7\n" + b"\x00garbage" * 50
    data["demandes"][0]["pieces_jointes"] = [attachment("bon_de_commande", ORDER_1, b"")]
    data["demandes"][1]["pieces_jointes"] = [attachment("bon_de_commande", ORDER_2, broken)]
    report = _check(tmp_path, data, _zip(tmp_path, [(ORDER_1, b""), (ORDER_2, broken)]))
    assert _only(report, "DEPOSIT_ATTACHMENT_EMPTY").path.startswith("$.demandes[0]")
    assert _only(report, "DEPOSIT_PDF_UNREADABLE").path.startswith("$.demandes[1]")


def test_content_that_does_not_match_its_name(tmp_path: Path) -> None:
    data, documents = deposit()
    pdf = documents[ORDER_1]
    data["demandes"][0]["pieces_jointes"].append(attachment("autre", "DEM-001/photo.png", pdf))
    data["demandes"][1]["pieces_jointes"].append(attachment("autre", "DEM-002/scan", pdf))
    entries = [*documents.items(), ("DEM-001/photo.png", pdf), ("DEM-002/scan", pdf)]
    report = _check(tmp_path, data, _zip(tmp_path, entries))
    mismatch = {f.path: f for f in found(report, "DEPOSIT_ATTACHMENT_CONTENT_MISMATCH")}
    png = mismatch["$.demandes[0].pieces_jointes[1].fichier"]
    assert png.severity.value == "error" and "une image PNG" in png.message
    assert mismatch["$.demandes[1].pieces_jointes[1].fichier"].severity.value == "warning"


def test_duplicate_entries(tmp_path: Path) -> None:
    data, documents = deposit()
    entries = [*documents.items(), (ORDER_1, documents[ORDER_1])]
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = _zip(tmp_path, entries)
    report = _check(tmp_path, data, path)
    duplicate = _only(report, "DEPOSIT_ZIP_DUPLICATE_ENTRY")
    assert "2 fois" in duplicate.message and "« DEM-001 »" in duplicate.message
    assert report.incomplete_requests == ["DEM-001"]


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("../evil.pdf", "« .. »"),
        ("DEM-001/../../evil.pdf", "« .. »"),
        ("/etc/passwd", "chemin absolu"),
        ("C:/Windows/evil.pdf", "lecteur Windows"),
        ("..\\evil.pdf", "barre oblique inverse"),
    ],
)
def test_unsafe_paths_in_the_zip(tmp_path: Path, name: str, words: str) -> None:
    data, documents = deposit()
    report = _check(tmp_path, data, _zip(tmp_path, [*documents.items(), (name, b"x")]))
    finding = _only(report, "DEPOSIT_ZIP_PATH_UNSAFE")
    assert words in finding.message and finding.path == f"pieces.zip:{name}"
    assert report.exit_code == 1


def test_unsafe_name_accepts_ordinary_relative_paths() -> None:
    assert unsafe_name("DEM-001/bon..de..commande.pdf") is None
    assert unsafe_name("a/b/c.pdf") is None


def test_a_symlink_is_refused_unread(tmp_path: Path) -> None:
    data, documents = deposit()
    link = zipfile.ZipInfo(ORDER_1)
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    entries = [(link, b"/etc/passwd"), (ORDER_2, documents[ORDER_2])]
    report = _check(tmp_path, data, _zip(tmp_path, entries))
    assert _only(report, "DEPOSIT_ZIP_SYMLINK").path == f"pieces.zip:{ORDER_1}"
    assert "DEPOSIT_ATTACHMENT_SHA256_MISMATCH" not in codes(report)  # not read at all
    assert report.incomplete_requests == ["DEM-001"]


def _set_encrypted(path: Path, name: str) -> None:
    """Set the « encrypted » flag bit of an entry, in its local and central headers."""
    raw = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, flag_offset, name_offset in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        position = raw.find(signature)
        while position != -1:
            if raw[position + name_offset : position + name_offset + len(encoded)] == encoded:
                (flags,) = struct.unpack_from("<H", raw, position + flag_offset)
                struct.pack_into("<H", raw, position + flag_offset, flags | 0x1)
            position = raw.find(signature, position + 4)
    path.write_bytes(bytes(raw))


def test_an_encrypted_entry_is_refused_unread(tmp_path: Path) -> None:
    data, documents = deposit()
    path = _zip(tmp_path, list(documents.items()))
    _set_encrypted(path, ORDER_2)
    report = _check(tmp_path, data, path)
    finding = _only(report, "DEPOSIT_ZIP_ENCRYPTED")
    assert finding.path == f"pieces.zip:{ORDER_2}"
    assert report.incomplete_requests == ["DEM-002"]


def test_a_zip_bomb_by_ratio_is_not_decompressed(tmp_path: Path) -> None:
    data, documents = deposit()
    bomb = b"\0" * (20 * 1024 * 1024)  # compresses about a thousand times
    data["demandes"][0]["pieces_jointes"].append(attachment("autre", "DEM-001/annexe.pdf", bomb))
    path = _zip(tmp_path, [*documents.items(), ("DEM-001/annexe.pdf", bomb)])
    report = _check(tmp_path, data, path)
    finding = _only(report, "DEPOSIT_ZIP_BOMB")
    assert "taux de compression" in finding.message and "bombe zip" in finding.message
    assert report.incomplete_requests == ["DEM-001"]


def test_a_zip_bomb_by_declared_total_stops_everything(tmp_path: Path) -> None:
    data, documents = deposit()
    path = _zip(tmp_path, list(documents.items()))
    limits = ZipLimits(max_total_uncompressed=1000)
    report = _check(tmp_path, data, path, limits)
    finding = _only(report, "DEPOSIT_ZIP_BOMB")
    assert "limite 1000" in finding.message and finding.path == "pieces.zip"
    assert report.incomplete_requests == ["DEM-001", "DEM-002"]


def test_a_zip_bomb_by_entry_size(tmp_path: Path) -> None:
    data, documents = deposit()
    report = _check(
        tmp_path,
        data,
        _zip(tmp_path, list(documents.items())),
        ZipLimits(max_entry_uncompressed=100),
    )
    assert [f.path for f in found(report, "DEPOSIT_ZIP_BOMB")] == [
        f"pieces.zip:{ORDER_1}",
        f"pieces.zip:{ORDER_2}",
    ]


def test_an_entry_lying_about_its_size_is_corrupt_not_read_beyond(tmp_path: Path) -> None:
    data, documents = deposit()
    path = _zip(tmp_path, list(documents.items()))
    raw = bytearray(path.read_bytes())
    central = raw.find(b"PK\x01\x02")  # first central entry: ORDER_1, declared size at +24
    (size,) = struct.unpack_from("<I", raw, central + 24)
    struct.pack_into("<I", raw, central + 24, size // 2)
    path.write_bytes(bytes(raw))
    report = _check(tmp_path, data, path)
    assert _only(report, "DEPOSIT_ZIP_ENTRY_CORRUPT").path == f"pieces.zip:{ORDER_1}"


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    data, _ = deposit()
    path = tmp_path / "pieces.zip"
    path.write_bytes(b"PK\x03\x04 tronque")
    report = _check(tmp_path, data, path)
    assert _only(report, "DEPOSIT_ZIP_UNREADABLE").path == "pieces.zip"
    assert report.incomplete_requests == ["DEM-001", "DEM-002"]


def test_check_zip_alone_reports_entries_read(tmp_path: Path) -> None:
    _, documents = deposit()
    path = _zip(tmp_path, list(documents.items()))
    report = check_zip(path, [])
    assert report.entries == 2 and report.read == 0
    assert {f.finding.code for f in report.findings} == {"DEPOSIT_ZIP_EXTRA_FILE"}
    assert all(not f.requests for f in report.findings)
