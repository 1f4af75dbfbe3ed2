"""The order use cases on SQLite and PostgreSQL: checking equals running the checks by hand,
a fixed order loses its finding, a rebase is explicit and journaled, tenants stay apart."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from test_services_imports import (
    ACTOR,
    EXAMPLE_VENDOR_SIRET,
    EXAMPLES,
    import_everything,
    seed_vendor,
    snapshot,
)

from sons.domain.checks import CheckSession, index_prestations
from sons.domain.orders import Site, Vendor
from sons.formats.eligibility import read_eligibility
from sons.formats.finess import parse_finess_extract
from sons.formats.legal_entities import read_legal_entities
from sons.formats.orders import read_orders
from sons.formats.solutions import read_solutions
from sons.referential.loader import DATA_DIR, Referential, default_referential, load
from sons.services.directory import list_clients, show_client
from sons.services.orders import (
    OTHER_VENDOR_ORDER,
    CheckReport,
    check_orders,
    import_orders,
    list_orders,
    rebase_order,
    show_order,
)
from sons.services.solutions import import_solutions
from sons.services.vendors import VendorRequestError, create_vendor, resolve_vendor
from sons.store.errors import NotFoundError
from sons.store.journal import Change, verify
from sons.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from conftest import TickingClock

TODAY = dt.date(2022, 12, 1)


@pytest.fixture
def vendor_id(engine: Engine, clock: TickingClock) -> int:
    seeded = seed_vendor(engine, clock)
    outcomes = import_everything(engine, clock, seeded.vendor_id)
    assert not any(o.refused for o in outcomes)
    return seeded.vendor_id


def codes(report: CheckReport) -> dict[str, list[str]]:
    return {c.number: [f.code for f in c.findings] for c in report.checks}


def test_checking_equals_running_the_checks_by_hand(engine: Engine, vendor_id: int) -> None:
    report = check_orders(engine, vendor_id, today=TODAY)
    referential = default_referential()
    # The same inputs, read from the files rather than from the store.
    sites = {
        e.finess_et: Site(e.finess_et, e.finess_ej, e.long_name or e.name, e.category_label)
        for e in parse_finess_extract(EXAMPLES / "finess-extrait.csv").items
    }
    entities = {
        e.finess_ej: e for e in read_legal_entities(EXAMPLES / "entites-juridiques.csv").items
    }
    solutions = {s.referencing_number: s for s in read_solutions(EXAMPLES / "solutions.csv").items}
    orders = [
        *read_orders(EXAMPLES / "commandes.csv").items,
        *read_orders(EXAMPLES / "commandes.xlsx").items,
    ]
    ceilings = {
        (c.dispositif, c.finess): c.ceiling_ht_cents
        for c in read_eligibility(EXAMPLES / "eligibilite.csv").items
    }
    # The documented keys (docs/commandes.md, « Plafonds »): a public EJ's own ceiling, the sum
    # of a private EJ's sites, the practice site of a professional; none for RAD at the CHU.
    expected_ceilings = {
        "BC-DEMO-DPI-001": ceilings[("HOP-DPI-Va1", "750999302")],
        "BC-DEMO-RAD-001": ceilings[("RAD-RIS-Va1", "690999214")]
        + ceilings[("RAD-RIS-Va1", "690999222")],
        "BC-DEMO-RAD-002": ceilings[("RAD-RIS-Va1", "310999818")],
        "BC-DEMO-RAD-003": None,
    }
    session = CheckSession(
        referential,
        TODAY,
        legal_entities=entities,
        sites=sites,
        other_orders=index_prestations(orders, entities),
    )
    vendor = Vendor("Éditeur de démo", EXAMPLE_VENDOR_SIRET[:9], EXAMPLE_VENDOR_SIRET)
    by_hand = {
        order.number: session.check(
            order,
            solution=solutions[order.solution_referencing_number],
            vendor=vendor,
            ceiling_ht_cents=expected_ceilings[order.number],
        )
        for order in orders
    }
    assert sorted(by_hand) == [c.number for c in report.checks]
    for check in report.checks:
        assert check.ceiling_ht_cents == expected_ceilings[check.number]
        assert list(check.findings) == by_hand[check.number], check.number
    # Not a tautology: the examples carry real findings, and one order passes.
    assert codes(report) == {
        "BC-DEMO-DPI-001": [],
        "BC-DEMO-RAD-001": ["ORDER_RAD_SINGLE_SCENARIO"],
        "BC-DEMO-RAD-002": ["SCENARIO_PROFILE_MISSING"],
        "BC-DEMO-RAD-003": [
            "SCENARIO_PROFILE_MISSING",
            "SCENARIO_PROFILE_MISSING",
            "ORDER_RAD_SINGLE_SCENARIO",
            "CEILING_UNKNOWN",
        ],
    }
    summary = report.summary()
    assert (summary.orders, summary.with_errors, summary.conforming) == (4, 3, 1)
    assert report.has_errors


def test_check_some_orders_and_name_the_unknown_ones(engine: Engine, vendor_id: int) -> None:
    report = check_orders(engine, vendor_id, today=TODAY, numbers=["BC-DEMO-DPI-001"])
    assert [c.number for c in report.checks] == ["BC-DEMO-DPI-001"] and not report.has_errors
    with pytest.raises(NotFoundError, match="BC-INCONNU"):
        check_orders(engine, vendor_id, today=TODAY, numbers=["BC-DEMO-DPI-001", "BC-INCONNU"])


def _fixed_orders(tmp_path: Path) -> Path:
    """commandes.csv with the second site of BC-DEMO-RAD-001 answering like the first."""
    lines = (EXAMPLES / "commandes.csv").read_text(encoding="utf-8").splitlines()
    first_answers = lines[1].split(";")[22:]
    second = lines[2].split(";")
    lines[2] = ";".join(second[:22] + first_answers)
    path = tmp_path / "commandes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fix_an_order_reimport_and_the_finding_is_gone(
    engine: Engine, clock: TickingClock, vendor_id: int, tmp_path: Path
) -> None:
    before = check_orders(engine, vendor_id, today=TODAY)
    assert codes(before)["BC-DEMO-RAD-001"] == ["ORDER_RAD_SINGLE_SCENARIO"]
    outcome = import_orders(
        engine, _fixed_orders(tmp_path), vendor_id=vendor_id, actor="bob", clock=clock
    )
    assert outcome.stored.changes == {Change.UPDATED: 1, Change.UNCHANGED: 2}
    after = check_orders(engine, vendor_id, today=TODAY)
    assert codes(after)["BC-DEMO-RAD-001"] == []
    assert {n: c for n, c in codes(after).items() if n != "BC-DEMO-RAD-001"} == {
        n: c for n, c in codes(before).items() if n != "BC-DEMO-RAD-001"
    }
    view = show_order(engine, vendor_id, "BC-DEMO-RAD-001", today=TODAY)
    assert view.check.stored.version == 2
    assert [(e.action, e.actor) for e in view.history] == [("create", ACTOR), ("update", "bob")]
    update = view.history[1]
    assert update.before["sites"][1]["answers"]["identity_referential"] is True
    assert update.after["sites"][1]["answers"]["identity_referential"] is False
    with UnitOfWork(engine, ACTOR, clock, read_only=True) as uow:
        assert verify(uow.session).ok


def _older_referential(tmp_path: Path) -> Referential:
    """The shipped data with an earlier RAD-RIS-Va1 order deadline, as an older version."""
    root = tmp_path / "referentiel-0.9"
    shutil.copytree(DATA_DIR, root)
    parameters = root / "dispositifs" / "rad-ris-va1" / "parameters.yaml"
    text = parameters.read_text(encoding="utf-8")
    assert text.count("value: 2022-11-30") == 1
    parameters.write_text(text.replace("value: 2022-11-30", "value: 2022-03-01"), "utf-8")
    version = root / "VERSION.yaml"
    version.write_text(
        version.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 0.9.0"), "utf-8"
    )
    return load(root)


def test_rebase_is_explicit_journaled_and_says_what_the_new_rules_change(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    seeded = seed_vendor(engine, clock)
    old = _older_referential(tmp_path)
    current = default_referential()
    assert old.pin != current.pin and old.pin.startswith("0.9.0+")
    outcomes = import_everything(engine, clock, seeded.vendor_id, with_orders=False)
    assert not any(o.refused for o in outcomes)
    imported = import_orders(
        engine,
        EXAMPLES / "commandes.csv",
        vendor_id=seeded.vendor_id,
        actor=ACTOR,
        clock=clock,
        referential=old,
    )
    assert imported.batch is not None
    # Checked under today's rules, the order says it is pinned elsewhere; nothing changes.
    report = check_orders(engine, seeded.vendor_id, today=TODAY, numbers=["BC-DEMO-RAD-001"])
    assert "ORDER_REFERENTIAL_PIN_OUTDATED" in codes(report)["BC-DEMO-RAD-001"]
    # A corrected file re-imported keeps the pin: only a rebase moves it.
    import_orders(
        engine, _fixed_orders(tmp_path), vendor_id=seeded.vendor_id, actor=ACTOR, clock=clock
    )
    view = show_order(engine, seeded.vendor_id, "BC-DEMO-RAD-001", today=TODAY)
    assert view.check.stored.order.referential_pin == old.pin

    outcome = rebase_order(
        engine,
        seeded.vendor_id,
        "BC-DEMO-RAD-001",
        actor="carole",
        clock=clock,
        today=TODAY,
        known_referentials={old.pin: old},
    )
    assert outcome.rebased and outcome.old_rules_available
    assert (outcome.old_pin, outcome.new_pin) == (old.pin, current.pin)
    # Signed 2022-03-15: late under the old deadline (2022-03-01), not under the current one.
    assert [f.code for f in outcome.disappeared] == ["ORDER_AFTER_DEADLINE"]
    assert outcome.appeared == ()
    assert "ORDER_REFERENTIAL_PIN_OUTDATED" not in [f.code for f in outcome.findings]
    view = show_order(engine, seeded.vendor_id, "BC-DEMO-RAD-001", today=TODAY)
    rebase = view.history[-1]
    assert (rebase.action, rebase.actor) == ("rebase", "carole")
    assert rebase.before["referential_pin"] == old.pin
    assert rebase.after["referential_pin"] == current.pin
    assert view.check.stored.version == outcome.version == 3

    before = snapshot(engine)
    again = rebase_order(engine, seeded.vendor_id, "BC-DEMO-RAD-001", actor="carole", today=TODAY)
    assert not again.rebased and "rien à faire" in again.message()
    assert snapshot(engine) == before

    # Without the old rules at hand, the rebase still happens and says it cannot compare.
    blind = rebase_order(
        engine, seeded.vendor_id, "BC-DEMO-RAD-002", actor="carole", clock=clock, today=TODAY
    )
    assert blind.rebased and not blind.old_rules_available
    assert "ne sont plus disponibles" in blind.message()
    assert [f.code for f in blind.findings] == ["SCENARIO_PROFILE_MISSING"]


def test_one_prestation_per_client_across_vendors_without_naming_the_other_order(
    engine: Engine, clock: TickingClock, vendor_id: int, tmp_path: Path
) -> None:
    other, _ = create_vendor(
        engine, name="Concurrent", siret="55210055400013", actor=ACTOR, clock=clock
    )
    import_solutions(
        engine, EXAMPLES / "solutions.csv", vendor_id=other.id, actor=ACTOR, clock=clock
    )
    rival = tmp_path / "commandes-concurrent.json"
    rival.write_text(
        (EXAMPLES / "commandes.json")
        .read_text(encoding="utf-8")
        .replace(EXAMPLE_VENDOR_SIRET, "55210055400013")
        .replace("BC-DEMO-", "BC-CONC-"),
        encoding="utf-8",
    )
    assert import_orders(engine, rival, vendor_id=other.id, actor=ACTOR, clock=clock).batch
    mine = check_orders(engine, vendor_id, today=TODAY, numbers=["BC-DEMO-DPI-001"])
    duplicate = [f for f in mine.checks[0].findings if f.code == "ORDER_DUPLICATE_PRESTATION"]
    assert len(duplicate) == 1
    assert OTHER_VENDOR_ORDER in duplicate[0].message
    assert "BC-CONC" not in duplicate[0].message
    theirs = check_orders(engine, other.id, today=TODAY, numbers=["BC-CONC-DPI-001"])
    assert "BC-DEMO" not in theirs.checks[0].findings[0].message
    # Each vendor lists only its own orders.
    assert {s.number for s in list_orders(engine, other.id)} == {
        "BC-CONC-RAD-001",
        "BC-CONC-DPI-001",
        "BC-CONC-RAD-002",
    }
    assert [s.number for s in list_orders(engine, vendor_id, dispositif="hop-dpi-va1")] == [
        "BC-DEMO-DPI-001"
    ]


def test_the_vendor_a_command_works_for(engine: Engine, clock: TickingClock) -> None:
    with pytest.raises(VendorRequestError, match="Aucun éditeur"):
        resolve_vendor(engine, None)
    first, _ = create_vendor(
        engine, name="Premier", siret="732 829 320 00074", actor=ACTOR, clock=clock
    )
    assert first.vendor.siren == "732829320" and first.vendor.siret == "73282932000074"
    assert resolve_vendor(engine, None).id == first.id
    second, _ = create_vendor(
        engine, name="Second", siret="55210055400013", actor=ACTOR, clock=clock
    )
    with pytest.raises(VendorRequestError, match=r"Plusieurs éditeurs.*73282932000074.*--vendor"):
        resolve_vendor(engine, None)
    assert resolve_vendor(engine, "55210055400013").id == second.id
    with pytest.raises(NotFoundError, match="12345678200010"):
        resolve_vendor(engine, "12345678200010")
    with pytest.raises(VendorRequestError, match="SIRET"):
        create_vendor(engine, name="Faux", siret="73282932000075", actor=ACTOR, clock=clock)
    # La Poste's establishments follow their own key rule (not Luhn), accepted.
    poste, _ = create_vendor(
        engine, name="La Poste", siret="35600000000001", actor=ACTOR, clock=clock
    )
    assert poste.vendor.siren == "356000000"
    _, change = create_vendor(
        engine, name="Second", siret="55210055400013", actor=ACTOR, clock=clock
    )
    assert change is Change.UNCHANGED


def test_the_directory_as_a_client_list_and_card(engine: Engine, vendor_id: int) -> None:
    page = list_clients(engine, search="hopital", limit=10)
    assert [r.establishment.finess_et for r in page.rows] == ["010999043"]
    page = list_clients(engine, department="69")
    assert page.total == 2 and all(r.legal_entity is not None for r in page.rows)
    card = show_client(engine, "690999214")
    assert card.es_pmsi == "690999214" and card.ceilings == {"RAD-RIS-Va1": 1_200_000}
    assert [s.finess_et for s in card.sites] == ["690999214", "690999222"]
    public = show_client(engine, "750999302")
    assert public.establishment is None and public.es_pmsi == "750999302"
    assert public.ceilings == {"HOP-DPI-Va1": 42_000_000}
    with pytest.raises(NotFoundError, match="import-finess"):
        show_client(engine, "010000024")


def test_an_unknown_client_status_is_said_not_guessed(
    engine: Engine, clock: TickingClock, tmp_path: Path
) -> None:
    seeded = seed_vendor(engine, clock)
    outcomes = import_everything(engine, clock, seeded.vendor_id)
    assert not any(o.refused for o in outcomes)
    with UnitOfWork(engine, ACTOR, clock) as uow:  # a directory without that entity
        uow.session.execute(sa.text("DELETE FROM legal_entities WHERE finess_ej = '690999206'"))
    report = check_orders(engine, seeded.vendor_id, today=TODAY, numbers=["BC-DEMO-RAD-001"])
    check = report.checks[0]
    assert check.ceiling_ht_cents is None
    assert {"ORDER_CLIENT_UNKNOWN", "CEILING_UNKNOWN"} <= {f.code for f in check.findings}
