"""The seed's questionnaires and balance tables, parsed from a copy of the webinar, must be
reproduced word for word by the referential.

The expectations are read from `tests/fixtures/seed_webinar.txt` (an exact copy of the
founding document), never retyped here, so that a single changed word in the YAML fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from sons.referential.loader import DispositifAtDate, default_referential

SEED = Path(__file__).parents[1] / "fixtures" / "seed_webinar.txt"

QUESTIONNAIRE_HEADING = re.compile(r"Scénario d'installation de la prestation Ségur (.+?) :\s*$")
AF_LINK = re.compile(r"documents/af-([a-z0-9-]+)\.pdf")
TABLE_SCENARIO = re.compile(r"scénario « (.+?) »")
SCENARIO_COLUMN = "Scénario d'installation"
CONDITION_COLUMN = "Condition de versement du solde"
EVIDENCE_COLUMN = "Pièce justificative exigée"
CONTROLS_COLUMN = "Contrôles effectués"

# What the parser must find; guards against a parser that silently finds nothing.
SEED_QUESTIONNAIRES = {"RAD-RIS-Va1": 12, "BIO-SGL-Va1": 11, "HOP-DPI-Va1": 4}
SEED_TABLES = {"RAD-RIS-Va1": 6, "BIO-SGL-Va1": 6, "HOP-PFI-Va1": 4}


@dataclass(frozen=True)
class Row:
    scenario_group: str | None
    scenario_label: str | None
    condition: str
    evidence_label: str
    controls: tuple[str, ...]


@dataclass(frozen=True)
class Seed:
    questions: dict[str, list[tuple[str, str]]]
    tables: dict[str, list[Row]]


def clean(html: str) -> str:
    """Cell text as a reader sees it: tags and bullets gone, whitespace collapsed."""
    text = re.sub(r"<[^>]+>", "", html).replace("▪", " ")
    text = re.sub(r"\s+", " ", text).strip()
    # The deck's extraction splits « d'<b>un</b> » into « d' un »: undo that artifact only.
    return re.sub(r"\b([dl])' (?=\w)", r"\1'", text)


def _code(raw: str) -> str:
    """« RAD- RIS-Va1 » (as extracted) or « rad-ris-va1 » (from a URL) → « RAD-RIS-Va1 »."""
    couloir, software, wave = re.sub(r"\s+", "", raw).split("-")
    return f"{couloir.upper()}-{software.upper()}-Va{wave[2:]}"


def _questionnaire(lines: list[str]) -> list[tuple[str, str]]:
    """The bullets after a heading: (label, answer type read from the answer line)."""
    questions: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith("- "):
            text = clean(line[2:])
            # A free field ends with dots (« ? ..... »): that is the text answer type.
            kind = "text" if text.endswith("..") else "?"
            questions.append((text[: text.rindex("?") + 1], kind))
        elif questions and line.startswith((" ", "\u00a0")):
            if {"Oui", "Non"} <= set(line.split()):
                questions[-1] = (questions[-1][0], "yes_no")
        elif questions and line.strip():
            break
    return questions


def _tables(section: str) -> list[list[list[str]]]:
    """Runs of tab-separated lines: one table each, header first."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in section.splitlines():
        if "\t" in line:
            current.append(line.split("\t"))
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _rows(table: list[list[str]], section: str) -> list[Row]:
    header, *body = table
    column = {name: index for index, name in enumerate(header) if name}
    caption = TABLE_SCENARIO.search(section)
    rows: list[Row] = []
    group = caption.group(1) if caption else None
    for cells in body:
        label = None
        if SCENARIO_COLUMN in column:
            # The scenario group spans several rows: its cell is empty on the following ones.
            group = clean(cells[0]) or group
            label = clean(cells[1])
        controls = re.findall(r"<li>(.*?)</li>", cells[column[CONTROLS_COLUMN]], flags=re.S)
        rows.append(
            Row(
                scenario_group=group,
                scenario_label=label,
                condition=clean(cells[column[CONDITION_COLUMN]]),
                evidence_label=clean(cells[column[EVIDENCE_COLUMN]]),
                controls=tuple(clean(c) for c in controls),
            )
        )
    return rows


@cache
def seed() -> Seed:
    text = SEED.read_text(encoding="utf-8")
    questions: dict[str, list[tuple[str, str]]] = {}
    tables: dict[str, list[Row]] = {}
    for section in re.split(r"^# ", text, flags=re.M):
        lines = section.splitlines()
        for index, line in enumerate(lines):
            heading = QUESTIONNAIRE_HEADING.search(line)
            if heading:
                questions[_code(heading.group(1))] = _questionnaire(lines[index + 1 :])
        found = _tables(section)
        if found:
            # A section's balance table is the one of the AF it links (« Rubrique 6.2 … »).
            link = AF_LINK.search(section)
            assert link is not None, f"tableau sans lien vers son AF : {section[:60]!r}"
            assert len(found) == 1, f"plusieurs tableaux dans la section {section[:60]!r}"
            tables[_code(link.group(1))] = _rows(found[0], section)
    return Seed(questions, tables)


def view(code: str) -> DispositifAtDate:
    referential = default_referential()
    published = referential.sources["seed"].date
    assert published is not None
    return referential.at(code, published)


def test_the_seed_parses_into_three_questionnaires_and_three_tables() -> None:
    parsed = seed()
    assert {code: len(q) for code, q in parsed.questions.items()} == SEED_QUESTIONNAIRES
    assert {code: len(rows) for code, rows in parsed.tables.items()} == SEED_TABLES
    for code, questions in parsed.questions.items():
        assert all(kind in ("yes_no", "text") for _, kind in questions), code


def test_the_parser_joins_the_bold_title_and_fixes_the_split_apostrophe() -> None:
    assert clean("<b>Le flux</b> <b>Envoi de dix</b> de santé") == "Le flux Envoi de dix de santé"
    assert clean("Envoi d' <b>un</b> message") == "Envoi d'un message"
    assert clean("<li>▪ Présence de la VA\n </li>") == "Présence de la VA"


@pytest.mark.parametrize("code", sorted(SEED_QUESTIONNAIRES))
def test_questionnaire_is_the_seed_word_for_word(code: str) -> None:
    expected = seed().questions[code]
    got = [(q.label, q.type) for q in view(code).questions]
    assert got == expected


@pytest.mark.parametrize("code", sorted(SEED_TABLES))
def test_balance_table_is_the_seed_word_for_word(code: str) -> None:
    expected = seed().tables[code]
    got = [
        Row(
            scenario_group=c.scenario_group,
            scenario_label=c.scenario_label,
            condition=c.condition,
            evidence_label=c.evidence_label,
            controls=tuple(control.label for control in c.controls),
        )
        for c in view(code).balance_conditions
    ]
    assert got == expected
