"""The evidence pages: readiness per order and site, a signed VA uploaded (a tampered one kept
« rejetée »), the order's documents as real PDFs; vendor roles only, each its own orders."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from web_filing import engine_of, seed, text_of
from web_fixtures import People, TestClient, log_in

from evidence_samples import altered, signed_pdf
from sons.services.evidence import readiness


@pytest.fixture
def vendor_id(app: FastAPI, people: People, clock: Any) -> int:
    return seed(app, clock)


def _send_va(client: TestClient, csrf: str, content: bytes, site: str = "130000029") -> Any:
    return client.post(
        "/preuves/BC-B/va",
        data={"csrf_token": csrf, "site": site},
        files={"fichier": ("va signée.pdf", content, "application/pdf")},
    )


def test_readiness_says_what_is_missing_per_order_and_site(
    client: TestClient, people: People, vendor_id: int
) -> None:
    log_in(client, people.vendor_user)
    text = text_of(client.get("/preuves").text)
    assert "3 bon(s) : 0 prêt(s) pour le solde, 3 incomplet(s)" in text
    assert "Manque : DMP : 0/10 avec INS qualifiée ; MOM manquante" in text

    order = text_of(client.get("/preuves/BC-B").text)
    assert "Preuves du bon BC-B" in order
    assert "130000029 commandé DMP via un logiciel tiers" in order
    assert "DMP via un logiciel tiers : 0/10 avec INS qualifiée VA manquante" in order
    assert client.get("/preuves/BC-INCONNU").status_code == 404


def test_a_signed_va_is_recorded_and_a_tampered_one_is_shown_rejected(
    client: TestClient, people: People, vendor_id: int, app: FastAPI
) -> None:
    csrf = log_in(client, people.vendor_admin)
    signed = signed_pdf()

    tampered = _send_va(client, csrf, altered(signed))
    assert tampered.status_code == 422
    text = text_of(tampered.text)
    assert "rejetée pour le site 130000029" in text
    assert "signature invalide" in text
    assert "VA présente mais inutilisable (signature non valide)" in text

    accepted = _send_va(client, csrf, signed)
    assert accepted.status_code == 201, text_of(accepted.text)
    text = text_of(accepted.text)
    assert "enregistrée pour le site 130000029" in text and "signature intègre" in text
    assert "VA manquante" not in text and "VA présente" in text
    (order,) = readiness(engine_of(app), vendor_id=vendor_id, numbers=["BC-B"]).orders
    assert "VA manquante" not in " ".join(order.verdict.gaps)


def test_unusable_va_uploads_are_refused_and_store_nothing(
    client: TestClient, people: People, vendor_id: int, app: FastAPI
) -> None:
    csrf = log_in(client, people.vendor_user)
    image = _send_va(client, csrf, b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert image.status_code == 415
    assert "une image PNG, d'après son contenu ; attendu : PDF" in text_of(image.text)
    wrong_site = _send_va(client, csrf, signed_pdf(), site="750000028")
    assert wrong_site.status_code == 422
    assert "Le site FINESS 750000028 n'est pas un site du bon de commande BC-B" in text_of(
        wrong_site.text
    )
    no_file = client.post("/preuves/BC-B/va", data={"csrf_token": csrf, "site": "130000029"})
    assert no_file.status_code == 422
    for forged in ({}, {"csrf_token": "forge"}):
        response = client.post(
            "/preuves/BC-B/va",
            data={**forged, "site": "130000029"},
            files={"fichier": ("va.pdf", signed_pdf(), "application/pdf")},
        )
        assert response.status_code == 403
    (order,) = readiness(engine_of(app), vendor_id=vendor_id, numbers=["BC-B"]).orders
    assert any("VA manquante" in gap for gap in order.verdict.gaps)


def test_documents_download_as_real_pdfs(
    client: TestClient, people: People, vendor_id: int
) -> None:
    log_in(client, people.vendor_user)
    page = client.get("/preuves/BC-A").text
    for kind in ("order", "mom", "va", "balance-summary"):
        assert f'href="/preuves/BC-A/documents/{kind}"' in page
    # Two of the four (each takes a second to render; the documents' own tests read all four).
    for kind, name in (
        ("order", "bon-de-commande-BC-A.pdf"),
        ("balance-summary", "recapitulatif-solde-BC-A.pdf"),
    ):
        response = client.get(f"/preuves/BC-A/documents/{kind}")
        assert response.status_code == 200, kind
        assert response.headers["content-type"] == "application/pdf"
        assert f'filename="{name}"' in response.headers["content-disposition"]
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        assert "BC-A" in text, kind
    assert client.get("/preuves/BC-A/documents/inconnu").status_code == 422


def test_evidence_pages_are_the_vendors_own(
    client: TestClient, people: People, vendor_id: int
) -> None:
    csrf = log_in(client, people.other_admin)
    assert "BC-A" not in client.get("/preuves").text
    for path in ("/preuves/BC-A", "/preuves/BC-A/documents/order"):
        assert client.get(path).status_code == 404, path
    assert _send_va(client, csrf, signed_pdf()).status_code == 404
    client.post("/deconnexion", data={"csrf_token": csrf})
    log_in(client, people.instructor)
    for path in ("/preuves", "/preuves/BC-A", "/preuves/BC-A/documents/order"):
        assert client.get(path).status_code == 403, path
