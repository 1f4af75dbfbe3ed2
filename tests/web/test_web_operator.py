"""The operator's pages: the queue, a request and its decisions, the a-posteriori controls;
vendors get 403, drafts stay the vendors', free text is escaped, CSRF on every form."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from web_filing import built_advance, engine_of, filed_advance, operator_fires, seed, text_of
from web_fixtures import People, TestClient, log_in

from sons.domain.workflow import ReasonCode, Status
from sons.services.deposits import import_deposit
from sons.services.requests import show_request

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def vendor_id(app: FastAPI, people: People, clock: Any) -> int:
    return seed(app, clock)


def test_vendors_get_403_on_every_operator_page(
    client: TestClient, people: People, vendor_id: int
) -> None:
    csrf = log_in(client, people.vendor_admin)
    for path in ("/operateur", "/operateur/controles", "/operateur/controles/x/y.csv"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Votre rôle ne donne pas accès à cette page" in text_of(response.text)
    assert client.post("/operateur/controles", data={"csrf_token": csrf}).status_code == 403


def test_the_queue_counts_per_status_and_dispositif_and_shows_incomplete_ones(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    filed = filed_advance(app, vendor_id, tmp_path / "depose", clock)
    draft = built_advance(app, vendor_id, tmp_path / "brouillon", clock, ("BC-B",))
    # The same file received by the operator with a zip whose piece does not match its SHA-256:
    # « incomplète » (pieces unreadable), as the operator's portal marks it.
    copy = tmp_path / "recu.json"
    copy.write_text(json.dumps(json.loads(draft.json_path.read_text("utf-8"))), "utf-8")
    broken_zip = tmp_path / "recu.zip"
    with zipfile.ZipFile(draft.zip_path) as source, zipfile.ZipFile(broken_zip, "w") as target:
        for name in source.namelist():
            target.writestr(name, b"%PDF-1.4 autre contenu")
    received = import_deposit(
        engine_of(app),
        copy,
        broken_zip,
        actor="instructeur@operateur.fr",
        today=clock().date(),
        clock=clock,
    )
    assert [r.status for r in received.requests] == [Status.INCOMPLETE]
    log_in(client, people.instructor)
    page = client.get("/operateur")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "1 demande(s) « incomplète(s) »" in text
    assert "Reçue, à instruire" in text and "Incomplète (pièces manquantes ou illisibles)" in text
    assert filed.requests[0].request_ref in text
    # The incomplete one comes first; the vendor's draft is not the operator's to see.
    listed = text[text.index("2 demande(s).") :]
    incomplete_ref, filed_ref = received.requests[0].request_ref, filed.requests[0].request_ref
    assert listed.index(incomplete_ref) < listed.index(filed_ref)
    assert "Brouillon" not in text
    assert client.get(f"/demandes/{draft.requests[0].id}").status_code == 404

    only = text_of(client.get("/operateur?statut=incomplete").text)
    assert "1 demande(s)." in only and received.requests[0].request_ref in only
    none = text_of(client.get("/operateur?dispositif=AUTRE").text)
    assert "0 demande(s)." in none


def test_an_instructor_sends_a_request_back_and_the_vendor_reads_why(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = filed_advance(app, vendor_id, tmp_path, clock)
    request_id = built.requests[0].id
    csrf = log_in(client, people.instructor)
    page = client.get(f"/demandes/{request_id}")
    assert page.status_code == 200
    assert "Demander une correction" in page.text and "Valider" not in text_of(page.text)

    without_reason = client.post(
        f"/demandes/{request_id}/actions/demander-correction",
        data={"csrf_token": csrf, "motif": "Bon illisible", "version": "2"},
    )
    assert without_reason.status_code == 422
    assert "exige un code de motif parmi : incorrect, incomplet, obsolete" in text_of(
        without_reason.text
    )
    response = client.post(
        f"/demandes/{request_id}/actions/demander-correction",
        data={"csrf_token": csrf, "motif": XSS, "code_motif": "incomplet"},
        files={"fichier": ("courrier.pdf", b"%PDF-1.4 courrier", "application/pdf")},
        follow_redirects=False,
    )
    assert response.status_code == 303, text_of(response.text)
    shown = client.get(response.headers["location"])
    assert "« Demander une correction » : fait, inscrit au journal." in text_of(shown.text)
    assert XSS not in shown.text and "&lt;script&gt;" in shown.text
    view = show_request(engine_of(app), str(request_id), vendor_id=None)
    assert view.request.status is Status.TO_AMEND
    last = view.history[-1]
    assert last.reason is ReasonCode.INCOMPLETE and last.motive == XSS
    assert last.file_name == "courrier.pdf" and last.actor == people.instructor

    client.post("/deconnexion", data={"csrf_token": csrf})
    log_in(client, people.vendor_user)
    vendor_page = client.get(f"/demandes/{request_id}")
    text = text_of(vendor_page.text)
    assert "Statut : A modifier" in text and "incomplet" in text and XSS in text
    assert XSS not in vendor_page.text
    assert "Déposer" in text  # the vendor answers by filing again
    waiting = text_of(client.get("/depots").text)
    assert f"Demandes à reprendre N° Identifiant Bon Dépôt Statut {request_id} " in waiting
    assert "A modifier" in waiting


def test_decisions_follow_the_workflow_table_up_to_payment(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = filed_advance(app, vendor_id, tmp_path, clock)
    request_id = built.requests[0].id
    csrf = log_in(client, people.operator_admin)

    def act(action: str, **data: str) -> Any:
        return client.post(
            f"/demandes/{request_id}/actions/{action}",
            data={"csrf_token": csrf, **data},
            follow_redirects=False,
        )

    payment = {"montant": "3 600,00", "date": "2022-12-01"}
    early = act("payer", **payment)
    assert early.status_code == 422
    assert "Impossible de « décider et payer »" in text_of(early.text)
    assert act("instruire").status_code == 303
    unmotivated = act("valider")
    assert unmotivated.status_code == 422
    assert "La décision « Valider » exige un motif" in text_of(unmotivated.text)
    assert act("valider", motif="Pièces conformes").status_code == 303
    too_much = act("payer", montant="3 600,01", date="2022-12-01")
    assert too_much.status_code == 422
    assert "dépasse le montant demandé" in text_of(too_much.text)
    unreadable = act("payer", montant="beaucoup", date="2022-12-01")
    assert unreadable.status_code == 422 and "Montant « beaucoup » illisible" in text_of(
        unreadable.text
    )
    paid = act("payer", **payment)
    assert paid.status_code == 303, text_of(paid.text)
    text = text_of(client.get(f"/demandes/{request_id}").text)
    assert "Statut : Décidée et payée" in text
    assert "Paiements" in text and "01/12/2022 3 600,00 €" in text
    assert "Émettre un ordre de recouvrement" in text
    vendor_only = act("retirer", motif="x")
    assert vendor_only.status_code == 422
    assert "« Retirer la demande » est réservé" in text_of(vendor_only.text)


def test_a_stale_page_does_not_overwrite_someone_elses_decision(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = filed_advance(app, vendor_id, tmp_path, clock)
    request_id = built.requests[0].id
    csrf = log_in(client, people.instructor)
    version = show_request(engine_of(app), str(request_id), vendor_id=None).request.version
    operator_fires(app, request_id, clock, "instruire")  # a colleague, meanwhile
    response = client.post(
        f"/demandes/{request_id}/actions/rejeter",
        data={"csrf_token": csrf, "motif": "Hors délai", "version": str(version)},
    )
    assert response.status_code == 409
    assert "La demande a changé pendant que vous la consultiez" in text_of(response.text)
    view = show_request(engine_of(app), str(request_id), vendor_id=None)
    assert view.request.status is Status.UNDER_REVIEW


def test_decision_forms_want_their_csrf_token(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    built = filed_advance(app, vendor_id, tmp_path, clock)
    request_id = built.requests[0].id
    log_in(client, people.instructor)
    for token in (None, "forge"):
        data = {"motif": "x", "code_motif": "incorrect"}
        if token:
            data["csrf_token"] = token
        for path in (f"/demandes/{request_id}/actions/demander-correction", "/operateur/controles"):
            response = client.post(path, data=data)
            assert response.status_code == 403, path
    view = show_request(engine_of(app), str(request_id), vendor_id=None)
    assert view.request.status is Status.FILED


def _controls(client: TestClient, csrf: str, **replace: bytes) -> Any:
    def part(name: str, default: str) -> tuple[str, bytes, str]:
        content = replace.get(name, (EXAMPLES / default).read_bytes())
        return (default, content, "text/csv")

    return client.post(
        "/operateur/controles",
        data={"csrf_token": csrf},
        files=[
            ("statistiques", part("statistiques", "statistiques-usage.csv")),
            ("soldes", part("soldes", "soldes-payes.csv")),
            ("etablissements", part("etablissements", "etablissements.csv")),
        ],
    )


def test_controls_show_the_verdicts_and_offer_the_reports_to_their_user_only(
    client: TestClient, app: FastAPI, people: People
) -> None:
    csrf = log_in(client, people.instructor)
    response = _controls(client, csrf)
    assert response.status_code == 200, text_of(response.text)
    text = text_of(response.text)
    assert "Contrôles par verdict" in text
    assert "non conforme" in text and "données absentes" in text
    assert "Éditeur de démo" in text
    links = sorted(set(re.findall(r'href="(/operateur/controles/[^"]+)"', response.text)))
    assert [link.rsplit("/", 1)[1] for link in links] == [
        "controles-a-posteriori.xlsx",
        "controles-detail.csv",
        "synthese-fournisseurs.csv",
    ]
    summary = client.get(next(link for link in links if link.endswith("fournisseurs.csv")))
    assert summary.status_code == 200 and summary.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(summary.content.decode("utf-8")), delimiter=";"))
    assert {row["siret_fournisseur"]: row["montant_en_jeu"] for row in rows}[
        "88888888000018"
    ] == "50400.00"
    workbook = client.get(next(link for link in links if link.endswith(".xlsx")))
    assert load_workbook(io.BytesIO(workbook.content), read_only=True).sheetnames

    client.post("/deconnexion", data={"csrf_token": csrf})
    log_in(client, people.operator_admin)
    assert client.get(links[0]).status_code == 404  # another user's run


def test_unusable_control_inputs_are_refused_with_their_place(
    client: TestClient, people: People
) -> None:
    csrf = log_in(client, people.instructor)
    missing_column = _controls(client, csrf, soldes=b"demande;dispositif\nS-1;RAD-RIS-Va1\n")
    assert missing_column.status_code == 422
    text = text_of(missing_column.text)
    assert "Entrée inutilisable : aucun contrôle réalisé" in text and "soldes" in text
    image = _controls(client, csrf, statistiques=b"\x89PNG\r\n\x1a\n\x00\x00")
    assert image.status_code == 415
    assert "une image PNG" in text_of(image.text)
    nothing = client.post("/operateur/controles", data={"csrf_token": csrf})
    assert nothing.status_code == 422
    assert "Les statistiques d'usage et l'annuaire des établissements" in text_of(nothing.text)


def test_without_a_balances_file_the_controls_read_the_stores_paid_balances(
    client: TestClient, people: People, vendor_id: int, app: FastAPI, tmp_path: Path, clock: Any
) -> None:
    # A paid advance is no balance: the store holds none to control yet.
    built = filed_advance(app, vendor_id, tmp_path, clock)
    operator_fires(app, built.requests[0].id, clock, "instruire", "valider", "payer")
    csrf = log_in(client, people.instructor)
    response = client.post(
        "/operateur/controles",
        data={"csrf_token": csrf},
        files=[
            ("statistiques", ("stats.csv", (EXAMPLES / "statistiques-usage.csv").read_bytes())),
            ("etablissements", ("etab.csv", (EXAMPLES / "etablissements.csv").read_bytes())),
        ],
    )
    assert response.status_code == 200, text_of(response.text)
    assert "Soldes : 0 lu(s), 0 contrôlé(s)" in text_of(response.text)
