"""The deposit pages: build from the orders, download, check a file from anywhere, mark filed;
CSRF on every form, tenant isolation, hostile uploads."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from web_filing import built_advance, engine_of, operator_fires, seed, text_of
from web_fixtures import PASSWORD, People, TestClient, log_in

from filing_fixtures import BALANCE_DAY, CODE, pdf
from sons.domain.workflow import Status
from sons.entrypoints.web.deposits import scope_of
from sons.services.accounts import Accounts
from sons.services.deposits import checking_engine, list_deposits, mark_filed
from sons.services.requests import list_requests
from sons.store.journal import JournalEntryRow

XSS = "<script>alert(1)</script>"


@pytest.fixture
def vendor_id(app: FastAPI, people: People, clock: Any) -> int:
    return seed(app, clock)


def _build(client: TestClient, csrf: str, *numbers: str, **extra: str) -> Any:
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "nature": "avance",
        "dispositif": CODE,
        "date": "2022-10-15",
        "bons": list(numbers),
        **extra,
    }
    return client.post("/depots/construire", data=data, follow_redirects=False)


def test_a_vendor_builds_an_advance_reads_its_report_and_downloads_both_files(
    client: TestClient, people: People, vendor_id: int, app: FastAPI
) -> None:
    csrf = log_in(client, people.vendor_user)
    form = client.get("/depots/construire")
    assert form.status_code == 200
    assert all(number in form.text for number in ("BC-A", "BC-B", "BC-ERR"))

    response = _build(client, csrf, "BC-A", "BC-B")
    assert response.status_code == 303, text_of(response.text)
    page = client.get(response.headers["location"])
    text = text_of(page.text)
    assert "Dépôt construit, contrôlé et enregistré" in text
    assert "Aucune erreur" in text and "fichier prêt pour le dépôt" in text
    assert text.count("Brouillon") >= 2
    (deposit,) = list_deposits(engine_of(app), vendor_id)

    downloaded = client.get(f"/depots/{deposit.id}/json")
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/json"
    assert f'filename="{deposit.json_file_name}"' in downloaded.headers["content-disposition"]
    document = json.loads(downloaded.content)
    assert document["nature"] == "avance" and len(document["demandes"]) == 2
    archive = client.get(f"/depots/{deposit.id}/zip")
    with zipfile.ZipFile(io.BytesIO(archive.content)) as pieces:
        names = pieces.namelist()
        assert len(names) == 2 and all(pieces.read(n).startswith(b"%PDF-") for n in names)

    listing = text_of(client.get("/depots").text)
    assert deposit.name in listing and "construit par sons" in listing


def test_a_refused_build_names_the_order_and_its_reasons_and_stores_nothing(
    client: TestClient, people: People, vendor_id: int, app: FastAPI
) -> None:
    csrf = log_in(client, people.vendor_admin)
    response = _build(client, csrf, "BC-A", "BC-ERR")
    assert response.status_code == 422
    text = text_of(response.text)
    assert "BC-ERR" in text and "erreur(s) au contrôle du bon" in text
    assert "Rien n'a été écrit" in text
    assert list_deposits(engine_of(app), vendor_id) == []

    unknown = _build(client, csrf, "BC-INCONNU")
    assert unknown.status_code == 422
    assert "Bon(s) de commande inconnu(s) pour cet éditeur : « BC-INCONNU »" in text_of(
        unknown.text
    )
    bad_date = _build(client, csrf, "BC-A", date="15/10/2022")
    assert bad_date.status_code == 422
    assert "n'est pas une date au format AAAA-MM-JJ" in text_of(bad_date.text)


def test_marking_filed_moves_the_drafts_and_journals_it(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = built_advance(app, vendor_id, tmp_path, clock, ("BC-A", "BC-B"))
    csrf = log_in(client, people.vendor_admin)
    response = client.post(
        f"/depots/{built.deposit.id}/deposer", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "ses demandes « Brouillon » sont passées à « Déposée »" in text_of(
        client.get(response.headers["location"]).text
    )
    statuses = {line.request.status for line in list_requests(engine_of(app), vendor_id=vendor_id)}
    assert statuses == {Status.FILED}
    with engine_of(app).connect() as connection:
        actors = connection.execute(select(JournalEntryRow.actor)).scalars().all()
    assert people.vendor_admin in actors


def _check(client: TestClient, csrf: str, json_bytes: bytes, zip_bytes: bytes | None = None) -> Any:
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        ("fichier", ("mon depot.json", json_bytes, "application/json"))
    ]
    if zip_bytes is not None:
        files.append(("zip", ("pieces.zip", zip_bytes, "application/zip")))
    return client.post(
        "/depots/controler", data={"csrf_token": csrf, "date": "2022-10-15"}, files=files
    )


def test_checking_a_broken_file_lists_each_finding_with_its_path_and_rule(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = built_advance(app, vendor_id, tmp_path, clock)
    document = json.loads(built.json_path.read_text(encoding="utf-8"))
    document["demandes"][0]["bon_de_commande"]["date_signature"] = "pas une date"
    csrf = log_in(client, people.vendor_user)

    sound = _check(client, csrf, built.json_path.read_bytes(), built.zip_path.read_bytes())
    assert sound.status_code == 200
    assert "Aucune erreur" in text_of(sound.text)

    broken = _check(client, csrf, json.dumps(document).encode(), built.zip_path.read_bytes())
    assert broken.status_code == 200
    text = text_of(broken.text)
    assert "Rapport de contrôle — mon_depot.json" in text
    assert "fichier à corriger avant dépôt" in text
    assert "$.demandes[0].bon_de_commande.date_signature" in text
    assert "Erreur" in text

    document["demandes"][0]["bon_de_commande"]["date_signature"] = XSS
    hostile = _check(client, csrf, json.dumps(document).encode())
    assert XSS not in hostile.text and "&lt;script&gt;" in hostile.text
    assert XSS in text_of(hostile.text)

    unreadable = _check(client, csrf, b"{ pas du json")
    assert unreadable.status_code == 422
    assert "n'est pas un JSON de dépôt lisible" in text_of(unreadable.text)


def test_hostile_or_oversized_uploads_are_refused_in_french(
    client: TestClient, people: People, vendor_id: int, app: FastAPI
) -> None:
    csrf = log_in(client, people.vendor_user)
    png = _check(client, csrf, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    assert png.status_code == 415
    assert "est une image PNG, d'après son contenu ; attendu : JSON" in text_of(png.text)
    not_a_zip = _check(client, csrf, b"{}", b"MZ\x90\x00 programme")
    assert not_a_zip.status_code == 415 and "un programme Windows" in text_of(not_a_zip.text)
    limit = app.state.sons.settings.max_upload_bytes
    huge = _check(client, csrf, b"[" + b" " * limit + b"]")
    assert huge.status_code == 413
    assert "dépasse la taille maximale acceptée" in text_of(huge.text)
    assert list_deposits(engine_of(app), vendor_id) == []


def test_every_deposit_form_wants_its_csrf_token(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = built_advance(app, vendor_id, tmp_path, clock)
    log_in(client, people.vendor_admin)
    for path, data in (
        ("/depots/construire", {"nature": "avance", "dispositif": CODE, "bons": "BC-B"}),
        (f"/depots/{built.deposit.id}/deposer", {}),
        ("/depots/controler", {}),
    ):
        for token in (None, "forge"):
            sent = data if token is None else {**data, "csrf_token": token}
            response = client.post(path, data=sent, follow_redirects=False)
            assert response.status_code == 403, path
            assert "Jeton de sécurité (CSRF) absent ou invalide" in text_of(response.text)
    assert len(list_deposits(engine_of(app), vendor_id)) == 1
    statuses = {line.request.status for line in list_requests(engine_of(app), vendor_id=vendor_id)}
    assert statuses == {Status.DRAFT}


def test_another_vendor_sees_none_of_it(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = built_advance(app, vendor_id, tmp_path, clock)
    request_id = built.requests[0].id
    csrf = log_in(client, people.other_admin)
    for path in (
        f"/depots/{built.deposit.id}",
        f"/depots/{built.deposit.id}/json",
        f"/depots/{built.deposit.id}/zip",
        f"/demandes/{request_id}",
        "/depots/999999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert built.deposit.name not in response.text
    assert built.deposit.name not in client.get("/depots").text
    refused = client.post(
        f"/depots/{built.deposit.id}/deposer", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert refused.status_code == 404
    fired = client.post(
        f"/demandes/{request_id}/actions/retirer",
        data={"csrf_token": csrf, "motif": "pas à moi"},
        follow_redirects=False,
    )
    assert fired.status_code == 404
    statuses = {line.request.status for line in list_requests(engine_of(app), vendor_id=vendor_id)}
    assert statuses == {Status.DRAFT}
    # Its own build sees only its own orders: BC-A is unknown to it.
    assert client.get("/depots/construire").text.count("BC-A") == 0


def test_the_check_compares_with_the_store_only_for_the_files_owner_or_the_operator(
    people: People, vendor_id: int, app: FastAPI, accounts: Accounts, tmp_path: Path, clock: Any
) -> None:
    """A solde in another vendor's name is never compared with that vendor's advances: their
    statuses and amounts are not the caller's to read."""
    built = built_advance(app, vendor_id, tmp_path, clock)
    web = app.state.sons

    def checking(email: str, path: Path) -> Any:
        caller = accounts.log_in("127.0.0.1", email, PASSWORD).caller
        return checking_engine(web.engine, scope_of(caller), path)

    assert checking(people.vendor_user, built.json_path) is web.engine
    assert checking(people.instructor, built.json_path) is web.engine
    assert checking(people.other_admin, built.json_path) is None
    unreadable = tmp_path / "illisible.json"
    unreadable.write_text("{", encoding="utf-8")
    assert checking(people.vendor_user, unreadable) is None


