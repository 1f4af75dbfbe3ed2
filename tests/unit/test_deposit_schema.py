"""The published JSON Schemas: committed as generated, valid, typed from the referential, and
in agreement with the checker's own validation (which does not use them, for speed)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from test_deposit_samples import deposit

from sons.formats.deposit.model import DepositKind
from sons.formats.deposit.schema import (
    EXPORT_HINT,
    deposit_families,
    deposit_schema,
    dispositifs_of,
    render,
    schema_file_name,
)
from sons.formats.deposit.specimen import specimen_deposit
from sons.formats.deposit.structure import validate_structure
from sons.referential.loader import default_referential

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_committed_schemas_are_exactly_the_generated_ones() -> None:
    referential = default_referential()
    expected = {
        schema_file_name(f): render(deposit_schema(referential, f))
        for f in deposit_families(referential)
    }
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.schema.json")}
    stale = sorted(set(committed) - set(expected))
    missing = sorted(set(expected) - set(committed))
    different = sorted(n for n in expected if n in committed and committed[n] != expected[n])
    assert not (stale or missing or different), (
        f"Les schémas de schemas/ ne correspondent plus au référentiel (manquants : {missing}, "
        f"périmés : {stale}, différents : {different}). Les régénérer : {EXPORT_HINT}"
    )


@pytest.mark.parametrize("family", deposit_families(default_referential()))
def test_each_schema_is_draft_2020_12_and_typed_per_dispositif(family: str) -> None:
    referential = default_referential()
    schema = deposit_schema(referential, family)
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["couloir"] == {
        "const": family,
        "description": "Couloir (famille de format de dépôt).",
    }
    codes = [d.code for d in dispositifs_of(referential, family)]
    assert schema["properties"]["dispositif"]["enum"] == codes
    assert len(schema["allOf"]) == len(codes)
    for dispositif in dispositifs_of(referential, family):
        block = schema["$defs"][f"Scenario_{dispositif.code}"]
        questions = dispositif.questionnaire.questions
        assert list(block["properties"]) == [q.id for q in questions]
        assert block["additionalProperties"] is False
        always = [q.id for q in questions if q.required and not (q.valid_from or q.valid_until)]
        assert block["required"] == always
        for question in questions:
            typed = block["properties"][question.id]
            if question.type == "choice":
                assert {c.value for c in question.choices or []} <= set(typed["enum"])
            else:
                kind = {"yes_no": "boolean", "text": "string", "integer": "integer"}
                assert kind[question.type] in json.dumps(typed["type"])


def test_an_unknown_family_is_refused() -> None:
    with pytest.raises(LookupError, match="Formats existants"):
        deposit_schema(default_referential(), "XYZ")


# --- agreement between the schema and the checker's validation -----------------------------

Mutation = Callable[[dict[str, Any]], None]


def _req(data: dict[str, Any], index: int = 0) -> dict[str, Any]:
    return data["demandes"][index]


def _scenario(data: dict[str, Any]) -> dict[str, Any]:
    return data["demandes"][0]["etablissements"][0]["scenario"]


MUTATIONS: dict[str, Mutation] = {
    "valide": lambda d: None,
    "champ inconnu racine": lambda d: d.update(extra=1),
    "version": lambda d: d.update(version_format="2.0"),
    "nature inconnue": lambda d: d.update(nature="acompte"),
    "couloir d'un autre format": lambda d: d.update(couloir="BIO"),
    "dispositif inconnu": lambda d: d.update(dispositif="RAD-XYZ-Va1"),
    "dispositif en minuscules": lambda d: d.update(dispositif=d["dispositif"].lower()),
    "date de création sans fuseau": lambda d: d.update(date_creation="2022-11-15T09:30:00"),
    "siret en nombre": lambda d: d["editeur"].update(siret=12345678901234),
    "siret trop court": lambda d: d["editeur"].update(siret="123"),
    "enrôlement vide": lambda d: d["editeur"].update(numero_enrolement=""),
    "raison sociale nulle": lambda d: d["editeur"].update(raison_sociale=None),
    "solution incomplète": lambda d: d["solution"].pop("version_technique"),
    "demandes vides": lambda d: d.update(demandes=[]),
    "demandes objet": lambda d: d.update(demandes={}),
    "identifiant avec espace": lambda d: _req(d).update(identifiant="DEM 1"),
    "date de signature impossible": lambda d: _req(d)["bon_de_commande"].update(
        date_signature="2022-02-30"
    ),
    "date de signature au format français": lambda d: _req(d)["bon_de_commande"].update(
        date_signature="03/10/2022"
    ),
    "client EJ et RPPS": lambda d: _req(d)["client"].update(rpps="10005173140"),
    "client sans identifiant": lambda d: _req(d)["client"].pop("finess_ej"),
    "client EJ nul et RPPS": lambda d: _req(d)["client"].update(finess_ej=None, rpps="10005173140"),
    "client RPPS seul": lambda d: _req(d)["client"].update(
        finess_ej=None, rpps="10005173140", es_pmsi=None
    ),
    "FINESS mal formé": lambda d: _req(d)["etablissements"][0].update(finess_et="75-000001"),
    "aucun site": lambda d: _req(d).update(etablissements=[]),
    "site sans scénario": lambda d: _req(d)["etablissements"][0].pop("scenario"),
    "scénario nul": lambda d: _req(d)["etablissements"][0].update(scenario=None),
    "scénario liste": lambda d: _req(d)["etablissements"][0].update(scenario=[]),
    "question inconnue": lambda d: _scenario(d).update(question_inventee=True),
    "réponse texte au lieu de booléen": lambda d: _scenario(d).update(dmp_direct="oui"),
    "réponse obligatoire manquante": lambda d: _scenario(d).pop("dmp_direct"),
    "réponse obligatoire nulle": lambda d: _scenario(d).update(dmp_direct=None),
    "réponse facultative nulle": lambda d: _scenario(d).update(mss_operator=None),
    "réponse facultative absente": lambda d: _scenario(d).pop("mss_operator"),
    "réponse texte en nombre": lambda d: _scenario(d).update(mss_operator=3),
    "montant en texte": lambda d: _req(d)["prestation"].update(montant_ht_centimes="100"),
    "montant décimal": lambda d: _req(d)["prestation"].update(montant_ht_centimes=10.5),
    "montant négatif": lambda d: _req(d)["prestation"].update(montant_ht_centimes=-1),
    "montant hors limites": lambda d: _req(d)["prestation"].update(montant_ttc_centimes=10**12 + 1),
    "montant booléen": lambda d: _req(d)["prestation"].update(montant_ttc_centimes=True),
    "indicateur inconnu": lambda d: _req(d).update(indicateurs={"inconnu": "Cas 1"}),
    "indicateurs nuls": lambda d: _req(d).update(indicateurs=None),
    "pièce de type inconnu": lambda d: _req(d)["pieces_jointes"][0].update(type="photo"),
    "empreinte courte": lambda d: _req(d)["pieces_jointes"][0].update(sha256="abc"),
    "taille négative": lambda d: _req(d)["pieces_jointes"][0].update(taille_octets=-1),
    "pièce sans nom": lambda d: _req(d)["pieces_jointes"][0].update(fichier=""),
    "preuve de flux inconnu": lambda d: _req(d).update(
        preuves=[{"flux": "fax", "voie": "direct", "piece": "MOM", "fichier": "a.pdf"}]
    ),
    "preuve valide": lambda d: _req(d).update(
        preuves=[{"flux": "dmp", "voie": "direct", "piece": "MOM", "fichier": "a.pdf"}]
    ),
    "preuve incomplète": lambda d: _req(d).update(
        preuves=[{"flux": "dmp", "voie": "direct", "piece": "MOM"}]
    ),
    "avance de référence sans identifiant": lambda d: _req(d).update(
        avance_de_reference={"prestation_ht_centimes": 1}
    ),
    "clé inconnue dans une demande": lambda d: _req(d).update(commentaire="x"),
}


def _agree(data: Any, family: str) -> tuple[bool, bool]:
    referential = default_referential()
    validator = Draft202012Validator(
        deposit_schema(referential, family), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    schema_valid = validator.is_valid(data)
    ours_valid = not validate_structure(data, referential)
    return schema_valid, ours_valid


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_schema_and_checker_agree_on_samples(name: str) -> None:
    data, _ = deposit()
    data = copy.deepcopy(data)
    MUTATIONS[name](data)
    schema_valid, ours_valid = _agree(data, "RAD")
    assert schema_valid == ours_valid, (
        f"« {name} » : schéma {'valide' if schema_valid else 'invalide'}, contrôle "
        f"{'valide' if ours_valid else 'invalide'}"
    )


def test_the_samples_cover_both_outcomes() -> None:
    outcomes = set()
    for mutation in MUTATIONS.values():
        data, _ = deposit()
        data = copy.deepcopy(data)
        mutation(data)
        outcomes.add(_agree(data, "RAD")[0])
    assert outcomes == {True, False}


@pytest.mark.parametrize("code", sorted(d.code for d in default_referential().dispositifs.values()))
def test_schema_and_checker_agree_on_a_specimen_of_every_dispositif(code: str) -> None:
    referential = default_referential()
    family = referential.get(code).identity.deposit_family.value
    data = specimen_deposit(referential, code, DepositKind.BALANCE, 3).deposit.to_file()
    assert _agree(data, family) == (True, True)
    scenario = data["demandes"][0]["etablissements"][0]["scenario"]
    for qid, value in list(scenario.items()):  # each answer of the wrong type, one at a time
        scenario[qid] = "12345" if isinstance(value, int) else 12345
        assert _agree(data, family) == (False, False), qid
        scenario[qid] = value
    scenario["question_inventee"] = True
    assert _agree(data, family) == (False, False)


def test_known_divergence_whole_floats() -> None:
    # JSON Schema's « integer » accepts 1000.0 (same number in its data model); the checker
    # refuses it: amounts are written as integers. Documented in docs/simulateur-depot.md.
    data, _ = deposit()
    _req(data)["prestation"]["montant_ht_centimes"] = 1_000_000.0
    assert _agree(data, "RAD") == (True, False)
