"""When the order was signed: not in the future, not after the dispositif's deadline, and
before the solution's referencing only with the mention and within the allowed delay; and
whether the solution it names exists and belongs to its dispositif.
"""

from __future__ import annotations

from sons.domain.orders import PurchaseOrder, Solution
from sons.findings import Finding, Severity
from sons.referential.rulebook import french_date

from .context import CommonAtDate, DispositifSnapshot, OrderContext
from .rules import (
    PUBLIC_ORDER_FORM,
    SEED_PROFILES,
    SONS_READING,
    Rule,
    cite_parameter,
    parameter_findings,
)

ORDER_SIGNED_IN_FUTURE = Rule(
    "ORDER_SIGNED_IN_FUTURE",
    Severity.ERROR,
    "dates",
    "signature_date",
    "La date de signature du bon de commande est postérieure à la date du jour.",
)
ORDER_AFTER_DEADLINE = Rule(
    "ORDER_AFTER_DEADLINE",
    Severity.ERROR,
    "dates",
    "order_deadline",
    "Bon de commande signé après la date limite de signature et de dépôt de l'avance du "
    "dispositif.",
)
ORDER_DEADLINE_UNKNOWN = Rule(
    "ORDER_DEADLINE_UNKNOWN",
    Severity.WARNING,
    "dates",
    "order_deadline",
    "Date limite de signature du dispositif non renseignée à la date de signature : non vérifiée.",
)
ORDER_SOLUTION_UNKNOWN = Rule(
    "ORDER_SOLUTION_UNKNOWN",
    Severity.ERROR,
    "dates",
    "solution",
    "La solution (numéro de référencement) nommée par le bon de commande est inconnue.",
)
ORDER_SOLUTION_DISPOSITIF_MISMATCH = Rule(
    "ORDER_SOLUTION_DISPOSITIF_MISMATCH",
    Severity.ERROR,
    "dates",
    "solution",
    "La solution est référencée pour un autre dispositif que celui du bon de commande.",
)
ORDER_REFERENCING_MENTION_MISSING = Rule(
    "ORDER_REFERENCING_MENTION_MISSING",
    Severity.ERROR,
    "dates",
    "pre_referencing",
    "Bon signé avant le référencement de la solution sans la mention « sous condition de "
    "référencement ».",
)
ORDER_TOO_EARLY_BEFORE_REFERENCING = Rule(
    "ORDER_TOO_EARLY_BEFORE_REFERENCING",
    Severity.WARNING,
    "dates",
    "pre_referencing_max_days",
    "Bon signé avant le référencement de la solution au-delà du délai maximal (paramètre "
    "pre_referencing_max_days) ; la règle compte depuis la réception du dossier complet par "
    "l'ANS, date inconnue de sons : à vérifier.",
)
ORDER_REFERENCING_DATE_UNKNOWN = Rule(
    "ORDER_REFERENCING_DATE_UNKNOWN",
    Severity.WARNING,
    "dates",
    "pre_referencing",
    "Date de référencement de la solution non renseignée : mention et délai avant "
    "référencement non vérifiés.",
)

RULES = (
    ORDER_SIGNED_IN_FUTURE,
    ORDER_AFTER_DEADLINE,
    ORDER_DEADLINE_UNKNOWN,
    ORDER_SOLUTION_UNKNOWN,
    ORDER_SOLUTION_DISPOSITIF_MISMATCH,
    ORDER_REFERENCING_MENTION_MISSING,
    ORDER_TOO_EARLY_BEFORE_REFERENCING,
    ORDER_REFERENCING_DATE_UNKNOWN,
)


def _deadline(order: PurchaseOrder, snapshot: DispositifSnapshot) -> list[Finding]:
    deadline = snapshot.order_deadline
    view = snapshot.view
    signed = french_date(order.signed_on)
    if not deadline.known:
        return [
            ORDER_DEADLINE_UNKNOWN.finding(
                f"{deadline.label} de {view.code} : non renseigné au {signed} dans le "
                f"référentiel ; sons ne la devine pas, la signature du {signed} n'a donc pas "
                "été comparée à une date limite.",
                "signed_on",
                cite_parameter(deadline, view.sources),
            )
        ]
    findings = parameter_findings((deadline,), view.sources)
    if order.signed_on > deadline.value:
        late = (order.signed_on - deadline.value).days
        findings.append(
            ORDER_AFTER_DEADLINE.finding(
                f"Bon de commande signé le {signed}, après la date limite du "
                f"{french_date(deadline.value)} ({deadline.label.lower()}, {view.code}) : "
                f"{late} jour(s) de retard.",
                "signed_on",
                cite_parameter(deadline, view.sources),
            )
        )
    return findings


