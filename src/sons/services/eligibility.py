"""The eligibility base: importing it, and finding the ceiling of an order's client in it.

Which FINESS the base is keyed on (docs/commandes.md, « Plafonds ») — our reading, marked as
such: the base lists ceilings by client, and the client of a Prestation is the ES-PMSI (PRIMER
§9), so the base is keyed on the ES-PMSI:

- a **public** legal entity reports under its EJ: the order's ceiling is the EJ's;
- a **private** one reports under each site (ET): the order covers one client per site, and
  its ceiling is the sum of its sites' ceilings;
- a **professional** (RPPS) is funded for their practice: the base being keyed by FINESS, the
  ceiling is the one of the practice's site (ET) named by the order.

Any key missing from the base, or a legal entity whose status is unknown (hence its ES-PMSI),
and the ceiling is unknown: the check says so (`CEILING_UNKNOWN`) rather than guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import Engine

from sons.domain.checks import PrestationHolder, client_keys
from sons.domain.orders import ClientKind, LegalEntity, directory_key
from sons.formats.eligibility import read_eligibility
from sons.formats.problems import ImportReport
from sons.referential.loader import Referential
from sons.services.importing import ImportOutcome, Stored, run_import
from sons.store.eligibility import Ceiling
from sons.store.imports import ImportBatch, ImportKind
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock


def import_eligibility(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> ImportOutcome:
    """Import the eligibility base (`finess;dispositif;plafond_ht`). A ceiling already stored
    for the same (FINESS, dispositif) is replaced; the others stay."""

    def store(uow: UnitOfWork, batch: ImportBatch) -> tuple[ImportReport, Stored]:
        result = read_eligibility(path, referential)
        if not result.ok:
            return result.report, Stored()
        rows = uow.eligibility.upsert(
            (Ceiling(c.dispositif, c.finess, c.ceiling_ht_cents) for c in result.items),
            batch_id=batch.id,
        )
        return result.report, Stored(rows=rows)

    return run_import(engine, path, ImportKind.ELIGIBILITY, store, actor=actor, clock=clock)


def ceiling_keys(
    order: PrestationHolder, legal_entities: Mapping[str, LegalEntity]
) -> tuple[str, ...] | None:
    """The FINESS numbers the order's ceiling is listed under; None when they cannot be known
    (a legal entity missing from the directory, or a practice without FINESS)."""
    if order.client_kind is ClientKind.PROFESSIONAL:
        sites = tuple(dict.fromkeys(directory_key(f) for f in order.finess_ets if f))
        return sites or None
    keys = client_keys(order, legal_entities)
    if not keys:
        return None
    return tuple(key.client_key for key in keys)


def order_ceiling(keys: tuple[str, ...] | None, ceilings: Mapping[str, int]) -> int | None:
    """The sum of the ceilings listed under `keys` (one dispositif), or None if one is missing."""
    if keys is None or any(key not in ceilings for key in keys):
        return None
    return sum(ceilings[key] for key in keys)
