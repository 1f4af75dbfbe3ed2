"""Load the referential data set, check it whole, and answer « what was in force on this date ».

The loader reports every problem at once, each with its file and key, so that whoever amends
the data fixes it in one pass. It reads files only; it never looks at the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sons.referential.conditions import leaves, questions_named
from sons.referential.model import (
    CEILING_STRATEGIES,
    COMMON_PARAMETER_NAMES,
    PARAMETER_LABELS,
    PARAMETER_NAMES,
    STRENGTH_LABELS,
    Alternative,
    BalanceCondition,
    BalanceFile,
    BalanceRequirement,
    Condition,
    DispositifFile,
    Equals,
    Indicator,
    InValues,
    Parameter,
    ParametersFile,
    Profile,
    ProfileRule,
    ProfilesFile,
    Question,
    QuestionnaireFile,
    Reference,
    RulesFile,
    Source,
    Sourced,
    SourcesFile,
    Strength,
    Validity,
    VersionFile,
)
from sons.schema_errors import french_errors

DATA_DIR = Path(__file__).parent / "data"
DISPOSITIF_FILES = (
    "dispositif.yaml",
    "profiles.yaml",
    "questionnaire.yaml",
    "rules.yaml",
    "balance.yaml",
    "parameters.yaml",
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} : {self.key}" if self.key else self.file
        return f"{where} — {self.message}"


class ReferentialError(Exception):
    """The data set is not usable; `problems` lists every reason, placed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"Référentiel invalide ({len(problems)} problème(s)) :\n{lines}")


class UnknownDispositif(LookupError):
    def __init__(self, code: str, known: Iterable[str]) -> None:
        self.code = code
        listed = ", ".join(sorted(known))
        super().__init__(f"Dispositif inconnu : « {code} ». Dispositifs connus : {listed}.")


class ValueUnknown(LookupError):
    """A computation needs a value the referential does not know (« non renseigné »)."""


@dataclass(frozen=True, eq=False)  # identity: hashable, loaded once per referential
class Dispositif:
    identity: DispositifFile
    profiles: tuple[Profile, ...]
    questionnaire: QuestionnaireFile
    rules: tuple[ProfileRule, ...]
    balance: BalanceFile
    parameters: Mapping[str, Parameter]
    folder: str

    @property
    def code(self) -> str:
        return self.identity.code


@dataclass(frozen=True)
class ParameterValue:
    """A parameter as in force on a date, with its strength and any staleness warning."""

    name: str
    label: str
    on: dt.date
    value: Any
    strength: Strength
    reference: Reference | None
    since: dt.date | None
    warning: str | None = None

    @property
    def known(self) -> bool:
        return self.value is not None

    def require(self) -> Any:
        if self.value is None:
            raise ValueUnknown(
                f"{self.label} ({self.name}) : non renseigné au {self.on.isoformat()} "
                "dans le référentiel ; sons refuse de le deviner."
            )
        return self.value


def _resolve(name: str, parameter: Parameter, on: dt.date) -> ParameterValue:
    since = None
    current = None
    for start, entry in sorted(parameter.values.items()):
        if start <= on:
            since, current = start, entry
    if current is None or current.ended:
        return ParameterValue(
            name,
            parameter.label,
            on,
            None,
            Strength.UNKNOWN,
            None,
            since,
            warning=None if current is None else "valeur close à cette date",
        )
    warning = None
    checked = parameter.last_value_still_valid_on
    if checked is not None and on > checked:
        warning = (
            f"{parameter.label} : valeur vérifiée pour la dernière fois le "
            f"{checked.isoformat()}, appliquée ici au {on.isoformat()} — à confirmer"
        )
    return ParameterValue(
        name,
        parameter.label,
        on,
        current.value,
        current.strength,
        current.reference,
        since,
        warning,
    )


