"""Writing files that belong together (a deposit's JSON and zip): all of them, or none."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sons import atomic_write
from sons.atomic_write import write_all_atomically


def test_writes_every_file(tmp_path: Path) -> None:
    first, second = tmp_path / "depot.json", tmp_path / "depot.zip"
    second.write_bytes(b"ancien")
    write_all_atomically([(first, "{}"), (second, b"PK")])
    assert first.read_text() == "{}" and second.read_bytes() == b"PK"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["depot.json", "depot.zip"]


def test_a_file_that_cannot_be_staged_leaves_nothing(tmp_path: Path) -> None:
    first = tmp_path / "depot.json"
    with pytest.raises(FileNotFoundError):
        write_all_atomically([(first, "{}"), (tmp_path / "absent" / "depot.zip", b"PK")])
    assert list(tmp_path.iterdir()) == []


def test_a_failed_rename_restores_what_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "depot.json", tmp_path / "depot.zip"
    first.write_text("ancien json")
    real_replace = os.replace

    def failing(source: str | Path, target: str | Path) -> None:
        if Path(target) == second:
            raise OSError("disque plein")
        real_replace(source, target)

    monkeypatch.setattr(atomic_write.os, "replace", failing)
    with pytest.raises(OSError, match="disque plein"):
        write_all_atomically([(first, "nouveau json"), (second, b"PK")])
    monkeypatch.setattr(atomic_write.os, "replace", real_replace)
    assert first.read_text() == "ancien json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["depot.json"]
