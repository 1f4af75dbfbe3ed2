"""The annotated rulebook (« règlement annoté »): a dispositif's rules at a date, for review.

A domain expert reads it to check sons against the official texts, so every item stands beside
its source (title, section, address) and its strength, and unknown values read « non
renseigné ». `build` turns a `DispositifAtDate` into plain data (sections of entries: facts and
a citation); `markdown` writes it as text. The HTML document (`sons.documents.rulebook`) renders
the same data, so both say the same thing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sons.referential.conditions import describe
from sons.referential.loader import DispositifAtDate, ParameterValue, Referential
from sons.referential.model import (
    CEILING_STRATEGIES,
    FLOW_LABELS,
    ROUTE_LABELS,
    STRENGTH_LABELS,
    Alternative,
    BalanceCondition,
    BalanceRequirement,
    Control,
    DatedValue,
    Evidence,
    Indicator,
    Parameter,
    Profile,
    ProfileRule,
    Question,
    Reference,
    RuleException,
    Source,
    Sourced,
    Strength,
    Validity,
)

UNKNOWN = "non renseigné"

# The first key date of most parameters: a convention of the data (common/parameters.yaml),
# « in force for every order sons can hold », not an official date; say so to the reader.
PERIOD_START = dt.date(2021, 1, 1)

_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

QUESTION_TYPE_LABELS = {
    "yes_no": "Oui/Non",
    "text": "texte libre",
    "choice": "choix dans une liste",
    "integer": "nombre entier",
}

EVIDENCE_LABELS = {
    Evidence.MOM: "mise en ordre de marche (MOM), validée par le fournisseur",
    Evidence.VA: "vérification d'aptitude (VA), signée par le client final",
}

CONTROL_KIND_LABELS = {"presence": "contrôle de présence", "a_posteriori": "contrôle a posteriori"}

STATISTICS_LABELS = {
    "dmp": "statistiques DMP",
    "mss_pro": "statistiques MSS Pro",
    "mss_trust_space": "statistiques de l'espace de confiance MSSanté",
    "test_address": "statistiques de l'adresse de test",
}

LEVEL_LABELS = {"es_pmsi": "par ES-PMSI", "site": "par site", "client": "par client"}

INDICATOR_KIND_LABELS = {
    "avance": "demande d'avance",
    "solde": "demande de solde",
    "avenant": "avenant",
}

# Balance-condition fields whose own strength may differ from the row's, and their label.
BALANCE_FIELD_LABELS = {
    "condition": "Condition",
    "threshold": "Seuil",
    "ins_qualified": "INS qualifiée",
    "document_type": "Type de document",
    "recipient": "Destinataire",
    "evidence": "Pièce justificative",
    "controls": "Contrôles",
}


# Labels of the parameters a dispositif may lack (the loader then only knows their name).


def french_date(on: dt.date) -> str:
    """« 1er mai 2022 »."""
    day = "1er" if on.day == 1 else str(on.day)
    return f"{day} {_MONTHS[on.month - 1]} {on.year}"


def _key_date(on: dt.date) -> str:
    if on == PERIOD_START:
        return f"{french_date(on)} (début de la période couverte par sons)"
    return french_date(on)


# --- the data of the document ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Citation:
    """Where an item comes from and how sure we are of it."""

    strength: Strength
    source_id: str | None = None
    title: str | None = None
    section: str | None = None
    note: str | None = None
    url: str | None = None

    @property
    def strength_label(self) -> str:
        return STRENGTH_LABELS[self.strength]

    @property
    def rows(self) -> tuple[tuple[str, str], ...]:
        """(label, text) rows; the source title is linked to `url` by the renderers."""
        rows = [("Source", self.title or "aucune source citée")]
        if self.section:
            rows.append(("Section", self.section))
        if self.note:
            rows.append(("Note", self.note))
        return tuple(rows)


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of the rulebook: a title, its facts as (label, text) rows, its citation."""

    title: str
    ident: str | None
    facts: tuple[tuple[str, str], ...]
    citation: Citation
    details: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class Table:
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Section:
    anchor: str
    title: str
    intro: str
    entries: tuple[Entry, ...]
    summary: Table | None = None
    empty: str = "Aucun élément en vigueur à cette date."

    @property
    def is_empty(self) -> bool:
        return not self.entries and (self.summary is None or not self.summary.rows)


