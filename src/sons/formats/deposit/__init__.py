"""The deposit format (« format de dépôt SONS ») and the deposit simulator.

- `model`: the file as pydantic models (`DepositFile`, `DepositRequest`…), versioned;
- `mapping`: the only place that knows the file's field names (`FILE_NAMES`, `json_path`);
- `schema`: one JSON Schema per couloir, generated from the model and the referential;
- `reader`, `structure`, `shape`, `rules`, `zipcheck`: reading, format, referential rules
  and the zip of attachments, each reporting `Finding`s placed by JSON path;
- `check.check_deposit`: all of them at once, on any file, without the store;
- `specimen`: valid synthetic files of any size (benchmarks, tests, examples).

See docs/format-depot.md and docs/simulateur-depot.md.
"""

from importlib import import_module
from typing import Any

# Exports are resolved on first use: importing `sons.formats.deposit.mapping` alone must not
# build the models (their aliases come from the mapping, read when the models are created).
_EXPORTS = {
    "CheckLimits": "check",
    "DepositReport": "check",
    "RequestSummary": "check",
    "check_deposit": "check",
    "FORMAT_VERSION": "model",
    "AttachmentType": "model",
    "DepositFile": "model",
    "DepositHeader": "model",
    "DepositKind": "model",
    "DepositRequest": "model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
