"""The récapitulatif de solde: where an order stands against its balance conditions.

For each site, each applicable balance condition (flow, route, exact wording, threshold or
« non renseigné »), the transmissions counted, whether the piece it needs (MOM or VA) is
there, and the verdict; then the order's verdict. For the vendor, before filing the balance.
"""

from __future__ import annotations

from collections.abc import Sequence

from sons.documents.context import DocumentContext
from sons.documents.layout import (
    SonsPdf,
    count_text,
    flow_route_label,
    french_date,
    order_identity,
    period_text,
    site_heading,
    sites_in_order,
    threshold_text,
)
from sons.domain.evidence import ConditionStatus, condition_verdict, order_verdict

TITLE = "Récapitulatif de solde"


def piece_text(status: ConditionStatus) -> str:
    state = "présente" if status.evidence_present else "manquante"
    return f"{status.evidence.value} {state}"


def render_balance_summary(context: DocumentContext, statuses: Sequence[ConditionStatus]) -> bytes:
    """The balance summary of `context.order` from the status of each applicable condition."""
    order, view = context.order, context.view
    pdf = SonsPdf(TITLE, context, landscape=True)
    pdf.title_block(
        TITLE,
        f"Commande n° {order.number} du {french_date(order.signed_on)} — dispositif {view.code}",
    )
    pdf.section("Parties, solution et dispositif")
    order_identity(
        pdf,
        [
            (
                "Référentiel",
                f"sons {order.referential_pin}, conditions en vigueur au {french_date(view.on)}",
            )
        ],
    )
    pdf.boxed(f"Verdict de la commande : {order_verdict(statuses).text}")

    pdf.section("Conditions de versement du solde, par site")
    for finess in sites_in_order(context, [s.counts.site for s in statuses]):
        mine = [s for s in statuses if s.counts.site == finess]
        pdf.subsection(site_heading(context, finess))
        if not mine:
            pdf.paragraph("Aucune condition de versement du solde fournie pour ce site.")
            continue
        width = pdf.epw
        pdf.data_table(
            [
                "Flux et voie",
                "Condition de versement du solde (référentiel)",
                "Seuil",
                "Envois comptés",
                "Pièce",
                "Verdict",
            ],
            [
                [
                    flow_route_label(s.counts.flow, s.counts.route),
                    s.counts.condition_label,
                    threshold_text(s.counts.threshold),
                    f"{count_text(s.counts)}, {period_text(s.counts)}",
                    piece_text(s),
                    condition_verdict(s).text,
                ]
                for s in mine
            ],
            [width * f for f in (0.14, 0.33, 0.08, 0.17, 0.1, 0.18)],
            right_aligned=frozenset({2}),
        )
    pdf.note(
        "Les envois comptés sont ceux des journaux de transmission importés dans sons ; « non "
        "renseigné » signale une valeur que le référentiel ne connaît pas : sons ne la devine "
        "pas et ne peut alors pas conclure."
    )
    return pdf.finish()
