"""The served demo, end to end in a real browser (Debian's chromium, headless, as in
test_web_browser.py): on the database the walk itself leaves (`run_demo`), with the accounts
and the guide `sons demo --serve` prepares, a vendor, a client and an operator each do their
part in one scenario. Screenshots go to test-artifacts/ (prefix `demo-`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from test_web_browser import browser, checked_page, log_in, serving, shoot, sync_api
from web_fixtures import PASSWORD

from sons.domain.workflow import Status
from sons.entrypoints.cli.demo import OpenedDemo, open_demo
from sons.services.actors import reading
from sons.services.demo import run_demo
from sons.services.demo_accounts import VENDOR_ADMIN_EMAIL
from sons.services.demo_guide import CLIENT_ORDER
from sons.services.order_editing import order_history
from sons.services.requests import repository

pytestmark = pytest.mark.e2e

__all__ = ["browser"]  # the fixture shared with test_web_browser.py

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
INSTRUCTOR = "instructeur@operateur-demo.fr"
CLIENT_NAME = "Jeanne Client, DSI"
CLIENT_EMAIL = "jeanne.client@exemple-demo.fr"
MOTIVE = "La facture jointe ne porte pas le numéro du bon de commande."
CONFLICT = "SCENARIO_ALTERNATIVES_CONFLICT"


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's database as the walk leaves it: the walk takes seconds, run once here."""
    root = tmp_path_factory.mktemp("demo")
    return run_demo(root / "demo-output").orders.database


@pytest.fixture
def demo(walked: Path, tmp_path: Path) -> Iterator[OpenedDemo]:
    """A copy of the walked database opened as `sons demo --serve` opens it, every account
    with the tests' password."""
    database = tmp_path / walked.name
    shutil.copyfile(walked, database)
    opened = open_demo(database, hasher=CHEAP, password=lambda: PASSWORD)
    yield opened
    opened.app.state.sons.engine.dispose()


def test_the_guide_says_what_the_database_holds_and_its_link_opens(demo: OpenedDemo) -> None:
    guide = demo.guide
    assert guide.orders == 80 and guide.deposits == 2
    # The balance the walk filed waits for the operator; the paid advances do not.
    assert guide.awaiting == (("Reçue, à instruire", 3),)
    link = guide.client_link
    assert link is not None and link.order_number == CLIENT_ORDER
    assert link.created_by == VENDOR_ADMIN_EMAIL
    with serving(demo.app) as base_url:
        opened = httpx.get(f"{base_url}/questionnaire/{link.token}", timeout=10)
    assert opened.status_code == 200
    assert f"Questionnaire d'installation — bon de commande {CLIENT_ORDER}" in opened.text


