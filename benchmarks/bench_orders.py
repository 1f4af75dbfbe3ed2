"""`sons order check --all` on 20,000 orders of a large GP-software vendor: total time, and the
ratio to merely loading those orders from the store (target ≤ 3×), on SQLite and PostgreSQL.

The data set is generated at run time: a synthetic FINESS extract (`sons.formats.synthetic_finess`)
imported through the real import, one legal entity per EJ (public or private), an eligibility
base, and 20,000 MDV-LGC-Va1 orders of one vendor, each for a health centre (EJ) and 1 to 3 of
its sites, with the defects real files have (missing profiles, late signatures, amounts above the
ceiling, a Prestation ordered twice…). They go to a temporary SQLite file and, when
`SONS_BENCH_POSTGRES_URL` or `SONS_TEST_POSTGRES_URL` is set, to a temporary PostgreSQL schema,
dropped afterwards.

Measured, median of 3 runs each after a warm-up, load and check in turns: « load » =
`OrderRepository.load_all` of the vendor's orders (three queries, domain values built);
« check » = `check_orders`, which loads the same orders, the directory, the ceilings and the
Prestation index, and runs every check.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from sons.domain.money import ttc_from_ht
from sons.domain.orders import (
    ClientKind,
    FundedDimension,
    LegalEntity,
    LegalStatus,
    OrderLine,
    PurchaseOrder,
    SiteScenario,
    Solution,
    Vendor,
)
from sons.formats.synthetic_finess import (
    siret_number,
    structureet_fields,
    write_extract,
)
from sons.referential.loader import default_referential
from sons.services.actors import reading
from sons.services.directory import import_finess
from sons.services.orders import check_orders
from sons.store.database import create_engine, open_store
from sons.store.eligibility import Ceiling
from sons.store.unit_of_work import UnitOfWork

ORDERS = 20_000
TARGET_RATIO = 3.0
RUNS = 3
DISPOSITIF = "MDV-LGC-Va1"
TODAY = dt.date(2023, 1, 16)
_DEPARTMENTS = 94  # as in synthetic_finess: 01…95 without 20
_ADD_CHUNK = 2000
# The rate the referential gives on the signature dates used here (never a figure of our own).
_VAT = Decimal(
    str(default_referential().common_parameter("vat_rate", dt.date(2022, 6, 1)).require())
)

_SIRET = siret_number(4_242_424)
VENDOR = Vendor("Grand éditeur de logiciels de médecine de ville", _SIRET[:9], _SIRET)
SOLUTIONS = (
    Solution(
        "LGC DÉMO",
        "8.1",
        "REF-BENCH-LGC-001",
        DISPOSITIF,
        frozenset({"general", "centres_sante", "medecin_traitant", "operateur_mailiz"}),
        dt.date(2022, 4, 1),
    ),
    Solution(
        "LGC DÉMO Centres",
        "8.2",
        "REF-BENCH-LGC-002",
        DISPOSITIF,
        frozenset(
            {
                "general",
                "centres_sante",
                "medecin_traitant",
                "operateur_mailiz",
                "referentiel_identites",
                "stockage_titres_identite",
            }
        ),
        dt.date(2022, 5, 2),
    ),
)


def _entity_sites(entity: int) -> list[int]:
    """Indices in the synthetic extract of the three sites of the `entity`-th EJ."""
    department, group = entity % _DEPARTMENTS, entity // _DEPARTMENTS
    return [department + _DEPARTMENTS * (3 * group + k) for k in range(3)]


def _order(number: int) -> PurchaseOrder:
    entity = number
    if number % 97 == 5:
        entity = number - 1  # a Prestation ordered twice for the same client
    first = _entity_sites(entity)[0]
    finess_ej = structureet_fields(first)[1]
    sites = tuple(
        SiteScenario(
            structureet_fields(index)[0],
            {
                # Solution 0 (even numbers) lacks « Référentiel d'identités »: 1 order in 40.
                "identity_referential": number % 8 == 3 or number % 40 == 0,
                "mss_operator": "Mailiz" if number % 3 else "Autre opérateur",
                "client_is_health_centre": True,
                "attending_physician": number % 5 != 0,
                "id_document_copies": number % 11 == 0,
            },
        )
        for index in _entity_sites(entity)[: 1 + number % 3]
    )
    licence = 300_000 + 10_000 * (number % 7)
    lines = (
        OrderLine("Licence LGC", licence, dimension=FundedDimension.LICENCE),
        OrderLine("Installation", 150_000, dimension=FundedDimension.INSTALLATION),
        OrderLine("Formation", 50_000, dimension=FundedDimension.TRAINING),
    )
    ht = sum(line.amount_ht_cents for line in lines)
    solution = SOLUTIONS[number % 2]
    return PurchaseOrder(
        number=f"BC-LGC-{number:05d}",
        vendor_siret=VENDOR.siret,
        solution_referencing_number=solution.referencing_number,
        dispositif=DISPOSITIF,
        client_kind=ClientKind.LEGAL_ENTITY,
        client_id=finess_ej,
        signed_on=dt.date(2022, 5, 15) + dt.timedelta(days=number % 210),
        signatory=f"Dr Médecin {number}",
        prestation_ht_cents=ht,
        prestation_ttc_cents=ttc_from_ht(ht, _VAT),
        referential_pin=default_referential().pin,
        sites=sites,
        lines=lines,
        extra={"import": {"file": "bench.csv", "lines": [number + 2]}},
    )


def _orders() -> Iterator[PurchaseOrder]:
    for number in range(ORDERS):
        yield _order(number)


def _seed(engine: Engine, folder: Path) -> int:
    """Directory, legal entities, ceilings, vendor, solutions and orders; the vendor's id."""
    # Enough ETs for every EJ's three sites (see `_entity_sites`).
    establishments = 3 * _DEPARTMENTS * (ORDERS // _DEPARTMENTS + 1)
    extract = write_extract(folder / "finess.csv", establishments)
    outcome = import_finess(engine, extract, actor="bench")
    assert outcome.batch is not None, outcome.message()
    entities = [
        LegalEntity(
            structureet_fields(_entity_sites(entity)[0])[1],
            f"CENTRE DE SANTÉ DE DÉMO {entity:05d}",
            LegalStatus.PRIVATE if entity % 4 == 1 else LegalStatus.PUBLIC,
        )
        for entity in range(ORDERS)
    ]
    ceilings: list[Ceiling] = []
    for entity in entities:
        if entity.status is LegalStatus.PUBLIC:
            ceilings.append(Ceiling(DISPOSITIF, entity.finess_ej, 560_000))
    for index in range(establishments):
        fields = structureet_fields(index)
        if index % 13:
            ceilings.append(Ceiling(DISPOSITIF, fields[0], 540_000))
    with UnitOfWork(engine, "bench") as uow:
        uow.directory.upsert_legal_entities(entities)
        uow.eligibility.upsert(ceilings)
        vendor_id = uow.vendors.save(VENDOR).id
        for solution in SOLUTIONS:
            uow.solutions.save(vendor_id, solution)
    batch: list[PurchaseOrder] = []
    for order in _orders():
        batch.append(order)
        if len(batch) == _ADD_CHUNK:
            with UnitOfWork(engine, "bench") as uow:
                uow.orders.add_many(vendor_id, batch)
            batch = []
    if batch:
        with UnitOfWork(engine, "bench") as uow:
            uow.orders.add_many(vendor_id, batch)
    return vendor_id


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _medians(load: Callable[[], object], check: Callable[[], object]) -> tuple[float, float]:
    """Median times of `load` and `check`, run in turns (after a warm-up of each), so that a
    shared machine's varying load weighs on both alike."""
    load()
    check()
    loads, checks = [], []
    for _ in range(RUNS):
        loads.append(_timed(load))
        checks.append(_timed(check))
    return statistics.median(loads), statistics.median(checks)


def _measure(engine: Engine, label: str, folder: Path) -> bool:
    started = time.perf_counter()
    vendor_id = _seed(engine, folder)
    seeded = time.perf_counter() - started

    def load() -> object:
        with reading(engine) as uow:
            return uow.orders.load_all(vendor_id)

    found: dict[str, int] = {}

    def check() -> object:
        report = check_orders(engine, vendor_id, today=TODAY)
        found.update(report.summary().by_code)
        return report

    load_time, check_time = _medians(load, check)
    ratio = check_time / load_time
    met = ratio <= TARGET_RATIO
    print(
        f"[{label}] {ORDERS:,} bons de commande MDV-LGC-Va1 (1 à 3 sites) ; données créées en "
        f"{seeded:.1f} s".replace(",", " ")
    )
    print(
        f"[{label}] chargement seul : {load_time:.2f} s ; contrôle complet (check --all) : "
        f"{check_time:.2f} s ; ratio {ratio:.2f} (objectif ≤ {TARGET_RATIO:.0f}) : "
        f"{'tenu' if met else 'MANQUÉ'}"
    )
    shown = ", ".join(f"{code} {count}" for code, count in list(found.items())[:6])
    print(f"[{label}] constats les plus fréquents : {shown}")
    return met


def _postgres_url() -> str | None:
    for name in ("SONS_BENCH_POSTGRES_URL", "SONS_TEST_POSTGRES_URL"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def main() -> bool:
    met = True
    with tempfile.TemporaryDirectory(prefix="sons-bench-orders-") as folder:
        engine = open_store(f"sqlite:///{folder}/bench.sqlite3")
        try:
            met = _measure(engine, "SQLite", Path(folder)) and met
        finally:
            engine.dispose()
        server = _postgres_url()
        if server is None:
            print(
                "[PostgreSQL] non mesuré : SONS_BENCH_POSTGRES_URL (ou SONS_TEST_POSTGRES_URL) "
                "n'est pas définie"
            )
            return met
        schema = f"sons_bench_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server)
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
            engine = open_store(url.render_as_string(hide_password=False))
            try:
                met = _measure(engine, "PostgreSQL", Path(folder)) and met
            finally:
                engine.dispose()
        finally:
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin.dispose()
    return met


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