@dataclass(frozen=True, slots=True)
class Rulebook:
    code: str
    label: str
    on: dt.date
    pin: str | None
    identity: Entry
    sources: tuple[Source, ...]
    sections: tuple[Section, ...]
    warnings: tuple[str, ...]

    @property
    def title(self) -> str:
        return f"Règlement annoté — {self.code}"

    @property
    def subtitle(self) -> str:
        text = f"{self.label} — règles en vigueur au {french_date(self.on)}"
        if self.pin:
            text += f" (référentiel sons, version {self.pin})"
        return text


READING_GUIDE = (
    "Ce document présente, pour relecture par un expert, les règles que sons applique à ce "
    "dispositif à la date indiquée. Chaque élément figure à côté de sa source (titre, section, "
    "adresse) et de sa force, c'est-à-dire du degré de certitude que sons lui accorde. Une valeur "
    f"« {UNKNOWN} » est inconnue de sons : tout calcul qui en a besoin refuse de la deviner."
)


def strength_legend() -> tuple[tuple[str, str], ...]:
    """(code, label) of every strength, for the reading guide."""
    return tuple((s.value, STRENGTH_LABELS[s]) for s in Strength)


# --- building ----------------------------------------------------------------------------------


class _Builder:
    def __init__(self, view: DispositifAtDate) -> None:
        self.view = view
        self.questions = view.questions_by_id
        self.profiles = {p.id: p for p in view.dispositif.profiles}
        self.cited: set[str] = set()

    def cite(self, strength: Strength, reference: Reference | None) -> Citation:
        if reference is None:
            return Citation(strength)
        self.cited.add(reference.source)
        source = self.view.sources.get(reference.source)
        return Citation(
            strength,
            reference.source,
            source.title if source else reference.source,
            reference.section,
            reference.note,
            source.url if source else None,
        )

    def cite_item(self, item: Sourced) -> Citation:
        return self.cite(item.strength, item.reference)

    def question_ref(self, qid: str) -> str:
        question = self.questions.get(qid)
        return f"« {question.label} » ({qid})" if question else qid

    def profile_ref(self, pid: str) -> str:
        profile = self.profiles.get(pid)
        return f"« {profile.label} » ({pid})" if profile else pid

    # identity ------------------------------------------------------------------------------

    def identity(self) -> Entry:
        ident = self.view.identity
        facts = (
            ("Code", ident.code),
            ("Force du code", STRENGTH_LABELS[ident.code_strength]),
            ("Couloir", ident.couloir.value),
            ("Type de logiciel", ident.software_type),
            ("Vague", str(ident.wave)),
            ("Format de dépôt", f"celui du couloir {ident.deposit_family.value}"),
        )
        return Entry(ident.label, ident.code, facts, self.cite_item(ident))

    # profiles ------------------------------------------------------------------------------

    def profile(self, profile: Profile) -> Entry:
        rules = [r.id for r in self.view.rules if r.profile == profile.id]
        if profile.mandatory:
            required_by = "obligatoire pour tout référencement"
        elif rules:
            required_by = "règle(s) " + ", ".join(rules)
        else:
            required_by = "aucune règle du questionnaire (à établir par le client)"
        facts = [
            ("Obligatoire", "oui" if profile.mandatory else "non (conditionnel)"),
            ("Déclencheur", profile.trigger or UNKNOWN),
            ("Exigé par", required_by),
            *_validity(profile),
        ]
        return Entry(profile.label, profile.id, tuple(facts), self.cite_item(profile))

    # questionnaire -------------------------------------------------------------------------

    def question(self, index: int, question: Question) -> Entry:
        facts = [
            ("Type de réponse", QUESTION_TYPE_LABELS[question.type]),
            ("Réponse", "obligatoire" if question.required else "facultative"),
        ]
        if question.choices:
            listed = " ; ".join(f"{c.label} ({c.value})" for c in question.choices)
            facts.append(("Choix", listed))
        if question.declares is not None:
            flow = FLOW_LABELS[question.declares.flow]
            route = ROUTE_LABELS[question.declares.route]
            facts.append(("Réponse Oui", f"déclare le flux {flow}, {route}"))
        if question.help:
            facts.append(("Aide", question.help))
        facts += _validity(question)
        return Entry(
            f"Question {index} — {question.label}",
            question.id,
            tuple(facts),
            self.cite_item(question),
        )

    def alternative(self, alternative: Alternative) -> Entry:
        facts = [
            ("Questions", " ; ".join(self.question_ref(q) for q in alternative.questions)),
            ("Règle", "une seule de ces réponses peut être « Oui » (sinon constat bloquant)"),
            *_validity(alternative),
        ]
        return Entry(alternative.label, alternative.id, tuple(facts), self.cite_item(alternative))

    # rules ---------------------------------------------------------------------------------

    def rule(self, rule: ProfileRule) -> Entry:
        facts = [
            ("Profil requis", self.profile_ref(rule.profile)),
            ("Condition", "si " + describe(rule.when, self.questions)),
            ("Exceptions", str(len(rule.exceptions)) if rule.exceptions else "aucune"),
            *_validity(rule),
        ]
        details = tuple(self.exception(e) for e in rule.exceptions)
        profile = self.profiles.get(rule.profile)
        title = f"Profil « {profile.label} »" if profile else rule.profile
        return Entry(title, rule.id, tuple(facts), self.cite_item(rule), details)

    def exception(self, exception: RuleException) -> Entry:
        facts = [
            ("Condition", "si " + describe(exception.when, self.questions)),
            (
                "Effet",
                "le profil est requis" if exception.required else "le profil n'est pas requis",
            ),
        ]
        if exception.because:
            facts.append(("Motif", exception.because))
        return Entry(
            f"Exception « {exception.id} »", exception.id, tuple(facts), self.cite_item(exception)
        )

    # balance -------------------------------------------------------------------------------

    def balance_condition(self, condition: BalanceCondition) -> Entry:
        ins = {True: "Oui (exigée)", False: "Non (non exigée)", None: UNKNOWN}
        values: dict[str, str] = {
            "condition": condition.condition,
            "threshold": UNKNOWN if condition.threshold is None else str(condition.threshold),
            "ins_qualified": ins[condition.ins_qualified],
            "document_type": condition.document_type or UNKNOWN,
            "recipient": condition.recipient or UNKNOWN,
            "evidence": f"{condition.evidence_label} — {EVIDENCE_LABELS[condition.evidence]}",
            "controls": " ; ".join(_control(c) for c in condition.controls),
        }
        if condition.recipient is None and condition.flow.value != "mss_patient":
            del values["recipient"]  # only messages to the patient's box have a set recipient
        for field, strength in condition.field_strengths.items():
            if field in values:
                values[field] += f" (force propre : {STRENGTH_LABELS[strength]})"
        scenario = condition.scenario_label or UNKNOWN
        if condition.scenario_group:
            scenario = f"{condition.scenario_group} — {scenario}"
        facts = [
            ("Flux", FLOW_LABELS[condition.flow]),
            ("Voie", ROUTE_LABELS[condition.route]),
            ("Scénario", scenario),
            *((BALANCE_FIELD_LABELS[k], v) for k, v in values.items()),
            (
                "S'applique si",
                "toujours (sans condition)"
                if condition.applies_when is None
                else describe(condition.applies_when, self.questions),
            ),
        ]
        others = {k: v for k, v in condition.field_strengths.items() if k not in values}
        if others:
            facts.append(
                (
                    "Forces par champ",
                    " ; ".join(f"{k} : {STRENGTH_LABELS[v]}" for k, v in others.items()),
                )
            )
        facts += _validity(condition)
        title = f"{FLOW_LABELS[condition.flow]}, {ROUTE_LABELS[condition.route]}"
        return Entry(title, condition.id, tuple(facts), self.cite_item(condition))

    def requirement(self, requirement: BalanceRequirement) -> Entry:
        return Entry(
            requirement.label,
            requirement.id,
            tuple(_validity(requirement)),
            self.cite_item(requirement),
        )

    def indicator(self, indicator: Indicator) -> Entry:
        facts = [
            ("Demandes concernées", ", ".join(INDICATOR_KIND_LABELS[k] for k in indicator.kinds)),
            ("Valeurs permises", ", ".join(f"« {v} »" for v in indicator.values)),
            *_validity(indicator),
        ]
        return Entry(indicator.label, indicator.id, tuple(facts), self.cite_item(indicator))

    # parameters ----------------------------------------------------------------------------

    def parameter(self, value: ParameterValue, parameter: Parameter | None) -> Entry:
        kind = parameter.kind if parameter else ""
        facts = [
            (f"Valeur au {french_date(value.on)}", _parameter_text(kind, value.value)),
            ("En vigueur depuis", _key_date(value.since) if value.since else UNKNOWN),
        ]
        checked = parameter.last_value_still_valid_on if parameter else None
        facts.append(("Dernière vérification", french_date(checked) if checked else UNKNOWN))
        if parameter is None:
            facts.append(("Note", "paramètre absent des données de ce dispositif"))
        if value.warning:
            facts.append(("Avertissement", value.warning))
        details: tuple[Entry, ...] = ()
        # The history only says more than the value in force when there are several values.
        if parameter is not None and len(parameter.values) > 1:
            details = tuple(
                self.dated_value(kind, start, entry)
                for start, entry in sorted(parameter.values.items())
            )
        label = value.label
        citation = self.cite(value.strength, value.reference)
        return Entry(label, value.name, tuple(facts), citation, details)

    def dated_value(self, kind: str, start: dt.date, entry: DatedValue) -> Entry:
        if entry.ended:
            text = "valeur close (plus de valeur en vigueur)"
        else:
            text = _parameter_text(kind, entry.value)
        title = f"Historique : à partir du {_key_date(start)}"
        return Entry(title, None, (("Valeur", text),), self.cite_item(entry))


