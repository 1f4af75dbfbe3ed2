"""Every list of the API: a page at a time in JSON, or the whole list as CSV or XLSX.

    GET /api/v1/orders?status=draft&page=2&per_page=50
        → {"items": [...], "total": 312, "page": 2, "per_page": 50, "pages": 7}
          with `Link: <…page=1…>; rel="first", <…page=3…>; rel="next", …` and `X-Total-Count`
    GET /api/v1/orders?status=draft&format=csv     → every matching row, one file

A route gives a `Fetch` (offset, limit → rows, total) and the model of a row; the model's
fields, titled in French, are the export's columns. CSV as the project's other CSV files
(« ; » separator) with a UTF-8 byte-order mark so that Excel in French reads accents right.
Text that a spreadsheet would take for a formula (=, +, -, @) is exported with a leading « ' ».
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse, Response

from sons.entrypoints.web.files import attachment

Row = TypeVar("Row", bound=BaseModel)
Item = TypeVar("Item")

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000
# Rows read per query while exporting, and at most in one export.
EXPORT_BATCH = 1000
MAX_EXPORT_ROWS = 200_000
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ListFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class Paging:
    page: int
    per_page: int
    format: ListFormat

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def paging(
    page: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description="Numéro de page (à partir de 1).")
    ] = 1,
    per_page: Annotated[
        int,
        Query(ge=1, le=MAX_PER_PAGE, description=f"Éléments par page (au plus {MAX_PER_PAGE})."),
    ] = DEFAULT_PER_PAGE,
    export: Annotated[
        ListFormat,
        Query(
            alias="format",
            description="json (une page), csv ou xlsx (toute la liste filtrée, sans pagination).",
        ),
    ] = ListFormat.JSON,
) -> Paging:
    return Paging(page, per_page, export)


PagingDep = Annotated[Paging, Depends(paging)]

Fetch = Callable[[int, int], tuple[Sequence[Row], int]]
"""``fetch(offset, limit)`` → (the rows from `offset`, at most `limit`; the total)."""


class Page(BaseModel, Generic[Row]):
    items: list[Row]
    total: int = Field(description="Nombre d'éléments correspondant aux filtres.")
    page: int
    per_page: int
    pages: int = Field(description="Nombre de pages (au moins 1).")


def exported() -> dict[int | str, dict[str, Any]]:
    """`responses=` entry documenting a list's CSV and XLSX forms beside its JSON page."""
    return {
        200: {
            "description": "Une page (JSON), ou toute la liste en CSV ou XLSX selon `format`.",
            "content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}},
        }
    }


def in_memory(items: Sequence[Item], row: Callable[[Item], Row]) -> Fetch[Row]:
    """A `Fetch` over a list a service returned whole."""

    def fetch(offset: int, limit: int) -> tuple[Sequence[Row], int]:
        return [row(item) for item in items[offset : offset + limit]], len(items)

    return fetch


def respond(
    request: Request, paging: Paging, fetch: Fetch[Row], model: type[Row], name: str
) -> Response:
    """The page `paging` asks for, or the whole list in the export format it names."""
    if paging.format is ListFormat.JSON:
        return _page(request, paging, fetch)
    rows = _every_row(fetch)
    if paging.format is ListFormat.CSV:
        return attachment(f"{name}.csv", csv_bytes(model, rows))
    return attachment(f"{name}.xlsx", xlsx_bytes(model, rows, name))


def _page(request: Request, paging: Paging, fetch: Fetch[Row]) -> Response:
    items, total = fetch(paging.offset, paging.per_page)
    pages = max(1, -(-total // paging.per_page))
    body = {
        "items": [item.model_dump(mode="json") for item in items],
        "total": total,
        "page": paging.page,
        "per_page": paging.per_page,
        "pages": pages,
    }
    headers = {"X-Total-Count": str(total), "Link": link_header(request, paging.page, pages)}
    return JSONResponse(body, headers=headers)


def link_header(request: Request, page: int, pages: int) -> str:
    """RFC 8288 links to the first, previous, next and last pages, keeping the filters."""
    relations = [("first", 1)]
    if page > 1:
        relations.append(("prev", min(page - 1, pages)))
    if page < pages:
        relations.append(("next", page + 1))
    relations.append(("last", pages))
    return ", ".join(
        f'<{request.url.include_query_params(page=number)}>; rel="{relation}"'
        for relation, number in relations
    )


def _every_row(fetch: Fetch[Row]) -> Iterator[Row]:
    offset = 0
    while offset < MAX_EXPORT_ROWS:
        items, total = fetch(offset, min(EXPORT_BATCH, MAX_EXPORT_ROWS - offset))
        yield from items
        offset += len(items)
        if not items or offset >= total:
            return


def columns(model: type[BaseModel]) -> list[tuple[str, str]]:
    """(field name, French header) of each column of `model`."""
    return [(name, field.title or name) for name, field in model.model_fields.items()]


def cell(value: Any) -> Any:
    """A JSON value as one spreadsheet cell: lists joined, nothing left to read as a formula."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = ", ".join(str(cell(v)) for v in value)
    elif isinstance(value, dict):
        value = ", ".join(f"{k} : {cell(v)}" for k, v in value.items())
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cells(model: type[BaseModel], rows: Iterator[BaseModel]) -> Iterator[list[Any]]:
    names = [name for name, _ in columns(model)]
    for row in rows:
        data = row.model_dump(mode="json")
        yield [cell(data[name]) for name in names]


def csv_bytes(model: type[Row], rows: Iterator[Row]) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow([title for _, title in columns(model)])
    writer.writerows(_cells(model, rows))
    return stream.getvalue().encode("utf-8-sig")


def xlsx_bytes(model: type[Row], rows: Iterator[Row], title: str) -> bytes:
    # Imported here: openpyxl is only needed by the exports.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.append([header for _, header in columns(model)])
    for values in _cells(model, rows):
        sheet.append(values)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()
