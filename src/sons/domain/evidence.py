"""Evidence for the balance: transmissions, the verdict of each balance condition, readiness.

Pure: no database, no clock. The transmissions log says which documents a site sent; each
balance condition of the site's installed scenario says which of them count (acknowledged,
with a qualified INS when required, of the right document type, to the right recipient, sent by
the ordered solution's version, on or after the order's signature date) and how many are needed;
the MOM and VA records say whether the piece the condition needs is there. This module holds the
one rule that turns those into a verdict — « Prêt pour le solde », « Manque … » or « Non
déterminable » — used alike by `sons evidence status` and by the documents (MOM, balance
summary). A value the referential does not know (« non renseigné ») never yields « prêt ».
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from sons.domain.identifiers import (
    MSS_CITIZEN_TEST_ADDRESS,
    MSS_PATIENT_DOMAIN,
    luhn_check_digit,
)
from sons.findings import Finding, Severity
from sons.referential.model import (
    FLOW_LABELS,
    ROUTE_LABELS,
    BalanceCondition,
    Evidence,
    Flow,
    Route,
    Strength,
)

NOT_PROVIDED = "non renseigné"

# --- what a transmission is -------------------------------------------------------------------


class InsStatus(StrEnum):
    """The patient identity a document carried (a closed list)."""

    QUALIFIED = "qualifiee"
    NOT_QUALIFIED = "non_qualifiee"
    ABSENT = "absente"


INS_STATUS_LABELS: dict[InsStatus, str] = {
    InsStatus.QUALIFIED: "INS qualifiée",
    InsStatus.NOT_QUALIFIED: "INS non qualifiée",
    InsStatus.ABSENT: "INS absente",
}


class RecipientClass(StrEnum):
    """What kind of MSSanté address a message went to.

    Only the kind is stored: a patient's address contains the INS, a personal health
    identifier, and the balance conditions only ever name the citizen test address.
    """

    TEST_ADDRESS = "test_address"
    PATIENT = "patient"
    PROFESSIONAL = "professional"


RECIPIENT_LABELS: dict[RecipientClass, str] = {
    RecipientClass.TEST_ADDRESS: "l'adresse de messagerie citoyenne de test",
    RecipientClass.PATIENT: "une adresse de messagerie citoyenne (patient)",
    RecipientClass.PROFESSIONAL: "une adresse MSSanté de professionnel ou de structure",
}


def recipient_class(address: str) -> RecipientClass:
    """The kind of a checked, normalised MSSanté address (domain in lower case)."""
    if address.casefold() == MSS_CITIZEN_TEST_ADDRESS:
        return RecipientClass.TEST_ADDRESS
    if address.rsplit("@", 1)[-1] == MSS_PATIENT_DOMAIN:
        return RecipientClass.PATIENT
    return RecipientClass.PROFESSIONAL


MSS_FLOWS = frozenset({Flow.MSS_PRO, Flow.MSS_PATIENT})

_LOINC = re.compile(r"([0-9]{1,7})-([0-9])")


class LoincError(ValueError):
    """A malformed LOINC code; the message is French."""


def check_loinc(value: str) -> str:
    """A LOINC code « 18748-4 »: up to seven digits, a hyphen, the mod-10 check digit.

    LOINC's check digit is computed as Luhn's (LOINC users' guide, « Calculating Mod 10
    check digits »): 18748-4, 11502-2 and 11490-0 pass.
    """
    code = value.strip()
    match = _LOINC.fullmatch(code)
    if match is None:
        raise LoincError(
            f"code LOINC « {code} » mal formé : attendu des chiffres, un tiret et un chiffre "
            "de contrôle, par exemple 18748-4"
        )
    body, key = match.groups()
    expected = luhn_check_digit(body)
    if key != expected:
        raise LoincError(
            f"code LOINC « {code} » : chiffre de contrôle {key} incorrect (attendu {expected})"
        )
    return code


def software_key(name: str) -> str:
    """A software name as compared: case, accents and spacing ignored (« RIS  Horizon » is
    « ris horizon »)."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


