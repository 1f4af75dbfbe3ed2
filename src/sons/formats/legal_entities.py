"""Legal entities (entités juridiques, FINESS EJ) with their public or private status.

The FINESS establishment extract lists each site (ET) and the number of its legal entity, but
not whether that entity is public or private — which decides its ES-PMSI identifier (the EJ for
a public establishment, each ET for a private one, PRIMER §9), hence the one-Prestation rule and
the ceiling of its orders. This small table supplies it.

Template (docs/formats-import.md, docs/examples/entites-juridiques.csv): a CSV or XLSX with the
header ``finess_ej;raison_sociale;siren;statut``, one row per legal entity; ``statut`` is
``public`` or ``prive`` (« privé », any case); ``siren`` may be left empty.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from sons.domain.identifiers import IdentifierError, check_siren
from sons.domain.orders import LegalEntity, LegalStatus
from sons.formats.cells import CellError, header_key, parse_finess
from sons.formats.problems import ImportReport, ImportResult
from sons.formats.records import Fields
from sons.formats.table import read_table

COLUMNS = ("finess_ej", "raison_sociale", "siren", "statut")
_LABELS = {
    "finess_ej": "FINESS de l'entité juridique",
    "raison_sociale": "raison sociale",
    "siren": "SIREN",
    "statut": "statut (public ou prive)",
}
_STATUS_WORDS = {"public": LegalStatus.PUBLIC, "prive": LegalStatus.PRIVATE}


def parse_status(text: str) -> LegalStatus:
    """« public » or « prive » / « privé », any case."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    word = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    found = _STATUS_WORDS.get(word)
    if found is None:
        raise CellError(
            "LEGAL_STATUS_INVALID",
            f"statut « {text.strip()} » inconnu : attendu « public » ou « prive » (le statut "
            "décide de l'identifiant ES-PMSI : l'EJ pour un établissement public, chaque ET "
            "pour un privé)",
        )
    return found


def parse_siren(text: str) -> str:
    try:
        return check_siren(text)
    except IdentifierError as error:
        raise CellError(error.code, error.message) from None


def read_legal_entities(path: Path) -> ImportResult[LegalEntity]:
    report = ImportReport.for_path(path, "entités juridiques")
    table = read_table(path, report, what="le fichier des entités juridiques")
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
    seen: dict[str, int] = {}
    entities: list[LegalEntity] = []
    for row in table.rows:
        fields = Fields.from_row(report, row.line, row.cells, present)
        fields.absent.update(name for name in COLUMNS if name not in present)
        checked = fields.parse("finess_ej", parse_finess, label=_LABELS["finess_ej"])
        finess = None
        if checked is not None:
            finess = checked[0]
            for warning in checked[1]:
                fields.warning("finess_ej", "FINESS_KEY_NOT_CHECKED", warning)
        name = fields.parse("raison_sociale", str.strip, label=_LABELS["raison_sociale"])
        siren = fields.parse("siren", parse_siren, required=False, label=_LABELS["siren"])
        status = fields.parse("statut", parse_status, label=_LABELS["statut"])
        if finess is None or name is None or status is None or not fields.ok:
            continue
        first = seen.get(finess)
        if first is not None:
            fields.error(
                "finess_ej",
                "LEGAL_ENTITY_DUPLICATE",
                f"entité juridique {finess} déjà donnée en ligne {first} : une seule ligne par "
                "FINESS EJ",
                finess,
            )
            continue
        seen[finess] = row.line
        entities.append(LegalEntity(finess_ej=finess, name=name, status=status, siren=siren))
    return ImportResult(tuple(entities), report)
