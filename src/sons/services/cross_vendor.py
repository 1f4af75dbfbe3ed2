"""Controls that only make sense across vendors, on the funding requests filed with the operator.

- **One Prestation per client per dispositif** [public, PRIMER §4]: the client — the ES-PMSI
  (the EJ of a public establishment, each ET of a private one) or the RPPS of a professional —
  holds at most one Prestation per dispositif, whichever vendor files it. Changing vendor goes
  through the cancellation of the first request (and a recovery order if it was paid): a
  cancelled, rejected or recovered request holds nothing.
- **Wave 1 → wave 2** (issue 6, PRIMER §4): an establishment that had a wave-1 HOP-DPI or
  HOP-PFI Prestation is eligible only to the wave-2 Prestation of that software type. Its
  wave-2 counterpart is looked up in the referential (same couloir and software type, wave 2);
  if the referential has none, the message says « non renseigné » rather than name one. The
  conditions proper to establishments already funded in wave 1 are not in the referential:
  the wave-2 request gets an information for the instructor, never a guessed rule.
- **Deadlines at filing time**: the advance is filed between the opening and the deadline of
  the dispositif in force on the filing date, the balance before its deadline; a deadline the
  referential does not know is an information « non renseigné », never invented.

`PrestationLedger` indexes every live request of the store once; `cross_vendor_findings`
checks requests against it (intake), `cross_check` runs the controls over the whole store
(`sons operator cross-check`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.checks import client_keys
from sons.domain.checks.rules import cite_parameter
from sons.domain.orders import ClientKind, LegalEntity
from sons.domain.workflow import KIND_LABELS, RequestKind, Status
from sons.findings import Finding, Severity
from sons.referential.loader import (
    ParameterValue,
    Referential,
    UnknownDispositif,
    default_referential,
)
from sons.referential.rulebook import french_date
from sons.services.actors import reading
from sons.services.requests import repository as request_repository
from sons.store.registries import filing_instants, holding_request_ids
from sons.store.requests import StoredRequest
from sons.store.unit_of_work import UnitOfWork

# Requests that hold their client's Prestation: filed with the operator and still alive.
HOLDING = frozenset(
    {
        Status.FILED,
        Status.INCOMPLETE,
        Status.UNDER_REVIEW,
        Status.TO_AMEND,
        Status.VALIDATED,
        Status.PAID,
    }
)
# Couloir and software types the wave rule names (issue 6: « wave-1 HOP-DPI/PFI Prestation »).
WAVE_RULE_TYPES = frozenset({("HOP", "DPI"), ("HOP", "PFI")})
FUNDING_KINDS = (RequestKind.ADVANCE, RequestKind.BALANCE, RequestKind.AMENDMENT)
# The dated parameter that bounds the filing of each kind; an amendment has none in the
# referential's vocabulary (`PARAMETER_NAMES`), hence « non renseigné ».
DEADLINES: dict[RequestKind, str | None] = {
    RequestKind.ADVANCE: "order_deadline",
    RequestKind.BALANCE: "balance_deadline",
    RequestKind.AMENDMENT: None,
}

CROSS_DUPLICATE_PRESTATION = "CROSS_DUPLICATE_PRESTATION"
CROSS_WAVE1_WAVE2_ONLY = "CROSS_WAVE1_WAVE2_ONLY"
CROSS_WAVE2_AFTER_WAVE1 = "CROSS_WAVE2_AFTER_WAVE1"
CROSS_CLIENT_UNKNOWN = "CROSS_CLIENT_UNKNOWN"
CROSS_FILED_BEFORE_OPENING = "CROSS_FILED_BEFORE_OPENING"
CROSS_FILED_AFTER_DEADLINE = "CROSS_FILED_AFTER_DEADLINE"
CROSS_DEADLINE_UNKNOWN = "CROSS_DEADLINE_UNKNOWN"

RULES: dict[str, str] = {
    CROSS_DUPLICATE_PRESTATION: "Le client a déjà une Prestation pour ce dispositif dans la "
    "demande d'un autre bon de commande (même fournisseur ou autre fournisseur).",
    CROSS_WAVE1_WAVE2_ONLY: "Le client a eu une Prestation HOP-DPI/PFI de la vague 1 : il "
    "n'est plus éligible qu'à la Prestation de la vague 2.",
    CROSS_WAVE2_AFTER_WAVE1: "Demande de vague 2 pour un client déjà financé en vague 1 : "
    "conditions propres non renseignées, à vérifier.",
    CROSS_CLIENT_UNKNOWN: "Entité juridique cliente absente de l'annuaire FINESS : ES-PMSI "
    "inconnu, unicité de la Prestation non vérifiée.",
    CROSS_FILED_BEFORE_OPENING: "Demande d'avance déposée avant l'ouverture des demandes "
    "d'avance du dispositif.",
    CROSS_FILED_AFTER_DEADLINE: "Demande déposée après la date limite de dépôt du dispositif.",
    CROSS_DEADLINE_UNKNOWN: "Date limite de dépôt non renseignée dans le référentiel : délai "
    "non contrôlé.",
}


@dataclass(frozen=True, slots=True)
class RequestHolder:
    """A request as `client_keys` and `ceiling_keys` see it: `number` identifies its order
    across vendors."""

    number: str
    dispositif: str
    client_kind: ClientKind
    client_id: str
    finess_ets: tuple[str | None, ...]


def request_holder(request: StoredRequest) -> RequestHolder:
    return RequestHolder(
        f"{request.vendor_id}:{request.order_number}",
        request.dispositif,
        ClientKind(request.client_kind),
        request.client_id,
        tuple(request.sites),
    )


@dataclass(frozen=True, slots=True)
class Holding:
    """One live request holding a client's Prestation."""

    request_id: int
    vendor_id: int
    request_ref: str
    order_number: str
    dispositif: str
    kind: RequestKind


