"""Standalone rules on a deposit file's content (no store): one test per rule."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from test_deposit_samples import (
    EJ_1,
    ET_1,
    codes,
    deposit,
    found,
    run,
    synthetic_deposit,
    synthetic_referential,
)

from sons.referential.loader import Referential


def _changed(change: Any, kind: str = "avance") -> dict[str, Any]:
    data, _ = deposit(kind)
    data = copy.deepcopy(data)
    change(data)
    return data


def _only(report: Any, code: str) -> Any:
    matching = found(report, code)
    assert len(matching) == 1, [(f.code, f.path, f.message) for f in report.findings]
    return matching[0]


# --- amounts -------------------------------------------------------------------------------


def test_ttc_must_follow_ht_and_the_referential_vat(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["prestation"]["montant_ttc_centimes"] += 1

    finding = _only(run(tmp_path, _changed(change)), "DEPOSIT_TTC_INCONSISTENT")
    assert finding.path == "$.demandes[0].prestation.montant_ttc_centimes"
    assert "attendu 12 000,00 €" in finding.message and "20 % de TVA" in finding.message
    assert "Contrôle des plafonds HT et TTC" in finding.source


def test_a_ttc_rounded_from_a_ttc_quote_is_accepted(tmp_path: Path) -> None:
    # 100,01 € HT → 120,012 → 120,01 € TTC; a vendor quoting 120,02 € TTC gets 100,02 € HT back
    # from ht_from_ttc: both directions of the rounding are consistent amounts.
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["prestation"].update(
            montant_ht_centimes=10_002, montant_ttc_centimes=12_002
        )

    assert "DEPOSIT_TTC_INCONSISTENT" not in codes(run(tmp_path, _changed(change)))


def test_the_prestation_cannot_be_zero(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][1]["prestation"].update(montant_ht_centimes=0, montant_ttc_centimes=0)

    finding = _only(run(tmp_path, _changed(change)), "DEPOSIT_PRESTATION_ZERO")
    assert finding.path == "$.demandes[1].prestation"


def test_a_balance_cannot_exceed_the_amount_declared_at_the_advance(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["avance_de_reference"]["prestation_ht_centimes"] = 900_000
        data["demandes"][1]["avance_de_reference"] = {"identifiant_demande": "AV-002"}

    report = run(tmp_path, _changed(change, "solde"))
    finding = _only(report, "DEPOSIT_BALANCE_ABOVE_ADVANCE")
    assert finding.path == "$.demandes[0].prestation.montant_ht_centimes"
    assert "9 000,00 € HT" in finding.message
    assert _only(report, "DEPOSIT_ADVANCE_AMOUNT_UNKNOWN").path == (
        "$.demandes[1].avance_de_reference"
    )


def test_advance_reference_by_kind(tmp_path: Path) -> None:
    def add(data: dict[str, Any]) -> None:
        data["demandes"][0]["avance_de_reference"] = {"identifiant_demande": "AV-1"}

    assert _only(run(tmp_path, _changed(add)), "DEPOSIT_ADVANCE_REFERENCE_UNEXPECTED")

    def remove(data: dict[str, Any]) -> None:
        del data["demandes"][0]["avance_de_reference"]

    report = run(tmp_path, _changed(remove, "solde"))
    assert _only(report, "DEPOSIT_ADVANCE_REFERENCE_MISSING").path == (
        "$.demandes[0].avance_de_reference"
    )


# --- dates ---------------------------------------------------------------------------------


def test_an_advance_created_after_the_order_deadline(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["date_creation"] = "2022-12-01T08:00:00+01:00"

    report = run(tmp_path, _changed(change), today=dt.date(2022, 12, 1))
    finding = _only(report, "DEPOSIT_DEADLINE_PASSED")
    assert finding.path == "$.date_creation" and "2022-11-30" in finding.message
    assert finding.rule == "order_deadline"


def test_created_in_time_but_checked_after_the_deadline_warns(tmp_path: Path) -> None:
    report = run(tmp_path, _changed(lambda d: None), today=dt.date(2022, 12, 5))
    assert _only(report, "DEPOSIT_DEADLINE_PASSED_AT_CHECK").severity.value == "warning"
    assert report.exit_code == 0


def test_a_balance_created_after_its_deadline(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["date_creation"] = "2023-12-15T08:00:00+01:00"

    report = run(tmp_path, _changed(change, "solde"), today=dt.date(2023, 12, 15))
    assert "2023-12-14" in _only(report, "DEPOSIT_DEADLINE_PASSED").message


def test_an_order_signed_after_the_deadline_or_after_the_file(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["date_creation"] = "2022-12-10T08:00:00+01:00"
        data["demandes"][0]["bon_de_commande"]["date_signature"] = "2022-12-02"
        data["demandes"][1]["bon_de_commande"]["date_signature"] = "2022-12-11"

    report = run(tmp_path, _changed(change), today=dt.date(2022, 12, 10))
    signed_late = found(report, "DEPOSIT_ORDER_SIGNED_AFTER_DEADLINE")
    assert [f.path for f in signed_late] == [
        "$.demandes[0].bon_de_commande.date_signature",
        "$.demandes[1].bon_de_commande.date_signature",
    ]
    assert _only(report, "DEPOSIT_ORDER_AFTER_FILE").path.startswith("$.demandes[1]")


def test_a_file_from_the_future_is_flagged(tmp_path: Path) -> None:
    report = run(tmp_path, _changed(lambda d: None), today=dt.date(2022, 11, 1))
    assert _only(report, "DEPOSIT_CREATED_IN_FUTURE").severity.value == "warning"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Referential:
    return synthetic_referential(tmp_path_factory.mktemp("synthetic"))


def test_an_unknown_deadline_is_said_unknown_not_guessed(
    tmp_path: Path, synthetic: Referential
) -> None:
    data, _ = synthetic_deposit("solde")
    data["date_creation"] = "2024-10-01T08:00:00+02:00"
    data["demandes"][0]["indicateurs"] = {"deploiement_mss": "Cas 1"}
    data["demandes"][1]["indicateurs"] = {"deploiement_mss": "Cas 2"}
    report = run(tmp_path, data, referential=synthetic, today=dt.date(2024, 10, 2))
    finding = _only(report, "DEPOSIT_DEADLINE_UNKNOWN")
    assert "non renseigné" in finding.message and finding.severity.value == "warning"
    assert finding.source == "non renseigné"


# --- clients, sites, identifiers -----------------------------------------------------------


def test_one_prestation_per_client_within_the_file(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][1]["client"]["finess_ej"] = EJ_1
        data["demandes"][1]["client"]["es_pmsi"] = EJ_1

    finding = _only(run(tmp_path, _changed(change)), "DEPOSIT_CLIENT_DUPLICATE")
    assert finding.path == "$.demandes[1].client"
    assert "« DEM-001 »" in finding.message


def test_request_ids_and_sites_are_unique(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][1]["identifiant"] = "DEM-001"
        data["demandes"][1]["etablissements"][1]["finess_et"] = ET_1
        data["demandes"][1]["etablissements"].append(
            copy.deepcopy(data["demandes"][1]["etablissements"][0])
        )

    report = run(tmp_path, _changed(change))
    assert _only(report, "DEPOSIT_REQUEST_ID_DUPLICATE").path == "$.demandes[1].identifiant"
    assert _only(report, "DEPOSIT_SITE_DUPLICATE").path == "$.demandes[1].etablissements[2]"
    assert _only(report, "DEPOSIT_SITE_IN_OTHER_REQUEST").path == (
        "$.demandes[1].etablissements[1]"
    )


def test_identifier_keys_are_checked(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["etablissements"][0]["finess_et"] = ET_1[:-1] + str(
            (int(ET_1[-1]) + 1) % 10
        )
        data["editeur"]["siret"] = "12345678901234"

    report = run(tmp_path, _changed(change))
    assert _only(report, "FINESS_INVALID_KEY").path == "$.demandes[0].etablissements[0].finess_et"
    assert _only(report, "SIRET_INVALID").path == "$.editeur.siret"


def test_es_pmsi_must_be_the_client_or_one_of_its_sites(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["client"]["es_pmsi"] = "010000024"

    finding = _only(run(tmp_path, _changed(change)), "DEPOSIT_ES_PMSI_UNRELATED")
    assert finding.path == "$.demandes[0].client.es_pmsi"


# --- scenarios -----------------------------------------------------------------------------


def test_the_referential_explains_each_scenario_at_the_order_date(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][1]["etablissements"][1]["scenario"]["dmp_via_pfi"] = True

    finding = _only(run(tmp_path, _changed(change)), "SCENARIO_ALTERNATIVES_CONFLICT")
    assert finding.path == "$.demandes[1].etablissements[1].scenario.dmp_via_pfi"


@pytest.mark.parametrize(
    ("kind", "code"),
    [("avance", "DEPOSIT_SCENARIO_MISSING"), ("solde", "DEPOSIT_INSTALLED_SCENARIO_MISSING")],
)
def test_every_site_carries_its_scenario(tmp_path: Path, kind: str, code: str) -> None:
    def change(data: dict[str, Any]) -> None:
        del data["demandes"][1]["etablissements"][0]["scenario"]

    finding = _only(run(tmp_path, _changed(change, kind)), code)
    assert finding.path == "$.demandes[1].etablissements[0].scenario"


# --- balance evidence, requirements, indicators --------------------------------------------


def test_each_balance_condition_needs_its_evidence(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["preuves"] = data["demandes"][0]["preuves"][:1]  # VA MSS Pro gone
        evidence = data["demandes"][1]["preuves"]
        evidence[0]["piece"] = "VA"  # DMP direct asks for the vendor's MOM
        evidence[1]["fichier"] = "DEM-002/absente.pdf"

    report = run(tmp_path, _changed(change, "solde"))
    missing = _only(report, "DEPOSIT_EVIDENCE_MISSING")
    assert missing.path == "$.demandes[0].preuves"
    assert "MSS Pro (via un logiciel tiers)" in missing.message and "VA" in missing.message
    assert "Appel à financement RAD-RIS-Va1" in missing.source
    wrong = _only(report, "DEPOSIT_EVIDENCE_WRONG_PIECE")
    assert wrong.path == "$.demandes[1].preuves[0].piece"
    assert _only(report, "DEPOSIT_EVIDENCE_FILE_TYPE").path == "$.demandes[1].preuves[0].fichier"
    assert _only(report, "DEPOSIT_EVIDENCE_FILE_UNKNOWN").path == (
        "$.demandes[1].preuves[1].fichier"
    )
    assert set(report.incomplete_requests) == {"DEM-001", "DEM-002"}


def test_evidence_for_a_flow_not_installed_is_a_warning(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        for site in data["demandes"][0]["etablissements"]:
            site["scenario"]["mss_pro_via_pfi"] = False

    report = run(tmp_path, _changed(change, "solde"))
    assert _only(report, "DEPOSIT_EVIDENCE_UNEXPECTED").path == "$.demandes[0].preuves[1]"
    assert report.exit_code == 0


def test_a_balance_requirement_applies_only_while_in_force(
    tmp_path: Path, synthetic: Referential
) -> None:
    data, _ = synthetic_deposit("solde")
    data["date_creation"] = "2023-03-01T08:00:00+01:00"
    before = run(tmp_path, data, referential=synthetic, today=dt.date(2023, 3, 1))
    assert [f.path for f in found(before, "DEPOSIT_REQUIREMENT_MISSING")] == [
        "$.demandes[0].pieces_jointes",
        "$.demandes[1].pieces_jointes",
    ]
    data["date_creation"] = "2023-05-01T08:00:00+02:00"
    data["demandes"][0]["pieces_jointes"][0]["exigence"] = "test_report"
    after = run(tmp_path, data, referential=synthetic, today=dt.date(2023, 5, 1))
    assert "DEPOSIT_REQUIREMENT_MISSING" not in codes(after)
    assert _only(after, "DEPOSIT_REQUIREMENT_NOT_IN_FORCE").severity.value == "info"


def test_the_mss_deployment_indicator_is_required_from_2024_09_12(
    tmp_path: Path, synthetic: Referential
) -> None:
    data, _ = synthetic_deposit("solde")
    data["date_creation"] = "2024-09-11T08:00:00+02:00"
    before = run(tmp_path, data, referential=synthetic, today=dt.date(2024, 9, 11))
    assert "DEPOSIT_INDICATOR_MISSING" not in codes(before)

    data["date_creation"] = "2024-09-12T08:00:00+02:00"
    data["demandes"][1]["indicateurs"] = {"deploiement_mss": "Cas 3"}
    after = run(tmp_path, data, referential=synthetic, today=dt.date(2024, 9, 12))
    missing = _only(after, "DEPOSIT_INDICATOR_MISSING")
    assert missing.path == "$.demandes[0].indicateurs.deploiement_mss"
    assert "« Cas 1 », « Cas 2 »" in missing.message
    invalid = _only(after, "DEPOSIT_INDICATOR_INVALID")
    assert invalid.path == "$.demandes[1].indicateurs.deploiement_mss"


def test_an_indicator_unknown_to_the_dispositif(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["indicateurs"] = {"deploiement_mss": "Cas 1"}

    finding = _only(run(tmp_path, _changed(change)), "DEPOSIT_INDICATOR_UNKNOWN")
    assert finding.path == "$.demandes[0].indicateurs.deploiement_mss"


# --- attachments (content only: the zip has its own tests) ---------------------------------


def test_each_kind_carries_its_document(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["demandes"][0]["pieces_jointes"][0]["type"] = "autre"

    finding = _only(run(tmp_path, _changed(change)), "DEPOSIT_ATTACHMENT_REQUIRED")
    assert finding.path == "$.demandes[0].pieces_jointes"
    assert "bon de commande" in finding.message


def test_unsafe_and_duplicate_attachment_names(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        pieces = data["demandes"][0]["pieces_jointes"]
        pieces.append(copy.deepcopy(pieces[0]))
        pieces.append({**copy.deepcopy(pieces[0]), "fichier": "../../etc/passwd"})
        data["demandes"][1]["pieces_jointes"].append(copy.deepcopy(pieces[0]))

    report = run(tmp_path, _changed(change))
    assert _only(report, "DEPOSIT_ATTACHMENT_DUPLICATE").path == (
        "$.demandes[0].pieces_jointes[1].fichier"
    )
    assert "« .. »" in _only(report, "DEPOSIT_ATTACHMENT_NAME_UNSAFE").message
    assert _only(report, "DEPOSIT_ATTACHMENT_SHARED").severity.value == "warning"
