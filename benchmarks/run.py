"""Run every benchmark of this folder (`bench_*.py`, each with a `main()`) and print its figures.

Usage: `python benchmarks/run.py` (or `make bench`). Exit 1 when a benchmark misses its target.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main() -> int:
    missed = []
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        print(f"== {path.stem}")
        if not module.main():
            missed.append(path.stem)
        print()
    if missed:
        print("Objectif manqué : " + ", ".join(missed))
        return 1
    print("Tous les objectifs sont tenus.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
