"""`sons demo`'s evidence part: a generated transmissions log imported into the demo's store,
one order ready, one short of the threshold, one without qualified INS, and their documents
written as PDFs — run on the demo's orders only (the referential and deposits parts are the
other tests'), and rendered in French."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader

from sons.domain.evidence import readiness_text
from sons.entrypoints.cli.evidence import print_evidence_tour
from sons.entrypoints.cli.output import console
from sons.services.demo import DEMO_ACTOR, orders_tour
from sons.services.demo_data import VENDOR_SIRET
from sons.services.demo_evidence import evidence_tour
from sons.services.documents import DocumentKind


def text_of(path: Path) -> str:
    pages = PdfReader(io.BytesIO(path.read_bytes())).pages
    return " ".join(" ".join(p.extract_text().split()) for p in pages)


def test_the_demo_imports_a_log_shows_readiness_and_writes_the_documents(tmp_path: Path) -> None:
    output = tmp_path / "demo-output"
    orders = orders_tour(output, tmp_path / "var" / "demo.sqlite3")
    tour = evidence_tour(orders.database, output, VENDOR_SIRET, orders.report, DEMO_ACTOR)

    assert tour.log == output / "preuves" / "journal-des-envois.csv" and tour.log.is_file()
    assert tour.imported.batch is not None and tour.imported.rejected == 0
    assert tour.imported.stored == len(tour.log.read_text(encoding="utf-8").splitlines()) - 1
    ready, short, unqualified = tour.readiness.orders
    assert [o.number for o in tour.readiness.orders] == [n for n, _ in tour.orders]
    assert readiness_text(ready.verdict) == "Prêt pour le solde" and len(ready.sites) == 2
    assert readiness_text(short.verdict) == "Manque : DMP : 7/10 avec INS qualifiée"
    assert unqualified.verdict.ready is False
    assert "DMP : 0/10 avec INS qualifiée" in unqualified.verdict.gaps
    assert "MOM manquante" in unqualified.verdict.gaps
    assert all(not [f for f in m.findings if f.severity == "error"] for m in tour.moms)

    written = {(d.number, d.kind): d.path for d in tour.documents}
    assert set(written) == {(ready.number, kind) for kind in DocumentKind} | {
        (short.number, DocumentKind.BALANCE_SUMMARY),
        (unqualified.number, DocumentKind.BALANCE_SUMMARY),
    }
    mom = text_of(written[(ready.number, DocumentKind.MOM)])
    assert "12 (seuil atteint)" in mom and "RIS DÉMO" in mom
    summary = text_of(written[(unqualified.number, DocumentKind.BALANCE_SUMMARY)])
    assert "Verdict de la commande : Incomplet" in summary and "MOM manquante" in summary

    with console.capture() as captured:
        print_evidence_tour(tour)
    shown = " ".join(captured.get().split())
    assert f"sons evidence import {tour.log}" in shown
    assert f"Bon {short.number}" in shown and "7 / 10" in shown
    assert "1 prêt(s) pour le solde, 2 incomplet(s)" in shown
    assert f"sons document balance-summary {unqualified.number}" in shown

    assert sorted(p.name for p in (output / "preuves").iterdir()) == sorted(
        [tour.log.name, *(p.name for p in written.values())]
    )
