"""The paid balances of the store, as the controls read them (`sons operator controls` without
`--balances`).

Every funding request of kind « solde » in status « Décidée et payée », whatever its vendor (the
payment operator controls what was filed with it), becomes one row of the documented balances
format (docs/controles-a-posteriori.md), so that the store and a file go through the same
checks and the same SQL:

- the vendor's SIRET and name, the dispositif, the order's signature date;
- the client: its FINESS EJ and the legal status the directory gives it (public: the ES-PMSI is
  the EJ; private: each site); a professional's practice (RPPS) is controlled on its sites;
- the sites: those the request names, else the order's sites with a FINESS ET;
- the flows installed: those the installed scenario declares (`sons evidence install`), else
  the ordered one, site by site, with their route, read through the referential in force at
  the order's date; in the operator's own store, where requests come from the vendors'
  deposits and the orders are not stored, the scenario each site of the balance request
  declares in its deposit file (installed, for a balance), and its ES-PMSI when given;
- the installation date: the earliest accepted MOM (its recording) or VA (its signature, else
  its recording) of the order — the statistics count from that month; without one, the date of
  the balance's first payment;
- the amount: the payments recorded for the balance, else the amount requested TTC.

A balance whose sites have no FINESS ET cannot be controlled on FINESS statistics, nor one
with neither an accepted MOM/VA nor a payment recorded (no date to count from): it is left out,
and said so (`PaidBalances.left_out`, a warning of the run), rather than stopping the controls
of every other balance.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sons.domain.orders import ClientKind, LegalStatus
from sons.domain.workflow import RequestKind, Status
from sons.formats.deposit.mapping import file_name
from sons.referential.loader import Referential, ReferentialError
from sons.referential.model import Evidence, Route
from sons.referential.scenario import declared_flows
from sons.services.actors import reading
from sons.store.bulk import IN_CHUNK, chunked
from sons.store.evidence import ACCEPTED, EvidencePieceRow, InstalledScenarioRow
from sons.store.instruction import PaymentRow
from sons.store.requests import JSON_ROLE, DepositFileRow, FundingRequestRow
from sons.store.tables import LegalEntityRow, OrderSiteRow, PurchaseOrderRow, VendorRow

# How a route is written in the `flux_installes` cell (the balances file's own spelling).
_ROUTE_TEXT: dict[Route, str] = {Route.DIRECT: "direct", Route.THIRD_PARTY: "tiers"}
_STATUS_TEXT: dict[str, str] = {
    LegalStatus.PUBLIC.value: "public",
    LegalStatus.PRIVATE.value: "privé",
}


@dataclass(frozen=True)
class PaidBalances:
    """Rows in the balances format (column → cell text) and the balances left out, with why."""

    rows: tuple[Mapping[str, str], ...]
    left_out: tuple[tuple[str, str], ...] = field(default=())

    @property
    def label(self) -> str:
        return "soldes payés de la base sons"


def paid_balances(engine: Engine, referential: Referential) -> PaidBalances:
    """Every paid balance of the store (all vendors), in the documented balances format."""
    with reading(engine) as uow:
        session = uow.session
        requests = session.execute(
            sa.select(
                FundingRequestRow.id,
                FundingRequestRow.deposit_id,
                FundingRequestRow.request_ref,
                FundingRequestRow.dispositif,
                FundingRequestRow.order_id,
                FundingRequestRow.order_signed_on,
                FundingRequestRow.client_kind,
                FundingRequestRow.client_id,
                FundingRequestRow.sites,
                FundingRequestRow.amount_ttc_cents,
                VendorRow.siret,
                VendorRow.name,
            )
            .join(VendorRow, VendorRow.id == FundingRequestRow.vendor_id)
            .where(
                FundingRequestRow.kind == RequestKind.BALANCE.value,
                FundingRequestRow.status == Status.PAID.value,
            )
            .order_by(VendorRow.siret, FundingRequestRow.request_ref, FundingRequestRow.id)
        ).all()
        order_ids = {r.order_id for r in requests if r.order_id is not None}
        sites = _sites(session, order_ids)
        installed = _installed(session, order_ids)
        installed_on = _installation_dates(session, order_ids)
        orders = _orders(session, order_ids)
        payments = _payments(session, [r.id for r in requests])
        filed = _deposit_requests(
            session, {r.deposit_id for r in requests if not sites.get(r.order_id)}
        )
        statuses = _legal_statuses(
            session,
            {r.client_id for r in requests if r.client_kind == ClientKind.LEGAL_ENTITY.value},
        )
    rows: list[dict[str, str]] = []
    left_out: list[tuple[str, str]] = []
    for request in requests:
        order_sites = sites.get(request.order_id, [])
        es_pmsi = ""
        if not order_sites:
            # The operator's store: the sites and scenarios the deposit file declares.
            declared = filed.get((request.deposit_id, request.request_ref), {})
            order_sites = declared.get("sites", [])
            es_pmsi = declared.get("es_pmsi", "")
        named = [str(s) for s in request.sites or () if s]
        site_numbers = named or [s.finess_et for s in order_sites if s.finess_et]
        if not site_numbers:
            left_out.append(
                (request.request_ref, "aucun site avec un FINESS ET : pas de statistiques FINESS")
            )
            continue
        paid = payments.get(request.id, [])
        installed_day = installed_on.get(request.order_id)
        paid_day = min((p[0] for p in paid), default=None)
        if installed_day is None and paid_day is None:
            left_out.append(
                (
                    request.request_ref,
                    "ni MOM ou VA acceptée ni paiement enregistré : aucune date à partir de "
                    "laquelle compter les statistiques",
                )
            )
            continue
        ordered_on = orders.get(request.order_id, request.order_signed_on)
        flows = _flows(referential, request.dispositif, ordered_on, order_sites, installed)
        amount = sum(p[1] for p in paid) if paid else request.amount_ttc_cents
        legal_entity = request.client_kind == ClientKind.LEGAL_ENTITY.value
        status = statuses.get(request.client_id) if legal_entity else LegalStatus.PRIVATE.value
        rows.append(
            {
                "demande": request.request_ref,
                "siret_fournisseur": request.siret,
                "fournisseur": request.name,
                "dispositif": request.dispositif,
                "finess_ej": request.client_id if legal_entity else "",
                "statut_juridique": _STATUS_TEXT.get(status or "", ""),
                "es_pmsi": es_pmsi,
                "sites_et": "|".join(site_numbers),
                "flux_installes": "|".join(flows),
                "date_commande": ordered_on.isoformat(),
                "date_installation": _iso(installed_day),
                "date_paiement": _iso(paid_day),
                "montant_solde": "" if amount is None else _amount_text(amount),
            }
        )
    return PaidBalances(tuple(rows), tuple(left_out))


def _iso(value: dt.date | None) -> str:
    return "" if value is None else value.isoformat()


def _amount_text(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"  # « 1234,50 », as the balances format reads


def _flows(
    referential: Referential,
    dispositif: str,
    on: dt.date,
    order_sites: Sequence[Any],
    installed: Mapping[int, Mapping[str, Any]],
) -> list[str]:
    """« dmp:direct » items the sites' scenarios declare (installed, else ordered), deduplicated."""
    try:
        view = referential.at(dispositif, on)
    except (LookupError, ReferentialError):
        return []  # the checks then say the dispositif or its rules are unknown
    found: list[str] = []
    for site in order_sites:
        answers = installed.get(site.id, site.ordered_answers) or {}
        for item in declared_flows(view, answers):
            text = f"{item.flow.value}:{_ROUTE_TEXT[item.route]}"
            if text not in found:
                found.append(text)
    return found