def _validity(item: Validity) -> list[tuple[str, str]]:
    start, end = item.valid_from, item.valid_until
    if start and end:
        return [("En vigueur", f"du {french_date(start)} au {french_date(end)} inclus")]
    if start:
        return [("En vigueur", f"depuis le {french_date(start)}")]
    if end:
        return [("En vigueur", f"jusqu'au {french_date(end)} inclus")]
    return []


def _dated_items(view: DispositifAtDate) -> Iterable[tuple[str, ...]]:
    dispositif = view.dispositif
    parts: list[tuple[str, Iterable[Any]]] = [
        ("Profil", dispositif.profiles),
        ("Question", dispositif.questionnaire.questions),
        ("Alternative", dispositif.questionnaire.alternatives),
        ("Règle", dispositif.rules),
        ("Condition de solde", dispositif.balance.balance_conditions),
        ("Pièce du solde", dispositif.balance.balance_requirements),
        ("Indicateur", dispositif.balance.indicators),
    ]
    for part, items in parts:
        for item in items:
            validity = _validity(item)
            if not validity:
                continue
            if isinstance(item, BalanceCondition):
                title = f"{FLOW_LABELS[item.flow]}, {ROUTE_LABELS[item.route]}"
            else:
                title = item.label
            yield (
                part,
                title,
                item.id,
                validity[0][1],
                "en vigueur" if item.in_force(view.on) else "hors vigueur",
                STRENGTH_LABELS[item.strength],
            )
    for name, parameter in dispositif.parameters.items():
        if len(parameter.values) < 2:
            continue
        current = view.parameter(name).since
        for start, entry in sorted(parameter.values.items()):
            value = "valeur close" if entry.ended else _parameter_text(parameter.kind, entry.value)
            yield (
                "Paramètre",
                f"{parameter.label} : {value}",
                name,
                f"à partir du {_key_date(start)}",
                "en vigueur" if start == current and not entry.ended else "hors vigueur",
                STRENGTH_LABELS[entry.strength],
            )