@dataclass
class PrestationLedger:
    """(dispositif upper, ES-PMSI or RPPS) → the live requests holding it, for the whole store."""

    legal_entities: dict[str, LegalEntity]
    holdings: dict[tuple[str, str], list[Holding]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        uow: UnitOfWork,
        extra: Iterable[StoredRequest] = (),
        *,
        clients: Iterable[str] | None = None,
    ) -> PrestationLedger:
        """Every live funding request of the store — of `clients` only (FINESS EJ or RPPS as
        filed) when given: an intake reads what its requests can collide with, not the whole
        national stock — plus `extra` (requests being taken in, whatever their status)."""
        repository = request_repository(uow)
        if clients is None:
            stored = [
                r for r in repository.find() if r.kind in FUNDING_KINDS and r.status in HOLDING
            ]
        else:
            stored = repository.many(
                holding_request_ids(
                    uow.session,
                    clients,
                    (status.value for status in HOLDING),
                    (kind.value for kind in FUNDING_KINDS),
                )
            )
        known = {r.id for r in stored}
        requests = stored + [r for r in extra if r.id not in known and r.kind in FUNDING_KINDS]
        entities = uow.directory.legal_entities(
            {
                r.client_id
                for r in requests
                if r.client_kind == ClientKind.LEGAL_ENTITY.value and r.client_id
            }
        )
        ledger = cls(entities)
        for request in requests:
            ledger.add(request)
        return ledger

    def add(self, request: StoredRequest) -> None:
        holding = Holding(
            request.id,
            request.vendor_id,
            request.request_ref,
            request.order_number,
            request.dispositif,
            request.kind,
        )
        for key in client_keys(request_holder(request), self.legal_entities) or ():
            entries = self.holdings.setdefault((key.dispositif, key.client_key), [])
            if all(e.request_id != request.id for e in entries):
                entries.append(holding)

    def others(self, request: StoredRequest, dispositif: str, client_key: str) -> list[Holding]:
        """The requests holding `client_key` for `dispositif` for another order than the
        request's own (its advance, balance and amendments share one Prestation)."""
        return [
            h
            for h in self.holdings.get((dispositif.upper(), client_key), ())
            if (h.vendor_id, h.order_number) != (request.vendor_id, request.order_number)
        ]


def _named(holding: Holding, reader_vendor_id: int | None) -> str:
    """How a holding request is named: a vendor reading its own findings learns that another
    vendor holds the client, not which one nor its request."""
    if reader_vendor_id is not None and holding.vendor_id != reader_vendor_id:
        return "une demande d'un autre fournisseur"
    return f"la demande n° {holding.request_id} « {holding.request_ref} » (bon « " + (
        f"{holding.order_number} »)"
    )


def _listed(holdings: Sequence[Holding], reader_vendor_id: int | None) -> str:
    return ", ".join(dict.fromkeys(_named(h, reader_vendor_id) for h in holdings))


def _counterparts(referential: Referential, code: str) -> tuple[int, str, str, list[str]] | None:
    """(wave, couloir, software type, codes of the other waves' dispositifs of that type) for a
    dispositif the wave rule applies to, else None."""
    try:
        identity = referential.get(code).identity
    except UnknownDispositif:
        return None
    kind = (identity.couloir.value, identity.software_type.upper())
    if kind not in WAVE_RULE_TYPES:
        return None
    others = [
        d.code
        for d in referential.dispositifs.values()
        if (d.identity.couloir.value, d.identity.software_type.upper()) == kind
        and d.identity.wave != identity.wave
    ]
    return identity.wave, kind[0], kind[1], others


def _wave_of(referential: Referential, code: str) -> int:
    return referential.get(code).identity.wave


