"""Purchase orders (bons de commande) from CSV, XLSX or JSON, as `PurchaseOrder` values.

CSV/XLSX follow the official order table « FINESS | question 1 | question 2 | … »: one row per
site, the order-level columns repeated (or left empty) on each row of the same order, then
``finess_et`` and one column per question of the dispositif's questionnaire, named by the
question id or its exact label. JSON holds ``commandes`` → ``sites`` → ``reponses`` and
``lignes``. Both layouts are documented in docs/formats-import.md with examples in docs/examples.

This reader only reports what makes the file unreadable (format, identifiers, dates, amounts,
unknown dispositif or question, rows of one order that disagree). The order checks (required
answers, profiles, deadlines, ceilings…) run later on the values, in `sons.domain.checks`.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sons.domain.orders import (
    FUNDED_DIMENSION_LABELS,
    NOT_FUNDED_LABELS,
    ClientKind,
    FundedDimension,
    NotFunded,
    OrderLine,
    PurchaseOrder,
    SiteScenario,
)
from sons.formats.cells import (
    CellError,
    cell_text,
    dispositif_parser,
    header_key,
    normalise_label,
    parse_amount,
    parse_date,
    parse_finess,
    parse_integer,
    parse_rpps,
    parse_siret,
    parse_yes_no,
)
from sons.formats.problems import ImportReport, ImportResult
from sons.formats.records import Fields, Place, json_list, load_json, objects
from sons.formats.table import Row, Table, read_table
from sons.referential.loader import DispositifAtDate, Referential, default_referential
from sons.referential.model import Question

# Order-level columns (CSV/XLSX) and keys (JSON), with the words used in messages.
ORDER_FIELDS: dict[str, str] = {
    "numero": "numéro du bon de commande",
    "date_signature": "date de signature",
    "signataire": "signataire",
    "siret_fournisseur": "SIRET du fournisseur",
    "numero_referencement": "numéro de référencement de la solution",
    "dispositif": "dispositif",
    "client": "client (FINESS EJ ou RPPS)",
    "type_client": "type de client",
    "prestation_ht": "montant de la Prestation Ségur HT",
    "prestation_ttc": "montant de la Prestation Ségur TTC",
    "sous_condition_referencement": "mention « sous condition de référencement »",
}
REQUIRED_ORDER_FIELDS = tuple(
    name for name in ORDER_FIELDS if name != "sous_condition_referencement"
)

# One amount column per funded dimension (CSV/XLSX); the JSON `dimension` of a line uses the
# same words without « _ht ».
DIMENSION_COLUMNS: dict[str, FundedDimension] = {
    "licence_ht": FundedDimension.LICENCE,
    "installation_ht": FundedDimension.INSTALLATION,
    "maintenance_ht": FundedDimension.MAINTENANCE,
    "certificat_ht": FundedDimension.CERTIFICATE,
    "projet_ht": FundedDimension.PROJECT,
    "formation_ht": FundedDimension.TRAINING,
}
NOT_FUNDED_COLUMNS: dict[str, str] = {
    "hors_segur_ht": "montant HT hors Prestation Ségur",
    "hors_segur_libelle": "libellé de la ligne hors Prestation Ségur",
    "hors_segur_nature": "nature de la ligne hors Prestation Ségur",
    "hors_segur_facture_segur": "ligne hors Ségur facturée au titre de la Prestation Ségur",
}
SITE_COLUMN = "finess_et"
TABLE_ORDER_COLUMNS = (*ORDER_FIELDS, *DIMENSION_COLUMNS, *NOT_FUNDED_COLUMNS)

DIMENSION_WORDS: dict[str, FundedDimension] = {
    **{column.removesuffix("_ht"): dimension for column, dimension in DIMENSION_COLUMNS.items()},
    **{dimension.value: dimension for dimension in FundedDimension},
}
NOT_FUNDED_WORDS: dict[str, NotFunded] = {
    "boites_mss": NotFunded.MSS_MAILBOXES,
    "changement_logiciel": NotFunded.SOFTWARE_CHANGE,
    "infrastructure": NotFunded.INFRASTRUCTURE,
    "autre": NotFunded.OTHER,
    **{kind.value: kind for kind in NotFunded},
}
CLIENT_KIND_WORDS: dict[str, ClientKind] = {
    "ej": ClientKind.LEGAL_ENTITY,
    "finess_ej": ClientKind.LEGAL_ENTITY,
    "entite_juridique": ClientKind.LEGAL_ENTITY,
    "rpps": ClientKind.PROFESSIONAL,
    "ps": ClientKind.PROFESSIONAL,
    "professionnel": ClientKind.PROFESSIONAL,
}
_JSON_ORDER_KEYS = (*ORDER_FIELDS, "sites", "lignes")
_JSON_SITE_KEYS = ("finess_et", "reponses")
_JSON_LINE_KEYS = ("libelle", "montant_ht", "dimension", "hors_segur", "facture_segur")


def _word(text: str) -> str:
    """« Entité juridique » → « entite_juridique »: vocabularies ignore case, accents, spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "_".join(plain.replace("-", " ").split())


