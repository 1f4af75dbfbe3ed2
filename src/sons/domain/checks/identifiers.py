"""Who the order is between: the client's FINESS EJ or RPPS, each site's FINESS ET, the vendor.

A FINESS whose key fails is an error, unless the imported FINESS directory lists the number:
that is the evidence that it is a real, legitimate exception, and the key failure becomes a
warning (`check_finess(strict_key=False)`).
"""

from __future__ import annotations

from collections.abc import Mapping

from sons.domain.identifiers import IdentifierError, check_finess, check_rpps
from sons.domain.orders import ClientKind, PurchaseOrder, directory_key
from sons.findings import Finding, Severity

from .context import OrderContext
from .rules import SONS_READING, Rule

FINESS_INVALID = Rule(
    "FINESS_INVALID",
    Severity.ERROR,
    "identifiers",
    "finess",
    "Numéro FINESS (EJ du client ou ET d'un site) manquant, mal formé, ou de clé incorrecte "
    "sans figurer dans l'annuaire FINESS importé.",
)
FINESS_KEY_UNVERIFIED = Rule(
    "FINESS_KEY_UNVERIFIED",
    Severity.WARNING,
    "identifiers",
    "finess",
    "Clé de contrôle FINESS incorrecte sur un numéro présent dans l'annuaire (exception "
    "possible), ou clé d'un numéro corse non vérifiable.",
)
RPPS_INVALID = Rule(
    "RPPS_INVALID",
    Severity.ERROR,
    "identifiers",
    "rpps",
    "Numéro RPPS du professionnel client mal formé (11 chiffres attendus).",
)
ORDER_VENDOR_UNKNOWN = Rule(
    "ORDER_VENDOR_UNKNOWN",
    Severity.WARNING,
    "identifiers",
    "vendor",
    "Le fournisseur (SIRET) nommé par le bon de commande n'est pas connu.",
)

RULES = (FINESS_INVALID, FINESS_KEY_UNVERIFIED, RPPS_INVALID, ORDER_VENDOR_UNKNOWN)

_CORSICA = ("2A", "2B")


def _finess(
    value: str | None, role: str, path: str, known: Mapping[str, object], context: OrderContext
) -> list[Finding]:
    if value is None or not value.strip():
        return [
            FINESS_INVALID.finding(
                f"Numéro FINESS manquant ({role}).", path, context.cite(SONS_READING)
            )
        ]
    listed = directory_key(value) in known
    try:
        result = check_finess(value, strict_key=not listed)
    except IdentifierError as error:
        message = f"{error.message} ({role})"
        if error.code == "FINESS_INVALID_KEY":
            message += " ; ce numéro ne figure pas dans l'annuaire FINESS importé"
        return [FINESS_INVALID.finding(message + ".", path, context.cite(SONS_READING))]
    if listed and result.department in _CORSICA:
        # Listed in the directory: the unverifiable Corsican key is no longer a doubt.
        return []
    suffix = " ; numéro présent dans l'annuaire FINESS importé" if listed else ""
    return [
        FINESS_KEY_UNVERIFIED.finding(
            f"{warning} ({role}){suffix}.", path, context.cite(SONS_READING)
        )
        for warning in result.warnings
    ]


def check(order: PurchaseOrder, context: OrderContext) -> list[Finding]:
    findings: list[Finding] = []
    if order.client_kind is ClientKind.PROFESSIONAL:
        try:
            check_rpps(order.client_id)
        except IdentifierError as error:
            findings.append(
                RPPS_INVALID.finding(
                    f"{error.message} (professionnel client).",
                    "client_id",
                    context.cite(SONS_READING),
                )
            )
    else:
        findings += _finess(
            order.client_id,
            "FINESS EJ de l'entité juridique cliente",
            "client_id",
            context.legal_entities,
            context,
        )
    for index, site in enumerate(order.sites):
        if site.finess_et is None and order.client_kind is ClientKind.PROFESSIONAL:
            continue  # a practice without FINESS: the RPPS identifies the client
        findings += _finess(
            site.finess_et,
            "FINESS ET du site",
            f"sites[{index}].finess_et",
            context.sites,
            context,
        )
    if context.vendor is None:
        findings.append(
            ORDER_VENDOR_UNKNOWN.finding(
                f"Fournisseur de SIRET {order.vendor_siret} inconnu : il doit être enregistré "
                "(nom, SIREN, SIRET, numéro d'inscription auprès de l'ASP) avant le dépôt.",
                "vendor_siret",
                context.cite(SONS_READING),
            )
        )
    return findings
