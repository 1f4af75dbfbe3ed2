"""`read_upload`: size limit and content sniffing, whatever the file is called."""

from __future__ import annotations

import asyncio
import io

import pytest

from sons.entrypoints.web.uploads import Upload, UploadKind, UploadRefused, read_upload, sniff


class FakeUpload:
    def __init__(self, data: bytes, filename: str | None = "fichier.json") -> None:
        self.filename = filename
        self._stream = io.BytesIO(data)
        self.asked: list[int] = []

    async def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        return self._stream.read(size)


def read(data: bytes, accept: set[UploadKind], limit: int = 100, name: str = "f.json") -> Upload:
    return asyncio.run(read_upload(FakeUpload(data, name), limit=limit, accept=accept))


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"%PDF-1.4\n", UploadKind.PDF),
        (b"PK\x03\x04rest", UploadKind.ZIP),
        (b'\xef\xbb\xbf  {"a": 1}', UploadKind.JSON),
        (b"\n[1, 2]", UploadKind.JSON),
        ("numéro;nom\n1;Hôpital".encode(), UploadKind.TEXT),
        # A multi-byte character cut by the sniffing window is still text.
        (("é".encode() * 10)[:-1], UploadKind.TEXT),
    ],
)
def test_known_kinds(head: bytes, kind: UploadKind) -> None:
    assert sniff(head) == kind


@pytest.mark.parametrize(
    ("head", "said"),
    [
        (b"\x89PNG\r\n\x1a\nxxxx", "PNG"),
        (b"\x7fELF\x02", "ELF"),
        (b"abc\x00def", "binaire"),
        (b"\xff\xfe\xfa\xfb plus de texte", "UTF-8"),
        (b"  <!DOCTYPE html><html>", "HTML"),
    ],
)
def test_foreign_content_is_named(head: bytes, said: str) -> None:
    found = sniff(head)
    assert not isinstance(found, UploadKind)
    assert said in found


def test_reads_at_most_one_byte_over_the_limit() -> None:
    upload = FakeUpload(b"{" + b" " * 10_000 + b"}")
    with pytest.raises(UploadRefused) as refused:
        asyncio.run(read_upload(upload, limit=100, accept={UploadKind.JSON}))
    assert refused.value.code == "UPLOAD_TOO_LARGE"
    assert refused.value.status == 413
    assert "100 octets" in refused.value.message
    assert upload.asked == [101]


def test_accepted_content_comes_back_with_its_kind_and_a_clean_name() -> None:
    upload = read(b'{"q": true}', {UploadKind.JSON}, name="C:\\dossier\\réponses.json")
    assert upload == read(b'{"q": true}', {UploadKind.JSON}, name="réponses.json")
    assert upload.kind is UploadKind.JSON
    assert upload.name == "réponses.json"
    assert upload.text() == '{"q": true}'


@pytest.mark.parametrize(
    ("data", "code", "status"),
    [
        (b"", "UPLOAD_EMPTY", 422),
        (b"%PDF-1.7", "UPLOAD_TYPE_REFUSED", 415),
        (b'{"texte": "\xe9t\xe9"}', "UPLOAD_TYPE_REFUSED", 415),
        # Past the sniffing window, the whole content is still checked.
        (b'{"texte": "' + b"a" * 5000 + b'\xe9"}', "UPLOAD_ENCODING", 422),
    ],
)
def test_refusals(data: bytes, code: str, status: int) -> None:
    with pytest.raises(UploadRefused) as refused:
        read(data, {UploadKind.JSON}, limit=10_000)
    assert (refused.value.code, refused.value.status) == (code, status)
