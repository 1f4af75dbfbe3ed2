"""The bon de commande (purchase order) as a PDF for the client and the vendor to sign.

It carries what the public rules ask of an order (PRIMER §2): vendor, client, solution and
version, dispositif, the sites table « FINESS | question 1 | question 2 | … » with the ordered
answers, the order lines split between the six funded dimensions and the items the Prestation
does not fund, the Prestation Ségur HT and TTC, the « sous condition de référencement » mention
when it applies, and the signature blocks.
"""

from __future__ import annotations

from sons.documents.context import DocumentContext
from sons.documents.layout import (
    Signatory,
    SonsPdf,
    french_date,
    order_identity,
    scenario_table,
    wants_landscape,
)
from sons.domain.money import format_euros
from sons.domain.orders import (
    FUNDED_DIMENSION_LABELS,
    NOT_FUNDED_LABELS,
    FundedDimension,
    NotFunded,
    OrderLine,
)

TITLE = "Bon de commande — Prestation Ségur"

# The AF asks for its own wording of this mention, and that wording is not public in sons'
# sources: this is sons' wording, shown as such. Formulation exacte de l'AF : non renseignée.
REFERENCING_CONDITION_MENTION = (
    "Commande passée sous condition de référencement de la solution {solution} (version "
    "{version}) pour le dispositif {dispositif}."
)
REFERENCING_CONDITION_NOTE = (
    "Formulation proposée par sons. Formulation exacte de l'AF : non renseignée dans sons — "
    "la remplacer par la mention prévue par l'appel à financement avant signature."
)


def render_order(context: DocumentContext) -> bytes:
    """The purchase order of `context.order`, as PDF bytes."""
    order = context.order
    pdf = SonsPdf(TITLE, context, landscape=wants_landscape(context.view))
    pdf.title_block(
        TITLE,
        f"Commande n° {order.number} du {french_date(order.signed_on)} — "
        f"dispositif {context.view.code}",
    )
    pdf.section("Parties, solution et dispositif")
    order_identity(pdf)
    if order.under_referencing_condition:
        pdf.section("Mention « sous condition de référencement »")
        pdf.boxed(
            REFERENCING_CONDITION_MENTION.format(
                solution=context.solution.name,
                version=context.solution.version,
                dispositif=context.view.code,
            )
        )
        pdf.note(REFERENCING_CONDITION_NOTE)

    pdf.section(f"Scénario d'installation commandé ({len(order.sites)} site(s))")
    scenario_table(pdf, order.sites)

    pdf.section("Contenu de la commande")
    _funded_lines(pdf, order.lines)
    _not_funded_lines(pdf, order.lines)

    pdf.section("Montant de la Prestation Ségur")
    pdf.fields(
        [
            ("Prestation Ségur HT", format_euros(order.prestation_ht_cents)),
            ("Prestation Ségur TTC", format_euros(order.prestation_ttc_cents)),
        ]
    )

    pdf.signing_section(
        "Signatures",
        [
            Signatory(
                f"Pour le client : {context.client_name}",
                (
                    ("Nom du signataire", order.signatory),
                    ("Date", french_date(order.signed_on)),
                ),
            ),
            Signatory(
                f"Pour le fournisseur : {context.vendor.name}",
                (("Nom du signataire", None), ("Date", None)),
            ),
        ],
    )
    return pdf.finish()


def _funded_lines(pdf: SonsPdf, lines: tuple[OrderLine, ...]) -> None:
    pdf.subsection("Dimensions financées par la Prestation Ségur")
    rows: list[list[str]] = []
    for dimension in FundedDimension:
        mine = [line for line in lines if line.dimension is dimension]
        label = FUNDED_DIMENSION_LABELS[dimension]
        if not mine:
            rows.append([label, "aucun élément commandé", "—"])
        for index, line in enumerate(mine):
            rows.append(
                [label if index == 0 else "", line.label, format_euros(line.amount_ht_cents)]
            )
    total = sum(line.amount_ht_cents for line in lines if line.funded)
    rows.append(["Total des dimensions financées", "", format_euros(total)])
    width = pdf.epw
    pdf.data_table(
        ["Dimension financée", "Élément commandé", "Montant HT"],
        rows,
        [width * 0.38, width * 0.44, width * 0.18],
        bold_rows=frozenset({len(rows) - 1}),
        right_aligned=frozenset({2}),
    )


def _not_funded_lines(pdf: SonsPdf, lines: tuple[OrderLine, ...]) -> None:
    pdf.subsection("Éléments non financés par la Prestation Ségur")
    mine = [line for line in lines if not line.funded]
    if not mine:
        pdf.paragraph("Aucun élément hors Prestation Ségur dans cette commande.")
        return
    rows = [
        [
            NOT_FUNDED_LABELS[line.not_funded or NotFunded.OTHER],
            line.label
            + (" (facturé au titre de la Prestation Ségur)" if line.billed_as_segur else ""),
            format_euros(line.amount_ht_cents),
        ]
        for line in mine
    ]
    total = sum(line.amount_ht_cents for line in mine)
    rows.append(["Total hors Prestation Ségur", "", format_euros(total)])
    width = pdf.epw
    pdf.data_table(
        ["Catégorie non financée", "Élément commandé", "Montant HT"],
        rows,
        [width * 0.38, width * 0.44, width * 0.18],
        bold_rows=frozenset({len(rows) - 1}),
        right_aligned=frozenset({2}),
    )
