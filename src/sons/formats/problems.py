"""What is wrong with an imported file, placed precisely, every problem at once.

Every reader of `sons.formats` fills one `ImportReport` while it reads and never stops at the
first problem: whoever fixes the file must see everything in one pass. A problem names the file,
the line (CSV/XLSX row; None for JSON), the column (header name, or JSON path), the value read,
a stable ASCII rule code and a French message. The store keeps nothing from a file whose
report has errors; warnings and information do not block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from sons.findings import SEVERITY_LABELS, Finding, Severity

T = TypeVar("T")

# A report stops storing problems after this many (it keeps counting them): a file of 100,000
# bad lines must not hold 100,000 messages in memory, and nobody reads past the first thousand.
MAX_STORED_PROBLEMS = 1000
_MAX_VALUE_SHOWN = 80


def _shown(value: str) -> str:
    """A value as quoted in a message: truncated, control characters made visible."""
    text = value.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    if len(text) > _MAX_VALUE_SHOWN:
        text = text[: _MAX_VALUE_SHOWN - 1] + "…"
    return text


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem of an imported file.

    ``column`` is the header name for CSV/XLSX (or the etalab column name for a FINESS extract)
    and a JSON path (``$.commandes[0].sites[1].finess_et``) for JSON. ``value`` is the raw text
    read, when there is one.
    """

    file: str
    line: int | None
    column: str | None
    value: str | None
    rule: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def place(self) -> str:
        """« commandes.csv, ligne 3, colonne « date_signature » »."""
        parts = [self.file]
        if self.line is not None:
            parts.append(f"ligne {self.line}")
        if self.column:
            if self.column.startswith("$"):
                parts.append(f"chemin {self.column}")
            else:
                parts.append(f"colonne « {self.column} »")
        return ", ".join(parts)

    @property
    def text(self) -> str:
        """The message with the value read, unless the message already quotes it."""
        if self.value is None or (self.value and self.value in self.message):
            return self.message
        shown = _shown(self.value) if self.value else "(vide)"
        return f"{self.message} (valeur lue : « {shown} »)"

    def __str__(self) -> str:
        return f"{self.place} : {self.text}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
        }

    def as_finding(self) -> Finding:
        """The same problem as a `Finding`, for the CLI's findings table."""
        return Finding(self.rule, self.severity, self.text, self.place, self.rule, self.file)


@dataclass
class ImportReport:
    """Every problem found in one file, with what was read and how.

    ``kind`` says in French what the file is (« extrait FINESS », « bons de commande »…);
    ``encoding`` which text encoding was used (None for XLSX); ``details`` anything worth
    showing (extract date, number of ignored lines…).
    """

    file: str
    kind: str
    encoding: str | None = None
    records: int = 0
    details: dict[str, str] = field(default_factory=dict)
    max_problems: int = MAX_STORED_PROBLEMS
    _problems: list[ImportProblem] = field(default_factory=list, repr=False)
    _counts: Counter[Severity] = field(default_factory=Counter, repr=False)

    @classmethod
    def for_path(cls, path: Path | str, kind: str) -> ImportReport:
        return cls(file=Path(path).name, kind=kind)

    # --- adding ----------------------------------------------------------------------------

    def add(self, problem: ImportProblem) -> None:
        self._counts[problem.severity] += 1
        if len(self._problems) < self.max_problems:
            self._problems.append(problem)

    def error(
        self,
        line: int | None,
        column: str | None,
        value: str | None,
        rule: str,
        message: str,
    ) -> None:
        self.add(ImportProblem(self.file, line, column, value, rule, message, Severity.ERROR))

    def warning(
        self,
        line: int | None,
        column: str | None,
        value: str | None,
        rule: str,
        message: str,
    ) -> None:
        self.add(ImportProblem(self.file, line, column, value, rule, message, Severity.WARNING))

    def info(
        self,
        line: int | None,
        column: str | None,
        value: str | None,
        rule: str,
        message: str,
    ) -> None:
        self.add(ImportProblem(self.file, line, column, value, rule, message, Severity.INFO))

    # --- reading ---------------------------------------------------------------------------

    @property
    def problems(self) -> list[ImportProblem]:
        """Stored problems in file order (problems without a line first, then by line)."""
        return sorted(self._problems, key=lambda p: -1 if p.line is None else p.line)

    @property
    def errors(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[ImportProblem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    @property
    def error_count(self) -> int:
        return self._counts[Severity.ERROR]

    @property
    def warning_count(self) -> int:
        return self._counts[Severity.WARNING]

    @property
    def omitted(self) -> int:
        """Problems counted but not stored (beyond ``max_problems``)."""
        return sum(self._counts.values()) - len(self._problems)

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def rules(self) -> set[str]:
        """Rule codes of the stored problems (handy for scripts and tests)."""
        return {p.rule for p in self._problems}

    def findings(self) -> list[Finding]:
        return [p.as_finding() for p in self.problems]

    def summary(self) -> str:
        """One French sentence: what was read, how, and how many problems."""
        encoding = f", encodage {self.encoding}" if self.encoding else ""
        counts = (
            f"{self.error_count} {SEVERITY_LABELS[Severity.ERROR]}(s), "
            f"{self.warning_count} {SEVERITY_LABELS[Severity.WARNING]}(s)"
        )
        verdict = (
            "fichier refusé : rien n'est enregistré tant que les erreurs ne sont pas corrigées"
            if self.has_errors
            else "fichier lisible"
        )
        omitted = (
            f" ; {self.omitted} problème(s) supplémentaire(s) non détaillé(s)"
            if self.omitted
            else ""
        )
        return (
            f"{self.file} ({self.kind}{encoding}) : {self.records} enregistrement(s) lu(s), "
            f"{counts}{omitted} — {verdict}."
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "encoding": self.encoding,
            "records": self.records,
            "details": dict(self.details),
            "errors": self.error_count,
            "warnings": self.warning_count,
            "omitted": self.omitted,
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class ImportResult(Generic[T]):
    """What a reader produced from a whole file: the values and the report.

    ``items`` holds only the values that could be read; when the report has errors the caller
    stores nothing (all-or-nothing).
    """

    items: tuple[T, ...]
    report: ImportReport

    @property
    def ok(self) -> bool:
        return not self.report.has_errors
