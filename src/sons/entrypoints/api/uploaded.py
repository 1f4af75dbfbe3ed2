"""Files sent to the API (multipart): read once, limited in size, sniffed, then staged on disk
for the services, which read paths as the CLI gives them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request, UploadFile

from sons.entrypoints.api.tenancy import sons_of
from sons.entrypoints.web.files import scratch_folder, stage
from sons.entrypoints.web.uploads import UploadKind, read_upload

TABLE_KINDS = frozenset({UploadKind.TEXT, UploadKind.ZIP, UploadKind.JSON})
"""CSV (text), XLSX (a zip inside) or JSON: what the imports read."""


class Staged:
    """Uploads written into one private folder that disappears with the request."""

    def __init__(self, request: Request, folder: Path) -> None:
        self._limit = sons_of(request).settings.max_upload_bytes
        self._folder = folder

    async def file(self, upload: UploadFile, accept: frozenset[UploadKind], fallback: str) -> Path:
        read = await read_upload(upload, limit=self._limit, accept=accept)
        return stage(self._folder, read, fallback)


@contextmanager
def staging(request: Request) -> Iterator[Staged]:
    with scratch_folder() as folder:
        yield Staged(request, folder)
