"""Synthetic FINESS extracts in the etalab layout: for the benchmark, the tests and the demo.

Every number is well-formed and carries a valid key (FINESS ET/EJ and SIRET by Luhn), names are
fictional (« CENTRE HOSPITALIER DE DÉMO 00042 »), and the file is written line by line so that a
100,000-line extract costs no memory to produce.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sons.domain.identifiers import luhn_check_digit
from sons.formats.finess import STRUCTUREET_COLUMNS

_DEPARTMENTS = tuple(f"{n:02d}" for n in range(1, 96) if n != 20)
# Category codes and labels as they appear in real extracts.
_CATEGORIES = (
    ("355", "Centre Hospitalier (C.H.)", "1102", "Centres Hospitaliers"),
    ("101", "Centre Hospitalier Régional (C.H.R.)", "1101", "Centres Hospitaliers Régionaux"),
    (
        "500",
        "Etablissement d'hébergement pour personnes âgées dépendantes",
        "4401",
        "Etablissements d'Hébergement pour Personnes Âgées",
    ),
    (
        "699",
        "Entité Ayant Autorisation",
        "1205",
        "Autres Etablissements Relevant de la Loi Hospitalière",
    ),
    ("146", "Structure d'Alternative à la dialyse en centre", "1203", "Dialyse Ambulatoire"),
)
_STREETS = (
    ("R", "DE LA RÉPUBLIQUE"),
    ("AV", "DES PEUPLIERS"),
    ("BD", "PASTEUR"),
    ("PL", "DU MAIL"),
)


def finess_number(department: str, serial: int) -> str:
    body = f"{department}{serial:06d}"
    return body + luhn_check_digit(body)


def siret_number(serial: int) -> str:
    siren_body = f"{serial:08d}"
    siren = siren_body + luhn_check_digit(siren_body)
    nic = f"{serial % 10000:04d}"
    return siren + nic + luhn_check_digit(siren + nic)


def structureet_fields(index: int) -> list[str]:
    """The 31 fields (after the record type) of the ``index``-th synthetic establishment."""
    department = _DEPARTMENTS[index % len(_DEPARTMENTS)]
    serial = index // len(_DEPARTMENTS)
    category = _CATEGORIES[index % len(_CATEGORIES)]
    street_type, street = _STREETS[index % len(_STREETS)]
    postcode = f"{department}{index % 1000:03d}"
    updated = dt.date(2020, 1, 1) + dt.timedelta(days=index % 1500)
    values = {
        "nofinesset": finess_number(department, serial),
        "nofinessej": finess_number(department, 500000 + serial // 3),
        "rs": f"CH DE DÉMO {index:05d}",
        "rslongue": f"CENTRE HOSPITALIER DE DÉMO {index:05d}",
        "numvoie": str(1 + index % 120),
        "typvoie": street_type,
        "voie": street,
        "commune": f"{index % 900 + 1:03d}",
        "departement": department,
        "libdepartement": "DÉPARTEMENT " + department,
        "ligneacheminement": f"{postcode} VILLE-DE-DÉMO",
        "telephone": f"01{index % 100000000:08d}",
        "categetab": category[0],
        "libcategetab": category[1],
        "categagretab": category[2],
        "libcategagretab": category[3],
        "siret": siret_number(10000000 + index),
        "codeape": "8610Z",
        "codemft": "03",
        "libmft": "ARS établissements Publics de santé dotation globale",
        "codesph": "1",
        "libsph": "Etablissement public de santé",
        "dateouv": "1979-02-13",
        "dateautor": "1979-02-13",
        "datemaj": updated.isoformat(),
    }
    return [values.get(column, "") for column in STRUCTUREET_COLUMNS[:-1]]


def extract_lines(
    count: int, *, geolocation: bool = False, extract_date: str = "2024-05-14"
) -> Iterator[str]:
    """The lines (without line ends) of a synthetic extract of ``count`` establishments."""
    yield f"finess;etalab;111;{extract_date}"
    for index in range(count):
        yield "structureet;" + ";".join(structureet_fields(index)) + ";"
    if geolocation:
        for index in range(count):
            finess = structureet_fields(index)[0]
            yield (
                f"geolocalisation;{finess};{650000 + index % 1000}.5;{6860000 + index % 1000}.5;"
                f"1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93;{extract_date}"
            )


def write_extract(
    path: Path, count: int, *, encoding: str = "utf-8", geolocation: bool = False
) -> Path:
    """Write a synthetic extract to ``path`` (UTF-8 or ``latin-1``), one line at a time."""
    with path.open("w", encoding=encoding, newline="") as stream:
        for line in extract_lines(count, geolocation=geolocation):
            stream.write(line + "\r\n")
    return path
