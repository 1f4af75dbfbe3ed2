"""The pages: login, the dashboard of each role, the referential, explaining a scenario."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape

from web_fixtures import OTHER_SIRET, PASSWORD, VENDOR_SIRET, People, TestClient, csrf_of, log_in

from sons.domain.orders import ClientKind, PurchaseOrder, SiteScenario, Solution
from sons.services.accounts import Accounts
from sons.store.unit_of_work import UnitOfWork


def text_of(html: str) -> str:
    """The visible text, tags removed and spaces collapsed, for assertions on wording."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_pages_behind_the_login_redirect_to_it(client: TestClient) -> None:
    for path in ("/tableau-de-bord", "/referentiel", "/expliquer", "/compte", "/utilisateurs"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/connexion?suivant=")


def test_login_page_is_french_and_labelled(client: TestClient) -> None:
    html = client.get("/connexion").text
    assert '<html lang="fr">' in html
    assert 'href="#contenu"' in html
    for field in ("email", "password"):
        assert f'<label for="{field}">' in html
        assert f'id="{field}"' in html


def test_logging_in_leads_back_where_the_user_was_going(client: TestClient, people: People) -> None:
    login = client.get("/referentiel", follow_redirects=False).headers["location"]
    page = client.get(login)
    response = client.post(
        "/connexion",
        data={
            "email": people.vendor_user,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "suivant": "/referentiel",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/referentiel"


def test_a_wrong_password_says_so_in_french(client: TestClient, people: People) -> None:
    page = client.get("/connexion")
    response = client.post(
        "/connexion",
        data={"email": people.vendor_user, "password": "faux", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in response.text
    assert people.vendor_user in response.text  # the address is kept in the field


def test_logging_out_ends_the_session(client: TestClient, people: People) -> None:
    csrf = log_in(client, people.vendor_user)
    response = client.post("/deconnexion", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert "Vous êtes déconnecté." in client.get(response.headers["location"]).text
    assert client.get("/compte", follow_redirects=False).status_code == 303


def _store_orders(accounts: Accounts) -> None:
    """Two orders of vendor A (two dispositifs), one of vendor B."""
    engine = accounts._engine
    with UnitOfWork(engine, "tests") as uow:
        for siret, dispositif, numbers in (
            (VENDOR_SIRET, "RAD-RIS-Va1", ["A-1", "A-2"]),
            (VENDOR_SIRET, "HOP-DPI-Va1", ["A-3"]),
            (OTHER_SIRET, "RAD-RIS-Va1", ["B-1"]),
        ):
            vendor_id = uow.vendors.require_id(siret)
            reference = f"REF-{siret[:4]}-{dispositif}"
            uow.solutions.save(
                vendor_id,
                Solution("Logiciel", "1", reference, dispositif, frozenset({"Général"})),
            )
            for number in numbers:
                uow.orders.add(
                    vendor_id,
                    PurchaseOrder(
                        number=number,
                        vendor_siret=siret,
                        solution_referencing_number=reference,
                        dispositif=dispositif,
                        client_kind=ClientKind.LEGAL_ENTITY,
                        client_id="750712184",
                        signed_on=dt.date(2023, 2, 1),
                        signatory="Direction",
                        prestation_ht_cents=100_000,
                        prestation_ttc_cents=120_000,
                        referential_pin="1.0.0+test",
                        sites=(SiteScenario("750712184", {}),),
                    ),
                )


def test_a_vendor_dashboard_counts_its_own_orders_only(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    _store_orders(accounts)
    log_in(client, people.vendor_user)
    text = text_of(client.get("/tableau-de-bord").text)
    assert "Tableau de bord — Éditeur A" in text
    assert "3 bon(s) de commande enregistré(s)" in text
    assert "Brouillon 3" in text
    assert "RAD-RIS-Va1 2" in text and "HOP-DPI-Va1 1" in text
    assert "Éditeur B" not in text
    assert "Solutions référencées" in text


def test_the_operator_dashboard_counts_every_vendor(
    client: TestClient, accounts: Accounts, people: People
) -> None:
    _store_orders(accounts)
    log_in(client, people.instructor)
    text = text_of(client.get("/tableau-de-bord").text)
    assert "4 bon(s) de commande enregistré(s)" in text
    assert "Éditeur A RAD-RIS-Va1 Brouillon 2" in text
    assert "Éditeur B RAD-RIS-Va1 Brouillon 1" in text
    assert "Utilisateurs" not in text  # an instructor administers nobody


def test_an_empty_store_shows_the_referential_and_says_there_are_no_orders(
    client: TestClient, people: People
) -> None:
    log_in(client, people.operator_admin)
    text = text_of(client.get("/tableau-de-bord").text)
    assert "Aucun bon de commande n'est encore enregistré." in text
    assert "dispositif(s) au référentiel" in text
    assert "compte(s) utilisateur" in text  # administrators see their accounts


def test_the_referential_pages(client: TestClient, people: People) -> None:
    log_in(client, people.vendor_user)
    listing = client.get("/referentiel").text
    assert 'href="/referentiel/RAD-RIS-Va1"' in listing
    page = client.get("/referentiel/RAD-RIS-Va1?date=2022-05-01")
    text = text_of(page.text)
    for heading in ("Profils", "Scénario d'installation", "Conditions de versement du solde"):
        assert heading in text
    assert "Référentiel d'identités" in text
    assert ("Paramètres datés" in text and "non renseigné" in text) or "public" in text
    assert "source publique officielle" in text
    assert client.get("/referentiel/XYZ-ABC-Va1").status_code == 404
    bad = client.get("/referentiel/RAD-RIS-Va1?date=hier")
    assert bad.status_code == 422
    assert "AAAA-MM-JJ" in bad.text


EXPLAIN = (
    "/expliquer?dispositif=RAD-RIS-Va1&date=2022-05-01&envoye=1"
    "&q.identity_referential=oui&q.hospital_environment=non&q.mss_operator=Mailiz"
    "&q.client_is_scm=non&q.prosante_connect=non&q.identity_slave=non&q.dmp_direct=oui"
    "&q.dmp_via_pfi=non&q.mss_pro_direct=non&q.mss_pro_via_pfi=non&q.mss_patient_direct=oui"
    "&q.mss_patient_via_pfi=non&profil=general&profil=operateur_mailiz"
)


def test_explaining_a_scenario_without_javascript(client: TestClient, people: People) -> None:
    log_in(client, people.vendor_user)
    chooser = client.get("/expliquer").text
    assert 'name="dispositif"' in chooser and "RAD-RIS-Va1" in chooser
    page = client.get(EXPLAIN)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "SCENARIO_PROFILE_MISSING" in text
    assert "Référentiel d'identités" in text
    # The answers stay in the form: the radio « Oui » of the first question is checked.
    assert re.search(r'name="q.identity_referential" value="oui" checked', page.text)
    fixed = client.get(EXPLAIN + "&profil=referentiel_identites")
    assert "SCENARIO_PROFILE_MISSING" not in fixed.text


def test_an_unreadable_answer_is_reported_with_its_code(client: TestClient, people: People) -> None:
    log_in(client, people.vendor_user)
    page = client.get("/expliquer?dispositif=RAD-RIS-Va1&envoye=1&q.dmp_direct=peut-être")
    assert page.status_code == 422
    assert "SCENARIO_ANSWER_INVALID" in page.text


def test_explaining_from_an_answers_file(client: TestClient, people: People) -> None:
    csrf = log_in(client, people.vendor_user)
    answers = json.dumps({"identity_referential": True, "dmp_direct": True}).encode()
    page = client.post(
        "/expliquer",
        data={"csrf_token": csrf, "dispositif": "RAD-RIS-Va1", "date": "2022-05-01"},
        files={"fichier": ("réponses.json", answers, "application/json")},
    )
    assert page.status_code == 200
    assert "Référentiel d'identités" in text_of(page.text)
    assert re.search(r'name="q.dmp_direct" value="oui" checked', page.text)
    broken = client.post(
        "/expliquer",
        data={"csrf_token": csrf, "dispositif": "RAD-RIS-Va1"},
        files={"fichier": ("cassé.json", b'{"dmp_direct": tru', "application/json")},
    )
    assert broken.status_code == 422
    assert "cassé.json, ligne 1, colonne" in broken.text


def test_my_account_creates_shows_once_and_revokes_tokens(
    client: TestClient, people: People
) -> None:
    csrf = log_in(client, people.vendor_user)
    created = client.post("/compte/jetons", data={"csrf_token": csrf, "nom": "export"})
    assert created.status_code == 201
    secret = re.search(r'id="jeton-cree">(sons_[^<]+)<', created.text)
    assert secret
    again = client.get("/compte").text
    assert "export" in again and secret.group(1) not in again
    token_id = re.search(r'action="/compte/jetons/(\d+)/revoquer"', again)
    assert token_id
    client.post(f"/compte/jetons/{token_id.group(1)}/revoquer", data={"csrf_token": csrf})
    assert "révoqué le" in client.get("/compte").text


def test_administrators_manage_users(client: TestClient, people: People) -> None:
    csrf = log_in(client, people.vendor_admin)
    text = text_of(client.get("/utilisateurs").text)
    assert people.vendor_user in text and people.other_admin not in text
    response = client.post(
        "/utilisateurs",
        data={
            "csrf_token": csrf,
            "email": "recrue@editeur-a.fr",
            "nom": "Recrue",
            "role": "vendor_user",
            "password": PASSWORD,
        },
    )
    assert "Compte créé pour recrue@editeur-a.fr." in response.text
    refused = client.post(
        "/utilisateurs",
        data={
            "csrf_token": csrf,
            "email": "x@y.fr",
            "nom": "X",
            "role": "vendor_user",
            "password": "court",
        },
    )
    assert refused.status_code == 422
    assert "trop court" in refused.text


def test_non_administrators_cannot_open_the_users_page(client: TestClient, people: People) -> None:
    log_in(client, people.vendor_user)
    response = client.get("/utilisateurs")
    assert response.status_code == 403
    assert "réservée aux administrateurs" in response.text
