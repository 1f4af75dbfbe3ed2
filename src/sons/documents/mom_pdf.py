"""The MOM (mise en ordre de marche): the vendor's declaration that flows work in production.

Per site and per flow and route of the installed scenario: the balance condition's exact
wording from the referential, the count of transmissions achieved and the period counted.
The counts come in as `FlowEvidence` values, computed elsewhere from the transmissions log.
"""

from __future__ import annotations

from collections.abc import Sequence

from sons.documents.context import DocumentContext
from sons.documents.layout import (
    Signatory,
    SonsPdf,
    count_text,
    flow_route_label,
    french_date,
    order_identity,
    period_text,
    scenario_table,
    site_heading,
    sites_in_order,
    threshold_text,
    yes_no_unknown,
)
from sons.domain.evidence import FlowEvidence
from sons.domain.orders import SiteScenario
from sons.referential.model import Evidence
from sons.referential.scenario import applicable_balance_conditions, check_answers

TITLE = "Mise en ordre de marche (MOM) — déclaration du fournisseur"

# No official MOM template is public in sons' sources: this declaration is sons' wording.
DECLARATION = (
    "Le fournisseur {vendor} déclare que les flux listés ci-dessus fonctionnent en production "
    "sur les sites indiqués, avec la version {version} de la solution {solution}, selon le "
    "scénario d'installation effectivement installé décrit dans ce document, et que les "
    "envois comptés proviennent des journaux de transmission de la solution sur les périodes "
    "indiquées."
)
DECLARATION_NOTE = (
    "Texte de déclaration proposé par sons : aucun modèle officiel de MOM n'est renseigné dans "
    "sons."
)


def render_mom(
    context: DocumentContext,
    installed: Sequence[SiteScenario],
    evidence: Sequence[FlowEvidence],
) -> bytes:
    """The vendor's MOM for `context.order`: `installed` is the scenario actually installed
    per site, `evidence` the counts per site, flow and route."""
    view = context.view
    pdf = SonsPdf(TITLE, context, landscape=True)
    pdf.title_block(
        TITLE,
        f"Commande n° {context.order.number} du {french_date(context.order.signed_on)} — "
        f"dispositif {view.code}",
    )
    pdf.section("Parties, solution et dispositif")
    order_identity(pdf)

    pdf.section(f"Scénario d'installation effectivement installé ({len(installed)} site(s))")
    scenario_table(pdf, installed)

    pdf.section("Flux mis en ordre de marche, par site")
    scenarios = {s.finess_et: s for s in installed}
    for finess in sites_in_order(context, [e.site for e in evidence], installed):
        counted = [e for e in evidence if e.site == finess]
        expected = []
        if finess in scenarios:
            answers, _ = check_answers(view, scenarios[finess].answers)
            expected = [
                c
                for c in applicable_balance_conditions(view, answers)
                if c.evidence is Evidence.MOM
                and not any((e.flow, e.route) == (c.flow, c.route) for e in counted)
            ]
        if not counted and not expected:
            continue
        pdf.subsection(site_heading(context, finess))
        rows = [
            [
                flow_route_label(e.flow, e.route),
                e.condition_label,
                yes_no_unknown(e.ins_qualified_required),
                threshold_text(e.threshold),
                count_text(e),
                period_text(e),
            ]
            for e in counted
        ]
        rows += [
            [
                flow_route_label(c.flow, c.route),
                c.condition,
                yes_no_unknown(c.ins_qualified),
                threshold_text(c.threshold),
                "aucun décompte fourni",
                "—",
            ]
            for c in expected
        ]
        width = pdf.epw
        pdf.data_table(
            [
                "Flux et voie",
                "Condition de versement du solde (référentiel)",
                "INS qualifiée exigée",
                "Seuil",
                "Envois comptés",
                "Période",
            ],
            rows,
            [width * f for f in (0.15, 0.37, 0.1, 0.07, 0.14, 0.17)],
            right_aligned=frozenset({3}),
        )

    pdf.signing_section(
        "Déclaration du fournisseur",
        [
            Signatory(
                f"Pour le fournisseur : {context.vendor.name}",
                (("Nom du signataire", None), ("Fonction", None), ("Date", None)),
            )
        ],
        text=DECLARATION.format(
            vendor=context.vendor.name,
            version=context.solution.version,
            solution=context.solution.name,
        ),
        note=DECLARATION_NOTE,
    )
    return pdf.finish()
