"""docs/commandes.md lists every order finding code with its severity, family and meaning,
exactly as the checks declare them: the table is generated from `RULES` and compared."""

from __future__ import annotations

from pathlib import Path

from sons.domain.checks import FAMILY_LABELS, RULES
from sons.findings import SEVERITY_LABELS

DOC = Path(__file__).parents[2] / "docs" / "commandes.md"
START, END = "<!-- constats:début -->", "<!-- constats:fin -->"


def expected_table() -> str:
    rows = ["| Code | Gravité | Famille | Signification |", "|---|---|---|---|"]
    rows += [
        f"| `{rule.code}` | {SEVERITY_LABELS[rule.severity]} | {FAMILY_LABELS[rule.family]} | "
        f"{rule.summary} |"
        for rule in RULES
    ]
    return "\n".join(rows)


def test_the_findings_table_of_the_commands_guide_is_up_to_date() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    table = text.split(START)[1].split(END)[0].strip()
    expected = expected_table()
    assert table == expected, (
        "docs/commandes.md : le tableau des constats n'est plus à jour ; remplacez-le, entre "
        f"{START} et {END}, par :\n{expected}"
    )
    assert len({rule.code for rule in RULES}) == len(RULES) == table.count("\n") - 1
