"""Checks run on funding requests when the operator takes in a deposit (issue 6).

Each request is checked against the operator's registries and against the whole store:

- **vendor enrolled** for the solution the deposit names, on the intake date (registry of
  enrolled vendors, fed by import or by validated enrolment requests): no funding request is
  accepted from a vendor not enrolled for that solution;
- **solution referenced** for the request's dispositif (registry of referenced solutions),
  still valid at the order date, with every profile the scenario of each site requires at the
  order date — the scenario is explained by the referential (`DispositifSnapshot.explain`),
  exactly as the order checks do, with the profiles of the registry;
- **ceiling** of the client (eligibility base, keyed as `sons.services.eligibility` says)
  compared HT, and TTC when the VAT rate in force is known (else « non renseigné »);
- the **cross-vendor controls** of `sons.services.cross_vendor`.

Findings are placed at ``<request identifier>.<field>``; codes are stable (``INTAKE_…``,
``CROSS_…``, and ``SCENARIO_PROFILE_MISSING`` of the order checks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import ValidationError

from sons.domain.checks import CheckCache
from sons.domain.checks.rules import PUBLIC_CEILING, cite_parameter
from sons.domain.money import format_euros, ttc_from_ht
from sons.domain.orders import ClientKind, Solution
from sons.findings import Finding, Severity
from sons.formats.deposit.model import DepositFile
from sons.referential.loader import Referential, cite, default_referential
from sons.referential.rulebook import french_date
from sons.services.cross_vendor import FUNDING_KINDS, cross_vendor_findings, request_holder
from sons.services.eligibility import ceiling_keys, order_ceiling
from sons.services.registries import registries_of
from sons.services.requests import repository as request_repository
from sons.store.registries import EnrolledVendor, ReferencedSolution
from sons.store.requests import JSON_ROLE, StoredRequest
from sons.store.unit_of_work import UnitOfWork

INTAKE_VENDOR_NOT_ENROLLED = "INTAKE_VENDOR_NOT_ENROLLED"
INTAKE_VENDOR_ENROLMENT_NOT_IN_FORCE = "INTAKE_VENDOR_ENROLMENT_NOT_IN_FORCE"
INTAKE_VENDOR_NOT_ENROLLED_FOR_SOLUTION = "INTAKE_VENDOR_NOT_ENROLLED_FOR_SOLUTION"
INTAKE_ENROLMENT_NUMBER_MISMATCH = "INTAKE_ENROLMENT_NUMBER_MISMATCH"
INTAKE_DEPOSIT_UNREADABLE = "INTAKE_DEPOSIT_UNREADABLE"
INTAKE_SOLUTION_NOT_REFERENCED = "INTAKE_SOLUTION_NOT_REFERENCED"
INTAKE_SOLUTION_DISPOSITIF_MISMATCH = "INTAKE_SOLUTION_DISPOSITIF_MISMATCH"
INTAKE_SOLUTION_REFERENCING_ENDED = "INTAKE_SOLUTION_REFERENCING_ENDED"
INTAKE_CEILING_UNKNOWN = "INTAKE_CEILING_UNKNOWN"
INTAKE_CEILING_TTC_UNKNOWN = "INTAKE_CEILING_TTC_UNKNOWN"
INTAKE_ABOVE_CEILING = "INTAKE_ABOVE_CEILING"
SCENARIO_PROFILE_MISSING = "SCENARIO_PROFILE_MISSING"

RULES: dict[str, str] = {
    INTAKE_VENDOR_NOT_ENROLLED: "Le fournisseur n'est pas au registre des éditeurs enrôlés.",
    INTAKE_VENDOR_ENROLMENT_NOT_IN_FORCE: "L'enrôlement du fournisseur n'est pas en vigueur à "
    "la date de réception.",
    INTAKE_VENDOR_NOT_ENROLLED_FOR_SOLUTION: "Le fournisseur n'est pas enrôlé pour la solution "
    "de la demande.",
    INTAKE_ENROLMENT_NUMBER_MISMATCH: "Le numéro d'enrôlement du dépôt diffère de celui du "
    "registre.",
    INTAKE_DEPOSIT_UNREADABLE: "Le fichier de dépôt conservé n'a pas pu être relu : solution "
    "et scénarios non contrôlés.",
    INTAKE_SOLUTION_NOT_REFERENCED: "La solution n'est pas au registre des solutions référencées.",
    INTAKE_SOLUTION_DISPOSITIF_MISMATCH: "La solution est référencée pour un autre dispositif.",
    INTAKE_SOLUTION_REFERENCING_ENDED: "Le référencement de la solution avait pris fin à la "
    "date de la commande.",
    SCENARIO_PROFILE_MISSING: "Un profil requis par le scénario d'un site n'est pas parmi les "
    "profils obtenus par la solution au registre.",
    INTAKE_CEILING_UNKNOWN: "Plafond du client non renseigné dans la base d'éligibilité.",
    INTAKE_CEILING_TTC_UNKNOWN: "Taux de TVA non renseigné : plafond TTC non comparé.",
    INTAKE_ABOVE_CEILING: "La Prestation dépasse le plafond du client, en HT et/ou en TTC.",
}


@dataclass(frozen=True, slots=True)
class _Filed:
    """What the deposit file says of a request that the stored request does not keep."""

    solution_number: str
    enrolment_number: str
    scenarios: tuple[dict[str, object] | None, ...]


class _Deposits:
    """The deposit files of the requests, read once each (several requests share one)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._repository = request_repository(uow)
        self._files: dict[int, DepositFile | None] = {}

    def filed(self, request: StoredRequest) -> _Filed | None:
        if request.deposit_id not in self._files:
            content = self._repository.deposit_content(request.deposit_id, JSON_ROLE)
            try:
                parsed = None if content is None else DepositFile.model_validate_json(content[1])
            except ValidationError:
                parsed = None
            self._files[request.deposit_id] = parsed
        deposit = self._files[request.deposit_id]
        if deposit is None or request.position >= len(deposit.requests):
            return None
        sites = deposit.requests[request.position].sites
        return _Filed(
            deposit.solution.referencing_number,
            deposit.vendor.enrolment_number,
            tuple(site.scenario for site in sites),
        )


