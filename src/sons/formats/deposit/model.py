"""The deposit file (« format de dépôt SONS »), as pydantic models.

One file = one couloir, one kind (avance, solde, avenant), one dispositif, one vendor and one
solution, and several requests, each for one client and its sites. Extra keys are forbidden
everywhere. Field names are English here; the file's names come from `mapping` (aliases).

Scenario answers and indicators are typed per dispositif from the referential: the model only
says they are objects, `shape.py` checks them against the questionnaire.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from sons.formats.deposit.mapping import file_name
from sons.referential.model import Couloir, Evidence, Flow, Route

FORMAT_VERSION = "1.0"
SUPPORTED_VERSIONS = (FORMAT_VERSION,)

# 10^12 cents = 10 billion euros: far above any Prestation, low enough to stay exact
# everywhere (JSON readers that use doubles are exact up to 2^53).
MAX_AMOUNT_CENTS = 10**12
# An attachment's declared size: 10 GB, beyond any zip the operator would take.
MAX_DECLARED_SIZE = 10**10

FINESS_PATTERN = r"^(?:[0-9]{2}|2A|2B)[0-9]{7}$"
SIRET_PATTERN = r"^[0-9]{14}$"
RPPS_PATTERN = r"^[0-9]{11}$"
SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"
REQUEST_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
DISPOSITIF_PATTERN = r"^[A-Za-z0-9]+-[A-Za-z0-9]+-[Vv][Aa][0-9]+$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})$"
)
_DATE = re.compile(DATE_PATTERN)
_DATETIME = re.compile(DATETIME_PATTERN)


class DepositKind(StrEnum):
    ADVANCE = "avance"
    BALANCE = "solde"
    AMENDMENT = "avenant"


KIND_LABELS: dict[DepositKind, str] = {
    DepositKind.ADVANCE: "demande d'avance",
    DepositKind.BALANCE: "demande de solde",
    DepositKind.AMENDMENT: "avenant",
}


class AttachmentType(StrEnum):
    ORDER = "bon_de_commande"
    INVOICE = "facture"
    MOM = "mom"
    VA = "va"
    OTHER = "autre"


ATTACHMENT_TYPE_LABELS: dict[AttachmentType, str] = {
    AttachmentType.ORDER: "bon de commande",
    AttachmentType.INVOICE: "facture",
    AttachmentType.MOM: "MOM (mise en ordre de marche)",
    AttachmentType.VA: "VA (vérification d'aptitude)",
    AttachmentType.OTHER: "autre pièce",
}

# The attachment type that carries each kind of balance evidence.
EVIDENCE_ATTACHMENT: dict[Evidence, AttachmentType] = {
    Evidence.MOM: AttachmentType.MOM,
    Evidence.VA: AttachmentType.VA,
}


def _iso_date(value: object) -> object:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError(f"date attendue au format AAAA-MM-JJ, reçu {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"date inexistante : « {value} »") from None


def _iso_datetime(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise ValueError(
            "date et heure attendues au format ISO 8601 avec fuseau "
            f"(AAAA-MM-JJTHH:MM:SS+01:00 ou …Z), reçu {value!r}"
        )
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"date ou heure inexistante : « {value} »") from None


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN}),
]
IsoDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_iso_datetime),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN}),
]
Text = Annotated[StrictStr, Field(min_length=1, max_length=300)]
Cents = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT_CENTS)]
Finess = Annotated[StrictStr, Field(pattern=FINESS_PATTERN)]


class FileModel(BaseModel):
    """Base of every part of the file: extra keys refused, file names as aliases."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=file_name,
        validate_by_alias=True,
        validate_by_name=True,
        serialize_by_alias=True,
    )


class DepositVendor(FileModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "L'éditeur qui dépose : SIRET et numéro d'enrôlement "
            "auprès de "
            "l'opérateur de paiement."
        }
    )

    siret: Annotated[
        StrictStr, Field(pattern=SIRET_PATTERN, description="SIRET de l'éditeur (14 chiffres).")
    ]
    enrolment_number: Text = Field(
        description="Numéro d'enrôlement de l'éditeur auprès de l'opérateur de paiement."
    )
    company_name: Text | None = Field(default=None, description="Raison sociale (facultatif).")


class DepositSolution(FileModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "La solution référencée vendue : numéro de "
            "référencement et version technique."
        }
    )

    referencing_number: Text = Field(description="Numéro de référencement ANS de la solution.")
    technical_version: Text = Field(description="Version technique référencée.")
    name: Text | None = Field(default=None, description="Nom commercial (facultatif).")


class OrderReference(FileModel):
    model_config = ConfigDict(
        json_schema_extra={"description": "Le bon de commande signé par le client."}
    )

    number: Text = Field(description="Numéro du bon de commande.")
    signed_on: IsoDate = Field(description="Date de signature du bon de commande (AAAA-MM-JJ).")
    signatory: Text = Field(description="Nom et qualité du signataire côté client.")


