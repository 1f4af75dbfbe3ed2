"""The transmissions log: one line per document the vendor's software sent (CSV or JSON Lines).

Streamed line by line, so a year of a large vendor (millions of lines) reads in constant memory.
Every bad line is reported where it is — line, column (or JSON key), value read, stable rule
code, French message — and handed back with its problems, so that an import can store the good
lines and write the bad ones, with their reasons, to a rejects file (`--skip-invalid`).

What this reader checks, line by line: the columns of the template, the time (ISO 8601 with its
offset, not in the future of the injected clock), the FINESS ET (a valid number, and a site of
one of the vendor's orders when `known_sites` is given), the closed lists (flow, route, INS
status, acknowledgement), the LOINC code, the MSSanté address (required for the MSS flows, of
the patient domain for MSS Patient and not for MSS Pro), the software and the message id.
Duplicate message ids need the store (earlier imports) and are the import's business.
The template is documented in docs/preuves.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections.abc import Callable, Container, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from sons.domain.evidence import (
    MSS_FLOWS,
    InsStatus,
    LoincError,
    Transmission,
    check_loinc,
)
from sons.domain.identifiers import MSS_PATIENT_DOMAIN, IdentifierError, check_finess
from sons.domain.identifiers import check_mss_address as _check_mss_address
from sons.formats.cells import cell_text, header_key
from sons.formats.encoding import Progress, detect_encoding, open_text
from sons.formats.problems import ImportProblem, ImportReport
from sons.formats.table import CSV_SUFFIXES
from sons.formats.table import _sniff_delimiter as sniff_delimiter
from sons.referential.model import Flow, Route

KIND = "journal des envois"

# Canonical column (and JSON key) → what it holds, in the template's order.
COLUMNS: dict[str, str] = {
    "horodatage": "date et heure de l'envoi, ISO 8601 avec fuseau (2023-03-02T10:15:00+01:00)",
    "finess_et": "FINESS de l'établissement (ET) qui envoie",
    "flux": "dmp, mss_pro, mss_patient ou dpi_inbound",
    "voie": "direct ou third_party (via un logiciel tiers)",
    "statut_ins": "qualifiee, non_qualifiee ou absente",
    "type_document": "code LOINC du document (18748-4) ; vide si sans objet",
    "destinataire": "adresse MSSanté du destinataire (flux MSS) ; vide pour le DMP",
    "accuse": "ok (accusé de réception positif) ou ko",
    "logiciel": "nom du logiciel qui a envoyé",
    "version_logiciel": "version technique du logiciel",
    "id_message": "identifiant du message chez l'expéditeur (unique)",
}
NAMES = tuple(COLUMNS)
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
MAX_MESSAGE_ID = 200
_PROGRESS_EVERY = 20_000
# Values seen once are remembered with their verdict (sites, software, addresses repeat
# millions of times); past this many distinct values a cache starts afresh.
_CACHE_LIMIT = 200_000

_FLOWS = {flow.value: flow for flow in Flow}
_ROUTES = {route.value: route for route in Route}
_INS = {status.value: status for status in InsStatus}
_ACKS = {"ok": True, "ko": False}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class TransmissionLine(NamedTuple):
    """One line of the log: the transmission when it is good, else its problems.

    `values` are the values as read, in the template's column order (for the rejects file;
    empty when the line could not be split into fields).
    """

    line: int
    transmission: Transmission | None
    values: Sequence[str]
    problems: tuple[ImportProblem, ...] = ()


class _Checks:
    """The per-field rules, with a cache per column of the verdict on each distinct value."""

    def __init__(self, report: ImportReport, now: dt.datetime, known_sites: Container[str] | None):
        if now.tzinfo is None:
            raise ValueError("now must be an aware instant")
        self.report = report
        self.now = now
        self.known_sites = known_sites
        self.sites: dict[str, tuple[str | None, str, str]] = {}
        self.loinc: dict[str, tuple[str | None, str]] = {}
        self.addresses: dict[str, tuple[str | None, str]] = {}
        self.names: dict[str, str] = {}

    def line(self, number: int, values: Sequence[str]) -> TransmissionLine:
        problems: list[ImportProblem] = []
        file = self.report.file

        def fail(column: str, value: str | None, rule: str, message: str) -> None:
            problems.append(ImportProblem(file, number, column, value, rule, message))

        (
            time_text,
            site_text,
            flow_text,
            route_text,
            ins_text,
            doc_text,
            recipient_text,
            ack_text,
            software,
            version,
            message_id,
        ) = [value.strip() for value in values]

        sent_at = self._time(time_text, fail)
        site = self._site(site_text, fail)
        flow = _FLOWS.get(flow_text) or _FLOWS.get(_fold(flow_text))
        if flow is None:
            fail(
                "flux",
                flow_text,
                "TRANSMISSION_FLOW_UNKNOWN" if flow_text else "VALUE_REQUIRED",
                f"flux « {flow_text} » inconnu : attendu {', '.join(_FLOWS)}",
            )
        route = _ROUTES.get(route_text) or _ROUTES.get(_fold(route_text))
        if route is None:
            fail(
                "voie",
                route_text,
                "TRANSMISSION_ROUTE_UNKNOWN" if route_text else "VALUE_REQUIRED",
                f"voie « {route_text} » inconnue : attendu {', '.join(_ROUTES)}",
            )
        ins = _INS.get(ins_text) or _INS.get(_fold(ins_text).replace(" ", "_"))
        if ins is None:
            fail(
                "statut_ins",
                ins_text,
                "TRANSMISSION_INS_STATUS_UNKNOWN" if ins_text else "VALUE_REQUIRED",
                f"statut d'INS « {ins_text} » hors de la liste : attendu {', '.join(_INS)}",
            )
        document_type = self._loinc(doc_text, fail) if doc_text else None
        recipient = self._recipient(recipient_text, flow, number, fail)
        ack = _ACKS.get(ack_text.casefold())
        if ack is None:
            fail(
                "accuse",
                ack_text,
                "TRANSMISSION_ACK_UNKNOWN" if ack_text else "VALUE_REQUIRED",
                f"accusé « {ack_text} » inconnu : attendu ok ou ko",
            )
        software = self._name(software)
        if not software:
            fail("logiciel", None, "VALUE_REQUIRED", "nom du logiciel : valeur obligatoire")
        version = self._name(version)
        if not version:
            fail("version_logiciel", None, "VALUE_REQUIRED", "version : valeur obligatoire")
        if not message_id:
            fail("id_message", None, "VALUE_REQUIRED", "identifiant du message : obligatoire")
        elif len(message_id) > MAX_MESSAGE_ID or not message_id.isprintable():
            fail(
                "id_message",
                message_id,
                "TRANSMISSION_MESSAGE_ID_INVALID",
                f"identifiant du message invalide : au plus {MAX_MESSAGE_ID} caractères "
                "imprimables",
            )
        if problems:
            for problem in problems:
                self.report.add(problem)
            return TransmissionLine(number, None, values, tuple(problems))
        assert sent_at is not None and site is not None and flow is not None
        assert route is not None and ins is not None and ack is not None
        # Positional: this runs once per line of files of millions of lines.
        transmission = Transmission(
            message_id,
            sent_at,
            site,
            flow,
            route,
            ins,
            document_type,
            recipient,
            ack,
            software,
            version,
        )
        return TransmissionLine(number, transmission, values)

    def _name(self, text: str) -> str:
        """A software name or version with its inner spaces collapsed (cached: few values)."""
        found = self.names.get(text)
        if found is None:
            found = " ".join(text.split())
            if len(self.names) >= _CACHE_LIMIT:
                self.names.clear()
            self.names[text] = found
        return found

    def _time(self, text: str, fail: Callable[[str, str | None, str, str], None]) -> Any:
        if not text:
            fail("horodatage", None, "VALUE_REQUIRED", "horodatage : valeur obligatoire")
            return None
        try:
            when = dt.datetime.fromisoformat(text)
        except ValueError:
            fail(
                "horodatage",
                text,
                "TRANSMISSION_TIME_INVALID",
                f"horodatage « {text} » illisible : attendu ISO 8601 avec fuseau, par exemple "
                "2023-03-02T10:15:00+01:00",
            )
            return None
        if when.tzinfo is None:
            fail(
                "horodatage",
                text,
                "TRANSMISSION_TIME_OFFSET_MISSING",
                f"horodatage « {text} » sans fuseau horaire : ajoutez le décalage (+01:00, "
                "+02:00) ou Z pour UTC",
            )
            return None
        when = when.astimezone(dt.UTC)
        if when > self.now:
            fail(
                "horodatage",
                text,
                "TRANSMISSION_IN_FUTURE",
                f"horodatage « {text} » dans le futur (il est {self.now:%Y-%m-%d %H:%M} UTC) : "
                "un envoi ne peut pas être postérieur à l'import",
            )
            return None
        return when

    def _site(self, text: str, fail: Callable[[str, str | None, str, str], None]) -> str | None:
        cached = self.sites.get(text)
        if cached is None:
            cached = self._check_site(text)
            if len(self.sites) >= _CACHE_LIMIT:
                self.sites.clear()
            self.sites[text] = cached
        number, rule, message = cached
        if number is None:
            fail("finess_et", text or None, rule, message)
        return number

    def _check_site(self, text: str) -> tuple[str | None, str, str]:
        if not text:
            return None, "VALUE_REQUIRED", "FINESS de l'établissement : valeur obligatoire"
        try:
            # The key exception of some real numbers is the order import's warning; here the
            # number must above all be one of the vendor's sites.
            number = check_finess(text, strict_key=False).number
        except IdentifierError as error:
            return None, error.code, error.message
        if self.known_sites is not None and number not in self.known_sites:
            return (
                None,
                "TRANSMISSION_SITE_UNKNOWN",
                f"établissement {number} inconnu : il n'est le site d'aucun bon de commande de "
                "l'éditeur ; importez d'abord le bon de commande qui le porte",
            )
        return number, "", ""

    def _loinc(self, text: str, fail: Callable[[str, str | None, str, str], None]) -> str | None:
        cached = self.loinc.get(text)
        if cached is None:
            try:
                cached = (check_loinc(text), "")
            except LoincError as error:
                cached = (None, str(error))
            if len(self.loinc) >= _CACHE_LIMIT:
                self.loinc.clear()
            self.loinc[text] = cached
        code, message = cached
        if code is None:
            fail("type_document", text, "TRANSMISSION_DOCUMENT_TYPE_INVALID", message)
        return code

    def _recipient(
        self,
        text: str,
        flow: Flow | None,
        number: int,
        fail: Callable[[str, str | None, str, str], None],
    ) -> str | None:
        if flow is not None and flow not in MSS_FLOWS:
            if text:
                self.report.warning(
                    number,
                    "destinataire",
                    None,
                    "TRANSMISSION_RECIPIENT_IGNORED",
                    f"destinataire ignoré : le flux {flow.value} n'a pas d'adresse MSSanté",
                )
            return None
        if not text:
            if flow is not None:
                fail(
                    "destinataire",
                    None,
                    "VALUE_REQUIRED",
                    f"destinataire obligatoire pour le flux {flow.value} (adresse MSSanté)",
                )
            return None
        cached = self.addresses.get(text)
        if cached is None:
            try:
                cached = (_check_mss_address(text), "")
            except IdentifierError as error:
                cached = (None, error.message)
            if len(self.addresses) >= _CACHE_LIMIT:
                self.addresses.clear()
            self.addresses[text] = cached
        address, message = cached
        # A patient address holds the INS: never quote it, only its domain.
        shown = "…@" + text.rsplit("@", 1)[-1] if "@" in text else None
        if address is None:
            fail("destinataire", shown, "MSS_ADDRESS_INVALID", message)
            return None
        patient = address.rsplit("@", 1)[-1] == MSS_PATIENT_DOMAIN
        if flow is Flow.MSS_PATIENT and not patient:
            fail(
                "destinataire",
                shown,
                "TRANSMISSION_RECIPIENT_MISMATCH",
                f"flux mss_patient : le destinataire doit être une adresse du domaine "
                f"{MSS_PATIENT_DOMAIN} (messagerie citoyenne)",
            )
            return None
        if flow is Flow.MSS_PRO and patient:
            fail(
                "destinataire",
                shown,
                "TRANSMISSION_RECIPIENT_MISMATCH",
                f"flux mss_pro : adresse du domaine {MSS_PATIENT_DOMAIN} (messagerie citoyenne) ; "
                "un envoi à un patient relève du flux mss_patient",
            )
            return None
        return address


def read_transmissions(
    path: Path,
    report: ImportReport,
    *,
    now: dt.datetime,
    known_sites: Container[str] | None = None,
    progress: Progress | None = None,
) -> Iterator[TransmissionLine]:
    """Every line of the log (CSV or JSON Lines), in file order, checked.

    `now` is the import's clock (a time after it is an error); `known_sites` the FINESS ET of
    the vendor's order sites (None: not checked). Problems go to `report` and ride along with
    their line. ``progress(bytes_read, total_bytes)`` is called every few thousand lines.
    """
    if not path.is_file():
        report.error(None, None, str(path), "FILE_NOT_FOUND", "fichier introuvable")
        return
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES and suffix not in JSONL_SUFFIXES:
        report.error(
            None,
            None,
            path.suffix or None,
            "FILE_FORMAT_UNKNOWN",
            f"type de fichier « {path.suffix or '(sans extension)'} » non reconnu : attendu .csv "
            "ou .jsonl (JSON Lines, un objet par ligne)",
        )
        return
    jsonl = suffix in JSONL_SUFFIXES
    encoding = detect_encoding(path, report, latin1_allowed=not jsonl, what="le journal des envois")
    if encoding is None:
        return
    report.encoding = encoding.label
    checks = _Checks(report, now, known_sites)
    total = path.stat().st_size
    opened = open_text(path, encoding)
    try:
        lines = (
            _jsonl(opened.stream, report, checks) if jsonl else _csv(opened.stream, report, checks)
        )
        for count, item in enumerate(lines, start=1):
            report.records += 1
            yield item
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(opened.bytes_read, total)
    finally:
        opened.close()
    if progress is not None:
        progress(total, total)


def _csv(stream: Any, report: ImportReport, checks: _Checks) -> Iterator[TransmissionLine]:
    first = stream.readline()
    if not first.strip():
        report.error(1, None, None, "FILE_EMPTY", "fichier vide ou sans ligne d'en-tête en ligne 1")
        return
    delimiter = sniff_delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    positions = _header_positions(header, report)
    if positions is None:
        return
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    indexes = [i for _, i in positions]
    # The template's own order (the usual case): the record is the values, no reordering.
    in_order = indexes == list(range(len(NAMES))) and width == len(NAMES)
    reader = csv.reader(stream, delimiter=delimiter, quotechar='"', strict=False)
    previous = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            report.error(
                previous + 1,
                None,
                None,
                "TABLE_CSV_SYNTAX",
                f"ligne CSV illisible ({error}) ; vérifiez les guillemets",
            )
            previous = reader.line_num + 1
            continue
        line = previous + 1
        previous = reader.line_num + 1
        if len(record) != width:
            if not any(cell.strip() for cell in record):
                continue  # blank lines are not records
            if len(record) < width or any(cell.strip() for cell in record[width:]):
                problem = ImportProblem(
                    report.file,
                    line,
                    None,
                    None,
                    "TABLE_FIELD_COUNT",
                    f"{len(record)} champ(s) sur cette ligne au lieu de {width} (un par colonne "
                    "d'en-tête) ; un séparateur manque ou est en trop",
                )
                report.add(problem)
                values = tuple(record[i] if i < len(record) else "" for _, i in positions)
                yield TransmissionLine(line, None, values, (problem,))
                continue
        ordered = in_order and len(record) == width
        yield checks.line(line, record if ordered else [record[i] for i in indexes])


def _header_positions(header: list[str], report: ImportReport) -> list[tuple[str, int]] | None:
    """(canonical name, index) in template order; None with the reasons when unusable."""
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        key = header_key(text)
        if not key:
            continue
        if key in found:
            report.error(
                1,
                text.strip(),
                None,
                "TABLE_COLUMN_DUPLICATE",
                f"la colonne « {text.strip()} » apparaît deux fois",
            )
        elif key in COLUMNS:
            found[key] = index
        else:
            report.warning(
                1,
                text.strip(),
                None,
                "TABLE_COLUMN_IGNORED",
                f"colonne « {text.strip()} » inconnue du modèle : ignorée",
            )
    missing = [name for name in NAMES if name not in found]
    for name in missing:
        report.error(
            1,
            name,
            None,
            "TABLE_COLUMN_MISSING",
            f"colonne obligatoire « {name} » ({COLUMNS[name]}) absente de la ligne d'en-tête ; "
            f"colonnes lues : {', '.join(h.strip() for h in header if h.strip()) or '(aucune)'}",
        )
    if missing or report.has_errors:
        return None
    return [(name, found[name]) for name in NAMES]


def _jsonl(stream: Any, report: ImportReport, checks: _Checks) -> Iterator[TransmissionLine]:
    unknown_reported: set[str] = set()
    for number, text in enumerate(stream, start=1):
        if not text.strip():
            continue
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            problem = ImportProblem(
                report.file, number, None, None, "JSON_SYNTAX", f"JSON illisible ({error})"
            )
            report.add(problem)
            yield TransmissionLine(number, None, (), (problem,))
            continue
        if not isinstance(data, dict):
            problem = ImportProblem(
                report.file, number, None, None, "JSON_TYPE", "objet JSON attendu ({...})"
            )
            report.add(problem)
            yield TransmissionLine(number, None, (), (problem,))
            continue
        bad: list[ImportProblem] = []
        for key in data:
            if key not in COLUMNS and key not in unknown_reported:
                unknown_reported.add(key)
                report.warning(
                    number,
                    f"$.{key}",
                    None,
                    "JSON_KEY_IGNORED",
                    f"clé « {key} » inconnue du modèle : ignorée (signalée une fois)",
                )
        values: list[str] = []
        for name in NAMES:
            value = data.get(name)
            if isinstance(value, dict | list):
                bad.append(
                    ImportProblem(
                        report.file,
                        number,
                        name,
                        None,
                        "JSON_TYPE",
                        "valeur simple attendue (texte), pas une liste ni un objet",
                    )
                )
                value = None
            values.append(cell_text(value))
        if bad:
            for problem in bad:
                report.add(problem)
            yield TransmissionLine(number, None, tuple(values), tuple(bad))
            continue
        yield checks.line(number, values)


# --- the rejects file -------------------------------------------------------------------------

REJECT_COLUMNS = ("ligne", *NAMES, "motifs")


def reject_row(item: TransmissionLine, extra: Sequence[ImportProblem] = ()) -> list[str]:
    """One row of the rejects file: the line number, the values as read, every reason."""
    reasons = " | ".join(
        f"{p.column or 'ligne'} : {p.text} [{p.rule}]" for p in (*item.problems, *extra)
    )
    values = list(item.values) or [""] * len(NAMES)
    return [str(item.line), *values, reasons]