@dataclass(frozen=True)
class DispositifAtDate:
    """The rules of one dispositif in force on one date."""

    dispositif: Dispositif
    on: dt.date
    sources: Mapping[str, Source]

    @property
    def code(self) -> str:
        return self.dispositif.code

    @property
    def identity(self) -> DispositifFile:
        return self.dispositif.identity

    def _in_force(self, items: Iterable[Validity]) -> list[Any]:
        return [item for item in items if item.in_force(self.on)]

    @property
    def profiles(self) -> list[Profile]:
        return self._in_force(self.dispositif.profiles)

    @property
    def questions(self) -> list[Question]:
        return self._in_force(self.dispositif.questionnaire.questions)

    @property
    def questions_by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    @property
    def alternatives(self) -> list[Alternative]:
        return self._in_force(self.dispositif.questionnaire.alternatives)

    @property
    def rules(self) -> list[ProfileRule]:
        return self._in_force(self.dispositif.rules)

    @property
    def balance_conditions(self) -> list[BalanceCondition]:
        return self._in_force(self.dispositif.balance.balance_conditions)

    @property
    def balance_requirements(self) -> list[BalanceRequirement]:
        return self._in_force(self.dispositif.balance.balance_requirements)

    @property
    def indicators(self) -> list[Indicator]:
        return self._in_force(self.dispositif.balance.indicators)

    def parameter(self, name: str) -> ParameterValue:
        parameter = self.dispositif.parameters.get(name)
        if parameter is None:
            label = PARAMETER_LABELS.get(name, name)
            return ParameterValue(name, label, self.on, None, Strength.UNKNOWN, None, None)
        return _resolve(name, parameter, self.on)

    @property
    def parameters(self) -> list[ParameterValue]:
        return [self.parameter(name) for name in PARAMETER_NAMES]

    @property
    def warnings(self) -> list[str]:
        return [p.warning for p in self.parameters if p.warning]

    def cite(self, item: Sourced) -> str:
        """« AF RAD-RIS-Va1, §6.2 (document fondateur) » for a finding's source."""
        return cite(item, self.sources)


def cite(item: Sourced, sources: Mapping[str, Source]) -> str:
    strength = STRENGTH_LABELS[item.strength]
    if item.reference is None:
        return strength
    source = sources.get(item.reference.source)
    title = source.title if source else item.reference.source
    section = f", {item.reference.section}" if item.reference.section else ""
    return f"{title}{section} ({strength})"


@dataclass(frozen=True)
class Referential:
    version: str
    published: dt.date
    content_hash: str
    sources: Mapping[str, Source]
    common: Mapping[str, Parameter]
    dispositifs: Mapping[str, Dispositif] = field(default_factory=dict)

    @property
    def pin(self) -> str:
        """What later objects record to say which rules they were made under."""
        return f"{self.version}+{self.content_hash[:12]}"

    def get(self, code: str) -> Dispositif:
        found = self.dispositifs.get(code.strip().upper())
        if found is None:
            raise UnknownDispositif(code, (d.code for d in self.dispositifs.values()))
        return found

    def at(self, code: str, on: dt.date) -> DispositifAtDate:
        dispositif = self.get(code)
        return DispositifAtDate(dispositif, on, self.sources_for(dispositif))

    def sources_for(self, dispositif: Dispositif) -> dict[str, Source]:
        merged = dict(self.sources)
        merged.update({s.id: s for s in dispositif.identity.sources})
        return merged

    def common_parameter(self, name: str, on: dt.date) -> ParameterValue:
        parameter = self.common.get(name)
        if parameter is None:
            return ParameterValue(name, name, on, None, Strength.UNKNOWN, None, None)
        return _resolve(name, parameter, on)