def prestation_findings(
    request: StoredRequest,
    ledger: PrestationLedger,
    referential: Referential,
    *,
    reader_vendor_id: int | None = None,
) -> list[Finding]:
    """One Prestation per client per dispositif, and the wave-1 → wave-2 rule, for one request.

    `reader_vendor_id`: the vendor who will read the findings, if not the operator."""
    prefix = request.request_ref
    keys = client_keys(request_holder(request), ledger.legal_entities)
    if keys is None:
        return [
            Finding(
                CROSS_CLIENT_UNKNOWN,
                Severity.WARNING,
                f"L'entité juridique cliente {request.client_id} ne figure pas dans l'annuaire "
                "FINESS importé : son statut (public ou privé), donc son ES-PMSI, est inconnu ; "
                "l'unicité de la Prestation entre fournisseurs n'a pas été vérifiée.",
                f"{prefix}.client",
                "one_prestation_per_client",
            )
        ]
    findings: list[Finding] = []
    waves = _counterparts(referential, request.dispositif)
    for key in keys:
        path = f"{prefix}.{'client' if key.path == 'client_id' else key.path}"
        same = ledger.others(request, request.dispositif, key.client_key)
        earlier_waves: list[Holding] = []
        if waves is not None:
            wave, _, _, others = waves
            earlier_waves = [
                h
                for code in others
                if _wave_of(referential, code) < wave
                for h in ledger.others(request, code, key.client_key)
            ]
        if same and waves is not None and waves[0] == 1:
            _, _, software, others = waves
            later = [c for c in others if _wave_of(referential, c) == 2]
            target = (
                f"la Prestation de la vague 2 ({', '.join(later)})"
                if later
                else "la Prestation de la vague 2, dispositif non renseigné dans le référentiel"
            )
            findings.append(
                Finding(
                    CROSS_WAVE1_WAVE2_ONLY,
                    Severity.ERROR,
                    f"Le client {key.kind} {key.client_key} a déjà eu une Prestation "
                    f"{request.dispositif} de la vague 1 ({_listed(same, reader_vendor_id)}) : "
                    f"un établissement financé en vague 1 pour le {software} n'est plus "
                    f"éligible qu'à {target}. Cette {KIND_LABELS[request.kind]} ne peut être "
                    "acceptée.",
                    path,
                    "wave1_wave2_only",
                )
            )
        elif same:
            findings.append(
                Finding(
                    CROSS_DUPLICATE_PRESTATION,
                    Severity.ERROR,
                    f"Une seule Prestation par client et par dispositif : le client {key.kind} "
                    f"{key.client_key} a déjà une Prestation {request.dispositif} dans "
                    f"{_listed(same, reader_vendor_id)}. Un changement de fournisseur passe par "
                    "l'annulation de la première demande (et un ordre de recouvrement si "
                    "l'avance a été payée).",
                    path,
                    "one_prestation_per_client",
                )
            )
        if earlier_waves:
            first = earlier_waves[0]
            findings.append(
                Finding(
                    CROSS_WAVE2_AFTER_WAVE1,
                    Severity.INFO,
                    f"Le client {key.kind} {key.client_key} a eu une Prestation "
                    f"{first.dispositif} de la vague 1 ({_listed(earlier_waves, reader_vendor_id)})"
                    f" : il n'est éligible qu'à la Prestation de la vague 2, celle demandée ici "
                    f"({request.dispositif}). Les conditions propres aux établissements déjà "
                    "financés en vague 1 sont non renseignées dans le référentiel : à vérifier "
                    "par l'instructeur.",
                    path,
                    "wave1_wave2_only",
                )
            )
    return findings


def _opening(referential: Referential, code: str, filed_on: dt.date) -> ParameterValue | None:
    """The opening of advance requests: the value in force on the filing date, or — filed
    before any value is in force — the first one the referential dates (a dispositif's
    opening is keyed on itself, so a filing before it finds nothing in force yet)."""
    in_force = referential.at(code, filed_on).parameter("advance_opening")
    if in_force.known:
        return in_force
    parameter = referential.get(code).parameters.get("advance_opening")
    if parameter is None or not parameter.values:
        return None
    first = min(parameter.values)
    if filed_on >= first:
        return None
    value = referential.at(code, first).parameter("advance_opening")
    return value if value.known else None


