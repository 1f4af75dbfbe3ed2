"""The order list page (/commandes): filters as GET parameters, pages, tenant scope, escaping."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from web_fixtures import OTHER_SIRET, VENDOR_SIRET, People, TestClient, log_in

from sons.domain.orders import (
    ClientKind,
    LegalEntity,
    LegalStatus,
    PurchaseOrder,
    SiteScenario,
    Solution,
)
from sons.services import order_list
from sons.services.accounts import Accounts
from sons.store.unit_of_work import UnitOfWork

REFERENCE = "REF-LISTE"


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def order(
    siret: str, number: str, dispositif: str, client_id: str, signed_on: dt.date
) -> PurchaseOrder:
    return PurchaseOrder(
        number=number,
        vendor_siret=siret,
        solution_referencing_number=f"{REFERENCE}-{dispositif}",
        dispositif=dispositif,
        client_kind=ClientKind.LEGAL_ENTITY,
        client_id=client_id,
        signed_on=signed_on,
        signatory="Direction",
        prestation_ht_cents=1_234_500,
        prestation_ttc_cents=1_481_400,
        referential_pin="1.0.0+test",
        sites=(SiteScenario(client_id, {}),),
    )


def store_orders(accounts: Accounts) -> None:
    """Vendor A: 55 RAD-RIS orders (client 750712184) and 3 HOP-DPI ones (a client whose name
    is markup); vendor B: one order whose number vendor A also uses."""
    with UnitOfWork(accounts._engine, "tests") as uow:
        uow.directory.upsert_legal_entities(
            [
                LegalEntity("750712184", "CENTRE HOSPITALIER DE SAINT-DENIS", LegalStatus.PUBLIC),
                LegalEntity("130786049", "<script>alert(1)</script> Clinique", LegalStatus.PRIVATE),
            ]
        )
        for siret, dispositif, orders in (
            (
                VENDOR_SIRET,
                "RAD-RIS-Va1",
                [
                    (f"A-{n:03d}", "750712184", dt.date(2024, 1, 1) + dt.timedelta(days=n))
                    for n in range(1, 56)
                ],
            ),
            (
                VENDOR_SIRET,
                "HOP-DPI-Va1",
                [(f"H-{n}", "130786049", dt.date(2023, 5, n)) for n in (1, 2, 3)],
            ),
            (OTHER_SIRET, "RAD-RIS-Va1", [("A-001", "750712184", dt.date(2024, 1, 2))]),
        ):
            vendor_id = uow.vendors.require_id(siret)
            uow.solutions.save(
                vendor_id,
                Solution(
                    "Logiciel", "1", f"{REFERENCE}-{dispositif}", dispositif, frozenset({"Général"})
                ),
            )
            uow.orders.add_many(
                vendor_id, [order(siret, *item[:1], dispositif, *item[1:]) for item in orders]
            )


def test_the_vendor_list_pages_through_its_own_orders(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    store_orders(accounts)
    log_in(client, people.vendor_user)
    first = client.get("/commandes")
    assert first.status_code == 200
    text = text_of(first.text)
    assert "58 bon(s) de commande — n° 1 à 50." in text
    assert "Page 1 sur 2" in text
    assert (
        "A-001 CENTRE HOSPITALIER DE SAINT-DENIS Entité juridique (FINESS) 750712184 "
        "RAD-RIS-Va1 Brouillon 02/01/2024" in text
    )
    assert "12 345,00" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert 'href="/commandes/A-001"' in first.text
    assert "Éditeur B" not in text and "?editeur=" not in first.text
    assert 'aria-current="page">Bons de commande' in first.text
    # Accessible table: caption, column and row headers.
    assert "<caption>Bons de commande, page 1 sur 2</caption>" in first.text
    assert '<th scope="row"><a href="/commandes/A-001">' in first.text

    second = client.get("/commandes?page=2")
    assert "n° 51 à 58." in text_of(second.text)
    assert 'href="/commandes?page=1" rel="prev"' in second.text


def test_filters_travel_in_the_query_string_and_into_page_links(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    store_orders(accounts)
    log_in(client, people.vendor_admin)
    response = client.get(
        "/commandes",
        params={
            "dispositif": "RAD-RIS-Va1",
            "client": "saint-denis",
            "signe_du": "2024-01-10",
            "par_page": "20",
        },
    )
    text = text_of(response.text)
    # 2024-01-10 … 2024-02-25: orders 9 to 55.
    assert "47 bon(s) de commande correspondant aux filtres — n° 1 à 20." in text
    assert "A-009" in text and "A-008" not in text
    assert '<option value="RAD-RIS-Va1" selected>' in response.text
    assert 'value="saint-denis"' in response.text
    assert (
        'href="/commandes?dispositif=RAD-RIS-Va1&amp;client=saint-denis&amp;signe_du=2024-01-10'
        '&amp;par_page=20&amp;page=2" rel="next"'
    ) in response.text

    by_number = text_of(client.get("/commandes", params={"numero": "H-", "statut": "draft"}).text)
    assert "3 bon(s) de commande correspondant aux filtres" in by_number
    nothing = text_of(client.get("/commandes", params={"numero": "ZZZ"}).text)
    assert "Aucun bon de commande ne correspond à ces filtres." in nothing


def test_free_text_is_escaped_and_sql_looking_input_is_plain_text(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    store_orders(accounts)
    log_in(client, people.vendor_user)
    listed = client.get("/commandes", params={"client": "1307"})
    assert "<script>alert(1)</script>" not in listed.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Clinique" in listed.text
    hostile = client.get(
        "/commandes", params={"client": "' OR 1=1 --", "numero": '"><script>x</script>'}
    )
    assert hostile.status_code == 200
    assert "Aucun bon de commande ne correspond à ces filtres." in text_of(hostile.text)
    assert '"><script>x</script>' not in hostile.text


def test_unreadable_filters_are_named_in_french(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    log_in(client, people.vendor_user)
    bad_date = client.get("/commandes", params={"signe_au": "31/12/2024"})
    assert bad_date.status_code == 422
    assert (
        "Filtre « signé au » (signe_au) : « 31/12/2024 » n'est pas une date au format AAAA-MM-JJ."
        in text_of(bad_date.text)
    )
    reversed_dates = client.get(
        "/commandes", params={"signe_du": "2024-02-01", "signe_au": "2024-01-01"}
    )
    assert reversed_dates.status_code == 422
    assert "le 01/02/2024 est postérieur au 01/01/2024" in text_of(reversed_dates.text)
    bad_page = client.get("/commandes", params={"page": "deux"})
    assert bad_page.status_code == 422
    assert "page" in text_of(bad_page.text)


def test_the_operator_sees_every_vendor_and_links_name_the_vendor(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    store_orders(accounts)
    log_in(client, people.instructor)
    response = client.get("/commandes", params={"numero": "A-001"})
    text = text_of(response.text)
    assert "2 bon(s) de commande correspondant aux filtres" in text
    assert "Éditeur A" in text and "Éditeur B" in text
    assert re.search(r'href="/commandes/A-001\?editeur=\d+"', response.text)


def test_the_list_is_behind_the_login(client: TestClient) -> None:
    response = client.get("/commandes?numero=A", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?suivant=%2Fcommandes%3Fnumero%3DA"


def test_a_list_past_the_count_cap_says_more_than(
    client: TestClient, accounts: Accounts, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(order_list, "COUNT_CAP", 20)
    store_orders(accounts)
    log_in(client, people.vendor_user)
    page = client.get("/commandes", params={"par_page": "10", "page": "3"})
    text = text_of(page.text)
    assert "Plus de 20 bon(s) de commande — n° 21 à 30. Affinez avec les filtres" in text
    assert "Page 3 Page suivante" in text and "Dernière page" not in text


def test_a_page_read_again_is_the_same_for_its_reader_and_new_once_orders_change(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    """The vendor's and the operator's lists of vendor A's « H- » orders hold the same orders,
    read once and kept: each still reads as its own (the operator's names the vendor), and an
    order added since shows on the next reading."""
    store_orders(accounts)
    log_in(client, people.vendor_user)
    vendor_view = client.get("/commandes", params={"numero": "H-"})
    assert "3 bon(s) de commande" in text_of(vendor_view.text)
    assert "?editeur=" not in vendor_view.text and ">Éditeur<" not in vendor_view.text
    assert client.get("/commandes", params={"numero": "H-"}).text == vendor_view.text

    client.cookies.clear()
    log_in(client, people.instructor)
    operator_view = client.get("/commandes", params={"numero": "H-"})
    assert "3 bon(s) de commande" in text_of(operator_view.text)
    assert re.search(r'href="/commandes/H-1\?editeur=\d+"', operator_view.text)
    assert '<th scope="col">Éditeur</th>' in operator_view.text

    with UnitOfWork(accounts._engine, "tests") as uow:
        vendor_id = uow.vendors.require_id(VENDOR_SIRET)
        uow.orders.add(
            vendor_id, order(VENDOR_SIRET, "H-4", "HOP-DPI-Va1", "130786049", dt.date(2023, 5, 4))
        )
    after = client.get("/commandes", params={"numero": "H-"})
    assert "4 bon(s) de commande" in text_of(after.text) and "/commandes/H-4?" in after.text
