"""The eligibility base (« base des ES éligibles »): each client's ceiling per dispositif.

Shared reference data, as published; the checks compare the Prestation to it and, when a client
is missing, say so rather than guess. Keys are normalised by `directory_key`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sons.domain.orders import directory_key
from sons.store.bulk import CHUNK_SIZE, IN_CHUNK, chunked, upsert
from sons.store.tables import EligibilityRow


@dataclass(frozen=True, slots=True)
class Ceiling:
    dispositif: str
    finess: str
    ceiling_ht_cents: int


class EligibilityRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def upsert(self, ceilings: Iterable[Ceiling], *, batch_id: int | None = None) -> int:
        """Insert or replace ceilings by (dispositif, FINESS); returns how many were written."""
        written = 0
        for chunk in chunked(ceilings, CHUNK_SIZE):
            rows = [
                {
                    "dispositif": ceiling.dispositif,
                    "finess": directory_key(ceiling.finess),
                    "ceiling_ht_cents": ceiling.ceiling_ht_cents,
                    "import_batch_id": batch_id,
                }
                for ceiling in chunk
            ]
            upsert(self._session, EligibilityRow, rows)
            written += len(rows)
        return written

    def ceiling(self, dispositif: str, finess: str) -> int | None:
        """The ceiling HT in cents, or None when the base does not list this client."""
        row = self._session.get(EligibilityRow, (dispositif, directory_key(finess)))
        return None if row is None else row.ceiling_ht_cents

    def ceilings(self, dispositif: str, finesses: Iterable[str] | None = None) -> dict[str, int]:
        """FINESS → ceiling HT in cents for one dispositif (all of them when `finesses` is None)."""
        query = sa.select(EligibilityRow.finess, EligibilityRow.ceiling_ht_cents).where(
            EligibilityRow.dispositif == dispositif
        )
        # Plain Core rows on the session's connection: no ORM work per row on a whole base.
        connection = self._session.connection()
        if finesses is None:
            return {finess: cents for finess, cents in connection.execute(query).all()}
        found: dict[str, int] = {}
        for chunk in chunked(sorted({directory_key(f) for f in finesses}), IN_CHUNK):
            rows = connection.execute(query.where(EligibilityRow.finess.in_(chunk)))
            found.update((finess, cents) for finess, cents in rows)
        return found
