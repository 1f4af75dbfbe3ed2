"""The order list (« Commandes »): filters in the query string, one page at a time.

The list reads without JavaScript: filtering is a GET form, each page a link that keeps the
filters. The caller's tenant scopes it (the operator sees every vendor's orders).
"""

from __future__ import annotations

import functools
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from sons.entrypoints.web.context import SonsWeb, sons_web
from sons.entrypoints.web.security import require_caller
from sons.services.accounts import Caller
from sons.services.order_list import (
    DEFAULT_PER_PAGE,
    ORDER_STATUS_LABELS,
    OrderFilterError,
    OrderFilters,
    OrderPage,
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


def order_link(item: OrderSummary, *, operator: bool) -> str:
    """The order's own page; the operator names the vendor too (numbers are per vendor)."""
    path = f"/commandes/{quote(item.number, safe='')}"
    return f"{path}?{urlencode({'editeur': item.vendor_id})}" if operator else path


def page_label(listing: OrderPage) -> str:
    return f"page {listing.page}" + (f" sur {listing.pages}" if listing.pages else "")


@functools.lru_cache(maxsize=128)
def orders_table(templates: Jinja2Templates, listing: OrderPage, operator: bool) -> Markup:
    """The table of a page of orders, rendered once per page and kept: the order list hands the
    same page to every request while nothing changes (`services.order_list`), and its 50 rows
    were two thirds of the time a list page took to render."""
    template = templates.get_template("orders_table.html")
    return Markup(
        template.render(
            listing=listing,
            operator=operator,
            page_label=page_label(listing),
            order_link=functools.partial(order_link, operator=operator),
        )
    )


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
    # The busiest page reads on the event loop, as the session does (see `require_caller`):
    # mostly one statement, the journal's tail, when the page was read already.
    listing = order_page(web.engine, vendor_scope(caller), filters, page, par_page)
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
            "page_label": page_label(listing),
            "orders_table": orders_table(web.templates, listing, caller.is_operator),
        },
    )
