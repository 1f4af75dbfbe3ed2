"""The file against its format: the hand-written equivalent of the published JSON Schema.

pydantic (Rust core) checks the generic structure; `shape.py` types each dispositif's
scenario and indicators blocks. The header is validated first, then the requests a chunk at a
time, so a 100,000-request file never holds all its models at once and a bad request does not
hide the others. Every pydantic error becomes a French finding with its JSON path.
"""

from __future__ import annotations

import datetime as dt
import math
import reprlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import StrictStr, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from sons.findings import Finding, Severity
from sons.formats.deposit.mapping import ROOT, file_name, json_path, loc_path
from sons.formats.deposit.model import (
    SUPPORTED_VERSIONS,
    DepositHeader,
    DepositKind,
    DepositRequest,
    IsoDateTime,
)
from sons.formats.deposit.shape import (
    DispositifShape,
    check_indicators,
    relocated,
    scenario_problems,
    shape_of,
)
from sons.referential.loader import Dispositif, Referential, UnknownDispositif
from sons.referential.model import Couloir
from sons.schema_errors import french_message

CHUNK = 1000

_REQUESTS = TypeAdapter(list[DepositRequest])
_SALVAGE: dict[str, TypeAdapter[Any]] = {
    "couloir": TypeAdapter(Couloir),
    "kind": TypeAdapter(DepositKind),
    "created_at": TypeAdapter(IsoDateTime),
    "dispositif": TypeAdapter(StrictStr),
}
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = 60
_SHOWN.maxother = 60

_CODES = {
    "missing": "DEPOSIT_FIELD_MISSING",
    "extra_forbidden": "DEPOSIT_FIELD_UNKNOWN",
    "greater_than_equal": "DEPOSIT_NUMBER_OUT_OF_RANGE",
    "greater_than": "DEPOSIT_NUMBER_OUT_OF_RANGE",
    "less_than_equal": "DEPOSIT_NUMBER_OUT_OF_RANGE",
    "less_than": "DEPOSIT_NUMBER_OUT_OF_RANGE",
    "string_pattern_mismatch": "DEPOSIT_FIELD_FORMAT",
    "string_too_short": "DEPOSIT_FIELD_FORMAT",
    "string_too_long": "DEPOSIT_FIELD_FORMAT",
    "too_short": "DEPOSIT_FIELD_FORMAT",
    "too_long": "DEPOSIT_FIELD_FORMAT",
    "enum": "DEPOSIT_FIELD_FORMAT",
    "literal_error": "DEPOSIT_FIELD_FORMAT",
    "value_error": "DEPOSIT_FIELD_INVALID",
}
_EXACT_FLOAT_LIMIT = 2**53
_SHOW_INPUT = frozenset(
    {
        "less_than_equal",
        "greater_than_equal",
        "less_than",
        "greater_than",
        "string_pattern_mismatch",
        "string_type",
        "bool_type",
        "dict_type",
        "model_type",
        "list_type",
    }
)


def shown(value: Any) -> str:
    """A value as quoted in a message: bounded length and depth, whatever the file holds."""
    return _SHOWN.repr(value)


def _error_finding(error: ErrorDetails, root: str = ROOT) -> Finding:
    kind = error["type"]
    value = error.get("input")
    code = _CODES.get(kind, "DEPOSIT_FIELD_TYPE")
    message = french_message(error).replace(" or ", " ou ")
    if kind in ("int_type", "int_from_float", "int_parsing"):
        if isinstance(value, bool):
            message = f"nombre entier attendu, reçu {str(value).lower()}"
        elif isinstance(value, str):
            message = (
                f"nombre entier attendu, reçu le texte {shown(value)} (retirer les guillemets)"
            )
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) >= _EXACT_FLOAT_LIMIT:
                code = "DEPOSIT_NUMBER_OUT_OF_RANGE"
                message = f"nombre hors limites ({shown(value)}) ; un entier est attendu"
            elif value.is_integer():
                message = f"nombre entier attendu sans partie décimale, reçu {value!r}"
            else:
                message = (
                    f"nombre entier attendu, reçu {value!r} (les montants sont en centimes "
                    "entiers : 1 234,56 € s'écrit 123456)"
                )
        else:
            message = f"nombre entier attendu, reçu {shown(value)}"
    elif kind in _SHOW_INPUT:
        message = f"{message}, reçu {shown(value)}"
    elif kind in ("enum", "literal_error"):
        message = f"{message} ; reçu {shown(value)}"
    path = loc_path(error["loc"], root)
    return Finding(code, Severity.ERROR, f"{message}.", path, "format")