class Transmission(NamedTuple):
    """One document sent by the vendor's software, as its log records it.

    `sent_at` is an aware UTC instant; `recipient` the checked MSSanté address (None for the
    flows without one); `message_id` the sender's own identifier, unique per vendor.
    (A named tuple: an import builds millions of them.)
    """

    message_id: str
    sent_at: dt.datetime
    finess_et: str
    flow: Flow
    route: Route
    ins_status: InsStatus
    document_type: str | None
    recipient: str | None
    acknowledged: bool
    software_name: str
    software_version: str

    @property
    def recipient_class(self) -> RecipientClass | None:
        return None if self.recipient is None else recipient_class(self.recipient)

    def fingerprint(self) -> str:
        """What « same content » means for two lines with one message id: every field, as
        normalised (the same instant written with another offset is the same content)."""
        text = "\x1f".join(
            (
                self.message_id,
                self.sent_at.astimezone(dt.UTC).isoformat(),
                self.finess_et,
                self.flow,
                self.route,
                self.ins_status,
                self.document_type or "",
                self.recipient or "",
                "ok" if self.acknowledged else "ko",
                self.software_name,
                self.software_version,
            )
        )
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


# --- the counts and the verdict of one condition ----------------------------------------------


@dataclass(frozen=True, slots=True)
class FlowEvidence:
    """Counts achieved by one site for one flow and route, against its balance condition.

    `site` is the FINESS ET (None for a professional's practice without one);
    `condition_label` is the condition's exact wording in the referential; `threshold` and
    `ins_qualified_required` are None when the referential does not know them (« non
    renseigné »); `recipient` the address the condition requires, if any; `uncountable` says
    why no transmission can count for it at all (a site without FINESS ET: the log cannot name
    it), and then `achieved` means nothing.
    """

    site: str | None
    flow: Flow
    route: Route
    condition_label: str
    threshold: int | None
    achieved: int
    period_start: dt.date
    period_end: dt.date
    ins_qualified_required: bool | None
    recipient: str | None = None
    uncountable: str | None = None

    @classmethod
    def for_condition(
        cls,
        site: str | None,
        condition: BalanceCondition,
        achieved: int,
        period_start: dt.date,
        period_end: dt.date,
        uncountable: str | None = None,
    ) -> FlowEvidence:
        return cls(
            site=site,
            flow=condition.flow,
            route=condition.route,
            condition_label=condition.condition,
            threshold=condition.threshold,
            achieved=achieved,
            period_start=period_start,
            period_end=period_end,
            ins_qualified_required=condition.ins_qualified,
            recipient=condition.recipient,
            uncountable=uncountable,
        )


@dataclass(frozen=True, slots=True)
class ConditionStatus:
    """One applicable balance condition of a site: its counts and whether its piece is there.

    `evidence_note` replaces « MOM manquante » when a piece exists but cannot count (it
    contradicts the installed scenario, or its signature is broken).
    """

    counts: FlowEvidence
    evidence: Evidence
    evidence_present: bool
    evidence_note: str | None = None

    @classmethod
    def for_condition(
        cls,
        site: str | None,
        condition: BalanceCondition,
        achieved: int,
        period_start: dt.date,
        period_end: dt.date,
        evidence_present: bool,
        evidence_note: str | None = None,
        uncountable: str | None = None,
    ) -> ConditionStatus:
        counts = FlowEvidence.for_condition(
            site, condition, achieved, period_start, period_end, uncountable
        )
        return cls(counts, condition.evidence, evidence_present, evidence_note)


@dataclass(frozen=True, slots=True)
class Verdict:
    """`ready` is None when a value the decision needs is « non renseigné ».

    `text` is the short form the documents print; `gaps` what is missing, one item each
    (« DMP : 7/10 avec INS qualifiée », « VA manquante »), for a reader who has to act.
    """

    ready: bool | None
    text: str
    gaps: tuple[str, ...] = ()


def flow_name(flow: Flow, route: Route) -> str:
    """« DMP », « DMP via un logiciel tiers »: the route is only named when it is not direct."""
    if route is Route.DIRECT:
        return FLOW_LABELS[flow]
    return f"{FLOW_LABELS[flow]} {ROUTE_LABELS[route]}"


