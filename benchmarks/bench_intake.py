"""Benchmark of the operator's intake (issue 6, « Performance »): 1,000 deposit files of 100
requests each taken in by `sons operator intake` into a fresh SQLite store.

Generated at run time in a temporary folder: N specimen advances of RAD-RIS-Va1 (the
generator of `sons.formats.deposit.specimen`, each with its zip), each file with its own
clients, sites, orders and request identifiers (`first=`), as deposits of distinct clients
are: copies of one file would make every later request a second Prestation of the same
clients, and the cross-vendor lookups read every earlier request. The same run measures, on
the same files:

- the baseline: the deposit checker alone (`check_deposit_file`, JSON and zip, no store), on
  one file in ten by default (`--baseline-every`), scaled to every file;
- the intake (`intake_deposit`): the check, the vendor, doublons, the requests, their history,
  their findings and the journal, written in one transaction per file.

Printed: times, requests per second, the ratio intake / checker, and the process's peak
memory (max RSS, generation included). No target is set by the issue; the full run must stay
within 15 minutes on this machine.

    .venv/bin/python benchmarks/bench_intake.py [--files N] [--requests N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tempfile
import time
import zipfile
from pathlib import Path

import orjson
from fpdf import FPDF

FILES = 1_000
REQUESTS = 100
CODE = "RAD-RIS-Va1"
FULL_RUN_LIMIT_SECONDS = 15 * 60


def _generate(
    folder: Path, files: int, requests: int
) -> tuple[list[Path], list[Path], str, dt.date]:
    """The JSON files, their zips, the vendor's SIRET and the intake day."""
    from sons.formats.deposit.model import DepositKind
    from sons.formats.deposit.specimen import specimen_deposit
    from sons.referential.loader import default_referential

    # One real one-page PDF for every piece: the zip checks open each PDF.
    page = FPDF()
    page.add_page()
    page.set_font("helvetica", size=12)
    page.cell(text="Pièce du banc d'essai")
    content = bytes(page.output())
    paths = []
    archives = []
    for number in range(files):
        # Each file its own clients, as real deposits: a copy of one file would make every
        # request after the first a second Prestation of the same clients.
        specimen = specimen_deposit(
            default_referential(),
            CODE,
            DepositKind.ADVANCE,
            requests,
            document=lambda _: content,
            first=number * requests,
        )
        archive = folder / f"depot-{number + 1:04d}.zip"
        with zipfile.ZipFile(archive, "w") as target:
            for name, document in specimen.documents.items():
                target.writestr(name, document)
        deposit = specimen.deposit
        path = folder / f"depot-{number + 1:04d}.json"
        path.write_bytes(orjson.dumps(deposit.to_file()))
        paths.append(path)
        archives.append(archive)
    return paths, archives, deposit.vendor.siret, deposit.created_at.date()


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=FILES)
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument(
        "--baseline-every",
        type=int,
        default=10,
        help="le contrôleur seul sur un fichier sur N (1 : tous)",
    )
    args = parser.parse_args(argv)

    from sons.referential.loader import default_referential
    from sons.services.deposits import check_deposit_file
    from sons.services.intake import Reception, intake_deposit
    from sons.services.vendors import create_vendor
    from sons.store.database import open_store

    referential = default_referential()
    with tempfile.TemporaryDirectory(prefix="sons-bench-intake-") as name:
        folder = Path(name)
        started = time.perf_counter()
        paths, archives, siret, today = _generate(folder, args.files, args.requests)
        generated = time.perf_counter() - started
        print(
            f"{len(paths)} fichiers de {args.requests} demandes générés en {generated:.1f} s "
            f"(un zip de {archives[0].stat().st_size / 1024:.0f} Kio chacun, clients distincts)"
        )
        pairs = list(zip(paths, archives, strict=True))

        sample = pairs[:: max(1, args.baseline_every)]
        started = time.perf_counter()
        for path, archive in sample:
            check_deposit_file(None, path, archive, today=today, referential=referential)
        # Per file, then scaled to every file: the checker costs the same on each copy.
        baseline = (time.perf_counter() - started) / len(sample) * len(paths)

        engine = open_store(f"sqlite:///{folder / 'operateur.sqlite3'}")
        try:
            create_vendor(
                engine,
                name="Éditeur du banc d'essai",
                siret=siret,
                enrolment_number="ENR-000001",
                actor="banc",
            )
            started = time.perf_counter()
            received = incomplete = 0
            for path, archive in pairs:
                result = intake_deposit(
                    engine, path, archive, actor="banc", today=today, referential=referential
                )
                received += result.count(Reception.RECEIVED) + result.count(Reception.CONFLICT)
                incomplete += result.count(Reception.INCOMPLETE)
            intake = time.perf_counter() - started
        finally:
            engine.dispose()
        database_size = (folder / "operateur.sqlite3").stat().st_size

    total = args.files * args.requests
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    mib = 1024 * 1024
    print(f"Demandes                                  : {total}")
    print(
        f"Référence : contrôleur seul (JSON + zip)  : {baseline:.1f} s sur "
        f"{len(paths)} fichiers (mesuré sur {len(sample)}), "
        f"{total / baseline:,.0f} demandes/s".replace(",", " ")
    )
    print(
        f"Réception (sons operator intake)          : {intake:.1f} s, "
        f"{total / intake:,.0f} demandes/s".replace(",", " ")
        + f" ({received} reçues, {incomplete} incomplètes)"
    )
    print(f"Réception / contrôleur seul               : {intake / baseline:.2f}")
    print(f"Base SQLite à la fin                      : {database_size / mib:.0f} Mio")
    print(f"Mémoire maximale du processus             : {peak / mib:.0f} Mio")
    elapsed = generated + baseline * len(sample) / len(paths) + intake
    within = elapsed <= FULL_RUN_LIMIT_SECONDS
    print(
        f"Durée totale                              : {elapsed:.0f} s "
        f"(limite {FULL_RUN_LIMIT_SECONDS} s)"
    )
    return within


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
