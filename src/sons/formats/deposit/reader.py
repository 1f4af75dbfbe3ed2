"""Reading a deposit file safely: bounded size, exact diagnosis, every problem placed.

Never a crash and never memory blown: the size is checked on disk before reading (a 2 GB
file is refused unread), the file is read once with a cap, parsed by orjson, and the bytes
are released before validation. Every problem becomes a `Finding` with a JSON path or a
line and column.

Duplicate keys: orjson keeps the last value silently, and a checker that did the same would
pass a file the operator may read differently. Detecting them exactly costs a second parse
with the standard library (several times slower), so we run it only when a cheap count says
a key may have been lost:

    colons in the file + « \\u003a » escapes in the file  ≥  keys + colons in strings,

where the right side is counted on what orjson parsed (orjson re-serialises every key with
one colon, strings unescaped). Without duplicate keys both sides are equal; a lost key makes
the right side smaller. So equal means « no duplicates » for sure, and the exact pass runs
only on a difference (a duplicate, or a harmless escape counted on the left). The count costs
about 40 % of the orjson parse on a 70 MB file (two byte counts, one re-serialisation a
slice at a time); the exact pass costs several parses, and runs only on suspicion.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from sons.findings import Finding, Severity
from sons.formats.deposit.mapping import ROOT, member

DEFAULT_MAX_BYTES = 200 * 1024 * 1024

_CHUNK = 2000  # list items re-serialised at a time by the duplicate-key count
_MAX_INT_DIGITS = 400  # beyond this, a number is out of every range we accept anyway
_HUGE = int("1" + "0" * _MAX_INT_DIGITS)
_NON_FINITE = re.compile(rb"(?:^|[\[:,])\s*(NaN|-?Infinity)")

_STDLIB_MESSAGES = {
    "Expecting value": "une valeur est attendue",
    "Expecting property name enclosed in double quotes": "un nom de clé entre guillemets est "
    "attendu (virgule en trop avant « } » ?)",
    "Expecting ',' delimiter": "une virgule est attendue",
    "Expecting ':' delimiter": "deux-points « : » attendus après la clé",
    "Unterminated string starting at": "texte non terminé (guillemet fermant manquant)",
    "Invalid control character at": "caractère de contrôle interdit dans un texte",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Invalid \\uXXXX escape": "séquence d'échappement \\uXXXX invalide",
    "Extra data": "données en trop après la fin du JSON",
}


@dataclass
class ReadResult:
    """What reading gave: the parsed content (None when unusable) and the problems."""

    path: Path
    size: int = 0
    data: Any = None
    findings: list[Finding] = field(default_factory=list)
    usable: bool = False
    exact_pass: bool = False  # the slower duplicate-key pass ran


class _NonFinite(ValueError):
    pass


class _Unusable(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _unusable(code: str, message: str, path: str = "") -> _Unusable:
    return _Unusable(Finding(code, Severity.ERROR, message, path, "lecture"))


def _line_column(data: bytes | memoryview, offset: int) -> tuple[int, int]:
    head = bytes(data[:offset])
    line = head.count(b"\n") + 1
    column = offset - (head.rfind(b"\n") + 1) + 1
    return line, column


def read_deposit(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ReadResult:
    """Read and parse a deposit file; `usable` is False when it cannot be read as JSON."""
    result = ReadResult(path=path)
    try:
        raw = _read_bounded(path, max_bytes, result)
        result.data = _parse(raw, path.name, result)
        result.usable = True
    except _Unusable as exc:
        result.findings.append(exc.finding)
    return result


def _read_bounded(path: Path, max_bytes: int, result: ReadResult) -> bytes:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise _unusable("DEPOSIT_FILE_MISSING", f"Fichier introuvable : {path}.") from None
    except OSError as exc:
        raise _unusable(
            "DEPOSIT_FILE_UNREADABLE", f"Fichier illisible : {path} ({exc.strerror})."
        ) from None
    if not path.is_file():
        raise _unusable(
            "DEPOSIT_FILE_UNREADABLE", f"{path} n'est pas un fichier ordinaire (dossier, tube…)."
        )
    result.size = stat.st_size
    if stat.st_size > max_bytes:
        raise _unusable(
            "DEPOSIT_FILE_TOO_LARGE",
            f"Fichier trop volumineux : {stat.st_size:,} octets, limite {max_bytes:,} octets. "
            "Il n'a pas été lu ; le découper en plusieurs fichiers de dépôt.".replace(",", " "),
        )
    if stat.st_size == 0:
        raise _unusable("DEPOSIT_FILE_EMPTY", f"Fichier vide : {path.name}.")
    try:
        with path.open("rb") as stream:
            # Sized on the file, not the limit: read(n) allocates n bytes up front.
            raw = stream.read(stat.st_size + 1)
            if len(raw) > stat.st_size:  # the file grew after stat: read the rest, bounded
                raw += stream.read(max_bytes + 1 - len(raw))
    except OSError as exc:
        raise _unusable(
            "DEPOSIT_FILE_UNREADABLE", f"Fichier illisible : {path} ({exc.strerror})."
        ) from None
    if len(raw) > max_bytes:  # the file grew after stat
        raise _unusable(
            "DEPOSIT_FILE_TOO_LARGE",
            f"Fichier trop volumineux : plus de {max_bytes} octets ; il n'a pas été lu.",
        )
    return raw


def _parse(raw: bytes, name: str, result: ReadResult) -> Any:
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if raw.startswith(bom):
            raise _unusable(
                "DEPOSIT_NOT_UTF8",
                f"{name} est encodé en {encoding} ; le format de dépôt exige UTF-8 sans BOM. "
                "Réenregistrer le fichier en UTF-8.",
            )
    body: bytes | memoryview = raw
    if raw.startswith(codecs.BOM_UTF8):
        result.findings.append(
            Finding(
                "DEPOSIT_BOM",
                Severity.ERROR,
                f"{name} commence par une marque d'ordre d'octets (BOM UTF-8), interdite en JSON "
                "(RFC 8259 §8.1) et susceptible de faire refuser le fichier ; la retirer "
                "(enregistrer en « UTF-8 » et non « UTF-8 avec BOM »). Le reste du fichier a été "
                "contrôlé.",
                ROOT,
                "lecture",
            )
        )
        body = memoryview(raw)[len(codecs.BOM_UTF8) :]
    try:
        tree = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _parse_slowly(body, name, result, exc)
    if _may_have_lost_keys(raw, tree):
        del tree
        return _parse_slowly(body, name, result, None)
    return tree


def _may_have_lost_keys(raw: bytes, tree: Any) -> bool:
    # « \\u003 » counts every escape of U+0030–U+003F, « : » among them: an upper bound is
    # enough (a count too high only sends the file to the exact pass).
    in_file = raw.count(b":") + raw.count(b"\\u003")
    try:
        return _parsed_colons(tree) != in_file
    except orjson.JSONEncodeError:  # nesting deeper than orjson writes: let the exact pass judge
        return True


def _parsed_colons(tree: Any) -> int:
    """Keys plus colons inside strings, as orjson re-serialises them (one colon per key).

    Big lists (the requests) are re-serialised a slice at a time, so the count never holds a
    second copy of the file in memory.
    """
    if not isinstance(tree, dict):
        return _dumped_colons(tree)
    total: int = len(tree) + sum(key.count(":") for key in tree)
    for value in tree.values():
        total += _dumped_colons(value)
    return total


def _dumped_colons(value: Any) -> int:
    if isinstance(value, list) and len(value) > _CHUNK:
        return sum(
            int(orjson.dumps(value[start : start + _CHUNK]).count(b":"))
            for start in range(0, len(value), _CHUNK)
        )
    return int(orjson.dumps(value).count(b":"))


def _bounded_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        # Out of every range anyway; keeps the sign so « too large » reads true.
        return -_HUGE if text.startswith("-") else _HUGE
    return int(text)


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


def _parse_slowly(
    body: bytes | memoryview, name: str, result: ReadResult, fast_error: Exception | None
) -> Any:
    """The standard library parser: exact positions, duplicate keys, big numbers."""
    try:
        text = str(body, "utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_column(body, exc.start)
        raise _unusable(
            "DEPOSIT_NOT_UTF8",
            f"{name} n'est pas en UTF-8 : octet 0x{bytes(body[exc.start : exc.start + 1]).hex()} "
            f"invalide à l'octet {exc.start} (ligne {line}, colonne {column}). Réenregistrer le "
            "fichier en UTF-8 (souvent : il a été enregistré en Latin-1 / Windows-1252).",
            f"octet {exc.start}",
        ) from None
    if fast_error is not None and "surrogate" in str(fast_error):
        # Valid UTF-8 bytes but a lone \uD800–\uDFFF escape: not a character.
        position = getattr(fast_error, "pos", 0)
        line, column = _line_column(body, position)
        raise _unusable(
            "DEPOSIT_JSON_INVALID",
            f"{name}, ligne {line}, colonne {column} : séquence \\uXXXX désignant un demi-"
            "caractère UTF-16 isolé (« surrogate »), qui n'est pas un caractère.",
            f"ligne {line}, colonne {column}",
        )
    duplicates: dict[int, list[str]] = {}

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        lost: list[str] = []
        for key, value in pairs:
            if key in obj:
                lost.append(key)
            obj[key] = value
        if lost:
            duplicates[id(obj)] = lost
        return obj

    result.exact_pass = True
    try:
        tree = json.loads(
            text,
            object_pairs_hook=pairs_hook,
            parse_int=_bounded_int,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise _decode_error(name, text, exc) from None
    except _NonFinite as exc:
        match = _NON_FINITE.search(bytes(body))
        where = ""
        if match:
            line, column = _line_column(body, match.start(1))
            where = f"ligne {line}, colonne {column}"
        raise _unusable(
            "DEPOSIT_JSON_INVALID",
            f"{name}{', ' + where if where else ''} : « {exc} » n'est pas un nombre JSON "
            "(NaN et Infinity sont interdits).",
            where,
        ) from None
    except RecursionError:
        raise _unusable(
            "DEPOSIT_JSON_TOO_DEEP",
            f"{name} : imbrication trop profonde (des milliers de niveaux) ; le format de dépôt "
            "en compte moins de dix.",
        ) from None
    del text
    if duplicates:
        result.findings.extend(_duplicate_findings(tree, duplicates))
    return tree


def _decode_error(name: str, text: str, exc: json.JSONDecodeError) -> _Unusable:
    reason = exc.msg
    for prefix, french in _STDLIB_MESSAGES.items():
        if exc.msg.startswith(prefix):
            reason = french
            break
    where = f"ligne {exc.lineno}, colonne {exc.colno}"
    if exc.pos >= len(text.rstrip()):
        return _unusable(
            "DEPOSIT_JSON_TRUNCATED",
            f"{name}, {where} : le fichier s'arrête au milieu du JSON ({reason}) ; il est "
            "probablement tronqué (copie ou téléchargement interrompu).",
            where,
        )
    return _unusable("DEPOSIT_JSON_INVALID", f"{name}, {where} : JSON invalide, {reason}.", where)


def _walk(node: Any, path: str) -> Iterator[tuple[Any, str]]:
    stack = [(node, path)]
    while stack:
        current, where = stack.pop()
        yield current, where
        if isinstance(current, dict):
            stack.extend((value, member(where, key)) for key, value in current.items())
        elif isinstance(current, list):
            stack.extend((item, f"{where}[{index}]") for index, item in enumerate(current))


def _duplicate_findings(tree: Any, duplicates: dict[int, list[str]]) -> list[Finding]:
    findings = []
    for node, where in _walk(tree, ROOT):
        if isinstance(node, dict) and id(node) in duplicates:
            for key in dict.fromkeys(duplicates[id(node)]):
                findings.append(
                    Finding(
                        "DEPOSIT_DUPLICATE_KEY",
                        Severity.ERROR,
                        f"Clé « {key} » en double dans le même objet : un lecteur peut garder "
                        "l'une ou l'autre valeur. sons a contrôlé la dernière ; n'en garder "
                        "qu'une.",
                        member(where, key),
                        "lecture",
                    )
                )
    findings.sort(key=lambda f: f.path)
    return findings
