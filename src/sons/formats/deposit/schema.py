"""The published contract: one JSON Schema (draft 2020-12) per deposit family (couloir).

Generated from the pydantic model (`model.py`, file names from `mapping`) and from the
referential: each dispositif of the couloir gets its scenario block typed from its
questionnaire and its indicators block from its balance file, selected by the file's
`dispositif` (if/then). Data-driven: a dispositif added to the referential appears here
after `sons schema export --out schemas/`. The checker itself does not use these schemas (too
slow, see docs/simulateur-depot.md); a test proves both agree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sons import atomic_write
from sons.formats.deposit.mapping import file_name
from sons.formats.deposit.model import FORMAT_VERSION, DepositFile
from sons.formats.deposit.shape import DispositifShape, shape_of
from sons.referential.loader import Dispositif, Referential

DRAFT = "https://json-schema.org/draft/2020-12/schema"
EXPORT_HINT = "sons schema export --out schemas/"

# Maps of names → schemas: their keys are names, not keywords, and are kept as they are.
_NAME_MAPS = frozenset({"properties", "$defs", "patternProperties"})


def deposit_families(referential: Referential) -> list[str]:
    """The couloirs that have a deposit format: the `deposit_family` of some dispositif."""
    return sorted({d.identity.deposit_family.value for d in referential.dispositifs.values()})


def dispositifs_of(referential: Referential, family: str) -> list[Dispositif]:
    return sorted(
        (d for d in referential.dispositifs.values() if d.identity.deposit_family == family),
        key=lambda d: d.code,
    )


def schema_file_name(family: str) -> str:
    return f"depot-sons-{family}.schema.json"


def _without_titles(node: Any, names: bool = False) -> Any:
    """Drop pydantic's generated English titles (`"title": "Finess Ej"`): noise for readers."""
    if isinstance(node, dict):
        return {
            key: _without_titles(value, key in _NAME_MAPS and not names)
            for key, value in node.items()
            if names or key != "title"
        }
    if isinstance(node, list):
        return [_without_titles(item) for item in node]
    return node


def scenario_schema(shape: DispositifShape, label: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"Scénario d'installation — {label} ({shape.code}).",
        "properties": {qid: shape.question_schema(q) for qid, q in shape.questions.items()},
        "required": [qid for qid in shape.questions if qid in shape.required],
        "additionalProperties": False,
    }


def indicators_schema(shape: DispositifShape) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"Indicateurs — {shape.code}.",
        "properties": {
            key: {"enum": list(values), "description": shape.indicator_labels[key]}
            for key, values in shape.indicators.items()
        },
        "additionalProperties": False,
    }


def _nullable_ref(name: str) -> dict[str, Any]:
    return {"anyOf": [{"$ref": f"#/$defs/{name}"}, {"type": "null"}]}


def deposit_schema(referential: Referential, family: str) -> dict[str, Any]:
    """The JSON Schema of the deposit files of one couloir."""
    dispositifs = dispositifs_of(referential, family)
    if not dispositifs:
        known = ", ".join(deposit_families(referential))
        raise LookupError(
            f"Aucun dispositif du référentiel n'a le format de dépôt « {family} ». "
            f"Formats existants : {known}."
        )
    base = _without_titles(DepositFile.model_json_schema(by_alias=True, mode="validation"))
    defs: dict[str, Any] = base.pop("$defs")
    base.pop("description", None)
    defs.pop("Couloir", None)
    properties = base["properties"]
    properties[file_name("couloir")] = {
        "const": family,
        "description": "Couloir (famille de format de dépôt).",
    }
    properties[file_name("dispositif")] = {
        "enum": [d.code for d in dispositifs],
        "description": "Code du dispositif ; il choisit le typage des scénarios et indicateurs.",
    }
    branches: list[dict[str, Any]] = []
    for dispositif in dispositifs:
        shape = shape_of(dispositif, referential.sources_for(dispositif))
        scenario_def = f"Scenario_{dispositif.code}"
        indicators_def = f"Indicateurs_{dispositif.code}"
        defs[scenario_def] = scenario_schema(shape, dispositif.identity.label)
        defs[indicators_def] = indicators_schema(shape)
        site = {"properties": {file_name("scenario"): _nullable_ref(scenario_def)}}
        request = {
            "properties": {
                file_name("sites"): {"items": site},
                file_name("indicators"): _nullable_ref(indicators_def),
            }
        }
        branches.append(
            {
                "if": {
                    "properties": {file_name("dispositif"): {"const": dispositif.code}},
                    "required": [file_name("dispositif")],
                },
                "then": {"properties": {file_name("requests"): {"items": request}}},
            }
        )
    return {
        "$schema": DRAFT,
        "$id": f"urn:sons:depot-sons:{family}:{FORMAT_VERSION}",
        "title": f"Format de dépôt SONS {FORMAT_VERSION} — couloir {family}",
        "description": (
            f"Fichier de demandes de financement Ségur SONS du couloir {family}, format défini "
            f"par sons (les noms de champs officiels ne sont pas publics). Généré depuis le "
            f"référentiel {referential.version} ; ne pas modifier à la main : {EXPORT_HINT}"
        ),
        **base,
        "allOf": branches,
        "$defs": dict(sorted(defs.items())),
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write.write_atomically(path, text)


def export(referential: Referential, out_dir: Path, family: str | None = None) -> list[Path]:
    """Write the schema of one couloir, or of every couloir, into `out_dir`."""
    families = [family] if family is not None else deposit_families(referential)
    rendered = {f: render(deposit_schema(referential, f)) for f in families}
    written = []
    for name, text in rendered.items():
        path = out_dir / schema_file_name(name)
        write_atomically(path, text)
        written.append(path)
    return written