def _control(control: Control) -> str:
    details = [CONTROL_KIND_LABELS[control.kind]]
    if control.statistics:
        details.append(STATISTICS_LABELS[control.statistics])
    if control.level:
        details.append(LEVEL_LABELS[control.level])
    return f"{control.label} ({', '.join(details)})"


def _parameter_text(kind: str, value: Any) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, dt.date):
        return french_date(value)
    if kind == "ceiling_strategy" and isinstance(value, str):
        return f"{CEILING_STRATEGIES.get(value, value)} ({value})"
    if kind == "percent":
        return f"{value} %"
    return str(value)


def build(view: DispositifAtDate, referential: Referential | None = None) -> Rulebook:
    """The rulebook of one dispositif at one date; `referential` adds its pin and common values."""
    builder = _Builder(view)
    questions = view.questions
    profiles = Section(
        "profils",
        "Profils",
        "« Général » est obligatoire ; les autres profils sont conditionnels : le scénario "
        "d'installation dit lesquels la solution doit avoir obtenus.",
        tuple(builder.profile(p) for p in view.profiles),
    )
    questionnaire = Section(
        "questionnaire",
        "Scénario d'installation (questionnaire)",
        "Les questions posées au client final, avec leur identifiant stable (celui du fichier "
        "de réponses) et le type de réponse attendu.",
        tuple(builder.question(i, q) for i, q in enumerate(questions, start=1)),
        Table(
            "Questions du scénario d'installation",
            ("N°", "Identifiant", "Question", "Type de réponse"),
            tuple(
                (str(i), q.id, q.label, QUESTION_TYPE_LABELS[q.type])
                for i, q in enumerate(questions, start=1)
            ),
        ),
    )
    alternatives = Section(
        "alternatives",
        "Alternatives d'un même canal",
        "Réponses qui s'excluent : au plus une peut être « Oui ».",
        tuple(builder.alternative(a) for a in view.alternatives),
    )
    rules = Section(
        "regles",
        "Règles : quelles réponses exigent quel profil",
        "Une règle de base exige son profil quand sa condition est vraie. Ses exceptions, quand "
        "elles s'appliquent, décident à sa place (avec leur motif). Deux exceptions qui "
        "s'appliquent ensemble et se contredisent sont signalées (REFERENTIAL_RULE_CONFLICT) ; "
        "le profil est alors considéré comme requis, par prudence.",
        tuple(builder.rule(r) for r in view.rules),
    )
    conditions = view.balance_conditions
    balance = Section(
        "solde",
        "Conditions de versement du solde",
        "Une ligne par flux et par voie : ce qu'il faut prouver, le seuil, l'INS qualifiée, la "
        "pièce justificative et les contrôles de l'opérateur de paiement.",
        tuple(builder.balance_condition(c) for c in conditions),
        Table(
            "Conditions de versement du solde",
            ("Flux", "Voie", "Seuil", "INS qualifiée", "Pièce", "Force"),
            tuple(
                (
                    FLOW_LABELS[c.flow],
                    ROUTE_LABELS[c.route],
                    UNKNOWN if c.threshold is None else str(c.threshold),
                    {True: "Oui", False: "Non", None: UNKNOWN}[c.ins_qualified],
                    c.evidence_label,
                    STRENGTH_LABELS[c.strength],
                )
                for c in conditions
            ),
        ),
    )
    requirements = Section(
        "pieces-solde",
        "Autres pièces exigées au solde",
        "Pièces que le dossier de solde doit contenir en plus des preuves par flux.",
        tuple(builder.requirement(r) for r in view.balance_requirements),
    )
    indicators = Section(
        "indicateurs",
        "Indicateurs obligatoires",
        "Indicateurs que la demande doit porter, avec les seules valeurs permises.",
        tuple(builder.indicator(i) for i in view.indicators),
    )
    parameter_entries = [
        builder.parameter(value, view.dispositif.parameters.get(value.name))
        for value in view.parameters
    ]
    if referential is not None:
        parameter_entries += [
            builder.parameter(
                referential.common_parameter(name, view.on), referential.common.get(name)
            )
            for name in referential.common
        ]
    parameters = Section(
        "parametres",
        "Paramètres datés",
        "Chaque valeur est datée du premier jour où elle s'applique et reste en vigueur "
        "jusqu'à la valeur suivante. Le 1er janvier 2021 est une convention de sons (début de la "
        "période couverte : « en vigueur pour toute commande que sons peut connaître »), pas une "
        "date officielle. « Dernière vérification » est la date à laquelle quelqu'un a confirmé "
        "la valeur ; au-delà, sons avertit au lieu de la réutiliser en silence.",
        tuple(parameter_entries),
    )
    changes = Section(
        "changements",
        "Changements datés",
        "Tous les éléments de ce dispositif qui n'ont pas toujours été en vigueur, quelle que "
        "soit la date du document : ils disent ce qui change, et quand.",
        (),
        Table(
            "Éléments datés du dispositif",
            ("Partie", "Élément", "Identifiant", "En vigueur", "À cette date", "Force"),
            tuple(_dated_items(view)),
        ),
        "Aucun élément daté : toutes les règles valent pour toute la période couverte.",
    )
    identity = builder.identity()
    sections = (
        profiles,
        questionnaire,
        alternatives,
        rules,
        balance,
        requirements,
        indicators,
        parameters,
        changes,
    )
    own = list(view.identity.sources)
    own_ids = {s.id for s in own}
    cited = [
        view.sources[s] for s in sorted(builder.cited) if s in view.sources and s not in own_ids
    ]
    warnings = list(view.warnings)
    if referential is not None:
        warnings += [
            w
            for name in referential.common
            if (w := referential.common_parameter(name, view.on).warning)
        ]
    return Rulebook(
        code=view.code,
        label=view.identity.label,
        on=view.on,
        pin=referential.pin if referential else None,
        identity=identity,
        sources=tuple(own + cited),
        sections=sections,
        warnings=tuple(warnings),
    )


