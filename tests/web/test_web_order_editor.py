"""The order editor: create, check as answers change, save with optimistic locking, tenancy,
CSRF and escaping. Pages through FastAPI's TestClient on a real SQLite file."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from editor_fixtures import CLIENT_EJ, SITE_1, SITE_2, SOLUTION_A, order_form, seed
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from web_fixtures import People, TestClient, log_in

from sons.services.actors import reading
from sons.store.orders import PURCHASE_ORDER, StoredOrder

MISSING = "SCENARIO_PROFILE_MISSING"


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def engine_of(app: FastAPI) -> Engine:
    engine: Engine = app.state.sons.engine
    return engine


def stored(
    app: FastAPI, number: str = "BC-1", siret_vendor: int | None = None
) -> StoredOrder | None:
    with reading(engine_of(app)) as uow:
        vendor_id = siret_vendor or uow.vendors.require_id("73282932000074")
        return uow.orders.get(vendor_id, number)


def create(client: TestClient, csrf: str, **overrides: str) -> Any:
    return client.post(
        "/commandes/nouvelle", data=order_form(csrf, **overrides), follow_redirects=False
    )


def test_a_new_order_is_saved_with_its_sites_answers_and_lines_journaled_with_the_user(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    page = client.get("/commandes/nouvelle")
    assert page.status_code == 200
    # The questionnaire is the referential's, word for word.
    assert "Le client est-il configuré pour être référentiel d&#39;identité ?" in page.text

    response = create(client, csrf)
    assert response.status_code == 303
    assert response.headers["location"] == "/commandes/BC-1?enregistre=1"
    saved = stored(app)
    assert saved is not None and saved.version == 1
    order = saved.order
    assert order.client_id == CLIENT_EJ and order.prestation_ht_cents == 1_200_000
    assert [s.finess_et for s in order.sites] == [SITE_1]
    assert order.sites[0].answers["identity_referential"] is True
    assert order.sites[0].answers["mss_operator"] == "Mailiz"
    assert [(line.label, line.amount_ht_cents) for line in order.lines] == [("Licence", 1_200_000)]
    with reading(engine_of(app)) as uow:
        history = uow.journal.history(PURCHASE_ORDER, "BC-1")
    assert [(e.action, e.actor) for e in history] == [("create", people.vendor_user)]

    text = text_of(client.get(response.headers["location"]).text)
    assert "Bon de commande BC-1 enregistré (version 1)." in text
    assert "création" in text and people.vendor_user in text


def test_findings_follow_the_answers_each_explained_by_answer_profile_and_source(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    fragment = client.post("/commandes/verification", data=order_form(csrf))
    assert fragment.status_code == 200
    text = text_of(fragment.text)
    assert MISSING in text
    # Which answer, which profile, which source.
    assert (
        "Le profil « Référentiel d'identités » est requis car réponse « Le client est-il "
        "configuré pour être référentiel d'identité ? » (identity_referential) = Oui" in text
    )
    assert "Profils RAD-RIS-Va1" in text
    assert 'data-live-region="site-0"' in fragment.text
    assert 'data-live-region="commande"' in fragment.text

    lifted = client.post(
        "/commandes/verification",
        data=order_form(csrf, **{"site-0.q.identity_referential": "non"}),
    )
    assert MISSING not in lifted.text
    # A review stores nothing.
    assert stored(app) is None


def test_verifier_without_javascript_shows_the_same_and_stores_nothing(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    page = client.post("/commandes/nouvelle", data=order_form(csrf, action="verifier"))
    assert page.status_code == 200
    assert MISSING in page.text
    assert stored(app) is None


def test_unreadable_fields_are_named_and_nothing_is_stored(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    response = create(
        client,
        csrf,
        date_signature="15/03/2022x",
        prestation_ht="12,345",
        numero_referencement="INCONNUE",
    )
    assert response.status_code == 422
    text = text_of(response.text)
    assert "Le bon de commande n'est pas enregistré : corrigez les champs signalés." in text
    assert "Date de signature : « 15/03/2022x » n'est pas une date au format AAAA-MM-JJ." in text
    assert "Montant de la Prestation Ségur HT : Montant « 12,345 » : au plus deux décimales" in text
    assert "Solution « INCONNUE » inconnue pour cet éditeur" in text
    assert "date_signature" in text and "prestation_ht" in text
    assert stored(app) is None


def test_sites_are_added_and_removed_by_buttons_without_javascript(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    added = client.post("/commandes/nouvelle", data=order_form(csrf, action="ajouter-site"))
    assert 'name="site-1.finess_et"' in added.text
    assert 'name="site-1.q.identity_referential"' in added.text
    fields = order_form(csrf, action="retirer-site-0")
    fields["site-1.finess_et"] = SITE_2
    removed = client.post("/commandes/nouvelle", data=fields)
    assert 'name="site-1.finess_et"' not in removed.text
    assert f'name="site-0.finess_et" value="{SITE_2}"' in removed.text
    assert stored(app) is None


def test_a_concurrent_edit_is_refused_in_french_and_nothing_is_lost(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    create(client, csrf)
    # Two editors opened version 1; the first saves, then the second.
    first = client.post(
        "/commandes/BC-1",
        data=order_form(csrf, signataire="Premier", version="1"),
        follow_redirects=False,
    )
    assert first.status_code == 303
    second = client.post("/commandes/BC-1", data=order_form(csrf, signataire="Second", version="1"))
    assert second.status_code == 409
    assert (
        "Le bon de commande BC-1 a été modifié par ailleurs (version 1 attendue, 2 trouvée)"
        in unescape(second.text)
    )
    assert "Vos modifications ne sont pas enregistrées" in unescape(second.text)
    saved = stored(app)
    assert saved is not None and saved.version == 2 and saved.order.signatory == "Premier"


def test_an_edit_keeps_the_number_and_a_taken_number_is_refused(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    create(client, csrf)
    renamed = client.post(
        "/commandes/BC-1",
        data=order_form(csrf, number="AUTRE", version="1", signataire="Modifié"),
        follow_redirects=False,
    )
    assert renamed.headers["location"] == "/commandes/BC-1?enregistre=1"
    assert stored(app, "AUTRE") is None
    again = create(client, csrf)
    assert again.status_code == 409
    assert "déjà enregistré(s) pour cet éditeur : BC-1" in unescape(again.text)


def test_another_tenants_order_answers_404_and_its_solution_is_unknown(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    create(client, csrf)
    client.cookies.clear()
    other = log_in(client, people.other_admin)
    for response in (
        client.get("/commandes/BC-1"),
        client.post("/commandes/BC-1", data=order_form(other, version="1")),
        client.post("/liens-questionnaire", data={"csrf_token": other, "numero": "BC-1"}),
    ):
        assert response.status_code == 404
        assert "Dr Claire Martin" not in response.text
    # Vendor B cannot order vendor A's solution: it is unknown to B.
    refused = create(client, other, number="B-1", numero_referencement=SOLUTION_A)
    assert refused.status_code == 422
    assert f"Solution « {SOLUTION_A} » inconnue pour cet éditeur" in unescape(refused.text)
    saved = stored(app)
    assert saved is not None and saved.version == 1


def test_the_operator_reads_an_order_but_does_not_enter_any(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    create(client, log_in(client, people.vendor_user))
    client.cookies.clear()
    csrf = log_in(client, people.instructor)
    response = client.get("/commandes/nouvelle")
    assert response.status_code == 403
    assert "L'opérateur consulte les bons de commande ; il ne les saisit pas." in unescape(
        response.text
    )
    saved = stored(app)
    assert saved is not None
    view = client.get(f"/commandes/BC-1?editeur={saved.vendor_id}")
    assert view.status_code == 200
    text = text_of(view.text)
    assert "Consultation par l'opérateur" in text and MISSING in text
    assert "identity_referential : Oui" in text
    assert client.get("/commandes/BC-1").status_code == 404
    assert client.get(f"/commandes/BC-1?editeur={saved.vendor_id + 1}").status_code == 404
    refused = client.post("/commandes/BC-1", data=order_form(csrf, version="1"))
    assert refused.status_code == 403


def test_missing_or_forged_csrf_tokens_are_refused_and_nothing_is_stored(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    for token in ("", "forge-" + csrf[6:], csrf + "x"):
        for path in ("/commandes/nouvelle", "/commandes/verification"):
            fields = order_form(csrf)
            fields["csrf_token"] = token
            response = client.post(path, data=fields)
            assert response.status_code == 403, (path, token)
            assert "Jeton de sécurité (CSRF) absent ou invalide" in response.text
    assert stored(app) is None


def test_free_text_is_rendered_escaped(client: TestClient, app: FastAPI, people: People) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    payload = '<script>alert("sons")</script><img src=x onerror=alert(1)>'
    response = create(
        client,
        csrf,
        signataire=payload,
        **{"ligne-0.libelle": payload, "site-0.q.mss_operator": payload},
    )
    assert response.status_code == 303
    page = client.get("/commandes/BC-1").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;sons&#34;)&lt;/script&gt;" in page
    fragment = client.post(
        "/commandes/verification",
        data=order_form(csrf, **{"site-0.finess_et": payload, "numero": payload}),
    ).text
    assert "<script>alert" not in fragment and "<img src=x" not in fragment


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/commandes/nouvelle", "/commandes/BC-1", "/clients", "/solutions"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/connexion?suivant=")
