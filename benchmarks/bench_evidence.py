"""Evidence at a large vendor's scale: import a year of transmissions (5 million lines) and
compute the readiness of 2,000 orders; time, peak memory, and a pandas baseline.

Generated at run time in a temporary folder:
- the store (SQLite file, or `--database URL`): one vendor, its RIS solution, `--orders`
  RAD-RIS-Va1 orders (one site, or two for one order in three) in three scenarios — DMP, MSS
  Pro and MSS Patient sent directly; DMP and MSS Patient through a third-party sender; DMP only;
- the transmissions log, `--lines` lines of CSV written by DuckDB (`COPY … FROM range(n)`):
  a year of 2023 spread over the sites, mostly acknowledged, mostly with a qualified INS, some
  from an older version, MSS Patient messages to patients and sometimes to the test address.

Then, each in a subprocess of its own (peak memory from `getrusage`, the child's own maximum
resident size, and `RUSAGE_CHILDREN` in this process):
1. `sons.services.evidence.import_transmissions` — read and check every line, write them;
2. `sons.services.evidence.readiness` for every order — one counting query over the log;
3. the baseline: pandas reads the same CSV (C engine, text columns), parses the times and
   groups the acknowledged lines by site, flow, route, INS, document type, recipient kind,
   software, version and day.
Targets: the import and the readiness each stay under 500 MB; the readiness is at least 3 times
faster than the baseline (the figure a vendor gets from the store, against re-reading its log
each time). The import is timed and compared too, for the record.

Usage: `python benchmarks/bench_evidence.py [--lines N] [--orders M] [--database URL]
[--keep DIR]`, or through `benchmarks/run.py` (full scale). Needs the `bench` extra (pandas).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

LINES = 5_000_000
ORDERS = 2_000
TARGET_RSS_MB = 500
TARGET_RATIO = 3.0
THREADS = 2
HERE = Path(__file__).resolve()
SOLUTION_NAME = "RIS Horizon"
SOLUTION_VERSION = "4.2"
TEST_ADDRESS = "reponse.automatique-test@patient.mssante.fr"

_NONE = {
    "identity_referential": False,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": False,
    "dmp_via_pfi": False,
    "mss_pro_direct": False,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": False,
    "mss_patient_via_pfi": False,
}
SCENARIOS = (
    {**_NONE, "dmp_direct": True, "mss_pro_direct": True, "mss_patient_direct": True},
    {**_NONE, "dmp_via_pfi": True, "mss_patient_via_pfi": True},
    {**_NONE, "dmp_direct": True},
)


# --- the store: vendor, solution, orders ---------------------------------------------------------


# Départements 01 to 95 but 20 (Corsica is 2A and 2B).
_DEPARTMENTS = [d for d in range(1, 96) if d != 20]


def _finess(index: int) -> str:
    from sons.domain.identifiers import luhn_check_digit

    body = f"{_DEPARTMENTS[index % len(_DEPARTMENTS)]:02d}{100000 + index:06d}"
    return body + luhn_check_digit(body)


def build_store(url: str, orders: int) -> list[tuple[str, int]]:
    """The vendor and its orders; returns (FINESS ET, scenario kind) for every site."""
    from sons.domain.orders import (
        ClientKind,
        FundedDimension,
        OrderLine,
        PurchaseOrder,
        SiteScenario,
        Solution,
        Vendor,
    )
    from sons.referential.loader import default_referential
    from sons.store.database import open_store
    from sons.store.unit_of_work import UnitOfWork

    referential = default_referential()
    view = referential.at("RAD-RIS-Va1", dt.date(2022, 6, 1))
    vendor = Vendor("Éditeur Radiologie Numérique", "732829320", "73282932000074")
    solution = Solution(
        SOLUTION_NAME,
        SOLUTION_VERSION,
        "REF-RIS-001",
        "RAD-RIS-Va1",
        frozenset(p.id for p in view.profiles),
        dt.date(2022, 5, 1),
    )
    sites: list[tuple[str, int]] = []
    values = []
    for number in range(orders):
        kind = number % len(SCENARIOS)
        count = 2 if number % 3 == 0 else 1
        order_sites = []
        for _ in range(count):
            finess = _finess(len(sites))
            sites.append((finess, kind))
            order_sites.append(SiteScenario(finess, SCENARIOS[kind]))
        values.append(
            PurchaseOrder(
                number=f"BC-{number:05d}",
                vendor_siret=vendor.siret,
                solution_referencing_number=solution.referencing_number,
                dispositif="RAD-RIS-Va1",
                client_kind=ClientKind.LEGAL_ENTITY,
                client_id=order_sites[0].finess_et or "",
                signed_on=dt.date(2022, 6, 1) + dt.timedelta(days=number % 200),
                signatory="Direction",
                prestation_ht_cents=1_000_000,
                prestation_ttc_cents=1_200_000,
                referential_pin=referential.pin,
                sites=tuple(order_sites),
                lines=(OrderLine("Licence", 1_000_000, FundedDimension.LICENCE),),
            )
        )
    engine = open_store(url)
    try:
        with UnitOfWork(engine, "bench") as uow:
            vendor_id = uow.vendors.save(vendor).id
            uow.solutions.save(vendor_id, solution)
            for start in range(0, len(values), 1000):
                uow.orders.add_many(vendor_id, values[start : start + 1000])
    finally:
        engine.dispose()
    return sites


# --- the log (DuckDB) ------------------------------------------------------------------------


def write_log(folder: Path, sites: list[tuple[str, int]], lines: int) -> Path:
    """`lines` transmissions over 2023, spread over the sites, as the vendor's software logs
    them (CSV, « ; »)."""
    sites_file = folder / "sites.csv"
    sites_file.write_text(
        "idx;finess;kind\n" + "".join(f"{i};{f};{k}\n" for i, (f, k) in enumerate(sites)),
        encoding="utf-8",
    )
    path = folder / "journal-2023.csv"
    n_sites = len(sites)
    connection = duckdb.connect(config={"threads": THREADS, "memory_limit": "1GB"})
    connection.execute("SET enable_progress_bar = false")
    connection.execute(
        f"CREATE TABLE sites AS SELECT * FROM read_csv('{sites_file}', delim=';', header=true, "
        "columns={'idx': 'INTEGER', 'finess': 'VARCHAR', 'kind': 'INTEGER'})"
    )
    # Line i: site i mod n; its flow cycles through the site's scenario; one line in 40 is not
    # acknowledged, one in 7 without a qualified INS, one in 20 from the older version.
    connection.execute(
        f"""
        COPY (
          WITH t AS (
            SELECT i, s.finess, s.kind,
                   CAST((i // {n_sites}) % 3 AS INTEGER) AS step,
                   hash(i) AS h
            FROM range({lines}) r(i) JOIN sites s ON s.idx = i % {n_sites}
          ), f AS (
            SELECT *,
              CASE kind
                WHEN 0 THEN ['dmp', 'mss_pro', 'mss_patient'][step + 1]
                WHEN 1 THEN ['dmp', 'dmp', 'mss_patient'][step + 1]
                ELSE 'dmp' END AS flux
            FROM t
          )
          SELECT
            strftime(TIMESTAMP '2023-01-01 00:00:00'
                     + to_seconds(CAST(i * (31000000.0 / {lines}) AS BIGINT)),
                     '%Y-%m-%dT%H:%M:%S') || '+01:00' AS horodatage,
            finess AS finess_et,
            flux,
            CASE WHEN kind = 1 THEN 'third_party' ELSE 'direct' END AS voie,
            CASE WHEN h % 7 = 0 THEN ['non_qualifiee', 'absente'][CAST(h % 2 AS INTEGER) + 1]
                 ELSE 'qualifiee' END AS statut_ins,
            '18748-4' AS type_document,
            CASE flux
              WHEN 'mss_pro' THEN 'dr.medecin' || CAST(h % 5000 AS VARCHAR) || '@hopital.mssante.fr'
              WHEN 'mss_patient' THEN
                CASE WHEN h % 10 = 0 THEN '{TEST_ADDRESS}'
                     ELSE printf('%015d', h % 1000000000000000) || '@patient.mssante.fr' END
              ELSE '' END AS destinataire,
            CASE WHEN h % 40 = 0 THEN 'ko' ELSE 'ok' END AS accuse,
            '{SOLUTION_NAME}' AS logiciel,
            CASE WHEN h % 20 = 1 THEN '4.1' ELSE '{SOLUTION_VERSION}' END AS version_logiciel,
            'MSG-' || CAST(i AS VARCHAR) AS id_message
          FROM f
          ORDER BY i
        ) TO '{path}' (HEADER, DELIMITER ';')
        """
    )
    connection.close()
    return path


# --- workers (each in its own process) ----------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare_worker(data: dict[str, Any]) -> dict[str, Any]:
    """The store and the log, in a process of its own: DuckDB's memory must not count in the
    parent, whose children inherit its peak."""
    start = time.perf_counter()
    sites = build_store(data["url"], data["orders"])
    log = write_log(Path(data["folder"]), sites, data["lines"])
    return {"seconds": time.perf_counter() - start, "sites": len(sites), "log": str(log)}


def import_worker(data: dict[str, Any]) -> dict[str, Any]:
    from sons.services.evidence import import_transmissions
    from sons.store.database import open_store

    engine = open_store(data["url"])
    start, cpu = time.perf_counter(), time.process_time()
    outcome = import_transmissions(
        engine, Path(data["log"]), vendor_id=1, actor="bench", skip_invalid=False
    )
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    if outcome.refused:
        raise SystemExit(outcome.report.summary() + str(outcome.report.problems[:3]))
    return {"seconds": seconds, "cpu": cpu, "stored": outcome.stored, "peak_mb": _peak_mb()}


def readiness_worker(data: dict[str, Any]) -> dict[str, Any]:
    from sons.services.evidence import readiness
    from sons.store.database import open_store

    engine = open_store(data["url"])
    start, cpu = time.perf_counter(), time.process_time()
    report = readiness(engine, vendor_id=1)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    engine.dispose()
    counted = sum(c.tally.count for o in report.orders for s in o.sites for c in s.conditions)
    return {
        "seconds": seconds,
        "cpu": cpu,
        "orders": len(report.orders),
        "conditions": sum(len(s.conditions) for o in report.orders for s in o.sites),
        "counted": counted,
        "verdicts": report.as_dict()["summary"],
        "peak_mb": _peak_mb(),
    }


def pandas_worker(data: dict[str, Any]) -> dict[str, Any]:
    import pandas as pd

    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(data["log"], sep=";", dtype=str, keep_default_na=False)
    frame = frame[frame["accuse"] == "ok"]
    day = pd.to_datetime(frame["horodatage"], utc=True, format="ISO8601").dt.date
    recipient = (frame["destinataire"] == TEST_ADDRESS).map({True: "test", False: "other"})
    groups = frame.groupby(
        [
            frame["finess_et"],
            frame["flux"],
            frame["voie"],
            frame["statut_ins"],
            frame["type_document"],
            recipient,
            frame["logiciel"],
            frame["version_logiciel"],
            day,
        ]
    ).size()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"seconds": seconds, "cpu": cpu, "groups": len(groups), "peak_mb": _peak_mb()}


WORKERS = {
    "prepare": prepare_worker,
    "import": import_worker,
    "readiness": readiness_worker,
    "pandas": pandas_worker,
}


def _child(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    process = subprocess.run(
        [sys.executable, str(HERE), "--worker", kind, "--data", json.dumps(data)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if process.returncode != 0:
        raise SystemExit(f"le travail « {kind} » a échoué :\n{process.stderr[-3000:]}")
    return dict(json.loads(process.stdout.strip().splitlines()[-1]))


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=LINES, help="Lignes du journal.")
    parser.add_argument("--orders", type=int, default=ORDERS, help="Bons de commande.")
    parser.add_argument("--database", help="URL de la base (par défaut : SQLite temporaire).")
    parser.add_argument("--keep", type=Path, help="Garder les fichiers générés dans ce dossier.")
    parser.add_argument("--worker", choices=tuple(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](json.loads(args.data))))
        return True
    with tempfile.TemporaryDirectory(prefix="bench-preuves-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        url = args.database or f"sqlite:///{folder}/sons.sqlite3"
        prepared = _child(
            "prepare",
            {"url": url, "orders": args.orders, "lines": args.lines, "folder": str(folder)},
        )
        log = Path(prepared["log"])
        size_mb = log.stat().st_size / 1e6
        print(
            f"données : {_n(args.orders)} bons ({_n(prepared['sites'])} sites), journal de "
            f"{_n(args.lines)} lignes ({size_mb:.0f} Mo) — préparés en {prepared['seconds']:.1f} s"
        )
        data = {"url": url, "log": str(log)}
        imported = _child("import", data)
        ready = _child("readiness", data)
        # The preparation and our two workers only (the baseline runs after).
        children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        baseline = _child("pandas", data)
    per_second = imported["stored"] / imported["seconds"]
    print(
        f"import (sons)        : {imported['seconds']:7.1f} s (CPU {imported['cpu']:.1f} s), "
        f"{_n(imported['stored'])} envois "
        f"enregistrés ({_n(per_second)} lignes/s), pic mémoire {_n(imported['peak_mb'])} Mo"
    )
    print(
        f"état des bons (sons) : {ready['seconds']:7.1f} s (CPU {ready['cpu']:.1f} s) pour "
        f"{_n(ready['orders'])} bons et "
        f"{_n(ready['conditions'])} conditions, {_n(ready['counted'])} envois comptés, pic "
        f"mémoire {_n(ready['peak_mb'])} Mo — {ready['verdicts']}"
    )
    print(
        f"                       RUSAGE_CHILDREN : {_n(children_mb)} Mo (le plus haut des "
        "processus fils, préparation DuckDB comprise)"
    )
    print(
        f"pandas (témoin)      : {baseline['seconds']:7.1f} s (CPU {baseline['cpu']:.1f} s ; "
        "lecture, dates, regroupement en "
        f"{_n(baseline['groups'])} groupes), pic mémoire {_n(baseline['peak_mb'])} Mo"
    )
    ratio = baseline["seconds"] / ready["seconds"]
    cpu_ratio = baseline["cpu"] / ready["cpu"]
    whole = baseline["seconds"] / (imported["seconds"] + ready["seconds"])
    print(
        f"rapport pandas / état des bons : {ratio:.1f}× (en temps CPU : {cpu_ratio:.1f}×) ; "
        f"pandas / (import + état) : {whole:.2f}× (l'import vérifie chaque ligne et "
        "l'enregistre, une fois)"
    )
    memory_ok = max(imported["peak_mb"], ready["peak_mb"]) <= TARGET_RSS_MB
    ratio_ok = ratio >= TARGET_RATIO
    print(
        f"objectifs : mémoire ≤ {TARGET_RSS_MB} Mo — {'tenu' if memory_ok else 'MANQUÉ'} ; "
        f"état des bons ≥ {TARGET_RATIO:.0f}× plus rapide que pandas — "
        f"{'tenu' if ratio_ok else 'MANQUÉ'}"
    )
    return memory_ok and ratio_ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