def deadline_findings(
    request: StoredRequest, filed_on: dt.date, referential: Referential
) -> list[Finding]:
    """The request's filing date against the dispositif's opening and deadline in force then."""
    path = f"{request.request_ref}.date_depot"
    label = KIND_LABELS[request.kind]
    try:
        view = referential.at(request.dispositif, filed_on)
    except UnknownDispositif:
        return []  # the deposit checks report an unknown dispositif
    findings: list[Finding] = []
    filed = french_date(filed_on)
    if request.kind is RequestKind.ADVANCE:
        opening = _opening(referential, request.dispositif, filed_on)
        if opening is not None and filed_on < opening.value:
            findings.append(
                Finding(
                    CROSS_FILED_BEFORE_OPENING,
                    Severity.ERROR,
                    f"{label.capitalize()} déposée le {filed}, avant l'ouverture des demandes "
                    f"d'avance de {view.code} le {french_date(opening.value)}.",
                    path,
                    "advance_opening",
                    cite_parameter(opening, view.sources),
                )
            )
    name = DEADLINES.get(request.kind)
    deadline = None if name is None else view.parameter(name)
    if deadline is None or not deadline.known:
        what = deadline.label if deadline is not None else f"Date limite de dépôt d'un {label}"
        findings.append(
            Finding(
                CROSS_DEADLINE_UNKNOWN,
                Severity.INFO,
                f"{what} de {view.code} : non renseigné dans le référentiel au {filed} ; le "
                f"délai de cette {label} déposée le {filed} n'a pas été contrôlé.",
                path,
                name or "deadline",
                "" if deadline is None else cite_parameter(deadline, view.sources),
            )
        )
    elif filed_on > deadline.value:
        late = (filed_on - deadline.value).days
        findings.append(
            Finding(
                CROSS_FILED_AFTER_DEADLINE,
                Severity.ERROR,
                f"{label.capitalize()} déposée le {filed}, après la date limite du "
                f"{french_date(deadline.value)} ({deadline.label.lower()}, {view.code}) : "
                f"{late} jour(s) de retard.",
                path,
                name or "deadline",
                cite_parameter(deadline, view.sources),
            )
        )
    return findings


def cross_vendor_findings(
    uow: UnitOfWork,
    requests: Sequence[StoredRequest],
    on: dt.date,
    *,
    referential: Referential | None = None,
    ledger: PrestationLedger | None = None,
    reader_vendor_id: int | None = None,
) -> list[Finding]:
    """The cross-vendor controls on `requests`, filed on `on`, against the whole store.

    `reader_vendor_id`: findings stored with a vendor's requests may be shown to that vendor,
    so another vendor's request is named without its identifiers (see `_named`)."""
    referential = referential or default_referential()
    funding = [r for r in requests if r.kind in FUNDING_KINDS]
    if not funding:
        return []
    ledger = ledger or PrestationLedger.of(uow, funding, clients={r.client_id for r in funding})
    findings: list[Finding] = []
    for request in funding:
        findings += prestation_findings(
            request, ledger, referential, reader_vendor_id=reader_vendor_id
        )
        findings += deadline_findings(request, on, referential)
    return findings


# --- the report over the whole store ----------------------------------------------------------


@dataclass(frozen=True)
class CrossCheckLine:
    request: StoredRequest
    filed_on: dt.date | None
    findings: tuple[Finding, ...]

    def as_dict(self) -> dict[str, Any]:
        request = self.request
        return {
            "request_id": request.id,
            "vendor_id": request.vendor_id,
            "request_ref": request.request_ref,
            "kind": request.kind.value,
            "status": request.status.value,
            "dispositif": request.dispositif,
            "order_number": request.order_number,
            "client_kind": request.client_kind,
            "client_id": request.client_id,
            "filed_on": None if self.filed_on is None else self.filed_on.isoformat(),
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class CrossCheckReport:
    requests: int
    lines: tuple[CrossCheckLine, ...]
    referential_pin: str

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for line in self.lines for f in line.findings)

    def by_code(self) -> dict[str, int]:
        counts = Counter(f.code for line in self.lines for f in line.findings)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "with_findings": len(self.lines),
            "by_code": self.by_code(),
            "referential_pin": self.referential_pin,
            "lines": [line.as_dict() for line in self.lines],
        }


def cross_check(engine: Engine, *, referential: Referential | None = None) -> CrossCheckReport:
    """Every live funding request of the store through the cross-vendor controls, each judged
    at its own filing date; only the requests with a finding are listed."""
    referential = referential or default_referential()
    with reading(engine) as uow:
        ledger = PrestationLedger.of(uow)
        filed = filing_instants(uow.session)
        requests = [
            r
            for r in request_repository(uow).find()
            if r.kind in FUNDING_KINDS and r.status in HOLDING
        ]
    lines: list[CrossCheckLine] = []
    for request in requests:
        instant = filed.get(request.id)
        filed_on = None if instant is None else instant.date()
        findings = prestation_findings(request, ledger, referential)
        if filed_on is not None:
            findings += deadline_findings(request, filed_on, referential)
        if findings:
            lines.append(CrossCheckLine(request, filed_on, tuple(findings)))
    return CrossCheckReport(len(requests), tuple(lines), referential.pin)
