"""Schema of the referential YAML files.

Every model forbids extra keys, so a typo'd key in a data file is an error naming the file
and the key rather than a silently ignored value. Every value carries its strength (how sure
we are of it) and its reference (where it comes from).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Strength(StrEnum):
    """How sure we are of a value (see PRIMER.md)."""

    SEED = "seed"
    PUBLIC = "public"
    DRAFT = "draft"
    INFERRED = "inferred"
    UNKNOWN = "unknown"


STRENGTH_LABELS: dict[Strength, str] = {
    Strength.SEED: "document fondateur (webinaire officiel)",
    Strength.PUBLIC: "source publique officielle",
    Strength.DRAFT: "document de travail de l'ANS (provisoire)",
    Strength.INFERRED: "déduit par sons (à confirmer)",
    Strength.UNKNOWN: "non renseigné",
}


class Couloir(StrEnum):
    HOP = "HOP"
    BIO = "BIO"
    RAD = "RAD"
    MDV = "MDV"
    PHA = "PHA"
    MS1 = "MS1"
    MS2 = "MS2"


class Flow(StrEnum):
    DMP = "dmp"
    MSS_PRO = "mss_pro"
    MSS_PATIENT = "mss_patient"
    DPI_INBOUND = "dpi_inbound"


FLOW_LABELS: dict[Flow, str] = {
    Flow.DMP: "DMP",
    Flow.MSS_PRO: "MSS Pro",
    Flow.MSS_PATIENT: "MSS Patient",
    Flow.DPI_INBOUND: "flux entrant DPI",
}


class Route(StrEnum):
    DIRECT = "direct"
    THIRD_PARTY = "third_party"


ROUTE_LABELS: dict[Route, str] = {
    Route.DIRECT: "envoi direct",
    Route.THIRD_PARTY: "via un logiciel tiers",
}


class Evidence(StrEnum):
    MOM = "MOM"
    VA = "VA"


class Reference(Strict):
    """Where a value comes from: a source id (dispositif or global) and the place in it."""

    source: str
    section: str | None = None
    note: str | None = None


class Sourced(Strict):
    """Base of every referential item: its strength and reference."""

    strength: Strength
    reference: Reference | None = None

    @model_validator(mode="after")
    def _reference_required_when_sourced(self) -> Sourced:
        if self.strength in (Strength.SEED, Strength.PUBLIC, Strength.DRAFT) and (
            self.reference is None
        ):
            raise ValueError(
                f"une valeur de force « {self.strength.value} » doit citer sa référence "
                "(clé « reference »)"
            )
        return self


class Validity(Sourced):
    """An item in force from `valid_from` (included) to `valid_until` (included)."""

    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def in_force(self, on: dt.date) -> bool:
        if self.valid_from is not None and on < self.valid_from:
            return False
        return not (self.valid_until is not None and on > self.valid_until)


# --- conditions: small expression trees, the démarches-simplifiées shape -------------------

AnswerValue = bool | str | int


class Equals(Strict):
    op: Literal["equals"]
    question: str
    value: AnswerValue


class InValues(Strict):
    op: Literal["in"]
    question: str
    values: list[AnswerValue] = Field(min_length=1)


class Contains(Strict):
    """Case- and accent-insensitive substring of a free-text answer (e.g. « Mailiz »)."""

    op: Literal["contains"]
    question: str
    text: str = Field(min_length=1)


class Answered(Strict):
    op: Literal["answered"]
    question: str


class AllOf(Strict):
    op: Literal["all"]
    conditions: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    op: Literal["any"]
    conditions: list[Condition] = Field(min_length=1)


class Not(Strict):
    op: Literal["not"]
    condition: Condition


Condition = Annotated[
    Equals | InValues | Contains | Answered | AllOf | AnyOf | Not,
    Field(discriminator="op"),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


# --- the parts of a dispositif ---------------------------------------------------------------


class Source(Strict):
    id: str
    kind: Literal["DSR", "REM", "AF", "arrêté", "webinaire", "guide", "page", "FAQ", "autre"]
    title: str
    url: str | None = None
    date: dt.date | None = None


class Profile(Validity):
    id: str
    label: str
    mandatory: bool
    trigger: str | None = None


class Choice(Strict):
    value: str
    label: str


class FlowRoute(Strict):
    flow: Flow
    route: Route


class Question(Validity):
    id: str
    label: str
    type: Literal["yes_no", "text", "choice", "integer"]
    choices: list[Choice] | None = None
    required: bool = True
    declares: FlowRoute | None = None
    help: str | None = None

    @model_validator(mode="after")
    def _choices_only_for_choice(self) -> Question:
        if self.type == "choice" and not self.choices:
            raise ValueError("une question de type « choice » doit lister ses « choices »")
        if self.type != "choice" and self.choices:
            raise ValueError("seule une question de type « choice » peut avoir des « choices »")
        return self


class Alternative(Validity):
    """Answers that are alternatives for one channel: at most one may be « Oui »."""

    id: str
    label: str
    questions: list[str] = Field(min_length=2)


class RuleException(Sourced):
    id: str
    when: Condition
    required: bool
    because: str | None = None


class ProfileRule(Validity):
    """Base rule: when `when` holds, `profile` is required; exceptions may override."""

    id: str
    profile: str
    when: Condition
    exceptions: list[RuleException] = Field(default_factory=list)


class Control(Strict):
    label: str
    kind: Literal["presence", "a_posteriori"]
    statistics: Literal["dmp", "mss_pro", "mss_trust_space", "test_address"] | None = None
    level: Literal["es_pmsi", "site", "client"] | None = None


class BalanceCondition(Validity):
    id: str
    flow: Flow
    route: Route
    scenario_group: str | None = None
    scenario_label: str | None = None
    condition: str
    threshold: int | None = Field(default=None, ge=1)
    ins_qualified: bool | None = None
    document_type: str | None = None
    recipient: str | None = None
    evidence: Evidence
    evidence_label: str
    controls: list[Control] = Field(min_length=1)
    applies_when: Condition | None = None
    field_strengths: dict[str, Strength] = Field(default_factory=dict)


class BalanceRequirement(Validity):
    """A piece the balance file must carry besides the per-flow evidence."""

    id: str
    label: str


class Indicator(Validity):
    id: str
    label: str
    kinds: list[Literal["avance", "solde", "avenant"]] = Field(min_length=1)
    values: list[str] = Field(min_length=1)


class DatedValue(Sourced):
    """One value of a parameter, in force from its key date until the next one.

    `strength: unknown` means the value exists but is not known to us: `value` stays empty
    and any computation that needs it refuses. `ended: true` ends the previous value.
    """

    value: Any = None
    ended: bool = False

    @model_validator(mode="after")
    def _value_matches_status(self) -> DatedValue:
        if self.ended or self.strength is Strength.UNKNOWN:
            if self.value is not None:
                raise ValueError(
                    "une valeur inconnue (« strength: unknown ») ou close (« ended ») "
                    "ne porte pas de « value »"
                )
        elif self.value is None:
            raise ValueError("« value » manquante (utiliser « strength: unknown » si inconnue)")
        return self


class Parameter(Strict):
    label: str
    kind: Literal["date", "percent", "integer", "text", "ceiling_strategy"]
    values: dict[dt.date, DatedValue] = Field(min_length=1)
    last_value_still_valid_on: dt.date | None = None


CEILING_STRATEGIES = {
    "flat": "forfait par client",
    "eligibility_base": "valeur par établissement (base des ES éligibles)",
    "exam_count": "barème selon le nombre annuel d'examens",
    "physician": "barème par médecin (RPPS)",
}

# Parameters every dispositif may carry; the loader refuses other names.
PARAMETER_NAMES: dict[str, str] = {
    "advance_opening": "date",
    "order_deadline": "date",
    "prestation_deadline": "date",
    "balance_deadline": "date",
    "advance_rate": "percent",
    "ceiling_strategy": "ceiling_strategy",
}

PARAMETER_LABELS = {
    "advance_opening": "Date d'ouverture du dépôt des demandes d'avance",
    "order_deadline": "Date limite de signature des bons de commande et de dépôt de la demande "
    "d'avance",
    "prestation_deadline": "Date limite de réalisation de la prestation",
    "balance_deadline": "Date limite de dépôt de la demande de solde",
    "advance_rate": "Part de la Prestation versée en avance (%)",
    "ceiling_strategy": "Mode de calcul du plafond de la Prestation",
}
"""Labels of the parameters, for a dispositif that does not carry one (« non renseigné »)."""

COMMON_PARAMETER_NAMES: dict[str, str] = {
    "vat_rate": "percent",
    "pre_referencing_max_days": "integer",
}


# --- the files -------------------------------------------------------------------------------


class DispositifFile(Sourced):
    code: str = Field(pattern=r"^[A-Z0-9]+-[A-Z0-9]+-Va[0-9]+$")
    label: str
    couloir: Couloir
    software_type: str
    wave: int = Field(ge=1)
    deposit_family: Couloir
    code_strength: Strength = Strength.PUBLIC
    sources: list[Source] = Field(default_factory=list)


class ProfilesFile(Strict):
    profiles: list[Profile] = Field(min_length=1)


class QuestionnaireFile(Strict):
    questions: list[Question] = Field(min_length=1)
    alternatives: list[Alternative] = Field(default_factory=list)


class RulesFile(Strict):
    rules: list[ProfileRule] = Field(default_factory=list)


class BalanceFile(Strict):
    balance_conditions: list[BalanceCondition] = Field(default_factory=list)
    balance_requirements: list[BalanceRequirement] = Field(default_factory=list)
    indicators: list[Indicator] = Field(default_factory=list)


class ParametersFile(Strict):
    parameters: dict[str, Parameter]


class SourcesFile(Strict):
    sources: list[Source]


class VersionFile(Strict):
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+$")
    published: dt.date
    changes: list[str] = Field(default_factory=list)
