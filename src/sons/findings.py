"""The verdict of a rule, shared by the referential, the domain checks and every entry point.

A finding explains itself: a stable ASCII code scripts can rely on, a severity, a French
message, the place it concerns (a field or a JSON path) and the rule and source it comes from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_LABELS = {
    Severity.ERROR: "erreur",
    Severity.WARNING: "avertissement",
    Severity.INFO: "information",
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    message: str
    path: str = ""
    rule: str = ""
    source: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def has_errors(findings: list[Finding] | tuple[Finding, ...]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
