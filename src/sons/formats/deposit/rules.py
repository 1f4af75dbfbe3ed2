"""Standalone rules on a deposit file's content: what the referential says of each request.

Everything here works on the file alone, without the store: identifiers, scenarios (via the
referential's `explain` at the order date), amounts, deadlines at the file's creation date,
balance evidence and requirements, indicators, and the rules across requests of one file.
The store-backed rules (perimeter and amounts compared with the advance on record, latest
avenant « Décidé et payé ») come later and add to these.

Findings have the shape of the referential's `explain`: code, severity, French message, JSON
path (built through `mapping`), rule and source.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sons.domain.identifiers import (
    IdentifierError,
    check_finess,
    check_rpps,
    check_siret,
)
from sons.domain.money import format_euros, ht_from_ttc, ttc_from_ht
from sons.findings import Finding, Severity
from sons.formats.deposit.mapping import json_path, member
from sons.formats.deposit.model import (
    ATTACHMENT_TYPE_LABELS,
    EVIDENCE_ATTACHMENT,
    KIND_LABELS,
    AttachmentType,
    DepositHeader,
    DepositKind,
    DepositRequest,
)
from sons.formats.deposit.shape import hashable, relocated
from sons.formats.deposit.zipcheck import unsafe_name
from sons.referential.loader import (
    Dispositif,
    DispositifAtDate,
    ParameterValue,
    Referential,
    cite,
)
from sons.referential.model import (
    FLOW_LABELS,
    ROUTE_LABELS,
    STRENGTH_LABELS,
    AnswerValue,
    BalanceCondition,
    Reference,
    Sourced,
    Strength,
)
from sons.referential.scenario import ScenarioExplanation, applicable_balance_conditions, explain

# Where the standalone controls come from: (source id, what it says, strength). The public
# controls are those listed in PRIMER §4; « sons_reading » marks our own deductions.
CONTROL_SOURCES: dict[str, tuple[str, str, Strength]] = {
    "amount_positive": (
        "public_faq",
        "contrôles des demandes : montant de la Prestation non nul",
        Strength.PUBLIC,
    ),
    "one_per_client": (
        "public_faq",
        "une seule Prestation par client et par dispositif",
        Strength.PUBLIC,
    ),
    "balance_within_advance": (
        "public_faq",
        "solde : Prestation au plus égale au montant déclaré à l'avance",
        Strength.PUBLIC,
    ),
    "es_pmsi": ("public_faq", "ES-PMSI : l'EJ pour le public, l'ET pour le privé", Strength.PUBLIC),
    "advance_order": ("public_faq", "avance versée au dépôt du bon de commande", Strength.PUBLIC),
    "balance_invoice": ("public_faq", "facture à 100 % au solde", Strength.PUBLIC),
    "amendment_order": (
        "sons_reading",
        "un avenant porte le document signé qui modifie la commande",
        Strength.INFERRED,
    ),
    "scenario": (
        "seed",
        "scénario commandé (bon de commande) et scénario installé (solde)",
        Strength.SEED,
    ),
    "own_attachments": (
        "sons_reading",
        "chaque demande porte ses propres pièces",
        Strength.INFERRED,
    ),
}

# The attachment each kind of request must carry, why, and the control it comes from.
REQUIRED_ATTACHMENTS: dict[DepositKind, tuple[AttachmentType, str, str]] = {
    DepositKind.ADVANCE: (
        AttachmentType.ORDER,
        "l'avance est versée sur dépôt du bon de commande signé",
        "advance_order",
    ),
    DepositKind.BALANCE: (
        AttachmentType.INVOICE,
        "le solde est versé sur facture (à 100 % de la Prestation)",
        "balance_invoice",
    ),
    DepositKind.AMENDMENT: (
        AttachmentType.ORDER,
        "un avenant modifie le bon de commande : il porte le document signé qui le modifie",
        "amendment_order",
    ),
}


def _boundaries(dispositif: Dispositif) -> list[dt.date]:
    """The dates on which the questionnaire, profiles or rules change (validity limits)."""
    dates: set[dt.date] = set()
    items: Iterable[Any] = (
        *dispositif.profiles,
        *dispositif.questionnaire.questions,
        *dispositif.questionnaire.alternatives,
        *dispositif.rules,
    )
    for item in items:
        if item.valid_from is not None:
            dates.add(item.valid_from)
        if item.valid_until is not None:
            dates.add(item.valid_until + dt.timedelta(days=1))
    return sorted(dates)


class _Scenarios:
    """`explain` with memory: a national file repeats a few scenarios on many sites.

    A clean explanation is shared by every date between two changes of the questionnaire
    or rules; an explanation with findings is kept per exact date, since its messages name it.
    """

    def __init__(self, referential: Referential, dispositif: Dispositif) -> None:
        self._referential = referential
        self._dispositif = dispositif
        self._boundaries = _boundaries(dispositif)
        self._views: dict[dt.date, DispositifAtDate] = {}
        self._explained: dict[tuple[Any, ...], ScenarioExplanation] = {}

    def view(self, on: dt.date) -> DispositifAtDate:
        found = self._views.get(on)
        if found is None:
            found = self._views[on] = self._referential.at(self._dispositif.code, on)
        return found

    def explain(self, on: dt.date, raw: Mapping[str, Any]) -> ScenarioExplanation:
        key = hashable(raw)
        if key is None:
            return explain(self.view(on), raw, prefix="")
        epoch = ("epoch", bisect.bisect_right(self._boundaries, on), key)
        shared = self._explained.get(epoch)
        if shared is not None and not shared.findings:
            return shared
        exact_key = ("date", on, key)
        exact = self._explained.get(exact_key)
        if exact is None:
            exact = self._explained[exact_key] = explain(self.view(on), raw, prefix="")
            if not exact.findings:
                self._explained[epoch] = exact
        return exact


@dataclass(frozen=True, slots=True)
class _Seen:
    index: int
    request_id: str


class DepositRules:
    """The rules of one file, applied request by request (state kept across requests)."""

    def __init__(
        self,
        referential: Referential,
        dispositif: Dispositif,
        kind: DepositKind | None,
        created_at: dt.datetime | None,
        today: dt.date,
    ) -> None:
        self.referential = referential
        self.dispositif = dispositif
        self.kind = kind
        self.created_on = created_at.date() if created_at is not None else None
        self.today = today
        self.scenarios = _Scenarios(referential, dispositif)
        # Balance conditions, requirements and indicators: those in force on filing.
        self.filing_view = referential.at(dispositif.code, self.created_on or today)
        self._balance_cache: dict[tuple[Any, ...], list[BalanceCondition]] = {}
        self._vat: dict[dt.date, Decimal | None] = {}
        self._order_deadline: dict[dt.date, dt.date | None] = {}
        self._ids: dict[str, _Seen] = {}
        self._clients: dict[str, _Seen] = {}
        self._sites: dict[str, _Seen] = {}
        self._files: dict[str, _Seen] = {}
        self._vat_unknown_reported = False
        self._vat_source = ""
        self.cited = {
            key: cite(
                Sourced(strength=strength, reference=Reference(source=source, section=what)),
                referential.sources,
            )
            for key, (source, what, strength) in CONTROL_SOURCES.items()
        }
        self._identifiers: dict[tuple[Any, str], tuple[str, str] | list[str]] = {}
        self._ttc: dict[tuple[int, Decimal], int] = {}
        self._requirement_ids = {r.id for r in dispositif.balance.balance_requirements}
        self._requirements_in_force = {r.id: r for r in self.filing_view.balance_requirements}
        self._expected_indicators = (
            {i.id: i for i in self.filing_view.indicators if kind.value in i.kinds}
            if kind is not None
            else {}
        )

    # --- the file -------------------------------------------------------------------------

    def file_findings(self, header: DepositHeader | None) -> list[Finding]:
        findings: list[Finding] = []
        if header is not None:
            findings += self._identifier(
                check_siret, header.vendor.siret, ("vendor", "siret"), "SIRET éditeur"
            )
        if self.created_on is None:
            return findings
        if self.created_on > self.today:
            findings.append(
                Finding(
                    "DEPOSIT_CREATED_IN_FUTURE",
                    Severity.WARNING,
                    f"Le fichier est daté du {self.created_on.isoformat()}, après la date du "
                    f"contrôle ({self.today.isoformat()}).",
                    json_path("created_at"),
                    "dates",
                )
            )
        if self.kind is DepositKind.ADVANCE:
            findings += self._opening()
            findings += self._deadline("order_deadline")
        elif self.kind is DepositKind.BALANCE:
            findings += self._deadline("balance_deadline")
        return findings

    def _opening(self) -> list[Finding]:
        opening = self.filing_view.parameter("advance_opening")
        assert self.created_on is not None
        if not opening.known or self.created_on >= opening.value:
            return []
        return [
            Finding(
                "DEPOSIT_ADVANCE_NOT_OPEN",
                Severity.ERROR,
                f"Fichier créé le {self.created_on.isoformat()}, avant l'ouverture des demandes "
                f"d'avance de {self.dispositif.code} ({opening.value.isoformat()}).",
                json_path("created_at"),
                "advance_opening",
                self._cite_parameter(opening),
            )
        ]

    def _deadline(self, name: str) -> list[Finding]:
        assert self.created_on is not None and self.kind is not None
        deadline = self.filing_view.parameter(name)
        path = json_path("created_at")
        label = KIND_LABELS[self.kind]
        if not deadline.known:
            return [
                Finding(
                    "DEPOSIT_DEADLINE_UNKNOWN",
                    Severity.WARNING,
                    f"{deadline.label} de {self.dispositif.code} : non renseigné dans le "
                    f"référentiel au {self.created_on.isoformat()} ; le délai de la {label} "
                    "n'a pas pu être contrôlé.",
                    path,
                    name,
                    STRENGTH_LABELS[Strength.UNKNOWN],
                )
            ]
        source = self._cite_parameter(deadline)
        findings = []
        if deadline.warning:
            findings.append(
                Finding("DEPOSIT_DEADLINE_TO_CONFIRM", Severity.INFO, deadline.warning, path, name)
            )
        if self.created_on > deadline.value:
            findings.append(
                Finding(
                    "DEPOSIT_DEADLINE_PASSED",
                    Severity.ERROR,
                    f"Fichier créé le {self.created_on.isoformat()}, après la date limite de "
                    f"dépôt de la {label} de {self.dispositif.code} "
                    f"({deadline.value.isoformat()}).",
                    path,
                    name,
                    source,
                )
            )
        elif self.today > deadline.value:
            findings.append(
                Finding(
                    "DEPOSIT_DEADLINE_PASSED_AT_CHECK",
                    Severity.WARNING,
                    f"Fichier créé avant la date limite ({deadline.value.isoformat()}), mais "
                    f"celle-ci est passée au {self.today.isoformat()} : un dépôt aujourd'hui "
                    "serait hors délai.",
                    path,
                    name,
                    source,
                )
            )
        return findings

    # --- one request ----------------------------------------------------------------------

    def request_findings(self, index: int, request: DepositRequest) -> list[Finding]:
        findings: list[Finding] = []
        seen = _Seen(index, request.id)
        findings += self._unique(
            self._ids,
            request.id,
            seen,
            ("requests", index, "id"),
            "DEPOSIT_REQUEST_ID_DUPLICATE",
            Severity.ERROR,
            f"Identifiant de demande « {request.id} » déjà utilisé",
        )
        findings += self._order(index, request)
        findings += self._client(index, request, seen)
        explanations = self._sites_and_scenarios(index, request, seen)
        findings += explanations.findings
        findings += self._prestation(index, request)
        findings += self._advance_reference(index, request)
        findings += self._attachments(index, request, seen)
        if self.kind is DepositKind.BALANCE:
            findings += self._evidence(index, request, explanations.answers)
            findings += self._requirements(index, request)
        elif request.evidence:
            findings.append(
                Finding(
                    "DEPOSIT_EVIDENCE_UNEXPECTED",
                    Severity.WARNING,
                    "Des preuves (MOM, VA) ne sont attendues que dans une demande de solde.",
                    json_path("requests", index, "evidence"),
                    "preuves du solde",
                )
            )
        findings += self._indicators(index, request)
        return findings

    def _unique(
        self,
        table: dict[str, _Seen],
        value: str,
        seen: _Seen,
        parts: tuple[str | int, ...],
        code: str,
        severity: Severity,
        what: str,
        source: str = "",
    ) -> list[Finding]:
        first = table.get(value)
        if first is None:
            table[value] = seen
            return []
        where = (
            "dans cette même demande"
            if first.index == seen.index
            else f"par la demande « {first.request_id} » ({json_path('requests', first.index)})"
        )
        return [Finding(code, severity, f"{what} {where}.", json_path(*parts), "unicité", source)]

    def _order(self, index: int, request: DepositRequest) -> list[Finding]:
        signed = request.order.signed_on
        parts = ("requests", index, "order", "signed_on")
        findings = []
        if self.created_on is not None and signed > self.created_on:
            findings.append(
                Finding(
                    "DEPOSIT_ORDER_AFTER_FILE",
                    Severity.ERROR,
                    f"Bon de commande signé le {signed.isoformat()}, après la création du "
                    f"fichier ({self.created_on.isoformat()}).",
                    json_path(*parts),
                    "dates",
                )
            )
        if self.kind is DepositKind.ADVANCE:
            deadline = self._order_deadline_on(signed)
            if deadline is not None and signed > deadline:
                findings.append(
                    Finding(
                        "DEPOSIT_ORDER_SIGNED_AFTER_DEADLINE",
                        Severity.ERROR,
                        f"Bon de commande signé le {signed.isoformat()}, après la date limite de "
                        f"signature des bons de commande de {self.dispositif.code} "
                        f"({deadline.isoformat()}).",
                        json_path(*parts),
                        "order_deadline",
                    )
                )
        return findings

    def _order_deadline_on(self, on: dt.date) -> dt.date | None:
        if on not in self._order_deadline:
            value = self.scenarios.view(on).parameter("order_deadline")
            self._order_deadline[on] = value.value if value.known else None
        return self._order_deadline[on]

    def _client(self, index: int, request: DepositRequest, seen: _Seen) -> list[Finding]:
        client = request.client
        findings: list[Finding] = []
        if client.finess_ej is not None:
            key, label = client.finess_ej, f"FINESS EJ {client.finess_ej}"
            findings += self._identifier(
                check_finess,
                client.finess_ej,
                ("requests", index, "client", "finess_ej"),
                "FINESS EJ du client",
            )
        else:
            assert client.rpps is not None
            key, label = client.rpps, f"RPPS {client.rpps}"
            findings += self._identifier(
                check_rpps,
                client.rpps,
                ("requests", index, "client", "rpps"),
                "RPPS du client",
            )
        findings += self._unique(
            self._clients,
            key,
            seen,
            ("requests", index, "client"),
            "DEPOSIT_CLIENT_DUPLICATE",
            Severity.ERROR,
            f"Une seule Prestation par client et par dispositif : le client ({label}) est déjà "
            "demandé",
            self.cited["one_per_client"],
        )
        if client.es_pmsi is not None:
            parts = ("requests", index, "client", "es_pmsi")
            findings += self._identifier(check_finess, client.es_pmsi, parts, "FINESS ES-PMSI")
            related = {client.finess_ej, *(site.finess_et for site in request.sites)}
            if client.es_pmsi not in related:
                findings.append(
                    Finding(
                        "DEPOSIT_ES_PMSI_UNRELATED",
                        Severity.WARNING,
                        f"ES-PMSI {client.es_pmsi} : ni l'EJ du client ni l'un de ses sites ; "
                        "un établissement public déclare sous son EJ, un privé sous son ET.",
                        json_path(*parts),
                        "es_pmsi",
                        self.cited["es_pmsi"],
                    )
                )
        return findings

    def _sites_and_scenarios(
        self, index: int, request: DepositRequest, seen: _Seen
    ) -> _SitesResult:
        result = _SitesResult()
        signed = request.order.signed_on
        installed = self.kind is DepositKind.BALANCE
        for position, site in enumerate(request.sites):
            result.findings += self._identifier(
                check_finess,
                site.finess_et,
                ("requests", index, "sites", position, "finess_et"),
                "FINESS ET du site",
            )
            first = self._sites.get(site.finess_et)
            if first is not None and first.index == index:
                result.findings.append(
                    Finding(
                        "DEPOSIT_SITE_DUPLICATE",
                        Severity.ERROR,
                        f"Site {site.finess_et} listé deux fois dans la même demande.",
                        json_path("requests", index, "sites", position),
                        "unicité",
                    )
                )
            elif first is not None:
                result.findings.append(
                    Finding(
                        "DEPOSIT_SITE_IN_OTHER_REQUEST",
                        Severity.WARNING,
                        f"Site {site.finess_et} déjà présent dans la demande "
                        f"« {first.request_id} » : un site relève d'un seul client et d'une "
                        "seule Prestation par dispositif.",
                        json_path("requests", index, "sites", position),
                        "unicité",
                    )
                )
            else:
                self._sites[site.finess_et] = seen
            if site.scenario is None:
                result.findings.append(
                    Finding(
                        "DEPOSIT_INSTALLED_SCENARIO_MISSING"
                        if installed
                        else "DEPOSIT_SCENARIO_MISSING",
                        Severity.ERROR,
                        (
                            f"Site {site.finess_et} : scénario installé manquant ; le solde "
                            "déclare le scénario réellement installé sur chaque site."
                            if installed
                            else f"Site {site.finess_et} : scénario commandé manquant ; le bon "
                            "de commande porte le scénario de chaque site."
                        ),
                        json_path("requests", index, "sites", position, "scenario"),
                        "scénario",
                        self.cited["scenario"],
                    )
                )
                continue
            explanation = self.scenarios.explain(signed, site.scenario)
            if explanation.findings:
                prefix = json_path("requests", index, "sites", position, "scenario")
                result.findings += relocated(explanation.findings, prefix)
            result.answers.append(explanation.answers)
        return result

    def _identifier(
        self, check: Callable[[str], Any], value: str, parts: tuple[str | int, ...], label: str
    ) -> list[Finding]:
        # EJ, ET and ES-PMSI numbers repeat across a file: each is checked once.
        key = (check, value)
        verdict = self._identifiers.get(key)
        if verdict is None:
            verdict = self._identifiers[key] = _identifier_verdict(check, value)
        if isinstance(verdict, tuple):
            code, message = verdict
            return [
                Finding(
                    code, Severity.ERROR, f"{label} : {message}.", json_path(*parts), "identifiants"
                )
            ]
        return [
            Finding(
                "DEPOSIT_IDENTIFIER_NOTE", Severity.INFO, note, json_path(*parts), "identifiants"
            )
            for note in verdict
        ]

    def _ttc_of(self, ht: int, rate: Decimal) -> int:
        # Amounts repeat (price lists, flat ceilings): the exact computation runs once each.
        key = (ht, rate)
        found = self._ttc.get(key)
        if found is None:
            found = self._ttc[key] = ttc_from_ht(ht, rate)
        return found

    def _cite_parameter(self, value: ParameterValue) -> str:
        if value.reference is None:
            return STRENGTH_LABELS[value.strength]
        item = Sourced(strength=value.strength, reference=value.reference)
        return cite(item, self.filing_view.sources)

    def _vat_on(self, on: dt.date) -> Decimal | None:
        if on not in self._vat:
            rate = self.referential.common_parameter("vat_rate", on)
            self._vat[on] = Decimal(str(rate.value)) if rate.known else None
            self._vat_source = self._cite_parameter(rate)
        return self._vat[on]

    def _prestation(self, index: int, request: DepositRequest) -> list[Finding]:
        ht, ttc = request.prestation.ht_cents, request.prestation.ttc_cents
        findings = []
        if ht == 0 or ttc == 0:
            findings.append(
                Finding(
                    "DEPOSIT_PRESTATION_ZERO",
                    Severity.ERROR,
                    f"Montant de la Prestation nul ({format_euros(ht)} HT, {format_euros(ttc)} "
                    "TTC) : le bon de commande doit porter le montant réel, non nul, de la "
                    "Prestation Ségur.",
                    json_path("requests", index, "prestation"),
                    "montant",
                    self.cited["amount_positive"],
                )
            )
            return findings
        rate = self._vat_on(request.order.signed_on)
        if rate is None:
            if not self._vat_unknown_reported:
                self._vat_unknown_reported = True
                findings.append(
                    Finding(
                        "DEPOSIT_VAT_UNKNOWN",
                        Severity.WARNING,
                        "Taux de TVA non renseigné dans le référentiel à la date de signature : "
                        "la cohérence HT/TTC n'a pas été contrôlée.",
                        json_path("requests", index, "prestation"),
                        "vat_rate",
                        STRENGTH_LABELS[Strength.UNKNOWN],
                    )
                )
            return findings
        if ttc != self._ttc_of(ht, rate) and ht != ht_from_ttc(ttc, rate):
            findings.append(
                Finding(
                    "DEPOSIT_TTC_INCONSISTENT",
                    Severity.ERROR,
                    f"Montant TTC {format_euros(ttc)} incohérent avec le HT {format_euros(ht)} "
                    f"à {rate} % de TVA : attendu {format_euros(ttc_from_ht(ht, rate))} "
                    "(arrondi au centime).",
                    json_path("requests", index, "prestation", "ttc_cents"),
                    "vat_rate",
                    self._vat_source,
                )
            )
        return findings

    def _advance_reference(self, index: int, request: DepositRequest) -> list[Finding]:
        advance = request.advance
        if self.kind is DepositKind.ADVANCE and advance is not None:
            return [
                Finding(
                    "DEPOSIT_ADVANCE_REFERENCE_UNEXPECTED",
                    Severity.ERROR,
                    "Une demande d'avance ne référence pas d'avance (réservé au solde et à "
                    "l'avenant).",
                    json_path("requests", index, "advance"),
                    "avance",
                )
            ]
        if self.kind not in (DepositKind.BALANCE, DepositKind.AMENDMENT):
            return []
        assert self.kind is not None
        if advance is None:
            return [
                Finding(
                    "DEPOSIT_ADVANCE_REFERENCE_MISSING",
                    Severity.ERROR,
                    f"Une {KIND_LABELS[self.kind]} doit indiquer la demande d'avance qu'elle "
                    "complète ou modifie.",
                    json_path("requests", index, "advance"),
                    "avance",
                )
            ]
        if self.kind is not DepositKind.BALANCE:
            return []
        findings = []
        for declared, given, attr, label in (
            (advance.advance_ht_cents, request.prestation.ht_cents, "ht_cents", "HT"),
            (advance.advance_ttc_cents, request.prestation.ttc_cents, "ttc_cents", "TTC"),
        ):
            if declared is not None and given > declared:
                findings.append(
                    Finding(
                        "DEPOSIT_BALANCE_ABOVE_ADVANCE",
                        Severity.ERROR,
                        f"Prestation du solde {format_euros(given)} {label} supérieure au montant "
                        f"déclaré à l'avance ({format_euros(declared)} {label}).",
                        json_path("requests", index, "prestation", attr),
                        "solde",
                        self.cited["balance_within_advance"],
                    )
                )
        if advance.advance_ht_cents is None and advance.advance_ttc_cents is None:
            findings.append(
                Finding(
                    "DEPOSIT_ADVANCE_AMOUNT_UNKNOWN",
                    Severity.INFO,
                    "Montant déclaré à l'avance non indiqué : le plafond du solde (au plus ce "
                    "montant) n'a pas pu être contrôlé sur le fichier seul.",
                    json_path("requests", index, "advance"),
                    "solde",
                )
            )
        return findings

    def _attachments(self, index: int, request: DepositRequest, seen: _Seen) -> list[Finding]:
        findings: list[Finding] = []
        names: dict[str, int] = {}
        for position, attachment in enumerate(request.attachments):
            problem = unsafe_name(attachment.file) or (
                "nom de dossier, pas de fichier" if attachment.file.endswith("/") else None
            )
            if problem:
                findings.append(
                    Finding(
                        "DEPOSIT_ATTACHMENT_NAME_UNSAFE",
                        Severity.ERROR,
                        f"Nom de pièce jointe « {attachment.file} » : {problem}.",
                        json_path("requests", index, "attachments", position, "file"),
                        "pièces jointes",
                    )
                )
            if attachment.file in names:
                findings.append(
                    Finding(
                        "DEPOSIT_ATTACHMENT_DUPLICATE",
                        Severity.ERROR,
                        f"Pièce « {attachment.file} » déclarée deux fois dans la même demande "
                        f"(aussi en position {names[attachment.file]}).",
                        json_path("requests", index, "attachments", position, "file"),
                        "pièces jointes",
                    )
                )
                continue
            names[attachment.file] = position
            first = self._files.get(attachment.file)
            if first is None:
                self._files[attachment.file] = seen
            elif first.index != index:
                findings.append(
                    Finding(
                        "DEPOSIT_ATTACHMENT_SHARED",
                        Severity.WARNING,
                        f"Pièce « {attachment.file} » aussi déclarée par la demande "
                        f"« {first.request_id} » : chaque demande porte normalement ses propres "
                        "pièces (déduit par sons, à confirmer).",
                        json_path("requests", index, "attachments", position, "file"),
                        "pièces jointes",
                        self.cited["own_attachments"],
                    )
                )
        if self.kind is not None:
            wanted, why, control = REQUIRED_ATTACHMENTS[self.kind]
            if not any(a.type is wanted for a in request.attachments):
                findings.append(
                    Finding(
                        "DEPOSIT_ATTACHMENT_REQUIRED",
                        Severity.ERROR,
                        f"Pièce manquante : {ATTACHMENT_TYPE_LABELS[wanted]} (type "
                        f"« {wanted.value} ») ; {why}.",
                        json_path("requests", index, "attachments"),
                        "pièces jointes",
                        self.cited[control],
                    )
                )
        return findings

    def _conditions(self, answers: Mapping[str, AnswerValue]) -> list[BalanceCondition]:
        key = hashable(answers)
        if key is None:
            return applicable_balance_conditions(self.filing_view, answers)
        found = self._balance_cache.get(key)
        if found is None:
            found = self._balance_cache[key] = applicable_balance_conditions(
                self.filing_view, answers
            )
        return found

    def _evidence(
        self,
        index: int,
        request: DepositRequest,
        answers: list[Mapping[str, AnswerValue]],
    ) -> list[Finding]:
        findings: list[Finding] = []
        required: dict[tuple[str, str], BalanceCondition] = {}
        for site_answers in answers:
            for condition in self._conditions(site_answers):
                required.setdefault((condition.flow.value, condition.route.value), condition)
        attachments = {a.file: a for a in request.attachments}
        declared: dict[tuple[str, str], int] = {}
        for position, entry in enumerate(request.evidence):
            key = (entry.flow.value, entry.route.value)
            declared.setdefault(key, position)
            channel = f"{FLOW_LABELS[entry.flow]} ({ROUTE_LABELS[entry.route]})"
            wanted = required.get(key)
            if wanted is None:
                findings.append(
                    Finding(
                        "DEPOSIT_EVIDENCE_UNEXPECTED",
                        Severity.WARNING,
                        f"Preuve déclarée pour {channel}, flux absent du scénario installé de "
                        "chaque site : vérifier le scénario ou retirer la preuve.",
                        json_path("requests", index, "evidence", position),
                        "preuves du solde",
                    )
                )
            elif entry.piece is not wanted.evidence:
                findings.append(
                    Finding(
                        "DEPOSIT_EVIDENCE_WRONG_PIECE",
                        Severity.ERROR,
                        f"{channel} : la condition de solde demande une {wanted.evidence.value} "
                        f"({wanted.evidence_label}), pas une {entry.piece.value}.",
                        json_path("requests", index, "evidence", position, "piece"),
                        wanted.id,
                        self.filing_view.cite(wanted),
                    )
                )
            attachment = attachments.get(entry.file)
            if attachment is None:
                findings.append(
                    Finding(
                        "DEPOSIT_EVIDENCE_FILE_UNKNOWN",
                        Severity.ERROR,
                        f"{channel} : le fichier « {entry.file} » n'est pas parmi les pièces "
                        "jointes de la demande.",
                        json_path("requests", index, "evidence", position, "file"),
                        "preuves du solde",
                    )
                )
            elif attachment.type is not EVIDENCE_ATTACHMENT[entry.piece]:
                findings.append(
                    Finding(
                        "DEPOSIT_EVIDENCE_FILE_TYPE",
                        Severity.ERROR,
                        f"{channel} : la pièce « {entry.file} » est déclarée de type "
                        f"« {attachment.type.value} », pas "
                        f"« {EVIDENCE_ATTACHMENT[entry.piece].value} ».",
                        json_path("requests", index, "evidence", position, "file"),
                        "preuves du solde",
                    )
                )
        for key, condition in required.items():
            if key in declared:
                continue
            channel = f"{FLOW_LABELS[condition.flow]} ({ROUTE_LABELS[condition.route]})"
            findings.append(
                Finding(
                    "DEPOSIT_EVIDENCE_MISSING",
                    Severity.ERROR,
                    f"Preuve manquante pour {channel} : {condition.evidence_label} "
                    f"({condition.evidence.value}) — condition : {condition.condition}.",
                    json_path("requests", index, "evidence"),
                    condition.id,
                    self.filing_view.cite(condition),
                )
            )
        return findings

    def _requirements(self, index: int, request: DepositRequest) -> list[Finding]:
        findings: list[Finding] = []
        answered = {a.requirement for a in request.attachments if a.requirement}
        in_force = self._requirements_in_force
        for requirement in in_force.values():
            if requirement.id not in answered:
                findings.append(
                    Finding(
                        "DEPOSIT_REQUIREMENT_MISSING",
                        Severity.ERROR,
                        f"Pièce exigée du dossier de solde manquante : {requirement.label} (pièce "
                        f"jointe portant l'exigence « {requirement.id} »).",
                        json_path("requests", index, "attachments"),
                        requirement.id,
                        self.filing_view.cite(requirement),
                    )
                )
        for position, attachment in enumerate(request.attachments):
            wanted = attachment.requirement
            if wanted is None or wanted in in_force:
                continue
            path = json_path("requests", index, "attachments", position, "requirement")
            if wanted in self._requirement_ids:
                findings.append(
                    Finding(
                        "DEPOSIT_REQUIREMENT_NOT_IN_FORCE",
                        Severity.INFO,
                        f"La pièce « {wanted} » n'est plus (ou pas encore) exigée au "
                        f"{self.filing_view.on.isoformat()} ; elle peut être retirée.",
                        path,
                        wanted,
                    )
                )
            else:
                findings.append(
                    Finding(
                        "DEPOSIT_REQUIREMENT_UNKNOWN",
                        Severity.WARNING,
                        f"Exigence « {wanted} » inconnue du référentiel pour "
                        f"{self.dispositif.code}.",
                        path,
                        "exigences",
                    )
                )
        return findings

    def _indicators(self, index: int, request: DepositRequest) -> list[Finding]:
        if self.kind is None:
            return []
        given = request.indicators or {}
        if not given and not self._expected_indicators:
            return []
        findings: list[Finding] = []
        for indicator in self._expected_indicators.values():
            value = given.get(indicator.id)
            if value is not None and value in indicator.values:
                continue
            listed = ", ".join(f"« {v} »" for v in indicator.values)
            path = member(json_path("requests", index, "indicators"), indicator.id)
            if value is None:
                findings.append(
                    Finding(
                        "DEPOSIT_INDICATOR_MISSING",
                        Severity.ERROR,
                        f"Indicateur « {indicator.label} » ({indicator.id}) obligatoire pour une "
                        f"{KIND_LABELS[self.kind]} au {self.filing_view.on.isoformat()} ; "
                        f"valeurs : {listed}.",
                        path,
                        indicator.id,
                        self.filing_view.cite(indicator),
                    )
                )
            else:
                findings.append(
                    Finding(
                        "DEPOSIT_INDICATOR_INVALID",
                        Severity.ERROR,
                        f"Indicateur « {indicator.label} » ({indicator.id}) : valeur {value!r} "
                        f"non permise ; attendu l'une de : {listed}.",
                        path,
                        indicator.id,
                        self.filing_view.cite(indicator),
                    )
                )
        for key in given:
            if key not in self._expected_indicators:
                findings.append(
                    Finding(
                        "DEPOSIT_INDICATOR_NOT_EXPECTED",
                        Severity.INFO,
                        f"Indicateur « {key} » non demandé pour une {KIND_LABELS[self.kind]} de "
                        f"{self.dispositif.code} au {self.filing_view.on.isoformat()}.",
                        member(json_path("requests", index, "indicators"), key),
                        "indicateurs du référentiel",
                    )
                )
        return findings


@dataclass
class _SitesResult:
    findings: list[Finding] = field(default_factory=list)
    answers: list[Mapping[str, AnswerValue]] = field(default_factory=list)


def _identifier_verdict(check: Callable[[str], Any], value: str) -> tuple[str, str] | list[str]:
    """(code, message) of an invalid identifier, or the warnings of a valid one."""
    try:
        result = check(value)
    except IdentifierError as exc:
        return exc.code, exc.message
    return list(getattr(result, "warnings", ()))