def test_a_vendor_a_client_and_an_operator_use_the_demo_end_to_end(
    browser: Any, demo: OpenedDemo
) -> None:
    expect = sync_api.expect
    engine = demo.app.state.sons.engine
    with serving(demo.app) as base_url, checked_page(browser) as vendor:
        # The vendor's administrator finds the order whose answers conflict, and sends the
        # client a link to its questionnaire.
        log_in(vendor, base_url, VENDOR_ADMIN_EMAIL)
        vendor.wait_for_url(base_url + "/tableau-de-bord")
        vendor.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name="Bons de commande"
        ).click()
        vendor.get_by_label("Numéro commençant par").fill(CLIENT_ORDER)
        vendor.get_by_role("button", name="Filtrer").click()
        vendor.get_by_role("link", name=CLIENT_ORDER, exact=True).click()
        expect(vendor.get_by_role("heading", level=1)).to_contain_text(CLIENT_ORDER)
        site = vendor.locator('[data-live-region="site-0"]')
        expect(site.locator("table.findings tr", has_text=CONFLICT)).to_have_count(1)
        shoot(vendor, "demo-editeur-bon-en-conflit")
        vendor.get_by_label("Destinataire (nom ou adresse électronique)").fill(CLIENT_EMAIL)
        vendor.get_by_role("button", name="Créer un lien pour le client").click()
        link = vendor.locator("#lien-cree").inner_text().strip()
        assert link.startswith(base_url + "/questionnaire/"), link

        # The client: a browser context of its own, no account, no cookie.
        with checked_page(browser) as client:
            client.goto(link)
            expect(client.get_by_role("heading", level=1)).to_have_text(
                f"Questionnaire d'installation — bon de commande {CLIENT_ORDER}"
            )
            answers = client.locator('[data-live-region="site-0"]')
            expect(answers.locator("table.findings tr", has_text=CONFLICT)).to_have_count(1)
            # The DMP is reached directly, not through a PFI: the conflict goes, live.
            client.locator('input[name="site-0.q.dmp_via_pfi"][value="non"]').check()
            expect(answers.locator("table.findings tr", has_text=CONFLICT)).to_have_count(0)
            client.get_by_label("Votre nom et votre fonction").fill(CLIENT_NAME)
            client.get_by_label("Votre adresse électronique").fill(CLIENT_EMAIL)
            shoot(client, "demo-client-questionnaire")
            client.get_by_role("button", name="Envoyer les réponses").click()
            expect(client.get_by_role("heading", level=1)).to_have_text("Réponses envoyées")
            shoot(client, "demo-client-envoye")

        # The vendor sees the answers landed, in the order and in its journal (a new visit:
        # reloading would post the link's form again).
        vendor.goto(f"{base_url}/commandes/{CLIENT_ORDER}")
        client_actor = f"{CLIENT_NAME} <{CLIENT_EMAIL}>"
        expect(vendor.get_by_role("cell", name="réponses reçues")).to_have_count(1)
        expect(vendor.get_by_role("cell", name="ouvert", exact=True)).to_have_count(1)
        history = vendor.locator("table", has=vendor.get_by_role("columnheader", name="Qui"))
        expect(history).to_contain_text(client_actor)
        expect(site.locator("table.findings tr", has_text=CONFLICT)).to_have_count(0)
        shoot(vendor, "demo-editeur-reponses-recues")

        # The operator's instructor opens the queue and sends a balance back « à modifier ».
        with checked_page(browser) as operator:
            log_in(operator, base_url, INSTRUCTOR)
            operator.wait_for_url(base_url + "/tableau-de-bord")
            operator.get_by_role("link", name="File d'instruction").click()
            expect(operator.get_by_role("heading", level=1)).to_have_text("File d'instruction")
            received = operator.locator("table.queue-counts tr", has_text="Reçue, à instruire")
            expect(received).to_contain_text("3")
            shoot(operator, "demo-operateur-file")
            operator.get_by_role("link", name="SO-BC-RIS-001").click()
            expect(operator.get_by_text("Statut : Reçue, à instruire")).to_be_visible()
            correction = operator.locator("form", has_text="Demander une correction")
            correction.get_by_label("Code de motif").select_option("incorrect")
            correction.get_by_label("Motif", exact=True).fill(MOTIVE)
            correction.get_by_role("button", name="Demander une correction").click()
            expect(operator.get_by_text("« Demander une correction » : fait")).to_be_visible()
            expect(
                operator.get_by_text("Statut : A modifier (correction demandée)")
            ).to_be_visible()
            shoot(operator, "demo-operateur-a-modifier")

        # The vendor sees the new status of its balance, and why.
        vendor.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name="Dépôts"
        ).click()
        vendor.get_by_role("link", name="solde-RAD-RIS-Va1-20231002-01").click()
        # The deposit's own request, not the line of its check report that names it too.
        row = vendor.locator("tr", has_text="SO-BC-RIS-001").filter(
            has=vendor.locator('a[href^="/demandes/"]')
        )
        expect(row).to_contain_text("A modifier")
        row.get_by_role("link").first.click()
        expect(vendor.get_by_text("Statut : A modifier")).to_be_visible()
        expect(vendor.locator("section", has_text="Historique")).to_contain_text(MOTIVE)
        shoot(vendor, "demo-editeur-solde-a-modifier")

    # What the pages showed is what the store holds, journaled under each person's name.
    caller = demo.app.state.sons.accounts.caller_of(VENDOR_ADMIN_EMAIL)
    actors = [entry.actor for entry in order_history(engine, caller, CLIENT_ORDER)]
    assert any(actor.startswith(client_actor) for actor in actors), actors
    with reading(engine) as uow:
        stored = uow.orders.get(caller.vendor_id, CLIENT_ORDER)
        assert stored is not None
        assert stored.order.sites[0].answers["dmp_via_pfi"] is False
        sent_back = repository(uow).find(request_refs=["SO-BC-RIS-001"])
    assert [r.status for r in sent_back] == [Status.TO_AMEND]
