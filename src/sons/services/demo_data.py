"""The demo's data set, made by code: a vendor, its three solutions, a small FINESS extract, the
legal entities, an eligibility base and about 80 orders across three dispositifs.

Deterministic (no randomness, no clock) and fictional (« DE DÉMO » names, made-up numbers with
valid keys, made-up ceilings). Written as the very files a vendor would import — so the demo
goes through the real imports, and the reader can replay them with the CLI. A few orders carry
the mistakes real files have, each on purpose and listed in `DEFECTS`.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sons.domain.identifiers import luhn_check_digit
from sons.domain.money import ttc_from_ht
from sons.formats.orders import SITE_COLUMN, TABLE_ORDER_COLUMNS
from sons.formats.synthetic_finess import siret_number, structureet_fields, write_extract
from sons.referential.loader import Referential

VENDOR_NAME = "Éditeur Démo Santé Numérique"
VENDOR_SIRET = siret_number(31_415_926)
DEMO_TODAY = dt.date(2022, 12, 15)

# The synthetic extract gives each département (94 of them) one legal entity with three sites.
_DEPARTMENTS = 94
ESTABLISHMENTS = 3 * _DEPARTMENTS

RIS, DPI, LGC = "RAD-RIS-Va1", "HOP-DPI-Va1", "MDV-LGC-Va1"
# Three solutions with different profiles: what each obtained decides which scenarios it covers.
SOLUTIONS: tuple[dict[str, str], ...] = (
    {
        "nom": "RIS DÉMO",
        "version": "5.2",
        "numero_referencement": "REF-DEMO-RIS-001",
        "dispositif": RIS,
        "profils": "Général;Opérateur Mailiz;Référentiel d'identités",
        "date_referencement": "2022-02-15",
    },
    {
        "nom": "DPI DÉMO",
        "version": "2022.1",
        "numero_referencement": "REF-DEMO-DPI-001",
        "dispositif": DPI,
        "profils": "Général;Client Web DPI",
        "date_referencement": "2022-01-10",
    },
    {
        "nom": "LGC DÉMO",
        "version": "8.1",
        "numero_referencement": "REF-DEMO-LGC-001",
        "dispositif": LGC,
        "profils": "Général;Médecin traitant;Opérateur Mailiz",
        "date_referencement": "2022-04-01",
    },
)
_SOLUTION_OF = {s["dispositif"]: s["numero_referencement"] for s in SOLUTIONS}

# Order number → the mistake it carries (and the finding code the checks must give it).
DEFECTS: dict[str, tuple[str, str]] = {
    "BC-RIS-004": (
        "client en SCM sans le profil « RPPS-Rang » de la solution",
        "SCENARIO_PROFILE_MISSING",
    ),
    "BC-RIS-008": ("signé après la date limite du 30 novembre 2022", "ORDER_AFTER_DEADLINE"),
    "BC-RIS-012": ("Prestation au-dessus du plafond du client", "AMOUNT_ABOVE_CEILING"),
    "BC-RIS-016": ("montant TTC qui ne suit pas le HT", "AMOUNT_TTC_INCONSISTENT"),
    "BC-RIS-022": ("deux sites aux scénarios différents", "ORDER_RAD_SINGLE_SCENARIO"),
    "BC-RIS-024": ("DMP en direct et via une PFI à la fois", "SCENARIO_ALTERNATIVES_CONFLICT"),
    "BC-DPI-005": ("même client qu'un autre bon DPI", "ORDER_DUPLICATE_PRESTATION"),
    "BC-DPI-010": (
        "boîtes MSS facturées au titre du Ségur",
        "ORDER_LINE_NOT_FUNDED_BILLED_AS_SEGUR",
    ),
    "BC-DPI-015": (
        "signé avant le référencement sans la mention",
        "ORDER_REFERENCING_MENTION_MISSING",
    ),
    "BC-DPI-020": (
        "Prestation différente de la somme des lignes",
        "AMOUNT_PRESTATION_LINES_MISMATCH",
    ),
    "BC-DPI-023": ("site d'une autre entité juridique", "ORDER_SITE_OUTSIDE_CLIENT"),
    "BC-LGC-006": ("copies de titres d'identité sans le profil", "SCENARIO_PROFILE_MISSING"),
    "BC-LGC-011": ("référentiel d'identités sans le profil", "SCENARIO_PROFILE_MISSING"),
    "BC-LGC-016": ("cabinet absent de la base d'éligibilité", "CEILING_UNKNOWN"),
}


@dataclass(frozen=True)
class DemoFiles:
    finess: Path
    legal_entities: Path
    eligibility: Path
    solutions: Path
    orders: Path


def _site(index: int) -> tuple[str, str]:
    """(FINESS ET, FINESS EJ) of the `index`-th establishment of the synthetic extract."""
    fields = structureet_fields(index)
    return fields[0], fields[1]


def _entity(department: int) -> tuple[str, list[str]]:
    """The legal entity of the `department`-th département and its three sites."""
    sites = [_site(department + _DEPARTMENTS * k)[0] for k in range(3)]
    return _site(department)[1], sites


def _is_public(department: int) -> bool:
    return department % 3 != 0


def _euros(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}"


def _yes_no(value: bool) -> str:
    return "Oui" if value else "Non"


def _rpps(serial: int) -> str:
    body = f"1000{serial:06d}"
    return body + luhn_check_digit(body)


# --- the files ------------------------------------------------------------------------------


def _legal_entities_rows() -> Iterator[list[str]]:
    yield ["finess_ej", "raison_sociale", "siren", "statut"]
    for department in range(_DEPARTMENTS):
        ej, _ = _entity(department)
        public = _is_public(department)
        name = (
            f"CENTRE HOSPITALIER DE DÉMO {department + 1:02d}"
            if public
            else f"GROUPE PRIVÉ DE DÉMO {department + 1:02d}"
        )
        siren = siret_number(20_000_000 + department)[:9]
        yield [ej, name, siren, "public" if public else "prive"]


# Ceilings HT in cents, made up: per ES-PMSI (the EJ of a public entity, each ET of a private
# one, the practice of a physician). Départements from 80 on have none: « non renseigné ».
_CEILINGS = {
    RIS: {"public": 3_000_000, "site": 1_500_000},
    DPI: {"public": 30_000_000, "site": 20_000_000},
    LGC: {"site": 600_000},
}
_NO_CEILING_FROM = 80


def _eligibility_rows() -> Iterator[list[str]]:
    yield ["finess", "dispositif", "plafond_ht"]
    for department in range(_NO_CEILING_FROM):
        ej, sites = _entity(department)
        for dispositif in (RIS, DPI):
            if _is_public(department):
                yield [ej, dispositif, _euros(_CEILINGS[dispositif]["public"])]
            else:
                for site in sites:
                    yield [site, dispositif, _euros(_CEILINGS[dispositif]["site"])]
        for site in sites:
            yield [site, LGC, _euros(_CEILINGS[LGC]["site"])]


@dataclass
class _Order:
    number: str
    dispositif: str
    client: str
    client_kind: str
    signed_on: dt.date
    sites: list[tuple[str, dict[str, Any]]]
    lines: dict[str, int]
    signatory: str = "Direction de l'établissement"
    not_funded: tuple[int, str, str, bool] | None = None  # amount, label, nature, billed Ségur
    ht_override: int | None = None
    ttc_shift: int = 0
    under_condition: bool = False


_RIS_ANSWERS: dict[str, Any] = {
    "identity_referential": True,
    "hospital_environment": False,
    "mss_operator": "Mailiz",
    "client_is_scm": False,
    "prosante_connect": False,
    "identity_slave": False,
    "dmp_direct": True,
    "dmp_via_pfi": False,
    "mss_pro_direct": True,
    "mss_pro_via_pfi": False,
    "mss_patient_direct": True,
    "mss_patient_via_pfi": False,
}
_DPI_ANSWERS: dict[str, Any] = {
    "pfi_dmp_independent": False,
    "pfi_mss_pro_independent": False,
    "pfi_mss_patient_independent": True,
    "prosante_connect": True,
}
_LGC_ANSWERS: dict[str, Any] = {
    "identity_referential": False,
    "mss_operator": "Mailiz",
    "client_is_health_centre": False,
    "attending_physician": True,
    "id_document_copies": False,
}


def _ris_orders() -> Iterator[_Order]:
    for index in range(30):
        number = f"BC-RIS-{index + 1:03d}"
        ej, sites = _entity(index)
        answers = dict(_RIS_ANSWERS)
        lines = {
            "licence_ht": 400_000,
            "installation_ht": 300_000,
            "maintenance_ht": 150_000,
            "projet_ht": 100_000,
            "formation_ht": 50_000,
        }
        order = _Order(
            number,
            RIS,
            ej,
            "EJ",
            dt.date(2022, 3, 1) + dt.timedelta(days=7 * index),
            [(site, answers) for site in sites[: 1 if _is_public(index) else 2]],
            lines,
        )
        if number == "BC-RIS-004":
            order.sites = [(s, {**a, "client_is_scm": True}) for s, a in order.sites]
        elif number == "BC-RIS-008":
            order.signed_on = dt.date(2022, 12, 5)
        elif number == "BC-RIS-012":
            order.lines = {**lines, "licence_ht": 4_000_000}
        elif number == "BC-RIS-016":
            order.ttc_shift = 150
        elif number == "BC-RIS-022":
            first, second = order.sites
            order.sites = [first, (second[0], {**second[1], "identity_referential": False})]
        elif number == "BC-RIS-024":
            order.sites = [(s, {**a, "dmp_via_pfi": True}) for s, a in order.sites]
        yield order


def _dpi_orders() -> Iterator[_Order]:
    for index in range(25):
        number = f"BC-DPI-{index + 1:03d}"
        department = 30 + index
        ej, sites = _entity(department)
        if number == "BC-DPI-005":
            ej, sites = _entity(department - 1)  # the client of BC-DPI-004, ordered again
        lines = {
            "licence_ht": 8_000_000,
            "installation_ht": 6_000_000,
            "maintenance_ht": 3_000_000,
            "certificat_ht": 1_000_000,
            "projet_ht": 1_000_000,
            "formation_ht": 1_000_000,
        }
        order = _Order(
            number,
            DPI,
            ej,
            "EJ",
            dt.date(2022, 2, 1) + dt.timedelta(days=9 * index),
            [(site, dict(_DPI_ANSWERS)) for site in sites[: 1 + index % 3]],
            lines,
            not_funded=(120_000, "Boîtes aux lettres MSS (20)", "boites_mss", False),
        )
        if number == "BC-DPI-010":
            order.not_funded = (120_000, "Boîtes aux lettres MSS (20)", "boites_mss", True)
        elif number == "BC-DPI-015":
            order.signed_on = dt.date(2021, 12, 1)
        elif number == "BC-DPI-020":
            order.ht_override = 19_500_000
        elif number == "BC-DPI-023":
            order.sites = [*order.sites, (_entity(department + 1)[1][0], dict(_DPI_ANSWERS))]
        yield order


def _lgc_orders() -> Iterator[_Order]:
    for index in range(25):
        number = f"BC-LGC-{index + 1:03d}"
        department = 55 + index
        if number == "BC-LGC-016":
            department = _NO_CEILING_FROM + 5
        practice = _entity(department)[1][2]
        answers = dict(_LGC_ANSWERS)
        if number == "BC-LGC-006":
            answers["id_document_copies"] = True
        elif number == "BC-LGC-011":
            answers["identity_referential"] = True
        yield _Order(
            number,
            LGC,
            _rpps(index + 1),
            "RPPS",
            dt.date(2022, 5, 2) + dt.timedelta(days=6 * index),
            [(practice, answers)],
            {"licence_ht": 250_000, "installation_ht": 100_000, "formation_ht": 50_000},
            signatory=f"Dr Médecin de démo n° {index + 1}",
        )


def demo_orders() -> list[_Order]:
    return [*_ris_orders(), *_dpi_orders(), *_lgc_orders()]


def _order_rows(referential: Referential) -> Iterator[list[str]]:
    orders = demo_orders()
    questions: list[str] = []
    for code in (RIS, DPI, LGC):
        for question in referential.at(code, DEMO_TODAY).questions:
            if question.id not in questions:
                questions.append(question.id)
    header = [*TABLE_ORDER_COLUMNS, SITE_COLUMN, *questions]
    yield header
    for order in orders:
        vat = Decimal(str(referential.common_parameter("vat_rate", order.signed_on).require()))
        ht = order.ht_override or sum(order.lines.values())
        values = {
            "numero": order.number,
            "date_signature": order.signed_on.isoformat(),
            "signataire": order.signatory,
            "siret_fournisseur": VENDOR_SIRET,
            "numero_referencement": _SOLUTION_OF[order.dispositif],
            "dispositif": order.dispositif,
            "client": order.client,
            "type_client": order.client_kind,
            "prestation_ht": _euros(ht),
            "prestation_ttc": _euros(ttc_from_ht(ht, vat) + order.ttc_shift),
            "sous_condition_referencement": _yes_no(order.under_condition),
            **{column: _euros(cents) for column, cents in order.lines.items()},
        }
        if order.not_funded is not None:
            amount, label, nature, billed = order.not_funded
            values.update(
                hors_segur_ht=_euros(amount),
                hors_segur_libelle=label,
                hors_segur_nature=nature,
                hors_segur_facture_segur=_yes_no(billed),
            )
        for finess, answers in order.sites:
            row = {**values, SITE_COLUMN: finess}
            for qid, answer in answers.items():
                row[qid] = _yes_no(answer) if isinstance(answer, bool) else str(answer)
            yield [row.get(column, "") for column in header]


def _write(path: Path, rows: Iterator[list[str]] | list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, delimiter=";", lineterminator="\n").writerows(rows)
    return path


def write_demo_files(folder: Path, referential: Referential) -> DemoFiles:
    """Write the demo's files to `folder` (created if needed); the same bytes at every run."""
    folder.mkdir(parents=True, exist_ok=True)
    solutions = [list(SOLUTIONS[0]), *(list(s.values()) for s in SOLUTIONS)]
    return DemoFiles(
        finess=write_extract(folder / "finess-extrait.csv", ESTABLISHMENTS),
        legal_entities=_write(folder / "entites-juridiques.csv", _legal_entities_rows()),
        eligibility=_write(folder / "eligibilite.csv", _eligibility_rows()),
        solutions=_write(folder / "solutions.csv", solutions),
        orders=_write(folder / "commandes.csv", _order_rows(referential)),
    )