def errors_as_findings(exc: ValidationError, root: str = ROOT) -> list[Finding]:
    return [_error_finding(e, root) for e in exc.errors(include_url=False)]


@dataclass
class Envelope:
    """The file's header, read first; what the request checks need of it."""

    header: DepositHeader | None = None
    couloir: Couloir | None = None
    kind: DepositKind | None = None
    created_at: dt.datetime | None = None
    dispositif: Dispositif | None = None
    shape: DispositifShape | None = None
    requests: list[Any] | None = None
    findings: list[Finding] = field(default_factory=list)


def read_envelope(tree: Any, referential: Referential) -> Envelope:
    """Validate everything but the requests; keep what can be used even when some is wrong."""
    envelope = Envelope()
    if not isinstance(tree, dict):
        envelope.findings.append(
            Finding(
                "DEPOSIT_FIELD_TYPE",
                Severity.ERROR,
                f"Un objet JSON {{…}} est attendu à la racine du fichier, reçu {shown(tree)}.",
                ROOT,
                "format",
            )
        )
        return envelope
    requests_key = file_name("requests")
    header_raw = {key: value for key, value in tree.items() if key != requests_key}
    try:
        envelope.header = DepositHeader.model_validate(header_raw, by_alias=True, by_name=False)
    except ValidationError as exc:
        for finding in errors_as_findings(exc):
            envelope.findings.append(_version_finding(finding, header_raw))
    if envelope.header is not None:
        header = envelope.header
        envelope.couloir, envelope.kind = header.couloir, header.kind
        envelope.created_at, code = header.created_at, header.dispositif
    else:
        salvaged = {
            attr: _salvage(adapter, header_raw.get(file_name(attr)))
            for attr, adapter in _SALVAGE.items()
        }
        envelope.couloir, envelope.kind = salvaged["couloir"], salvaged["kind"]
        envelope.created_at, code = salvaged["created_at"], salvaged["dispositif"]
    if isinstance(code, str):
        _resolve_dispositif(envelope, code, referential)
    _read_requests_list(envelope, tree.get(requests_key, _ABSENT))
    return envelope


_ABSENT = object()


