"""Accessibility rules checked on the sources: text contrast (WCAG AA), labels on every field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sons.entrypoints.web.context import STATIC_DIR, TEMPLATES_DIR

STYLE = (STATIC_DIR / "sons.css").read_text(encoding="utf-8")
COLOURS = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6});", STYLE))
WHITE = "#ffffff"


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# (text, background) pairs the style sheet actually uses.
PAIRS = [
    ("text", WHITE),
    ("muted", WHITE),
    ("link", WHITE),
    ("link", "light"),
    ("text", "light"),
    ("muted", "light"),
    ("error", WHITE),
    ("error", "error-bg"),
    ("text", "error-bg"),
    ("warning", "warning-bg"),
    ("text", "warning-bg"),
    ("info", "info-bg"),
    ("text", "ok-bg"),
    (WHITE, "accent"),
    ("accent", WHITE),
]


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_contrast_is_aa(text: str, background: str) -> None:
    ratio = contrast(COLOURS.get(text, text), COLOURS.get(background, background))
    assert ratio >= 4.5, f"{text} sur {background} : contraste {ratio:.2f} < 4,5"


def test_the_focus_ring_is_visible() -> None:
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid", STYLE)
    assert contrast(COLOURS["focus"], WHITE) >= 3


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES_DIR.glob("*.html")))
def test_every_visible_field_has_a_label(template: str) -> None:
    source = (TEMPLATES_DIR / template).read_text(encoding="utf-8")
    for field in re.finditer(r"<(input|select|textarea)\b[^>]*>", source):
        tag = field.group(0)
        if 'type="hidden"' in tag:
            continue
        # Radios and checkboxes sit inside their <label>; other fields are named by `for`.
        if re.search(r'type="(radio|checkbox)"', tag):
            before = source[: field.start()]
            assert before.rfind("<label") > before.rfind("</label>"), f"{template} : {tag}"
            continue
        found = re.search(r'id="([^"]+)"', tag)
        assert found, f"{template} : champ sans id — {tag}"
        assert f'for="{found.group(1)}"' in source, f"{template} : champ sans libellé — {tag}"


def test_pages_declare_french() -> None:
    assert '<html lang="fr">' in Path(TEMPLATES_DIR / "base.html").read_text(encoding="utf-8")