def _vocabulary_parser(
    words: dict[str, Any], shown: Iterable[str], rule: str, what: str
) -> Callable[[str], Any]:
    listed = ", ".join(shown)

    def parse(text: str) -> Any:
        found = words.get(_word(text))
        if found is None:
            raise CellError(
                rule,
                f"valeur « {text.strip()} » inconnue pour {what} ; valeurs possibles : {listed}",
            )
        return found

    return parse


parse_client_kind = _vocabulary_parser(
    CLIENT_KIND_WORDS, ("EJ", "RPPS"), "CLIENT_KIND_INVALID", "le type de client"
)
parse_dimension = _vocabulary_parser(
    DIMENSION_WORDS,
    [c.removesuffix("_ht") for c in DIMENSION_COLUMNS],
    "ORDER_LINE_DIMENSION",
    "la dimension financée",
)
parse_not_funded = _vocabulary_parser(
    NOT_FUNDED_WORDS,
    ("boites_mss", "changement_logiciel", "infrastructure", "autre"),
    "ORDER_LINE_NOT_FUNDED",
    "la nature de la ligne hors Ségur",
)


@dataclass(frozen=True, slots=True)
class _Header:
    number: str
    signed_on: dt.date
    signatory: str
    vendor_siret: str
    referencing_number: str
    dispositif: str
    client_kind: ClientKind
    client_id: str
    prestation_ht_cents: int
    prestation_ttc_cents: int
    under_referencing_condition: bool


class _Questionnaires:
    """Questions of each dispositif in force at each date, by id and by label (cached)."""

    def __init__(self, referential: Referential) -> None:
        self.referential = referential
        self._views: dict[tuple[str, dt.date], tuple[DispositifAtDate, dict[str, Question]]] = {}
        self.known_anywhere: set[str] = set()
        for dispositif in referential.dispositifs.values():
            for question in dispositif.questionnaire.questions:
                self.known_anywhere.add(question.id)
                self.known_anywhere.add(normalise_label(question.label))

    def at(self, code: str, on: dt.date) -> tuple[DispositifAtDate, dict[str, Question]]:
        key = (code, on)
        if key not in self._views:
            view = self.referential.at(code, on)
            index: dict[str, Question] = {}
            for question in view.questions:
                index[normalise_label(question.label)] = question
            for question in view.questions:
                index[question.id] = question
            self._views[key] = (view, index)
        return self._views[key]


def read_orders(path: Path, referential: Referential | None = None) -> ImportResult[PurchaseOrder]:
    """Read a file of purchase orders (.csv, .xlsx or .json); every problem in the report."""
    referential = referential or default_referential()
    report = ImportReport.for_path(path, "bons de commande")
    reader = _OrdersReader(report, referential)
    if path.suffix.lower() == ".json":
        orders = reader.from_json(path)
    else:
        table = read_table(path, report, what="le fichier des bons de commande")
        orders = reader.from_table(table) if table is not None else []
    return ImportResult(tuple(orders), report)


def read_order_object(
    item: Any, referential: Referential | None = None, *, source: str = "requête"
) -> ImportResult[PurchaseOrder]:
    """One order given as a JSON object (an API request's body), read exactly as one element of
    « commandes » in a JSON file, with the paths of its problems starting at ``$``.

    Numbers with a decimal part are taken as `Decimal`, as the file reader does: an amount
    1234.567 is refused for its third decimal, never rounded by a float.
    """
    referential = referential or default_referential()
    report = ImportReport(file=source, kind="bon de commande", records=1)
    if not isinstance(item, dict):
        report.error(None, "$", None, "JSON_TYPE", "objet JSON attendu ({...})")
        return ImportResult((), report)
    order = _OrdersReader(report, referential).json_order("$", _exact_numbers(item))
    return ImportResult(() if order is None else (order,), report)


