"""Whom the order covers: its sites (known, each once, all belonging to the client) and the
rule « one Prestation per client per dispositif » across every order of the store.

The client of a Prestation is the ES-PMSI — the legal entity (EJ) for a public establishment,
each site (ET) for a private one (PRIMER §9) — or the RPPS of a professional. The service
builds the index of keys with `index_prestations` over every stored order, so the check of one
order is a dictionary look-up and a full run stays linear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sons.domain.orders import (
    ClientKind,
    LegalEntity,
    LegalStatus,
    PurchaseOrder,
    directory_key,
    es_pmsi,
)
from sons.findings import Finding, Severity

from .context import OrderContext
from .rules import PUBLIC_CONTROLS, PUBLIC_ORDER_FORM, SONS_READING, Rule

ORDER_DUPLICATE_PRESTATION = Rule(
    "ORDER_DUPLICATE_PRESTATION",
    Severity.ERROR,
    "perimeter",
    "one_prestation_per_client",
    "Le client (ES-PMSI ou RPPS) a déjà une Prestation pour ce dispositif dans un autre bon "
    "de commande.",
)
ORDER_CLIENT_UNKNOWN = Rule(
    "ORDER_CLIENT_UNKNOWN",
    Severity.WARNING,
    "perimeter",
    "one_prestation_per_client",
    "L'entité juridique cliente n'est pas dans l'annuaire FINESS : ES-PMSI non déductible, "
    "unicité de la Prestation non vérifiée.",
)
ORDER_NO_SITE = Rule(
    "ORDER_NO_SITE",
    Severity.ERROR,
    "perimeter",
    "one_scenario_per_site",
    "Le bon de commande ne décrit aucun site, donc aucun scénario d'installation.",
)
ORDER_SITE_DUPLICATE = Rule(
    "ORDER_SITE_DUPLICATE",
    Severity.ERROR,
    "perimeter",
    "one_scenario_per_site",
    "Un même site (FINESS ET) figure plusieurs fois dans le bon de commande.",
)
ORDER_SITE_UNKNOWN = Rule(
    "ORDER_SITE_UNKNOWN",
    Severity.WARNING,
    "perimeter",
    "site_directory",
    "Le site (FINESS ET) n'est pas dans l'annuaire FINESS importé.",
)
ORDER_SITE_OUTSIDE_CLIENT = Rule(
    "ORDER_SITE_OUTSIDE_CLIENT",
    Severity.ERROR,
    "perimeter",
    "site_directory",
    "Le site appartient à une autre entité juridique que le client du bon de commande.",
)

RULES = (
    ORDER_DUPLICATE_PRESTATION,
    ORDER_CLIENT_UNKNOWN,
    ORDER_NO_SITE,
    ORDER_SITE_DUPLICATE,
    ORDER_SITE_UNKNOWN,
    ORDER_SITE_OUTSIDE_CLIENT,
)


@dataclass(frozen=True, slots=True)
class ClientKey:
    """One client of an order for the « one Prestation » rule, and where the order names it."""

    dispositif: str
    client_key: str
    kind: str
    path: str


class PrestationHolder(Protocol):
    """What the rule needs of an order: a `PurchaseOrder`, or a lighter row from the store."""

    @property
    def number(self) -> str: ...
    @property
    def dispositif(self) -> str: ...
    @property
    def client_kind(self) -> ClientKind: ...
    @property
    def client_id(self) -> str: ...
    @property
    def finess_ets(self) -> tuple[str | None, ...]: ...


def client_keys(
    holder: PrestationHolder, legal_entities: Mapping[str, LegalEntity]
) -> tuple[ClientKey, ...] | None:
    """The ES-PMSI (or RPPS) an order's Prestation is counted under.

    None when the client is a legal entity missing from the directory: its public or private
    status, hence its ES-PMSI, is unknown, and sons does not guess.
    """
    dispositif = holder.dispositif.strip().upper()
    if holder.client_kind is ClientKind.PROFESSIONAL:
        return (ClientKey(dispositif, directory_key(holder.client_id), "RPPS", "client_id"),)
    entity = legal_entities.get(directory_key(holder.client_id))
    if entity is None:
        return None
    if entity.status is LegalStatus.PUBLIC:
        # One key for the whole order, whatever its sites (see `es_pmsi`).
        key = directory_key(entity.finess_ej)
        return (ClientKey(dispositif, key, "ES-PMSI", "client_id"),)
    keys: dict[str, ClientKey] = {}
    for index, finess_et in enumerate(holder.finess_ets):
        if finess_et is None:
            continue
        key = es_pmsi(entity, directory_key(finess_et))
        keys.setdefault(key, ClientKey(dispositif, key, "ES-PMSI", f"sites[{index}].finess_et"))
    return tuple(keys.values())


def index_prestations(
    holders: Iterable[PrestationHolder], legal_entities: Mapping[str, LegalEntity]
) -> dict[tuple[str, str], tuple[str, ...]]:
    """(dispositif upper, ES-PMSI or RPPS) → numbers of the orders holding it, in given order.

    Pass every order that holds a Prestation (not the cancelled ones); the check ignores the
    order's own number, so the index of the whole store serves every order.
    """
    index: dict[tuple[str, str], list[str]] = {}
    for holder in holders:
        for key in client_keys(holder, legal_entities) or ():
            numbers = index.setdefault((key.dispositif, key.client_key), [])
            if holder.number not in numbers:
                numbers.append(holder.number)
    return {key: tuple(numbers) for key, numbers in index.items()}


def _duplicates(
    order: PurchaseOrder, keys: Iterable[ClientKey], context: OrderContext
) -> list[Finding]:
    findings: list[Finding] = []
    for key in keys:
        others = [
            n
            for n in context.other_orders.get((key.dispositif, key.client_key), ())
            if n != order.number
        ]
        if not others:
            continue
        listed = ", ".join(f"« {n} »" for n in others)
        findings.append(
            ORDER_DUPLICATE_PRESTATION.finding(
                f"Une seule Prestation par client et par dispositif : le client {key.kind} "
                f"{key.client_key} a déjà une Prestation {order.dispositif} dans le(s) bon(s) "
                f"de commande {listed}. Un changement de fournisseur passe par l'annulation de "
                "la première commande.",
                key.path,
                context.cite(PUBLIC_CONTROLS),
            )
        )
    return findings


def _sites(order: PurchaseOrder, context: OrderContext) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    client = directory_key(order.client_id)
    for index, scenario in enumerate(order.sites):
        if scenario.finess_et is None:
            continue
        path = f"sites[{index}].finess_et"
        number = directory_key(scenario.finess_et)
        if number in seen:
            findings.append(
                ORDER_SITE_DUPLICATE.finding(
                    f"Le site FINESS {number} figure déjà en sites[{seen[number]}] : le bon de "
                    "commande porte un seul scénario par site.",
                    path,
                    context.cite(PUBLIC_ORDER_FORM),
                )
            )
            continue
        seen[number] = index
        site = context.sites.get(number)
        if site is None:
            findings.append(
                ORDER_SITE_UNKNOWN.finding(
                    f"Le site FINESS {number} ne figure pas dans l'annuaire FINESS importé : "
                    "vérifier le numéro ou mettre l'annuaire à jour ; son rattachement au "
                    "client n'a pas pu être vérifié.",
                    path,
                    context.cite(SONS_READING),
                )
            )
        elif order.client_kind is ClientKind.LEGAL_ENTITY and directory_key(site.finess_ej) != (
            client
        ):
            findings.append(
                ORDER_SITE_OUTSIDE_CLIENT.finding(
                    f"Le site FINESS {number} (« {site.name} ») appartient à l'entité juridique "
                    f"{site.finess_ej}, pas à l'entité juridique cliente {client} du bon de "
                    "commande.",
                    path,
                    context.cite(SONS_READING),
                )
            )
    return findings


def check(order: PurchaseOrder, context: OrderContext) -> list[Finding]:
    findings: list[Finding] = []
    if not order.sites:
        findings.append(
            ORDER_NO_SITE.finding(
                "Le bon de commande ne décrit aucun site : il porte un scénario d'installation "
                "par site (pour un bon multi-sites, un tableau « FINESS | question 1 | "
                "question 2 | … » d'une ligne par site).",
                "sites",
                context.cite(PUBLIC_ORDER_FORM),
            )
        )
    findings += _sites(order, context)
    keys = client_keys(order, context.legal_entities)
    if keys is None:
        findings.append(
            ORDER_CLIENT_UNKNOWN.finding(
                f"L'entité juridique cliente {directory_key(order.client_id)} ne figure pas "
                "dans l'annuaire FINESS importé : son statut (public ou privé) est inconnu, "
                "donc son identifiant ES-PMSI aussi ; l'unicité de la Prestation par client "
                "n'a pas été vérifiée.",
                "client_id",
                context.cite(SONS_READING),
            )
        )
    else:
        findings += _duplicates(order, keys, context)
    return findings