# --- reading files ---------------------------------------------------------------------------


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """YAML loader that refuses duplicate keys (PyYAML would keep the last one silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"clé en double : « {key} »", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.digest = hashlib.sha256()

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root.parent).as_posix()

    def read(self, path: Path, model: type[M]) -> M | None:
        rel = self.rel(path)
        if not path.is_file():
            self.problems.append(Problem(rel, "", "fichier manquant"))
            return None
        raw_bytes = path.read_bytes()
        self.digest.update(rel.encode() + b"\0" + raw_bytes + b"\0")
        try:
            raw = yaml.load(raw_bytes.decode("utf-8"), Loader=_UniqueKeyLoader)
        except UnicodeDecodeError:
            self.problems.append(Problem(rel, "", "le fichier n'est pas en UTF-8"))
            return None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"ligne {mark.line + 1}, colonne {mark.column + 1}" if mark else ""
            reason = getattr(exc, "problem", None) or str(exc)
            self.problems.append(Problem(rel, where, f"YAML illisible : {reason}"))
            return None
        try:
            return model.model_validate(raw if raw is not None else {})
        except ValidationError as exc:
            for key, message in french_errors(exc):
                self.problems.append(Problem(rel, key, message))
            return None


def load(root: Path = DATA_DIR) -> Referential:
    """Read and check the whole data set; raise `ReferentialError` listing every problem."""
    reader = _Reader(root)
    version = reader.read(root / "VERSION.yaml", VersionFile)
    sources_file = reader.read(root / "sources.yaml", SourcesFile)
    common_file = reader.read(root / "common" / "parameters.yaml", ParametersFile)
    dispositifs: dict[str, Dispositif] = {}
    folders = sorted(p for p in (root / "dispositifs").iterdir() if p.is_dir())
    for folder in folders:
        dispositif = _read_dispositif(reader, folder)
        if dispositif is None:
            continue
        key = dispositif.code.upper()
        if key in dispositifs:
            reader.problems.append(
                Problem(
                    reader.rel(folder / "dispositif.yaml"),
                    "code",
                    f"code déjà utilisé par {dispositifs[key].folder} (la casse ne compte pas)",
                )
            )
            continue
        dispositifs[key] = dispositif
    global_sources = {s.id: s for s in sources_file.sources} if sources_file else {}
    if sources_file:
        _check_unique(reader, "data/sources.yaml", "sources", [s.id for s in sources_file.sources])
    if common_file:
        _check_parameters(
            reader,
            "data/common/parameters.yaml",
            common_file.parameters,
            COMMON_PARAMETER_NAMES,
            global_sources,
        )
    for dispositif in dispositifs.values():
        _check_dispositif(reader, dispositif, global_sources)
    if reader.problems or version is None or common_file is None:
        raise ReferentialError(reader.problems)
    return Referential(
        version=version.version,
        published=version.published,
        content_hash=reader.digest.hexdigest(),
        sources=global_sources,
        common=common_file.parameters,
        dispositifs=dispositifs,
    )


@cache
def default_referential() -> Referential:
    """The referential shipped with sons, loaded once per process."""
    return load(DATA_DIR)


def _read_dispositif(reader: _Reader, folder: Path) -> Dispositif | None:
    identity = reader.read(folder / "dispositif.yaml", DispositifFile)
    profiles = reader.read(folder / "profiles.yaml", ProfilesFile)
    questionnaire = reader.read(folder / "questionnaire.yaml", QuestionnaireFile)
    rules = reader.read(folder / "rules.yaml", RulesFile)
    balance = reader.read(folder / "balance.yaml", BalanceFile)
    parameters = reader.read(folder / "parameters.yaml", ParametersFile)
    extra = sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.name not in DISPOSITIF_FILES
    )
    for name in extra:
        reader.problems.append(
            Problem(
                reader.rel(folder / name),
                "",
                "fichier inattendu ; fichiers permis : " + ", ".join(DISPOSITIF_FILES),
            )
        )
    if not (identity and profiles and questionnaire and rules and balance and parameters):
        return None
    if folder.name != identity.code.lower():
        reader.problems.append(
            Problem(
                reader.rel(folder / "dispositif.yaml"),
                "code",
                f"le dossier doit s'appeler « {identity.code.lower()} » (code en minuscules)",
            )
        )
    return Dispositif(
        identity=identity,
        profiles=tuple(profiles.profiles),
        questionnaire=questionnaire,
        rules=tuple(rules.rules),
        balance=balance,
        parameters=parameters.parameters,
        folder=folder.name,
    )


# --- cross-checks ----------------------------------------------------------------------------


def _check_unique(reader: _Reader, file: str, key: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            reader.problems.append(
                Problem(file, f"{key}[{index}].id", f"identifiant « {ident} » en double")
            )
        seen.add(ident)


def _check_validity(reader: _Reader, file: str, key: str, item: Validity) -> None:
    if item.valid_from and item.valid_until and item.valid_from > item.valid_until:
        reader.problems.append(
            Problem(file, f"{key}.valid_until", "date de fin antérieure à la date de début")
        )


def _check_reference(
    reader: _Reader, file: str, key: str, item: Sourced, sources: Mapping[str, Source]
) -> None:
    if item.reference is not None and item.reference.source not in sources:
        reader.problems.append(
            Problem(
                file,
                f"{key}.reference.source",
                f"source « {item.reference.source} » inconnue ; sources déclarées : "
                + ", ".join(sorted(sources)),
            )
        )


def _check_condition(
    reader: _Reader,
    file: str,
    key: str,
    condition: Condition,
    questions: Mapping[str, Question],
) -> None:
    for qid in questions_named(condition):
        if qid not in questions:
            reader.problems.append(
                Problem(file, key, f"la condition cite la question inconnue « {qid} »")
            )
    for leaf in leaves(condition):
        question = questions.get(leaf.question)
        if question is None or not isinstance(leaf, Equals | InValues):
            continue
        values = [leaf.value] if isinstance(leaf, Equals) else leaf.values
        for value in values:
            problem = _answer_type_problem(question, value)
            if problem:
                reader.problems.append(Problem(file, key, problem))


def _answer_type_problem(question: Question, value: object) -> str | None:
    expected: dict[str, Callable[[object], bool]] = {
        "yes_no": lambda v: isinstance(v, bool),
        "text": lambda v: isinstance(v, str),
        "choice": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    }
    if not expected[question.type](value):
        return (
            f"la valeur {value!r} ne convient pas à la question « {question.id} » ({question.type})"
        )
    if question.choices and value not in {c.value for c in question.choices}:
        return f"« {value} » n'est pas un choix de la question « {question.id} »"
    return None


def _check_parameters(
    reader: _Reader,
    file: str,
    parameters: Mapping[str, Parameter],
    allowed: Mapping[str, str],
    sources: Mapping[str, Source],
) -> None:
    for name, parameter in parameters.items():
        key = f"parameters.{name}"
        if name not in allowed:
            reader.problems.append(
                Problem(file, key, "paramètre inconnu ; permis : " + ", ".join(allowed))
            )
            continue
        if parameter.kind != allowed[name]:
            reader.problems.append(
                Problem(file, f"{key}.kind", f"type « {allowed[name]} » attendu")
            )
        dates = list(parameter.values)
        if dates != sorted(dates):
            reader.problems.append(
                Problem(file, f"{key}.values", "dates non rangées par ordre croissant")
            )
        for start, entry in parameter.values.items():
            entry_key = f"{key}.values.{start.isoformat()}"
            _check_reference(reader, file, entry_key, entry, sources)
            if entry.value is not None:
                problem = _parameter_value_problem(parameter.kind, entry.value)
                if problem:
                    reader.problems.append(Problem(file, f"{entry_key}.value", problem))
        checked = parameter.last_value_still_valid_on
        if checked is not None and dates and checked < max(dates):
            reader.problems.append(
                Problem(
                    file,
                    f"{key}.last_value_still_valid_on",
                    "antérieure à la dernière valeur datée",
                )
            )


def _parameter_value_problem(kind: str, value: object) -> str | None:
    if kind == "date" and not isinstance(value, dt.date):
        return "date attendue au format AAAA-MM-JJ"
    if kind == "percent" and not (
        isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 100
    ):
        return "pourcentage attendu entre 0 et 100"
    if kind == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
        return "nombre entier attendu"
    if kind == "ceiling_strategy" and value not in CEILING_STRATEGIES:
        return "stratégie de plafond inconnue ; permises : " + ", ".join(CEILING_STRATEGIES)
    return None


def _check_deadlines_ordered(reader: _Reader, file: str, dispositif: Dispositif) -> None:
    names = ("advance_opening", "order_deadline", "prestation_deadline", "balance_deadline")
    dates = sorted(
        {
            start
            for n in names
            if n in dispositif.parameters
            for start in dispositif.parameters[n].values
        }
    )
    for on in dates:
        known = [
            (n, v.value)
            for n in names
            if n in dispositif.parameters
            and (v := _resolve(n, dispositif.parameters[n], on)).value is not None
        ]
        for (first, a), (second, b) in itertools.pairwise(known):
            if a > b:
                reader.problems.append(
                    Problem(
                        file,
                        f"parameters.{second}",
                        f"au {on.isoformat()}, {second} ({b}) précède {first} ({a})",
                    )
                )


def _check_dispositif(
    reader: _Reader, dispositif: Dispositif, global_sources: Mapping[str, Source]
) -> None:
    base = f"data/dispositifs/{dispositif.folder}"
    sources = dict(global_sources)
    local_ids = [s.id for s in dispositif.identity.sources]
    _check_unique(reader, f"{base}/dispositif.yaml", "sources", local_ids)
    sources.update({s.id: s for s in dispositif.identity.sources})
    _check_reference(reader, f"{base}/dispositif.yaml", "", dispositif.identity, sources)

    profiles_file = f"{base}/profiles.yaml"
    profile_ids = {p.id for p in dispositif.profiles}
    _check_unique(reader, profiles_file, "profiles", [p.id for p in dispositif.profiles])
    if not any(p.mandatory for p in dispositif.profiles):
        reader.problems.append(
            Problem(profiles_file, "profiles", "aucun profil obligatoire (« Général » attendu)")
        )
    for index, profile in enumerate(dispositif.profiles):
        _check_reference(reader, profiles_file, f"profiles[{index}]", profile, sources)
        _check_validity(reader, profiles_file, f"profiles[{index}]", profile)

    questionnaire_file = f"{base}/questionnaire.yaml"
    questionnaire = dispositif.questionnaire
    questions = {q.id: q for q in questionnaire.questions}
    _check_unique(reader, questionnaire_file, "questions", [q.id for q in questionnaire.questions])
    for index, question in enumerate(questionnaire.questions):
        key = f"questions[{index}]"
        _check_reference(reader, questionnaire_file, key, question, sources)
        _check_validity(reader, questionnaire_file, key, question)
        if question.declares is not None and question.type != "yes_no":
            reader.problems.append(
                Problem(questionnaire_file, f"{key}.declares", "réservé aux questions Oui/Non")
            )
    _check_unique(
        reader, questionnaire_file, "alternatives", [a.id for a in questionnaire.alternatives]
    )
    for index, alternative in enumerate(questionnaire.alternatives):
        key = f"alternatives[{index}]"
        _check_reference(reader, questionnaire_file, key, alternative, sources)
        for qid in alternative.questions:
            listed = questions.get(qid)
            if listed is None:
                reader.problems.append(
                    Problem(questionnaire_file, f"{key}.questions", f"question inconnue « {qid} »")
                )
            elif listed.type != "yes_no":
                reader.problems.append(
                    Problem(
                        questionnaire_file,
                        f"{key}.questions",
                        f"« {qid} » n'est pas une question Oui/Non",
                    )
                )

    rules_file = f"{base}/rules.yaml"
    _check_unique(reader, rules_file, "rules", [r.id for r in dispositif.rules])
    for index, rule in enumerate(dispositif.rules):
        key = f"rules[{index}]"
        _check_reference(reader, rules_file, key, rule, sources)
        _check_validity(reader, rules_file, key, rule)
        if rule.profile not in profile_ids:
            reader.problems.append(
                Problem(rules_file, f"{key}.profile", f"profil inconnu « {rule.profile} »")
            )
        _check_condition(reader, rules_file, f"{key}.when", rule.when, questions)
        _check_unique(reader, rules_file, f"{key}.exceptions", [e.id for e in rule.exceptions])
        for e_index, exception in enumerate(rule.exceptions):
            e_key = f"{key}.exceptions[{e_index}]"
            _check_reference(reader, rules_file, e_key, exception, sources)
            _check_condition(reader, rules_file, f"{e_key}.when", exception.when, questions)

    balance_file = f"{base}/balance.yaml"
    balance = dispositif.balance
    _check_unique(
        reader, balance_file, "balance_conditions", [b.id for b in balance.balance_conditions]
    )
    for index, condition in enumerate(balance.balance_conditions):
        key = f"balance_conditions[{index}]"
        _check_reference(reader, balance_file, key, condition, sources)
        _check_validity(reader, balance_file, key, condition)
        if condition.applies_when is not None:
            _check_condition(
                reader, balance_file, f"{key}.applies_when", condition.applies_when, questions
            )
        for other in balance.balance_conditions[:index]:
            if (other.flow, other.route) == (condition.flow, condition.route) and _overlap(
                other, condition
            ):
                reader.problems.append(
                    Problem(
                        balance_file,
                        key,
                        f"deux conditions en vigueur ensemble pour le flux {condition.flow.value}"
                        f" / {condition.route.value} (« {other.id} »)",
                    )
                )
    for list_key, items in (
        ("balance_requirements", balance.balance_requirements),
        ("indicators", balance.indicators),
    ):
        _check_unique(reader, balance_file, list_key, [i.id for i in items])
        for index, item in enumerate(items):
            _check_reference(reader, balance_file, f"{list_key}[{index}]", item, sources)
            _check_validity(reader, balance_file, f"{list_key}[{index}]", item)

    parameters_file = f"{base}/parameters.yaml"
    _check_parameters(reader, parameters_file, dispositif.parameters, PARAMETER_NAMES, sources)
    _check_deadlines_ordered(reader, parameters_file, dispositif)


def _overlap(a: Validity, b: Validity) -> bool:
    start = max(a.valid_from or dt.date.min, b.valid_from or dt.date.min)
    end = min(a.valid_until or dt.date.max, b.valid_until or dt.date.max)
    return start <= end