def _exact_numbers(value: Any) -> Any:
    if isinstance(value, float):
        # NaN and infinities (which Python's JSON reader lets through) stay text: refused as such.
        return Decimal(repr(value)) if math.isfinite(value) else repr(value)
    if isinstance(value, dict):
        return {key: _exact_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_exact_numbers(item) for item in value]
    return value


class _OrdersReader:
    def __init__(self, report: ImportReport, referential: Referential) -> None:
        self.report = report
        self.referential = referential
        self.questionnaires = _Questionnaires(referential)
        self.parse_dispositif = dispositif_parser(referential)

    # --- what both layouts share -------------------------------------------------------------

    def header(self, fields: Fields) -> _Header | None:
        def text(name: str) -> str | None:
            return fields.parse(name, str.strip, label=ORDER_FIELDS[name])

        number = text("numero")
        signed_on = fields.parse("date_signature", parse_date, label=ORDER_FIELDS["date_signature"])
        signatory = text("signataire")
        vendor_siret = fields.parse(
            "siret_fournisseur", parse_siret, label=ORDER_FIELDS["siret_fournisseur"]
        )
        referencing_number = text("numero_referencement")
        dispositif = fields.parse(
            "dispositif", self.parse_dispositif, label=ORDER_FIELDS["dispositif"]
        )
        client_kind = fields.parse(
            "type_client", parse_client_kind, label=ORDER_FIELDS["type_client"]
        )
        client_id = self.client(fields, client_kind)
        ht = fields.parse("prestation_ht", parse_amount, label=ORDER_FIELDS["prestation_ht"])
        ttc = fields.parse("prestation_ttc", parse_amount, label=ORDER_FIELDS["prestation_ttc"])
        condition = fields.parse("sous_condition_referencement", parse_yes_no, required=False)
        if (
            number is None
            or signed_on is None
            or signatory is None
            or vendor_siret is None
            or referencing_number is None
            or dispositif is None
            or client_kind is None
            or client_id is None
            or ht is None
            or ttc is None
        ):
            return None
        return _Header(
            number,
            signed_on,
            signatory,
            vendor_siret,
            referencing_number,
            dispositif,
            client_kind,
            client_id,
            ht,
            ttc,
            bool(condition),
        )

    def client(self, fields: Fields, kind: ClientKind | None) -> str | None:
        label = ORDER_FIELDS["client"]
        if kind is ClientKind.PROFESSIONAL:
            return fields.parse("client", parse_rpps, label=label)
        if kind is ClientKind.LEGAL_ENTITY:
            checked = fields.parse("client", parse_finess, label=label)
            if checked is None:
                return None
            for warning in checked[1]:
                fields.warning("client", "FINESS_KEY_NOT_CHECKED", warning)
            return checked[0]
        return fields.parse("client", str.strip, label=label)

    def site_finess(self, fields: Fields, required: bool) -> str | None:
        checked = fields.parse(
            SITE_COLUMN, parse_finess, required=required, label="FINESS de l'établissement (ET)"
        )
        if checked is None:
            return None
        for warning in checked[1]:
            fields.warning(SITE_COLUMN, "FINESS_KEY_NOT_CHECKED", warning)
        return checked[0]

    def answers(
        self,
        header: _Header,
        given: Iterable[tuple[str, Any, Place]],
        *,
        empty_unknown_ok: bool,
    ) -> dict[str, Any] | None:
        """Answers by question id; None when one of them cannot be read (problems reported)."""
        view, index = self.questionnaires.at(header.dispositif, header.signed_on)
        answers: dict[str, Any] = {}
        from_place: dict[str, Place] = {}
        ok = True
        for key, value, place in given:
            text = cell_text(value).strip()
            question = index.get(key) or index.get(normalise_label(key))
            if question is None:
                if empty_unknown_ok and not text:
                    continue  # a column of another dispositif's questionnaire, left empty
                ok = False
                self.report.error(
                    place.line,
                    place.column,
                    text,
                    "QUESTION_UNKNOWN",
                    f"réponse à « {key} », qui n'est pas une question du questionnaire de "
                    f"{view.code} en vigueur le {header.signed_on.isoformat()} ; questions : "
                    f"{', '.join(q.id for q in view.questions)}",
                )
                continue
            if question.id in answers:
                ok = False
                first = from_place[question.id]
                self.report.error(
                    place.line,
                    place.column,
                    text,
                    "QUESTION_DUPLICATE",
                    f"deuxième réponse à la question {question.id} (la première est en "
                    f"« {first.column} ») : une seule colonne par question",
                )
                continue
            try:
                answers[question.id] = _answer(question, value, text)
            except CellError as error:
                ok = False
                self.report.error(
                    place.line,
                    place.column,
                    text,
                    error.rule,
                    f"question « {question.label} » ({question.id}) : {error.message}",
                )
                continue
            from_place[question.id] = place
        return answers if ok else None

    def order(
        self,
        header: _Header,
        sites: list[SiteScenario],
        lines: list[OrderLine],
        source: dict[str, Any],
    ) -> PurchaseOrder:
        return PurchaseOrder(
            number=header.number,
            vendor_siret=header.vendor_siret,
            solution_referencing_number=header.referencing_number,
            dispositif=header.dispositif,
            client_kind=header.client_kind,
            client_id=header.client_id,
            signed_on=header.signed_on,
            signatory=header.signatory,
            prestation_ht_cents=header.prestation_ht_cents,
            prestation_ttc_cents=header.prestation_ttc_cents,
            referential_pin=self.referential.pin,
            under_referencing_condition=header.under_referencing_condition,
            sites=tuple(sites),
            lines=tuple(lines),
            extra={"import": {"file": self.report.file, **source}},
        )

    def duplicate_site(
        self, seen: dict[str, str], finess: str, where: str, fields: Fields, number: str
    ) -> bool:
        if finess in seen:
            fields.error(
                SITE_COLUMN,
                "ORDER_SITE_DUPLICATE",
                f"l'établissement {finess} figure deux fois dans la commande « {number} » "
                f"(déjà en {seen[finess]}) : un seul scénario par site",
                finess,
            )
            return True
        seen[finess] = where
        return False

    # --- CSV / XLSX --------------------------------------------------------------------------

    def from_table(self, table: Table) -> list[PurchaseOrder]:
        report = self.report
        order_headers = {name: table.require(report, name) for name in REQUIRED_ORDER_FIELDS}
        for name in TABLE_ORDER_COLUMNS:
            if name not in order_headers:
                order_headers[name] = table.find(name)
        site_header = table.require(report, SITE_COLUMN)
        known = {header_key(name) for name in (*TABLE_ORDER_COLUMNS, SITE_COLUMN)}
        question_headers: list[str] = []
        for header in table.headers:
            if header_key(header) in known:
                continue
            if header in self.questionnaires.known_anywhere or (
                normalise_label(header) in self.questionnaires.known_anywhere
            ):
                question_headers.append(header)
                continue
            report.error(
                table.header_line,
                header,
                None,
                "TABLE_COLUMN_UNKNOWN",
                f"colonne « {header} » inconnue : ni une colonne du modèle de bon de commande, "
                "ni l'identifiant ou le libellé exact d'une question d'un questionnaire",
            )
        present = {name: header for name, header in order_headers.items() if header is not None}
        groups: dict[str, list[Row]] = {}
        number_header = present.get("numero")
        for row in table.rows:
            number = row.get(number_header).strip()
            if number_header is not None and not number:
                report.error(
                    row.line,
                    number_header,
                    None,
                    "VALUE_REQUIRED",
                    f"{ORDER_FIELDS['numero']} : valeur obligatoire manquante (chaque ligne porte "
                    "le numéro de la commande à laquelle le site appartient)",
                )
                continue
            groups.setdefault(number, []).append(row)
        orders: list[PurchaseOrder] = []
        for rows in groups.values():
            order = self.table_order(rows, present, site_header, question_headers)
            if order is not None:
                orders.append(order)
        return orders

    def merged_fields(self, rows: list[Row], present: dict[str, str]) -> Fields:
        """Order-level values of the rows of one order; disagreements reported, both lines."""
        values: dict[str, Any] = {}
        places: dict[str, Place] = {}
        number = rows[0].get(present.get("numero")).strip()
        for name, header in present.items():
            reference: tuple[int, str] | None = None
            for row in rows:
                text = row.get(header).strip()
                if not text:
                    continue
                if reference is None:
                    reference = (row.line, text)
                elif normalise_label(text) != normalise_label(reference[1]):
                    self.report.error(
                        row.line,
                        header,
                        text,
                        "ORDER_ROWS_DISAGREE",
                        f"commande « {number} » : « {text} » en ligne {row.line} mais "
                        f"« {reference[1]} » en ligne {reference[0]} ; les lignes d'une même "
                        "commande portent la même valeur de commande (ou la laissent vide)",
                    )
            values[name] = reference[1] if reference else ""
            places[name] = Place(reference[0] if reference else rows[0].line, header)
        fields = Fields(self.report, values, places, Place(rows[0].line, None))
        # A missing required column was reported once on the header line, not once per order.
        fields.absent.update(name for name in REQUIRED_ORDER_FIELDS if name not in present)
        return fields

    def table_order(
        self,
        rows: list[Row],
        present: dict[str, str],
        site_header: str | None,
        question_headers: list[str],
    ) -> PurchaseOrder | None:
        errors_before = self.report.error_count
        fields = self.merged_fields(rows, present)
        header = self.header(fields)
        lines = self.table_lines(fields)
        sites: list[SiteScenario] = []
        seen: dict[str, str] = {}
        for row in rows:
            site_fields = Fields.from_row(
                self.report, row.line, row.cells, {SITE_COLUMN: site_header or ""}
            )
            if site_header is None:
                site_fields.absent.add(SITE_COLUMN)
            finess = self.site_finess(site_fields, _site_required(fields))
            if finess is not None and header is not None:
                self.duplicate_site(seen, finess, f"ligne {row.line}", site_fields, header.number)
            if header is None:
                continue
            given = [(h, row.get(h), Place(row.line, h)) for h in question_headers]
            answers = self.answers(header, given, empty_unknown_ok=True)
            if answers is not None:
                sites.append(SiteScenario(finess, answers))
        if header is None or self.report.error_count != errors_before:
            return None
        return self.order(header, sites, lines, {"lines": [row.line for row in rows]})

    def table_lines(self, fields: Fields) -> list[OrderLine]:
        lines: list[OrderLine] = []
        for column, dimension in DIMENSION_COLUMNS.items():
            label = FUNDED_DIMENSION_LABELS[dimension]
            amount = fields.parse(column, parse_amount, required=False, label=label)
            if amount is not None:
                lines.append(OrderLine(label, amount, dimension=dimension))
        amount = fields.parse("hors_segur_ht", parse_amount, required=False)
        label = fields.text("hors_segur_libelle")
        nature = fields.parse("hors_segur_nature", parse_not_funded, required=False)
        billed = fields.parse("hors_segur_facture_segur", parse_yes_no, required=False)
        described = (
            label or fields.text("hors_segur_nature") or fields.text("hors_segur_facture_segur")
        )
        if amount is None and described and not fields.text("hors_segur_ht"):
            fields.error(
                "hors_segur_ht",
                "VALUE_REQUIRED",
                f"{NOT_FUNDED_COLUMNS['hors_segur_ht']} : valeur obligatoire quand la ligne hors "
                "Ségur est décrite (libellé, nature ou facturation)",
            )
        if amount is not None:
            kind = nature or NotFunded.OTHER
            lines.append(
                OrderLine(
                    label or NOT_FUNDED_LABELS[kind],
                    amount,
                    not_funded=kind,
                    billed_as_segur=bool(billed),
                )
            )
        return lines

    # --- JSON --------------------------------------------------------------------------------

    def from_json(self, path: Path) -> list[PurchaseOrder]:
        document = load_json(path, self.report, what="le fichier des bons de commande")
        if document is None:
            return []
        items = json_list(self.report, document, "commandes", "bons de commande")
        self.report.records = len(items)
        orders: list[PurchaseOrder] = []
        numbers: dict[str, str] = {}
        for where, item in items:
            order = self.json_order(where, item)
            if order is None:
                continue
            if order.number in numbers:
                self.report.error(
                    None,
                    f"{where}.numero",
                    order.number,
                    "ORDER_DUPLICATE",
                    f"bon de commande « {order.number} » déjà présent en {numbers[order.number]}",
                )
                continue
            numbers[order.number] = where
            orders.append(order)
        return orders

    def json_order(self, where: str, item: dict[str, Any]) -> PurchaseOrder | None:
        errors_before = self.report.error_count
        scalars = {k: v for k, v in item.items() if k not in ("sites", "lignes")}
        fields = Fields.from_json(self.report, where, scalars, _JSON_ORDER_KEYS)
        header = self.header(fields)
        sites: list[SiteScenario] = []
        if not item.get("sites"):
            fields.error("sites", "VALUE_REQUIRED", "sites : au moins un site attendu")
        else:
            seen: dict[str, str] = {}
            required = _site_required(fields)
            for site_where, site in objects(self.report, item["sites"], f"{where}.sites"):
                scenario = self.json_site(site_where, site, header, seen, required)
                if scenario is not None:
                    sites.append(scenario)
        lines: list[OrderLine] = []
        for line_where, line in objects(self.report, item.get("lignes", []), f"{where}.lignes"):
            order_line = self.json_line(line_where, line)
            if order_line is not None:
                lines.append(order_line)
        if header is None or self.report.error_count != errors_before:
            return None
        return self.order(header, sites, lines, {"path": where})

    def json_site(
        self,
        where: str,
        site: dict[str, Any],
        header: _Header | None,
        seen: dict[str, str],
        required: bool,
    ) -> SiteScenario | None:
        scalars = {k: v for k, v in site.items() if k != "reponses"}
        fields = Fields.from_json(self.report, where, scalars, _JSON_SITE_KEYS)
        finess = self.site_finess(fields, required)
        if finess is not None and header is not None:
            self.duplicate_site(seen, finess, where, fields, header.number)
        raw = site.get("reponses", {})
        answers: dict[str, Any] | None = None
        if not isinstance(raw, dict):
            fields.error("reponses", "JSON_TYPE", 'objet attendu : { "question": réponse, … }')
        elif header is not None:
            given = []
            for key, value in raw.items():
                place = Place(None, f"{where}.reponses.{key}")
                if value is not None and not isinstance(value, str | int | bool | Decimal):
                    fields.fail(
                        place,
                        None,
                        "JSON_TYPE",
                        "réponse simple attendue (true/false, texte, nombre entier ou null)",
                    )
                    continue
                given.append((key, value, place))
            answers = self.answers(header, given, empty_unknown_ok=False)
        if answers is None or not fields.ok:
            return None
        return SiteScenario(finess, answers)

    def json_line(self, where: str, line: dict[str, Any]) -> OrderLine | None:
        fields = Fields.from_json(self.report, where, line, _JSON_LINE_KEYS)
        amount = fields.parse("montant_ht", parse_amount, label="montant HT de la ligne")
        dimension = fields.parse("dimension", parse_dimension, required=False)
        nature = fields.parse("hors_segur", parse_not_funded, required=False)
        billed = fields.parse("facture_segur", parse_yes_no, required=False)
        has_dimension = bool(fields.text("dimension"))
        has_nature = bool(fields.text("hors_segur"))
        if has_dimension == has_nature:
            fields.error(
                "dimension",
                "ORDER_LINE_KIND",
                "une ligne a soit une « dimension » financée (licence, installation, maintenance, "
                "certificat, projet, formation), soit une nature « hors_segur » (boites_mss, "
                "changement_logiciel, infrastructure, autre) — exactement l'une des deux",
            )
        if has_dimension and fields.text("facture_segur"):
            fields.error(
                "facture_segur",
                "ORDER_LINE_KIND",
                "« facture_segur » ne concerne que les lignes « hors_segur »",
            )
        label = fields.text("libelle")
        if amount is None or not fields.ok:
            return None
        if dimension is not None:
            return OrderLine(
                label or FUNDED_DIMENSION_LABELS[dimension], amount, dimension=dimension
            )
        kind = nature or NotFunded.OTHER
        return OrderLine(
            label or NOT_FUNDED_LABELS[kind], amount, not_funded=kind, billed_as_segur=bool(billed)
        )


def _site_required(order: Fields) -> bool:
    """Every site has a FINESS ET, except for a professional (RPPS) whose practice has none."""
    return CLIENT_KIND_WORDS.get(_word(order.text("type_client"))) is not ClientKind.PROFESSIONAL


def _answer(question: Question, value: Any, text: str) -> Any:
    """One answer typed as the questionnaire says; empty → None (not answered)."""
    if question.type == "yes_no":
        return parse_yes_no(text)
    if not text:
        return None
    if question.type == "integer":
        if isinstance(value, bool):
            raise CellError("INTEGER_INVALID", f"« {text} » : nombre entier positif attendu")
        return parse_integer(text)
    return text
