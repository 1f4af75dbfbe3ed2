"""Benchmark of the deposit checker on a national-scale file (issue 4, « Performance »).

Generates a 100,000-request deposit file at run time (a GP-software file, MDV-LGC-Va1 when the
referential has it) in a temporary folder, then measures in one run:

- (a) parsing the file with orjson (the floor);
- (b) validating it with the reference `jsonschema` validator (Draft202012Validator) against
  the published schema of its couloir, alone;
- the full check (`check_deposit`: reading, structure, referential rules), run in a child
  process so that its peak memory (max RSS, from getrusage(RUSAGE_CHILDREN)) is honest.

Targets: full check ≤ 0.5 × (b), ≤ 15 × (a); peak memory ≤ 8 × the file size.

    .venv/bin/python benchmarks/bench_deposit_check.py [--requests N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

REQUESTS = 100_000
PREFERRED = ("MDV-LGC-Va1", "RAD-RIS-Va1")


def _child() -> None:
    """In the child process: wait for the file, then run the full check, timed.

    The child is started before the parent grows (generating 100,000 requests takes memory):
    on Linux a process inherits the peak RSS of the process it was exec'd from, so a child
    started later would report the parent's peak, not its own.
    """
    from sons.formats.deposit.check import check_deposit
    from sons.referential.loader import default_referential

    path, today = sys.stdin.readline().split()
    referential = default_referential()
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    cpu = time.process_time()
    report = check_deposit(Path(path), None, referential, dt.date.fromisoformat(today))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    errors = sum(1 for f in report.findings if f.severity.value == "error")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "baseline_kb": baseline_kb,
                "exit_code": report.exit_code,
                "requests": len(report.requests),
                "errors": errors,
            }
        )
    )


def _generate(directory: Path, count: int) -> tuple[Path, str, str]:
    from sons.formats.deposit.model import DepositKind
    from sons.formats.deposit.specimen import specimen_deposit
    from sons.referential.loader import default_referential

    referential = default_referential()
    codes = {d.code for d in referential.dispositifs.values()}
    code = next((c for c in PREFERRED if c in codes), sorted(codes)[0])
    specimen = specimen_deposit(referential, code, DepositKind.ADVANCE, count)
    path = directory / f"depot-{code}-{count}.json"
    # Compact: the hardest case for the memory ratio (no whitespace to inflate the size).
    path.write_bytes(orjson.dumps(specimen.deposit.to_file()))
    family = referential.get(code).identity.deposit_family.value
    return path, family, specimen.deposit.created_at.date().isoformat()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child()
        return
    # Started first, while this process is small (see _child).
    child = subprocess.Popen(
        [sys.executable, __file__, "--child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    from jsonschema import Draft202012Validator

    from sons.formats.deposit.schema import deposit_schema
    from sons.referential.loader import default_referential

    with tempfile.TemporaryDirectory(prefix="sons-bench-") as folder:
        started = time.perf_counter()
        path, family, today = _generate(Path(folder), args.requests)
        print(f"Fichier généré en {time.perf_counter() - started:.1f} s : {path.name}")
        size = path.stat().st_size
        out, _ = child.communicate(f"{path} {today}\n")
        if child.returncode != 0:
            raise SystemExit(f"le contrôle a échoué (code {child.returncode})")
        measured = json.loads(out)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024

        raw = path.read_bytes()
        parse_times, parse_times_no_gc = [], []
        for _ in range(3):
            start = time.perf_counter()
            instance = orjson.loads(raw)
            parse_times.append(time.perf_counter() - start)
            del instance
            gc.disable()
            start = time.perf_counter()
            instance = orjson.loads(raw)
            parse_times_no_gc.append(time.perf_counter() - start)
            gc.enable()
        parse = statistics.median(parse_times)
        parse_no_gc = statistics.median(parse_times_no_gc)
        del raw

        validator = Draft202012Validator(deposit_schema(default_referential(), family))
        start = time.perf_counter()
        schema_errors = sum(1 for _ in validator.iter_errors(instance))
        schema_time = time.perf_counter() - start

    check = measured["seconds"]
    mib = 1024 * 1024
    print(f"Demandes                               : {args.requests}")
    print(f"Taille du fichier                      : {size / mib:.1f} Mio")
    print(f"(a) orjson.loads                       : {parse:.3f} s")
    print(f"(a') orjson.loads, ramasse-miettes coupé : {parse_no_gc:.3f} s")
    print(
        f"(b) jsonschema seul (Draft 2020-12)    : {schema_time:.3f} s ({schema_errors} erreur(s))"
    )
    print(
        f"Contrôle complet (check_deposit)       : {check:.3f} s, {measured['cpu']:.3f} s de "
        f"processeur (code de sortie {measured['exit_code']}, {measured['errors']} erreur(s))"
    )
    print(f"Contrôle / (b)                         : {check / schema_time:.3f} (cible ≤ 0,5)")
    print(f"Contrôle / (a)                         : {check / parse:.2f} (cible ≤ 15)")
    print(f"Contrôle / (a')                        : {check / parse_no_gc:.2f}")
    print(
        f"Mémoire maximale du contrôle           : {peak / mib:.0f} Mio = {peak / size:.2f} × la "
        f"taille du fichier (cible ≤ 8), dont {measured['baseline_kb'] / 1024:.0f} Mio pour "
        "Python et le référentiel avant lecture"
    )


if __name__ == "__main__":
    main()
