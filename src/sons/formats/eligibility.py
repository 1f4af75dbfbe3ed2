"""The eligibility base: the funding ceiling (HT) of each client for each dispositif.

Template (docs/formats-import.md, docs/examples/eligibilite.csv): a CSV with the header
``finess;dispositif;plafond_ht``, one row per (FINESS, dispositif). Amounts are euros with at
most two decimals, comma or dot (« 12 000,50 » or « 12000.50 »). The order checks compare each
Prestation to these ceilings; this reader only makes sure the file can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sons.formats.cells import dispositif_parser, header_key, parse_amount, parse_finess
from sons.formats.problems import ImportReport, ImportResult
from sons.formats.records import Fields
from sons.formats.table import read_table
from sons.referential.loader import Referential, default_referential

COLUMNS = ("finess", "dispositif", "plafond_ht")


@dataclass(frozen=True, slots=True)
class Ceiling:
    """The ceiling of one client (FINESS) for one dispositif, in integer cents excluding VAT."""

    finess: str
    dispositif: str
    ceiling_ht_cents: int
    line: int


def read_eligibility(path: Path, referential: Referential | None = None) -> ImportResult[Ceiling]:
    referential = referential or default_referential()
    report = ImportReport.for_path(path, "base d'éligibilité")
    table = read_table(path, report, what="la base d'éligibilité")
    if table is None:
        return ImportResult((), report)
    headers = {name: table.require(report, name) for name in COLUMNS}
    for header in table.headers:
        if header_key(header) not in COLUMNS:
            report.warning(
                table.header_line,
                header,
                None,
                "TABLE_COLUMN_IGNORED",
                f"colonne « {header} » ignorée : le modèle n'a que {';'.join(COLUMNS)}",
            )
    present = {name: header for name, header in headers.items() if header is not None}
    parse_dispositif = dispositif_parser(referential)
    seen: dict[tuple[str, str], int] = {}
    ceilings: list[Ceiling] = []
    for row in table.rows:
        fields = Fields.from_row(report, row.line, row.cells, present)
        finess = None
        if "finess" in present:
            checked = fields.parse("finess", lambda text: parse_finess(text), label="FINESS")
            if checked is not None:
                finess = checked[0]
                for warning in checked[1]:
                    fields.warning("finess", "FINESS_KEY_NOT_CHECKED", warning)
        dispositif = (
            fields.parse("dispositif", parse_dispositif, label="dispositif")
            if "dispositif" in present
            else None
        )
        amount = (
            fields.parse("plafond_ht", parse_amount, label="plafond HT")
            if "plafond_ht" in present
            else None
        )
        if finess is None or dispositif is None or amount is None or not fields.ok:
            continue
        first = seen.get((finess, dispositif))
        if first is not None:
            fields.error(
                "finess",
                "ELIGIBILITY_DUPLICATE",
                f"plafond de {finess} pour {dispositif} déjà donné en ligne {first} : une seule "
                "ligne par FINESS et par dispositif",
                finess,
            )
            continue
        seen[(finess, dispositif)] = row.line
        ceilings.append(Ceiling(finess, dispositif, amount, row.line))
    return ImportResult(tuple(ceilings), report)
