"""Purchase orders from CSV, XLSX and JSON: the documented examples, and every bad input placed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook

from sons.domain.orders import ClientKind, FundedDimension, NotFunded, PurchaseOrder
from sons.formats.orders import read_orders
from sons.formats.problems import ImportResult
from sons.referential.loader import DATA_DIR, default_referential, load

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
ORDER_COLUMNS = [
    "numero",
    "date_signature",
    "signataire",
    "siret_fournisseur",
    "numero_referencement",
    "dispositif",
    "client",
    "type_client",
    "prestation_ht",
    "prestation_ttc",
    "sous_condition_referencement",
    "licence_ht",
    "hors_segur_ht",
    "hors_segur_libelle",
    "hors_segur_nature",
    "hors_segur_facture_segur",
    "finess_et",
]
RAD_ANSWERS = {
    "identity_referential": "Non",
    "hospital_environment": "Non",
    "mss_operator": "Mailiz",
    "client_is_scm": "Non",
    "prosante_connect": "Non",
    "identity_slave": "Oui",
    "dmp_direct": "Oui",
    "dmp_via_pfi": "Non",
    "mss_pro_direct": "Oui",
    "mss_pro_via_pfi": "Non",
    "mss_patient_direct": "Oui",
    "mss_patient_via_pfi": "Non",
}
RAD_ORDER = {
    "numero": "BC-1",
    "date_signature": "2022-03-15",
    "signataire": "Dr Martin",
    "siret_fournisseur": "88888888000018",
    "numero_referencement": "REF-DEMO-RIS-001",
    "dispositif": "RAD-RIS-Va1",
    "client": "690999206",
    "type_client": "EJ",
    "prestation_ht": "10 000,00",
    "prestation_ttc": "12 000,00",
    "licence_ht": "10 000,00",
    "finess_et": "690999214",
    **RAD_ANSWERS,
}


def _csv(tmp_path: Path, rows: list[dict[str, str]], headers: list[str] | None = None) -> Path:
    headers = headers or [*ORDER_COLUMNS, *RAD_ANSWERS, "pfi_dmp_independent"]
    lines = [";".join(headers)] + [";".join(row.get(h, "") for h in headers) for row in rows]
    path = tmp_path / "commandes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _placed(result: ImportResult[Any]) -> set[tuple[int | None, str | None, str]]:
    return {(p.line, p.column, p.rule) for p in result.report.problems}


def _summary(order: PurchaseOrder) -> tuple[Any, ...]:
    return (
        order.number,
        order.dispositif,
        order.client_kind,
        order.client_id,
        order.signed_on,
        order.prestation_ht_cents,
        order.prestation_ttc_cents,
        order.under_referencing_condition,
        tuple((s.finess_et, dict(s.answers)) for s in order.sites),
        tuple((line.amount_ht_cents, line.dimension, line.not_funded) for line in order.lines),
    )


# --- the examples ---------------------------------------------------------------------------


def test_example_orders_csv() -> None:
    result = read_orders(EXAMPLES / "commandes.csv")
    assert result.ok, [str(p) for p in result.report.problems]
    rad, dpi, rpps = result.items
    assert rad.number == "BC-DEMO-RAD-001"
    assert rad.referential_pin == default_referential().pin
    assert rad.client_kind is ClientKind.LEGAL_ENTITY and rad.client_id == "690999206"
    assert (rad.prestation_ht_cents, rad.prestation_ttc_cents) == (1_200_000, 1_440_000)
    assert [s.finess_et for s in rad.sites] == ["690999214", "690999222"]
    # The second row left the order-level cells empty: same order, its own scenario.
    assert rad.sites[1].answers["identity_referential"] is True
    assert rad.sites[1].answers["mss_operator"] is None
    assert sum(line.amount_ht_cents for line in rad.lines if line.funded) == 1_200_000
    (mss,) = [line for line in rad.lines if not line.funded]
    assert (mss.not_funded, mss.amount_ht_cents, mss.billed_as_segur) == (
        NotFunded.MSS_MAILBOXES,
        60_000,
        False,
    )
    assert rad.extra["import"] == {"file": "commandes.csv", "lines": [2, 3]}
    # A HOP-DPI-Va1 row answers its own questions; « prosante_connect » is shared by name.
    assert dpi.sites[0].answers == {
        "prosante_connect": True,
        "pfi_dmp_independent": False,
        "pfi_mss_pro_independent": False,
        "pfi_mss_patient_independent": True,
    }
    assert dpi.signed_on == dt.date(2022, 4, 20)  # JJ/MM/AAAA in the file
    assert FundedDimension.CERTIFICATE in {line.dimension for line in dpi.lines}
    assert rpps.client_kind is ClientKind.PROFESSIONAL and rpps.client_id == "10100000008"
    assert rpps.dispositif == "RAD-RIS-Va1"  # « rad-ris-va1 » in the file
    assert rpps.under_referencing_condition is True  # « X »


def test_example_orders_json_matches_the_csv() -> None:
    from_json = read_orders(EXAMPLES / "commandes.json")
    from_csv = read_orders(EXAMPLES / "commandes.csv")
    assert from_json.ok, [str(p) for p in from_json.report.problems]
    assert [_summary(o) for o in from_json.items] == [_summary(o) for o in from_csv.items]
    assert from_json.items[0].lines[0].label == "Licence RIS DÉMO"
    assert from_json.items[0].extra["import"]["path"] == "$.commandes[0]"


def test_example_orders_xlsx_with_question_labels_as_headers() -> None:
    path = EXAMPLES / "commandes.xlsx"
    assert path.stat().st_size < 20_000
    result = read_orders(path)
    assert result.ok, [str(p) for p in result.report.problems]
    (order,) = result.items
    assert order.signed_on == dt.date(2022, 5, 2)  # a real date cell
    assert order.prestation_ht_cents == 900_000  # a number cell
    assert [s.finess_et for s in order.sites] == ["750999310", "750999328"]
    assert order.sites[0].answers["hospital_environment"] is True
    assert order.sites[0].answers["mss_operator"] == "Mailiz"
    assert set(order.sites[0].answers) == set(RAD_ANSWERS)


# --- bad input: all problems at once, placed ------------------------------------------------


def test_every_order_problem_is_listed_at_once(tmp_path: Path) -> None:
    rows = [
        {**RAD_ORDER, "finess_et": "690999215"},  # 2: wrong key on the site's FINESS
        {"numero": "BC-1", "finess_et": "690999222", **RAD_ANSWERS, "signataire": "Dr Autre"},
        {**RAD_ORDER, "numero": "BC-2", "dispositif": "RAD-XYZ-Va1"},  # 4
        {**RAD_ORDER, "numero": "BC-3", "pfi_dmp_independent": "Oui"},  # 5: not a RAD question
        {**RAD_ORDER, "numero": "BC-4", "prestation_ht": "10000,005"},  # 6
        {**RAD_ORDER, "numero": "BC-5", "licence_ht": "-10000"},  # 7
        {**RAD_ORDER, "numero": "BC-6", "date_signature": "2022/03/15"},  # 8
        {**RAD_ORDER, "numero": "BC-7", "date_signature": "15-03-2022"},  # 9
        {**RAD_ORDER, "numero": "BC-8", "dmp_direct": "peut-être"},  # 10
        {**RAD_ORDER, "numero": "BC-9", "type_client": "société"},  # 11
        {**RAD_ORDER, "numero": "BC-10", "client": "12345"},  # 12: EJ of 5 characters
        {**RAD_ORDER, "numero": "BC-11", "siret_fournisseur": "88888888000019"},  # 13
        {**RAD_ORDER, "numero": "BC-12", "hors_segur_libelle": "Serveur"},  # 14: no amount
        {**RAD_ORDER, "numero": "BC-13", "hors_segur_ht": "1", "hors_segur_nature": "vélo"},
        {**RAD_ORDER, "numero": "BC-14", "finess_et": ""},  # 16
        {**RAD_ORDER, "numero": ""},  # 17
        {**RAD_ORDER, "numero": "BC-15"},  # 18: the only good order
    ]
    path = _csv(tmp_path, rows)
    with path.open("a", encoding="utf-8") as stream:
        stream.write("BC-16;2022-03-15;trop;de;champs" + ";x" * 40 + "\n")  # 19
    result = read_orders(path)
    assert _placed(result) == {
        (2, "finess_et", "FINESS_INVALID_KEY"),
        (3, "signataire", "ORDER_ROWS_DISAGREE"),
        (4, "dispositif", "DISPOSITIF_UNKNOWN"),
        (5, "pfi_dmp_independent", "QUESTION_UNKNOWN"),
        (6, "prestation_ht", "AMOUNT_TOO_MANY_DECIMALS"),
        (7, "licence_ht", "AMOUNT_NEGATIVE"),
        (8, "date_signature", "DATE_FORMAT"),
        (9, "date_signature", "DATE_FORMAT"),
        (10, "dmp_direct", "YES_NO_INVALID"),
        (11, "type_client", "CLIENT_KIND_INVALID"),
        (12, "client", "FINESS_INVALID_LENGTH"),
        (13, "siret_fournisseur", "SIRET_INVALID"),
        (14, "hors_segur_ht", "VALUE_REQUIRED"),
        (15, "hors_segur_nature", "ORDER_LINE_NOT_FUNDED"),
        (16, "finess_et", "VALUE_REQUIRED"),
        (17, "numero", "VALUE_REQUIRED"),
        (19, None, "TABLE_FIELD_COUNT"),
    }
    assert [o.number for o in result.items] == ["BC-15"]
    by_rule = {p.rule: p for p in result.report.problems}
    assert "ligne 3" in by_rule["ORDER_ROWS_DISAGREE"].message
    assert "ligne 2" in by_rule["ORDER_ROWS_DISAGREE"].message
    assert "RAD-RIS-Va1" in by_rule["QUESTION_UNKNOWN"].message
    assert "2022-03-15" in by_rule["QUESTION_UNKNOWN"].message
    assert by_rule["DATE_FORMAT"].value in {"2022/03/15", "15-03-2022"}
    assert "Le client est-il" not in by_rule["YES_NO_INVALID"].message
    assert "Les comptes-rendus sont-ils envoyés au DMP" in by_rule["YES_NO_INVALID"].message


def test_missing_column_is_reported_once_and_nothing_is_read(tmp_path: Path) -> None:
    headers = [h for h in [*ORDER_COLUMNS, *RAD_ANSWERS] if h != "signataire"]
    rows = [RAD_ORDER, {**RAD_ORDER, "numero": "BC-2"}, {**RAD_ORDER, "numero": "BC-3"}]
    result = read_orders(_csv(tmp_path, rows, headers))
    assert _placed(result) == {(1, "signataire", "TABLE_COLUMN_MISSING")}
    assert result.items == ()


def test_unknown_column_is_reported_on_the_header(tmp_path: Path) -> None:
    headers = [*ORDER_COLUMNS, *RAD_ANSWERS, "question_inventee"]
    result = read_orders(_csv(tmp_path, [{**RAD_ORDER, "question_inventee": "Oui"}], headers))
    assert _placed(result) == {(1, "question_inventee", "TABLE_COLUMN_UNKNOWN")}


def test_professional_client_may_have_no_site_finess(tmp_path: Path) -> None:
    row = {**RAD_ORDER, "client": "10100000008", "type_client": "RPPS", "finess_et": ""}
    result = read_orders(_csv(tmp_path, [row]))
    assert result.ok, [str(p) for p in result.report.problems]
    assert result.items[0].sites[0].finess_et is None


def test_wrong_encodings(tmp_path: Path) -> None:
    text = _csv(tmp_path, [{**RAD_ORDER, "signataire": "Dr Hélène Martin"}]).read_text("utf-8")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(text.encode("cp1252"))
    result = read_orders(latin)
    assert result.ok and result.items[0].signatory == "Dr Hélène Martin"
    assert _placed(result) == {(2, None, "ENCODING_LATIN1")}
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text(text, encoding="utf-16")
    assert _placed(read_orders(utf16)) == {(None, None, "ENCODING_UNSUPPORTED")}
    json_latin = tmp_path / "latin.json"
    json_latin.write_bytes('{"commandes": [{"signataire": "Hélène"}]}'.encode("latin-1"))
    assert _placed(read_orders(json_latin)) == {(1, None, "ENCODING_NOT_UTF8")}


def _xlsx(path: Path, rows: list[list[Any]], merge: str | None = None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    workbook.save(path)
    return path


def test_xlsx_merged_cells_and_typed_cells(tmp_path: Path) -> None:
    headers = [*ORDER_COLUMNS, *RAD_ANSWERS]
    first = [RAD_ORDER.get(h, "") for h in headers]
    second = [RAD_ORDER.get(h, "") for h in headers]
    second[headers.index("finess_et")] = "690999222"
    second[headers.index("numero")] = None  # merged with the cell above
    first[headers.index("prestation_ht")] = 10000.0
    first[headers.index("date_signature")] = dt.datetime(2022, 3, 15)
    first[headers.index("dmp_direct")] = True
    path = _xlsx(tmp_path / "fusion.xlsx", [headers, first, second], merge="A2:A3")
    result = read_orders(path)
    assert (2, "numero", "XLSX_MERGED_CELLS") in _placed(result)
    assert not result.ok
    unmerged = _xlsx(tmp_path / "ok.xlsx", [headers, first])
    result = read_orders(unmerged)
    assert result.ok, [str(p) for p in result.report.problems]
    order = result.items[0]
    assert order.signed_on == dt.date(2022, 3, 15)
    assert order.prestation_ht_cents == 1_000_000
    assert order.sites[0].answers["dmp_direct"] is True


def test_xlsx_three_decimals_from_a_number_cell(tmp_path: Path) -> None:
    headers = [*ORDER_COLUMNS, *RAD_ANSWERS]
    row = [RAD_ORDER.get(h, "") for h in headers]
    row[headers.index("prestation_ttc")] = 12000.125
    result = read_orders(_xlsx(tmp_path / "d.xlsx", [headers, row]))
    assert _placed(result) == {(2, "prestation_ttc", "AMOUNT_TOO_MANY_DECIMALS")}


def test_question_not_in_force_at_the_signature_date(tmp_path: Path) -> None:
    root = tmp_path / "data"
    shutil.copytree(DATA_DIR, root)
    questionnaire = root / "dispositifs" / "rad-ris-va1" / "questionnaire.yaml"
    data = yaml.safe_load(questionnaire.read_text(encoding="utf-8"))
    for question in data["questions"]:
        if question["id"] == "prosante_connect":
            question["valid_from"] = dt.date(2023, 1, 1)
    questionnaire.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    referential = load(root)
    before = {**RAD_ORDER, "numero": "BC-A", "date_signature": "2022-12-31"}
    after = {**RAD_ORDER, "numero": "BC-B", "date_signature": "2023-01-01"}
    empty = {**before, "numero": "BC-C", "prosante_connect": ""}
    result = read_orders(_csv(tmp_path, [before, after, empty]), referential)
    assert _placed(result) == {(2, "prosante_connect", "QUESTION_UNKNOWN")}
    assert [o.number for o in result.items] == ["BC-B", "BC-C"]


def test_duplicate_site_in_one_order(tmp_path: Path) -> None:
    result = read_orders(_csv(tmp_path, [RAD_ORDER, {"numero": "BC-1", "finess_et": "690999214"}]))
    assert _placed(result) == {(3, "finess_et", "ORDER_SITE_DUPLICATE")}


# --- JSON -----------------------------------------------------------------------------------


def _json_order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        key: RAD_ORDER[key]
        for key in ORDER_COLUMNS
        if key in RAD_ORDER and key not in ("licence_ht", "finess_et")
    }
    order["sites"] = [
        {"finess_et": "690999214", "reponses": {k: v == "Oui" for k, v in RAD_ANSWERS.items()}}
    ]
    order["sites"][0]["reponses"]["mss_operator"] = "Mailiz"
    order["lignes"] = [{"montant_ht": "10000", "dimension": "licence"}]
    order.update(changes)
    return order


def _json(tmp_path: Path, orders: list[dict[str, Any]]) -> Path:
    path = tmp_path / "commandes.json"
    path.write_text(json.dumps({"commandes": orders}, ensure_ascii=False), encoding="utf-8")
    return path


def test_json_problems_are_placed_by_path(tmp_path: Path) -> None:
    good = _json_order()
    unknown_question = _json_order(numero="BC-2")
    unknown_question["sites"][0]["reponses"]["question_inventee"] = True
    bad_line = _json_order(
        numero="BC-3",
        lignes=[
            {"montant_ht": "5", "hors_segur": "autre", "dimension": "licence"},
            {"montant_ht": 12.345, "dimension": "licence"},
        ],
    )
    no_site = _json_order(numero="BC-4", sites=[])
    bad_answer = _json_order(numero="BC-5")
    bad_answer["sites"][0]["reponses"]["dmp_direct"] = [True]
    unknown_key = _json_order(numero="BC-6", remise="10 %")
    orders = [good, unknown_question, bad_line, no_site, bad_answer, unknown_key, good]
    result = read_orders(_json(tmp_path, orders))
    assert _placed(result) == {
        (None, "$.commandes[1].sites[0].reponses.question_inventee", "QUESTION_UNKNOWN"),
        (None, "$.commandes[2].lignes[0].dimension", "ORDER_LINE_KIND"),
        (None, "$.commandes[2].lignes[1].montant_ht", "AMOUNT_TOO_MANY_DECIMALS"),
        (None, "$.commandes[3].sites", "VALUE_REQUIRED"),
        (None, "$.commandes[4].sites[0].reponses.dmp_direct", "JSON_TYPE"),
        (None, "$.commandes[5].remise", "JSON_KEY_UNKNOWN"),
        (None, "$.commandes[6].numero", "ORDER_DUPLICATE"),
    }
    assert [o.number for o in result.items] == ["BC-1"]


def test_json_duplicate_keys_and_syntax(tmp_path: Path) -> None:
    path = tmp_path / "double.json"
    path.write_text('{"commandes": [{"numero": "A", "numero": "B"}]}', encoding="utf-8")
    assert _placed(read_orders(path)) == {(None, None, "JSON_DUPLICATE_KEY")}
    path.write_text('{"commandes": [\n  {"numero": "A"\n]}', encoding="utf-8")
    assert _placed(read_orders(path)) == {(3, None, "JSON_SYNTAX")}
    path.write_text('{"commandes": [{"prestation_ht": NaN}]}', encoding="utf-8")
    assert "JSON_SYNTAX" in read_orders(path).report.rules()
    path.write_text('{"bons": []}', encoding="utf-8")
    assert _placed(read_orders(path)) == {(None, "$", "JSON_STRUCTURE")}


@pytest.mark.parametrize("value", ["Oui", "non", "X", True])
def test_json_yes_no_answers_accept_the_same_words(tmp_path: Path, value: Any) -> None:
    order = _json_order()
    order["sites"][0]["reponses"]["dmp_direct"] = value
    result = read_orders(_json(tmp_path, [order]))
    assert result.ok
    expected = value if isinstance(value, bool) else value.lower() in ("oui", "x")
    assert result.items[0].sites[0].answers["dmp_direct"] is expected
