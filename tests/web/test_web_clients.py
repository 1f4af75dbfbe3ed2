"""Clients and sites (directory search, client card, FINESS extract upload) and solutions (list,
import), through the pages."""

from __future__ import annotations

import re
from html import unescape

from editor_fixtures import CLIENT_EJ, EXAMPLES, SITE_1, SOLUTION_A, seed
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from web_fixtures import People, TestClient, log_in

from sons.services.actors import reading


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def engine_of(app: FastAPI) -> Engine:
    engine: Engine = app.state.sons.engine
    return engine


def establishments(app: FastAPI) -> int:
    with reading(engine_of(app)) as uow:
        return uow.directory.count_establishments()


def upload(client: TestClient, csrf: str, path: str, name: str, content: bytes) -> object:
    return client.post(
        path, data={"csrf_token": csrf}, files={"fichier": (name, content, "text/csv")}
    )


def test_an_administrator_imports_the_finess_extract_once(
    client: TestClient, app: FastAPI, people: People
) -> None:
    csrf = log_in(client, people.vendor_admin)
    content = (EXAMPLES / "finess-extrait.csv").read_bytes()
    first = client.post(
        "/clients/import-finess",
        data={"csrf_token": csrf},
        files={"fichier": ("finess-extrait.csv", content, "text/csv")},
    )
    assert first.status_code == 200
    text = text_of(first.text)
    assert "finess-extrait.csv (extrait FINESS) importé (import n° 1)" in text
    count = establishments(app)
    assert count > 0
    again = client.post(
        "/clients/import-finess",
        data={"csrf_token": csrf},
        files={"fichier": ("copie.csv", content, "text/csv")},
    )
    assert "a déjà été importé le 2025-03-03 à 09:00 UTC par admin@editeur-a.fr" in text_of(
        again.text
    )
    assert establishments(app) == count


def test_a_latin1_extract_is_read_and_a_broken_one_refused_with_its_line(
    client: TestClient, app: FastAPI, people: People
) -> None:
    csrf = log_in(client, people.operator_admin)
    text = (EXAMPLES / "finess-extrait.csv").read_text(encoding="utf-8")
    latin1 = client.post(
        "/clients/import-finess",
        data={"csrf_token": csrf},
        files={"fichier": ("latin1.csv", text.encode("latin-1"), "text/csv")},
    )
    assert latin1.status_code == 200, text_of(latin1.text)
    assert "importé" in text_of(latin1.text)
    count = establishments(app)
    lines = text.splitlines()
    broken_line = lines[2].replace(lines[2].split(";")[1], "12345", 1)
    broken = "\n".join([*lines[:2], broken_line, *lines[3:]]) + "\n"
    refused = client.post(
        "/clients/import-finess",
        data={"csrf_token": csrf},
        files={"fichier": ("casse.csv", broken.encode("utf-8"), "text/csv")},
    )
    assert refused.status_code == 422
    shown = text_of(refused.text)
    assert "Fichier refusé, rien n'est enregistré" in shown
    assert "casse.csv, ligne 3, colonne « nofinesset »" in shown
    assert "Numéro FINESS 12345 : 5 caractère(s) au lieu de 9" in shown
    assert establishments(app) == count


def test_the_finess_upload_is_for_administrators_sniffed_and_csrf_protected(
    client: TestClient, app: FastAPI, people: People
) -> None:
    csrf = log_in(client, people.vendor_user)
    content = (EXAMPLES / "finess-extrait.csv").read_bytes()
    refused = client.post(
        "/clients/import-finess",
        data={"csrf_token": csrf},
        files={"fichier": ("f.csv", content, "text/csv")},
    )
    assert refused.status_code == 403
    client.cookies.clear()
    admin = log_in(client, people.vendor_admin)
    image = client.post(
        "/clients/import-finess",
        data={"csrf_token": admin},
        files={"fichier": ("f.csv", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "text/csv")},
    )
    assert image.status_code == 415
    assert "« f.csv » est une image PNG" in unescape(image.text)
    for token in ("", "forge"):
        response = client.post(
            "/clients/import-finess",
            data={"csrf_token": token},
            files={"fichier": ("f.csv", content, "text/csv")},
        )
        assert response.status_code == 403
    assert establishments(app) == 0


