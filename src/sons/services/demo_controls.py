"""The a-posteriori controls part of `sons demo`: after the operator has paid the demo balance,
monthly usage statistics of its sites are generated — one site short of the threshold, one
flow with no statistics at all — and the controls run on the paid balances of the operator's
store, as `sons operator controls --stats … --establishments …` does without `--balances`.

The statistics, the directory (the demo FINESS extract) and the reports are written to
`demo-output/controles/`. The legal entities (public or private status) are imported into the
operator's store first: the ES-PMSI of a public client is its EJ, of a private one each site.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from sons.analytics.conditions import controlled_conditions
from sons.analytics.controls import ControlsReport, run_controls
from sons.analytics.paid_balances import PaidBalances, paid_balances
from sons.analytics.usage import USAGE
from sons.atomic_write import write_atomically
from sons.referential.loader import Referential
from sons.services.directory import import_legal_entities
from sons.store.database import open_store

CONTROLS_FOLDER = "controles"
STATISTICS_FILE = "statistiques-usage.csv"
MONTHS = 6
# The balance's flows → the statistics' flows (docs/statistiques-usage.md).
_USAGE_FLOWS = {"dmp": "dmp", "mss_pro": "mss_pro", "mss_patient": "mss_patient_test"}
DEMO_SOFTWARE = ("DEMO-REF-0001", "4.2")  # made up, like all demo data


@dataclass(frozen=True)
class ControlsTour:
    statistics: Path
    directory: Path  # the establishments directory the controls read (the FINESS extract)
    database: Path  # the operator's store whose paid balances are controlled
    balances: PaidBalances
    short_site: str | None  # sends too few documents
    silent_flow: tuple[str, str] | None  # (site, flow) with no statistics at all
    report: ControlsReport


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _statistics(
    balances: PaidBalances,
) -> tuple[list[list[object]], str | None, tuple[str, str] | None]:
    """Six months of statistics from each balance's reference month: the first site sends one
    document a month to the DMP (6 in all, short of ten), the last site of a balance with
    several sends nothing on its last flow; every other site and flow sends three a month."""
    rows: list[list[object]] = []
    short_site: str | None = None
    silent: tuple[str, str] | None = None
    for balance in balances.rows:
        sites = [s for s in balance["sites_et"].split("|") if s]
        flows = [
            _USAGE_FLOWS[item.split(":")[0]]
            for item in balance["flux_installes"].split("|")
            if item.split(":")[0] in _USAGE_FLOWS
        ]
        reference = balance["date_installation"] or balance["date_paiement"]
        if not sites or not flows or not reference:
            continue
        if short_site is None:
            short_site = sites[0]
        if silent is None and len(sites) > 1:
            silent = (sites[-1], flows[-1])
        month = dt.date.fromisoformat(reference).replace(day=1)
        for _ in range(MONTHS):
            for site in sites:
                for flow in flows:
                    if (site, flow) == silent:
                        continue
                    documents = 1 if site == short_site and flow == "dmp" else 3
                    ins = "" if flow == "mss_patient_test" else documents
                    rows.append(
                        [month.strftime("%Y-%m"), site, balance["finess_ej"], flow, documents, ins,
                         *DEMO_SOFTWARE]
                    )  # fmt: skip
            month = _next_month(month)
    return rows, short_site, silent


def controls_tour(
    output_dir: Path,
    operator_database: Path,
    finess_extract: Path,
    legal_entities: Path,
    actor: str,
    referential: Referential,
) -> ControlsTour:
    """Statistics for the operator's paid balances, then the controls and their reports."""
    engine = open_store(f"sqlite:///{operator_database}")
    try:
        imported = import_legal_entities(engine, legal_entities, actor=actor)
        if imported.refused:  # the demo's own file: a bug of the demo, said plainly
            raise ValueError("Données de démonstration refusées : " + imported.message())
        balances = paid_balances(engine, referential)
    finally:
        engine.dispose()
    folder = output_dir / CONTROLS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rows, short_site, silent = _statistics(balances)
    statistics = folder / STATISTICS_FILE
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\n")
    writer.writerow([c.name for c in USAGE.columns])
    writer.writerows(rows)
    write_atomically(statistics, text.getvalue())
    report = run_controls(
        [statistics],
        balances,
        controlled_conditions(referential),
        finess_extract,
        folder / "rapports",
        threads=1,
    )
    return ControlsTour(
        statistics, finess_extract, operator_database, balances, short_site, silent, report
    )
