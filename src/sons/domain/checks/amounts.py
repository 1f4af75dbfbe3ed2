"""The Prestation Ségur amount: positive, made of funded lines only, TTC consistent with HT,
and within the client's ceiling, compared both HT and TTC to the cent.

Every amount is integer cents; the VAT rate comes from the referential (`vat_rate`) and the
ceiling from the imported eligibility base. Either unknown → a finding says so, never a guess.
"""

from __future__ import annotations

from decimal import Decimal

from sons.domain.money import format_euros
from sons.domain.orders import NOT_FUNDED_LABELS, PurchaseOrder
from sons.findings import Finding, Severity
from sons.referential.model import CEILING_STRATEGIES

from .context import CommonAtDate, DispositifSnapshot, OrderContext
from .rules import (
    PUBLIC_CEILING,
    PUBLIC_CONTROLS,
    SEED_SCOPE,
    SONS_READING,
    Rule,
    cite_parameter,
    parameter_findings,
)

AMOUNT_PRESTATION_NOT_POSITIVE = Rule(
    "AMOUNT_PRESTATION_NOT_POSITIVE",
    Severity.ERROR,
    "amounts",
    "amount_positive",
    "Le montant HT de la Prestation Ségur est nul ou négatif.",
)
AMOUNT_PRESTATION_LINES_MISMATCH = Rule(
    "AMOUNT_PRESTATION_LINES_MISMATCH",
    Severity.ERROR,
    "amounts",
    "funded_lines",
    "Le montant HT de la Prestation diffère de la somme HT des lignes financées.",
)
ORDER_LINE_NOT_FUNDED_BILLED_AS_SEGUR = Rule(
    "ORDER_LINE_NOT_FUNDED_BILLED_AS_SEGUR",
    Severity.ERROR,
    "amounts",
    "not_funded",
    "Une ligne que la Prestation ne finance pas (boîtes MSS, changement de logiciel, "
    "infrastructure…) est facturée au titre du Ségur.",
)
ORDER_LINE_UNCLASSIFIED = Rule(
    "ORDER_LINE_UNCLASSIFIED",
    Severity.ERROR,
    "amounts",
    "funded_lines",
    "Une ligne n'est classée ni dans une des six dimensions financées ni comme non financée, "
    "ou l'est dans les deux.",
)
AMOUNT_TTC_INCONSISTENT = Rule(
    "AMOUNT_TTC_INCONSISTENT",
    Severity.ERROR,
    "amounts",
    "vat_rate",
    "Le montant TTC n'est pas le montant HT majoré de la TVA, arrondi au centime.",
)
AMOUNT_ABOVE_CEILING = Rule(
    "AMOUNT_ABOVE_CEILING",
    Severity.ERROR,
    "amounts",
    "ceiling",
    "La Prestation dépasse le plafond du client (base d'éligibilité), en HT et/ou en TTC.",
)
CEILING_UNKNOWN = Rule(
    "CEILING_UNKNOWN",
    Severity.WARNING,
    "amounts",
    "ceiling",
    "Aucun plafond connu pour ce client et ce dispositif : montant non comparé au plafond.",
)

RULES = (
    AMOUNT_PRESTATION_NOT_POSITIVE,
    AMOUNT_PRESTATION_LINES_MISMATCH,
    ORDER_LINE_NOT_FUNDED_BILLED_AS_SEGUR,
    ORDER_LINE_UNCLASSIFIED,
    AMOUNT_TTC_INCONSISTENT,
    AMOUNT_ABOVE_CEILING,
    CEILING_UNKNOWN,
)


