"""Files in and out of the pages: uploads staged on disk for the services that read paths, and
downloads sent as attachments.

The services (deposit check, VA upload, transitions, controls) take paths, as the CLI gives
them. A page writes each accepted upload (`uploads.read_upload`, already size-limited and
sniffed) into a private temporary folder that disappears with the request, under a name made
safe for the file system but still recognisable in the reports (« depot avance.json » →
« depot_avance.json »).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from starlette.responses import Response

from sons.entrypoints.web.uploads import Upload

_UNSAFE = re.compile(r"[^\w.-]+")
MEDIA_TYPES = {
    ".json": "application/json",
    ".zip": "application/zip",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def safe_name(name: str, fallback: str) -> str:
    """A file name without separators, control characters or a leading dot."""
    cleaned = _UNSAFE.sub("_", name).strip("._")[:120]
    return cleaned or fallback


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A private temporary folder, removed with everything in it on exit."""
    with tempfile.TemporaryDirectory(prefix="sons-web-") as folder:
        yield Path(folder)


def stage(folder: Path, upload: Upload, fallback: str) -> Path:
    """Write `upload` into `folder` under a safe version of its name; its path."""
    path = folder / safe_name(upload.name, fallback)
    if path.exists():  # two uploads with the same name: keep both
        path = folder / f"{path.stem}-2{path.suffix}"
    path.write_bytes(upload.data)
    return path


def attachment(name: str, content: bytes) -> Response:
    """`content` as a download named `name` (typed by its extension)."""
    media_type = MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    ascii_name = safe_name(name.encode("ascii", "replace").decode("ascii"), "fichier")
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            ),
            "Cache-Control": "no-store",
        },
    )