def test_the_operator_sees_filed_deposits_only_and_builds_none(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = built_advance(app, vendor_id, tmp_path, clock)
    log_in(client, people.instructor)
    assert client.get(f"/depots/{built.deposit.id}").status_code == 404
    assert client.get("/depots/construire").status_code == 403
    mark_filed(engine_of(app), built.deposit.name, vendor_id=vendor_id, actor="a", clock=clock)
    page = client.get(f"/depots/{built.deposit.id}")
    assert page.status_code == 200 and "Éditeur A" in text_of(page.text)
    assert client.get(f"/depots/{built.deposit.id}/json").status_code == 200


def test_a_balance_takes_the_invoice_uploaded_for_its_order(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    advance = built_advance(app, vendor_id, tmp_path, clock)
    mark_filed(engine_of(app), advance.deposit.name, vendor_id=vendor_id, actor="a", clock=clock)
    operator_fires(app, advance.requests[0].id, clock, "instruire", "valider", "payer")
    csrf = log_in(client, people.vendor_admin)
    fields = {"nature": "solde", "date": BALANCE_DAY.isoformat()}
    invoice = pdf("Facture BC-A")

    without = _build(client, csrf, "BC-A", **fields)
    assert without.status_code == 422
    assert "facture" in text_of(without.text).lower()

    response = client.post(
        "/depots/construire",
        data={"csrf_token": csrf, "dispositif": CODE, "bons": ["BC-A"], **fields},
        files={"facture:BC-A": ("facture BC-A.pdf", invoice, "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, text_of(response.text)
    deposit = max(list_deposits(engine_of(app), vendor_id), key=lambda d: d.id)
    assert deposit.kind == "solde"
    with zipfile.ZipFile(io.BytesIO(client.get(f"/depots/{deposit.id}/zip").content)) as pieces:
        contents = [pieces.read(name) for name in pieces.namelist()]
    assert invoice in contents
