"""Specimen deposit files: valid, synthetic, any size, for any dispositif of the referential.

Used by the benchmark (a national-scale file of 100,000 requests), by the tests (a valid
file the checker must pass, for every dispositif) and as a worked example. Every identifier
is synthetic but well-formed (FINESS, RPPS and SIRET keys computed); every scenario is
answered from the dispositif's questionnaire in force on the order date; a solde carries the
evidence its balance conditions ask for. Nothing here is a real organisation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sons.domain.identifiers import luhn_check_digit
from sons.domain.money import ttc_from_ht
from sons.formats.deposit.model import (
    FORMAT_VERSION,
    AttachmentType,
    DepositFile,
    DepositKind,
    DepositRequest,
)
from sons.referential.loader import DispositifAtDate, Referential
from sons.referential.model import AnswerValue, Couloir
from sons.referential.scenario import applicable_balance_conditions

# Couloirs whose clients are professionals (RPPS) rather than legal entities (FINESS EJ).
PROFESSIONAL_COULOIRS = frozenset({Couloir.MDV})


def synthetic_finess(serial: int) -> str:
    department = 1 + serial % 94
    department += 1 if department >= 20 else 0  # « 20 » is no département (Corsica is 2A/2B)
    body = f"{department:02d}{serial // 94 % 1_000_000:06d}"
    return body + luhn_check_digit(body)


def synthetic_rpps(serial: int) -> str:
    body = f"1{serial % 1_000_000_000:09d}"
    return body + luhn_check_digit(body)


def synthetic_siret(serial: int = 0) -> str:
    siren_body = f"{90_000_000 + serial % 10_000_000:08d}"
    siren = siren_body + luhn_check_digit(siren_body)
    body = siren + "0001"
    return body + luhn_check_digit(body)


def specimen_answers(view: DispositifAtDate, variant: int) -> dict[str, AnswerValue]:
    """A valid scenario: each alternative group gets at most one « Oui », by variant."""
    answers: dict[str, AnswerValue] = {}
    chosen: set[str] = set()
    for group, alternative in enumerate(view.alternatives):
        options = alternative.questions
        pick = (variant + group) % (len(options) + 1)
        if pick < len(options):
            chosen.add(options[pick])
    in_groups = {q for a in view.alternatives for q in a.questions}
    for position, question in enumerate(view.questions):
        if question.type == "yes_no":
            if question.id in in_groups:
                answers[question.id] = question.id in chosen
            else:
                answers[question.id] = (variant >> (position % 8)) & 1 == 1
        elif question.type == "text":
            answers[question.id] = "Mailiz"
        elif question.type == "choice":
            choices = question.choices or []
            answers[question.id] = choices[variant % len(choices)].value
        else:
            answers[question.id] = 1 + variant % 5
    return answers


def fake_document(name: str) -> bytes:
    """Placeholder content for a file not actually written (benchmarks)."""
    return f"document {name}".encode()


@dataclass
class Specimen:
    deposit: DepositFile
    documents: dict[str, bytes] = field(default_factory=dict)


def _dates(referential: Referential, code: str, kind: DepositKind) -> dt.datetime:
    """A creation date inside the dispositif's window for this kind of request."""
    name = "balance_deadline" if kind is DepositKind.BALANCE else "order_deadline"
    view = referential.at(code, dt.date(2030, 1, 1))
    deadline = view.parameter(name)
    opening = view.parameter("advance_opening")
    if deadline.known:
        day = deadline.value - dt.timedelta(days=15)
    elif opening.known:
        day = opening.value + dt.timedelta(days=30)
    else:
        day = dt.date(2024, 6, 1)
    return dt.datetime(day.year, day.month, day.day, 10, 30, tzinfo=dt.UTC)