# --- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*[]<>|"})


def _md(text: str) -> str:
    """Plain text made literal in Markdown (labels may hold `*`, `<`, `|`…)."""
    return " ".join(text.translate(_MD_SPECIAL).split())


def _md_citation(citation: Citation) -> list[str]:
    lines = []
    for label, text in citation.rows:
        line = f"- *{label}* : {_md(text)}"
        if label == "Source" and citation.url:
            line += f" — <{citation.url}>"
        lines.append(line)
    return [*lines, f"- *Force* : {_md(citation.strength_label)}"]


def _md_entry(entry: Entry, level: int) -> list[str]:
    heading = _md(entry.title)
    if entry.ident:
        heading += f" (`{entry.ident}`)"
    lines = ["#" * level + " " + heading, ""]
    lines += [f"- **{_md(label)}** : {_md(text)}" for label, text in entry.facts]
    lines += _md_citation(entry.citation)
    lines.append("")
    for detail in entry.details:
        lines += _md_entry(detail, level + 1)
    return lines


def _md_table(table: Table) -> list[str]:
    lines = [f"*{_md(table.caption)}*", ""]
    lines.append("| " + " | ".join(_md(c) for c in table.columns) + " |")
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in table.rows]
    return [*lines, ""]


def _md_sources(sources: Iterable[Source]) -> list[str]:
    lines = ["| Identifiant | Type | Titre | Date | Adresse |", "|---|---|---|---|---|"]
    for s in sources:
        date = french_date(s.date) if s.date else ""
        url = f"<{s.url}>" if s.url else UNKNOWN
        lines.append(f"| `{s.id}` | {_md(s.kind)} | {_md(s.title)} | {date} | {url} |")
    return [*lines, ""]


