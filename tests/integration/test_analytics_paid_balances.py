"""The a-posteriori controls on the store's paid balances (`sons operator controls` without
`--balances`): which requests, which flows, sites and dates, and the controls run on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.engine import Engine

from filing_fixtures import CODE, DIRECT, VENDOR, seed_filing
from sons.analytics.controls import Verdict, run_controls
from sons.analytics.paid_balances import paid_balances
from sons.domain.workflow import Audience, RequestKind, Status
from sons.referential.loader import default_referential
from sons.services.evidence import install_scenario, record_mom
from sons.services.intake import instructions
from sons.services.requests import repository
from sons.store.requests import NewDeposit, NewRequest
from sons.store.unit_of_work import UnitOfWork, stepping_clock

ACTOR = "asp:instructeur"
INSTALLED_ON = dt.date(2023, 3, 10)  # the MOM of BC-A is recorded that day


def _request(position: int, number: str, client: str, site: str, **changes: object) -> NewRequest:
    values: dict[str, object] = {
        "position": position,
        "request_ref": f"S-{number}",
        "kind": RequestKind.BALANCE,
        "dispositif": CODE,
        "order_id": None,
        "order_number": number,
        "order_signed_on": dt.date(2022, 6, 15),
        "client_kind": "legal_entity",
        "client_id": client,
        "sites": (site,),
        "advance_id": None,
        "prestation_ht_cents": 1_000_000,
        "prestation_ttc_cents": 1_200_000,
        "advance_rate": None,
        "amount_ht_cents": 700_000,
        "amount_ttc_cents": 840_000,
        "status": Status.PAID,
    }
    values.update(changes)
    return NewRequest(**values)  # type: ignore[arg-type]


def _seed(engine: Engine, clock: object) -> None:
    """Paid balances of BC-A (public EJ, a MOM, a payment) and BC-B (private, an installed
    scenario that adds the test address, a payment); an advance and a balance not yet paid
    besides; and two paid balances that cannot be controlled: without a site, without a date."""
    vendor_id = seed_filing(engine, clock)  # type: ignore[arg-type]
    with UnitOfWork(engine, ACTOR, clock) as uow:  # type: ignore[arg-type]
        orders = {
            o.number: o.id for o in (uow.orders.get(vendor_id, n) for n in ("BC-A", "BC-B")) if o
        }
        requests = repository(uow)
        deposit = requests.add_deposit(
            vendor_id,
            NewDeposit(
                "depot-soldes", "import", "solde", "Radiologie", CODE, "1.0",
                dt.datetime(2023, 10, 1, tzinfo=dt.UTC), "depot.json", b"{}", None, None,
                default_referential().pin, 4,
            ),
        )  # fmt: skip
        stored = requests.add_requests(
            vendor_id,
            deposit,
            [
                _request(1, "BC-A", "750000010", "750000028", order_id=orders["BC-A"]),
                _request(2, "BC-B", "130000011", "130000029", order_id=orders["BC-B"]),
                _request(3, "BC-A", "750000010", "750000028", kind=RequestKind.ADVANCE,
                         request_ref="A-BC-A", order_id=orders["BC-A"]),
                _request(4, "BC-B", "130000011", "130000029", status=Status.VALIDATED,
                         request_ref="S-BC-B-2", order_id=orders["BC-B"]),
                _request(5, "BC-X", "750000010", "", sites=()),
                _request(6, "BC-Y", "750000010", "750000028"),
            ],
            action="importer",
            audience=Audience.OPERATOR,
        )  # fmt: skip
        instructions(uow).add_payment(stored[0], 840_000, dt.date(2023, 11, 20))
        instructions(uow).add_payment(stored[1], 500_000, dt.date(2023, 12, 1))
    record_mom(
        engine, vendor_id=vendor_id, number="BC-A", finess="750000028",
        flows="dmp/direct,mss_pro/direct", actor=ACTOR, clock=clock,  # type: ignore[arg-type]
    )  # fmt: skip
    install_scenario(
        engine, vendor_id=vendor_id, number="BC-B", finess="130000029",
        answers={**DIRECT, "mss_patient_direct": True}, source=None, actor=ACTOR,
        clock=clock,  # type: ignore[arg-type]
    )  # fmt: skip


# The store is seeded on a 2023 day (orders, evidence and payments of the 2022 rules).
SEED_DAY = dt.date(2023, 3, 10)


def test_paid_balances_of_the_store_in_the_balances_format(engine: Engine) -> None:

    _seed(engine, stepping_clock(SEED_DAY, 9))
    found = paid_balances(engine, default_referential())
    assert [ref for ref, _ in found.left_out] == ["S-BC-X", "S-BC-Y"]
    assert "aucun site" in found.left_out[0][1]
    assert "aucune date" in found.left_out[1][1]
    by_ref = {row["demande"]: row for row in found.rows}
    assert sorted(by_ref) == ["S-BC-A", "S-BC-B"]  # the advance and the unpaid one are not
    public, private = by_ref["S-BC-A"], by_ref["S-BC-B"]
    assert public["siret_fournisseur"] == VENDOR.siret and public["fournisseur"] == VENDOR.name
    assert (public["finess_ej"], public["statut_juridique"]) == ("750000010", "public")
    assert (private["finess_ej"], private["statut_juridique"]) == ("130000011", "privé")
    assert public["sites_et"] == "750000028"
    assert public["flux_installes"] == "dmp:direct|mss_pro:direct"
    # The installed scenario, not the ordered one (DMP through a PFI), gives the flows.
    assert private["flux_installes"] == "dmp:direct|mss_pro:direct|mss_patient:direct"
    assert public["date_commande"] == "2022-06-15"
    assert public["date_installation"] == INSTALLED_ON.isoformat()
    assert (public["date_paiement"], public["montant_solde"]) == ("2023-11-20", "8400,00")
    # No MOM/VA: the statistics count from the payment; the amount is the one paid.
    assert (private["date_installation"], private["date_paiement"]) == ("", "2023-12-01")
    assert private["montant_solde"] == "5000,00"


def test_controls_run_on_the_store_balances(engine: Engine, tmp_path: Path) -> None:

    _seed(engine, stepping_clock(SEED_DAY, 9))
    found = paid_balances(engine, default_referential())
    directory = tmp_path / "etablissements.csv"
    directory.write_text(
        "finess_et;finess_ej\n750000028;750000010\n130000029;130000011\n", encoding="utf-8"
    )
    stats = tmp_path / "stats.csv"
    stats.write_text(
        "mois;finess_et;finess_ej;flux;nb_documents;nb_documents_ins_qualifiee\n"
        "2023-02;750000028;750000010;dmp;40;40\n"  # before the installation: not counted
        "2023-04;750000028;750000010;dmp;6;6\n"
        "2023-05;750000028;750000010;mss_pro;12;11\n"
        "2023-12;130000029;130000011;mss_patient_test;1;\n",
        encoding="utf-8",
    )
    report = run_controls([stats], found, None, directory)
    assert report.statistics_valid and report.balances_read == 2
    got = {
        (r.request_id, r.statistics, r.verdict.value, r.counted_documents)
        for r in report.detail or ()
    }
    assert got == {
        ("S-BC-A", "dmp", "non_conforme", 6),
        ("S-BC-A", "mss_pro", "conforme", 11),
        ("S-BC-B", "dmp", "donnees_absentes", 0),
        ("S-BC-B", "mss_pro", "donnees_absentes", 0),
        ("S-BC-B", "test_address", "conforme", 1),
    }
    left_out = [f.message for f in report.findings if f.code == "BALANCE_LEFT_OUT"]
    assert len(left_out) == 2 and "« S-BC-X »" in left_out[0]


def test_the_command_reads_the_store_when_no_balances_file_is_given(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from sons.entrypoints.cli import app

    _seed(engine, stepping_clock(SEED_DAY, 9))
    directory = tmp_path / "etablissements.csv"
    directory.write_text(
        "finess_et;finess_ej\n750000028;750000010\n130000029;130000011\n", encoding="utf-8"
    )
    stats = tmp_path / "stats.csv"
    stats.write_text(
        "mois;finess_et;finess_ej;flux;nb_documents;nb_documents_ins_qualifiee\n"
        "2023-04;750000028;750000010;dmp;16;16\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        ["operator", "controls", "--stats", str(stats), "--establishments", str(directory),
         "--json"],
        env={"SONS_DATABASE_URL": db_url},
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # shortfalls: exit 1
    data = json.loads(result.stdout)
    assert data["balances"]["read"] == 2
    assert data["totals"] == {"conforme": 1, "non_conforme": 0, "donnees_absentes": 4}
    assert sum(f["code"] == "BALANCE_LEFT_OUT" for f in data["findings"]) == 2


def test_the_demo_controls_part_generates_statistics_with_shortfalls(tmp_path: Path) -> None:
    from sons.services.demo_controls import CONTROLS_FOLDER, controls_tour
    from sons.store.database import open_store

    # The demo's stores are SQLite files (the store reading is tested on both backends above).
    database = tmp_path / "operateur.sqlite3"
    engine = open_store(f"sqlite:///{database}")
    try:
        _seed(engine, stepping_clock(SEED_DAY, 9))
    finally:
        engine.dispose()
    directory = tmp_path / "etablissements.csv"
    directory.write_text(
        "finess_et;finess_ej\n750000028;750000010\n130000029;130000011\n", encoding="utf-8"
    )
    entities = tmp_path / "entites.csv"
    entities.write_text(
        "finess_ej;raison_sociale;siren;statut\n750000010;CH;;public\n130000011;Clinique;;prive\n",
        encoding="utf-8",
    )
    tour = controls_tour(tmp_path, database, directory, entities, "demo", default_referential())
    report = tour.report
    assert tour.short_site == "750000028"  # the first balance's first site sends too little
    assert report.totals.get(Verdict.NON_CONFORME) == 1  # its DMP: 6 documents, short of ten
    assert report.totals.get(Verdict.CONFORME, 0) >= 3
    lines = tour.statistics.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("mois;finess_et;finess_ej;flux;nb_documents")
    assert len(lines) > 1 and tour.statistics.parent == tmp_path / CONTROLS_FOLDER
    assert sorted(p.name for p in report.files) == [
        "controles-a-posteriori.xlsx",
        "controles-detail.csv",
        "synthese-fournisseurs.csv",
    ]