def progress_text(counts: FlowEvidence) -> str:
    """« DMP : 7/10 avec INS qualifiée », « MSS Patient : 0/1 vers l'adresse de test »,
    « flux entrant DPI : 3 envoi(s), seuil non renseigné », « DMP : site sans FINESS : … »."""
    name = flow_name(counts.flow, counts.route)
    if counts.uncountable:
        return f"{name} : {counts.uncountable}"
    if counts.threshold is None:
        return f"{name} : {counts.achieved} envoi(s), seuil {NOT_PROVIDED}"
    text = f"{name} : {counts.achieved}/{counts.threshold}"
    if counts.ins_qualified_required:
        text += " avec INS qualifiée"
    elif counts.ins_qualified_required is None:
        text += f" (exigence d'INS qualifiée {NOT_PROVIDED})"
    if counts.recipient is not None and counts.recipient.casefold() == MSS_CITIZEN_TEST_ADDRESS:
        text += " vers l'adresse de test"
    return text


def condition_verdict(status: ConditionStatus) -> Verdict:
    """« Prêt pour le solde », « Manque 3 envoi(s) et la MOM », or not decidable."""
    counts = status.counts
    if counts.uncountable:
        # Nothing can be counted, so nothing can be said missing either: neither « prêt » nor
        # « manque », whatever the piece.
        return Verdict(None, f"Non déterminable : {counts.uncountable}", (progress_text(counts),))
    missing: list[str] = []
    gaps: list[str] = []
    if counts.threshold is not None and counts.achieved < counts.threshold:
        missing.append(f"{counts.threshold - counts.achieved} envoi(s)")
        gaps.append(progress_text(counts))
    if not status.evidence_present:
        missing.append(f"la {status.evidence.value}")
        gaps.append(status.evidence_note or f"{status.evidence.value} manquante")
    if missing:
        text = "Manque " + " et ".join(missing)
        if counts.threshold is None:
            text += f" ; seuil {NOT_PROVIDED}"
            # Even with its piece, this condition will not be decidable: say it now.
            gaps.append(progress_text(counts))
        return Verdict(False, text, tuple(gaps))
    if counts.threshold is None:
        # Never guess a threshold: the referential does not know it, so neither do we.
        return Verdict(
            None,
            f"Non déterminable : seuil {NOT_PROVIDED} dans le référentiel",
            (progress_text(counts),),
        )
    if counts.ins_qualified_required is None:
        return Verdict(
            None,
            f"Non déterminable : exigence d'INS qualifiée {NOT_PROVIDED} dans le référentiel",
            (progress_text(counts),),
        )
    return Verdict(True, "Prêt pour le solde")


def order_verdict(statuses: Sequence[ConditionStatus]) -> Verdict:
    """The order is ready when every condition of every site is."""
    return combine_verdicts([condition_verdict(s) for s in statuses])


def combine_verdicts(verdicts: Sequence[Verdict], *, prefix: Sequence[str] = ()) -> Verdict:
    """Ready when every verdict is. The gaps are listed once each (one « MOM manquante » per
    site, whatever the number of flows it proves); with `prefix[i]` (a site) for verdict i, they
    are grouped by it: « site 750712184 — DMP : 7/10 avec INS qualifiée, MOM manquante »."""
    if not verdicts:
        return Verdict(None, "Non déterminable : aucune condition de versement du solde fournie")
    short = sum(1 for v in verdicts if v.ready is False)
    unknown = sum(1 for v in verdicts if v.ready is None)
    grouped: dict[str, list[str]] = {}
    for index, verdict in enumerate(verdicts):
        if verdict.ready is True:
            continue
        found = grouped.setdefault(prefix[index] if index < len(prefix) else "", [])
        found.extend(gap for gap in verdict.gaps if gap not in found)
    gaps = tuple(
        gap
        for key, items in grouped.items()
        for gap in ([f"{key} — {', '.join(items)}"] if key and items else items)
    )
    if short:
        return Verdict(False, f"Incomplet : {short} condition(s) non remplie(s)", gaps)
    if unknown:
        return Verdict(
            None,
            f"Non déterminable : {unknown} condition(s) sans verdict possible (valeur non "
            "renseignée dans le référentiel, ou envois non comptables)",
            gaps,
        )
    return Verdict(True, "Prêt pour le solde")


