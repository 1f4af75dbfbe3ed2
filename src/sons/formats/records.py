"""One record of an imported file (a table row, a JSON object) read field by field, placed.

`Fields` hides where a value came from: a CSV/XLSX cell (line and header) or a JSON value (JSON
path). Each format asks it for typed values (`parse`), and every failure becomes a problem placed
on the right line and column of the report; ``ok`` tells whether the record can be built.
`load_json` reads a JSON document (UTF-8 only, duplicate keys and NaN refused, decimals exact).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sons.formats.cells import CellError, cell_text
from sons.formats.encoding import detect_encoding
from sons.formats.problems import ImportReport

T = TypeVar("T")
_SCALARS = (str, int, float, Decimal, bool)


@dataclass(frozen=True, slots=True)
class Place:
    line: int | None
    column: str | None


@dataclass
class Fields:
    """Values of one record by canonical name, with the place each one was read from."""

    report: ImportReport
    values: dict[str, Any]
    places: dict[str, Place]
    default: Place
    ok: bool = True
    absent: set[str] = field(default_factory=set)
    _json: bool = field(default=False, repr=False)

    @classmethod
    def from_row(
        cls, report: ImportReport, line: int, cells: Mapping[str, str], headers: Mapping[str, str]
    ) -> Fields:
        """``headers`` maps canonical names to the headers found in the file."""
        values = {name: cells.get(header, "") for name, header in headers.items()}
        places = {name: Place(line, header) for name, header in headers.items()}
        return cls(report, values, places, Place(line, None))

    @classmethod
    def from_json(
        cls, report: ImportReport, path: str, data: Mapping[str, Any], known: Iterable[str]
    ) -> Fields:
        """Scalar keys of a JSON object; unknown keys and non-scalar values are reported."""
        allowed = set(known)
        record = cls(report, {}, {}, Place(None, path), _json=True)
        for key, value in data.items():
            where = f"{path}.{key}"
            if key not in allowed:
                record.fail(
                    Place(None, where),
                    None,
                    "JSON_KEY_UNKNOWN",
                    f"clé « {key} » inconnue ; clés possibles : {', '.join(sorted(allowed))}",
                )
                continue
            record.places[key] = Place(None, where)
            if value is not None and not isinstance(value, _SCALARS):
                record.fail(
                    Place(None, where),
                    None,
                    "JSON_TYPE",
                    "valeur simple attendue (texte, nombre ou booléen), pas une liste ni un objet",
                )
                continue
            record.values[key] = value
        return record

    def place(self, name: str) -> Place:
        found = self.places.get(name)
        if found is not None:
            return found
        if self._json:
            return Place(None, f"{self.default.column}.{name}")
        return Place(self.default.line, name)

    def text(self, name: str) -> str:
        return cell_text(self.values.get(name)).strip()

    def fail(self, place: Place, value: str | None, rule: str, message: str) -> None:
        self.ok = False
        self.report.error(place.line, place.column, value, rule, message)

    def error(self, name: str, rule: str, message: str, value: str | None = None) -> None:
        self.fail(self.place(name), value, rule, message)

    def warning(self, name: str, rule: str, message: str, value: str | None = None) -> None:
        place = self.place(name)
        self.report.warning(place.line, place.column, value, rule, message)

    def parse(
        self, name: str, parser: Callable[[str], T], *, required: bool = True, label: str = ""
    ) -> T | None:
        """The value of ``name`` through ``parser``; None (and a placed error) when unusable.

        An empty value is None: an error « valeur obligatoire manquante » when ``required``.
        A name in ``absent`` (a missing column, already reported once) is None without a new
        problem, but the record cannot be built.
        """
        if name in self.absent:
            self.ok = self.ok and not required
            return None
        raw = self.text(name)
        if not raw:
            if required:
                what = "clé obligatoire manquante" if self._json else "valeur obligatoire manquante"
                self.error(name, "VALUE_REQUIRED", f"{label or name} : {what}", None)
            return None
        try:
            return parser(raw)
        except CellError as error:
            self.error(name, error.rule, error.message, raw)
            return None


# --- JSON -----------------------------------------------------------------------------------


class _NotANumber(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotANumber(name)


def load_json(path: Path, report: ImportReport, what: str = "le fichier JSON") -> Any:
    """The parsed document, or None with the reasons in ``report``.

    Numbers with a decimal part are read as `Decimal` (an amount 1234.567 keeps its three
    decimals and is refused as such, never rounded by a float); duplicate keys in one object are
    errors (a JSON reader would silently keep the last one).
    """
    if not path.is_file():
        report.error(None, None, str(path), "FILE_NOT_FOUND", "fichier introuvable")
        return None
    encoding = detect_encoding(path, report, latin1_allowed=False, what=what)
    if encoding is None:
        return None
    report.encoding = encoding.label
    duplicates: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in items:
            if key in result:
                duplicates.append(key)
            result[key] = value
        return result

    text = path.read_text(encoding=encoding.codec)
    try:
        document = json.loads(
            text, parse_float=Decimal, object_pairs_hook=pairs, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as error:
        report.error(
            error.lineno,
            None,
            None,
            "JSON_SYNTAX",
            f"JSON illisible à la ligne {error.lineno}, colonne {error.colno} : {error.msg}",
        )
        return None
    except _NotANumber as error:
        report.error(
            None, None, str(error), "JSON_SYNTAX", f"valeur « {error} » interdite en JSON strict"
        )
        return None
    for key in duplicates:
        report.error(
            None,
            None,
            key,
            "JSON_DUPLICATE_KEY",
            f"clé « {key} » en double dans un même objet : une seule valeur par clé",
        )
    return None if duplicates else document


def json_list(
    report: ImportReport, document: Any, key: str, what: str
) -> list[tuple[str, dict[str, Any]]]:
    """The objects of ``document[key]`` with their JSON paths; problems reported."""
    if not isinstance(document, dict) or not isinstance(document.get(key), list):
        report.error(
            None,
            "$",
            None,
            "JSON_STRUCTURE",
            f"objet JSON attendu avec une clé « {key} » contenant la liste des {what}",
        )
        return []
    for extra in sorted(set(document) - {key, "format", "version", "commentaire"}):
        report.error(
            None,
            f"$.{extra}",
            None,
            "JSON_KEY_UNKNOWN",
            f"clé « {extra} » inconnue au premier niveau ; attendu « {key} »",
        )
    return objects(report, document[key], f"$.{key}")


def objects(report: ImportReport, items: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    """Items of a JSON list that are objects, with their paths; the others reported."""
    if not isinstance(items, list):
        report.error(None, path, None, "JSON_TYPE", "liste attendue")
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(items):
        where = f"{path}[{index}]"
        if isinstance(item, dict):
            found.append((where, item))
        else:
            report.error(None, where, None, "JSON_TYPE", "objet JSON attendu ({...})")
    return found
