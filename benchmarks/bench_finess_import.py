"""FINESS extract import, 100,000 establishments: parse time and peak memory (target ≤ 300 MB).

A synthetic extract in the etalab layout (`sons.formats.synthetic_finess`: valid keys, fictional
names, one `geolocalisation` line per establishment as in the real file) is written to a
temporary folder at run time, then measured twice:

1. the parse alone: `sons.formats.finess.read_finess`, the streaming reader (reading, decoding,
   checking every FINESS and SIRET, building the records);
2. the full import into the store, as `sons client import-finess` runs it:
   `sons.services.directory.import_finess` into a fresh SQLite file (SHA-256 of the file, one
   unit of work, upserts in chunks, the import journaled), all or nothing.

Peak memory is the process's maximum resident size (getrusage), printed before and after each
step: it includes the interpreter and the libraries already loaded, so it bounds what the step
costs from above. (tracemalloc would slow the parse down about sixfold.) The target (≤ 300 MB)
holds for both.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

from sons.formats.finess import read_finess
from sons.formats.problems import ImportReport
from sons.formats.synthetic_finess import write_extract
from sons.services.directory import import_finess
from sons.store.database import open_store

ESTABLISHMENTS = 100_000
TARGET_PEAK_MB = 300


def _parse(path: Path) -> tuple[int, ImportReport]:
    report = ImportReport.for_path(path, "extrait FINESS")
    count = sum(1 for _ in read_finess(path, report))
    return count, report


def _max_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def main() -> bool:
    with tempfile.TemporaryDirectory(prefix="sons-bench-finess-") as folder:
        path = Path(folder) / "etalab-cs1100507-stock-synthetique.csv"
        started = time.perf_counter()
        write_extract(path, ESTABLISHMENTS, geolocation=True)
        written = time.perf_counter() - started
        size_mb = path.stat().st_size / 1e6
        print(
            f"Extrait synthétique : {_n(ESTABLISHMENTS)} établissements, "
            f"{_n(1 + 2 * ESTABLISHMENTS)} lignes, {size_mb:.1f} Mo (écrit en {written:.1f} s)"
        )
        rss_before = _max_rss_mb()
        started = time.perf_counter()
        count, report = _parse(path)
        elapsed = time.perf_counter() - started
        rss = _max_rss_mb()
        stored, import_elapsed, import_rss = _import(path, Path(folder) / "bench.sqlite3")
    print(
        f"Lecture (parse seul, sans enregistrement) : {elapsed:.2f} s, "
        f"{_n(count / elapsed)} établissements/s"
    )
    print(f"Établissements lus : {_n(count)} ; {report.summary()}")
    print(
        f"Pic de mémoire résidente du processus (getrusage) : {rss:.1f} Mo "
        f"(avant la lecture : {rss_before:.1f} Mo)"
    )
    print(
        f"Import complet dans le stockage (SQLite, sons client import-finess) : "
        f"{import_elapsed:.2f} s, {_n(stored / import_elapsed)} établissements/s, "
        f"{_n(stored)} enregistrés"
    )
    print(f"Pic de mémoire résidente après l'import : {import_rss:.1f} Mo")
    met = (
        count == ESTABLISHMENTS
        and stored == ESTABLISHMENTS
        and not report.has_errors
        and max(rss, import_rss) <= TARGET_PEAK_MB
    )
    print(f"Objectif ≤ {TARGET_PEAK_MB} Mo de pic : {'tenu' if met else 'MANQUÉ'}")
    return met


def _import(path: Path, database: Path) -> tuple[int, float, float]:
    """The full import into a fresh SQLite store: (rows stored, seconds, peak RSS in MB)."""
    engine = open_store(f"sqlite:///{database}")
    try:
        started = time.perf_counter()
        outcome = import_finess(engine, path, actor="bench")
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    assert outcome.batch is not None, outcome.message()
    return outcome.stored.rows, elapsed, _max_rss_mb()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
