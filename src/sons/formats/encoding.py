"""Which text encoding an imported file uses: UTF-8, or Latin-1 when the whole file is not UTF-8.

The decision is taken on the whole file, streamed line by line in binary (constant memory), before
reading it: a file is UTF-8 when every line decodes as UTF-8. Only then do we fall back to
Latin-1 — as Windows-1252, its superset used by French Windows and Excel (« œ », « € », « ’ »),
when every byte is defined there, else ISO-8859-1. A file that mixes both (some lines in valid
multi-byte UTF-8, others not) is refused: decoding it either way would corrupt names silently.
UTF-16/UTF-32 and binary files (NUL bytes, a zip archive) are refused with what to do instead.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sons.formats.problems import ImportReport

_BOMS_REFUSED = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and other OLE2 documents)


@dataclass(frozen=True, slots=True)
class TextEncoding:
    codec: str
    label: str

    @property
    def is_utf8(self) -> bool:
        return self.codec.startswith("utf-8")


UTF8 = TextEncoding("utf-8", "UTF-8")
UTF8_BOM = TextEncoding("utf-8-sig", "UTF-8 (avec BOM)")
WINDOWS_1252 = TextEncoding("cp1252", "Latin-1 (Windows-1252)")
ISO_8859_1 = TextEncoding("latin-1", "Latin-1 (ISO-8859-1)")


def _decodes(raw: bytes, codec: str) -> bool:
    try:
        raw.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


_BLOCK_SIZE = 1 << 20
_MAX_LINE = 16 << 20
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _blocks(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """Whole lines of a binary stream, about a megabyte at a time, with their first line number.

    Decoding a megabyte at once runs in C; going line by line in Python is kept for the rare
    files that are not UTF-8.
    """
    line = 1
    pending = b""
    while True:
        chunk = stream.read(_BLOCK_SIZE)
        data = pending + chunk
        if not chunk:
            if data:
                yield line, data
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < _MAX_LINE:
            pending = data
            continue
        cut = cut or len(data)
        block, pending = data[:cut], data[cut:]
        yield line, block
        line += block.count(b"\n")


class _Scan:
    """What the lines seen so far say: first multi-byte UTF-8 line, first non-UTF-8 line."""

    def __init__(self) -> None:
        self.first_utf8_line: int | None = None
        self.first_bad_line: int | None = None
        self.cp1252_ok = True

    def block(self, first_line: int, block: bytes) -> None:
        if block.isascii():
            return
        try:
            block.decode("utf-8")
        except UnicodeDecodeError:
            for number, raw in enumerate(block.split(b"\n"), start=first_line):
                self.line(number, raw)
            return
        if self.first_utf8_line is None:
            match = _NON_ASCII.search(block)
            assert match is not None
            self.first_utf8_line = first_line + block.count(b"\n", 0, match.start())

    def line(self, number: int, raw: bytes) -> None:
        if raw.isascii():
            return
        if _decodes(raw, "utf-8"):
            if self.first_utf8_line is None:
                self.first_utf8_line = number
            return
        if self.first_bad_line is None:
            self.first_bad_line = number
        if self.cp1252_ok and not _decodes(raw, "cp1252"):
            self.cp1252_ok = False


def detect_encoding(
    path: Path,
    report: ImportReport,
    *,
    latin1_allowed: bool = True,
    latin1_expected: bool = False,
    what: str = "ce fichier",
) -> TextEncoding | None:
    """Decide the encoding of ``path``; report why when it cannot be read as text.

    Returns None (with an error in ``report``) for a file that cannot be used. When the file is
    read as Latin-1 the report says so and names the first line that is not UTF-8: a warning,
    or an information when Latin-1 is a normal form of the file (``latin1_expected``, the FINESS
    extract); ``latin1_allowed=False`` (JSON, which RFC 8259 requires in UTF-8) makes it an error.
    """
    with path.open("rb") as stream:
        head = stream.read(4)
        for bom, name in _BOMS_REFUSED:
            if head.startswith(bom):
                report.error(
                    None,
                    None,
                    None,
                    "ENCODING_UNSUPPORTED",
                    f"{what} est encodé en {name} : enregistrez-le en UTF-8 (dans Excel : "
                    "« CSV UTF-8 (délimité par des points-virgules) »)",
                )
                return None
        if head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
            report.error(
                None,
                None,
                None,
                "ENCODING_UNSUPPORTED",
                f"{what} est un classeur ou une archive, pas un fichier texte : donnez-lui "
                "l'extension .xlsx ou exportez-le en CSV UTF-8",
            )
            return None
        stream.seek(0)
        has_bom = head.startswith(codecs.BOM_UTF8)
        scan = _Scan()
        for first_line, block in _blocks(stream):
            nul = block.find(b"\x00")
            if nul >= 0:
                number = first_line + block.count(b"\n", 0, nul)
                report.error(
                    number,
                    None,
                    None,
                    "ENCODING_UNSUPPORTED",
                    f"{what} contient un octet nul (ligne {number}) : fichier binaire ou encodé "
                    "en UTF-16 ; enregistrez-le en UTF-8",
                )
                return None
            scan.block(first_line, block)
            if scan.first_bad_line is not None and scan.first_utf8_line is not None:
                report.error(
                    scan.first_bad_line,
                    None,
                    None,
                    "ENCODING_MIXED",
                    f"{what} mélange deux encodages : la ligne {scan.first_utf8_line} est en "
                    f"UTF-8, la ligne {scan.first_bad_line} ne l'est pas (Latin-1 ?) ; "
                    "réenregistrez tout le fichier en UTF-8",
                )
                return None
    first_bad_line, cp1252_ok = scan.first_bad_line, scan.cp1252_ok
    if first_bad_line is None:
        return UTF8_BOM if has_bom else UTF8
    if not latin1_allowed:
        report.error(
            first_bad_line,
            None,
            None,
            "ENCODING_NOT_UTF8",
            f"{what} n'est pas en UTF-8 (ligne {first_bad_line}) ; ce format exige l'UTF-8",
        )
        return None
    chosen = WINDOWS_1252 if cp1252_ok else ISO_8859_1
    say = report.info if latin1_expected else report.warning
    say(
        first_bad_line,
        None,
        None,
        "ENCODING_LATIN1",
        f"{what} n'est pas en UTF-8 (première ligne concernée : {first_bad_line}) : lu en "
        f"{chosen.label}",
    )
    return chosen


class _CountingReader(io.RawIOBase):
    """A binary stream that counts the bytes read, for progress bars on streamed imports."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.bytes_read += size
        return size

    def close(self) -> None:
        self._raw.close()
        super().close()


@dataclass
class OpenedText:
    """A text stream for the csv module, and how many bytes of the file were read so far."""

    stream: io.TextIOWrapper
    _counter: _CountingReader

    @property
    def bytes_read(self) -> int:
        return self._counter.bytes_read

    def close(self) -> None:
        self.stream.close()


def open_text(path: Path, encoding: TextEncoding) -> OpenedText:
    """Open ``path`` as text (newline="" as the csv module requires), counting bytes read."""
    counter = _CountingReader(path.open("rb"))
    buffered = io.BufferedReader(counter, buffer_size=1 << 16)
    stream = io.TextIOWrapper(buffered, encoding=encoding.codec, newline="")
    return OpenedText(stream, counter)


Progress = Callable[[int, int], None]
"""Called as ``progress(bytes_read, total_bytes)`` while a large file is streamed."""
