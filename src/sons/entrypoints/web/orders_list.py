"""The order list (« Commandes »): filters in the query string, one page at a time.

The list reads without JavaScript: filtering is a GET form, each page a link that keeps the
filters. The caller's tenant scopes it (the operator sees every vendor's orders).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.security import reading_off_the_loop, require_caller
from sons.services.accounts import Caller
from sons.services.order_list import (
    DEFAULT_PER_PAGE,
    ORDER_STATUS_LABELS,
    OrderFilterError,
    OrderFilters,
    OrderSummary,
    filters_as_params,
    filters_from_params,
    order_page,
    vendor_scope,
)
from sons.services.referential import dispositif_list

router = APIRouter()

CallerDep = Annotated[Caller, Depends(require_caller)]
WebDep = Annotated[SonsWeb, Depends(sons_web)]


def order_link(caller: Caller, item: OrderSummary) -> str:
    """The order's own page; the operator names the vendor too (numbers are per vendor)."""
    path = f"/commandes/{quote(item.number, safe='')}"
    return f"{path}?{urlencode({'editeur': item.vendor_id})}" if caller.is_operator else path


@router.get("/commandes")
async def orders_page(
    request: Request,
    caller: CallerDep,
    web: WebDep,
    page: Annotated[int, Query(ge=1)] = 1,
    par_page: Annotated[int, Query(ge=1, le=200)] = DEFAULT_PER_PAGE,
) -> Response:
    context = {
        "active": "orders",
        "dispositifs": [d["code"] for d in dispositif_list(web.referential)],
        "statuses": ORDER_STATUS_LABELS,
        "order_link": lambda item: order_link(caller, item),
    }
    try:
        filters = filters_from_params(request.query_params)
    except OrderFilterError as exc:
        return web.render(
            request,
            "orders_list.html",
            {**context, "filters": OrderFilters(), "error": str(exc), "listing": None},
            status_code=422,
        )
    # The busiest page: its read goes where it costs least (see `reading_off_the_loop`).
    listing = await reading_off_the_loop(
        request, lambda: order_page(web.engine, vendor_scope(caller), filters, page, par_page)
    )
    kept = filters_as_params(filters)
    if par_page != DEFAULT_PER_PAGE:
        kept["par_page"] = str(par_page)

    def page_link(number: int) -> str:
        return "/commandes?" + urlencode({**kept, "page": number})

    return web.render(
        request,
        "orders_list.html",
        {
            **context,
            "filters": filters,
            "error": None,
            "listing": listing,
            "page_link": page_link,
        },
    )
