"""The web application with 100,000 orders in the store: latency of the order list (with filters)
and of the dashboard, and sustained requests per second on list pages, on SQLite and PostgreSQL.

    python benchmarks/bench_web_latency.py [--orders N] [--clients C] [--seconds S] [--workers W]

The store is generated at run time with bulk inserts: two vendors (95 % / 5 % of the orders) over
four dispositifs, clients taken from 5,000 legal entities with names, and one funding request
for every fifth order in every status (the dashboard's sums). The orders carry no sites or lines:
neither page reads them. SQLite in a temporary file; PostgreSQL in a throw-away schema of
`SONS_BENCH_POSTGRES_URL`, `SONS_TEST_POSTGRES_URL` or postgresql://postgres@127.0.0.1:5432/test
when reachable, dropped afterwards.

The application runs in a subprocess (`sons serve --workers W`, uvicorn), driven from this
process over the loopback, each client logged in as a user would be (httpx logs in through the
login form; the pages are then read on kept-alive connections by a lean HTTP/1.1 client, so
that the driver, on the same two cores, takes as little as it can from the server):
- latency: one client at a time (p50/p95 of the time to the full response), the list of the
  large vendor with a mix of filters and pages (deep pages included), the operator's list of all
  vendors, and the dashboards;
- throughput: C concurrent clients requesting list pages for S seconds, first against one
  worker process (the baseline, same run), then against W; then against W again while an
  order changes status once a second (a journaled write: the lists read while nothing changed
  are read anew after each, see `services.order_list._Remembered`).
Targets: p95 ≤ 150 ms for every page measured, ≥ 200 list pages per second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from sons.domain.orders import LegalEntity, LegalStatus, Solution, Vendor
from sons.domain.workflow import RequestKind, Status
from sons.formats.synthetic_finess import siret_number
from sons.services.accounts import Accounts
from sons.store.bulk import insert_returning_ids, insert_rows
from sons.store.database import create_engine, open_store
from sons.store.requests import (
    DepositOrigin,
    FundingRequestRow,
    NewDeposit,
    RequestRepository,
)
from sons.store.tables import PurchaseOrderRow
from sons.store.unit_of_work import UnitOfWork

TARGET_P95_MS = 150.0
TARGET_RATE = 200.0
DISPOSITIFS = ("MDV-LGC-Va1", "RAD-RIS-Va1", "HOP-DPI-Va1", "BIO-SGL-Va1")
ENTITIES = 5_000
PASSWORD = "banc d'essai du site web"
VENDOR_EMAIL = "admin@grand-editeur.fr"
OPERATOR_EMAIL = "instructeur@operateur.fr"
NAME_WORDS = ("CENTRE HOSPITALIER", "CLINIQUE", "CENTRE DE SANTE", "HOPITAL LOCAL", "GCS")
CITIES = ("DE LYON", "DE NANTES", "DU MANS", "D'ARRAS", "DE PAU", "DE BREST", "DE NIORT")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CONTENT_LENGTH = re.compile(rb"(?i)\r\ncontent-length: *(\d+)")
START = dt.date(2023, 1, 2)


def _finess(n: int) -> str:
    return f"{n:09d}"


def _entities() -> list[LegalEntity]:
    return [
        LegalEntity(
            _finess(750_000_000 + n),
            f"{NAME_WORDS[n % len(NAME_WORDS)]} {CITIES[n % len(CITIES)]} {n}",
            LegalStatus.PUBLIC if n % 3 else LegalStatus.PRIVATE,
        )
        for n in range(ENTITIES)
    ]


def _seed(url: str, orders: int) -> None:
    """The store: vendors, solutions, directory, orders and requests, by bulk inserts."""
    engine = open_store(url)
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(7)
    try:
        with UnitOfWork(engine, "banc") as uow:
            uow.directory.upsert_legal_entities(_entities())
            vendors = []
            for serial, name, share in (
                (31_000_001, "Grand Éditeur", 0.95),
                (31_000_002, "Petit Éditeur", 0.05),
            ):
                siret = siret_number(serial)
                vendor_id = uow.vendors.save(Vendor(name, siret[:9], siret)).id
                for code in DISPOSITIFS:
                    reference = f"REF-{serial}-{code}"
                    uow.solutions.save(
                        vendor_id,
                        Solution("Logiciel", "1", reference, code, frozenset({"Général"})),
                    )
                vendors.append((vendor_id, serial, int(orders * share)))
            uow.session.flush()
            solution_ids = dict(
                uow.session.execute(sa.text("SELECT referencing_number, id FROM solutions")).all()
            )
            statuses = [s.value for s in Status]
            for vendor_id, serial, count in vendors:
                rows: list[dict[str, Any]] = []
                for n in range(count):
                    code = DISPOSITIFS[n % len(DISPOSITIFS)]
                    ht = 100_000 + rng.randrange(5_000_000)
                    rows.append(
                        {
                            "vendor_id": vendor_id,
                            "number": f"BC-{n:06d}",
                            "solution_id": solution_ids[f"REF-{serial}-{code}"],
                            "dispositif": code,
                            "client_kind": "legal_entity",
                            "client_id": _finess(750_000_000 + rng.randrange(ENTITIES)),
                            "signed_on": START + dt.timedelta(days=n % 700),
                            "signatory": "Direction",
                            "under_referencing_condition": False,
                            "prestation_ht_cents": ht,
                            "prestation_ttc_cents": ht * 6 // 5,
                            "referential_pin": "1.0.0+banc",
                            "status": "draft",
                            "extra": {},
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                ids = insert_returning_ids(uow.session, PurchaseOrderRow, rows)
                requests = RequestRepository(uow.session, uow.journal, uow.actor, uow.now)
                deposit = requests.add_deposit(
                    vendor_id,
                    NewDeposit(
                        name=f"banc-{vendor_id}",
                        origin=DepositOrigin.IMPORTED,
                        kind="avance",
                        couloir="MDV",
                        dispositif=DISPOSITIFS[0],
                        format_version="1",
                        file_created_at=now,
                        json_file_name="banc.json",
                        json_content=b"{}",
                        zip_file_name=None,
                        zip_content=None,
                        referential_pin="1.0.0+banc",
                        requests=0,
                    ),
                )
                request_rows = [
                    {
                        "vendor_id": vendor_id,
                        "deposit_id": deposit.id,
                        "position": position,
                        "request_ref": f"R-{position}",
                        "kind": (
                            RequestKind.ADVANCE if position % 3 else RequestKind.BALANCE
                        ).value,
                        "status": statuses[position % len(statuses)],
                        "dispositif": row["dispositif"],
                        "order_id": order_id,
                        "order_number": row["number"],
                        "order_signed_on": row["signed_on"],
                        "client_kind": row["client_kind"],
                        "client_id": row["client_id"],
                        "sites": [],
                        "advance_id": None,
                        "prestation_ht_cents": row["prestation_ht_cents"],
                        "prestation_ttc_cents": row["prestation_ttc_cents"],
                        "advance_rate": "30",
                        "amount_ht_cents": row["prestation_ht_cents"] * 3 // 10,
                        "amount_ttc_cents": row["prestation_ttc_cents"] * 3 // 10,
                        "codes": [],
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for position, (order_id, row) in enumerate(zip(ids, rows, strict=True))
                    if position % 5 == 0
                ]
                insert_rows(uow.session, FundingRequestRow, request_rows)
        accounts = Accounts(engine)
        accounts.create_user(
            "banc",
            org=siret_number(31_000_001),
            email=VENDOR_EMAIL,
            role="vendor_admin",
            password=PASSWORD,
        )
        accounts.create_user(
            "banc",
            org="operateur",
            org_name="Opérateur",
            email=OPERATOR_EMAIL,
            role="operator_instructor",
            password=PASSWORD,
        )
        if engine.dialect.name == "postgresql":
            # The steady state autovacuum keeps: statistics, and the visibility map that lets
            # counts read the indexes alone (a bulk load leaves neither).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(sa.text("VACUUM ANALYZE"))
    finally:
        engine.dispose()


@contextmanager
def _server(url: str, workers: int) -> Iterator[str]:
    """`sons serve` on a free port of the loopback, until the block ends; its log is kept (the
    last lines) and printed if the block fails."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "sons", "serve", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", str(workers)),
        ],
        env={**os.environ, "SONS_DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    log: deque[str] = deque(maxlen=200)
    assert process.stdout is not None
    started = 0
    for line in process.stdout:
        log.append(line)
        # Each worker process says so once it has built the application.
        started += "Application startup complete" in line
        if started == workers:
            break
    else:
        raise RuntimeError("le serveur s'est arrêté avant d'écouter :\n" + "".join(log))
    # Read the access log on (a full pipe would block the server), keeping its end.
    reader = threading.Thread(target=lambda: log.extend(process.stdout or ()), daemon=True)
    reader.start()
    try:
        yield f"http://127.0.0.1:{port}"
    except BaseException:
        print("".join(line for line in log if "GET /" not in line or " 500" in line)[-5000:])
        raise
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=30)


