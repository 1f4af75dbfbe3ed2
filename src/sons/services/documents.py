"""The PDF documents of an order, built from the store: bon de commande, MOM, VA, récapitulatif
de solde.

The documents themselves are pure (`sons.documents`); this use case gathers what they show —
the order, the vendor, the solution, the client's and sites' names from the directory, the
scenario installed per site (the ordered one where none is declared) and, for the MOM and the
balance summary, the counts and pieces that `readiness` computes — and renders the bytes.
Writing them to disk is the caller's (`sons.documents.layout.write_pdf`, atomic).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from sqlalchemy.engine import Engine

from sons.documents.context import NOT_PROVIDED, DocumentContext
from sons.domain.orders import ClientKind, SiteScenario
from sons.referential.loader import Referential, default_referential
from sons.referential.model import Evidence
from sons.services.actors import reading
from sons.services.evidence import EvidenceRequestError, readiness
from sons.store.errors import NotFoundError
from sons.store.evidence import EvidenceRepository
from sons.store.unit_of_work import Clock, system_clock


class DocumentKind(StrEnum):
    ORDER = "order"
    MOM = "mom"
    VA = "va"
    BALANCE_SUMMARY = "balance-summary"


DOCUMENT_LABELS = {
    DocumentKind.ORDER: "bon de commande",
    DocumentKind.MOM: "MOM",
    DocumentKind.VA: "VA",
    DocumentKind.BALANCE_SUMMARY: "récapitulatif de solde",
}


def build_document(
    engine: Engine,
    kind: DocumentKind,
    *,
    vendor_id: int,
    number: str,
    clock: Clock = system_clock,
    logo: Path | None = None,
    referential: Referential | None = None,
) -> bytes:
    """The PDF of `kind` for order `number`; `clock` gives its creation date (and the end of
    the counting period of the MOM and balance summary)."""
    referential = referential or default_referential()
    created = clock()
    with reading(engine) as uow:
        stored = uow.orders.get(vendor_id, number)
        if stored is None:
            # Not found, like another vendor's order: the API answers 404, never its data.
            raise NotFoundError(f"Le bon de commande {number} n'existe pas pour cet éditeur.")
        order = stored.order
        vendor = uow.vendors.get(vendor_id)
        solution = uow.solutions.get(vendor_id, order.solution_referencing_number)
        if vendor is None or solution is None:
            raise EvidenceRequestError(f"Bon de commande {number} : éditeur ou solution absents.")
        if order.client_kind is ClientKind.LEGAL_ENTITY:
            entity = uow.directory.legal_entity(order.client_id)
            client_name = entity.name if entity else NOT_PROVIDED
        else:
            professional = uow.directory.professional(order.client_id)
            client_name = professional.name if professional else NOT_PROVIDED
        finess = [s.finess_et for s in order.sites if s.finess_et]
        sites = uow.directory.sites(finess)
        repository = EvidenceRepository(uow.session, uow.journal, uow.now)
        refs = repository.order_sites(vendor_id, [stored.id]).get(stored.id, [])
        declared = repository.installed(vendor_id, [stored.id])
    installed = [
        SiteScenario(
            ref.finess_et,
            declared[ref.id].answers if ref.id in declared else ref.ordered_answers,
        )
        for ref in refs
    ]
    context = DocumentContext(
        order=order,
        vendor=vendor,
        solution=solution,
        client_name=client_name,
        view=referential.at(order.dispositif, order.signed_on),
        creation_date=created,
        sites=tuple(sites[f] for f in finess if f in sites),
        logo=logo,
    )
    # The PDF engine loads only when a document is printed (see sons.documents.context).
    from sons.documents.balance_summary_pdf import render_balance_summary
    from sons.documents.mom_pdf import render_mom
    from sons.documents.order_pdf import render_order
    from sons.documents.va_pdf import render_va

    if kind is DocumentKind.ORDER:
        return render_order(context)
    if kind is DocumentKind.VA:
        return render_va(context, installed)
    report = readiness(
        engine, vendor_id=vendor_id, numbers=[number], clock=clock, referential=referential
    )
    statuses = report.orders[0].statuses
    if kind is DocumentKind.MOM:
        counts = [s.counts for s in statuses if s.evidence is Evidence.MOM]
        return render_mom(context, installed, counts)
    return render_balance_summary(context, statuses)
