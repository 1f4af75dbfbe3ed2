"""The application in a real browser: Debian's chromium driven by Playwright, headless.

The server runs in a thread (uvicorn) on a free loopback port, on a fresh SQLite file.
Screenshots of the key pages are left in test-artifacts/ for people to look at.
`scripts/install-browser.sh` installs chromium; Playwright never downloads a browser.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from web_fixtures import PASSWORD, People

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.e2e

sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn in a thread on a free loopback port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn n'a pas démarré"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def base_url(app: FastAPI, people: People) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} absent : lancez scripts/install-browser.sh (make browser)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@contextlib.contextmanager
def checked_page(browser: Any) -> Iterator[Any]:
    """A page in a context of its own (no cookie shared with any other), which fails the test
    on a script error."""
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        yield page
    finally:
        context.close()
    # A script error or a content-security-policy refusal shows in the console.
    assert problems == []


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with checked_page(browser) as opened:
        yield opened


def shoot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page: Any, base_url: str, email: str) -> None:
    page.goto(base_url + "/tableau-de-bord")
    sync_api.expect(page).to_have_url(base_url + "/connexion?suivant=%2Ftableau-de-bord")
    shoot(page, "connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


SCENARIO = {
    "identity_referential": "oui",
    "hospital_environment": "non",
    "client_is_scm": "non",
    "prosante_connect": "non",
    "identity_slave": "non",
    "dmp_direct": "oui",
    "dmp_via_pfi": "non",
    "mss_pro_direct": "non",
    "mss_pro_via_pfi": "non",
    "mss_patient_direct": "oui",
    "mss_patient_via_pfi": "non",
}


def answer_the_questionnaire(page: Any) -> None:
    for question, value in SCENARIO.items():
        page.locator(f'input[name="q.{question}"][value="{value}"]').check()
    page.get_by_label("Quel est l'opérateur de messagerie sécurisée de santé ?").fill("Mailiz")
    page.get_by_role("checkbox", name="Général").check()
    page.get_by_role("checkbox", name="Opérateur Mailiz").check()


def test_log_in_see_the_dashboard_open_a_dispositif_and_explain_a_scenario(
    page: Any, base_url: str, people: People
) -> None:
    expect = sync_api.expect
    log_in(page, base_url, people.vendor_admin)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord — Éditeur A")
    expect(page.get_by_text("Aucun bon de commande n'est encore enregistré")).to_be_visible()
    shoot(page, "tableau-de-bord")

    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Référentiel"
    ).click()
    page.get_by_role("link", name="RAD-RIS-Va1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("RAD-RIS-Va1")
    page.get_by_label("Règles en vigueur au").fill("2022-05-01")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Conditions de versement du solde")).to_be_visible()
    shoot(page, "dispositif-rad-ris-va1")

    page.get_by_role("link", name="Expliquer un scénario").last.click()
    expect(page.get_by_role("heading", name="Questionnaire de RAD-RIS-Va1")).to_be_visible()
    answer_the_questionnaire(page)
    page.get_by_role("button", name="Expliquer", exact=True).click()
    missing = page.locator("table.findings tr", has_text="SCENARIO_PROFILE_MISSING")
    expect(missing).to_have_count(1)
    expect(missing).to_contain_text("Référentiel d'identités")
    shoot(page, "scenario-profil-manquant")

    # Ticking the missing profile updates the findings in place (the page's small script).
    page.get_by_role("checkbox", name="Référentiel d'identités").check()
    expect(missing).to_have_count(0)
    expect(page).to_have_url(re.compile(r"profil=referentiel_identites"))
    shoot(page, "scenario-complet")
    page.get_by_role("checkbox", name="Référentiel d'identités").uncheck()
    expect(missing).to_have_count(1)


def test_without_javascript_the_button_does_the_same(
    browser: Any, base_url: str, people: People
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    try:
        log_in(page, base_url, people.vendor_user)
        page.goto(base_url + "/expliquer?dispositif=RAD-RIS-Va1&date=2022-05-01")
        answer_the_questionnaire(page)
        page.get_by_role("checkbox", name="Référentiel d'identités").check()
        page.get_by_role("button", name="Expliquer", exact=True).click()
        sync_api.expect(page.get_by_text("0 erreur(s)")).to_be_visible()
        sync_api.expect(
            page.locator("table.findings tr", has_text="SCENARIO_PROFILE_MISSING")
        ).to_have_count(0)
    finally:
        context.close()


def test_keyboard_users_reach_the_content_first(page: Any, base_url: str, people: People) -> None:
    log_in(page, base_url, people.instructor)
    page.wait_for_url(base_url + "/tableau-de-bord")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Aller au contenu"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    sync_api.expect(page.get_by_role("heading", level=1)).to_contain_text("Opérateur")
    shoot(page, "tableau-de-bord-operateur")