def readiness_text(verdict: Verdict) -> str:
    """« Prêt pour le solde », « Manque : DMP : 7/10 avec INS qualifiée ; VA manquante »,
    « Non déterminable : … » — the verdict as a vendor reads it per site or per order."""
    if verdict.ready is True:
        return "Prêt pour le solde"
    if not verdict.gaps:
        return verdict.text
    lead = "Manque" if verdict.ready is False else "Non déterminable"
    return f"{lead} : " + " ; ".join(verdict.gaps)


# --- which transmissions count for a condition ------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    """What a transmission must be to count for one balance condition of one site.

    `ins_qualified` None: the referential does not know whether a qualified INS is required
    (every acknowledged document is counted, and the verdict cannot be « prêt »);
    `inferred` names the fields sons deduced (strength « inferred »), shown as such;
    `unsupported` says why nothing can be counted for it at all.
    """

    finess_et: str | None
    flow: Flow
    route: Route
    ins_qualified: bool | None
    document_type: str | None
    recipient: RecipientClass | None
    software_name: str
    software_version: str
    since: dt.date
    until: dt.date | None = None
    inferred: frozenset[str] = frozenset()
    unsupported: str | None = None

    def accepts(self, transmission: Transmission) -> bool:
        """The rule, on one transmission (the store applies the same one in SQL)."""
        t = transmission
        return (
            self.unsupported is None
            and t.acknowledged
            and t.finess_et == self.finess_et
            and t.flow is self.flow
            and t.route is self.route
            and t.sent_at.astimezone(dt.UTC).date() >= self.since
            and (self.until is None or t.sent_at.astimezone(dt.UTC).date() <= self.until)
            and (not self.ins_qualified or t.ins_status is InsStatus.QUALIFIED)
            and (self.document_type is None or t.document_type == self.document_type)
            and (self.recipient is None or t.recipient_class is self.recipient)
            and t.software_version == self.software_version
            and software_key(t.software_name) == software_key(self.software_name)
        )

    def describe(self) -> str:
        """« accusé ok, INS qualifiée, type de document 18748-4 (déduit), envoyés par RIS
        Horizon 4.2 depuis le 01/02/2023 (UTC) »."""
        if self.unsupported:
            return self.unsupported
        parts = ["accusé de réception ok"]
        if self.ins_qualified:
            parts.append("INS qualifiée")
        elif self.ins_qualified is None:
            parts.append(f"exigence d'INS qualifiée {NOT_PROVIDED} (tous comptés)")
        if self.document_type:
            parts.append(f"type de document {self.document_type}{self._mark('document_type')}")
        if self.recipient is not None:
            parts.append(f"vers {RECIPIENT_LABELS[self.recipient]}{self._mark('recipient')}")
        until = f" jusqu'au {self.until:%d/%m/%Y}" if self.until else ""
        parts.append(
            f"envoyés par {self.software_name} {self.software_version} depuis le "
            f"{self.since:%d/%m/%Y}{until} (dates UTC)"
        )
        return ", ".join(parts)

    def _mark(self, name: str) -> str:
        return " (déduit par sons)" if name in self.inferred else ""


def criterion_for(
    condition: BalanceCondition,
    finess_et: str | None,
    software_name: str,
    software_version: str,
    since: dt.date,
    until: dt.date | None = None,
) -> Criterion:
    """The counting rule of `condition` for one site of an order of that solution, counting
    from `since` (the order's signature date) to `until` (the day of the count), included."""
    unsupported = None
    recipient = None
    if condition.recipient is not None:
        if condition.recipient.casefold() == MSS_CITIZEN_TEST_ADDRESS:
            recipient = RecipientClass.TEST_ADDRESS
        else:
            unsupported = (
                f"le destinataire exigé « {condition.recipient} » n'est pas l'adresse de test : "
                "sons ne conserve que le type de destinataire et ne peut pas compter ces envois"
            )
    if finess_et is None:
        unsupported = (
            "site sans FINESS : les envois du journal, rattachés à un FINESS ET, ne peuvent "
            "pas lui être attribués"
        )
    inferred = frozenset(
        name
        for name, strength in condition.field_strengths.items()
        if strength is Strength.INFERRED
    )
    return Criterion(
        finess_et=finess_et,
        flow=condition.flow,
        route=condition.route,
        ins_qualified=condition.ins_qualified,
        document_type=condition.document_type,
        recipient=recipient,
        software_name=software_name,
        software_version=software_version,
        since=since,
        until=until,
        inferred=inferred,
        unsupported=unsupported,
    )


@dataclass(frozen=True, slots=True)
class Tally:
    """What the store counted for one criterion: how many, and the first and last sent."""

    count: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None


def tally(criterion: Criterion, transmissions: Iterable[Transmission]) -> Tally:
    """Count in memory (tests, small logs); the store does the same in SQL."""
    count, first, last = 0, None, None
    for transmission in transmissions:
        if criterion.accepts(transmission):
            count += 1
            at = transmission.sent_at
            first = at if first is None or at < first else first
            last = at if last is None or at > last else last
    return Tally(count, first, last)


# --- MOM and VA -------------------------------------------------------------------------------

FlowRoutePair = tuple[Flow, Route]


def flow_route_text(pair: FlowRoutePair) -> str:
    return f"{FLOW_LABELS[pair[0]]} — {ROUTE_LABELS[pair[1]]}"


def parse_flow_routes(text: str) -> tuple[frozenset[FlowRoutePair], list[str]]:
    """« dmp/direct,mss_pro/third_party » → the pairs, and a French message per bad item."""
    pairs: set[FlowRoutePair] = set()
    problems: list[str] = []
    flows = {f.value: f for f in Flow}
    routes = {r.value: r for r in Route}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        flow_text, _, route_text = item.partition("/")
        flow = flows.get(flow_text.strip().casefold())
        route = routes.get(route_text.strip().casefold())
        if flow is None or route is None:
            problems.append(
                f"« {item} » : attendu flux/voie, flux parmi {', '.join(flows)}, voie parmi "
                f"{', '.join(routes)} (par exemple dmp/direct)"
            )
            continue
        pairs.add((flow, route))
    if not pairs and not problems:
        problems.append("aucun flux donné (par exemple --flows dmp/direct,mss_pro/direct)")
    return frozenset(pairs), problems


@dataclass(frozen=True, slots=True)
class EvidencePiece:
    """A MOM or a VA recorded for one site of an order: the flows it attests, who and when.

    `accepted` is False for a VA whose signature does not hold (kept, never counted).
    """

    kind: Evidence
    flows: frozenset[FlowRoutePair]
    recorded_at: dt.datetime
    recorded_by: str
    reference: str
    accepted: bool = True
    signer: str | None = None
    signed_at: dt.datetime | None = None


def contradictions(
    piece: EvidencePiece,
    conditions: Sequence[BalanceCondition],
    site_label: str,
    *,
    path: str = "",
) -> list[Finding]:
    """EVIDENCE_CONTRADICTS_SCENARIO: a flow attested that the installed scenario does not have
    (an error: the piece cannot count), or a flow of the scenario proven by this kind of piece
    that it does not attest (a warning: another piece of the same kind may attest it)."""
    scenario = {(c.flow, c.route) for c in conditions}
    expected = {(c.flow, c.route) for c in conditions if c.evidence is piece.kind}
    findings: list[Finding] = []
    for pair in sorted(piece.flows - scenario):
        findings.append(
            Finding(
                "EVIDENCE_CONTRADICTS_SCENARIO",
                Severity.ERROR,
                f"{piece.reference} atteste le flux {flow_route_text(pair)}, que le scénario "
                f"installé du {site_label} n'a pas : elle ne compte pas pour le solde. Déclarez "
                "le scénario effectivement installé (sons evidence install) ou refaites la "
                f"{piece.kind.value}.",
                path,
                "EVIDENCE_CONTRADICTS_SCENARIO",
            )
        )
    for pair in sorted(expected - piece.flows):
        findings.append(
            Finding(
                "EVIDENCE_CONTRADICTS_SCENARIO",
                Severity.WARNING,
                f"{piece.reference} n'atteste pas le flux {flow_route_text(pair)} du scénario "
                f"installé du {site_label}, dont la pièce exigée est la {piece.kind.value} : "
                f"une autre {piece.kind.value} devra l'attester.",
                path,
                "EVIDENCE_CONTRADICTS_SCENARIO",
            )
        )
    return findings


def usable_pieces(
    pieces: Sequence[EvidencePiece], conditions: Sequence[BalanceCondition]
) -> tuple[list[EvidencePiece], list[EvidencePiece]]:
    """(pieces that count, pieces that do not: rejected, or attesting a flow not installed)."""
    scenario = {(c.flow, c.route) for c in conditions}
    good: list[EvidencePiece] = []
    bad: list[EvidencePiece] = []
    for piece in pieces:
        (good if piece.accepted and piece.flows <= scenario else bad).append(piece)
    return good, bad


# --- readiness of a site and of an order ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConditionReadiness:
    condition: BalanceCondition
    criterion: Criterion
    tally: Tally
    status: ConditionStatus
    verdict: Verdict
    pieces: tuple[EvidencePiece, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteReadiness:
    """One site: the scenario evaluated (installed, or ordered when none was declared)."""

    finess_et: str | None
    scenario_installed: bool
    conditions: tuple[ConditionReadiness, ...]
    findings: tuple[Finding, ...]
    verdict: Verdict


def assess_site(
    finess_et: str | None,
    conditions: Sequence[BalanceCondition],
    criteria: Mapping[str, Criterion],
    tallies: Mapping[str, Tally],
    pieces: Sequence[EvidencePiece],
    *,
    scenario_installed: bool,
    period_end: dt.date,
    scenario_findings: Sequence[Finding] = (),
) -> SiteReadiness:
    """The verdict of one site from its applicable conditions (by id: `criteria`, `tallies`)
    and the MOM and VA recorded for it."""
    label = f"site {finess_et}" if finess_et else "site sans FINESS"
    findings: list[Finding] = list(scenario_findings)
    for piece in pieces:
        findings.extend(contradictions(piece, conditions, label, path=finess_et or ""))
    good, bad = usable_pieces(pieces, conditions)
    results: list[ConditionReadiness] = []
    for condition in conditions:
        criterion = criteria[condition.id]
        counted = tallies.get(condition.id, Tally())
        pair = (condition.flow, condition.route)
        covering = tuple(p for p in good if p.kind is condition.evidence and pair in p.flows)
        note = None
        if not covering:
            unusable = [p for p in bad if p.kind is condition.evidence and pair in p.flows]
            if unusable:
                note = (
                    f"{condition.evidence.value} présente mais inutilisable ({_why(unusable[0])})"
                )
        status = ConditionStatus.for_condition(
            finess_et,
            condition,
            counted.count,
            criterion.since,
            period_end,
            evidence_present=bool(covering),
            evidence_note=note,
            uncountable=criterion.unsupported,
        )
        verdict = condition_verdict(status)
        results.append(ConditionReadiness(condition, criterion, counted, status, verdict, covering))
    verdicts = [r.verdict for r in results]
    if not results:
        verdict = Verdict(
            None,
            "Non déterminable : le scénario ne déclenche aucune condition de versement du solde",
            ("aucune condition de versement du solde pour ce scénario",),
        )
    else:
        verdict = combine_verdicts(verdicts)
    if any(f.severity is Severity.ERROR for f in scenario_findings) and verdict.ready is True:
        verdict = Verdict(None, "Non déterminable : scénario incomplet", ("scénario à corriger",))
    return SiteReadiness(finess_et, scenario_installed, tuple(results), tuple(findings), verdict)


def _why(piece: EvidencePiece) -> str:
    if not piece.accepted:
        return "signature non valide"
    return "en contradiction avec le scénario installé"


@dataclass(frozen=True, slots=True)
class OrderReadiness:
    number: str
    dispositif: str
    signed_on: dt.date
    referential_on: dt.date
    solution: str
    sites: tuple[SiteReadiness, ...]
    findings: tuple[Finding, ...] = field(default=())

    @property
    def verdict(self) -> Verdict:
        """Ready when every condition of every site is; the gaps name their site when the
        order has several."""
        verdicts: list[Verdict] = []
        prefixes: list[str] = []
        for site in self.sites:
            label = f"site {site.finess_et or 'sans FINESS'}" if len(self.sites) > 1 else ""
            own = [c.verdict for c in site.conditions]
            if not own or (site.verdict.ready is None and all(v.ready for v in own)):
                own = [site.verdict]  # no condition, or a scenario that cannot be read
            verdicts.extend(own)
            prefixes.extend([label] * len(own))
        return combine_verdicts(verdicts, prefix=prefixes)

    @property
    def statuses(self) -> list[ConditionStatus]:
        return [c.status for site in self.sites for c in site.conditions]