def markdown(rulebook: Rulebook) -> str:
    """The rulebook as a Markdown document (French)."""
    lines = [f"# {_md(rulebook.title)}", "", _md(rulebook.subtitle), ""]
    lines += ["## Comment lire ce document", "", _md(READING_GUIDE), ""]
    lines += [f"- `{code}` : {_md(label)}" for code, label in strength_legend()]
    lines.append("")
    if rulebook.warnings:
        lines += ["## Avertissements", ""]
        lines += [f"- {_md(w)}" for w in rulebook.warnings]
        lines.append("")
    lines += ["## Identité et sources", ""]
    lines += _md_entry(rulebook.identity, 3)
    lines += ["### Sources", ""]
    lines += _md_sources(rulebook.sources)
    for section in rulebook.sections:
        lines += [f"## {_md(section.title)}", "", _md(section.intro), ""]
        if section.summary is not None and section.summary.rows:
            lines += _md_table(section.summary)
        if section.is_empty:
            lines += [_md(section.empty), ""]
        for entry in section.entries:
            lines += _md_entry(entry, 3)
    return "\n".join(lines).rstrip() + "\n"


def markdown_for(view: DispositifAtDate, referential: Referential | None = None) -> str:
    return markdown(build(view, referential))


def as_mapping(rulebook: Rulebook) -> Mapping[str, Any]:
    """Plain values for templates (no dataclass introspection needed there)."""
    return {
        "rulebook": rulebook,
        "guide": READING_GUIDE,
        "legend": strength_legend(),
        "unknown": UNKNOWN,
        "french_date": french_date,
    }


__all__ = [
    "UNKNOWN",
    "Citation",
    "Entry",
    "Rulebook",
    "Section",
    "Table",
    "build",
    "french_date",
    "markdown",
    "markdown_for",
]