def _lines(order: PurchaseOrder, context: OrderContext) -> list[Finding]:
    findings: list[Finding] = []
    funded_total = 0
    funded_count = 0
    for index, line in enumerate(order.lines):
        path = f"lines[{index}]"
        amount = format_euros(line.amount_ht_cents)
        if (line.dimension is None) == (line.not_funded is None):
            state = "les deux à la fois" if line.dimension is not None else "aucun des deux"
            findings.append(
                ORDER_LINE_UNCLASSIFIED.finding(
                    f"Ligne « {line.label} » ({amount} HT) : classée dans {state} ; une ligne "
                    "relève soit d'une des six dimensions financées, soit d'un élément non "
                    "financé.",
                    path,
                    context.cite(SEED_SCOPE),
                )
            )
        if line.not_funded is not None and line.billed_as_segur:
            findings.append(
                ORDER_LINE_NOT_FUNDED_BILLED_AS_SEGUR.finding(
                    f"Ligne « {line.label} » ({amount} HT) : relève de « "
                    f"{NOT_FUNDED_LABELS[line.not_funded]} », que la Prestation Ségur ne "
                    "finance pas, mais elle est facturée au titre du Ségur.",
                    path,
                    context.cite(SEED_SCOPE),
                )
            )
        if line.funded:
            funded_total += line.amount_ht_cents
            funded_count += 1
    if order.lines and funded_total != order.prestation_ht_cents:
        findings.append(
            AMOUNT_PRESTATION_LINES_MISMATCH.finding(
                f"Prestation Ségur de {format_euros(order.prestation_ht_cents)} HT, mais les "
                f"{funded_count} ligne(s) financée(s) sur {len(order.lines)} totalisent "
                f"{format_euros(funded_total)} HT (écart "
                f"{format_euros(order.prestation_ht_cents - funded_total)}) : seules les "
                "lignes des six dimensions financées composent la Prestation.",
                "prestation_ht",
                context.cite(SONS_READING),
            )
        )
    return findings


def _ceiling(
    order: PurchaseOrder,
    context: OrderContext,
    snapshot: DispositifSnapshot | None,
    rate: Decimal | None,
) -> list[Finding]:
    ht, ttc = order.prestation_ht_cents, order.prestation_ttc_cents
    ceiling = context.ceiling_ht_cents
    if ceiling is None:
        how = ""
        source = context.cite(PUBLIC_CEILING)
        if snapshot is not None:
            strategy = snapshot.ceiling_strategy
            source = cite_parameter(strategy, snapshot.view.sources)
            if strategy.known:
                how = f" (mode de calcul : {CEILING_STRATEGIES[strategy.value]})"
        return [
            CEILING_UNKNOWN.finding(
                f"Plafond de la Prestation {order.dispositif} non renseigné pour le client "
                f"{order.client_id} : aucune valeur dans la base d'éligibilité importée{how}. "
                f"sons ne le devine pas : le montant de {format_euros(ht)} HT n'a pas été "
                "comparé au plafond.",
                "prestation_ht",
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
        path = "prestation_ht"
    if rate is not None:
        ceiling_ttc = context.cache.ttc(ceiling, rate)
        if ttc > ceiling_ttc:
            over.append(
                f"en TTC : {format_euros(ttc)} pour un plafond de {format_euros(ceiling_ttc)} "
                f"(dépassement de {format_euros(ttc - ceiling_ttc)})"
            )
            path = path or "prestation_ttc"
    if not over:
        return []
    return [
        AMOUNT_ABOVE_CEILING.finding(
            f"La Prestation Ségur dépasse le plafond du client {order.client_id} pour "
            f"{order.dispositif} (base d'éligibilité), comparé au centime "
            + " et ".join(over)
            + ".",
            path,
            context.cite(PUBLIC_CEILING),
        )
    ]


def check(
    order: PurchaseOrder,
    context: OrderContext,
    snapshot: DispositifSnapshot | None,
    common: CommonAtDate,
) -> list[Finding]:
    sources = context.referential.sources
    findings: list[Finding] = []
    ht, ttc = order.prestation_ht_cents, order.prestation_ttc_cents
    if ht <= 0:
        findings.append(
            AMOUNT_PRESTATION_NOT_POSITIVE.finding(
                f"Le montant de la Prestation Ségur doit être réel et strictement positif ; "
                f"reçu {format_euros(ht)} HT.",
                "prestation_ht",
                context.cite(PUBLIC_CONTROLS),
            )
        )
    findings += _lines(order, context)
    vat = common.vat_rate
    findings += parameter_findings((vat,), sources)
    rate = Decimal(str(vat.value)) if vat.known else None
    if rate is not None:
        expected = context.cache.ttc(ht, rate)
        percent = str(rate).replace(".", ",")
        if ttc != expected:
            findings.append(
                AMOUNT_TTC_INCONSISTENT.finding(
                    f"Prestation Ségur de {format_euros(ttc)} TTC, mais {format_euros(ht)} HT "
                    f"avec une TVA de {percent} % donnent {format_euros(expected)} TTC "
                    "(arrondi au centime, demi-centime vers le haut) : écart de "
                    f"{format_euros(ttc - expected)}.",
                    "prestation_ttc",
                    cite_parameter(vat, sources),
                )
            )
    findings += _ceiling(order, context, snapshot, rate)
    return findings
