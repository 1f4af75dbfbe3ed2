"""`sons demo` walks through the referential and leaves its documents in demo-output/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_demo_walks_through_the_referential(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "sons", "demo"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for step in (
        "1. Les dispositifs du référentiel",
        "2. Un dispositif : RAD-RIS-Va1 au 2022-05-01",
        "3. Un scénario expliqué",
        "4. Le règlement annoté",
    ):
        assert step in out
    # The scenario lacks one profile: the finding and its reason are shown.
    assert "SCENARIO_PROFILE_MISSING" in out
    assert "Référentiel d'identités" in out
    output = tmp_path / "demo-output"
    page = (output / "reglement-annote-rad-ris-va1.html").read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="fr">')
    text = (output / "reglement-annote-rad-ris-va1.md").read_text(encoding="utf-8")
    assert text.startswith("# Règlement annoté — RAD-RIS-Va1")
    # The answers are left for the reader to replay the explanation.
    answers = json.loads((output / "reponses-rad-ris-va1.json").read_text(encoding="utf-8"))
    assert answers["identity_referential"] is True
