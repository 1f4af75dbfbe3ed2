"""The deposit simulator: every problem of a deposit file and its zip, at once, explained.

`check_deposit` reads the file (`reader`), validates its header and its requests a chunk at a
time (`structure`, `shape`), applies the standalone rules to each valid request (`rules`),
then reconciles the zip (`zipcheck`). It never uses `jsonschema` (too slow for national
files); the published schemas and this code are proven to agree by the test suite.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sons.findings import Finding, Severity, has_errors
from sons.formats.deposit.mapping import json_path
from sons.formats.deposit.model import DepositRequest
from sons.formats.deposit.reader import DEFAULT_MAX_BYTES, read_deposit
from sons.formats.deposit.rules import DepositRules
from sons.formats.deposit.structure import read_envelope, shape_findings, validate_requests
from sons.formats.deposit.zipcheck import ExpectedFile, ZipLimits, check_zip
from sons.referential.loader import Referential

_REQUESTS_PATH = json_path("requests")

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2

# Rule findings that repeat a structural one on the same path (same answer, dated view).
_REPEATS = frozenset(
    {
        "SCENARIO_ANSWER_UNKNOWN",
        "SCENARIO_ANSWER_INVALID",
        "SCENARIO_ANSWER_MISSING",
        "DEPOSIT_INDICATOR_INVALID",
    }
)
# Findings of the rules that, like the zip's, leave a request « incomplète » at the operator.
INCOMPLETE_CODES = frozenset(
    {
        "DEPOSIT_ATTACHMENT_REQUIRED",
        "DEPOSIT_EVIDENCE_MISSING",
        "DEPOSIT_EVIDENCE_FILE_UNKNOWN",
        "DEPOSIT_REQUIREMENT_MISSING",
    }
)


@dataclass(frozen=True)
class CheckLimits:
    max_json_bytes: int = DEFAULT_MAX_BYTES
    zip: ZipLimits = field(default_factory=ZipLimits)


@dataclass(frozen=True, slots=True)
class RequestSummary:
    """One request as the check saw it (what the operator side needs to mark it)."""

    index: int
    id: str | None
    path: str
    client: str | None
    sites: int
    ht_cents: int | None
    ttc_cents: int | None
    errors: int
    warnings: int
    incomplete: bool
    codes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "id": self.id,
            "path": self.path,
            "client": self.client,
            "sites": self.sites,
            "ht_cents": self.ht_cents,
            "ttc_cents": self.ttc_cents,
            "errors": self.errors,
            "warnings": self.warnings,
            "incomplete": self.incomplete,
            "codes": list(self.codes),
        }


@dataclass(frozen=True)
class DepositReport:
    file: str
    zip: str | None
    readable: bool
    checked_on: dt.date
    referential: str
    findings: tuple[Finding, ...]
    requests: tuple[RequestSummary, ...] = ()
    format_version: str | None = None
    couloir: str | None = None
    kind: str | None = None
    dispositif: str | None = None
    created_at: str | None = None
    zip_entries: int | None = None

    @property
    def has_errors(self) -> bool:
        return has_errors(self.findings)

    @property
    def exit_code(self) -> int:
        if not self.readable:
            return EXIT_UNREADABLE
        return EXIT_ERRORS if self.has_errors else EXIT_OK

    @property
    def incomplete_requests(self) -> list[str]:
        return [r.id or r.path for r in self.requests if r.incomplete]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def with_request_findings(self, extra: Sequence[tuple[int, Finding]]) -> DepositReport:
        """This report plus findings about requests (by index), e.g. from rules that compare
        the file with the store; each request's tally follows."""
        if not extra:
            return self
        requests = list(self.requests)
        for index, finding in extra:
            summary = requests[index]
            requests[index] = dataclasses.replace(
                summary,
                errors=summary.errors + (finding.severity is Severity.ERROR),
                warnings=summary.warnings + (finding.severity is Severity.WARNING),
                codes=tuple(dict.fromkeys((*summary.codes, finding.code))),
            )
        return dataclasses.replace(
            self,
            findings=(*self.findings, *(finding for _, finding in extra)),
            requests=tuple(requests),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "zip": self.zip,
            "readable": self.readable,
            "checked_on": self.checked_on.isoformat(),
            "referential": self.referential,
            "format_version": self.format_version,
            "couloir": self.couloir,
            "kind": self.kind,
            "dispositif": self.dispositif,
            "created_at": self.created_at,
            "summary": {
                "requests": len(self.requests),
                "errors": self.count(Severity.ERROR),
                "warnings": self.count(Severity.WARNING),
                "infos": self.count(Severity.INFO),
                "incomplete_requests": self.incomplete_requests,
                "zip_entries": self.zip_entries,
            },
            "findings": [
                {"code": f.code, "severity": f.severity.value, "message": f.message, "path": f.path}
                | ({"rule": f.rule} if f.rule else {})
                | ({"source": f.source} if f.source else {})
                for f in self.findings
            ],
            "requests": [r.as_dict() for r in self.requests],
        }


@dataclass(slots=True)
class _Tally:
    index: int
    id: str | None = None
    client: str | None = None
    sites: int = 0
    ht_cents: int | None = None
    ttc_cents: int | None = None
    errors: int = 0
    warnings: int = 0
    incomplete: bool = False
    codes: dict[str, None] = field(default_factory=dict)

    def count(self, finding: Finding, from_zip: bool = False) -> None:
        if finding.severity is Severity.ERROR:
            self.errors += 1
            if from_zip or finding.code in INCOMPLETE_CODES:
                self.incomplete = True
        elif finding.severity is Severity.WARNING:
            self.warnings += 1
        self.codes[finding.code] = None

    def frozen(self) -> RequestSummary:
        return RequestSummary(
            self.index,
            self.id,
            f"{_REQUESTS_PATH}[{self.index}]",
            self.client,
            self.sites,
            self.ht_cents,
            self.ttc_cents,
            self.errors,
            self.warnings,
            self.incomplete,
            tuple(self.codes),
        )


