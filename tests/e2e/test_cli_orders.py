"""The newcomer's path of issue 3 through `python -m sons`, on a SQLite file of its own: import
a FINESS extract, the legal entities, the eligibility base, solutions and a spreadsheet of
orders; read every finding explained in French; fix an order and re-import; re-check; rebase;
verify the journal. And bad input: exit 2, every problem placed, nothing stored."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli_in_process import Finished, run_in_process

pytestmark = pytest.mark.e2e

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
SIRET = "88888888000018"


class Sons:
    """`sons …` against one SQLite file, as one user: in this process (`cli_in_process`), or
    through `python -m sons` with `real` (a few calls per test: start-up, encoding and exit
    codes as the shell sees them)."""

    def __init__(self, tmp_path: Path) -> None:
        self.database = tmp_path / "sons.sqlite3"
        self.variables: dict[str, str | None] = {
            "SONS_DATABASE_URL": f"sqlite:///{self.database}",
            "SONS_ACTOR": "alice@editeur.fr",
            "SONS_VENDOR": None,
        }
        self.cwd = tmp_path
        self.real_next = False

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str] | Finished:
        if not self.real_next:
            return run_in_process(*args, env={**self.variables, **env}, cwd=self.cwd)
        self.real_next = False
        variables = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
        for name, value in {**self.variables, **env}.items():
            if value is None:
                variables.pop(name, None)
            else:
                variables[name] = value
        return subprocess.run(
            [sys.executable, "-m", "sons", *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=variables,
            cwd=self.cwd,
            timeout=120,
            check=False,
        )

    @property
    def real(self) -> Sons:
        """The next call runs as a subprocess."""
        self.real_next = True
        return self

    def ok(self, *args: str, code: int = 0, **env: str) -> str:
        result = self(*args, **env)
        output = result.stdout + result.stderr
        assert result.returncode == code, output
        assert "Traceback" not in output
        return result.stdout

    def json(self, *args: str, code: int = 0) -> Any:
        return json.loads(self.ok(*args, "--json", code=code))

    def bad_input(self, *args: str, **env: str) -> str:
        result = self(*args, **env)
        output = result.stdout + result.stderr
        assert result.returncode == 2, output
        assert "Traceback" not in output
        return output

    def rows(self, table: str) -> int:
        with sqlite3.connect(self.database) as connection:
            return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def sons(tmp_path: Path) -> Sons:
    return Sons(tmp_path)


def fixed_orders(tmp_path: Path) -> Path:
    """commandes.csv where the second site of BC-DEMO-RAD-001 answers like the first."""
    lines = (EXAMPLES / "commandes.csv").read_text(encoding="utf-8").splitlines()
    second = lines[2].split(";")
    lines[2] = ";".join(second[:22] + lines[1].split(";")[22:])
    path = tmp_path / "commandes-corrigees.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_newcomer_path(sons: Sons, tmp_path: Path) -> None:
    out = sons.real.ok("vendor", "create", "--name", "Éditeur de démo", "--siret", SIRET)
    assert "Éditeur créé" in out and "SIREN 888888880" in out
    out = sons.ok("client", "import-finess", str(EXAMPLES / "finess-extrait.csv"))
    assert "14 établissement(s) enregistré(s)" in out
    out = sons.ok("client", "import-entities", str(EXAMPLES / "entites-juridiques.csv"))
    assert "10 entité(s) juridique(s)" in out
    assert "FINESS_KEY_NOT_CHECKED" in out  # the Corsican number: a warning, shown, not blocking
    assert "5 plafond(s)" in sons.ok("eligibility", "import", str(EXAMPLES / "eligibilite.csv"))
    assert "3 créé(s)" in sons.ok("solution", "import", str(EXAMPLES / "solutions.csv"))
    out = sons.ok("order", "import", str(EXAMPLES / "commandes.csv"))
    assert "3 bon(s) de commande (3 créé(s))" in out and "sons order check --all" in out

    clients = sons.json("client", "list", "--department", "69")
    assert clients["total"] == 2
    assert {c["status"] for c in clients["clients"]} == {"private"}

    # Every finding explained, in French, placed, with its source; exit 1 (errors found).
    out = sons.real.ok("order", "check", "--all", "--date", "2022-12-01", code=1)
    assert "ORDER_RAD_SINGLE_SCENARIO" in out and "un seul scénario d'installation" in out
    assert "SCENARIO_PROFILE_MISSING" in out
    assert "Le profil « Opérateur Mailiz » est requis car réponse" in out
    assert "sites[0].scenario" in out and "Source :" in out
    assert "Sans aucun constat (1) : BC-DEMO-DPI-001" in out
    assert "Résumé : 3 bon(s) contrôlé(s)" in out
    report = sons.json("order", "check", "--all", "--date", "2022-12-01", code=1)
    by_number = {o["number"]: [f["code"] for f in o["findings"]] for o in report["orders"]}
    assert by_number == {
        "BC-DEMO-DPI-001": [],
        "BC-DEMO-RAD-001": ["ORDER_RAD_SINGLE_SCENARIO"],
        "BC-DEMO-RAD-002": ["SCENARIO_PROFILE_MISSING"],
    }
    assert report["summary"]["with_errors"] == 2 and report["summary"]["orders"] == 3
    finding = report["orders"][1]["findings"][0]
    assert set(finding) == {"code", "severity", "message", "path", "rule", "source"}

    # Fix the spreadsheet, re-import it: only the fixed order changes; re-check.
    out = sons.ok("order", "import", str(fixed_orders(tmp_path)))
    assert "(1 modifié(s), 2 inchangé(s))" in out
    out = sons.ok("order", "check", "BC-DEMO-RAD-001", "--date", "2022-12-01")
    assert "Sans aucun constat (1) : BC-DEMO-RAD-001" in out
    shown = sons.json("order", "show", "BC-DEMO-RAD-001")
    assert shown["findings"] == [] and shown["version"] == 2
    assert [(h["action"], h["actor"]) for h in shown["history"]] == [
        ("create", "alice@editeur.fr"),
        ("update", "alice@editeur.fr"),
    ]
    out = sons.ok("order", "show", "BC-DEMO-RAD-002", code=1)
    assert "Plafond (base d'éligibilité)" in out and "9 500,50 € HT" in out
    assert "Historique (journal)" in out

    # The same file again changes nothing, and says so.
    journal_before = sons.rows("journal_entries")
    out = sons.ok("order", "import", str(EXAMPLES / "commandes.csv"))
    assert "déjà été importé" in out and "rien n'a été modifié" in out
    assert sons.rows("journal_entries") == journal_before

    # An order made under an older referential (as an older sons would have stored it).
    with sqlite3.connect(sons.database) as connection:
        connection.execute(
            "UPDATE purchase_orders SET referential_pin = '0.9.0+000000000000' "
            "WHERE number = 'BC-DEMO-DPI-001'"
        )
    out = sons.ok("order", "check", "BC-DEMO-DPI-001", "--date", "2022-12-01")
    assert "ORDER_REFERENTIAL_PIN_OUTDATED" in out and "sons order rebase BC-DEMO-DPI-001" in out
    out = sons.ok("order", "rebase", "BC-DEMO-DPI-001")
    assert "rattaché à la version" in out and "0.9.0+000000000000" in out
    assert "ne sont plus disponibles" in out
    history = sons.json("order", "show", "BC-DEMO-DPI-001")["history"]
    assert [h["action"] for h in history] == ["create", "rebase"]

    entries = sons.rows("journal_entries")
    assert f"Journal intègre : {entries} entrée(s) vérifiée(s)" in sons.ok("journal", "verify")


def test_bad_input_exits_2_lists_every_problem_and_stores_nothing(
    sons: Sons, tmp_path: Path
) -> None:
    sons.ok("vendor", "create", "--name", "Éditeur de démo", "--siret", SIRET)
    sons.ok("solution", "import", str(EXAMPLES / "solutions.csv"))
    orders = tmp_path / "commandes.csv"
    orders.write_text(
        "numero;date_signature;signataire;siret_fournisseur;numero_referencement;dispositif;"
        "client;type_client;prestation_ht;prestation_ttc;finess_et;dmp_direct;question_inventee\n"
        f"BC-1;15/03/2022;Dr A;{SIRET};REF-DEMO-RIS-001;RAD-RIS-Va1;690999206;EJ;1000,005;1200;"
        "690999214;Oui;\n"
        f"BC-2;2022-03-15;Dr B;{SIRET};REF-DEMO-RIS-001;RAD-XYZ-Va1;690999207;EJ;-10;1200;"
        "690999214;Oui;\n"
        f"BC-3;2022-03-15;Dr C;{SIRET};REF-INCONNUE;RAD-RIS-Va1;690999206;EJ;1000;1200;"
        "690999214;Oui;\n",
        encoding="utf-8",
    )
    journal = sons.rows("journal_entries")
    out = sons.real.bad_input("order", "import", str(orders))
    for placed in (
        "commandes.csv, ligne 1, colonne « question_inventee »",
        "commandes.csv, ligne 2, colonne « prestation_ht » : Montant « 1000,005 »",
        "commandes.csv, ligne 3, colonne « dispositif »",
        "commandes.csv, ligne 3, colonne « client »",
        "commandes.csv, ligne 3, colonne « prestation_ht »",
        "commandes.csv, ligne 4, colonne « numero_referencement »",
    ):
        assert placed in out, out
    for rule in (
        "[TABLE_COLUMN_UNKNOWN]",
        "[AMOUNT_TOO_MANY_DECIMALS]",
        "[DISPOSITIF_UNKNOWN]",
        "[FINESS_INVALID_KEY]",
        "[AMOUNT_NEGATIVE]",
        "[SOLUTION_UNKNOWN]",
    ):
        assert rule in out, out
    assert "fichier refusé : rien n'est enregistré" in out
    assert sons.rows("purchase_orders") == 0 and sons.rows("journal_entries") == journal
    data = sons.json("order", "import", str(orders), code=2)
    assert data["status"] == "refused" and data["report"]["errors"] == 6

    # A spreadsheet with merged cells, a file in UTF-16: refused, placed.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["numero", "date_signature"])
    sheet.append(["BC-1", "2022-03-15"])
    sheet.append(["", ""])
    sheet.merge_cells("A2:A3")
    book.save(tmp_path / "fusion.xlsx")
    out = sons.bad_input("order", "import", str(tmp_path / "fusion.xlsx"))
    assert "XLSX_MERGED_CELLS" in out and "A2:A3" in out
    utf16 = tmp_path / "extrait.csv"
    utf16.write_text("finess;etalab;111;2024-05-14\n", encoding="utf-16")
    assert "UTF-16" in sons.bad_input("client", "import-finess", str(utf16))
    assert sons.rows("establishments") == 0

    # Wrong options and unknown things: a French sentence, exit 2.
    assert "SIRET" in sons.bad_input("vendor", "create", "--name", "X", "--siret", "123")
    assert "--all" in sons.bad_input("order", "check")
    assert "BC-NULLE-PART" in sons.bad_input("order", "show", "BC-NULLE-PART")
    out = sons.bad_input("order", "list", SONS_VENDOR="55210055400013")
    assert "55210055400013" in out and SIRET in out
    sons.ok("vendor", "create", "--name", "Autre éditeur", "--siret", "55210055400013")
    out = sons.bad_input("solution", "list")
    assert "Plusieurs éditeurs" in out and "SONS_VENDOR" in out
    out = sons.bad_input(
        "order", "list", SONS_DATABASE_URL="postgresql+psycopg://personne@127.0.0.1:1/sons"
    )
    assert "Impossible d'ouvrir la base de données" in out
