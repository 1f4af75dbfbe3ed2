"""Test-suite plugins: the YAML cases collector and the database fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from sons.domain.checks.cases import OrderCase, run_order_case
from sons.referential.cases import ScenarioCase, run_scenario_case
from sons.referential.loader import default_referential
from sons.schema_errors import french_errors

CASES_DIR = Path(__file__).parent / "referential" / "cases"

# kind → (model, runner). Each runner returns the list of mismatches, empty when the case holds.
CASE_KINDS: dict[str, tuple[type[BaseModel], Callable[[Any], list[str]]]] = {
    "scenario": (ScenarioCase, lambda case: run_scenario_case(case, default_referential())),
    "order": (OrderCase, lambda case: run_order_case(case, default_referential())),
}


class CaseError(Exception):
    pass


class YamlCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        raw = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list):
            raise CaseError(f"{self.path.name} : une clé « cases » (liste) est attendue")
        for index, item in enumerate(raw["cases"]):
            name = item.get("name", f"cas {index}") if isinstance(item, dict) else f"cas {index}"
            yield YamlCase.from_parent(self, name=str(name), raw=item, index=index)


class YamlCase(pytest.Item):
    def __init__(self, *, raw: Any, index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.raw = raw
        self.index = index

    def runtest(self) -> None:
        where = f"{self.path.name}, cases[{self.index}]"
        kind = self.raw.get("kind", "scenario") if isinstance(self.raw, dict) else None
        if kind not in CASE_KINDS:
            raise CaseError(f"{where} : type de cas « {kind} » inconnu ({', '.join(CASE_KINDS)})")
        model, runner = CASE_KINDS[kind]
        try:
            case = model.model_validate(self.raw)
        except ValidationError as exc:
            listed = "; ".join(f"{key} : {msg}" for key, msg in french_errors(exc))
            raise CaseError(f"{where} : cas mal formé — {listed}") from None
        problems = runner(case)
        if problems:
            raise CaseError(f"{where} « {self.name} » :\n" + "\n".join(problems))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        if isinstance(excinfo.value, CaseError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.index, f"cas : {self.name}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.File | None:
    if file_path.suffix == ".yaml" and file_path.parent == CASES_DIR:
        return YamlCaseFile.from_parent(parent, path=file_path)
    return None
