"""The client questionnaire link: created and revoked by the vendor, opened without an account,
answered per site with the implications shown, submitted once; refused when altered, expired,
revoked or used, with nothing stored."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from argon2 import PasswordHasher
from editor_fixtures import ANSWERS, CLIENT_EJ, SITE_1, SOLUTION_A, order_form, seed
from fastapi import FastAPI
from itsdangerous import URLSafeSerializer
from sqlalchemy.engine import Engine
from web_fixtures import (
    OTHER_SIRET,
    PASSWORD,
    VENDOR_SIRET,
    People,
    SettableClock,
    TestClient,
    csrf_of,
    log_in,
)

from sons.entrypoints.web.app import create_app
from sons.entrypoints.web.settings import WebSettings
from sons.services.actors import reading
from sons.services.order_editing import OrderDraft, SiteDraft, save_draft
from sons.services.questionnaire_links import (
    LINK_SALT,
    LinkRefused,
    create_link,
    submit_answers,
)
from sons.store.orders import PURCHASE_ORDER, StoredOrder
from sons.store.questionnaire_links import (
    QUESTIONNAIRE_LINK,
    LinkClosedError,
    QuestionnaireLinkRepository,
)
from sons.store.unit_of_work import UnitOfWork

LINK = re.compile(r'<p class="secret" id="lien-cree">https?://[^/]+(/questionnaire/[^<]+)</p>')
MISSING = "SCENARIO_PROFILE_MISSING"


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def engine_of(app: FastAPI) -> Engine:
    engine: Engine = app.state.sons.engine
    return engine


def order(app: FastAPI) -> StoredOrder:
    with reading(engine_of(app)) as uow:
        found = uow.orders.get(uow.vendors.require_id("73282932000074"), "BC-1")
    assert found is not None
    return found


def vendor_link(client: TestClient, app: FastAPI, people: People, **form: str) -> str:
    """Vendor A's order BC-1 (its site answered but for one question) and a link for it."""
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    response = client.post(
        "/commandes/nouvelle",
        data=order_form(csrf, **{"site-0.q.identity_slave": ""}),
        follow_redirects=False,
    )
    assert response.status_code == 303
    created = client.post(
        "/liens-questionnaire",
        data={"csrf_token": csrf, "numero": "BC-1", "destinataire": "dsi@client.fr", **form},
    )
    assert created.status_code == 201, created.text
    assert "Copiez-le maintenant : il ne sera plus affiché." in unescape(created.text)
    found = LINK.search(created.text)
    assert found, "le lien créé n'est pas affiché"
    client.cookies.clear()  # the client has no account, no session
    return unescape(found.group(1))


def client_form(page: str, **overrides: str) -> dict[str, Any]:
    """The client's answers as posted from `page` (its CSRF token and version)."""
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version is not None
    fields: dict[str, Any] = {
        "csrf_token": csrf_of(page),
        "version": version.group(1),
        **{f"site-0.q.{qid}": value for qid, value in ANSWERS.items()},
        "nom": "Jeanne Client, DSI",
        "email": "jeanne@client.fr",
        "action": "envoyer",
    }
    fields.update(overrides)
    return fields


