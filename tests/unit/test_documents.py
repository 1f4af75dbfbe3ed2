"""The generated PDFs, read back: golden text, determinism, readability, atomic writing.

Goldens live in tests/golden/*.txt (text as pypdf extracts it, compared whitespace-normalised).
After a reviewed change of a document, regenerate them with SONS_UPDATE_GOLDEN=1 and read the
diff before committing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from pypdf import PdfReader

from sons.documents import fonts
from sons.documents.balance_evidence import (
    ConditionStatus,
    FlowEvidence,
    condition_verdict,
    order_verdict,
)
from sons.documents.balance_summary_pdf import render_balance_summary
from sons.documents.context import DocumentContext, DocumentError
from sons.documents.layout import question_chunks, write_pdf
from sons.documents.mom_pdf import render_mom
from sons.documents.order_pdf import render_order
from sons.documents.va_pdf import render_va, validated_interfaces
from sons.domain.identifiers import luhn_check_digit
from sons.domain.money import format_euros
from sons.domain.orders import (
    FUNDED_DIMENSION_LABELS,
    NOT_FUNDED_LABELS,
    ClientKind,
    FundedDimension,
    NotFunded,
    OrderLine,
    PurchaseOrder,
    Site,
    SiteScenario,
    Solution,
    Vendor,
)
from sons.referential.loader import DispositifAtDate, default_referential
from sons.referential.model import BalanceCondition, Evidence, Flow, Route
from sons.referential.scenario import applicable_balance_conditions

GOLDEN = Path(__file__).parent.parent / "golden"
CREATED = dt.datetime(2022, 5, 2, 9, 30, tzinfo=dt.UTC)
PERIOD = (dt.date(2022, 9, 1), dt.date(2022, 11, 30))

PARIS = "750712184"
BOURG = "010780054"

RIS_ANSWERS = {
    "identity_referential": True,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": True,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": True,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": True,
}
BOURG_ANSWERS = {**RIS_ANSWERS, "mss_operator": None, "dmp_direct": False, "dmp_via_pfi": True}


def ris_view() -> DispositifAtDate:
    return default_referential().at("RAD-RIS-Va1", dt.date(2022, 5, 1))


def make_context(
    *,
    under_condition: bool = True,
    scenarios: Sequence[SiteScenario] = (
        SiteScenario(PARIS, RIS_ANSWERS),
        SiteScenario(BOURG, BOURG_ANSWERS),
    ),
    sites: Sequence[Site] = (
        Site(PARIS, PARIS, "Imagerie Paris Centre"),
        Site(BOURG, BOURG, "Imagerie de Bourg-en-Bresse"),
    ),
    creation_date: dt.datetime = CREATED,
    logo: Path | None = None,
    view: DispositifAtDate | None = None,
) -> DocumentContext:
    view = view or ris_view()
    vendor = Vendor("Éditions Radiologiques Œuvre & Cie", "732829320", "73282932000074")
    solution = Solution(
        "RadioFlux RIS",
        "5.2.1",
        "SEGUR-RIS-2022-0042",
        view.code,
        frozenset({"general"}),
        dt.date(2022, 3, 15),
    )
    lines = (
        OrderLine("Licence RIS — module DMP et MSS", 600_000, FundedDimension.LICENCE),
        OrderLine("Installation et paramétrage", 334_567, FundedDimension.INSTALLATION),
        OrderLine("Formation des manipulateurs (2 jours)", 300_000, FundedDimension.TRAINING),
        OrderLine(
            "Boîtes aux lettres MSS organisationnelles",
            45_000,
            not_funded=NotFunded.MSS_MAILBOXES,
        ),
        OrderLine("Serveur supplémentaire", 120_000, not_funded=NotFunded.INFRASTRUCTURE),
    )
    order = PurchaseOrder(
        number="BDC-2022-0117",
        vendor_siret=vendor.siret,
        solution_referencing_number=solution.referencing_number,
        dispositif=view.code,
        client_kind=ClientKind.LEGAL_ENTITY,
        client_id=PARIS,
        signed_on=dt.date(2022, 5, 1),
        signatory="Dr Émilie Lefèvre",
        prestation_ht_cents=1_234_567,
        prestation_ttc_cents=1_481_480,
        referential_pin="1.0.0+golden000000",  # the real pin moves with every data change
        under_referencing_condition=under_condition,
        sites=tuple(scenarios),
        lines=lines,
    )
    return DocumentContext(
        order=order,
        vendor=vendor,
        solution=solution,
        client_name="Centre d'imagerie de l'Œuf",
        view=view,
        creation_date=creation_date,
        sites=tuple(sites),
        logo=logo,
    )


def conditions() -> dict[str, BalanceCondition]:
    return {c.id: c for c in ris_view().balance_conditions}


def mom_evidence() -> list[FlowEvidence]:
    c = conditions()
    return [
        FlowEvidence.for_condition(PARIS, c["dmp_direct"], 12, *PERIOD),
        FlowEvidence.for_condition(PARIS, c["mss_pro_direct"], 7, *PERIOD),
    ]


def statuses() -> list[ConditionStatus]:
    c = conditions()
    return [
        ConditionStatus.for_condition(PARIS, c["dmp_direct"], 12, *PERIOD, evidence_present=True),
        ConditionStatus.for_condition(
            PARIS, c["mss_pro_direct"], 7, *PERIOD, evidence_present=False
        ),
        ConditionStatus.for_condition(
            PARIS, c["mss_patient_third_party"], 1, *PERIOD, evidence_present=True
        ),
        ConditionStatus.for_condition(
            BOURG, c["dmp_third_party"], 10, *PERIOD, evidence_present=False
        ),
    ]


def render(kind: str, context: DocumentContext) -> bytes:
    installed = context.order.sites
    if kind == "order":
        return render_order(context)
    if kind == "mom":
        return render_mom(context, installed, mom_evidence())
    if kind == "va":
        return render_va(context, installed)
    return render_balance_summary(context, statuses())


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def normalised(text: str) -> str:
    return " ".join(text.split())


KINDS = ("order", "mom", "va", "balance_summary")


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    context = make_context()
    return {kind: render(kind, context) for kind in KINDS}


# --- golden text -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_document_text_matches_golden(kind: str, rendered: dict[str, bytes]) -> None:
    golden = GOLDEN / f"{kind}_rad_ris_va1.txt"
    text = text_of(rendered[kind])
    if os.environ.get("SONS_UPDATE_GOLDEN"):
        golden.write_text(text + "\n", encoding="utf-8")
    assert golden.is_file(), f"{golden} absent : le générer avec SONS_UPDATE_GOLDEN=1"
    assert normalised(text) == normalised(golden.read_text(encoding="utf-8"))


def test_order_shows_amounts_sites_and_dimensions(rendered: dict[str, bytes]) -> None:
    text = normalised(text_of(rendered["order"]))
    assert "Prestation Ségur HT 12 345,67 €" in text
    assert "Prestation Ségur TTC 14 814,80 €" in text
    assert "SIRET 73282932000074" in text
    assert f"FINESS EJ {PARIS}" in text
    assert "SEGUR-RIS-2022-0042" in text and "5.2.1" in text
    assert "FINESS Q1 Q2 Q3 Q4 Q5 Q6 Q7 Q8 Q9 Q10 Q11 Q12" in text
    assert f"{PARIS} Imagerie Paris Centre Oui Non Mailiz Non Oui Non Oui Non Oui" in text
    for label in FUNDED_DIMENSION_LABELS.values():
        assert normalised(label) in text
    for category in (NotFunded.MSS_MAILBOXES, NotFunded.INFRASTRUCTURE):
        assert normalised(NOT_FUNDED_LABELS[category]) in text
    assert "Total des dimensions financées 12 345,67 €" in text
    assert "Total hors Prestation Ségur 1 650,00 €" in text


def test_referencing_mention_only_when_the_order_carries_it(rendered: dict[str, bytes]) -> None:
    with_mention = normalised(text_of(rendered["order"]))
    without = normalised(text_of(render_order(make_context(under_condition=False))))
    assert "sous condition de référencement" in with_mention
    assert "Formulation exacte de l'AF : non renseignée" in with_mention
    assert "sous condition de référencement" not in without
    assert "Formulation exacte de l'AF" not in without


def test_mom_lists_conditions_counts_and_missing_counts(rendered: dict[str, bytes]) -> None:
    text = normalised(text_of(rendered["mom"]))
    c = conditions()
    assert c["dmp_direct"].condition in text
    assert "12 (seuil atteint)" in text
    assert "7 (seuil non atteint)" in text
    assert "du 01/09/2022 au 30/11/2022" in text
    # Bourg sends MSS Pro directly (a MOM flow) but no count was given: said, not hidden.
    bourg = text[text.index(f"Site FINESS {BOURG}") :]
    assert "MSS Pro — envoi direct" in bourg
    assert "aucun décompte fourni" in bourg


def test_va_lists_validated_interfaces_and_va_conditions(rendered: dict[str, bytes]) -> None:
    text = normalised(text_of(rendered["va"]))
    bourg = text[text.index(f"Site FINESS {BOURG}") :]
    assert "Interface validée en production : DMP — via un logiciel tiers" in bourg
    assert "Interface validée en production : DMP — envoi direct" not in bourg
    assert conditions()["dmp_third_party"].condition in bourg
    assert "Pour le client final" in text and "Fonction" in text


def test_balance_summary_verdicts(rendered: dict[str, bytes]) -> None:
    text = normalised(text_of(rendered["balance_summary"]))
    assert "Verdict de la commande : Incomplet : 2 condition(s) non remplie(s)" in text
    assert "Manque 3 envoi(s) et la MOM" in text
    assert "MOM présente" in text and "VA manquante" in text


# --- determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_same_input_gives_identical_bytes(kind: str, rendered: dict[str, bytes]) -> None:
    assert render(kind, make_context()) == rendered[kind]


def test_creation_date_is_the_injected_one(rendered: dict[str, bytes]) -> None:
    info = PdfReader(io.BytesIO(rendered["order"])).metadata
    assert info is not None and info.creation_date == CREATED
    later = render_order(make_context(creation_date=CREATED + dt.timedelta(days=1)))
    assert later != rendered["order"]


def test_naive_creation_date_means_utc(rendered: dict[str, bytes]) -> None:
    naive = render_order(make_context(creation_date=CREATED.replace(tzinfo=None)))
    assert naive == rendered["order"]


def test_bytes_identical_in_another_process(rendered: dict[str, bytes]) -> None:
    script = (
        "import hashlib, sys; sys.path.insert(0, sys.argv[1]);"
        "from test_documents import make_context, render_order;"
        "print(hashlib.sha256(render_order(make_context())).hexdigest())"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Pacific/Auckland"},
    )
    assert result.stdout.strip() == hashlib.sha256(rendered["order"]).hexdigest()


# --- readability -----------------------------------------------------------------------------


def many_sites(count: int) -> tuple[list[SiteScenario], list[Site]]:
    scenarios, sites = [], []
    for index in range(count):
        body = f"690{index:05d}"
        finess = body + luhn_check_digit(body)
        answers = dict(RIS_ANSWERS, mss_operator=f"Opérateur régional n° {index}")
        scenarios.append(SiteScenario(finess, answers))
        sites.append(Site(finess, "690000000", f"Cabinet de radiologie Rhône-Alpes n° {index}"))
    return scenarios, sites


def test_many_sites_and_questions_stay_readable() -> None:
    scenarios, sites = many_sites(40)
    pdf = render_order(make_context(scenarios=scenarios, sites=sites))
    reader = PdfReader(io.BytesIO(pdf))
    text = normalised(text_of(pdf))
    assert 3 <= len(reader.pages) <= 10
    # Many questions: landscape pages.
    box = reader.pages[0].mediabox
    assert box.width > box.height
    for question in ris_view().questions:
        assert normalised(question.label) in text
    for scenario, site in zip(scenarios, sites, strict=True):
        assert scenario.finess_et in text
        assert normalised(site.name) in text
        assert normalised(str(scenario.answers["mss_operator"])) in text
    # The headings repeat on every page the table spans.
    assert text.count("FINESS Q1 Q2") >= 2


def test_professional_without_finess() -> None:
    rpps = "1000345678" + luhn_check_digit("1000345678")
    context = make_context(scenarios=[SiteScenario(None, RIS_ANSWERS)], sites=())
    context = dataclasses.replace(
        context,
        client_name="Dr Jean Œillet",
        order=dataclasses.replace(
            context.order, client_kind=ClientKind.PROFESSIONAL, client_id=rpps
        ),
    )
    order = normalised(text_of(render_order(context)))
    assert f"Dr Jean Œillet — RPPS {rpps}" in order
    assert "sans FINESS Dr Jean Œillet Oui Non Mailiz" in order
    c = conditions()
    evidence = [FlowEvidence.for_condition(None, c["dmp_direct"], 10, *PERIOD)]
    mom = normalised(text_of(render_mom(context, context.order.sites, evidence)))
    assert "Site sans FINESS — Dr Jean Œillet" in mom
    assert "10 (seuil atteint)" in mom


def test_question_columns_split_when_they_do_not_fit() -> None:
    assert question_chunks(12, 15) == [range(0, 12)]
    assert question_chunks(25, 10) == [range(0, 10), range(10, 20), range(20, 25)]
    assert [i for chunk in question_chunks(31, 7) for i in chunk] == list(range(31))


def test_order_with_few_questions_is_portrait() -> None:
    view = default_referential().at("HOP-DPI-Va1", dt.date(2022, 5, 1))
    answers = {q.id: True for q in view.questions}
    context = make_context(view=view, scenarios=[SiteScenario(PARIS, answers)])
    page = PdfReader(io.BytesIO(render_order(context))).pages[0]
    assert page.mediabox.width < page.mediabox.height


def test_balance_summary_without_conditions_cannot_conclude() -> None:
    text = normalised(text_of(render_balance_summary(make_context(), [])))
    assert "Non déterminable : aucune condition de versement du solde fournie" in text


# --- interfaces (the HOP-DPI questionnaire's meaning) ----------------------------------------


def test_interfaces_follow_declared_flows_and_triggered_conditions() -> None:
    view = ris_view()
    found = {(flow, route) for flow, route, _ in validated_interfaces(view, RIS_ANSWERS)}
    assert found == {
        (Flow.DMP, Route.DIRECT),
        (Flow.MSS_PRO, Route.DIRECT),
        (Flow.MSS_PATIENT, Route.THIRD_PARTY),
    }


@pytest.mark.parametrize("independent", [True, False])
def test_hop_dpi_answers_tell_which_interface_is_validated(independent: bool) -> None:
    view = default_referential().at("HOP-DPI-Va1", dt.date(2022, 5, 1))
    answers = {q.id: independent for q in view.questions}
    interfaces = validated_interfaces(view, answers)
    expected = {(c.flow, c.route) for c in applicable_balance_conditions(view, answers)}
    assert expected, "le référentiel HOP-DPI-Va1 devrait déclencher des conditions"
    assert {(flow, route) for flow, route, _ in interfaces} == expected
    for _, _, because in interfaces:
        assert ("Oui" if independent else "Non") in because


# --- verdicts --------------------------------------------------------------------------------


def status(threshold: int | None, achieved: int, present: bool) -> ConditionStatus:
    counts = FlowEvidence(
        PARIS, Flow.DMP, Route.DIRECT, "Envoi de dix…", threshold, achieved, *PERIOD, True
    )
    return ConditionStatus(counts, Evidence.MOM, present)


def test_condition_verdicts() -> None:
    assert condition_verdict(status(10, 10, True)).ready is True
    short = condition_verdict(status(10, 7, True))
    assert (short.ready, short.text) == (False, "Manque 3 envoi(s)")
    assert condition_verdict(status(10, 12, False)).text == "Manque la MOM"
    unknown = condition_verdict(status(None, 50, True))
    assert unknown.ready is None and "non renseigné" in unknown.text
    assert condition_verdict(status(None, 0, False)).ready is False


def test_order_verdict() -> None:
    assert order_verdict([status(10, 10, True)]).ready is True
    assert order_verdict([status(10, 10, True), status(None, 3, True)]).ready is None
    assert order_verdict([status(None, 3, True), status(10, 1, True)]).ready is False
    assert order_verdict([]).ready is None


# --- logo, font, writing ---------------------------------------------------------------------


def test_logo_is_drawn_when_configured(tmp_path: Path) -> None:
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (60, 20), (10, 80, 160)).save(logo)
    pdf = render_order(make_context(logo=logo))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 1


def test_missing_logo_is_a_french_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="Logo du fournisseur introuvable"):
        render_order(make_context(logo=tmp_path / "absent.png"))


def test_missing_font_package_is_a_french_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "FONT_PACKAGE", "sons_no_such_font_package")
    with pytest.raises(fonts.FontMissing, match="fontpkg-lato"):
        fonts.font_paths()


def test_write_pdf_replaces_atomically(tmp_path: Path, rendered: dict[str, bytes]) -> None:
    target = tmp_path / "bon-de-commande.pdf"
    target.write_bytes(b"ancien")
    write_pdf(target, rendered["order"])
    assert target.read_bytes() == rendered["order"]
    assert [p.name for p in tmp_path.iterdir()] == ["bon-de-commande.pdf"]


def test_write_pdf_keeps_the_old_file_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mom.pdf"
    target.write_bytes(b"ancien")

    def broken(*_: object) -> None:
        raise OSError("disque plein")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="disque plein"):
        write_pdf(target, b"nouveau")
    assert target.read_bytes() == b"ancien"
    assert [p.name for p in tmp_path.iterdir()] == ["mom.pdf"]


def test_write_pdf_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="Dossier de destination introuvable"):
        write_pdf(tmp_path / "absent" / "va.pdf", b"%PDF")


def test_amounts_use_format_euros(rendered: dict[str, bytes]) -> None:
    # The document prints the amounts exactly as format_euros writes them.
    text = text_of(rendered["order"])
    assert format_euros(1_234_567) in text and format_euros(120_000) in text
