"""The loader rejects a broken data set with a precise French message: file, key, reason.

Each test copies the real data set, breaks one thing in the worked example (RAD-RIS-Va1) and
checks the problem reported; the copy works whatever the number of dispositifs.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from sons.referential.loader import DATA_DIR, Problem, ReferentialError, load

EXAMPLE = "dispositifs/rad-ris-va1"
Edit = Callable[[Any], str]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(data: Path, rel: str, change: Callable[[Any], Any]) -> Any:
    """Apply `change` to the parsed file and write it back; return what `change` returned."""
    path = data / rel
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = change(raw)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return result


def problems_of(data: Path) -> list[Problem]:
    with pytest.raises(ReferentialError) as info:
        load(data)
    problems = info.value.problems
    assert problems, "ReferentialError sans problème"
    return problems


def assert_problem(problems: list[Problem], file: str, key: str, *fragments: str) -> Problem:
    listed = "\n".join(str(p) for p in problems)
    for problem in problems:
        if problem.file == file and problem.key == key:
            missing = [f for f in fragments if f not in problem.message]
            if not missing:
                return problem
    raise AssertionError(f"aucun problème {file} : {key} contenant {fragments} parmi :\n{listed}")


def rename(mapping: dict[str, Any], old: str, new: str) -> None:
    """Rename a key in place, keeping its position (a typo as a person would make it)."""
    items = list(mapping.items())
    mapping.clear()
    mapping.update((new if k == old else k, v) for k, v in items)


def first_question(raw: Any, kind: str) -> str:
    return next(q["id"] for q in raw["questions"] if q["type"] == kind)


def test_the_untouched_copy_loads(data: Path) -> None:
    referential = load(data)
    assert "RAD-RIS-VA1" in referential.dispositifs
    folders = [p for p in (data / "dispositifs").iterdir() if p.is_dir()]
    assert len(referential.dispositifs) == len(folders)


# --- unknown keys (typos), one per kind of file ------------------------------------------------


def _typo_version(raw: Any) -> str:
    rename(raw, "published", "publishd")
    return "publishd"


def _typo_sources(raw: Any) -> str:
    rename(raw["sources"][0], "title", "titel")
    return "sources[0].titel"


def _typo_common(raw: Any) -> str:
    name = next(iter(raw["parameters"]))
    rename(raw["parameters"][name], "label", "lable")
    return f"parameters.{name}.lable"


def _typo_dispositif(raw: Any) -> str:
    rename(raw, "couloir", "couloire")
    return "couloire"


def _typo_profiles(raw: Any) -> str:
    rename(raw["profiles"][0], "mandatory", "mandatry")
    return "profiles[0].mandatry"


def _typo_questionnaire(raw: Any) -> str:
    rename(raw["questions"][1], "label", "libelle")
    return "questions[1].libelle"


def _typo_rules(raw: Any) -> str:
    rename(raw["rules"][0], "profile", "profil")
    return "rules[0].profil"


def _typo_condition(raw: Any) -> str:
    rename(raw["rules"][0]["when"], "question", "qestion")
    return "rules[0].when.qestion"


def _typo_balance(raw: Any) -> str:
    rename(raw["balance_conditions"][0], "threshold", "treshold")
    return "balance_conditions[0].treshold"


def _typo_parameters(raw: Any) -> str:
    name = next(iter(raw["parameters"]))
    rename(raw["parameters"][name], "last_value_still_valid_on", "last_value_still_valid")
    return f"parameters.{name}.last_value_still_valid"


@pytest.mark.parametrize(
    ("rel", "typo"),
    [
        ("VERSION.yaml", _typo_version),
        ("sources.yaml", _typo_sources),
        ("common/parameters.yaml", _typo_common),
        (f"{EXAMPLE}/dispositif.yaml", _typo_dispositif),
        (f"{EXAMPLE}/profiles.yaml", _typo_profiles),
        (f"{EXAMPLE}/questionnaire.yaml", _typo_questionnaire),
        (f"{EXAMPLE}/rules.yaml", _typo_rules),
        (f"{EXAMPLE}/rules.yaml", _typo_condition),
        (f"{EXAMPLE}/balance.yaml", _typo_balance),
        (f"{EXAMPLE}/parameters.yaml", _typo_parameters),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_an_unknown_key_is_named_with_its_file(data: Path, rel: str, typo: Edit) -> None:
    key = edit(data, rel, typo)
    problems = problems_of(data)
    problem = assert_problem(problems, f"data/{rel}", key, "clé inconnue")
    assert f"data/{rel} : {key}" in str(problem)
    if rel != "sources.yaml":  # without sources, every reference fails to resolve as well
        # The typo is reported where it is, not as noise elsewhere.
        assert {p.file for p in problems} == {f"data/{rel}"}


# --- dangling references -------------------------------------------------------------------------


def test_a_rule_naming_an_unknown_profile(data: Path) -> None:
    edit(data, f"{EXAMPLE}/rules.yaml", lambda r: r["rules"][0].update(profile="profil_fantome"))
    problem = assert_problem(
        problems_of(data), f"data/{EXAMPLE}/rules.yaml", "rules[0].profile", "profil inconnu"
    )
    assert "profil_fantome" in problem.message


def test_a_condition_naming_an_unknown_question(data: Path) -> None:
    ghost = {"op": "equals", "question": "question_fantome", "value": True}
    edit(data, f"{EXAMPLE}/rules.yaml", lambda r: r["rules"][0].update(when=ghost))
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/rules.yaml",
        "rules[0].when",
        "question inconnue",
        "question_fantome",
    )


def test_an_exception_naming_an_unknown_question(data: Path) -> None:
    exception = {
        "id": "exception_fantome",
        "when": {"op": "not", "condition": {"op": "answered", "question": "question_fantome"}},
        "required": False,
        "strength": "inferred",
    }
    edit(data, f"{EXAMPLE}/rules.yaml", lambda r: r["rules"][0].update(exceptions=[exception]))
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/rules.yaml",
        "rules[0].exceptions[0].when",
        "question_fantome",
    )


def test_a_balance_condition_naming_an_unknown_question(data: Path) -> None:
    ghost = {"op": "equals", "question": "question_fantome", "value": True}
    edit(
        data,
        f"{EXAMPLE}/balance.yaml",
        lambda r: r["balance_conditions"][0].update(applies_when=ghost),
    )
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/balance.yaml",
        "balance_conditions[0].applies_when",
        "question_fantome",
    )


def test_an_alternative_naming_an_unknown_question(data: Path) -> None:
    def change(raw: Any) -> None:
        raw["alternatives"][0]["questions"][1] = "question_fantome"

    edit(data, f"{EXAMPLE}/questionnaire.yaml", change)
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/questionnaire.yaml",
        "alternatives[0].questions",
        "question inconnue « question_fantome »",
    )


def test_an_alternative_naming_a_text_question(data: Path) -> None:
    def change(raw: Any) -> str:
        text = first_question(raw, "text")
        raw["alternatives"][0]["questions"][1] = text
        return text

    text = edit(data, f"{EXAMPLE}/questionnaire.yaml", change)
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/questionnaire.yaml",
        "alternatives[0].questions",
        f"« {text} » n'est pas une question Oui/Non",
    )


def test_a_reference_to_an_unknown_source(data: Path) -> None:
    edit(
        data,
        f"{EXAMPLE}/profiles.yaml",
        lambda r: r["profiles"][0]["reference"].update(source="source_fantome"),
    )
    problem = assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/profiles.yaml",
        "profiles[0].reference.source",
        "source « source_fantome » inconnue",
    )
    # The message lists what would have been accepted: global and the dispositif's own sources.
    assert "seed" in problem.message and "af" in problem.message


def test_a_dated_value_citing_an_unknown_source(data: Path) -> None:
    def change(raw: Any) -> str:
        name = next(iter(raw["parameters"]))
        start = next(iter(raw["parameters"][name]["values"]))
        raw["parameters"][name]["values"][start]["reference"]["source"] = "source_fantome"
        return f"parameters.{name}.values.{start.isoformat()}.reference.source"

    key = edit(data, f"{EXAMPLE}/parameters.yaml", change)
    assert_problem(problems_of(data), f"data/{EXAMPLE}/parameters.yaml", key, "source_fantome")


# --- duplicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "list_key"),
    [
        ("profiles.yaml", "profiles"),
        ("questionnaire.yaml", "questions"),
        ("rules.yaml", "rules"),
        ("balance.yaml", "balance_conditions"),
    ],
)
def test_a_duplicate_id(data: Path, rel: str, list_key: str) -> None:
    def change(raw: Any) -> str:
        ident: str = raw[list_key][0]["id"]
        raw[list_key][1]["id"] = ident
        return ident

    ident = edit(data, f"{EXAMPLE}/{rel}", change)
    assert_problem(
        problems_of(data), f"data/{EXAMPLE}/{rel}", f"{list_key}[1].id", f"« {ident} » en double"
    )


def test_a_duplicate_dispositif_code_whatever_its_case(data: Path) -> None:
    shutil.copytree(data / EXAMPLE, data / "dispositifs" / "RAD-RIS-VA1")
    problems = problems_of(data)
    assert any(p.key == "code" and "déjà utilisé" in p.message for p in problems), problems


def test_a_duplicate_yaml_key_is_placed_by_line_and_column(data: Path) -> None:
    path = data / "VERSION.yaml"
    text = path.read_text(encoding="utf-8")
    lines = text.rstrip("\n").count("\n") + 1
    path.write_text(text.rstrip("\n") + "\nversion: 9.9.9\n", encoding="utf-8")
    assert_problem(
        problems_of(data), "data/VERSION.yaml", f"ligne {lines + 1}, colonne 1", "clé en double"
    )


# --- dates out of order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "list_key"),
    [
        ("profiles.yaml", "profiles"),
        ("questionnaire.yaml", "questions"),
        ("rules.yaml", "rules"),
        ("balance.yaml", "balance_conditions"),
    ],
)
def test_an_end_before_its_start(data: Path, rel: str, list_key: str) -> None:
    edit(
        data,
        f"{EXAMPLE}/{rel}",
        lambda r: r[list_key][0].update(
            valid_from=dt.date(2023, 1, 1), valid_until=dt.date(2022, 12, 31)
        ),
    )
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/{rel}",
        f"{list_key}[0].valid_until",
        "antérieure à la date de début",
    )


def test_parameter_dates_not_ascending(data: Path) -> None:
    def change(raw: Any) -> str:
        name = next(iter(raw["parameters"]))
        values = raw["parameters"][name]["values"]
        (start, entry), *_ = values.items()
        later = start + dt.timedelta(days=30)
        # Same value twice: only the order of the keys is wrong.
        raw["parameters"][name]["values"] = {later: dict(entry), **values}
        return name

    name = edit(data, f"{EXAMPLE}/parameters.yaml", change)
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/parameters.yaml",
        f"parameters.{name}.values",
        "ordre croissant",
    )


def test_an_order_deadline_after_the_balance_deadline(data: Path) -> None:
    def change(raw: Any) -> None:
        parameters = raw["parameters"]
        (_start, balance), *_ = parameters["balance_deadline"]["values"].items()
        order = parameters["order_deadline"]["values"]
        order[next(iter(order))]["value"] = balance["value"] + dt.timedelta(days=1)

    edit(data, f"{EXAMPLE}/parameters.yaml", change)
    problems = problems_of(data)
    ordered = [
        p
        for p in problems
        if p.file == f"data/{EXAMPLE}/parameters.yaml"
        and p.key.startswith("parameters.")
        and "order_deadline" in p.message
        and "précède" in p.message
    ]
    assert ordered, problems


# --- unreadable YAML, wrong types in conditions -----------------------------------------------


def test_bad_yaml_syntax_gives_line_and_column(data: Path) -> None:
    path = data / EXAMPLE / "profiles.yaml"
    path.write_text("profiles:\n  - id: general\n   label: Général\n", encoding="utf-8")
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/profiles.yaml",
        "ligne 3, colonne 4",
        "YAML illisible",
    )


def test_a_file_that_is_not_utf8(data: Path) -> None:
    path = data / EXAMPLE / "rules.yaml"
    path.write_bytes("rules: []\n# réglé\n".encode("latin-1"))
    assert_problem(problems_of(data), f"data/{EXAMPLE}/rules.yaml", "", "UTF-8")


def test_a_wrong_answer_type_in_a_condition(data: Path) -> None:
    questionnaire = yaml.safe_load(
        (data / EXAMPLE / "questionnaire.yaml").read_text(encoding="utf-8")
    )
    yes_no = first_question(questionnaire, "yes_no")
    condition = {"op": "equals", "question": yes_no, "value": "oui"}
    edit(data, f"{EXAMPLE}/rules.yaml", lambda r: r["rules"][0].update(when=condition))
    assert_problem(
        problems_of(data),
        f"data/{EXAMPLE}/rules.yaml",
        "rules[0].when",
        "'oui'",
        f"« {yes_no} » (yes_no)",
    )


def test_an_unknown_condition_operator(data: Path) -> None:
    edit(data, f"{EXAMPLE}/rules.yaml", lambda r: r["rules"][0]["when"].update(op="egal"))
    assert_problem(
        problems_of(data), f"data/{EXAMPLE}/rules.yaml", "rules[0].when", "type de condition"
    )


# --- everything at once --------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(data: Path) -> None:
    edit(data, "VERSION.yaml", _typo_version)
    edit(data, f"{EXAMPLE}/rules.yaml", lambda r: r["rules"][0].update(profile="profil_fantome"))
    edit(
        data,
        f"{EXAMPLE}/questionnaire.yaml",
        lambda r: r["questions"][1].update(id=r["questions"][0]["id"]),
    )
    with pytest.raises(ReferentialError) as info:
        load(data)
    problems = info.value.problems
    assert_problem(problems, "data/VERSION.yaml", "publishd", "clé inconnue")
    assert_problem(problems, f"data/{EXAMPLE}/rules.yaml", "rules[0].profile", "profil_fantome")
    assert_problem(problems, f"data/{EXAMPLE}/questionnaire.yaml", "questions[1].id", "double")
    message = str(info.value)
    assert f"Référentiel invalide ({len(problems)} problème(s))" in message
    assert f"data/{EXAMPLE}/rules.yaml : rules[0].profile" in message
