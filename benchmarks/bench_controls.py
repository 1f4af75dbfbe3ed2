"""A-posteriori controls at national scale: time, peak memory, and a pandas baseline.

Generated at run time in a temporary folder, with DuckDB (`COPY (SELECT … FROM range(n)) TO
…`, fast and in bounded memory):
- usage statistics: `--rows` rows (default 50 million) as one Parquet file — establishments ×
  12 months × 3 flows × sending software versions (100,000 establishments at full scale);
- the establishments directory (2 % more ETs than have statistics: their balances get
  « données absentes »), 4 ETs per EJ, one EJ in two public;
- `--balances` paid balances (default 200,000) as CSV: HOP-PFI-Va1, RAD-RIS-Va1 and BIO-SGL-Va1
  in turn, one or two sites, installed over 2023; one establishment in ten sends nothing (« non
  conforme »).

Then, each in a subprocess of its own (peak RSS read from the kernel's accounting of children):
1. `sons.analytics.controls.run_controls` with the reports written (CSV, XLSX);
2. the same control written with pandas over the same files (pyarrow reads the Parquet, string
   columns as categoricals): the same checks (unknown FINESS, negative counts, INS > documents,
   malformed months, duplicates), the same ES-PMSI units, joins and group-bys, the same verdicts.
The two runs must agree on the verdict counts. Targets: DuckDB peak RSS ≤ 2 GB and DuckDB at
least 5 times faster than pandas on the same work (reading, checks, controls; reports apart).

Usage: `python benchmarks/bench_controls.py [--rows N] [--balances M] [--keep DIR [--reuse]]
[--runs K]`, or through
`benchmarks/run.py` (full scale). Needs the `bench` extra (pandas, pyarrow).
"""

from __future__ import annotations

import argparse
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

ROWS = 50_000_000
BALANCES = 200_000
MONTHS = 12
FLOWS = ("dmp", "mss_pro", "mss_patient_test")
MAX_ESTABLISHMENTS = 100_000
MEMORY_LIMIT = os.environ.get("SONS_BENCH_MEMORY", "1GB")  # DuckDB buffer pool; peak RSS ~+25 %
THREADS = 2
TARGET_RSS_MB = 2048
RUNS = 2
TARGET_RATIO = 5.0
HERE = Path(__file__).resolve()


# --- generation (in this process, with DuckDB) --------------------------------------------------


