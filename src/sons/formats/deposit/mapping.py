"""The one module that knows the deposit file's field names.

The model (`model.py`) names things in English; the file names them in French snake_case
(format « dépôt SONS », documented in docs/format-depot.md). The official template's field
names are not public: supporting it later means changing this module alone. The model takes
its aliases from `FILE_NAMES`, and every JSON path a finding shows is built by `json_path`
from model attribute names, so no other module spells a file field name.

A template that also nests things differently would add its restructuring here too
(`from_file` / `to_file` hooks around validation and serialisation).
"""

from __future__ import annotations

import re

# model attribute → file field name. One name per attribute across all models: an attribute
# means the same thing wherever it appears.
FILE_NAMES: dict[str, str] = {
    # the file
    "format_version": "version_format",
    "couloir": "couloir",
    "kind": "nature",
    "created_at": "date_creation",
    "vendor": "editeur",
    "solution": "solution",
    "dispositif": "dispositif",
    "requests": "demandes",
    # vendor and solution
    "siret": "siret",
    "enrolment_number": "numero_enrolement",
    "company_name": "raison_sociale",
    "referencing_number": "numero_referencement",
    "technical_version": "version_technique",
    "name": "nom",
    # one request
    "id": "identifiant",
    "order": "bon_de_commande",
    "client": "client",
    "sites": "etablissements",
    "prestation": "prestation",
    "advance": "avance_de_reference",
    "indicators": "indicateurs",
    "evidence": "preuves",
    "attachments": "pieces_jointes",
    # order reference
    "number": "numero",
    "signed_on": "date_signature",
    "signatory": "signataire",
    # client and sites
    "finess_ej": "finess_ej",
    "rpps": "rpps",
    "es_pmsi": "es_pmsi",
    "finess_et": "finess_et",
    "scenario": "scenario",
    # amounts
    "ht_cents": "montant_ht_centimes",
    "ttc_cents": "montant_ttc_centimes",
    # advance reference
    "request_id": "identifiant_demande",
    "advance_ht_cents": "prestation_ht_centimes",
    "advance_ttc_cents": "prestation_ttc_centimes",
    # evidence and attachments
    "flow": "flux",
    "route": "voie",
    "piece": "piece",
    "file": "fichier",
    "type": "type",
    "sha256": "sha256",
    "size": "taille_octets",
    "requirement": "exigence",
}

ROOT = "$"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def file_name(attribute: str) -> str:
    """The file's name for a model attribute (used as the pydantic alias)."""
    try:
        return FILE_NAMES[attribute]
    except KeyError:
        raise KeyError(
            f"no file field name for model attribute {attribute!r}: add it to mapping.FILE_NAMES"
        ) from None


def json_path(*parts: str | int, root: str = ROOT) -> str:
    """A JSON path from model attribute names (translated) and list positions.

    `json_path("requests", 3, "sites", 0, "scenario")` →
    `$.demandes[3].etablissements[0].scenario`.
    """
    path = root
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{file_name(part)}"
    return path


def member(path: str, key: str) -> str:
    """A key that is data, not a field of ours (a question id, a key read in the file)."""
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def loc_path(loc: tuple[int | str, ...] | list[int | str], root: str = ROOT) -> str:
    """A pydantic error location (already in file names, validation is by alias) as a path."""
    path = root
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else member(path, str(part))
    return path
