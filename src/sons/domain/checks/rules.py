"""What every order check is made of: a named rule (stable code, severity, family) and the
citation of where the rule comes from.

A rule is declared once, next to the check that applies it, and listed in `RULES` so the docs
and the CLI can show every code an order may receive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sons.findings import Finding, Severity
from sons.referential.loader import ParameterValue, cite
from sons.referential.model import Reference, Source, Sourced, Strength
from sons.referential.rulebook import french_date

FAMILY_LABELS: dict[str, str] = {
    "scenario": "scénario d'installation",
    "dates": "dates",
    "amounts": "montants",
    "perimeter": "périmètre",
    "identifiers": "identifiants",
    "referential": "référentiel",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One check: `code` is stable ASCII for scripts, `summary` a one-line French meaning."""

    code: str
    severity: Severity
    family: str
    name: str
    summary: str

    def finding(self, message: str, path: str = "", source: str = "") -> Finding:
        return Finding(self.code, self.severity, message, path, self.name, source)


def sourced(strength: Strength, source: str, section: str | None = None) -> Sourced:
    """A citation for a rule that lives in code rather than in the referential data."""
    # model_construct: these are trusted constants, built once at import.
    return Sourced.model_construct(
        strength=strength, reference=Reference.model_construct(source=source, section=section)
    )


def cite_parameter(value: ParameterValue, sources: Mapping[str, Source]) -> str:
    """The source of a dated parameter, worded like every other citation."""
    return cite(
        Sourced.model_construct(strength=value.strength, reference=value.reference), sources
    )


# Rules the public pages state (PRIMER §4), and our own readings, marked as such.
PUBLIC_CONTROLS = sourced(
    Strength.PUBLIC, "public_faq", "Contrôles des demandes d'avance et de solde"
)
PUBLIC_CEILING = sourced(Strength.PUBLIC, "public_faq", "Contrôle des plafonds HT et TTC")
PUBLIC_ORDER_FORM = sourced(Strength.PUBLIC, "public_faq", "Contenu du bon de commande")
SEED_SCOPE = sourced(Strength.SEED, "seed", "Périmètre de la prestation Ségur")
SONS_READING = sourced(Strength.INFERRED, "sons_reading")
SEED_PROFILES = sourced(
    Strength.SEED, "seed", "Profil de référencement et scénarii d'installation 2/2"
)

REFERENTIAL_PARAMETER_UNKNOWN = Rule(
    "REFERENTIAL_PARAMETER_UNKNOWN",
    Severity.WARNING,
    "referential",
    "parameter",
    "Un paramètre du référentiel nécessaire au contrôle (taux de TVA, délai avant "
    "référencement…) est non renseigné à la date de signature : contrôle non fait.",
)
REFERENTIAL_PARAMETER_UNCONFIRMED = Rule(
    "REFERENTIAL_PARAMETER_UNCONFIRMED",
    Severity.INFO,
    "referential",
    "parameter",
    "Un paramètre utilisé n'a pas été revérifié depuis une date antérieure à la signature : "
    "valeur appliquée, à confirmer.",
)


def parameter_findings(
    values: Iterable[ParameterValue], sources: Mapping[str, Source]
) -> list[Finding]:
    """Say when a parameter a check needs is unknown, or applied past its last verification."""
    findings: list[Finding] = []
    for value in values:
        if not value.known:
            findings.append(
                REFERENTIAL_PARAMETER_UNKNOWN.finding(
                    f"{value.label} ({value.name}) : non renseigné au "
                    f"{french_date(value.on)} dans le référentiel ; sons refuse de le deviner "
                    "et le contrôle qui en dépend n'a pas été fait.",
                    "",
                    cite_parameter(value, sources),
                )
            )
        elif value.warning:
            findings.append(
                REFERENTIAL_PARAMETER_UNCONFIRMED.finding(
                    f"{value.warning}.", "", cite_parameter(value, sources)
                )
            )
    return findings
