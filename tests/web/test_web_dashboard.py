"""The dashboard of each role: orders, requests and amounts counted in SQL, scoped to the caller."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

from web_fixtures import OTHER_SIRET, VENDOR_SIRET, People, SettableClock, TestClient, log_in

from dashboard_fixtures import file_requests
from sons.domain.orders import ClientKind, PurchaseOrder, SiteScenario, Solution
from sons.domain.workflow import RequestKind, Status
from sons.referential.loader import default_referential
from sons.services.accounts import Accounts
from sons.services.referential import upcoming_deadlines
from sons.store.unit_of_work import UnitOfWork


def text_of(html: str) -> str:
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return text.replace("\u202f", " ").replace("\xa0", " ")


def seed(accounts: Accounts) -> None:
    """Vendor A: four orders and six requests; vendor B: one order, one incomplete request."""
    with UnitOfWork(accounts._engine, "tests") as uow:
        for siret, numbers, wanted in (
            (
                VENDOR_SIRET,
                ["A-1", "A-2", "A-3", "A-4"],
                [
                    ("A-1", RequestKind.ADVANCE, Status.PAID, 300_000),
                    ("A-1", RequestKind.BALANCE, Status.FILED, 700_000),
                    ("A-2", RequestKind.ADVANCE, Status.PAID, 150_000),
                    ("A-3", RequestKind.ADVANCE, Status.TO_AMEND, 90_000),
                    ("A-4", RequestKind.ADVANCE, Status.VALIDATED, None),
                    ("A-4", RequestKind.ADVANCE, Status.DRAFT, 10_000),
                ],
            ),
            (OTHER_SIRET, ["B-1"], [("B-1", RequestKind.ADVANCE, Status.INCOMPLETE, 40_000)]),
        ):
            vendor_id = uow.vendors.require_id(siret)
            uow.solutions.save(
                vendor_id,
                Solution("Logiciel", "1", "REF-RIS", "RAD-RIS-Va1", frozenset({"Général"})),
            )
            uow.orders.add_many(
                vendor_id,
                [
                    PurchaseOrder(
                        number=number,
                        vendor_siret=siret,
                        solution_referencing_number="REF-RIS",
                        dispositif="RAD-RIS-Va1",
                        client_kind=ClientKind.LEGAL_ENTITY,
                        client_id="750712184",
                        signed_on=dt.date(2023, 2, 1),
                        signatory="Direction",
                        prestation_ht_cents=1_000_000,
                        prestation_ttc_cents=1_200_000,
                        referential_pin="1.0.0+test",
                        sites=(SiteScenario("750712184", {}),),
                    )
                    for number in numbers
                ],
            )
            file_requests(uow, vendor_id, wanted)


def test_the_vendor_dashboard_shows_its_money_blocked_orders_and_balances(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    seed(accounts)
    log_in(client, people.vendor_user)
    text = text_of(client.get("/tableau-de-bord").text)
    assert "4 bon(s) de commande enregistré(s)" in text
    assert "6 demande(s) de financement" in text
    assert "1 bon(s) bloqué(s) par des constats de l'opérateur" in text
    assert "1 solde(s) à déposer" in text  # advance paid, no balance yet (A-1 has one)
    # Expected: filed to paid, advances and balances (the draft is not filed yet); the
    # validated advance without an amount is counted apart, never guessed.
    assert (
        "Attendus (demandes déposées, de « Déposée » à « Décidée et payée ») "
        "5 12 400,00 € 14 880,00 € 1 (non renseigné)" in text
    )
    assert "Reçus (« Décidée et payée ») 2 4 500,00 € 5 400,00 € 0" in text
    assert "À payer (« Validée », tous types de demande) 1 0,00 € 0,00 € 1 (non renseigné)" in text
    # The vendor reads the vendor's labels; nothing of vendor B.
    assert "RAD-RIS-Va1 demande d'avance A modifier 1" in text
    assert "Incomplète" not in text and "Éditeur B" not in text


def test_the_operator_dashboard_counts_every_vendor_requests(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    seed(accounts)
    log_in(client, people.instructor)
    text = text_of(client.get("/tableau-de-bord").text)
    assert "5 bon(s) de commande enregistré(s)" in text
    # Vendor A's draft is not filed with the operator: not counted, not shown.
    assert "6 demande(s) de financement" in text
    assert "Brouillon (non déposée)" not in text
    assert "1 demande(s) incomplète(s)" in text
    assert "1 demande(s) validée(s), à payer" in text
    assert "Incomplète (pièces manquantes ou illisibles) 1" in text  # the operator's label
    assert (
        "Éditeur A RAD-RIS-Va1 Brouillon 4" in text and "Éditeur B RAD-RIS-Va1 Brouillon 1" in text
    )
    assert "solde(s) à déposer" not in text


def test_deadlines_within_thirty_days_come_from_the_referential(
    client: TestClient, clock: SettableClock, people: People
) -> None:
    log_in(client, people.vendor_user)
    referential = default_referential()
    known, unknown = upcoming_deadlines(referential, clock.now.date())
    soon = [d for d in known if d.days_left <= 30]
    text = text_of(client.get("/tableau-de-bord").text)
    assert "Échéances dans les 30 jours" in text
    if soon:
        first = soon[0]
        assert (
            f"{first.on:%d/%m/%Y} (dans {first.days_left} jour(s)) — {first.code} : {first.label}"
            in text
        )
    else:
        assert "Aucune échéance connue du référentiel dans les 30 jours." in text
    if unknown:
        assert (
            f"Échéances non renseignées dans le référentiel : {unknown} (« non renseigné »" in text
        )
    # Move the clock to the eve of the first known deadline: it is now within 30 days.
    if known:
        target = known[0]
        clock.now = dt.datetime.combine(target.on - dt.timedelta(days=1), dt.time(9), tzinfo=dt.UTC)
        log_in(client, people.vendor_user)  # the first session has expired meanwhile
        later = text_of(client.get("/tableau-de-bord").text)
        assert f"{target.on:%d/%m/%Y} (dans 1 jour(s)) — {target.code}" in later


def test_an_empty_store_says_there_are_no_requests(client: TestClient, people: People) -> None:
    log_in(client, people.vendor_admin)
    text = text_of(client.get("/tableau-de-bord").text)
    assert "Aucune demande de financement n'est encore enregistrée pour Éditeur A." in text
    assert "0 bon(s) bloqué(s)" in text and "0 solde(s) à déposer" in text