def _enrolment(
    request: StoredRequest,
    filed: _Filed,
    siret: str,
    enrolled: EnrolledVendor | None,
    on: dt.date,
) -> list[Finding]:
    ref = request.request_ref
    number = filed.solution_number
    if enrolled is None:
        return [
            Finding(
                INTAKE_VENDOR_NOT_ENROLLED,
                Severity.ERROR,
                f"Le fournisseur de SIRET {siret} n'est pas au registre des éditeurs enrôlés : "
                "aucune demande de financement n'est acceptée d'un fournisseur non enrôlé "
                f"(solution n° {number}). Il dépose d'abord sa demande d'enrôlement (sons "
                "vendor enrol).",
                f"{ref}.vendor.siret",
                "vendor_enrolled",
            )
        ]
    findings: list[Finding] = []
    if not enrolled.enrolled_at(on):
        since = "" if enrolled.enrolled_on is None else f" du {french_date(enrolled.enrolled_on)}"
        until = "" if enrolled.ended_on is None else f" au {french_date(enrolled.ended_on)}"
        findings.append(
            Finding(
                INTAKE_VENDOR_ENROLMENT_NOT_IN_FORCE,
                Severity.ERROR,
                f"L'enrôlement du fournisseur {enrolled.name} (SIRET {siret}) court{since}"
                f"{until} : il n'est pas en vigueur à la réception du {french_date(on)}.",
                f"{ref}.vendor.siret",
                "vendor_enrolled",
            )
        )
    if number not in enrolled.solutions:
        listed = ", ".join(sorted(enrolled.solutions)) or "aucune"
        findings.append(
            Finding(
                INTAKE_VENDOR_NOT_ENROLLED_FOR_SOLUTION,
                Severity.ERROR,
                f"Le fournisseur {enrolled.name} (SIRET {siret}) n'est pas enrôlé pour la "
                f"solution n° {number} : aucune demande de financement n'est acceptée pour une "
                f"solution hors de son enrôlement (solutions enrôlées : {listed}).",
                f"{ref}.solution.referencing_number",
                "vendor_enrolled",
            )
        )
    if enrolled.enrolment_number and filed.enrolment_number != enrolled.enrolment_number:
        findings.append(
            Finding(
                INTAKE_ENROLMENT_NUMBER_MISMATCH,
                Severity.WARNING,
                f"Numéro d'enrôlement « {filed.enrolment_number} » dans le dépôt, mais "
                f"« {enrolled.enrolment_number} » au registre pour le SIRET {siret}.",
                f"{ref}.vendor.enrolment_number",
                "vendor_enrolled",
            )
        )
    return findings


