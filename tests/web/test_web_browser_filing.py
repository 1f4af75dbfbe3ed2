"""Deposits and instruction in a real browser (Debian's chromium, headless, as in
test_web_browser.py): build and download a deposit, read the report of a broken one, an
instructor sends a request back « à modifier ». Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from test_web_browser import base_url, browser, log_in, page, shoot, sync_api
from web_filing import built_advance, filed_advance, seed
from web_fixtures import People

from filing_fixtures import CODE

pytestmark = pytest.mark.e2e

__all__ = ["base_url", "browser", "page"]  # fixtures shared with test_web_browser.py


@pytest.fixture
def vendor_id(app: FastAPI, people: People, clock: Any) -> int:
    return seed(app, clock)


def test_a_vendor_builds_a_deposit_and_downloads_it(
    page: Any, base_url: str, people: People, vendor_id: int, tmp_path: Path
) -> None:
    expect = sync_api.expect
    log_in(page, base_url, people.vendor_admin)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Dépôts"
    ).click()
    page.get_by_role("link", name="Construire un dépôt").click()
    page.get_by_label("Nature").select_option("avance")
    page.get_by_label("Dispositif").select_option(CODE)
    page.get_by_label("Date du fichier").fill("2022-10-15")
    page.get_by_role("checkbox", name="BC-A").check()
    page.get_by_role("checkbox", name="BC-B").check()
    shoot(page, "depot-construire")
    page.get_by_role("button", name="Construire le dépôt").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dépôt avance-")
    expect(page.get_by_text("Aucune erreur")).to_be_visible()
    shoot(page, "depot-construit")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le JSON").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["nature"] == "avance"
    assert sorted(r["bon_de_commande"]["numero"] for r in document["demandes"]) == [
        "BC-A",
        "BC-B",
    ]
    with page.expect_download() as archive:
        page.get_by_role("link", name="Télécharger le zip").click()
    assert archive.value.suggested_filename.endswith(".zip")


def test_a_broken_deposit_uploaded_shows_its_report(
    page: Any,
    base_url: str,
    people: People,
    vendor_id: int,
    app: FastAPI,
    tmp_path: Path,
    clock: Any,
) -> None:
    expect = sync_api.expect
    built = built_advance(app, vendor_id, tmp_path / "depot", clock)
    document = json.loads(built.json_path.read_text(encoding="utf-8"))
    document["demandes"][0]["bon_de_commande"]["date_signature"] = "pas une date"
    broken = tmp_path / "depot-casse.json"
    broken.write_text(json.dumps(document), encoding="utf-8")

    log_in(page, base_url, people.vendor_user)
    page.goto(base_url + "/depots/controler")
    page.get_by_label("Fichier de dépôt (JSON)").set_input_files(str(broken))
    page.get_by_label("Zip des pièces jointes (facultatif)").set_input_files(str(built.zip_path))
    page.get_by_role("button", name="Contrôler").click()
    expect(
        page.get_by_role("heading", name="Rapport de contrôle — depot-casse.json")
    ).to_be_visible()
    expect(page.get_by_text("fichier à corriger avant dépôt")).to_be_visible()
    row = page.locator("table.findings tr", has_text="$.demandes[0].bon_de_commande.date_signature")
    expect(row.first).to_be_visible()
    shoot(page, "depot-rapport-erreurs")


def test_an_instructor_sends_a_request_back_to_be_amended(
    page: Any,
    base_url: str,
    people: People,
    vendor_id: int,
    app: FastAPI,
    tmp_path: Path,
    clock: Any,
) -> None:
    expect = sync_api.expect
    built = filed_advance(app, vendor_id, tmp_path, clock)
    ref = built.requests[0].request_ref

    log_in(page, base_url, people.instructor)
    page.get_by_role("link", name="File d'instruction").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("File d'instruction")
    shoot(page, "operateur-file")
    page.get_by_role("link", name=ref).click()
    correction = page.locator("form", has_text="Demander une correction")
    correction.get_by_label("Code de motif").select_option("incomplet")
    correction.get_by_label("Motif", exact=True).fill("Le bon de commande joint n'est pas signé.")
    correction.get_by_role("button", name="Demander une correction").click()
    expect(page.get_by_text("« Demander une correction » : fait")).to_be_visible()
    expect(page.get_by_text("Statut : A modifier (correction demandée)")).to_be_visible()
    history = page.locator("section", has_text="Historique")
    expect(history).to_contain_text("Le bon de commande joint n'est pas signé.")
    shoot(page, "operateur-a-modifier")
