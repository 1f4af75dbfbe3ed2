"""Writing a file atomically: a reader sees the old content or the new one, never half.

The temporary file sits in the same folder so that `os.replace` is a rename on one filesystem.
Every file sons writes for a user (schemas, PDFs, reports, rejected lines) goes through here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes | str) -> None:
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide the file from its readers
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
