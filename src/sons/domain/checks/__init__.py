"""The checks a purchase order must pass, each a named rule with a stable code.

`check_order(order, context)` runs them all; `RULES` lists every rule (code, severity,
family, one-line French meaning) for the docs and the CLI; `CheckSession` checks many orders
against one referential, clock and directory.
"""

from __future__ import annotations

from . import amounts, dates, identifiers, perimeter, scenario, session
from .context import CheckCache, CommonAtDate, DispositifSnapshot, OrderContext, PrestationIndex
from .perimeter import ClientKey, PrestationHolder, client_keys, index_prestations
from .rules import (
    FAMILY_LABELS,
    REFERENTIAL_PARAMETER_UNCONFIRMED,
    REFERENTIAL_PARAMETER_UNKNOWN,
    Rule,
)
from .session import CheckSession, check_order

RULES: tuple[Rule, ...] = (
    *session.RULES,
    REFERENTIAL_PARAMETER_UNKNOWN,
    REFERENTIAL_PARAMETER_UNCONFIRMED,
    *identifiers.RULES,
    *dates.RULES,
    *scenario.RULES,
    *amounts.RULES,
    *perimeter.RULES,
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}

__all__ = [
    "FAMILY_LABELS",
    "RULES",
    "RULES_BY_CODE",
    "CheckCache",
    "CheckSession",
    "ClientKey",
    "CommonAtDate",
    "DispositifSnapshot",
    "OrderContext",
    "PrestationHolder",
    "PrestationIndex",
    "Rule",
    "check_order",
    "client_keys",
    "index_prestations",
]