def _referencing(
    order: PurchaseOrder, solution: Solution, common: CommonAtDate, context: OrderContext
) -> list[Finding]:
    sources = context.referential.sources
    named = f"« {solution.name} » (référencement n° {solution.referencing_number})"
    referenced_on = solution.referenced_on
    if referenced_on is None:
        return [
            ORDER_REFERENCING_DATE_UNKNOWN.finding(
                f"La date de référencement de la solution {named} n'est pas renseignée : sons "
                "n'a pas pu vérifier si le bon de commande est signé avant le référencement, "
                "ni, le cas échéant, la mention « sous condition de référencement » et le "
                "délai maximal.",
                "solution_referencing_number",
                context.cite(PUBLIC_ORDER_FORM),
            )
        ]
    if order.signed_on >= referenced_on:
        return []
    signed = french_date(order.signed_on)
    referenced = french_date(referenced_on)
    findings: list[Finding] = []
    if not order.under_referencing_condition:
        findings.append(
            ORDER_REFERENCING_MENTION_MISSING.finding(
                f"Bon de commande signé le {signed}, avant le référencement de la solution "
                f"{named} le {referenced}, sans la mention « sous condition de "
                "référencement » exigée dans ce cas.",
                "under_referencing_condition",
                context.cite(PUBLIC_ORDER_FORM),
            )
        )
    max_days = common.pre_referencing_max_days
    findings += parameter_findings((max_days,), sources)
    if not max_days.known:
        return findings
    gap = (referenced_on - order.signed_on).days
    if gap > max_days.value:
        findings.append(
            ORDER_TOO_EARLY_BEFORE_REFERENCING.finding(
                f"Bon de commande signé le {signed}, {gap} jours avant le référencement de la "
                f"solution {named} le {referenced}, au-delà du délai maximal de "
                f"{max_days.value} jours. La règle publique compte ce délai avant la réception "
                "du dossier complet par l'ANS, date que sons ne connaît pas (seule la date de "
                "référencement est connue) : à vérifier avec l'accusé de réception de l'ANS.",
                "signed_on",
                cite_parameter(max_days, sources),
            )
        )
    return findings


def check(
    order: PurchaseOrder,
    context: OrderContext,
    snapshot: DispositifSnapshot | None,
    common: CommonAtDate,
) -> list[Finding]:
    findings: list[Finding] = []
    if order.signed_on > context.today:
        findings.append(
            ORDER_SIGNED_IN_FUTURE.finding(
                f"Bon de commande daté du {french_date(order.signed_on)}, postérieur à la date "
                f"du jour ({french_date(context.today)}) : une commande ne peut être signée "
                "dans le futur.",
                "signed_on",
                context.cite(SONS_READING),
            )
        )
    if snapshot is not None:
        findings += _deadline(order, snapshot)
    solution = context.solution
    if solution is None:
        findings.append(
            ORDER_SOLUTION_UNKNOWN.finding(
                f"Aucune solution connue sous le numéro de référencement "
                f"« {order.solution_referencing_number} » : le bon de commande doit nommer une "
                "solution référencée Ségur enregistrée (nom, version, profils obtenus, date de "
                "référencement).",
                "solution_referencing_number",
                context.cite(SEED_PROFILES),
            )
        )
        return findings
    if solution.dispositif.strip().upper() != order.dispositif.strip().upper():
        findings.append(
            ORDER_SOLUTION_DISPOSITIF_MISMATCH.finding(
                f"La solution « {solution.name} » (référencement n° "
                f"{solution.referencing_number}) est référencée pour {solution.dispositif}, "
                f"pas pour {order.dispositif}, le dispositif du bon de commande.",
                "solution_referencing_number",
                context.cite(SEED_PROFILES),
            )
        )
    findings += _referencing(order, solution, common, context)
    return findings