class Client(FileModel):
    """The client: a legal entity (FINESS EJ) or a professional (RPPS), exactly one of them."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Le client : une personne morale (FINESS EJ) ou un "
            "professionnel de "
            "santé (RPPS), l'un ou l'autre.",
            "oneOf": [
                {
                    "required": [file_name("finess_ej")],
                    "properties": {file_name("finess_ej"): {"type": "string"}},
                },
                {
                    "required": [file_name("rpps")],
                    "properties": {file_name("rpps"): {"type": "string"}},
                },
            ],
        }
    )

    finess_ej: Finess | None = Field(
        default=None, description="FINESS juridique (EJ) du client personne morale."
    )
    rpps: Annotated[StrictStr, Field(pattern=RPPS_PATTERN)] | None = Field(
        default=None, description="RPPS du client professionnel de santé (11 chiffres)."
    )
    es_pmsi: Finess | None = Field(
        default=None,
        description="FINESS sous lequel l'établissement déclare son activité (ES-PMSI) : "
        "l'EJ pour un établissement public, l'ET pour un privé.",
    )
    name: Text | None = Field(default=None, description="Nom du client (facultatif).")

    @model_validator(mode="after")
    def _one_identifier(self) -> Client:
        if (self.finess_ej is None) == (self.rpps is None):
            raise ValueError(
                f"indiquer exactement un identifiant du client : « {file_name('finess_ej')} » "
                f"(personne morale) ou « {file_name('rpps')} » (professionnel de santé)"
            )
        return self


class DepositSite(FileModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "Un site (établissement géographique, FINESS ET) et son "
            "scénario d'installation."
        }
    )

    finess_et: Finess = Field(description="FINESS géographique (ET) du site.")
    name: Text | None = Field(default=None, description="Nom du site (facultatif).")
    scenario: dict[str, Any] | None = Field(
        default=None,
        description="Scénario d'installation du site : commandé (avance, avenant) ou installé "
        "(solde). Clés = identifiants des questions du questionnaire du dispositif.",
    )


class Prestation(FileModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "Le montant de la Prestation Ségur, HT et TTC, en centimes d'euro."
        }
    )

    ht_cents: Cents = Field(description="Montant de la Prestation Ségur HT, en centimes.")
    ttc_cents: Cents = Field(description="Montant de la Prestation Ségur TTC, en centimes.")


class AdvanceReference(FileModel):
    """What a solde or an avenant says of the advance it completes or amends."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "L'avance que complète un solde ou que modifie un avenant."
        }
    )

    request_id: Annotated[StrictStr, Field(pattern=REQUEST_ID_PATTERN)] = Field(
        description="Identifiant de la demande d'avance."
    )
    advance_ht_cents: Cents | None = Field(
        default=None, description="Prestation HT déclarée à l'avance, en centimes."
    )
    advance_ttc_cents: Cents | None = Field(
        default=None, description="Prestation TTC déclarée à l'avance, en centimes."
    )


class EvidenceEntry(FileModel):
    """A balance evidence: the MOM or VA proving one flow on one route, and its file."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Une preuve du solde : la MOM ou la VA d'un flux sur "
            "une voie, et son fichier."
        }
    )

    flow: Flow = Field(description="Flux : dmp, mss_pro, mss_patient, dpi_inbound.")
    route: Route = Field(description="Voie : direct ou third_party (via un logiciel tiers).")
    piece: Evidence = Field(description="Pièce : MOM (éditeur) ou VA (client final).")
    file: Text = Field(description="Nom du fichier de la pièce dans le zip.")


class Attachment(FileModel):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "Une pièce jointe : son type, son nom dans le zip, son "
            "empreinte et sa taille."
        }
    )

    type: AttachmentType = Field(
        description="Type de pièce : bon_de_commande, facture, mom, va, autre."
    )
    file: Annotated[StrictStr, Field(min_length=1, max_length=255)] = Field(
        description="Nom du fichier dans le zip (chemin relatif, séparateur /)."
    )
    sha256: Annotated[StrictStr, Field(pattern=SHA256_PATTERN)] = Field(
        description="Empreinte SHA-256 du fichier (64 caractères hexadécimaux)."
    )
    size: Annotated[StrictInt, Field(ge=0, le=MAX_DECLARED_SIZE)] = Field(
        description="Taille du fichier en octets."
    )
    requirement: Text | None = Field(
        default=None,
        description="Pièce exigée du dossier de solde à laquelle répond ce fichier "
        "(identifiant du référentiel, facultatif).",
    )


class DepositRequest(FileModel):
    """One funding request: one client, its sites, one Prestation."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Une demande de financement : un client, ses sites, une Prestation."
        }
    )

    id: Annotated[StrictStr, Field(pattern=REQUEST_ID_PATTERN)] = Field(
        description="Identifiant stable de la demande, unique dans le fichier."
    )
    order: OrderReference
    client: Client
    sites: list[DepositSite] = Field(min_length=1)
    prestation: Prestation
    advance: AdvanceReference | None = Field(
        default=None, description="Avance complétée (solde) ou modifiée (avenant)."
    )
    indicators: dict[str, Any] | None = Field(
        default=None, description="Indicateurs demandés par le référentiel (ex. deploiement_mss)."
    )
    evidence: list[EvidenceEntry] = Field(
        default_factory=list, description="Preuves du solde, par flux et par voie."
    )
    attachments: list[Attachment] = Field(default_factory=list)


class DepositHeader(FileModel):
    """Everything in the file but its requests (read first, then requests one by one)."""

    model_config = ConfigDict(json_schema_extra={"description": "L'en-tête du fichier de dépôt."})

    format_version: Literal["1.0"] = Field(description="Version du format de dépôt SONS.")
    couloir: Couloir
    kind: DepositKind = Field(description="Nature des demandes : avance, solde ou avenant.")
    created_at: IsoDateTime = Field(description="Date et heure de création du fichier.")
    vendor: DepositVendor
    solution: DepositSolution
    dispositif: Annotated[StrictStr, Field(pattern=DISPOSITIF_PATTERN)] = Field(
        description="Code du dispositif, par exemple RAD-RIS-Va1."
    )


class DepositFile(DepositHeader):
    model_config = ConfigDict(json_schema_extra={"description": "Un fichier de dépôt SONS."})

    requests: list[DepositRequest] = Field(min_length=1)

    def to_file(self) -> dict[str, Any]:
        """The JSON-ready content of the file (file field names, absent optional fields)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
