"""Whose data an API call reaches: the caller's vendor, or every vendor for the operator.

The scope always comes from the authenticated caller, never from the request: a vendor's id
is not a parameter of any route. The services then answer another tenant's order, request or
deposit exactly like one that does not exist (404).
"""

from __future__ import annotations

from fastapi import Request

from sons.entrypoints.api.errors import ApiError
from sons.entrypoints.web.context import SonsWeb
from sons.services.accounts import Caller

VENDOR_ONLY = "VENDOR_ONLY"
OPERATOR_ONLY = "OPERATOR_ONLY"


def sons_of(request: Request) -> SonsWeb:
    web: SonsWeb = request.app.state.sons
    return web


def vendor_of(caller: Caller) -> int:
    """The caller's vendor; 403 for the operator, who files no order of its own."""
    if caller.vendor_id is None:
        raise ApiError(
            403,
            VENDOR_ONLY,
            "Opération réservée aux comptes d'un éditeur : l'opérateur de paiement consulte "
            "les demandes déposées (/requests, /operator/queue).",
        )
    return caller.vendor_id


def scope_of(caller: Caller) -> int | None:
    """The vendor whose data the caller sees; None: every vendor (the operator)."""
    return None if caller.is_operator else vendor_of(caller)


def require_operator(caller: Caller) -> None:
    if not caller.is_operator:
        raise ApiError(
            403,
            OPERATOR_ONLY,
            "Opération réservée à l'opérateur de paiement (instructeur ou administrateur).",
        )