def _tally(index: int, request: DepositRequest | None) -> _Tally:
    tally = _Tally(index)
    if request is not None:
        tally.id = request.id
        tally.client = request.client.finess_ej or request.client.rpps
        tally.sites = len(request.sites)
        tally.ht_cents = request.prestation.ht_cents
        tally.ttc_cents = request.prestation.ttc_cents
    return tally


def _expected_files(index: int, request: DepositRequest) -> list[ExpectedFile]:
    return [
        ExpectedFile(
            a.file,
            a.sha256,
            a.size,
            a.type,
            index,
            request.id,
            json_path("requests", index, "attachments", position, "file"),
        )
        for position, a in enumerate(request.attachments)
    ]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big file is in memory.

    A parsed file is millions of small acyclic containers; every automatic collection of the
    oldest generation walks all of them, which made the check quadratic on national files
    (measured: ×3 on 100,000 requests). Nothing built here needs the cycle collector (reference
    counting frees it all); it resumes, as it was, when the check ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_deposit(
    json_file: Path,
    zip_file: Path | None,
    referential: Referential,
    today: dt.date,
    limits: CheckLimits | None = None,
) -> DepositReport:
    """Check a deposit file (and its zip) on its own, the way the operator's simulator would."""
    with _collector_paused():
        return _check(json_file, zip_file, referential, today, limits or CheckLimits())


def _check(
    json_file: Path,
    zip_file: Path | None,
    referential: Referential,
    today: dt.date,
    limits: CheckLimits,
) -> DepositReport:
    read = read_deposit(json_file, limits.max_json_bytes)
    file, zip_name = str(json_file), str(zip_file) if zip_file is not None else None
    if not read.usable:
        return DepositReport(
            file, zip_name, False, today, referential.pin, findings=tuple(read.findings)
        )
    tree, read.data = read.data, None
    findings = list(read.findings)
    envelope = read_envelope(tree, referential)
    del tree  # the requests list below is all we keep of it, and it shrinks as we go
    findings += envelope.findings
    rules = None
    if envelope.dispositif is not None:
        rules = DepositRules(
            referential, envelope.dispositif, envelope.kind, envelope.created_at, today
        )
        findings += rules.file_findings(envelope.header)
    raw_requests = envelope.requests or []
    if raw_requests and rules is None:
        findings.append(
            Finding(
                "DEPOSIT_RULES_SKIPPED",
                Severity.INFO,
                "Dispositif illisible ou inconnu : les scénarios et les règles du référentiel "
                "n'ont pas été contrôlés ; corriger le dispositif puis relancer le contrôle.",
                json_path("dispositif"),
                "référentiel",
            )
        )
    tallies: list[_Tally] = []
    expected: list[ExpectedFile] = []
    for index, request, errors in validate_requests(raw_requests):
        raw_requests[index] = None  # release the parsed dict: memory stays flat
        tally = _tally(index, request)
        request_findings = errors
        if request is None:
            request_findings.append(
                Finding(
                    "DEPOSIT_REQUEST_RULES_SKIPPED",
                    Severity.INFO,
                    "Demande mal formée : ses règles (scénario, montants, pièces) seront "
                    "contrôlées une fois sa structure corrigée.",
                    json_path("requests", index),
                    "format",
                )
            )
        else:
            if envelope.shape is not None:
                request_findings += shape_findings(envelope.shape, index, request)
            if rules is not None:
                request_findings += _without_repeats(
                    rules.request_findings(index, request), request_findings
                )
            if zip_file is not None:
                expected += _expected_files(index, request)
        for finding in request_findings:
            tally.count(finding)
        findings += request_findings
        tallies.append(tally)
    zip_entries = None
    if zip_file is not None:
        zip_report = check_zip(zip_file, expected, limits.zip)
        zip_entries = zip_report.entries
        for item in zip_report.findings:
            findings.append(item.finding)
            for index in item.requests:
                tallies[index].count(item.finding, from_zip=True)
    elif any(t.id is not None for t in tallies):
        findings.append(
            Finding(
                "DEPOSIT_ZIP_NOT_CHECKED",
                Severity.WARNING,
                "Zip des pièces jointes non fourni (option --zip) : présence, empreintes et "
                "lisibilité des pièces non contrôlées.",
                "",
                "pièces jointes",
            )
        )
    header = envelope.header
    return DepositReport(
        file,
        zip_name,
        True,
        today,
        referential.pin,
        findings=tuple(findings),
        requests=tuple(t.frozen() for t in tallies),
        format_version=header.format_version if header else None,
        couloir=envelope.couloir.value if envelope.couloir else None,
        kind=envelope.kind.value if envelope.kind else None,
        dispositif=envelope.dispositif.code if envelope.dispositif else None,
        created_at=envelope.created_at.isoformat() if envelope.created_at else None,
        zip_entries=zip_entries,
    )


def _without_repeats(found: list[Finding], structural: list[Finding]) -> list[Finding]:
    if not structural:
        return found
    placed = {f.path for f in structural if f.code in _REPEATS}
    return [f for f in found if not (f.code in _REPEATS and f.path in placed)]
