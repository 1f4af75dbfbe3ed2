"""What the tests of the order editor and the client questionnaire share: a directory imported
from the documentation's example files, a solution per vendor, and an order form as posted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from web_fixtures import OTHER_SIRET, VENDOR_SIRET

from sons.domain.orders import Solution
from sons.services.directory import import_finess, import_legal_entities
from sons.store.unit_of_work import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SOLUTION_A = "REF-A-RIS"
SOLUTION_B = "REF-B-RIS"
CLIENT_EJ = "690999206"  # SELARL IMAGERIE DE DÉMO (private), two sites in the example extract
SITE_1 = "690999214"
SITE_2 = "690999222"
# A scenario of RAD-RIS-Va1 whose « référentiel d'identité » answer requires a profile the
# vendor's solution lacks (SCENARIO_PROFILE_MISSING); answering « non » lifts it.
ANSWERS = {
    "identity_referential": "oui",
    "hospital_environment": "non",
    "mss_operator": "Mailiz",
    "client_is_scm": "non",
    "prosante_connect": "non",
    "identity_slave": "non",
    "dmp_direct": "oui",
    "dmp_via_pfi": "non",
    "mss_pro_direct": "non",
    "mss_pro_via_pfi": "non",
    "mss_patient_direct": "oui",
    "mss_patient_via_pfi": "non",
}


def seed(engine: Engine) -> None:
    """The example directory, and one RAD-RIS-Va1 solution for each of the two vendors."""
    for outcome in (
        import_finess(engine, EXAMPLES / "finess-extrait.csv", actor="tests"),
        import_legal_entities(engine, EXAMPLES / "entites-juridiques.csv", actor="tests"),
    ):
        assert not outcome.refused, outcome.message()
    with UnitOfWork(engine, "tests") as uow:
        for siret, reference in ((VENDOR_SIRET, SOLUTION_A), (OTHER_SIRET, SOLUTION_B)):
            uow.solutions.save(
                uow.vendors.require_id(siret),
                Solution(
                    f"RIS {reference}",
                    "5.2",
                    reference,
                    "RAD-RIS-Va1",
                    frozenset({"general", "operateur_mailiz"}),
                    dt.date(2022, 2, 15),
                ),
            )


def order_form(csrf: str, *, number: str = "BC-1", **overrides: str) -> dict[str, Any]:
    """The editor's fields for a new order of vendor A with one site, answered."""
    fields: dict[str, Any] = {
        "csrf_token": csrf,
        "numero": number,
        "dispositif": "RAD-RIS-Va1",
        "numero_referencement": SOLUTION_A,
        "type_client": "legal_entity",
        "client": CLIENT_EJ,
        "date_signature": "2022-03-15",
        "signataire": "Dr Claire Martin, gérante",
        "prestation_ht": "12 000,00",
        "prestation_ttc": "14 400,00",
        "ligne-0.libelle": "Licence",
        "ligne-0.montant_ht": "12 000,00",
        "ligne-0.nature": "licence",
        "site-0.finess_et": SITE_1,
        **{f"site-0.q.{qid}": value for qid, value in ANSWERS.items()},
        "action": "enregistrer",
    }
    fields.update(overrides)
    return fields
