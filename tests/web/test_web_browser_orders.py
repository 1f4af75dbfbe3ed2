"""The order editor and the client questionnaire in a real browser (Debian's chromium, headless):
create an order and answer its questionnaire, watching a missing-profile finding appear and
disappear as an answer changes; then open the client's link without an account, answer, submit.
Screenshots go to test-artifacts/ like those of test_web_browser.py, whose fixtures are reused.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import test_web_browser as browser_tests
from editor_fixtures import ANSWERS, CLIENT_EJ, SITE_1, SOLUTION_A, seed
from fastapi import FastAPI
from web_fixtures import VENDOR_SIRET, People

from sons.domain.orders import ClientKind, PurchaseOrder, SiteScenario
from sons.services.actors import reading
from sons.store.unit_of_work import UnitOfWork

pytestmark = pytest.mark.e2e

# The fixtures of the first browser tests: chromium once per module, a server per test.
browser = browser_tests.browser
page = browser_tests.page
base_url = browser_tests.base_url
sync_api = browser_tests.sync_api
shoot = browser_tests.shoot
browser_log_in = browser_tests.log_in

MISSING = "SCENARIO_PROFILE_MISSING"


def answer(page: Any, answers: dict[str, str]) -> None:
    for qid, value in answers.items():
        if qid == "mss_operator":
            page.locator(f'input[name="site-0.q.{qid}"]').fill(value)
        else:
            page.locator(f'input[name="site-0.q.{qid}"][value="{value}"]').check()


def test_create_an_order_and_watch_the_missing_profile_finding_follow_the_answer(
    page: Any,
    base_url: str,
    app: FastAPI,
    people: People,
) -> None:
    expect = sync_api.expect
    seed(app.state.sons.engine)
    browser_log_in(page, base_url, people.vendor_user)
    page.wait_for_url(base_url + "/tableau-de-bord")
    page.goto(base_url + "/commandes/nouvelle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau bon de commande")
    page.get_by_label("Numéro du bon de commande").fill("BC-NAV-1")
    page.get_by_label("Client (FINESS EJ ou RPPS)").fill(CLIENT_EJ)
    page.get_by_label("Date de signature").fill("2022-03-15")
    page.get_by_label("Signataire (nom et qualité)").fill("Dr Claire Martin, gérante")
    page.get_by_label("Montant de la Prestation Ségur HT (€)").fill("12 000,00")
    page.get_by_label("Montant de la Prestation Ségur TTC (€)").fill("14 400,00")
    page.get_by_label("FINESS de l'établissement (ET)").fill(SITE_1)
    answer(page, ANSWERS)

    site = page.locator('[data-live-region="site-0"]')
    missing = site.locator("table.findings tr", has_text=MISSING)
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text("Référentiel d'identités")
    expect(missing).to_contain_text("identity_referential")
    shoot(page, "bon-de-commande-profil-manquant")

    # The answer that required the profile changes: the finding goes, in place.
    page.locator('input[name="site-0.q.identity_referential"][value="non"]').check()
    expect(missing).to_have_count(0)
    page.locator('input[name="site-0.q.identity_referential"][value="oui"]').check()
    expect(missing).to_have_count(1)
    page.locator('input[name="site-0.q.identity_referential"][value="non"]').check()
    expect(missing).to_have_count(0)

    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(base_url + "/commandes/BC-NAV-1?enregistre=1")
    expect(page.get_by_role("status")).to_contain_text("Bon de commande BC-NAV-1 enregistré")
    shoot(page, "bon-de-commande-enregistre")
    with reading(app.state.sons.engine) as uow:
        stored = uow.orders.get(uow.vendors.require_id(VENDOR_SIRET), "BC-NAV-1")
    assert stored is not None
    assert stored.order.sites[0].answers["identity_referential"] is False


def test_open_a_client_link_answer_and_submit(
    browser: Any,
    page: Any,
    base_url: str,
    app: FastAPI,
    people: People,
) -> None:
    expect = sync_api.expect
    engine = app.state.sons.engine
    seed(engine)
    with UnitOfWork(engine, "tests") as uow:
        uow.orders.add(
            uow.vendors.require_id(VENDOR_SIRET),
            PurchaseOrder(
                number="BC-LIEN-1",
                vendor_siret=VENDOR_SIRET,
                solution_referencing_number=SOLUTION_A,
                dispositif="RAD-RIS-Va1",
                client_kind=ClientKind.LEGAL_ENTITY,
                client_id=CLIENT_EJ,
                signed_on=dt.date(2022, 3, 15),
                signatory="Dr Claire Martin",
                prestation_ht_cents=1_200_000,
                prestation_ttc_cents=1_440_000,
                referential_pin=app.state.sons.referential.pin,
                sites=(SiteScenario(SITE_1, {}),),
            ),
        )
    browser_log_in(page, base_url, people.vendor_user)
    page.wait_for_url(base_url + "/tableau-de-bord")
    page.goto(base_url + "/commandes/BC-LIEN-1")
    page.get_by_label("Destinataire (nom ou adresse électronique)").fill("dsi@client.fr")
    page.get_by_role("button", name="Créer un lien pour le client").click()
    link = page.locator("#lien-cree").inner_text().strip()
    assert re.fullmatch(re.escape(base_url) + r"/questionnaire/[\w.-]+", link), link

    # The client: another browser context, no account, no cookie.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    visitor = context.new_page()
    try:
        visitor.goto(link)
        expect(visitor.get_by_role("heading", level=1)).to_have_text(
            "Questionnaire d'installation — bon de commande BC-LIEN-1"
        )
        site = visitor.locator('[data-live-region="site-0"]')
        expect(site).to_contain_text("SCENARIO_ANSWER_MISSING")
        answer(visitor, ANSWERS)
        expect(site.locator("table.findings tr", has_text=MISSING)).to_have_count(1)
        expect(site.locator("table.findings tr", has_text="SCENARIO_ANSWER_MISSING")).to_have_count(
            0
        )
        shoot(visitor, "questionnaire-client")
        visitor.get_by_label("Votre nom et votre fonction").fill("Jeanne Client, DSI")
        visitor.get_by_label("Votre adresse électronique").fill("jeanne@client.fr")
        visitor.get_by_role("button", name="Envoyer les réponses").click()
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Réponses envoyées")
        shoot(visitor, "questionnaire-client-envoye")
        visitor.goto(link)
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Questionnaire déjà envoyé")
    finally:
        context.close()

    page.goto(base_url + "/commandes/BC-LIEN-1")
    expect(page.get_by_role("cell", name="réponses reçues")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Jeanne Client, DSI <jeanne@client.fr>")
    shoot(page, "bon-de-commande-reponses-client")