@dataclass(frozen=True, slots=True)
class _DeclaredSite:
    """A site as a deposit file declares it (the shape `_flows` reads)."""

    id: int
    finess_et: str | None
    ordered_answers: Mapping[str, Any]


def _deposit_requests(session: Any, deposit_ids: set[int]) -> dict[tuple[int, str], Any]:
    """(deposit, request id) → {"sites": [_DeclaredSite…], "es_pmsi": text}, from the JSON
    files the deposits were received with (read as data: the intake checked them)."""
    found: dict[tuple[int, str], Any] = {}
    for chunk in _in_chunks(deposit_ids):
        for row in session.execute(
            sa.select(DepositFileRow.deposit_id, DepositFileRow.content).where(
                DepositFileRow.deposit_id.in_(chunk), DepositFileRow.role == JSON_ROLE
            )
        ):
            try:
                document = json.loads(bytes(row.content))
            except (ValueError, UnicodeDecodeError):
                continue  # unreadable: the balance is then left out for want of sites
            for item in _items(document, "requests"):
                client = item.get(file_name("client")) or {}
                declared = [
                    _DeclaredSite(
                        -1,
                        site.get(file_name("finess_et")),
                        site.get(file_name("scenario")) or {},
                    )
                    for site in _items(item, "sites")
                ]
                key = (row.deposit_id, str(item.get(file_name("id"), "")))
                found[key] = {
                    "sites": declared,
                    "es_pmsi": str(client.get(file_name("es_pmsi")) or "")
                    if isinstance(client, dict)
                    else "",
                }
    return found


