"""The file against its format: every structural problem, placed by JSON path, all at once."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from test_deposit_samples import codes, deposit, found, run

from sons.formats.deposit.model import MAX_AMOUNT_CENTS
from sons.formats.deposit.structure import validate_requests, validate_structure
from sons.referential.loader import default_referential

AMOUNT = "$.demandes[0].prestation.montant_ht_centimes"


def _with(change: Any, kind: str = "avance") -> dict[str, Any]:
    data, _ = deposit(kind)
    data = copy.deepcopy(data)
    change(data)
    return data


def _set_ht(value: Any) -> Any:
    return lambda d: d["demandes"][0]["prestation"].__setitem__("montant_ht_centimes", value)


@pytest.mark.parametrize(
    ("value", "code", "words"),
    [
        ("1000000", "DEPOSIT_FIELD_TYPE", "reçu le texte '1000000'"),
        (12.5, "DEPOSIT_FIELD_TYPE", "centimes entiers"),
        (1000.0, "DEPOSIT_FIELD_TYPE", "sans partie décimale"),
        (True, "DEPOSIT_FIELD_TYPE", "reçu true"),
        (MAX_AMOUNT_CENTS + 1, "DEPOSIT_NUMBER_OUT_OF_RANGE", "maximum : 1000000000000"),
        (-5, "DEPOSIT_NUMBER_OUT_OF_RANGE", "minimum : 0"),
        (1e23, "DEPOSIT_NUMBER_OUT_OF_RANGE", "hors limites"),
        (10**400, "DEPOSIT_NUMBER_OUT_OF_RANGE", "maximum"),
    ],
    ids=["text", "fraction", "decimal-point", "bool", "max", "negative", "64-bit", "400-digits"],
)
def test_amounts_are_integer_cents_within_range(
    tmp_path: Path, value: Any, code: str, words: str
) -> None:
    report = run(tmp_path, _with(_set_ht(value)))
    [finding] = [f for f in report.findings if f.path == AMOUNT]
    assert finding.code == code
    assert words in finding.message
    assert report.exit_code == 1


def test_every_structural_error_is_reported_at_once(tmp_path: Path) -> None:
    def break_many(data: dict[str, Any]) -> None:
        data["editeur"]["siret"] = "123"
        data["demandes"][0]["client"]["inconnu"] = 1
        del data["demandes"][1]["bon_de_commande"]["signataire"]
        data["demandes"][1]["bon_de_commande"]["date_signature"] = "2022-02-30"
        data["demandes"][1]["pieces_jointes"][0]["type"] = "photo"

    report = run(tmp_path, _with(break_many))
    placed = {(f.code, f.path) for f in report.findings}
    assert {
        ("DEPOSIT_FIELD_FORMAT", "$.editeur.siret"),
        ("DEPOSIT_FIELD_UNKNOWN", "$.demandes[0].client.inconnu"),
        ("DEPOSIT_FIELD_MISSING", "$.demandes[1].bon_de_commande.signataire"),
        ("DEPOSIT_FIELD_INVALID", "$.demandes[1].bon_de_commande.date_signature"),
        ("DEPOSIT_FIELD_FORMAT", "$.demandes[1].pieces_jointes[0].type"),
    } <= placed
    enum = found(report, "DEPOSIT_FIELD_FORMAT")[-1]
    assert "'bon_de_commande', 'facture', 'mom', 'va' ou 'autre'" in enum.message
    # A broken request is not checked by the rules, and says so.
    assert [f.path for f in found(report, "DEPOSIT_REQUEST_RULES_SKIPPED")] == [
        "$.demandes[0]",
        "$.demandes[1]",
    ]
    # The dispositif still being known, the referential rules apply to the header.
    assert "SIRET_INVALID" not in codes(report)  # the SIRET is checked only once well-formed


def test_a_bad_request_does_not_hide_the_good_ones() -> None:
    data, _ = deposit()
    good = data["demandes"][0]
    bad = copy.deepcopy(good)
    bad["prestation"]["montant_ttc_centimes"] = "cher"
    raw = [good, bad, good, good, bad]
    results = list(validate_requests(raw, chunk=2))
    assert [i for i, model, _ in results if model is not None] == [0, 2, 3]
    assert [f.path for _, _, errors in results for f in errors] == [
        "$.demandes[1].prestation.montant_ttc_centimes",
        "$.demandes[4].prestation.montant_ttc_centimes",
    ]


def test_client_is_an_ej_or_a_professional_not_both(tmp_path: Path) -> None:
    report = run(tmp_path, _with(lambda d: d["demandes"][0]["client"].update(rpps="10005173140")))
    [finding] = found(report, "DEPOSIT_FIELD_INVALID")
    assert finding.path == "$.demandes[0].client"
    assert "« finess_ej »" in finding.message and "« rpps »" in finding.message


def test_format_version_and_dates(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["version_format"] = "2.0"
        data["date_creation"] = "2022-11-15 09:30"

    report = run(tmp_path, _with(change))
    assert "versions prises en charge : 1.0" in found(report, "DEPOSIT_FORMAT_VERSION")[0].message
    [date] = found(report, "DEPOSIT_FIELD_INVALID")
    assert date.path == "$.date_creation" and "ISO 8601" in date.message


def test_dispositif_unknown_case_and_couloir(tmp_path: Path) -> None:
    unknown = run(tmp_path, _with(lambda d: d.update(dispositif="RAD-XYZ-Va9")))
    assert found(unknown, "DEPOSIT_DISPOSITIF_UNKNOWN")[0].path == "$.dispositif"
    assert "DEPOSIT_RULES_SKIPPED" in codes(unknown)

    case = run(tmp_path, _with(lambda d: d.update(dispositif="rad-ris-va1")))
    assert "« RAD-RIS-Va1 »" in found(case, "DEPOSIT_DISPOSITIF_CASE")[0].message
    assert "DEPOSIT_RULES_SKIPPED" not in codes(case)  # checked with the dispositif anyway

    couloir = run(tmp_path, _with(lambda d: d.update(couloir="BIO")))
    assert found(couloir, "DEPOSIT_COULOIR_MISMATCH")[0].path == "$.couloir"


def test_scenario_typed_from_the_questionnaire(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        scenario = data["demandes"][1]["etablissements"][1]["scenario"]
        scenario["dmp_direct"] = "oui"
        scenario["question_inventee"] = True
        del scenario["client_is_scm"]
        scenario["mss_operator"] = None  # optional: null is « not answered »

    report = run(tmp_path, _with(change))
    base = "$.demandes[1].etablissements[1].scenario"
    placed = [(f.code, f.path) for f in report.findings if f.path.startswith(base)]
    assert sorted(placed) == [
        ("SCENARIO_ANSWER_INVALID", f"{base}.dmp_direct"),
        ("SCENARIO_ANSWER_MISSING", f"{base}.client_is_scm"),
        ("SCENARIO_ANSWER_UNKNOWN", f"{base}.question_inventee"),
    ]  # each once: the dated check of the referential does not repeat them


def test_the_root_must_be_an_object_and_carry_requests(tmp_path: Path) -> None:
    referential = default_referential()
    assert [f.code for f in validate_structure([1, 2], referential)] == ["DEPOSIT_FIELD_TYPE"]
    data, _ = deposit()
    data["demandes"] = []
    assert ("DEPOSIT_FIELD_FORMAT", "$.demandes") in {
        (f.code, f.path) for f in validate_structure(data, referential)
    }
    del data["demandes"]
    assert ("DEPOSIT_FIELD_MISSING", "$.demandes") in {
        (f.code, f.path) for f in validate_structure(data, referential)
    }
    report = run(tmp_path, [1, 2])
    assert report.readable and report.exit_code == 1
