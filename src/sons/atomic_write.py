"""Writing a file atomically: a reader sees the old content or the new one, never half.

The temporary file sits in the same folder so that `os.replace` is a rename on one filesystem.
Every file sons writes for a user (schemas, PDFs, reports, rejected lines) goes through here.
`write_all_atomically` does it for files that only make sense together (a deposit's JSON and
its zip): all of them, or none.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path


def _stage(path: Path, data: bytes | str) -> Path:
    """The content, written and synced to a temporary file beside `path`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the file from its readers
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def write_atomically(path: Path, data: bytes | str) -> None:
    temporary = _stage(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_all_atomically(files: Sequence[tuple[Path, bytes | str]]) -> None:
    """Write several files, all or none.

    Every content is first staged beside its target; then each target is renamed into place,
    an existing one moved aside first. If anything fails, the targets already replaced get
    their old content back (or disappear if they were new) and nothing staged is left behind.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files:
            staged.append((_stage(path, data), path))
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    installed: list[tuple[Path, Path | None]] = []
    try:
        for temporary, target in staged:
            aside = None
            if target.exists():
                aside = _stage(target, b"")  # a free name beside the target
                try:
                    os.replace(target, aside)
                except BaseException:
                    aside.unlink(missing_ok=True)
                    raise
            installed.append((target, aside))
            os.replace(temporary, target)
    except BaseException:
        for target, aside in reversed(installed):
            if aside is not None:
                os.replace(aside, target)
            else:
                target.unlink(missing_ok=True)
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise
    for _, aside in installed:
        if aside is not None:
            aside.unlink(missing_ok=True)
