"""A small, complete data set written to a temporary folder, for tests that need a shape the
real data does not have (exceptions that disagree, several dated values, unknown values…)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import yaml

CODE = "TST-ABC-Va1"

FILES: dict[str, Any] = {
    "VERSION.yaml": {"version": "0.1.0", "published": dt.date(2024, 1, 1)},
    "sources.yaml": {
        "sources": [
            {"id": "seed", "kind": "webinaire", "title": "Webinaire d'essai"},
            {"id": "sons_reading", "kind": "autre", "title": "Lecture de l'équipe sons"},
        ]
    },
    "common/parameters.yaml": {
        "parameters": {
            "vat_rate": {
                "label": "Taux de TVA",
                "kind": "percent",
                "values": {
                    dt.date(2021, 1, 1): {
                        "value": 20,
                        "strength": "seed",
                        "reference": {"source": "seed", "section": "TVA"},
                    }
                },
            }
        }
    },
    "dispositifs/tst-abc-va1/dispositif.yaml": {
        "code": CODE,
        "label": "Essai — logiciel ABC, vague 1",
        "couloir": "HOP",
        "software_type": "ABC",
        "wave": 1,
        "deposit_family": "HOP",
        "strength": "seed",
        "reference": {"source": "seed", "section": "Diapositive 1"},
        "sources": [
            {
                "id": "af",
                "kind": "AF",
                "title": "Appel à financement d'essai",
                "url": "https://example.org/af-essai.pdf",
            }
        ],
    },
    "dispositifs/tst-abc-va1/profiles.yaml": {
        "profiles": [
            {
                "id": "general",
                "label": "Général",
                "mandatory": True,
                "strength": "seed",
                "reference": {"source": "seed", "section": "Profils"},
            },
            {
                "id": "extra",
                "label": "Profil <b>supplémentaire</b> & co",
                "mandatory": False,
                "trigger": "Quand la base s'applique.",
                "strength": "inferred",
            },
        ]
    },
    "dispositifs/tst-abc-va1/questionnaire.yaml": {
        "questions": [
            {
                "id": "q_base",
                "label": "La règle de base s'applique-t-elle ?",
                "type": "yes_no",
                "strength": "seed",
                "reference": {"source": "seed", "section": "Questionnaire"},
            },
            {"id": "q_off", "label": "Dispense ?", "type": "yes_no", "strength": "inferred"},
            {"id": "q_on", "label": "Obligation ?", "type": "yes_no", "strength": "inferred"},
        ]
    },
    "dispositifs/tst-abc-va1/rules.yaml": {
        "rules": [
            {
                "id": "base_requires_extra",
                "profile": "extra",
                "when": {"op": "equals", "question": "q_base", "value": True},
                "strength": "draft",
                "reference": {"source": "af", "section": "§3.2"},
                "exceptions": [
                    {
                        "id": "dispense",
                        "when": {"op": "equals", "question": "q_off", "value": True},
                        "required": False,
                        "because": "dispense prévue par l'AF",
                        "strength": "draft",
                        "reference": {"source": "af", "section": "§3.3"},
                    },
                    {
                        "id": "obligation",
                        "when": {"op": "equals", "question": "q_on", "value": True},
                        "required": True,
                        "because": "obligation prévue par l'AF",
                        "strength": "inferred",
                    },
                ],
            }
        ]
    },
    "dispositifs/tst-abc-va1/balance.yaml": {
        "balance_conditions": [
            {
                "id": "dmp_direct",
                "flow": "dmp",
                "route": "direct",
                "condition": "Envoi de documents au DMP",
                "threshold": None,
                "ins_qualified": None,
                "evidence": "MOM",
                "evidence_label": "MOM Fournisseur",
                "controls": [{"kind": "presence", "label": "Présence de la MOM"}],
                "field_strengths": {"threshold": "unknown"},
                "strength": "draft",
                "reference": {"source": "af", "section": "§6.2"},
            }
        ],
        "balance_requirements": [
            {
                "id": "rapport_de_test",
                "label": "Rapport de test",
                "valid_until": dt.date(2023, 4, 6),
                "strength": "draft",
                "reference": {"source": "af", "section": "§6.3"},
            }
        ],
        "indicators": [
            {
                "id": "deploiement",
                "label": "Déploiement",
                "kinds": ["solde"],
                "values": ["Cas 1", "Cas 2"],
                "valid_from": dt.date(2024, 9, 12),
                "strength": "draft",
                "reference": {"source": "af", "section": "§6.4"},
            }
        ],
    },
    "dispositifs/tst-abc-va1/parameters.yaml": {
        "parameters": {
            "order_deadline": {
                "label": "Date limite de signature des bons de commande",
                "kind": "date",
                "values": {
                    dt.date(2021, 1, 1): {
                        "value": dt.date(2022, 11, 30),
                        "strength": "draft",
                        "reference": {"source": "af", "section": "Calendrier initial"},
                    },
                    dt.date(2022, 6, 1): {
                        "value": dt.date(2022, 12, 31),
                        "strength": "draft",
                        "reference": {"source": "af", "section": "Calendrier prolongé"},
                    },
                },
                "last_value_still_valid_on": dt.date(2022, 12, 31),
            },
            "advance_rate": {
                "label": "Part versée en avance (%)",
                "kind": "percent",
                "values": {dt.date(2021, 1, 1): {"strength": "unknown"}},
            },
        }
    },
}


def write_tiny_referential(root: Path, changes: dict[str, Any] | None = None) -> Path:
    """Write the data set under `root/data` (with `changes`: file → replacement content)."""
    data = root / "data"
    files = copy.deepcopy(FILES)
    files.update(changes or {})
    for rel, content in files.items():
        path = data / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.safe_dump(content, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    return data
