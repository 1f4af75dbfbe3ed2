"""The a-posteriori controls: verdicts, ES-PMSI levels, INS, dates, reports, offline DuckDB."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import duckdb
import openpyxl
import pytest
from analytics_files import (
    EJ_PRIVATE,
    EJ_PUBLIC,
    ET_PRIVATE_A,
    ET_PRIVATE_B,
    ET_PUBLIC_A,
    ET_PUBLIC_B,
    ET_PUBLIC_C,
    balance,
    public_balance,
    run,
    stats,
    verdicts,
    write_balances,
    write_directory,
    write_stats_csv,
    write_stats_parquet,
)

from sons.analytics import engine, reports
from sons.analytics.conditions import controlled_conditions
from sons.analytics.controls import Verdict, run_controls
from sons.referential.loader import default_referential


def test_conforme_non_conforme_and_missing_data_per_private_site(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [
            stats("2023-03", ET_PRIVATE_A, "dmp", 7, 7),
            stats("2023-04", ET_PRIVATE_A, "dmp", 5, 5),
            stats("2023-04", ET_PRIVATE_B, "dmp", 9, 9),
            stats("2023-05", ET_PRIVATE_A, "mss_patient_test", 1, None),
        ],
        [balance()],
    )
    assert verdicts(report) == {
        ("S-1", "dmp", ET_PRIVATE_A): "conforme",
        ("S-1", "dmp", ET_PRIVATE_B): "non_conforme",
        ("S-1", "test_address", ET_PRIVATE_A): "conforme",
        ("S-1", "test_address", ET_PRIVATE_B): "donnees_absentes",
    }
    assert report.detail is not None
    site_a = next(r for r in report.detail if r.statistics == "dmp" and r.unit_id == ET_PRIVATE_A)
    assert (site_a.documents, site_a.ins_documents, site_a.counted_documents) == (12, 12, 12)
    assert (site_a.first_month, site_a.last_month, site_a.threshold) == ("2023-03", "2023-04", 10)
    assert site_a.level == "es_pmsi" and site_a.level_inferred  # RAD-RIS: level not in the seed
    absent = next(r for r in report.detail if r.verdict is Verdict.DONNEES_ABSENTES)
    assert (absent.documents, absent.first_month, absent.last_month) == (0, None, None)
    assert report.totals == {
        Verdict.CONFORME: 2,
        Verdict.NON_CONFORME: 1,
        Verdict.DONNEES_ABSENTES: 1,
    }
    assert report.shortfalls == 2
    codes = [f.code for f in report.findings]
    assert codes.count("CONTROL_LEVEL_INFERRED") == 2


def test_public_client_is_controlled_on_its_ej_private_on_each_site(tmp_path: Path) -> None:
    # 4 + 3 + 4 DMP documents on the three ETs of the public EJ; the balance names one site.
    rows = [
        stats("2023-04", ET_PUBLIC_A, "dmp", 4, 4),
        stats("2023-04", ET_PUBLIC_B, "dmp", 3, 3),
        stats("2023-05", ET_PUBLIC_C, "dmp", 4, 4),
    ]
    public = run(tmp_path, rows, [public_balance()])
    dmp = [r for r in public.detail or () if r.statistics == "dmp"]
    assert [(r.unit_kind, r.unit_id, r.establishments, r.documents) for r in dmp] == [
        ("EJ", EJ_PUBLIC, 3, 11)
    ]
    assert dmp[0].verdict is Verdict.CONFORME and not dmp[0].level_inferred
    # The same client declared private: one control per site, each below ten.
    private = run(
        tmp_path,
        rows,
        [public_balance(statut_juridique="privé", sites_et=f"{ET_PUBLIC_A}|{ET_PUBLIC_C}")],
    )
    dmp = sorted(
        (r.unit_kind, r.unit_id, r.documents, r.verdict.value)
        for r in private.detail or ()
        if r.statistics == "dmp"
    )
    assert dmp == [
        ("ET", ET_PUBLIC_A, 4, "non_conforme"),
        ("ET", ET_PUBLIC_C, 4, "non_conforme"),
    ]


def test_es_pmsi_given_by_the_balance(tmp_path: Path) -> None:
    rows = [stats("2023-04", ET_PUBLIC_A, "dmp", 6, 6), stats("2023-04", ET_PUBLIC_B, "dmp", 6, 6)]
    report = run(
        tmp_path,
        rows,
        [
            public_balance(demande="EJ", statut_juridique="", finess_ej="", es_pmsi=EJ_PUBLIC),
            public_balance(demande="ET", statut_juridique="", finess_ej="", es_pmsi=ET_PUBLIC_A),
        ],
    )
    found = verdicts(report)
    assert found[("EJ", "dmp", EJ_PUBLIC)] == "conforme"  # 12 over the EJ's sites
    assert found[("ET", "dmp", ET_PUBLIC_A)] == "non_conforme"  # 6 on the site alone


def test_ins_qualified_documents_are_counted_when_required(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [
            stats("2023-04", ET_PUBLIC_A, "dmp", 20, 5),
            stats("2023-04", ET_PUBLIC_A, "mss_pro", 10, 10),
            stats("2023-04", ET_PUBLIC_A, "mss_patient_test", 1, None),
        ],
        [public_balance()],
    )
    by_statistics = {r.statistics: r for r in report.detail or ()}
    dmp = by_statistics["dmp"]
    assert (dmp.documents, dmp.ins_documents, dmp.counted_documents) == (20, 5, 5)
    assert dmp.ins_qualified and dmp.verdict is Verdict.NON_CONFORME
    # The PFI's MSS Pro control reads the MSS trust-space statistics from the `mss_pro` flow.
    assert by_statistics["mss_trust_space"].verdict is Verdict.CONFORME
    # The test-address condition requires no INS: the message counts without one.
    test_address = by_statistics["test_address"]
    assert not test_address.ins_qualified and test_address.verdict is Verdict.CONFORME


def test_statistics_before_the_installation_month_are_ignored(tmp_path: Path) -> None:
    rows = [
        stats("2023-02", ET_PRIVATE_A, "dmp", 50, 50),  # before the installation month
        stats("2023-03", ET_PRIVATE_A, "dmp", 4, 4),  # the installation month counts whole
        stats("2023-02", ET_PRIVATE_B, "dmp", 50, 50),
    ]
    report = run(tmp_path, rows, [balance(date_installation="2023-03-10")])
    found = verdicts(report)
    assert found[("S-1", "dmp", ET_PRIVATE_A)] == "non_conforme"
    assert found[("S-1", "dmp", ET_PRIVATE_B)] == "donnees_absentes"
    # Without an installation date the payment date is the start.
    report = run(tmp_path, rows, [balance(date_installation="", date_paiement="2023-02-01")])
    assert verdicts(report)[("S-1", "dmp", ET_PRIVATE_A)] == "conforme"
    assert {r.reference_source for r in report.detail or ()} == {"paiement"}


def test_cutoff_date_leaves_later_months_and_balances_out(tmp_path: Path) -> None:
    rows = [
        stats("2023-03", ET_PRIVATE_A, "dmp", 6, 6),
        stats("2023-05", ET_PRIVATE_A, "dmp", 6, 6),
    ]
    balances = [balance(), balance(demande="S-LATER", date_installation="2023-06-01")]
    without = run(tmp_path, rows, balances)
    assert verdicts(without)[("S-1", "dmp", ET_PRIVATE_A)] == "conforme"
    report = run(tmp_path, rows, balances, cutoff=dt.date(2023, 4, 30))
    assert verdicts(report)[("S-1", "dmp", ET_PRIVATE_A)] == "non_conforme"
    assert report.balances_after_cutoff == 1
    assert {r.request_id for r in report.detail or ()} == {"S-1"}
    assert "CONTROL_BALANCE_AFTER_CUTOFF" in {f.code for f in report.findings}


def test_only_flows_with_an_a_posteriori_control_are_controlled(tmp_path: Path) -> None:
    rows = [stats("2023-04", ET_PRIVATE_A, "mss_pro", 0, 0)]
    report = run(
        tmp_path,
        rows,
        [
            balance(sites_et=ET_PRIVATE_A),  # MSS Pro via a third party: the VA is the control
            public_balance(demande="S-DPI", dispositif="HOP-DPI-Va1"),  # no a-posteriori control
        ],
    )
    assert {r.statistics for r in report.detail or ()} == {"dmp", "test_address"}
    assert report.balances_read == 2 and report.balances_controlled == 1


def test_the_condition_in_force_at_the_order_date_applies(tmp_path: Path) -> None:
    referential = controlled_conditions(default_referential())
    ended = tuple(
        dataclasses.replace(c, valid_until=dt.date(2022, 1, 31))
        if (c.dispositif, c.statistics) == ("RAD-RIS-Va1", "dmp")
        else c
        for c in referential.conditions
    )
    conditions = dataclasses.replace(referential, conditions=ended)
    stats_file = write_stats_csv(
        tmp_path / "stats.csv", [stats("2023-04", ET_PRIVATE_A, "dmp", 1, 1)]
    )
    balances = write_balances(
        tmp_path / "soldes.csv",
        [balance(demande="OLD", date_commande="2022-01-15"), balance(demande="NEW")],
    )
    report = run_controls([stats_file], balances, conditions, write_directory(tmp_path / "dir.csv"))
    controlled = {(r.request_id, r.statistics) for r in report.detail or ()}
    assert ("OLD", "dmp") in controlled and ("NEW", "dmp") not in controlled
    assert ("NEW", "test_address") in controlled


def test_vendor_summary_counts_and_amounts_at_stake(tmp_path: Path) -> None:
    rows = [
        stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12),
        stats("2023-04", ET_PRIVATE_A, "mss_patient_test", 1, None),
    ]
    report = run(
        tmp_path,
        rows,
        [
            balance(demande="OK", sites_et=ET_PRIVATE_A),
            balance(demande="SHORT", sites_et=ET_PRIVATE_B, montant_solde="1 234,50"),
            balance(
                demande="OTHER",
                siret_fournisseur="77777777200016",
                fournisseur="Autre éditeur",
                sites_et=ET_PRIVATE_B,
                montant_solde="",
            ),
        ],
    )
    vendors = {v.vendor_siret: v for v in report.vendors}
    ours = vendors["88888888000018"]
    assert (ours.balances, ours.controls, ours.conforme, ours.donnees_absentes) == (2, 4, 2, 2)
    assert (ours.balances_at_risk, ours.amount_at_stake_cents, ours.amounts_unknown) == (
        1,
        123450,
        0,
    )
    other = vendors["77777777200016"]
    assert other.vendor_name == "Autre éditeur"
    assert (other.balances_at_risk, other.amount_at_stake_cents, other.amounts_unknown) == (
        1,
        None,
        1,
    )


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_csv_and_parquet_statistics_give_the_same_verdicts(tmp_path: Path, kind: str) -> None:
    rows = [
        stats("2023-04", ET_PRIVATE_A, "dmp", 6, 6, software="A"),
        stats("2023-04", ET_PRIVATE_A, "dmp", 6, 6, software="B"),  # two programs add up
        stats("2023-04", ET_PRIVATE_B, "dmp", 3, 3),
    ]
    writer = write_stats_csv if kind == "csv" else write_stats_parquet
    report = run_controls(
        [writer(tmp_path / f"stats.{kind}", rows)],
        write_balances(tmp_path / "soldes.csv", [balance()]),
        None,
        write_directory(tmp_path / "dir.csv"),
    )
    found = verdicts(report)
    assert found[("S-1", "dmp", ET_PRIVATE_A)] == "conforme"
    assert found[("S-1", "dmp", ET_PRIVATE_B)] == "non_conforme"
    assert report.usage.rows == 3 and report.usage.first_month == "2023-04"


def test_reports_are_written_together_in_french(tmp_path: Path) -> None:
    out = tmp_path / "rapports"
    rows = [
        stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12),
        stats("2023-04", ET_PRIVATE_B, "dmp", 3, 3),
    ]
    report = run(tmp_path, rows, [balance()], out_dir=out, keep_detail=False)
    assert report.detail is None and report.totals[Verdict.CONFORME] == 1
    assert sorted(p.name for p in out.iterdir()) == [
        reports.WORKBOOK,
        reports.DETAIL_CSV,
        reports.VENDORS_CSV,
    ]
    with (out / reports.DETAIL_CSV).open(encoding="utf-8") as stream:
        detail = list(csv.DictReader(stream, delimiter=";"))
    assert len(detail) == 4
    first = detail[0]
    assert first["demande"] == "S-1" and first["statistiques"] == "statistiques DMP"
    assert {d["verdict"] for d in detail} == {"conforme", "données absentes", "non conforme"}
    assert first["montant_solde"] == "8400.00"
    workbook = openpyxl.load_workbook(out / reports.WORKBOOK, read_only=True)
    assert workbook.sheetnames == [
        "Contrôles",
        "Fournisseurs",
        "Conditions",
        "Constats",
        "Paramètres",
    ]
    sheet = workbook["Contrôles"]
    assert len(list(sheet.iter_rows())) == 5  # the header and the four controls
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:2] == [
        "demande",
        "siret_fournisseur",
    ]


def test_a_long_detail_puts_only_shortfalls_in_the_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reports, "WORKBOOK_FULL_DETAIL_MAX", 1)
    out = tmp_path / "rapports"
    rows = [
        stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12),
        stats("2023-04", ET_PRIVATE_B, "dmp", 3, 3),
    ]
    run(tmp_path, rows, [balance()], out_dir=out)
    workbook = openpyxl.load_workbook(out / reports.WORKBOOK, read_only=True)
    sheet = workbook["Contrôles non conformes"]
    verdict_column = [c.value for c in next(sheet.iter_rows(max_row=1))].index("verdict")
    values = [row[verdict_column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(values) == ["données absentes", "données absentes", "non conforme"]
    with (out / reports.DETAIL_CSV).open(encoding="utf-8") as stream:
        assert len(stream.readlines()) == 5  # the CSV keeps every control


def test_a_failing_run_leaves_the_previous_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "rapports"
    out.mkdir()
    (out / reports.DETAIL_CSV).write_text("ancien rapport", encoding="utf-8")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disque plein")

    monkeypatch.setattr(reports, "_workbook", broken)
    with pytest.raises(OSError, match="disque plein"):
        run(tmp_path, [stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12)], [balance()], out_dir=out)
    assert [p.name for p in out.iterdir()] == [reports.DETAIL_CSV]
    assert (out / reports.DETAIL_CSV).read_text(encoding="utf-8") == "ancien rapport"


def test_duckdb_never_loads_an_extension_on_its_own(tmp_path: Path) -> None:
    connection = duckdb.connect(
        config={"autoinstall_known_extensions": True, "autoload_known_extensions": True}
    )
    rows = [stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12)]
    stats_file = write_stats_parquet(tmp_path / "stats.parquet", rows)
    report = run_controls(
        [stats_file],
        write_balances(tmp_path / "soldes.csv", [balance()]),
        None,
        write_directory(tmp_path / "dir.csv"),
        tmp_path / "out",
        connection=connection,
    )
    assert report.totals[Verdict.CONFORME] == 1
    settings = connection.execute(
        "SELECT current_setting('autoinstall_known_extensions'), "
        "current_setting('autoload_known_extensions')"
    ).fetchone()
    assert settings == (False, False)
    assert engine.external_extensions(connection) == []
    own = engine.open_connection()
    assert own.execute("SELECT current_setting('autoload_known_extensions')").fetchone() == (False,)


def test_balances_and_directory_as_duckdb_relations(tmp_path: Path) -> None:
    connection = engine.open_connection()
    balances = connection.read_csv(
        str(write_balances(tmp_path / "soldes.csv", [balance()])), all_varchar=True, sep=";"
    )
    directory = connection.sql(
        f"SELECT * FROM (VALUES ('{ET_PRIVATE_A}', '{EJ_PRIVATE}'), ('{ET_PRIVATE_B}', "
        f"'{EJ_PRIVATE}')) t(finess_et, finess_ej)"
    )
    stats_file = write_stats_csv(
        tmp_path / "stats.csv", [stats("2023-04", ET_PRIVATE_A, "dmp", 12, 12)]
    )
    report = run_controls([stats_file], balances, None, directory, connection=connection)
    assert verdicts(report)[("S-1", "dmp", ET_PRIVATE_A)] == "conforme"
    assert verdicts(report)[("S-1", "dmp", ET_PRIVATE_B)] == "donnees_absentes"
