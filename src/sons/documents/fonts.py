"""The TrueType font embedded in every generated PDF.

The PDF core fonts (Helvetica…) are limited to one 8-bit encoding: « œ », « € » and the
narrow no-break space do not all print reliably. So the documents embed Lato, shipped as
static TTF files by the PyPI package ``fontpkg-lato`` (SIL Open Font License 1.1): a project
dependency, so the font is there on any machine where ``sons`` is installed, with no system
package to add.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

FONT_FAMILY = "Lato"
FONT_PACKAGE = "fontpkg_lato"

# fpdf2 style letters → file in the package's ``files/`` folder.
FONT_FILES = {
    "": "Lato-Regular.ttf",
    "B": "Lato-Bold.ttf",
    "I": "Lato-Italic.ttf",
}


class FontMissing(RuntimeError):
    """The embedded font cannot be found: the installation of sons is incomplete."""


def font_paths() -> dict[str, Path]:
    """Style → path of its TTF file; raises `FontMissing` with a French message."""
    try:
        folder = resources.files(FONT_PACKAGE).joinpath("files")
    except ModuleNotFoundError:
        raise FontMissing(
            f"Police {FONT_FAMILY} introuvable : le paquet Python « fontpkg-lato » n'est pas "
            "installé. C'est une dépendance de sons : réinstaller sons (pip install -e .)."
        ) from None
    paths: dict[str, Path] = {}
    for style, name in FONT_FILES.items():
        path = Path(str(folder.joinpath(name)))
        if not path.is_file():
            raise FontMissing(
                f"Police {FONT_FAMILY} : fichier « {name} » absent du paquet « fontpkg-lato » "
                f"({path}) ; réinstaller ce paquet."
            )
        paths[style] = path
    return paths
