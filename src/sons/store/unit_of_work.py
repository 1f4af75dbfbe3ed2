"""The unit of work: one transaction, its repositories and its journal, all or nothing.

    with UnitOfWork(engine, actor="alice@editeur.fr", clock=clock) as uow:
        vendor_id = uow.vendors.save(vendor).id
        uow.orders.add(vendor_id, order)
    # committed here; any exception inside the block rolls everything back, journal included

A writing unit of work takes the store's write lock when it starts (see `journal.py`): writers
run one after the other, readers are never blocked. Pass `read_only=True` for reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from sons.store.database import glancer, reader, writer
from sons.store.directory import DirectoryRepository
from sons.store.eligibility import EligibilityRepository
from sons.store.errors import StoreError
from sons.store.imports import ImportRegistry
from sons.store.journal import Journal, lock_for_append
from sons.store.orders import OrderRepository
from sons.store.vendors import SolutionRepository, VendorRepository

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stepping_clock(day: dt.date, hour: int) -> Clock:
    """A clock for scripted walks (the demo): starts on `day` at `hour` UTC and moves one second
    per reading, so the journal's entries keep their order and the output stays reproducible."""
    instants = [dt.datetime.combine(day, dt.time(hour, 0), tzinfo=dt.UTC)]

    def tick() -> dt.datetime:
        instants[0] += dt.timedelta(seconds=1)
        return instants[0]

    return tick


class UnitOfWork:
    session: Session
    journal: Journal
    vendors: VendorRepository
    solutions: SolutionRepository
    directory: DirectoryRepository
    eligibility: EligibilityRepository
    imports: ImportRegistry
    orders: OrderRepository

    def __init__(
        self,
        engine: Engine,
        actor: str,
        clock: Clock = system_clock,
        *,
        read_only: bool = False,
        glance: bool = False,
    ) -> None:
        if not actor.strip():
            raise StoreError("Toute écriture est attribuée à quelqu'un : l'auteur est vide.")
        self._engine = engine
        self.actor = actor
        self._clock = clock
        # A glance is a read whose statements each see their own snapshot (see `glancer`).
        self.read_only = read_only or glance
        self._glance = glance
        self._entered = False

    def now(self) -> dt.datetime:
        """The injected clock, checked: an aware instant, in UTC."""
        instant = self._clock()
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise StoreError("L'horloge a donné une heure sans fuseau : l'heure UTC est attendue.")
        return instant.astimezone(dt.UTC)

    def __enter__(self) -> Self:
        if self._entered:
            raise StoreError("Une unité de travail ne sert qu'une fois.")
        self._entered = True
        if self._glance:
            bind = glancer(self._engine)
        elif self.read_only:
            bind = reader(self._engine)
        else:
            bind = writer(self._engine)
        self.session = Session(bind, expire_on_commit=False)
        self.session.begin()
        try:
            if not self.read_only:
                lock_for_append(self.session)
        except BaseException:
            self.session.close()
            raise
        self.journal = Journal(self.session, self.actor, self.now, writable=not self.read_only)
        self.vendors = VendorRepository(self.session, self.journal, self.now)
        self.solutions = SolutionRepository(self.session, self.journal, self.now)
        self.directory = DirectoryRepository(self.session)
        self.eligibility = EligibilityRepository(self.session)
        self.imports = ImportRegistry(self.session, self.journal, self.actor, self.now)
        self.orders = OrderRepository(self.session, self.journal, self.now)
        return self

    def flush(self) -> None:
        """Send pending writes (journal included) without committing, e.g. to query them."""
        self.journal.flush()
        self.session.flush()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and not self.read_only:
                self.imports.ensure_completed()
                self.flush()
                self.session.commit()
            else:
                self.journal.discard()
                self.session.rollback()
        except BaseException:
            self.journal.discard()
            self.session.rollback()
            raise
        finally:
            self.session.close()
