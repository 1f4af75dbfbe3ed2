"""The VA (vérification d'aptitude): the end client's signed acceptance.

It shows the scenario actually installed per site, the interfaces this scenario validates in
production — the seed's reading of the HOP-DPI questionnaire: « Ces mentions permettent de
vérifier en VA quelles sont les interfaces validées en production » — and the balance
conditions whose evidence is the client's VA, in the referential's exact wording.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sons.documents.context import DocumentContext
from sons.documents.layout import (
    Signatory,
    SonsPdf,
    flow_route_label,
    french_date,
    order_identity,
    scenario_table,
    site_heading,
    sites_in_order,
    threshold_text,
    wants_landscape,
    yes_no_unknown,
)
from sons.domain.orders import SiteScenario
from sons.referential.conditions import answer_label, describe
from sons.referential.loader import DispositifAtDate
from sons.referential.model import AnswerValue, BalanceCondition, Equals, Evidence, Flow, Route
from sons.referential.scenario import applicable_balance_conditions, check_answers

TITLE = "Vérification d'aptitude (VA) — validation par le client final"

# No official VA template is public in sons' sources: this declaration is sons' wording.
DECLARATION = (
    "Le client final {client} atteste avoir vérifié en production, sur les sites indiqués, "
    "les interfaces listées ci-dessus, installées par le fournisseur {vendor} avec la version "
    "{version} de la solution {solution}, selon le scénario d'installation décrit dans ce "
    "document."
)
DECLARATION_NOTE = (
    "Texte d'attestation proposé par sons : aucun modèle officiel de VA n'est renseigné dans sons."
)


def validated_interfaces(
    view: DispositifAtDate, answers: Mapping[str, AnswerValue]
) -> list[tuple[Flow, Route, str]]:
    """(flow, route, because) for each interface the installed scenario puts in production.

    A question declaring a flow and answered Oui names one; so does each balance condition the
    answers trigger (the HOP-DPI questions declare no flow: their Oui or Non tells whether the
    DPI or an independent PFI carries each sending interface).
    """
    numbers = {q.id: n for n, q in enumerate(view.questions, start=1)}
    found: dict[tuple[Flow, Route], str] = {}
    for question in view.questions:
        if question.declares is not None and answers.get(question.id) is True:
            found.setdefault(
                (question.declares.flow, question.declares.route),
                f"selon la réponse Q{numbers[question.id]} « {question.label} » : Oui",
            )
    for condition in applicable_balance_conditions(view, answers):
        found.setdefault((condition.flow, condition.route), _because(condition, numbers, view))
    return [(flow, route, because) for (flow, route), because in found.items()]


def _because(
    condition: BalanceCondition, numbers: Mapping[str, int], view: DispositifAtDate
) -> str:
    when = condition.applies_when
    questions = view.questions_by_id
    if when is None:
        return "exigée par le référentiel pour tout scénario"
    if isinstance(when, Equals) and when.question in questions:
        question = questions[when.question]
        return (
            f"selon la réponse Q{numbers[question.id]} « {question.label} » : "
            f"{answer_label(question, when.value)}"
        )
    return f"selon la condition {describe(when, questions)}"


def render_va(context: DocumentContext, installed: Sequence[SiteScenario]) -> bytes:
    """The client's VA for `context.order`; `installed` is the scenario actually installed."""
    view = context.view
    pdf = SonsPdf(TITLE, context, landscape=wants_landscape(view))
    pdf.title_block(
        TITLE,
        f"Commande n° {context.order.number} du {french_date(context.order.signed_on)} — "
        f"dispositif {view.code}",
    )
    pdf.section("Parties, solution et dispositif")
    order_identity(pdf)

    pdf.section(f"Scénario d'installation effectivement installé ({len(installed)} site(s))")
    scenario_table(pdf, installed)

    pdf.section("Interfaces validées en production et conditions attestées par la VA")
    scenarios = {s.finess_et: s for s in installed}
    for finess in sites_in_order(context, (), installed):
        if finess not in scenarios:
            continue
        answers, _ = check_answers(view, scenarios[finess].answers)
        pdf.subsection(site_heading(context, finess))
        interfaces = validated_interfaces(view, answers)
        if not interfaces:
            pdf.paragraph("Aucune interface d'envoi déclarée par le scénario installé.")
        for flow, route, because in interfaces:
            pdf.paragraph(
                f"Interface validée en production : {flow_route_label(flow, route)} ({because})",
                size=9.5,
            )
        by_va = [
            c for c in applicable_balance_conditions(view, answers) if c.evidence is Evidence.VA
        ]
        if not by_va:
            pdf.note("Aucune condition de versement du solde n'exige de VA pour ce site.")
            continue
        width = pdf.epw
        pdf.data_table(
            [
                "Flux et voie",
                "Condition de versement du solde (référentiel)",
                "INS qualifiée exigée",
                "Seuil",
                "Pièce",
            ],
            [
                [
                    flow_route_label(c.flow, c.route),
                    c.condition,
                    yes_no_unknown(c.ins_qualified),
                    threshold_text(c.threshold),
                    c.evidence_label,
                ]
                for c in by_va
            ],
            [width * f for f in (0.18, 0.47, 0.11, 0.09, 0.15)],
            right_aligned=frozenset({3}),
        )

    pdf.signing_section(
        "Attestation du client final",
        [
            Signatory(
                f"Pour le client final : {context.client_name}",
                (("Nom du signataire", None), ("Fonction", None), ("Date", None)),
            )
        ],
        text=DECLARATION.format(
            client=context.client_name,
            vendor=context.vendor.name,
            version=context.solution.version,
            solution=context.solution.name,
        ),
        note=DECLARATION_NOTE,
    )
    return pdf.finish()
