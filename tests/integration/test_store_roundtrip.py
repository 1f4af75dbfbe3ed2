"""Every domain value goes into the store and comes back equal; tenants stay apart."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine

from sons.domain.orders import (
    ClientKind,
    LegalEntity,
    LegalStatus,
    Professional,
    PurchaseOrder,
    Site,
    SiteScenario,
    Vendor,
)
from sons.formats.finess import read_finess
from sons.formats.problems import ImportReport
from sons.store.directory import Establishment
from sons.store.eligibility import Ceiling
from sons.store.errors import DuplicateError, TenantMismatchError, UnknownSolutionError
from sons.store.journal import Change
from sons.store.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from conftest import Seeded, TickingClock

OrderFactory = Callable[..., PurchaseOrder]


def test_vendor_round_trip_and_idempotent_save(engine: Engine, clock: TickingClock) -> None:
    vendor = Vendor("Éditeur « Ségur »", "732829320", "73282932000074", None)
    with UnitOfWork(engine, "alice", clock) as uow:
        saved = uow.vendors.save(vendor)
        assert saved.change is Change.CREATED
    with UnitOfWork(engine, "alice", clock) as uow:
        assert uow.vendors.save(vendor).change is Change.UNCHANGED
        renamed = dataclasses.replace(vendor, enrolment_number="ASP-1")
        assert uow.vendors.save(renamed) == dataclasses.replace(saved, change=Change.UPDATED)
    with UnitOfWork(engine, "bob", clock, read_only=True) as uow:
        assert uow.vendors.get(saved.id) == renamed
        assert uow.vendors.by_siret(vendor.siret) == renamed
        assert uow.vendors.id_of(vendor.siret) == saved.id
        assert uow.vendors.all() == {saved.id: renamed}
        actions = [e.action for e in uow.journal.history("vendor", vendor.siret)]
    assert actions == ["create", "update"]


def test_solution_round_trip(engine: Engine, clock: TickingClock, seeded: Seeded) -> None:
    with UnitOfWork(engine, "alice", clock, read_only=True) as uow:
        assert uow.solutions.get(seeded.vendor_id, seeded.solution.referencing_number) == (
            seeded.solution
        )
        assert uow.solutions.all(seeded.vendor_id) == [seeded.solution]
        assert uow.solutions.all(seeded.vendor_id, dispositif="HOP-DPI-Va1") == []
    changed = dataclasses.replace(
        seeded.solution, profiles=frozenset({"X"}), referenced_on=None, version="5"
    )
    with UnitOfWork(engine, "alice", clock) as uow:
        assert uow.solutions.save(seeded.vendor_id, seeded.solution).change is Change.UNCHANGED
        assert uow.solutions.save(seeded.vendor_id, changed).change is Change.UPDATED
    with UnitOfWork(engine, "alice", clock, read_only=True) as uow:
        assert uow.solutions.get(seeded.vendor_id, changed.referencing_number) == changed
        # The other vendor's solution with the same number is a different row, untouched.
        assert uow.solutions.get(seeded.other_vendor_id, changed.referencing_number) == (
            seeded.solution
        )


def test_directory_round_trip(engine: Engine, clock: TickingClock) -> None:
    extract = dt.date(2025, 2, 14)
    establishments = [
        Establishment(
            finess_et="750712184",
            finess_ej="750712176",
            name="HOPITAL TEST",
            long_name="HÔPITAL DE TEST DE L'ASSISTANCE PUBLIQUE",
            category_code="101",
            category_label="Centre Hospitalier Régional (C.H.R.)",
            siret="26750045200011",
            address="1 RUE DE L'HÔPITAL",
            postcode="75004",
            commune_code="104",
            city="PARIS",
            department="75",
            department_label="PARIS",
            extract_date=extract,
        ),
        Establishment("2A0000113", "2A0000105", "CLINIQUE CORSE", department="2A"),
    ]
    entities = [
        LegalEntity("750712176", "AP TEST", LegalStatus.PUBLIC, "267500452"),
        LegalEntity("2A0000105", "SOCIÉTÉ CLINIQUE", LegalStatus.PRIVATE),
    ]
    with UnitOfWork(engine, "import", clock) as uow:
        assert uow.directory.upsert_establishments(establishments) == 2
        assert uow.directory.upsert_legal_entities(entities, extract_date=extract) == 2
        professionals = [Professional("10003456789", "Dr Jeanne Test")]
        assert uow.directory.upsert_professionals(professionals) == 1
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        assert uow.directory.establishment("750712184") == establishments[0]
        # Keys are normalised: spaces and lower case do not hide an establishment.
        assert uow.directory.establishment("2a 000 0113") == establishments[1]
        assert uow.directory.sites(["750712184", "999999999"]) == {
            "750712184": Site(
                "750712184",
                "750712176",
                "HÔPITAL DE TEST DE L'ASSISTANCE PUBLIQUE",
                "Centre Hospitalier Régional (C.H.R.)",
            )
        }
        assert uow.directory.sites_of("750712176") == [establishments[0].site()]
        assert uow.directory.legal_entity("750712176") == entities[0]
        assert uow.directory.legal_entities(["750712176", "2A0000105", "0"]) == {
            e.finess_ej: e for e in entities
        }
        assert uow.directory.professional("10003456789") == professionals[0]
        assert uow.directory.professionals(["10003456789"]) == {"10003456789": professionals[0]}
        assert uow.directory.establishments(department="2A") == [establishments[1]]
        assert uow.directory.establishments(search="Hopital de") == [establishments[0]]
        assert uow.directory.establishments(search="%") == []
        assert uow.directory.count_establishments(finess_ej="750712176") == 1
    renamed = dataclasses.replace(establishments[1], name="CLINIQUE CORSE DU SUD")
    with UnitOfWork(engine, "import", clock) as uow:
        uow.directory.upsert_establishments([establishments[1], renamed])  # last one wins
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        assert uow.directory.establishment("2A0000113") == renamed
        assert uow.directory.count_establishments() == 2


def test_eligibility_round_trip(engine: Engine, clock: TickingClock) -> None:
    ceilings = [
        Ceiling("RAD-RIS-Va1", "750712176", 2_500_000),
        Ceiling("RAD-RIS-Va1", "2A0000113", 1_000_000),
        Ceiling("HOP-DPI-Va1", "750712176", 9_000_000),
    ]
    with UnitOfWork(engine, "import", clock) as uow:
        assert uow.eligibility.upsert(ceilings) == 3
    with UnitOfWork(engine, "import", clock) as uow:
        uow.eligibility.upsert([Ceiling("RAD-RIS-Va1", "2A0000113", 1_200_000)])
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        assert uow.eligibility.ceiling("RAD-RIS-Va1", "750712176") == 2_500_000
        assert uow.eligibility.ceiling("RAD-RIS-Va1", "010780054") is None
        assert uow.eligibility.ceilings("RAD-RIS-Va1") == {
            "750712176": 2_500_000,
            "2A0000113": 1_200_000,
        }
        assert uow.eligibility.ceilings("HOP-DPI-Va1", ["750712176", "x"]) == {
            "750712176": 9_000_000
        }


def test_purchase_order_round_trip(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    order = make_order("BC-1", under_referencing_condition=True)
    professional_order = make_order(
        "BC-2",
        client_kind=ClientKind.PROFESSIONAL,
        client_id="10003456789",
        sites=(SiteScenario(None, {"Q1": None, "nested": {"a": [1, 2]}}),),
        lines=(),
        extra={},
    )
    with UnitOfWork(engine, "alice", clock) as uow:
        stored = uow.orders.add(seeded.vendor_id, order, status="signed")
        assert (stored.version, stored.status, stored.order) == (1, "signed", order)
        uow.orders.add(seeded.vendor_id, professional_order)
    with UnitOfWork(engine, "bob", clock, read_only=True) as uow:
        loaded = uow.orders.get(seeded.vendor_id, "BC-1")
        assert loaded == stored
        assert loaded is not None and loaded.order == order
        assert loaded.created_at.tzinfo is dt.UTC
        assert uow.orders.require(seeded.vendor_id, "BC-2").order == professional_order
        assert uow.orders.get(seeded.vendor_id, "BC-404") is None


def test_bulk_load_keeps_each_order_with_its_own_sites_and_lines(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    orders = [
        make_order(
            f"BC-{n:04d}",
            dispositif="RAD-RIS-Va1" if n % 3 else "HOP-DPI-Va1",
            sites=tuple(SiteScenario(f"75071218{k}", {"n": n, "k": k}) for k in range(n % 4)),
            lines=make_order().lines[: n % 3],
        )
        for n in range(300)
    ]
    with UnitOfWork(engine, "import", clock) as uow:
        uow.orders.add_many(seeded.vendor_id, orders[::-1])
        uow.orders.add(seeded.other_vendor_id, make_order("BC-0001", vendor_siret="55210055400013"))
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        everything = uow.orders.load_all(seeded.vendor_id)
        assert [s.order for s in everything] == orders
        hop = uow.orders.load_all(seeded.vendor_id, dispositif="HOP-DPI-Va1")
        assert [s.order for s in hop] == [o for o in orders if o.dispositif == "HOP-DPI-Va1"]
        picked = uow.orders.load_all(seeded.vendor_id, numbers=["BC-0007", "BC-0002", "nope"])
        assert [s.number for s in picked] == ["BC-0002", "BC-0007"]
        assert uow.orders.load_all(seeded.vendor_id, status="paid") == []
        assert uow.orders.count(seeded.vendor_id) == 300
        assert uow.orders.count(seeded.vendor_id, dispositif="HOP-DPI-Va1") == len(hop)
        page = uow.orders.summaries(seeded.vendor_id, limit=2, offset=1)
        assert [(s.number, s.version, s.status) for s in page] == [
            ("BC-0001", 1, "draft"),
            ("BC-0002", 1, "draft"),
        ]
        assert uow.orders.versions(seeded.vendor_id, ["BC-0003", "x"]) == {"BC-0003": 1}


def test_tenants_never_see_each_other(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    with UnitOfWork(engine, "alice", clock) as uow:
        uow.orders.add(seeded.vendor_id, make_order("BC-A"))
    with UnitOfWork(engine, "mallory", clock) as uow:
        assert uow.orders.get(seeded.other_vendor_id, "BC-A") is None
        assert uow.orders.load_all(seeded.other_vendor_id) == []
        assert uow.orders.count(seeded.other_vendor_id) == 0
        # An order in the other vendor's name cannot be written under this tenant.
        with pytest.raises(TenantMismatchError, match="SIRET 73282932000074"):
            uow.orders.add(seeded.other_vendor_id, make_order("BC-B"))
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        keys = uow.orders.prestation_keys(dispositif="RAD-RIS-Va1")
    assert [(k.vendor_id, k.number, k.client_id, k.finess_ets) for k in keys] == [
        (seeded.vendor_id, "BC-A", "750712184", ("750712184", "010780054"))
    ]


def test_adding_refuses_duplicates_and_unknown_solutions(
    engine: Engine, clock: TickingClock, seeded: Seeded, make_order: OrderFactory
) -> None:
    with UnitOfWork(engine, "alice", clock) as uow:
        uow.orders.add(seeded.vendor_id, make_order("BC-1"))
    with UnitOfWork(engine, "alice", clock) as uow:
        with pytest.raises(DuplicateError, match=r"déjà enregistré.*BC-1"):
            uow.orders.add_many(seeded.vendor_id, [make_order("BC-2"), make_order("BC-1")])
        with pytest.raises(DuplicateError, match=r"en double.*BC-3"):
            uow.orders.add_many(seeded.vendor_id, [make_order("BC-3"), make_order("BC-3")])
        with pytest.raises(UnknownSolutionError, match="REF-INCONNUE"):
            uow.orders.add(
                seeded.vendor_id, make_order("BC-4", solution_referencing_number="REF-INCONNUE")
            )
        assert uow.orders.count(seeded.vendor_id) == 1


def test_the_finess_reader_streams_into_the_directory(engine: Engine, clock: TickingClock) -> None:
    example = Path(__file__).parents[2] / "docs" / "examples" / "finess-extrait.csv"
    report = ImportReport.for_path(example, "extrait FINESS")
    with UnitOfWork(engine, "import", clock) as uow:
        parsed = list(read_finess(example, report))
        written = uow.directory.upsert_establishments(iter(parsed))
    assert written == len(parsed) > 0
    with UnitOfWork(engine, "lecture", clock, read_only=True) as uow:
        sites = uow.directory.sites(p.finess_et for p in parsed)
        first = uow.directory.establishment(parsed[0].finess_et)
    assert sites == {p.finess_et: p.as_site() for p in parsed}
    assert first is not None and first.postcode == parsed[0].postcode