def _establishments(rows: int) -> int:
    return max(50, min(MAX_ESTABLISHMENTS, rows // (MONTHS * len(FLOWS))))


def generate(folder: Path, rows: int, balances: int) -> dict[str, Any]:
    n_et = _establishments(rows)
    directory_size = n_et + max(1, n_et // 50)
    stats = folder / "statistiques.parquet"
    directory = folder / "etablissements.csv"
    balances_file = folder / "soldes.csv"
    connection = duckdb.connect(
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "memory_limit": MEMORY_LIMIT,
            "threads": THREADS,
            "temp_directory": str(folder / "spill"),
            "preserve_insertion_order": False,
        }
    )
    connection.execute("SET enable_progress_bar = false")
    # One row per index i, software innermost (as an export per establishment and month comes):
    # i → software version, then flow, month, ET. An ET whose number ends in 0 sends nothing
    # (« non conforme »); the others send a few documents a month, most with a qualified INS.
    software = -(-rows // (n_et * MONTHS * len(FLOWS)))
    group = f"(i // {software})"
    et = f"({group} // {MONTHS * len(FLOWS)})"
    connection.execute(
        f"""
        COPY (
          SELECT
            printf('2023-%02d', CAST(({group} // 3) % {MONTHS} AS INTEGER) + 1) AS mois,
            printf('%09d', 10000000 + {et}) AS finess_et,
            printf('%09d', 900000000 + {et} // 4) AS finess_ej,
            ['dmp', 'mss_pro', 'mss_patient_test'][CAST({group} % 3 AS INTEGER) + 1] AS flux,
            CASE WHEN {et} % 10 = 0 THEN 0 ELSE CAST(hash(i) % 4 AS BIGINT) END
              AS nb_documents,
            CASE WHEN {et} % 10 = 0 THEN 0
              ELSE greatest(CAST(hash(i) % 4 AS BIGINT) - CAST(hash(i + 1) % 2 AS BIGINT), 0)
            END AS nb_documents_ins_qualifiee,
            'REF-' || CAST((i % {software}) % 5 AS VARCHAR) AS numero_referencement,
            '1.' || CAST(i % {software} AS VARCHAR) AS version_logiciel
          FROM range({rows}) t(i)
        ) TO '{stats}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )
    connection.execute(
        f"""
        COPY (
          SELECT printf('%09d', 10000000 + e) AS finess_et,
                 printf('%09d', 900000000 + e // 4) AS finess_ej,
                 'ÉTABLISSEMENT ' || e AS raison_sociale
          FROM range({directory_size}) t(e)
        ) TO '{directory}' (HEADER, DELIMITER ';')
        """
    )
    connection.execute(
        f"""
        COPY (
          WITH b AS (
            SELECT j, (j * 7919) % {directory_size} AS site, j % 3 AS kind
            FROM range({balances}) t(j)
          )
          SELECT
            'S-' || j AS demande,
            printf('%014d', 10000000000000 + (j % 300) * 17) AS siret_fournisseur,
            'Éditeur ' || (j % 300) AS fournisseur,
            ['HOP-PFI-Va1', 'RAD-RIS-Va1', 'BIO-SGL-Va1'][kind + 1] AS dispositif,
            printf('%09d', 900000000 + site // 4) AS finess_ej,
            CASE WHEN (site // 4) % 2 = 0 THEN 'public' ELSE 'privé' END AS statut_juridique,
            '' AS es_pmsi,
            CASE WHEN j % 4 = 0 AND site + 1 < {directory_size} AND (site + 1) // 4 = site // 4
              THEN printf('%09d', 10000000 + site) || '|' || printf('%09d', 10000001 + site)
              ELSE printf('%09d', 10000000 + site) END AS sites_et,
            ['dmp:direct|mss_pro:direct|mss_patient:direct|dpi_inbound:direct',
             'dmp:direct|mss_pro:tiers|mss_patient:direct',
             'dmp:direct|mss_pro:direct|mss_patient:tiers'][kind + 1] AS flux_installes,
            '2022-06-01' AS date_commande,
            strftime(DATE '2023-01-01' + CAST(j % 300 AS INTEGER), '%Y-%m-%d')
              AS date_installation,
            '' AS date_paiement,
            CAST(5000 + j % 20000 AS VARCHAR) || ',00' AS montant_solde
          FROM b
        ) TO '{balances_file}' (HEADER, DELIMITER ';')
        """
    )
    connection.close()
    return {
        "stats": str(stats),
        "directory": str(directory),
        "balances": str(balances_file),
        "establishments": n_et,
        "parquet_mb": stats.stat().st_size / 1e6,
    }


def reused(folder: Path, rows: int) -> dict[str, Any] | None:
    """The files a previous `--keep` run generated in `folder`, when they are all there."""
    stats = folder / "statistiques.parquet"
    directory = folder / "etablissements.csv"
    balances_file = folder / "soldes.csv"
    if not (stats.is_file() and directory.is_file() and balances_file.is_file()):
        return None
    return {
        "stats": str(stats),
        "directory": str(directory),
        "balances": str(balances_file),
        "establishments": _establishments(rows),
        "parquet_mb": stats.stat().st_size / 1e6,
    }


# --- workers (each in its own process) ----------------------------------------------------------


def duckdb_worker(data: dict[str, Any], out: Path) -> dict[str, Any]:
    from sons.analytics.controls import run_controls

    start = time.perf_counter()
    report = run_controls(
        [data["stats"]],
        Path(data["balances"]),
        None,
        Path(data["directory"]),
        out,
        keep_detail=False,
        memory_limit=MEMORY_LIMIT,
        threads=THREADS,
    )
    total = time.perf_counter() - start
    if not report.statistics_valid:
        raise SystemExit(f"statistiques invalides : {report.findings[:3]}")
    timings = dict(report.timings)
    return {
        "seconds": total,
        "work_seconds": total - timings.get("rapports", 0.0),
        "timings": timings,
        "totals": {k.value: v for k, v in report.totals.items()},
        "controls": report.controls,
        "balances_controlled": report.balances_controlled,
    }


def pandas_worker(data: dict[str, Any]) -> dict[str, Any]:
    """The same control with pandas: same checks, same units, same joins, same verdicts."""
    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from sons.analytics.conditions import controlled_conditions
    from sons.referential.loader import default_referential

    start = time.perf_counter()
    strings = [
        "mois",
        "finess_et",
        "finess_ej",
        "flux",
        "numero_referencement",
        "version_logiciel",
    ]
    usage = pq.read_table(data["stats"], read_dictionary=strings).to_pandas()
    directory = pd.read_csv(data["directory"], sep=";", dtype=str)
    balances = pd.read_csv(data["balances"], sep=";", dtype=str, keep_default_na=False)

    # Checks on the statistics, as the SQL does them.
    months = pd.Series(usage["mois"].cat.categories)
    month_ok = months[months.str.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])")]
    problems = {
        "month_invalid": int((~usage["mois"].isin(month_ok)).sum()),
        "finess_unknown": int((~usage["finess_et"].isin(directory["finess_et"])).sum()),
        "flow_unknown": int((~usage["flux"].isin(FLOWS)).sum()),
        "count_negative": int(
            ((usage["nb_documents"] < 0) | (usage["nb_documents_ins_qualifiee"] < 0)).sum()
        ),
        "ins_exceeds": int((usage["nb_documents_ins_qualifiee"] > usage["nb_documents"]).sum()),
        "duplicates": int(
            usage.duplicated(
                ["finess_et", "flux", "numero_referencement", "version_logiciel", "mois"]
            ).sum()
        ),
    }
    if any(problems.values()):
        raise SystemExit(f"statistiques invalides : {problems}")
    monthly = (
        usage.groupby(["finess_et", "flux", "mois"], observed=True)[
            ["nb_documents", "nb_documents_ins_qualifiee"]
        ]
        .sum()
        .reset_index()
    )
    del usage
    for column in ("finess_et", "flux", "mois"):
        monthly[column] = monthly[column].astype(str)
    monthly["month_start"] = pd.to_datetime(monthly["mois"] + "-01", format="%Y-%m-%d")

    # Balances: parse, split the lists, derive the ES-PMSI units.
    balances["source_row"] = np.arange(len(balances))
    balances["installed_on"] = pd.to_datetime(balances["date_installation"], format="%Y-%m-%d")
    balances["reference_month"] = balances["installed_on"].dt.to_period("M").dt.to_timestamp()
    balances["rules_date"] = pd.to_datetime(balances["date_commande"], format="%Y-%m-%d")
    balances["amount_cents"] = (
        (balances["montant_solde"].str.replace(",", ".").astype(float) * 100)
        .round()
        .astype("int64")
    )
    balances["legal_status"] = balances["statut_juridique"].map(
        {"public": "public", "privé": "private", "prive": "private"}
    )
    sites = (
        balances[["source_row", "sites_et"]]
        .assign(finess_et=balances["sites_et"].str.split("|"))
        .explode("finess_et")[["source_row", "finess_et"]]
    )
    flows = (
        balances[["source_row", "flux_installes"]]
        .assign(item=balances["flux_installes"].str.split("|"))
        .explode("item")
    )
    flows[["flow", "route"]] = flows["item"].str.split(":", expand=True)
    flows["route"] = flows["route"].replace({"tiers": "third_party"})
    public = balances[balances["legal_status"] == "public"][["source_row", "finess_ej"]]
    public_members = public.merge(directory[["finess_et", "finess_ej"]], on="finess_ej").rename(
        columns={"finess_ej": "unit_id"}
    )
    private_rows = balances.loc[balances["legal_status"] == "private", ["source_row"]]
    private_members = sites.merge(private_rows, on="source_row").assign(
        unit_id=lambda frame: frame["finess_et"]
    )
    members = pd.concat([public_members, private_members], ignore_index=True)

    # Conditions from the referential, then the controls.
    conditions = pd.DataFrame(
        [
            {
                "dispositif": c.dispositif,
                "flow": c.flow,
                "route": c.route,
                "condition_id": c.condition_id,
                "usage_flow": c.usage_flow,
                "threshold": c.threshold,
                "ins_qualified": c.ins_qualified,
            }
            for c in controlled_conditions(default_referential()).conditions
        ]
    )
    controlled = (
        balances[["source_row", "dispositif", "reference_month", "siret_fournisseur"]]
        .merge(flows[["source_row", "flow", "route"]], on="source_row")
        .merge(conditions, on=["dispositif", "flow", "route"])
    )
    units = controlled.merge(members, on="source_row")
    joined = units.merge(
        monthly,
        left_on=["finess_et", "usage_flow"],
        right_on=["finess_et", "flux"],
        how="left",
    )
    joined = joined[
        joined["month_start"].isna() | (joined["month_start"] >= joined["reference_month"])
    ]
    keys = ["source_row", "condition_id", "unit_id"]
    figures = joined.groupby(keys).agg(
        documents=("nb_documents", "sum"),
        ins_documents=("nb_documents_ins_qualifiee", "sum"),
        months_seen=("month_start", "nunique"),
        first_month=("mois", "min"),
        last_month=("mois", "max"),
    )
    # Units whose rows were all before the installation month have no row left: absent.
    result = (
        units[[*keys, "threshold", "ins_qualified", "siret_fournisseur"]]
        .drop_duplicates(keys)
        .merge(figures.reset_index(), on=keys, how="left")
    )
    result["months_seen"] = result["months_seen"].fillna(0)
    counted = np.where(result["ins_qualified"], result["ins_documents"], result["documents"])
    counted = np.nan_to_num(counted.astype(float))
    result["verdict"] = np.select(
        [result["months_seen"] == 0, counted >= result["threshold"]],
        ["donnees_absentes", "conforme"],
        "non_conforme",
    )
    vendors = result.groupby(["siret_fournisseur", "verdict"]).size().unstack(fill_value=0)
    totals = result["verdict"].value_counts().to_dict()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "totals": {str(k): int(v) for k, v in totals.items()},
        "controls": len(result),
        "vendors": len(vendors),
    }


# --- the driver ---------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _child(kind: str, data: dict[str, Any], folder: Path) -> tuple[dict[str, Any], float]:
    """Run a worker in a subprocess; its result (with its CPU seconds) and its peak RSS in MB."""
    process = subprocess.Popen(
        [
            sys.executable,
            str(HERE),
            "--worker",
            kind,
            "--data",
            json.dumps(data),
            "--folder",
            str(folder),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"le processus {kind} a échoué (code {process.returncode})")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    result = json.loads(output.strip().splitlines()[-1])
    # CPU time says how much work was done whatever else the machine was running.
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result, peak_mb


def main(argv: list[str] | None = None) -> bool:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--balances", type=int, default=BALANCES)
    parser.add_argument("--keep", type=Path, help="Garder les fichiers générés dans ce dossier.")
    parser.add_argument("--runs", type=int, default=RUNS, help="Exécutions de chaque (meilleure).")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Avec --keep : réutiliser les fichiers déjà générés dans ce dossier (mêmes --rows et "
        "--balances qu'à leur génération).",
    )
    parser.add_argument("--worker", choices=("duckdb", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.worker:
        data = json.loads(args.data)
        result = (
            duckdb_worker(data, args.folder / "rapports")
            if args.worker == "duckdb"
            else pandas_worker(data)
        )
        print(json.dumps(result))
        return True
    with tempfile.TemporaryDirectory(prefix="bench-controles-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        data = reused(folder, args.rows) if args.reuse else None
        how = "réutilisées"
        if data is None:
            data = generate(folder, args.rows, args.balances)
            how = f"générées en {time.perf_counter() - start:.1f} s"
        print(
            f"données : {_n(args.rows)} lignes de statistiques ({_n(data['establishments'])} ET "
            f"× {MONTHS} mois × {len(FLOWS)} flux × versions de logiciel ; Parquet "
            f"{data['parquet_mb']:.0f} Mo), {_n(args.balances)} soldes payés — {how}"
        )
        # Best of RUNS for each, alternating, so that a burst of load on a shared machine
        # does not decide the ratio; the peak memory is the highest seen.
        ours_runs, theirs_runs = [], []
        for run in range(args.runs):
            ours_runs.append(_child("duckdb", data, folder))
            if run == 0:
                # Only the DuckDB worker has ended so far: the children's peak is its own.
                children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            theirs_runs.append(_child("pandas", data, folder))
        ours = min((r for r, _ in ours_runs), key=lambda r: r["work_seconds"])
        theirs = min((r for r, _ in theirs_runs), key=lambda r: r["seconds"])
        ours_mb = max(mb for _, mb in ours_runs)
        theirs_mb = max(mb for _, mb in theirs_runs)
    phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ours["timings"].items())
    print(
        f"DuckDB (sons)   : {ours['seconds']:6.1f} s au total ({phases}) ; "
        f"CPU {ours['cpu_seconds']:.1f} s"
    )
    print(
        f"                  pic mémoire {_n(ours_mb)} Mo (RUSAGE_CHILDREN : {_n(children_mb)} Mo)"
    )
    print(
        f"pandas (témoin) : {theirs['seconds']:6.1f} s ; CPU {theirs['cpu_seconds']:.1f} s ; "
        f"pic mémoire {_n(theirs_mb)} Mo"
    )
    print(f"charge de la machine (1, 5, 15 min) : {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    ratio = theirs["seconds"] / ours["work_seconds"]
    print(
        f"rapport pandas / DuckDB (lecture, vérifications, contrôles ; meilleur de {args.runs}) : "
        f"{ratio:.1f}× — {_n(ours['controls'])} contrôles sur {_n(ours['balances_controlled'])} "
        "soldes"
    )
    print(f"verdicts DuckDB : {ours['totals']}")
    print(f"verdicts pandas : {theirs['totals']}")
    agree = ours["totals"] == theirs["totals"]
    memory_ok = ours_mb <= TARGET_RSS_MB
    ratio_ok = ratio >= TARGET_RATIO
    print(
        f"objectifs : mémoire ≤ {TARGET_RSS_MB} Mo — {'tenu' if memory_ok else 'MANQUÉ'} ; "
        f"≥ {TARGET_RATIO:.0f}× pandas — {'tenu' if ratio_ok else 'MANQUÉ'} ; "
        f"mêmes verdicts — {'oui' if agree else 'NON'}"
    )
    return memory_ok and ratio_ok and agree


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