def _referencing(
    request: StoredRequest,
    filed: _Filed,
    solution: ReferencedSolution | None,
    referential: Referential,
    cache: CheckCache,
) -> list[Finding]:
    ref = request.request_ref
    path = f"{ref}.solution.referencing_number"
    number = filed.solution_number
    if solution is None:
        return [
            Finding(
                INTAKE_SOLUTION_NOT_REFERENCED,
                Severity.ERROR,
                f"La solution n° {number} n'est pas au registre des solutions référencées : "
                f"référencement pour {request.dispositif} non établi.",
                path,
                "solution_referenced",
            )
        ]
    named = f"« {solution.name} » {solution.version} (n° {number})"
    if solution.dispositif.upper() != request.dispositif.upper():
        return [
            Finding(
                INTAKE_SOLUTION_DISPOSITIF_MISMATCH,
                Severity.ERROR,
                f"La solution {named} est référencée pour {solution.dispositif}, pas pour "
                f"{request.dispositif}, le dispositif de la demande.",
                path,
                "solution_referenced",
            )
        ]
    signed = request.order_signed_on
    findings: list[Finding] = []
    if solution.valid_until is not None and signed > solution.valid_until:
        findings.append(
            Finding(
                INTAKE_SOLUTION_REFERENCING_ENDED,
                Severity.ERROR,
                f"Le référencement de la solution {named} a pris fin le "
                f"{french_date(solution.valid_until)}, avant la signature du bon de commande "
                f"le {french_date(signed)}.",
                path,
                "solution_referenced",
            )
        )
    snapshot = cache.snapshot(referential, request.dispositif, signed)
    if snapshot is None:
        return findings
    obtained, _ = snapshot.obtained_profiles(
        Solution(
            solution.name,
            solution.version,
            number,
            solution.dispositif,
            solution.profiles,
            solution.referenced_on,
        )
    )
    for index, scenario in enumerate(filed.scenarios):
        if not scenario:
            continue
        explanation = snapshot.explain(scenario, obtained, f"{ref}.sites[{index}].scenario")
        findings += [f for f in explanation.findings if f.code == SCENARIO_PROFILE_MISSING]
    return findings


