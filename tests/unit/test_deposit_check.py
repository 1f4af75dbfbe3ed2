"""The deposit simulator as a whole: specimens of every dispositif pass, the report's shape,
the file field names kept in one module, and memory that stays proportional to the file."""

from __future__ import annotations

import ast
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from test_deposit_samples import deposit, run

from sons.formats.deposit import mapping
from sons.formats.deposit.check import check_deposit
from sons.formats.deposit.model import AttachmentType, DepositKind
from sons.formats.deposit.specimen import specimen_deposit
from sons.referential.loader import default_referential

SOURCES = Path(__file__).resolve().parents[2] / "src" / "sons"
CASES = [
    (d.code, kind)
    for d in sorted(default_referential().dispositifs.values(), key=lambda d: d.code)
    for kind in DepositKind
]


@pytest.mark.parametrize(("code", "kind"), CASES, ids=[f"{c}-{k.value}" for c, k in CASES])
def test_a_specimen_of_every_dispositif_and_kind_passes(
    tmp_path: Path, code: str, kind: DepositKind
) -> None:
    referential = default_referential()
    specimen = specimen_deposit(referential, code, kind, 4, document=lambda n: n.encode())
    path = tmp_path / "depot.json"
    path.write_bytes(orjson.dumps(specimen.deposit.to_file()))
    today = specimen.deposit.created_at.date()
    report = check_deposit(path, None, referential, today)
    errors = [(f.code, f.path, f.message) for f in report.findings if f.severity.value == "error"]
    assert not errors
    assert len(report.requests) == 4


def test_the_json_report_has_the_explain_shape(tmp_path: Path) -> None:
    data, _ = deposit()
    data["demandes"][0]["prestation"]["montant_ttc_centimes"] = 1
    report = run(tmp_path, data)
    payload = json.loads(json.dumps(report.as_dict()))
    assert payload["summary"]["errors"] == 1
    finding = next(f for f in payload["findings"] if f["severity"] == "error")
    assert {"code", "severity", "message", "path"} <= set(finding)
    assert finding["code"] == "DEPOSIT_TTC_INCONSISTENT"
    first = payload["requests"][0]
    assert (first["id"], first["errors"], first["codes"]) == (
        "DEM-001",
        1,
        ["DEPOSIT_TTC_INCONSISTENT"],
    )
    assert report.exit_code == 1


def test_an_unreadable_file_reports_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "depot.json"
    path.write_bytes(b'{"version_format": "1.0", ')
    report = check_deposit(path, None, default_referential(), dt.date(2024, 1, 1))
    assert (report.readable, report.exit_code) == (False, 2)
    assert [f.code for f in report.findings] == ["DEPOSIT_JSON_TRUNCATED"]


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def test_file_field_names_are_spelled_only_in_the_mapping() -> None:
    # Names that differ from the model's attribute: seeing one elsewhere means a module
    # reads the file by its names and would break with another template.
    renamed = {name for attr, name in mapping.FILE_NAMES.items() if name != attr}
    renamed -= {t.value for t in AttachmentType}  # « bon_de_commande » is also a value
    modules = [
        *(SOURCES / "formats" / "deposit").glob("*.py"),
        SOURCES / "entrypoints" / "cli" / "deposit.py",
        SOURCES / "entrypoints" / "cli" / "schema.py",
    ]
    offenders = {
        p.name: sorted(renamed & _string_literals(p)) for p in modules if p.name != "mapping.py"
    }
    assert not any(offenders.values()), offenders


def test_another_template_needs_only_the_mapping(tmp_path: Path) -> None:
    data, _ = deposit()
    data["requetes"] = data.pop("demandes")
    for request in data["requetes"]:
        request["prestation"]["ht"] = request["prestation"].pop("montant_ht_centimes")
    data["requetes"][1]["prestation"]["ht"] = "cher"
    path = tmp_path / "autre-gabarit.json"
    path.write_bytes(orjson.dumps(data))
    program = f"""
import datetime as dt, json
from pathlib import Path
from sons.formats.deposit import mapping
mapping.FILE_NAMES.update(requests="requetes", ht_cents="ht")
from sons.formats.deposit.check import check_deposit
from sons.referential.loader import default_referential
report = check_deposit(Path({str(path)!r}), None, default_referential(), dt.date(2022, 11, 16))
print(json.dumps([[f.code, f.path] for f in report.findings if f.severity.value == "error"]))
"""
    completed = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert json.loads(completed.stdout) == [["DEPOSIT_FIELD_TYPE", "$.requetes[1].prestation.ht"]]


_MEASURE = """
import datetime as dt, json, sys
from pathlib import Path
from sons.formats.deposit.check import check_deposit
from sons.referential.loader import default_referential

def high_water_kb():
    # VmHWM belongs to this process's memory map: unlike getrusage's maxrss, it does not
    # inherit the peak of the (large) pytest process this one was started from.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

referential = default_referential()
before = high_water_kb()
report = check_deposit(Path(sys.argv[1]), None, referential, dt.date(2023, 12, 1))
print(json.dumps([before, high_water_kb(), report.exit_code]))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="mesure Linux (/proc)")
def test_peak_memory_stays_within_8_times_the_file(tmp_path: Path) -> None:
    referential = default_referential()
    specimen = specimen_deposit(referential, "RAD-RIS-Va1", DepositKind.BALANCE, 3000)
    path = tmp_path / "depot.json"
    path.write_bytes(orjson.dumps(specimen.deposit.to_file()))
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, check=True
    )
    before, after, exit_code = json.loads(completed.stdout)
    size = path.stat().st_size
    assert exit_code == 0
    # Reading, parsing and checking: the peak added to the loaded program.
    assert (after - before) * 1024 <= 8 * size, (before, after, size)


def test_every_finding_code_is_documented() -> None:
    documented = (SOURCES.parents[1] / "docs" / "simulateur-depot.md").read_text(encoding="utf-8")
    emitted = set()
    for module in (SOURCES / "formats" / "deposit").glob("*.py"):
        emitted |= {
            text
            for text in _string_literals(module)
            if text.startswith(("DEPOSIT_", "SCENARIO_")) and text.isupper()
        }
    assert len(emitted) > 60
    missing = sorted(code for code in emitted if f"`{code}`" not in documented)
    assert not missing, f"codes absents de docs/simulateur-depot.md : {missing}"
