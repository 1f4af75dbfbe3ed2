"""Each site's ordered scenario, read by the referential: answers complete and well-typed,
alternatives consistent, and every profile the answers require among the profiles the
solution obtained. The findings are those of `sons.referential.scenario.explain`, placed at
`sites[i].scenario`, so they read the same as `sons referential explain`.

A RAD order carries one scenario and one RIS: all its sites must answer alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sons.domain.orders import PurchaseOrder
from sons.findings import Finding, Severity
from sons.referential.conditions import answer_label
from sons.referential.model import AnswerValue, Couloir

from .context import DispositifSnapshot, OrderContext
from .rules import PUBLIC_ORDER_FORM, Rule

_FAMILY = "scenario"

SCENARIO_ANSWER_MISSING = Rule(
    "SCENARIO_ANSWER_MISSING",
    Severity.ERROR,
    _FAMILY,
    "questionnaire",
    "Une question obligatoire du questionnaire du dispositif est sans réponse pour un site.",
)
SCENARIO_ANSWER_UNKNOWN = Rule(
    "SCENARIO_ANSWER_UNKNOWN",
    Severity.ERROR,
    _FAMILY,
    "questionnaire",
    "Réponse à une question qui n'existe pas dans le questionnaire du dispositif à cette date.",
)
SCENARIO_ANSWER_INVALID = Rule(
    "SCENARIO_ANSWER_INVALID",
    Severity.ERROR,
    _FAMILY,
    "questionnaire",
    "Réponse d'un type inattendu (Oui/Non, texte, choix, entier) ou hors des choix proposés.",
)
SCENARIO_ALTERNATIVES_CONFLICT = Rule(
    "SCENARIO_ALTERNATIVES_CONFLICT",
    Severity.ERROR,
    _FAMILY,
    "alternatives",
    "Deux voies d'un même canal (direct et via un logiciel tiers) sont toutes deux à Oui.",
)
SCENARIO_PROFILE_MISSING = Rule(
    "SCENARIO_PROFILE_MISSING",
    Severity.ERROR,
    _FAMILY,
    "profiles",
    "Un profil requis par le scénario d'un site n'est pas parmi les profils obtenus par la "
    "solution.",
)
PROFILE_UNKNOWN = Rule(
    "PROFILE_UNKNOWN",
    Severity.ERROR,
    _FAMILY,
    "profils",
    "Un profil déclaré obtenu par la solution n'existe pas pour ce dispositif.",
)
REFERENTIAL_RULE_CONFLICT = Rule(
    "REFERENTIAL_RULE_CONFLICT",
    Severity.ERROR,
    _FAMILY,
    "rules",
    "Deux exceptions d'une règle de profil s'appliquent et se contredisent : le référentiel "
    "est à corriger.",
)
ORDER_RAD_SINGLE_SCENARIO = Rule(
    "ORDER_RAD_SINGLE_SCENARIO",
    Severity.ERROR,
    _FAMILY,
    "rad_single_scenario",
    "Un bon de commande RAD porte un seul scénario et un seul RIS : ses sites répondent "
    "différemment.",
)

RULES = (
    SCENARIO_ANSWER_MISSING,
    SCENARIO_ANSWER_UNKNOWN,
    SCENARIO_ANSWER_INVALID,
    SCENARIO_ALTERNATIVES_CONFLICT,
    SCENARIO_PROFILE_MISSING,
    PROFILE_UNKNOWN,
    REFERENTIAL_RULE_CONFLICT,
    ORDER_RAD_SINGLE_SCENARIO,
)


def _single_scenario(
    order: PurchaseOrder,
    snapshot: DispositifSnapshot,
    answers: Sequence[Mapping[str, AnswerValue]],
    context: OrderContext,
) -> list[Finding]:
    view = snapshot.view
    if view.identity.couloir is not Couloir.RAD or len(answers) < 2:
        return []
    questions = view.questions_by_id
    first = answers[0]
    findings: list[Finding] = []
    for index in range(1, len(answers)):
        other = answers[index]
        differing = [q.id for q in view.questions if first.get(q.id) != other.get(q.id)]
        if not differing:
            continue
        details = " ; ".join(
            f"« {questions[qid].label} » ({qid}) : "
            f"{answer_label(questions[qid], other.get(qid))} au lieu de "
            f"{answer_label(questions[qid], first.get(qid))}"
            for qid in differing
        )
        site = order.sites[index].finess_et or f"n° {index + 1}"
        first_site = order.sites[0].finess_et or "n° 1"
        findings.append(
            ORDER_RAD_SINGLE_SCENARIO.finding(
                f"Un bon de commande {view.code} porte un seul scénario d'installation et un "
                f"seul RIS ; le site {site} ne répond pas comme le site {first_site} : "
                f"{details}. Faire un bon de commande par scénario.",
                f"sites[{index}].scenario.{differing[0]}",
                context.cite(PUBLIC_ORDER_FORM),
            )
        )
    return findings


def check(
    order: PurchaseOrder, context: OrderContext, snapshot: DispositifSnapshot | None
) -> list[Finding]:
    if snapshot is None:
        return []
    findings: list[Finding] = []
    obtained: frozenset[str] | None = None
    solution = context.solution
    # A solution of another dispositif is reported by the dates checks; its profiles mean
    # nothing here.
    if (
        solution is not None
        and solution.dispositif.strip().upper() == order.dispositif.strip().upper()
    ):
        obtained, unknown = snapshot.obtained_profiles(solution)
        findings += unknown
    answers: list[Mapping[str, AnswerValue]] = []
    for index, site in enumerate(order.sites):
        explanation = snapshot.explain(site.answers, obtained, f"sites[{index}].scenario")
        findings += explanation.findings
        answers.append(explanation.answers)
    findings += _single_scenario(order, snapshot, answers, context)
    return findings