def _ceiling(
    request: StoredRequest,
    ceiling: int | None,
    referential: Referential,
) -> list[Finding]:
    ref = request.request_ref
    ht, ttc = request.prestation_ht_cents, request.prestation_ttc_cents
    source = cite(PUBLIC_CEILING, referential.sources)
    if ceiling is None:
        return [
            Finding(
                INTAKE_CEILING_UNKNOWN,
                Severity.WARNING,
                f"Plafond de la Prestation {request.dispositif} non renseigné pour le client "
                f"{request.client_id} dans la base d'éligibilité : le montant de "
                f"{format_euros(ht)} HT n'a pas été comparé au plafond.",
                f"{ref}.prestation.ht_cents",
                "ceiling",
                source,
            )
        ]
    over: list[str] = []
    path = ""
    if ht > ceiling:
        over.append(
            f"en HT : {format_euros(ht)} pour un plafond de {format_euros(ceiling)} "
            f"(dépassement de {format_euros(ht - ceiling)})"
        )
        path = f"{ref}.prestation.ht_cents"
    findings: list[Finding] = []
    vat = referential.common_parameter("vat_rate", request.order_signed_on)
    if not vat.known:
        findings.append(
            Finding(
                INTAKE_CEILING_TTC_UNKNOWN,
                Severity.INFO,
                f"Taux de TVA non renseigné au {french_date(request.order_signed_on)} dans le "
                f"référentiel : plafond TTC non renseigné, le montant de {format_euros(ttc)} "
                "TTC n'a pas été comparé.",
                f"{ref}.prestation.ttc_cents",
                "ceiling",
                cite_parameter(vat, referential.sources),
            )
        )
    else:
        ceiling_ttc = ttc_from_ht(ceiling, Decimal(str(vat.value)))
        if ttc > ceiling_ttc:
            over.append(
                f"en TTC : {format_euros(ttc)} pour un plafond de {format_euros(ceiling_ttc)} "
                f"(dépassement de {format_euros(ttc - ceiling_ttc)})"
            )
            path = path or f"{ref}.prestation.ttc_cents"
    if over:
        findings.append(
            Finding(
                INTAKE_ABOVE_CEILING,
                Severity.ERROR,
                f"La Prestation dépasse le plafond du client {request.client_id} pour "
                f"{request.dispositif} (base d'éligibilité), comparé au centime "
                + " et ".join(over)
                + ".",
                path,
                "ceiling",
                source,
            )
        )
    return findings


def findings_at_intake(
    uow: UnitOfWork,
    vendor_id: int,
    requests: Sequence[StoredRequest],
    on: dt.date,
    *,
    referential: Referential | None = None,
) -> list[Finding]:
    """Every finding on `requests` (filed by `vendor_id`, taken in on `on`), request by
    request in the order given, then the cross-vendor controls."""
    referential = referential or default_referential()
    funding = [r for r in requests if r.kind in FUNDING_KINDS]
    if not funding:
        return []
    registries = registries_of(uow)
    vendor = uow.vendors.get(vendor_id)
    siret = "" if vendor is None else vendor.siret
    enrolled = registries.vendor(siret) if siret else None
    deposits = _Deposits(uow)
    filed = {r.id: deposits.filed(r) for r in funding}
    solutions = registries.solutions({f.solution_number for f in filed.values() if f})
    entities = uow.directory.legal_entities(
        {r.client_id for r in funding if r.client_kind == ClientKind.LEGAL_ENTITY.value}
    )
    # One query per dispositif for the ceilings of every request's keys.
    wanted: dict[str, set[str]] = {}
    for request in funding:
        keys = ceiling_keys(request_holder(request), entities)
        wanted.setdefault(request.dispositif, set()).update(keys or ())
    ceilings = {code: uow.eligibility.ceilings(code, keys) for code, keys in wanted.items()}
    cache = CheckCache()
    findings: list[Finding] = []
    for request in funding:
        this = filed[request.id]
        if this is None:
            findings.append(
                Finding(
                    INTAKE_DEPOSIT_UNREADABLE,
                    Severity.WARNING,
                    f"Le fichier de dépôt de la demande « {request.request_ref} » n'a pas pu "
                    "être relu : enrôlement du fournisseur pour la solution, référencement et "
                    "profils non contrôlés.",
                    request.request_ref,
                    "deposit",
                )
            )
        else:
            findings += _enrolment(request, this, siret, enrolled, on)
            findings += _referencing(
                request, this, solutions.get(this.solution_number), referential, cache
            )
        keys = ceiling_keys(request_holder(request), entities)
        findings += _ceiling(
            request, order_ceiling(keys, ceilings.get(request.dispositif, {})), referential
        )
    # The findings are kept with the vendor's requests, which the vendor may read: another
    # vendor's request is named without its identifiers (`sons operator cross-check` names it).
    findings += cross_vendor_findings(
        uow, funding, on, referential=referential, reader_vendor_id=vendor_id
    )
    return findings
