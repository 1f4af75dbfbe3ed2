"""Run every check on an order, against the referential in force at its signature date.

`check_order` is the single entry point; `CheckSession` shares the directory, the index of
Prestations and the per-date views across the orders of one run (`sons order check --all`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sons.domain.orders import LegalEntity, PurchaseOrder, Site, Solution, Vendor
from sons.findings import Finding, Severity
from sons.referential.loader import Referential, UnknownDispositif
from sons.referential.rulebook import french_date

from . import amounts, dates, identifiers, perimeter, scenario
from .context import CheckCache, OrderContext, PrestationIndex
from .rules import SONS_READING, Rule

ORDER_DISPOSITIF_UNKNOWN = Rule(
    "ORDER_DISPOSITIF_UNKNOWN",
    Severity.ERROR,
    "referential",
    "dispositif",
    "Le dispositif du bon de commande n'existe pas dans le référentiel.",
)
ORDER_REFERENTIAL_PIN_OUTDATED = Rule(
    "ORDER_REFERENTIAL_PIN_OUTDATED",
    Severity.INFO,
    "referential",
    "referential_pin",
    "Le bon de commande est rattaché à une autre version du référentiel que la version en "
    "cours ; le rattachement (rebase) est une action explicite.",
)

RULES = (ORDER_DISPOSITIF_UNKNOWN, ORDER_REFERENTIAL_PIN_OUTDATED)


def check_order(order: PurchaseOrder, context: OrderContext) -> list[Finding]:
    """Every finding on one order, in a stable order: referential, identifiers, dates,
    scenario, amounts, perimeter."""
    referential = context.referential
    findings: list[Finding] = []
    snapshot = context.snapshot(order.dispositif, order.signed_on)
    if snapshot is None:
        known = (d.code for d in referential.dispositifs.values())
        findings.append(
            ORDER_DISPOSITIF_UNKNOWN.finding(
                str(UnknownDispositif(order.dispositif, known))
                + " Le scénario, la date limite et le plafond n'ont pas pu être contrôlés.",
                "dispositif",
                context.cite(SONS_READING),
            )
        )
    if order.referential_pin != referential.pin:
        findings.append(
            ORDER_REFERENTIAL_PIN_OUTDATED.finding(
                f"Bon de commande rattaché à la version {order.referential_pin} du "
                f"référentiel ; il est contrôlé ici avec la version en cours "
                f"{referential.pin} (publiée le {french_date(referential.published)}). Le "
                "rattachement à la nouvelle version n'est jamais implicite : « sons order "
                f"rebase {order.number} » le fait et l'inscrit au journal.",
                "referential_pin",
                context.cite(SONS_READING),
            )
        )
    common = context.common(order.signed_on)
    findings += identifiers.check(order, context)
    findings += dates.check(order, context, snapshot, common)
    findings += scenario.check(order, context, snapshot)
    findings += amounts.check(order, context, snapshot, common)
    findings += perimeter.check(order, context)
    return findings


class CheckSession:
    """One run of checks: one referential, one clock, one directory, one index of Prestations.

    Builds the per-order context from what varies (solution, vendor, ceiling) and shares the
    rest, including the cache of views per (dispositif, date).
    """

    def __init__(
        self,
        referential: Referential,
        today: dt.date,
        *,
        legal_entities: Mapping[str, LegalEntity] | None = None,
        sites: Mapping[str, Site] | None = None,
        other_orders: PrestationIndex | None = None,
    ) -> None:
        self.referential = referential
        self.today = today
        self.legal_entities: Mapping[str, LegalEntity] = legal_entities or {}
        self.sites: Mapping[str, Site] = sites or {}
        self.other_orders: PrestationIndex = other_orders or {}
        self.cache = CheckCache()

    def context(
        self,
        *,
        solution: Solution | None = None,
        vendor: Vendor | None = None,
        ceiling_ht_cents: int | None = None,
    ) -> OrderContext:
        return OrderContext(
            referential=self.referential,
            today=self.today,
            solution=solution,
            vendor=vendor,
            legal_entities=self.legal_entities,
            sites=self.sites,
            ceiling_ht_cents=ceiling_ht_cents,
            other_orders=self.other_orders,
            cache=self.cache,
        )

    def check(
        self,
        order: PurchaseOrder,
        *,
        solution: Solution | None = None,
        vendor: Vendor | None = None,
        ceiling_ht_cents: int | None = None,
    ) -> list[Finding]:
        context = self.context(solution=solution, vendor=vendor, ceiling_ht_cents=ceiling_ht_cents)
        return check_order(order, context)
