"""French wording of schema validation errors (pydantic), placed by key path.

Every input sons reads — referential files, answers, imports, deposit files — is validated by
pydantic models; users must read what is wrong, where, and what was expected, in French.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError


def key_path(loc: Sequence[int | str], root: str = "") -> str:
    """`("questions", 3, "label")` → `questions[3].label` (JSON-path-like, readable)."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _expected(ctx: dict[str, Any] | None) -> str:
    if not ctx:
        return ""
    expected = ctx.get("expected")
    return f" ; attendu : {expected}" if expected else ""


_MESSAGES = {
    "missing": "clé obligatoire manquante",
    "extra_forbidden": "clé inconnue (non prévue par le format)",
    "bool_type": "valeur booléenne attendue (true ou false)",
    "bool_parsing": "valeur booléenne attendue (true ou false)",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu (sans décimales)",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "string_type": "texte attendu",
    "list_type": "liste attendue",
    "dict_type": "objet (dictionnaire) attendu",
    "model_type": "objet (dictionnaire) attendu",
    "model_attributes_type": "objet (dictionnaire) attendu",
    "date_type": "date attendue au format AAAA-MM-JJ",
    "date_parsing": "date attendue au format AAAA-MM-JJ",
    "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ",
    "date_from_datetime_inexact": "date attendue au format AAAA-MM-JJ (sans heure)",
    "datetime_parsing": "date et heure attendues au format ISO 8601",
    "datetime_type": "date et heure attendues au format ISO 8601",
    "union_tag_invalid": "type de condition inconnu",
    "union_tag_not_found": "clé « op » manquante",
}


def french_message(error: Any) -> str:
    """One pydantic error dict in French."""
    kind = error.get("type", "")
    ctx = error.get("ctx")
    if kind == "value_error":
        message = str(error.get("msg", ""))
        return message.removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        return f"valeur non autorisée{_expected(ctx)}"
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern") if ctx else ""
        return f"format invalide (motif attendu : {pattern})"
    if kind == "too_short":
        return "trop peu d'éléments (au moins un attendu)"
    if kind in ("greater_than_equal", "greater_than"):
        bound = (ctx or {}).get("ge", (ctx or {}).get("gt"))
        return f"valeur trop petite (minimum : {bound})"
    if kind in ("less_than_equal", "less_than"):
        bound = (ctx or {}).get("le", (ctx or {}).get("lt"))
        return f"valeur trop grande (maximum : {bound})"
    if kind == "string_too_short":
        return "texte vide ou trop court"
    if kind == "string_too_long":
        return "texte trop long"
    if kind == "union_tag_invalid":
        tags = (ctx or {}).get("expected_tags", "")
        return f"type de condition inconnu ; attendu : {tags}"
    return _MESSAGES.get(kind, f"valeur invalide ({error.get('msg', kind)})")


def french_errors(exc: ValidationError, root: str = "") -> list[tuple[str, str]]:
    """Every error of a validation, as (key path, French message) pairs."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        # Discriminated unions add the tag to the location; it is noise for a reader.
        loc = [p for p in error["loc"] if p not in _UNION_TAGS]
        problems.append((key_path(loc, root), french_message(error)))
    return problems


_UNION_TAGS = {"equals", "in", "contains", "answered", "all", "any", "not"}