def test_clients_are_searched_by_name_department_and_finess(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    log_in(client, people.vendor_user)
    by_name = text_of(client.get("/clients", params={"q": "imagerie"}).text)
    assert SITE_1 in by_name and "CENTRE D'IMAGERIE MÉDICALE DE DÉMO - LYON 3" in by_name
    assert "010999027" not in by_name
    by_department = text_of(client.get("/clients", params={"departement": "1"}).text)
    assert "010999027" in by_department and SITE_1 not in by_department
    by_number = client.get("/clients", params={"q": SITE_1}, follow_redirects=False)
    assert by_number.headers["location"] == f"/clients/{SITE_1}"
    unknown = client.get("/clients", params={"q": "999999999"})
    assert "Le FINESS 999999999 n'est ni un établissement (ET)" in unescape(unknown.text)
    hostile = client.get("/clients", params={"q": "<script>x</script>' OR 1=1 --"})
    assert hostile.status_code == 200
    assert "<script>x" not in hostile.text and "&lt;script&gt;x" in hostile.text


def test_a_client_card_shows_its_sites_and_status(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    log_in(client, people.vendor_user)
    card = text_of(client.get(f"/clients/{CLIENT_EJ}").text)
    assert "SELARL IMAGERIE DE DÉMO" in card
    assert "Sites de l'entité juridique (2)" in card and SITE_1 in card
    assert "privé" in card
    new_order = client.get(f"/commandes/nouvelle?client={CLIENT_EJ}").text
    assert f'name="client" value="{CLIENT_EJ}"' in new_order
    site = text_of(client.get(f"/clients/{SITE_1}").text)
    assert "ES-PMSI" in site and f"{SITE_1} (établissement, ET)" in site
    missing = client.get("/clients/999999999")
    assert missing.status_code == 404
    assert "Le FINESS 999999999 n'est ni un établissement" in unescape(missing.text)


def test_solutions_are_listed_per_vendor_and_imported(
    client: TestClient, app: FastAPI, people: People
) -> None:
    seed(engine_of(app))
    csrf = log_in(client, people.vendor_user)
    listed = text_of(client.get("/solutions").text)
    assert SOLUTION_A in listed and "REF-B-RIS" not in listed
    assert "Général ; Opérateur Mailiz" in listed
    content = (EXAMPLES / "solutions.csv").read_bytes()
    imported = client.post(
        "/solutions/import",
        data={"csrf_token": csrf},
        files={"fichier": ("solutions.csv", content, "text/csv")},
    )
    assert imported.status_code == 200
    assert "solutions.csv (solutions) importé" in text_of(imported.text)
    assert "REF-DEMO-DPI-001" in text_of(imported.text)
    broken = content.decode("utf-8").replace("2022-02-15", "2022-02-31").encode("utf-8")
    refused = client.post(
        "/solutions/import",
        data={"csrf_token": csrf},
        files={"fichier": ("casse.csv", broken, "text/csv")},
    )
    assert refused.status_code == 422
    assert "casse.csv, ligne 2" in text_of(refused.text)
    client.cookies.clear()
    log_in(client, people.other_admin)
    assert "REF-DEMO-DPI-001" not in client.get("/solutions").text


def test_the_operator_has_no_solutions_page(
    client: TestClient, app: FastAPI, people: People
) -> None:
    log_in(client, people.instructor)
    response = client.get("/solutions")
    assert response.status_code == 403
    assert "ce compte n'est rattaché à aucun éditeur" in unescape(response.text)