def test_the_client_answers_without_an_account_and_the_answers_land_in_the_order(
    client: TestClient, app: FastAPI, people: People, clock: SettableClock
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Questionnaire d'installation — bon de commande BC-1" in text
    assert "Éditeur A vous demande de répondre" in text
    assert f"Site n° 1 — FINESS {SITE_1} — CENTRE D'IMAGERIE MÉDICALE DE DÉMO - LYON 3" in text
    assert "Le système est-il configuré pour être esclave des identités ?" in text
    # What the answers imply, already for the vendor's draft answers.
    assert MISSING in text and "SCENARIO_ANSWER_MISSING" in text

    clock.advance(minutes=5)
    done = client.post(path, data=client_form(page.text))
    assert done.status_code == 200, text_of(done.text)
    assert "vos réponses au questionnaire du bon de commande BC-1 ont été transmises" in unescape(
        done.text
    )
    saved = order(app)
    assert saved.version == 2
    assert saved.order.sites[0].answers["identity_slave"] is False
    who = "Jeanne Client, DSI <jeanne@client.fr> (client, lien n° 1)"
    with reading(engine_of(app)) as uow:
        history = uow.journal.history(PURCHASE_ORDER, "BC-1")
        link_history = uow.journal.history(QUESTIONNAIRE_LINK, "1")
    assert (history[-1].action, history[-1].actor) == ("update", who)
    assert history[-1].at == clock.now
    assert [(e.action, e.actor) for e in link_history] == [
        ("create", people.vendor_user),
        ("update", who),
    ]

    # The vendor sees the answers and who gave them, when.
    log_in(client, people.vendor_user)
    vendor_page = text_of(client.get("/commandes/BC-1").text)
    assert "réponses reçues" in vendor_page
    assert f"reçues le 03/03/2025 à 10:05 de {who}" in vendor_page
    assert who in vendor_page  # in the history too


def test_a_submitted_link_cannot_be_reused(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text
    assert client.post(path, data=client_form(page)).status_code == 200
    for response in (client.get(path), client.post(path, data=client_form(page, nom="Autre"))):
        assert response.status_code == 410
        text = text_of(response.text)
        assert "Questionnaire déjà envoyé" in text
        assert "un lien ne sert qu'une fois" in text
    assert order(app).version == 2


def test_implications_update_with_the_answers(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text
    fields = client_form(page)
    shown = client.post(path + "/verification", data=fields)
    assert shown.status_code == 200
    assert MISSING in shown.text and 'data-live-region="site-0"' in shown.text
    fields["site-0.q.identity_referential"] = "non"
    assert MISSING not in client.post(path + "/verification", data=fields).text
    # Without JavaScript, « Vérifier mes réponses » re-renders the page; nothing is stored.
    fields["action"] = "verifier"
    again = client.post(path, data=fields)
    assert again.status_code == 200 and MISSING not in again.text
    assert order(app).version == 1


def test_incomplete_answers_are_not_sent_and_the_link_stays_open(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text
    response = client.post(
        path, data=client_form(page, email="pas-une-adresse", **{"site-0.q.dmp_direct": ""})
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Adresse électronique « pas-une-adresse » invalide" in text
    assert "1 réponse(s) manquante(s) ou à corriger" in text
    assert order(app).version == 1
    # A form without its sites' fields (hand-made) is incomplete too, never a server error.
    bare = {k: v for k, v in client_form(page).items() if not k.startswith("site-")}
    assert client.post(path, data=bare).status_code == 422
    assert client.post(path + "/verification", data=bare).status_code == 200
    assert order(app).version == 1
    assert client.get(path).status_code == 200


def test_altered_or_foreign_links_are_refused_with_403_and_nothing_stored(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text
    token = path.rsplit("/", 1)[1]
    forged = URLSafeSerializer("un autre secret", salt=LINK_SALT).dumps({"l": 1, "n": "x"})
    other_nonce = URLSafeSerializer(app.state.sons.settings.secret_key, salt=LINK_SALT).dumps(
        {"l": 1, "n": "pas le bon"}
    )
    # One character of the signature changed (not the last: base64 may drop its low bits).
    middle = len(token) - 10
    altered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for bad in (altered, forged, other_nonce, "n'importe-quoi"):
        for response in (
            client.get(f"/questionnaire/{bad}"),
            client.post(f"/questionnaire/{bad}", data=client_form(page)),
        ):
            assert response.status_code == 403, bad
            assert "Ce lien de questionnaire n'est pas valide" in unescape(response.text)
            assert "Cette demande n'a rien enregistré." in unescape(response.text)
    assert order(app).version == 1


def test_an_expired_link_answers_410_and_stores_nothing(
    client: TestClient, app: FastAPI, people: People, clock: SettableClock
) -> None:
    path = vendor_link(client, app, people, jours="2")
    page = client.get(path).text
    clock.advance(days=2)
    for response in (client.get(path), client.post(path, data=client_form(page))):
        assert response.status_code == 410
        assert "Ce lien a expiré le 05/03/2025 à 10:00" in unescape(response.text)
    assert order(app).version == 1


def test_a_revoked_link_answers_410_and_only_its_vendor_revokes_it(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text
    other = log_in(client, people.other_admin)
    assert (
        client.post("/liens-questionnaire/1/revoquer", data={"csrf_token": other}).status_code
        == 404
    )
    assert client.get(path).status_code == 200
    client.cookies.clear()
    csrf = log_in(client, people.vendor_user)
    revoked = client.post("/liens-questionnaire/1/revoquer", data={"csrf_token": csrf})
    assert revoked.status_code == 200
    assert "Lien n° 1 révoqué" in unescape(revoked.text)
    assert "révoqué le 03/03/2025" in unescape(revoked.text)
    client.cookies.clear()
    refused = client.get(path)
    # The client's next post carries the pre-session token its browser now holds.
    fields = client_form(page, csrf_token=client.cookies.get("sons_csrf") or "")
    for response in (refused, client.post(path, data=fields)):
        assert response.status_code == 410
        assert "Ce lien a été révoqué par l'éditeur" in unescape(response.text)
    assert order(app).version == 1


def test_a_vendor_save_meanwhile_is_not_overwritten(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text  # the client loads version 1
    csrf = log_in(client, people.vendor_user)
    saved = client.post(
        "/commandes/BC-1",
        data=order_form(
            csrf,
            signataire="Modifié par l'éditeur",
            version="1",
            **{"site-0.q.identity_slave": ""},
        ),
        follow_redirects=False,
    )
    assert saved.status_code == 303
    client.cookies.clear()
    page_again = client.get(path).text
    response = client.post(path, data=client_form(page_again, version="1"))
    assert response.status_code == 409
    assert "L'éditeur a modifié ce bon de commande pendant que vous répondiez" in unescape(
        response.text
    )
    assert order(app).version == 2
    # The page now carries the new version: sending again lands the answers, keeping the edit.
    assert client.post(path, data=client_form(response.text)).status_code == 200
    final = order(app)
    assert final.version == 3 and final.order.signatory == "Modifié par l'éditeur"
    assert final.order.sites[0].answers["identity_slave"] is False
    assert client_form(page)["version"] == "1"


def test_the_client_form_needs_its_csrf_token(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text
    for token in ("", "forge"):
        response = client.post(path, data=client_form(page, csrf_token=token))
        assert response.status_code == 403
    assert order(app).version == 1


def test_the_clients_name_is_rendered_escaped_to_the_vendor(
    client: TestClient, app: FastAPI, people: People
) -> None:
    path = vendor_link(client, app, people)
    page = client.get(path).text
    payload = "<script>alert(1)</script>"
    done = client.post(path, data=client_form(page, nom=payload))
    assert done.status_code == 200 and "<script>alert(1)" not in done.text
    log_in(client, people.vendor_user)
    vendor_page = client.get("/commandes/BC-1").text
    assert "<script>alert(1)" not in vendor_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in vendor_page


def test_a_link_needs_sites_and_a_sensible_validity(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    fields = order_form(csrf)
    for name in [n for n in fields if n.startswith("site-0.")]:
        del fields[name]
    assert (
        client.post("/commandes/nouvelle", data=fields, follow_redirects=False).status_code == 303
    )
    response = client.post("/liens-questionnaire", data={"csrf_token": csrf, "numero": "BC-1"})
    assert response.status_code == 422
    assert "Ce bon de commande n'a encore aucun site" in unescape(response.text)
    client.post("/commandes/BC-1", data=order_form(csrf, version="1"), follow_redirects=False)
    too_long = client.post(
        "/liens-questionnaire", data={"csrf_token": csrf, "numero": "BC-1", "jours": "365"}
    )
    assert too_long.status_code == 422
    assert "Durée de validité : entre 1 et 90 jours (365 reçu)." in unescape(too_long.text)


def test_a_link_closes_once_on_both_databases(any_database_url: str, clock: SettableClock) -> None:
    """The store's compare-and-set: a used link is never closed again, and a second submission
    of the same token is refused and changes nothing (SQLite and PostgreSQL)."""
    app = create_app(
        WebSettings(
            database_url=any_database_url,
            clock=clock,
            password_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
        )
    )
    sons = app.state.sons
    try:
        for email, siret in (("a@a.fr", VENDOR_SIRET), ("b@b.fr", OTHER_SIRET)):
            sons.accounts.create_user(
                "tests",
                org=siret,
                org_name=email,
                email=email,
                role="vendor_user",
                password=PASSWORD,
            )
        seed(sons.engine)
        caller = sons.accounts.log_in("127.0.0.1", "a@a.fr", PASSWORD).caller
        draft = OrderDraft(
            number="BC-1",
            solution=SOLUTION_A,
            dispositif="RAD-RIS-Va1",
            client_id=CLIENT_EJ,
            signed_on="2022-03-15",
            signatory="Dr Martin",
            prestation_ht="10",
            prestation_ttc="12",
            sites=(SiteDraft(SITE_1, {}),),
        )
        save_draft(
            sons.engine,
            caller,
            draft,
            today=sons.today(),
            referential=sons.referential,
            clock=clock,
        )
        secret = sons.settings.secret_key
        created = create_link(
            sons.engine, caller, "BC-1", recipient="", days=3, secret=secret, clock=clock
        )
        answers: dict[str, Any] = {
            "secret": secret,
            "referential": sons.referential,
            "name": "Jeanne",
            "email": "j@client.fr",
            "sites": [ANSWERS],
            "clock": clock,
        }
        _, saved = submit_answers(sons.engine, created.token, version=1, **answers)
        assert saved.version == 2
        with pytest.raises(LinkRefused) as refused:
            submit_answers(sons.engine, created.token, version=2, **answers)
        assert refused.value.status == 410
        with (
            pytest.raises(LinkClosedError, match="déjà révoqué ou déjà utilisé"),
            UnitOfWork(sons.engine, "tests", clock) as uow,
        ):
            QuestionnaireLinkRepository(uow.session, uow.journal, uow.now).mark_submitted(
                saved.vendor_id, created.link.id, "BC-1", by="autre"
            )
        with reading(sons.engine) as uow:
            assert uow.orders.require(saved.vendor_id, "BC-1").version == 2
            link = QuestionnaireLinkRepository(uow.session, uow.journal, uow.now).get(
                created.link.id
            )
        assert link is not None and link.submitted_by is not None
        assert link.submitted_by.startswith("Jeanne <j@client.fr>")
    finally:
        sons.engine.dispose()
