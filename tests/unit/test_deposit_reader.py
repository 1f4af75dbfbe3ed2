"""Reading a deposit file safely: every bad input gives a precise finding, never a crash."""

from __future__ import annotations

import codecs
import tracemalloc
from pathlib import Path

import orjson
import pytest
from test_deposit_samples import deposit

from sons.formats.deposit.reader import read_deposit


def _read(tmp_path: Path, content: bytes, max_bytes: int | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "depot.json"
    path.write_bytes(content)
    return read_deposit(path) if max_bytes is None else read_deposit(path, max_bytes)


def _only(result, code: str):  # type: ignore[no-untyped-def]
    matching = [f for f in result.findings if f.code == code]
    assert matching, [(f.code, f.message) for f in result.findings]
    return matching[0]


def test_a_valid_file_is_read_by_the_fast_path(tmp_path: Path) -> None:
    data, _ = deposit()
    result = _read(tmp_path, orjson.dumps(data))
    assert result.usable and not result.findings
    assert result.data == data
    assert not result.exact_pass


def test_truncated_json_names_line_and_column(tmp_path: Path) -> None:
    data, _ = deposit()
    text = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    cut = text[: len(text) // 2]
    result = _read(tmp_path, cut)
    assert not result.usable
    finding = _only(result, "DEPOSIT_JSON_TRUNCATED")
    last_line = cut.count(b"\n") + 1
    assert f"ligne {last_line}" in finding.path
    assert "tronqué" in finding.message


def test_a_syntax_error_in_the_middle_is_not_called_truncated(tmp_path: Path) -> None:
    result = _read(tmp_path, b'{\n  "a": 1,\n  "b": 2,\n}\n')
    finding = _only(result, "DEPOSIT_JSON_INVALID")
    assert finding.path == "ligne 4, colonne 1"
    assert "virgule en trop" in finding.message


def test_non_utf8_gives_the_byte_offset(tmp_path: Path) -> None:
    content = '{"version_format": "1.0", "nom": "Hôpital"}'.encode("latin-1")
    result = _read(tmp_path, content)
    finding = _only(result, "DEPOSIT_NOT_UTF8")
    offset = content.index("ô".encode("latin-1"))
    assert finding.path == f"octet {offset}"
    assert "0xf4" in finding.message and "colonne" in finding.message


def test_utf16_is_refused_with_what_to_do(tmp_path: Path) -> None:
    result = _read(tmp_path, '{"a": 1}'.encode("utf-16"))
    assert "UTF-16" in _only(result, "DEPOSIT_NOT_UTF8").message


def test_a_utf8_bom_is_an_error_but_the_rest_is_checked(tmp_path: Path) -> None:
    data, _ = deposit()
    result = _read(tmp_path, codecs.BOM_UTF8 + orjson.dumps(data))
    assert result.usable and result.data == data
    assert _only(result, "DEPOSIT_BOM").severity.value == "error"


def test_duplicate_keys_are_found_with_their_json_path(tmp_path: Path) -> None:
    data, _ = deposit()
    text = orjson.dumps(data).decode()
    # The second request's site gets its FINESS twice, the second value wins in orjson.
    target = '"finess_et":"' + data["demandes"][1]["etablissements"][0]["finess_et"] + '"'
    text = text.replace(target, target + ',"finess_et":"999999999"', 1)
    result = _read(tmp_path, text.encode())
    assert result.usable and result.exact_pass
    finding = _only(result, "DEPOSIT_DUPLICATE_KEY")
    assert finding.path == "$.demandes[1].etablissements[0].finess_et"
    assert result.data["demandes"][1]["etablissements"][0]["finess_et"] == "999999999"


def test_an_escaped_colon_cannot_hide_a_duplicate_key(tmp_path: Path) -> None:
    # A lost key removes one colon; a « \u003a » escape adds one to the parsed side: the
    # count must still see the difference.
    content = b'{"a": "x\\u003a", "b": 1, "b": 2}'
    result = _read(tmp_path, content)
    assert _only(result, "DEPOSIT_DUPLICATE_KEY").path == "$.b"


def test_colons_in_values_and_harmless_escapes_are_no_duplicates(tmp_path: Path) -> None:
    result = _read(tmp_path, b'{"t": "10:30:00", "u": "\\\\u003a", "k\\u003a": {"a:b": 1}}')
    assert result.usable and not result.findings
    assert result.data == {"t": "10:30:00", "u": "\\u003a", "k:": {"a:b": 1}}


def test_duplicate_keys_with_odd_names_are_quoted_in_the_path(tmp_path: Path) -> None:
    result = _read(tmp_path, b'{"a b": {"c": 1, "c": 2}}')
    assert _only(result, "DEPOSIT_DUPLICATE_KEY").path == "$['a b'].c"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (b"1e400", float("inf")),
        (b"9" * 5000, 10**400),
        (b"-" + b"9" * 5000, -(10**400)),
        (b"99999999999999999999999", 1e23),
    ],
)
def test_numbers_beyond_every_range_stay_readable_and_out_of_range(
    tmp_path: Path, number: bytes, expected: object
) -> None:
    result = _read(tmp_path, b'{"montant": ' + number + b"}")
    assert result.usable and not result.findings
    assert result.data["montant"] == expected


def test_nan_and_infinity_are_not_json(tmp_path: Path) -> None:
    result = _read(tmp_path, b'{\n "a": 1,\n "b": NaN\n}')
    finding = _only(result, "DEPOSIT_JSON_INVALID")
    assert finding.path == "ligne 3, colonne 7"
    assert "NaN" in finding.message


def test_absurd_nesting_is_refused_without_a_crash(tmp_path: Path) -> None:
    result = _read(tmp_path, b"[" * 200_000 + b"]" * 200_000)
    assert not result.usable
    assert result.findings[0].code in {"DEPOSIT_JSON_TOO_DEEP", "DEPOSIT_JSON_INVALID"}


def test_a_lone_surrogate_escape_is_refused(tmp_path: Path) -> None:
    result = _read(tmp_path, b'{"a": "\\ud800"}')
    assert "surrogate" in _only(result, "DEPOSIT_JSON_INVALID").message


def test_empty_missing_and_directory(tmp_path: Path) -> None:
    assert _only(_read(tmp_path, b""), "DEPOSIT_FILE_EMPTY")
    missing = read_deposit(tmp_path / "absent.json")
    assert _only(missing, "DEPOSIT_FILE_MISSING") and not missing.usable
    assert _only(read_deposit(tmp_path), "DEPOSIT_FILE_UNREADABLE")


def test_the_size_limit_is_configurable(tmp_path: Path) -> None:
    result = _read(tmp_path, b'{"a": "' + b"x" * 2000 + b'"}', max_bytes=1000)
    assert not result.usable
    assert "limite 1 000 octets" in _only(result, "DEPOSIT_FILE_TOO_LARGE").message


def test_a_2_gb_file_is_refused_before_being_read(tmp_path: Path) -> None:
    path = tmp_path / "enorme.json"
    with path.open("wb") as stream:
        stream.truncate(2 * 1024**3)  # sparse: costs no disk
    tracemalloc.start()
    try:
        result = read_deposit(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not result.usable
    assert result.size == 2 * 1024**3
    assert _only(result, "DEPOSIT_FILE_TOO_LARGE")
    assert peak < 1024 * 1024  # nothing of the file was loaded
