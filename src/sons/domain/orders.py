"""Vendors, solutions, clients and purchase orders (bons de commande), as plain values.

Pure: no database, no clock. The store maps these to tables; the checks read them.
Money is in integer cents; dates have no time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FundedDimension(StrEnum):
    """The six dimensions the Prestation Ségur finances (seed, « Périmètre de la prestation »)."""

    LICENCE = "licence"
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    CERTIFICATE = "certificate"
    PROJECT = "project"
    TRAINING = "training"


FUNDED_DIMENSION_LABELS: dict[FundedDimension, str] = {
    FundedDimension.LICENCE: "Licence d'utilisation sur le périmètre couvert par le DSR",
    FundedDimension.INSTALLATION: "Frais d'installation, de configuration, de qualification",
    FundedDimension.MAINTENANCE: "Maintenance corrective du périmètre couvert par le DSR",
    FundedDimension.CERTIFICATE: (
        "Accompagnement à l'obtention d'un certificat logiciel de type organisation"
    ),
    FundedDimension.PROJECT: "Suivi du projet et livraison de la documentation",
    FundedDimension.TRAINING: "Formation des professionnels de santé",
}


class NotFunded(StrEnum):
    """What the Prestation does not finance (seed, « La prestation ne finance pas »)."""

    MSS_MAILBOXES = "mss_mailboxes"
    SOFTWARE_CHANGE = "software_change"
    INFRASTRUCTURE = "infrastructure"
    OTHER = "other"


NOT_FUNDED_LABELS: dict[NotFunded, str] = {
    NotFunded.MSS_MAILBOXES: (
        "Boîtes aux lettres MSS, nominatives, applicatives et/ou organisationnelles"
    ),
    NotFunded.SOFTWARE_CHANGE: (
        "Changement complet de logiciel ou rattrapage lié à une version vétuste du logiciel"
    ),
    NotFunded.INFRASTRUCTURE: (
        "Coûts d'infrastructure additionnels (acquisition de serveurs, migration de système de "
        "gestion de base de données, etc.)"
    ),
    NotFunded.OTHER: "Autre élément hors Prestation Ségur",
}


class LegalStatus(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class ClientKind(StrEnum):
    """An order's client: a legal entity (FINESS EJ) or a professional (RPPS)."""

    LEGAL_ENTITY = "legal_entity"
    PROFESSIONAL = "professional"


@dataclass(frozen=True, slots=True)
class Vendor:
    name: str
    siren: str
    siret: str
    enrolment_number: str | None = None


@dataclass(frozen=True, slots=True)
class Solution:
    name: str
    version: str
    referencing_number: str
    dispositif: str
    profiles: frozenset[str]
    referenced_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class LegalEntity:
    finess_ej: str
    name: str
    status: LegalStatus
    siren: str | None = None


@dataclass(frozen=True, slots=True)
class Site:
    finess_et: str
    finess_ej: str
    name: str
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Professional:
    rpps: str
    name: str


def directory_key(number: str) -> str:
    """A FINESS or RPPS number as directories and indexes key it: no spaces, upper case."""
    return "".join(number.split()).upper()


def es_pmsi(entity: LegalEntity, site: Site | str) -> str:
    """The identifier an establishment reports its activity under (PRIMER §9).

    Public hospitals report under their legal entity (EJ), private ones under each site (ET).
    `site` is the site or its FINESS ET (a site missing from the directory still has one).
    """
    if entity.status is LegalStatus.PUBLIC:
        return entity.finess_ej
    return site.finess_et if isinstance(site, Site) else site


@dataclass(frozen=True, slots=True)
class OrderLine:
    label: str
    amount_ht_cents: int
    dimension: FundedDimension | None = None
    not_funded: NotFunded | None = None
    billed_as_segur: bool = False

    @property
    def funded(self) -> bool:
        return self.dimension is not None


@dataclass(frozen=True, slots=True)
class SiteScenario:
    """One site's answers to the dispositif's questionnaire (the ordered scenario).

    `finess_et` is None only for an order to a professional (RPPS) whose practice has no
    FINESS: the order still carries one scenario.
    """

    finess_et: str | None
    answers: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PurchaseOrder:
    number: str
    vendor_siret: str
    solution_referencing_number: str
    dispositif: str
    client_kind: ClientKind
    client_id: str
    signed_on: dt.date
    signatory: str
    prestation_ht_cents: int
    prestation_ttc_cents: int
    referential_pin: str
    under_referencing_condition: bool = False
    sites: tuple[SiteScenario, ...] = ()
    lines: tuple[OrderLine, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def finess_ets(self) -> tuple[str | None, ...]:
        """Each site's FINESS ET, in order (what the one-Prestation rule needs of the sites)."""
        return tuple(site.finess_et for site in self.sites)
