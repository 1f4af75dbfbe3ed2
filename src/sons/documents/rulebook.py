"""The annotated rulebook as a stand-alone, accessible HTML page (Jinja2, autoescaped).

The content comes from `sons.referential.rulebook.build`, the same data as the Markdown text;
this module only lays it out.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from sons.referential.rulebook import Rulebook, as_mapping, markdown

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _template() -> Template:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every label comes from data files: never trust it as markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return environment.get_template("rulebook.html.j2")


def html(rulebook: Rulebook) -> str:
    """The rulebook as one HTML page: styles inline, no script, no external resource."""
    return _template().render(**as_mapping(rulebook))


FORMATS = ("md", "html")


def render(rulebook: Rulebook, fmt: str) -> str:
    """The rulebook in one of `FORMATS` (« md » Markdown, « html » stand-alone page)."""
    if fmt == "html":
        return html(rulebook)
    if fmt == "md":
        return markdown(rulebook)
    raise ValueError(f"format « {fmt} » inconnu ; formats possibles : {', '.join(FORMATS)}")