class PageReader:
    """One user's kept-alive HTTP/1.1 connection, reading whole pages: a request line, the
    session cookie, and the body read to its length (or its chunks). A tenth of httpx's time
    per request: the driver leaves the cores to the server."""

    def __init__(self, port: int, cookie: str) -> None:
        self._port = port
        self._cookie = cookie
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        """The page's status, once its whole body has arrived."""
        try:
            return await self._get(path)
        except (asyncio.IncompleteReadError, ConnectionError):
            # The server closed a connection left idle (uvicorn's keep-alive timeout): anew.
            await self.close()
            return await self._get(path)

    async def _get(self, path: str) -> int:
        if self._streams is None:
            self._streams = await asyncio.open_connection("127.0.0.1", self._port)
        reader, writer = self._streams
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {self._cookie}\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = CONTENT_LENGTH.search(head)
        if length is not None:
            await reader.readexactly(int(length.group(1)))
        else:
            while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                await reader.readexactly(size + 2)
            await reader.readexactly(2)
        return int(head[9:12])

    async def close(self) -> None:
        if self._streams is not None:
            writer, self._streams = self._streams[1], None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def _logged_in(base: str, email: str) -> PageReader:
    """A user logged in through the login form (CSRF token and all), reading pages."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        page = await client.get("/connexion")
        token = CSRF.search(page.text)
        assert token, "pas de jeton CSRF sur la page de connexion"
        response = await client.post(
            "/connexion",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        assert response.status_code in (200, 303), response.text[:500]
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    reader = PageReader(int(base.rsplit(":", 1)[1]), cookie)
    assert await reader.get("/tableau-de-bord") == 200
    return reader


def _list_urls(pages: int, rng: random.Random) -> Iterator[str]:
    """An endless mix of what users ask the list for."""
    while True:
        yield from (
            "/commandes",
            f"/commandes?page={rng.randrange(1, pages)}",
            f"/commandes?dispositif={rng.choice(DISPOSITIFS)}",
            f"/commandes?dispositif={rng.choice(DISPOSITIFS)}&statut=draft"
            f"&page={rng.randrange(1, 50)}",
            f"/commandes?client={750_000_000 + rng.randrange(ENTITIES)}",
            f"/commandes?client={rng.choice(CITIES).split()[-1].lower()}",
            f"/commandes?numero=BC-0{rng.randrange(10, 99)}",
            "/commandes?signe_du=2023-03-01&signe_au=2023-03-31",
        )


def _kind(url: str) -> str:
    """What a list URL filters on, e.g. « client » or « dispositif+statut+page »."""
    query = url.partition("?")[2]
    return "+".join(part.partition("=")[0] for part in query.split("&")) if query else "aucun"


def _by_kind(samples: list[tuple[str, float]]) -> dict[str, tuple[float, float]]:
    kinds: dict[str, list[float]] = {}
    for url, seconds in samples:
        kinds.setdefault(_kind(url), []).append(seconds)
    return {kind: _percentiles(values) for kind, values in sorted(kinds.items())}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return statistics.median(ordered) * 1000, p95 * 1000


async def _latency(client: PageReader, urls: Iterator[str], count: int) -> list[tuple[str, float]]:
    samples = []
    for _ in range(count):
        url = next(urls)
        started = time.perf_counter()
        status = await client.get(url)
        samples.append((url, time.perf_counter() - started))
        assert status == 200, (url, status)
    return samples


def _seconds(samples: list[tuple[str, float]]) -> list[float]:
    return [seconds for _url, seconds in samples]


async def _throughput(clients: list[PageReader], urls: Iterator[str], seconds: float) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def worker(client: PageReader) -> None:
        nonlocal done
        while time.perf_counter() < stop:
            url = next(urls)
            status = await client.get(url)
            assert status == 200, (url, status)
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    return done / (time.perf_counter() - started)


def _repeat(url: str) -> Iterator[str]:
    while True:
        yield url


async def _drive(base: str, orders: int, concurrency: int, seconds: float) -> dict[str, Any]:
    rng = random.Random(11)
    pages = max(2, int(orders * 0.95) // 50)
    vendor = await _logged_in(base, VENDOR_EMAIL)
    operator = await _logged_in(base, OPERATOR_EMAIL)
    try:
        await _latency(vendor, _list_urls(pages, rng), 20)  # warm-up: caches, connections
        vendor_list = await _latency(vendor, _list_urls(pages, rng), 400)
        operator_list = await _latency(operator, _list_urls(pages * 2, rng), 160)
        figures: dict[str, Any] = {
            "liste éditeur (filtres mêlés)": _percentiles(_seconds(vendor_list)),
            "liste opérateur (tous éditeurs)": _percentiles(_seconds(operator_list)),
            "tableau de bord éditeur": _percentiles(
                _seconds(await _latency(vendor, _repeat("/tableau-de-bord"), 60))
            ),
            "tableau de bord opérateur": _percentiles(
                _seconds(await _latency(operator, _repeat("/tableau-de-bord"), 60))
            ),
            # The floor: a page that reads nothing of the orders, on the same machine, same run.
            "plancher : page « Mon compte »": _percentiles(
                _seconds(await _latency(vendor, _repeat("/compte"), 60))
            ),
            "détail": _by_kind(vendor_list),
        }
        figures["débit"] = await _rate(base, orders, concurrency, seconds)
        return figures
    finally:
        await vendor.close()
        await operator.close()


async def _rate(base: str, orders: int, concurrency: int, seconds: float) -> float:
    """List pages per second, `concurrency` users at once for `seconds`."""
    pages = max(2, int(orders * 0.95) // 50)
    clients = [await _logged_in(base, VENDOR_EMAIL) for _ in range(concurrency)]
    try:
        await _throughput(clients, _list_urls(pages, random.Random(5)), 1.0)  # warm-up
        return await _throughput(clients, _list_urls(pages, random.Random(13)), seconds)
    finally:
        for client in clients:
            await client.close()


@contextmanager
def _status_changes(url: str, every: float = 1.0) -> Iterator[list[int]]:
    """While the block runs, the large vendor's first order changes status every `every`
    seconds (draft ↔ validated), each change journaled as users' changes are; yields the list
    of changes made, filled as they are."""
    engine = create_engine(url)
    stop = threading.Event()
    made: list[int] = []

    def change() -> None:
        with UnitOfWork(engine, "banc") as uow:
            vendor_id = uow.vendors.require_id(siret_number(31_000_001))
            stored = uow.orders.get(vendor_id, "BC-000000")
            assert stored is not None
            status = "validated" if stored.status == "draft" else "draft"
            uow.orders.set_status(vendor_id, "BC-000000", status, expected_version=stored.version)
        made.append(1)

    def run() -> None:
        while not stop.wait(every):
            change()

    writer = threading.Thread(target=run, daemon=True)
    writer.start()
    try:
        yield made
    finally:
        stop.set()
        writer.join(timeout=30)
        engine.dispose()


def _measure(
    label: str, url: str, orders: int, concurrency: int, seconds: float, workers: int
) -> bool:
    started = time.perf_counter()
    _seed(url, orders)
    print(
        f"[{label}] {orders:,} bons générés en {time.perf_counter() - started:.1f} s".replace(
            ",", " "
        )
    )
    with _server(url, 1) as base:
        one_worker = asyncio.run(_rate(base, orders, concurrency, seconds))
    with _server(url, workers) as base:
        figures = asyncio.run(_drive(base, orders, concurrency, seconds))
        with _status_changes(url) as changes:
            live = asyncio.run(_rate(base, orders, concurrency, seconds))
        assert changes, "aucun changement de statut pendant la mesure"
    ok = True
    print(f"[{label}] charge de la machine (load average 1 min) : {os.getloadavg()[0]:.1f}")
    for name, value in figures.items():
        if name == "détail":
            for kind, (p50, p95) in value.items():
                print(
                    f"[{label}]   liste éditeur, filtre {kind} : p50 {p50:.1f} ms, p95 {p95:.1f} ms"
                )
            continue
        if name.startswith("plancher"):
            p50, p95 = value
            print(f"[{label}] {name} : p50 {p50:.1f} ms, p95 {p95:.1f} ms (sans objectif)")
            continue
        if name == "débit":
            met = value >= TARGET_RATE
            print(
                f"[{label}] débit, {concurrency} clients, pages de liste, 1 processus (référence) "
                f": {one_worker:.0f} requêtes/s"
            )
            print(
                f"[{label}] débit, {concurrency} clients, pages de liste, {workers} processus : "
                f"{value:.0f} requêtes/s, {value / one_worker:.2f} × la référence "
                f"(objectif ≥ {TARGET_RATE:.0f}) {'OK' if met else 'MANQUÉ'}"
            )
            print(
                f"[{label}] débit, {concurrency} clients, pages de liste, {workers} processus, "
                f"un bon changeant de statut chaque seconde ({len(changes)} changements) : "
                f"{live:.0f} requêtes/s (sans objectif)"
            )
        else:
            p50, p95 = value
            met = p95 <= TARGET_P95_MS
            print(
                f"[{label}] {name} : p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                f"(objectif p95 ≤ {TARGET_P95_MS:.0f} ms) {'OK' if met else 'MANQUÉ'}"
            )
        ok = ok and met
    return ok


def _postgres_server() -> str | None:
    candidates = [
        os.environ.get(name, "").strip()
        for name in ("SONS_BENCH_POSTGRES_URL", "SONS_TEST_POSTGRES_URL")
    ]
    candidates.append("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    for url in candidates:
        if not url:
            continue
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            return url
        except sa.exc.OperationalError:
            continue
        finally:
            engine.dispose()
    return None


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processus de `sons serve`"
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--stores",
        default="sqlite,postgresql",
        help="les bases mesurées, parmi sqlite et postgresql (séparées par des virgules)",
    )
    args = parser.parse_args(argv if argv is not None else [])
    ok = True
    stores = {name.strip() for name in args.stores.split(",")}
    if "sqlite" in stores:
        ok = _measure_sqlite(args) and ok
    if "postgresql" in stores:
        ok = _measure_postgresql(args) and ok
    return ok


def _measure_sqlite(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory(prefix="sons-bench-web-") as folder:
        url = f"sqlite:///{Path(folder) / 'web.sqlite3'}"
        return _measure("SQLite", url, args.orders, args.clients, args.seconds, args.workers)


def _measure_postgresql(args: argparse.Namespace) -> bool:
    server = _postgres_server()
    if server is None:
        print(
            "[PostgreSQL] non mesuré : aucun serveur joignable (SONS_BENCH_POSTGRES_URL, "
            "SONS_TEST_POSTGRES_URL ou 127.0.0.1:5432/test)."
        )
        return True
    schema = f"sons_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
        return _measure(
            "PostgreSQL",
            url.render_as_string(hide_password=False),
            args.orders,
            args.clients,
            args.seconds,
            args.workers,
        )
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1:]) else 1)
