"""A small store for the deposit and workflow tests: one RIS vendor, its solution, the
directory entries of three clients, their ceilings, and three orders of RAD-RIS-Va1 — two that
pass every order check (one needs only MOMs at the balance, one a VA) and one with an error.

Shared by the integration tests and the CLI end-to-end tests (which seed a SQLite file with it,
then run `python -m sons`). Identifiers are made up, with valid keys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from fpdf import FPDF
from sqlalchemy.engine import Engine

from sons.domain.orders import (
    ClientKind,
    FundedDimension,
    LegalEntity,
    LegalStatus,
    OrderLine,
    PurchaseOrder,
    SiteScenario,
    Solution,
    Vendor,
)
from sons.domain.workflow import Audience
from sons.referential.loader import default_referential
from sons.services.requests import transition_request
from sons.store.directory import Establishment
from sons.store.eligibility import Ceiling
from sons.store.unit_of_work import UnitOfWork

CODE = "RAD-RIS-Va1"
ADVANCE_DAY = dt.date(2022, 10, 15)  # before the wave-1 advance deadline (2022-11-30)
BALANCE_DAY = dt.date(2023, 10, 1)  # before the balance deadline (2023-12-14)

VENDOR = Vendor(
    name="Éditeur Radiologie Numérique",
    siren="732829320",
    siret="73282932000074",
    enrolment_number="ASP-2022-0042",
)
SOLUTION = Solution(
    name="RIS Horizon",
    version="4.2",
    referencing_number="REF-RIS-001",
    dispositif=CODE,
    profiles=frozenset({"Général"}),
    referenced_on=dt.date(2022, 3, 1),
)
# Reports to the DMP and by MSS Pro, both directly: the balance asks for MOMs only.
DIRECT: dict[str, Any] = {
    "identity_referential": False,
    "hospital_environment": False,
    "mss_operator": "",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": True,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": False,
}
# The DMP through a PFI: the balance asks for the client's VA as well.
VIA_PFI = DIRECT | {"dmp_direct": False, "dmp_via_pfi": True}

ORDER_A = PurchaseOrder(
    number="BC-A",
    vendor_siret=VENDOR.siret,
    solution_referencing_number=SOLUTION.referencing_number,
    dispositif=CODE,
    client_kind=ClientKind.LEGAL_ENTITY,
    client_id="750000010",
    signed_on=dt.date(2022, 6, 15),
    signatory="Dr Élise Martin, directrice",
    prestation_ht_cents=1_000_000,
    prestation_ttc_cents=1_200_000,
    referential_pin=default_referential().pin,
    sites=(SiteScenario("750000028", DIRECT),),
    lines=(
        OrderLine("Licence RIS", 600_000, FundedDimension.LICENCE),
        OrderLine("Installation et paramétrage", 400_000, FundedDimension.INSTALLATION),
    ),
)
ORDER_B = dataclasses.replace(
    ORDER_A,
    number="BC-B",
    client_id="130000011",
    sites=(SiteScenario("130000029", VIA_PFI),),
    prestation_ht_cents=1_000_001,
    prestation_ttc_cents=1_200_001,
    lines=(
        OrderLine("Licence RIS", 600_001, FundedDimension.LICENCE),
        OrderLine("Installation et paramétrage", 400_000, FundedDimension.INSTALLATION),
    ),
)
# TTC inconsistent with HT at 20 %: an error of the order checks.
ORDER_ERR = dataclasses.replace(
    ORDER_A,
    number="BC-ERR",
    client_id="690000013",
    sites=(SiteScenario("690000021", DIRECT),),
    prestation_ttc_cents=1_300_000,
)
ORDERS = (ORDER_A, ORDER_B, ORDER_ERR)


def seed_filing(
    engine: Engine,
    clock: Callable[[], dt.datetime],
    orders: tuple[PurchaseOrder, ...] = ORDERS,
    vendor: Vendor = VENDOR,
) -> int:
    """The vendor's id, with its solution, the directory, the ceilings and `orders` stored."""
    with UnitOfWork(engine, "amorçage", clock) as uow:
        vendor_id = uow.vendors.save(vendor).id
        uow.solutions.save(vendor_id, SOLUTION)
        uow.directory.upsert_legal_entities(
            [
                LegalEntity("750000010", "Centre hospitalier public", LegalStatus.PUBLIC),
                LegalEntity("130000011", "Clinique privée", LegalStatus.PRIVATE),
                LegalEntity("690000013", "Hôpital de Lyon", LegalStatus.PUBLIC),
            ]
        )
        uow.directory.upsert_establishments(
            [
                Establishment("750000028", "750000010", "CH, site A"),
                Establishment("130000029", "130000011", "Clinique, site 1"),
                Establishment("690000021", "690000013", "Lyon, site principal"),
            ]
        )
        uow.eligibility.upsert(
            Ceiling(CODE, finess, 2_000_000) for finess in ("750000010", "130000029", "690000013")
        )
        for order in orders:
            uow.orders.add(vendor_id, order)
    return vendor_id


def pdf(text: str) -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def pay(engine: Engine, request_id: int, clock: Callable[[], dt.datetime]) -> None:
    """The operator instructs, validates and pays a filed request."""
    for action in ("instruire", "valider", "payer"):
        transition_request(
            engine,
            str(request_id),
            action,
            audience=Audience.OPERATOR,
            vendor_id=None,
            actor="asp:instructeur",
            clock=clock,
        )
