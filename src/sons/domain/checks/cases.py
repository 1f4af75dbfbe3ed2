"""Order cases: a purchase order and what it is checked against, in YAML, with the findings
expected. Collected by the YAML cases plugin (`kind: order`) next to the scenario cases.

Amounts are written in euros as text (« 1 234,50 »), the way people read them; every key is
checked (a typo is refused, named by its path) and the case builds the same `PurchaseOrder`
and `OrderContext` the service does, so a case exercises the real checks.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from sons.domain.money import parse_euros
from sons.domain.orders import (
    ClientKind,
    FundedDimension,
    LegalEntity,
    LegalStatus,
    NotFunded,
    OrderLine,
    PurchaseOrder,
    Site,
    SiteScenario,
    Solution,
    Vendor,
    directory_key,
)
from sons.findings import Finding
from sons.referential.cases import CaseModel, _differs
from sons.referential.loader import Referential

from .context import OrderContext
from .session import check_order


def _euros(value: object) -> int:
    if not isinstance(value, str):
        raise ValueError(
            f"montant attendu en euros, écrit comme un texte (par exemple « 1 234,50 »), "
            f"reçu {value!r}"
        )
    return parse_euros(value, allow_negative=True)


Euros = Annotated[int, BeforeValidator(_euros)]


class LineCase(CaseModel):
    label: str
    amount_ht: Euros
    dimension: FundedDimension | None = None
    not_funded: NotFunded | None = None
    billed_as_segur: bool = False


class SiteScenarioCase(CaseModel):
    finess_et: str | None = None
    answers: dict[str, Any] = Field(default_factory=dict)


class OrderFields(CaseModel):
    number: str = "BDC-CAS"
    vendor_siret: str = "12345678200010"
    solution_referencing_number: str | None = Field(
        default=None, description="Par défaut, celui de la solution du cas."
    )
    dispositif: str
    client_kind: ClientKind = ClientKind.LEGAL_ENTITY
    client_id: str
    signed_on: dt.date
    signatory: str = "Signataire du cas"
    under_referencing_condition: bool = False
    prestation_ht: Euros
    prestation_ttc: Euros
    referential_pin: str | None = Field(
        default=None, description="Par défaut, la version en cours du référentiel."
    )
    sites: list[SiteScenarioCase] = Field(default_factory=list)
    lines: list[LineCase] = Field(default_factory=list)


class SolutionCase(CaseModel):
    name: str = "Solution du cas"
    version: str = "1.0"
    referencing_number: str = "REF-CAS"
    dispositif: str
    profiles: list[str] = Field(description="Profils obtenus, libellés ou identifiants.")
    referenced_on: dt.date | None = None


class LegalEntityCase(CaseModel):
    finess_ej: str
    name: str = "Entité juridique du cas"
    status: LegalStatus


class SiteCase(CaseModel):
    finess_et: str
    finess_ej: str
    name: str = "Site du cas"
    category: str | None = None


class OtherOrderCase(CaseModel):
    number: str
    client_key: str = Field(description="ES-PMSI ou RPPS déjà couvert par cette commande.")
    dispositif: str | None = Field(default=None, description="Par défaut, celui de la commande.")


class OrderExpectation(CaseModel):
    findings: list[str] = Field(description="Codes des constats attendus, liste exacte.")
    paths: dict[str, list[str]] | None = Field(
        default=None, description="Par code, les emplacements attendus, liste exacte."
    )
    messages: dict[str, list[str]] | None = Field(
        default=None, description="Par code, des extraits que chaque message doit contenir."
    )


class OrderCase(CaseModel):
    name: str
    kind: Literal["order"] = "order"
    today: dt.date
    order: OrderFields
    solution: SolutionCase | None = None
    vendor_known: bool = True
    legal_entities: list[LegalEntityCase] = Field(default_factory=list)
    sites: list[SiteCase] = Field(default_factory=list)
    ceiling_ht: Euros | None = None
    other_orders: list[OtherOrderCase] = Field(default_factory=list)
    expect: OrderExpectation


def build_order_case(
    case: OrderCase, referential: Referential
) -> tuple[PurchaseOrder, OrderContext]:
    """The order and its context, as the service would hand them to `check_order`."""
    fields = case.order
    solution = None
    if case.solution is not None:
        solution = Solution(
            name=case.solution.name,
            version=case.solution.version,
            referencing_number=case.solution.referencing_number,
            dispositif=case.solution.dispositif,
            profiles=frozenset(case.solution.profiles),
            referenced_on=case.solution.referenced_on,
        )
    referencing_number = fields.solution_referencing_number or (
        solution.referencing_number if solution else "REF-INCONNUE"
    )
    order = PurchaseOrder(
        number=fields.number,
        vendor_siret=fields.vendor_siret,
        solution_referencing_number=referencing_number,
        dispositif=fields.dispositif,
        client_kind=fields.client_kind,
        client_id=fields.client_id,
        signed_on=fields.signed_on,
        signatory=fields.signatory,
        prestation_ht_cents=fields.prestation_ht,
        prestation_ttc_cents=fields.prestation_ttc,
        referential_pin=fields.referential_pin or referential.pin,
        under_referencing_condition=fields.under_referencing_condition,
        sites=tuple(SiteScenario(s.finess_et, dict(s.answers)) for s in fields.sites),
        lines=tuple(
            OrderLine(
                label=line.label,
                amount_ht_cents=line.amount_ht,
                dimension=line.dimension,
                not_funded=line.not_funded,
                billed_as_segur=line.billed_as_segur,
            )
            for line in fields.lines
        ),
    )
    vendor = (
        Vendor("Fournisseur du cas", fields.vendor_siret[:9], fields.vendor_siret)
        if case.vendor_known
        else None
    )
    others: dict[tuple[str, str], tuple[str, ...]] = {}
    for other in case.other_orders:
        key = ((other.dispositif or fields.dispositif).strip().upper(), other.client_key)
        others[key] = (*others.get(key, ()), other.number)
    context = OrderContext(
        referential=referential,
        today=case.today,
        solution=solution,
        vendor=vendor,
        legal_entities={
            directory_key(e.finess_ej): LegalEntity(e.finess_ej, e.name, e.status)
            for e in case.legal_entities
        },
        sites={
            directory_key(s.finess_et): Site(s.finess_et, s.finess_ej, s.name, s.category)
            for s in case.sites
        },
        ceiling_ht_cents=case.ceiling_ht,
        other_orders=others,
    )
    return order, context


def _expectation_problems(expect: OrderExpectation, findings: list[Finding]) -> list[str]:
    problems = _differs("constats", expect.findings, [f.code for f in findings])
    for code, paths in (expect.paths or {}).items():
        got = [f.path for f in findings if f.code == code]
        problems += _differs(f"emplacements de {code}", paths, got)
    for code, excerpts in (expect.messages or {}).items():
        messages = [f.message for f in findings if f.code == code]
        if not messages:
            problems.append(f"message de {code} : aucun constat {code} obtenu")
        for excerpt in excerpts:
            missing = [m for m in messages if excerpt not in m]
            if missing:
                problems.append(f"message de {code} : « {excerpt} » absent de « {missing[0]} »")
    return problems


def run_order_case(case: OrderCase, referential: Referential) -> list[str]:
    """Mismatches between the case's expectation and the checks' findings (in French)."""
    order, context = build_order_case(case, referential)
    findings = check_order(order, context)
    problems = _expectation_problems(case.expect, findings)
    if problems:
        problems += [f"  constat obtenu — {f.code} @ {f.path} : {f.message}" for f in findings]
    return problems