def specimen_deposit(
    referential: Referential,
    code: str,
    kind: DepositKind = DepositKind.ADVANCE,
    count: int = 3,
    *,
    created_at: dt.datetime | None = None,
    variants: int = 8,
    document: Callable[[str], bytes] | None = None,
    seed: int = 20240912,
    first: int = 0,
) -> Specimen:
    """A valid deposit file of `count` requests; `document(name)` gives each file's bytes.
    `first` is the serial of its first request: files made with `first` values `count` apart
    share no client, site, order or request identifier (as deposits of distinct clients).

    With `document=None` the attachments are declared from placeholder bytes and not kept
    (a benchmark does not write the zip); otherwise `Specimen.documents` holds them.
    """
    dispositif = referential.get(code)
    created_at = created_at or _dates(referential, dispositif.code, kind)
    created_on = created_at.date()
    filing_view = referential.at(dispositif.code, created_on)
    rng = random.Random(seed)
    professional = dispositif.identity.couloir in PROFESSIONAL_COULOIRS
    views: dict[dt.date, DispositifAtDate] = {}
    vat: dict[dt.date, Decimal] = {}
    documents: dict[str, bytes] = {}

    def attach(kind_: AttachmentType, name: str, requirement: str | None = None) -> dict[str, Any]:
        content = (document or fake_document)(name)
        if document is not None:
            documents[name] = content
        return {
            "type": kind_,
            "file": name,
            "sha256": hashlib.sha256(content).hexdigest(),
            "size": len(content),
            "requirement": requirement,
        }

    requests = []
    for index in range(first, first + count):
        signed = created_on - dt.timedelta(days=1 + rng.randrange(200))
        view = views.get(signed) or views.setdefault(
            signed, referential.at(dispositif.code, signed)
        )
        if signed not in vat:
            vat[signed] = Decimal(str(referential.common_parameter("vat_rate", signed).require()))
        request_id = f"D{index + 1:06d}"
        sites = []
        answers_list = []
        for position in range(1 + (index % 3 == 0)):
            answers = specimen_answers(view, rng.randrange(variants))
            answers_list.append(answers)
            sites.append(
                {"finess_et": synthetic_finess(500_000 + 2 * index + position), "scenario": answers}
            )
        ht = 100 * rng.randrange(1_000, 60_000)
        client: dict[str, Any] = (
            {"rpps": synthetic_rpps(index)}
            if professional
            else {"finess_ej": synthetic_finess(index), "es_pmsi": synthetic_finess(index)}
        )
        attachments = []
        evidence = []
        request: dict[str, Any] = {
            "id": request_id,
            "order": {
                "number": f"BDC-{index + 1:06d}",
                "signed_on": signed,
                "signatory": "Directeur ou directrice (fictif)",
            },
            "client": client,
            "sites": sites,
            "prestation": {"ht_cents": ht, "ttc_cents": ttc_from_ht(ht, vat[signed])},
        }
        if kind is DepositKind.BALANCE:
            request["advance"] = {
                "request_id": f"A{index + 1:06d}",
                "advance_ht_cents": ht,
                "advance_ttc_cents": ttc_from_ht(ht, vat[signed]),
            }
            attachments.append(attach(AttachmentType.INVOICE, f"{request_id}/facture.pdf"))
            wanted = {
                (c.flow, c.route): c
                for answers in answers_list
                for c in applicable_balance_conditions(filing_view, answers)
            }
            for (flow, route), condition in wanted.items():
                piece_type = AttachmentType(condition.evidence.value.lower())
                name = f"{request_id}/{condition.evidence.value.lower()}-{flow}-{route}.pdf"
                attachments.append(attach(piece_type, name))
                evidence.append(
                    {"flow": flow, "route": route, "piece": condition.evidence, "file": name}
                )
            for requirement in filing_view.balance_requirements:
                attachments.append(
                    attach(
                        AttachmentType.OTHER, f"{request_id}/{requirement.id}.pdf", requirement.id
                    )
                )
        else:
            if kind is DepositKind.AMENDMENT:
                request["advance"] = {"request_id": f"A{index + 1:06d}"}
            attachments.append(attach(AttachmentType.ORDER, f"{request_id}/bon-de-commande.pdf"))
        indicators = {i.id: i.values[0] for i in filing_view.indicators if kind.value in i.kinds}
        if indicators:
            request["indicators"] = indicators
        request["evidence"] = evidence
        request["attachments"] = attachments
        requests.append(DepositRequest.model_validate(request, by_name=True, by_alias=False))
    deposit = DepositFile.model_validate(
        {
            "format_version": FORMAT_VERSION,
            "couloir": dispositif.identity.deposit_family,
            "kind": kind,
            "created_at": created_at,
            "vendor": {"siret": synthetic_siret(), "enrolment_number": "ENR-000001"},
            "solution": {"referencing_number": "REF-000001", "technical_version": "1.0"},
            "dispositif": dispositif.code,
            "requests": requests,
        },
        by_name=True,
        by_alias=False,
    )
    return Specimen(deposit, documents)
