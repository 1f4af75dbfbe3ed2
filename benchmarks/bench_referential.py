"""Time to load and check the whole referential (`sons.referential.loader.load`, not cached).

Baseline, measured in the same run: parsing the same YAML files with the same parser and no
validation, so the ratio shows what the models and cross-checks cost on top of reading.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from sons.referential.loader import DATA_DIR, load

RUNS = 20
TARGET_MS = 300.0
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse_only(root: Path) -> None:
    for path in sorted(root.rglob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=_PARSER)


def _timings(run: Callable[[], object]) -> list[float]:
    run()  # warm the file cache and the imports; not counted
    figures = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        figures.append((time.perf_counter() - start) * 1000)
    return figures


def main() -> bool:
    files = len(list(DATA_DIR.rglob("*.yaml")))
    referential = load(DATA_DIR)
    loaded = _timings(lambda: load(DATA_DIR))
    baseline = _timings(lambda: _parse_only(DATA_DIR))
    median, worst = statistics.median(loaded), max(loaded)
    base = statistics.median(baseline)
    print(
        f"référentiel : {len(referential.dispositifs)} dispositifs, {files} fichiers YAML, "
        f"{RUNS} chargements (parseur {_PARSER.__name__})"
    )
    print(f"load()               médiane {median:7.1f} ms   max {worst:7.1f} ms")
    print(f"YAML seul (témoin)   médiane {base:7.1f} ms   max {max(baseline):7.1f} ms")
    print(f"rapport load / témoin : {median / base:.1f}")
    ok = worst < TARGET_MS
    verdict = "tenu" if ok else "MANQUÉ"
    print(f"objectif : max < {TARGET_MS:.0f} ms — {verdict}")
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