def _items(document: Any, attribute: str) -> list[dict[str, Any]]:
    value = document.get(file_name(attribute)) if isinstance(document, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _in_chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    return chunked(sorted(set(ids)), IN_CHUNK)


def _sites(session: Any, order_ids: set[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = defaultdict(list)
    for chunk in _in_chunks(order_ids):
        for row in session.execute(
            sa.select(
                OrderSiteRow.id,
                OrderSiteRow.order_id,
                OrderSiteRow.finess_et,
                OrderSiteRow.ordered_answers,
            )
            .where(OrderSiteRow.order_id.in_(chunk))
            .order_by(OrderSiteRow.order_id, OrderSiteRow.position)
        ):
            found[row.order_id].append(row)
    return found


def _installed(session: Any, order_ids: set[int]) -> dict[int, Mapping[str, Any]]:
    found: dict[int, Mapping[str, Any]] = {}
    for chunk in _in_chunks(order_ids):
        for row in session.execute(
            sa.select(InstalledScenarioRow.order_site_id, InstalledScenarioRow.answers).where(
                InstalledScenarioRow.order_id.in_(chunk)
            )
        ):
            found[row.order_site_id] = row.answers
    return found


def _installation_dates(session: Any, order_ids: set[int]) -> dict[int, dt.date]:
    """Order → the date of its earliest accepted MOM or VA."""
    found: dict[int, dt.date] = {}
    for chunk in _in_chunks(order_ids):
        for row in session.execute(
            sa.select(
                EvidencePieceRow.order_id,
                EvidencePieceRow.kind,
                EvidencePieceRow.recorded_at,
                EvidencePieceRow.signed_at,
            ).where(EvidencePieceRow.order_id.in_(chunk), EvidencePieceRow.status == ACCEPTED)
        ):
            moment = row.signed_at if row.kind == Evidence.VA.value and row.signed_at else None
            day = (moment or row.recorded_at).date()
            if row.order_id not in found or day < found[row.order_id]:
                found[row.order_id] = day
    return found


def _orders(session: Any, order_ids: set[int]) -> dict[int, dt.date]:
    found: dict[int, dt.date] = {}
    for chunk in _in_chunks(order_ids):
        for row in session.execute(
            sa.select(PurchaseOrderRow.id, PurchaseOrderRow.signed_on).where(
                PurchaseOrderRow.id.in_(chunk)
            )
        ):
            found[row.id] = row.signed_on
    return found


def _payments(session: Any, request_ids: Sequence[int]) -> dict[int, list[tuple[dt.date, int]]]:
    found: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for chunk in _in_chunks(request_ids):
        for row in session.execute(
            sa.select(PaymentRow.request_id, PaymentRow.paid_on, PaymentRow.amount_cents).where(
                PaymentRow.request_id.in_(chunk)
            )
        ):
            found[row.request_id].append((row.paid_on, int(row.amount_cents)))
    return found


def _legal_statuses(session: Any, ejs: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in chunked(sorted(ejs), IN_CHUNK):
        for row in session.execute(
            sa.select(LegalEntityRow.finess_ej, LegalEntityRow.status).where(
                LegalEntityRow.finess_ej.in_(chunk)
            )
        ):
            found[row.finess_ej] = row.status
    return found