def _salvage(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _version_finding(finding: Finding, header_raw: Mapping[str, Any]) -> Finding:
    if finding.path != json_path("format_version") or finding.code != "DEPOSIT_FIELD_FORMAT":
        return finding
    given = header_raw.get(file_name("format_version"))
    return Finding(
        "DEPOSIT_FORMAT_VERSION",
        Severity.ERROR,
        f"Version du format {shown(given)} non prise en charge ; versions prises en charge : "
        f"{', '.join(SUPPORTED_VERSIONS)}.",
        finding.path,
        "format",
    )


def _resolve_dispositif(envelope: Envelope, code: str, referential: Referential) -> None:
    path = json_path("dispositif")
    try:
        dispositif = referential.get(code)
    except UnknownDispositif as exc:
        envelope.findings.append(
            Finding("DEPOSIT_DISPOSITIF_UNKNOWN", Severity.ERROR, str(exc), path, "référentiel")
        )
        return
    if dispositif.code != code:
        envelope.findings.append(
            Finding(
                "DEPOSIT_DISPOSITIF_CASE",
                Severity.ERROR,
                f"Code du dispositif « {code} » : écrire exactement « {dispositif.code} » "
                "(casse comprise). Le fichier a été contrôlé avec ce dispositif.",
                path,
                "référentiel",
            )
        )
    family = dispositif.identity.deposit_family
    if envelope.couloir is not None and envelope.couloir != family:
        envelope.findings.append(
            Finding(
                "DEPOSIT_COULOIR_MISMATCH",
                Severity.ERROR,
                f"Le dispositif {dispositif.code} se dépose au format du couloir {family.value}, "
                f"pas {envelope.couloir.value}.",
                json_path("couloir"),
                "référentiel",
            )
        )
    envelope.dispositif = dispositif
    envelope.shape = shape_of(dispositif, referential.sources_for(dispositif))


def _read_requests_list(envelope: Envelope, raw: Any) -> None:
    path = json_path("requests")
    if raw is _ABSENT:
        envelope.findings.append(
            Finding(
                "DEPOSIT_FIELD_MISSING",
                Severity.ERROR,
                "clé obligatoire manquante : la liste des demandes.",
                path,
                "format",
            )
        )
    elif not isinstance(raw, list):
        envelope.findings.append(
            Finding(
                "DEPOSIT_FIELD_TYPE",
                Severity.ERROR,
                f"liste attendue, reçu {shown(raw)}.",
                path,
                "format",
            )
        )
    elif not raw:
        envelope.findings.append(
            Finding(
                "DEPOSIT_FIELD_FORMAT",
                Severity.ERROR,
                "trop peu d'éléments : le fichier doit porter au moins une demande.",
                path,
                "format",
            )
        )
    else:
        envelope.requests = raw


def validate_requests(
    raw: list[Any], chunk: int = CHUNK
) -> Iterator[tuple[int, DepositRequest | None, list[Finding]]]:
    """(index, model or None, findings) for each request, validated a chunk at a time."""
    for start in range(0, len(raw), chunk):
        part = raw[start : start + chunk]
        try:
            models = _REQUESTS.validate_python(part, by_alias=True, by_name=False)
        except ValidationError:
            # Some request of the chunk is wrong: validate each alone to keep the good ones.
            for offset, item in enumerate(part):
                yield _validate_one(start + offset, item)
            continue
        for offset, model in enumerate(models):
            yield start + offset, model, []


def _validate_one(index: int, item: Any) -> tuple[int, DepositRequest | None, list[Finding]]:
    try:
        return index, DepositRequest.model_validate(item, by_alias=True, by_name=False), []
    except ValidationError as exc:
        return index, None, errors_as_findings(exc, json_path("requests", index))


def shape_findings(shape: DispositifShape, index: int, request: DepositRequest) -> list[Finding]:
    """The dispositif-typed blocks of one request (scenarios, indicators)."""
    findings: list[Finding] = []
    for position, site in enumerate(request.sites):
        if site.scenario is not None:
            problems = scenario_problems(shape, site.scenario)
            if problems:
                path = json_path("requests", index, "sites", position, "scenario")
                findings += relocated(problems, path)
    if request.indicators is not None:
        path = json_path("requests", index, "indicators")
        findings += check_indicators(shape, request.indicators, path)
    return findings


def validate_structure(tree: Any, referential: Referential) -> list[Finding]:
    """Every structural problem of a parsed file: what the couloir's JSON Schema would reject.

    The checker runs the same pieces one request at a time (`check.py`); this whole-file form
    serves callers that want the contract alone, and the test proving schema and code agree.
    """
    envelope = read_envelope(tree, referential)
    findings = list(envelope.findings)
    for index, request, errors in validate_requests(envelope.requests or []):
        findings += errors
        if request is not None and envelope.shape is not None:
            findings += shape_findings(envelope.shape, index, request)
    return findings
