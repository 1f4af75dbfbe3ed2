"""A vendor's purchase orders (bons de commande): import, list, show, check and rebase.

Checking is the heart of it. `check_orders` loads the vendor's orders and, for all of them at
once, what the checks read from the store — the solutions, the directory entries of their
clients and sites, the ceilings of the eligibility base, the index of every Prestation in the
store (all vendors: one Prestation per client per dispositif) — in a few batched queries, then
runs `CheckSession.check` on each order with the injected `today`. No query per order: checking
costs a small multiple of loading.

An order is pinned to the referential version it was imported under. Nothing re-pins it
silently — not a new referential, not a re-import of a corrected file: `rebase_order` does it,
explicitly, journaled, and says which findings the new rules change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.checks import CheckSession, PrestationHolder, index_prestations
from sons.domain.checks.session import ORDER_REFERENTIAL_PIN_OUTDATED
from sons.domain.orders import (
    ClientKind,
    LegalEntity,
    PurchaseOrder,
    Solution,
    Vendor,
)
from sons.findings import Finding, Severity
from sons.formats.orders import read_order_object, read_orders
from sons.formats.problems import ImportReport
from sons.referential.loader import Referential, default_referential
from sons.services.actors import reading
from sons.services.eligibility import ceiling_keys, order_ceiling
from sons.services.importing import ImportOutcome, Progress, Stored, run_import
from sons.store.errors import ConcurrentEditError, DuplicateError, NotFoundError, StoreError
from sons.store.evidence import EvidenceRepository
from sons.store.imports import ImportBatch, ImportKind
from sons.store.journal import Change, JournalEntry
from sons.store.orders import PURCHASE_ORDER, OrderSummary, StoredOrder
from sons.store.requests import RequestRepository
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock

# How another vendor's order is named in a finding: the one-Prestation rule needs to say that
# another order holds the client, not which one (tenants do not see each other's orders).
OTHER_VENDOR_ORDER = "bon d'un autre éditeur"
_ADD_CHUNK = 1000
_PROGRESS_EVERY = 500
_LOOKUPS_AT_MOST = 2000


# --- import -----------------------------------------------------------------------------------


def _refuse(
    report: ImportReport, order: PurchaseOrder, column: str, value: str, rule: str, message: str
) -> None:
    """An import problem about a whole order, placed on its first row or its JSON path."""
    # `sons.formats.orders` records where each order was read: its rows, or its JSON path.
    source = order.extra.get("import", {})
    path = source.get("path")
    if path:
        report.error(None, f"{path}.{column}", value, rule, message)
    else:
        report.error((source.get("lines") or [None])[0], column, value, rule, message)


def _unchanged(new: PurchaseOrder, current: PurchaseOrder) -> bool:
    # Where it was read from (file, lines) is not the order's content.
    return dataclasses.replace(new, extra=current.extra) == current


def _match_vendor(
    uow: UnitOfWork, vendor_id: int, orders: Iterable[PurchaseOrder], report: ImportReport
) -> None:
    """Orders in the name of another vendor, or naming a solution the vendor has not
    imported, are problems of what was given (a file, a request's body)."""
    vendor = uow.vendors.get(vendor_id)
    if vendor is None:
        raise NotFoundError(f"Aucun éditeur n° {vendor_id} n'est enregistré.")
    solutions = uow.solutions.ids(vendor_id)
    for order in orders:
        if order.vendor_siret != vendor.siret:
            _refuse(
                report,
                order,
                "siret_fournisseur",
                order.vendor_siret,
                "ORDER_VENDOR_MISMATCH",
                f"bon de commande « {order.number} » au nom de l'éditeur de SIRET "
                f"{order.vendor_siret}, mais l'import est fait pour « {vendor.name} » (SIRET "
                f"{vendor.siret}) ; choisissez l'éditeur avec --vendor SIRET",
            )
        if order.solution_referencing_number not in solutions:
            _refuse(
                report,
                order,
                "numero_referencement",
                order.solution_referencing_number,
                "SOLUTION_UNKNOWN",
                f"bon de commande « {order.number} » : aucune solution de « {vendor.name} » "
                f"n'a le numéro de référencement {order.solution_referencing_number} ; "
                "importez d'abord les solutions (sons solution import)",
            )


def import_orders(
    engine: Engine,
    path: Path,
    *,
    vendor_id: int,
    actor: str,
    clock: Clock = system_clock,
    referential: Referential | None = None,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Import a file of orders for one vendor (CSV, XLSX or JSON).

    New numbers are created, pinned to the current referential; a number already stored is
    updated when its content changed — keeping its pin (re-pinning is `rebase_order`) — and left
    alone otherwise. Orders in the name of another vendor, or naming a solution the vendor has
    not imported, are problems of the file: nothing is stored.
    """
    referential = referential or default_referential()

    def store(uow: UnitOfWork, batch: ImportBatch) -> tuple[ImportReport, Stored]:
        result = read_orders(path, referential)
        report = result.report
        stored = Stored()
        # The orders that could be read are matched against the store even when others could
        # not: whoever fixes the file sees every problem in one pass.
        _match_vendor(uow, vendor_id, result.items, report)
        if report.has_errors:
            return report, stored
        orders = list(result.items)
        total = len(orders)
        existing = {
            s.number: s for s in uow.orders.load_all(vendor_id, numbers=[o.number for o in orders])
        }
        new = [o for o in orders if o.number not in existing]
        done = 0
        for start in range(0, len(new), _ADD_CHUNK):
            chunk = new[start : start + _ADD_CHUNK]
            uow.orders.add_many(vendor_id, chunk)
            for _ in chunk:
                stored.count(Change.CREATED)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        for order in orders:
            current = existing.get(order.number)
            if current is None:
                continue
            kept = dataclasses.replace(order, referential_pin=current.order.referential_pin)
            if _unchanged(kept, current.order):
                stored.count(Change.UNCHANGED)
            else:
                uow.orders.update(vendor_id, kept, expected_version=current.version)
                stored.count(Change.UPDATED)
            done += 1
            if progress is not None and (done % _PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
        return report, stored

    return run_import(
        engine, path, ImportKind.ORDERS, store, actor=actor, clock=clock, vendor_id=vendor_id
    )


# --- list -------------------------------------------------------------------------------------


def canonical_dispositif(code: str, referential: Referential | None = None) -> str:
    """« rad-ris-va1 » → « RAD-RIS-Va1 »; `UnknownDispositif` (French) when unknown."""
    return (referential or default_referential()).get(code).code


def list_orders(
    engine: Engine,
    vendor_id: int,
    *,
    dispositif: str | None = None,
    status: str | None = None,
    referential: Referential | None = None,
) -> list[OrderSummary]:
    if dispositif is not None:
        dispositif = canonical_dispositif(dispositif, referential)
    with reading(engine) as uow:
        return uow.orders.summaries(vendor_id, dispositif=dispositif, status=status)


# --- check ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Holder:
    """An order of the store as the one-Prestation index sees it (see OTHER_VENDOR_ORDER)."""

    number: str
    dispositif: str
    client_kind: ClientKind
    client_id: str
    finess_ets: tuple[str | None, ...]


class _CheckInputs:
    """What the checks of a batch of orders read from the store, loaded in a few queries."""

    def __init__(
        self,
        uow: UnitOfWork,
        vendor_id: int,
        orders: Sequence[StoredOrder],
        *,
        every_order: bool = False,
    ) -> None:
        """`every_order`: `orders` are all the vendor's orders, so the index of Prestations
        takes them as loaded and reads only the other vendors' from the store."""
        self.vendor: Vendor | None = uow.vendors.get(vendor_id)
        self.solutions: dict[str, Solution] = {
            s.referencing_number: s for s in uow.solutions.all(vendor_id)
        }
        mine = [stored.order for stored in orders]
        holders: list[PrestationHolder] = list(mine) if every_order else []
        holders += [
            _Holder(
                key.number if key.vendor_id == vendor_id else OTHER_VENDOR_ORDER,
                key.dispositif,
                key.client_kind,
                key.client_id,
                key.finess_ets,
            )
            for key in uow.orders.prestation_keys(
                except_vendor_id=vendor_id if every_order else None
            )
        ]
        clients = [(h.client_kind, h.client_id) for h in holders]
        clients += [(order.client_kind, order.client_id) for order in mine]
        self.legal_entities: dict[str, LegalEntity] = uow.directory.legal_entities(
            {client for kind, client in clients if kind is ClientKind.LEGAL_ENTITY}
        )
        self.sites = uow.directory.sites(
            {site.finess_et for order in mine for site in order.sites if site.finess_et}
        )
        self.index = index_prestations(holders, self.legal_entities)
        self.ceiling_keys: dict[str, tuple[str, ...] | None] = {}
        wanted: dict[str, set[str]] = {}
        for order in mine:
            keys = ceiling_keys(order, self.legal_entities)
            self.ceiling_keys[order.number] = keys
            wanted.setdefault(order.dispositif, set()).update(keys or ())
        # Many keys: the dispositif's whole base in one query beats thousands of look-ups.
        self.ceilings: dict[str, dict[str, int]] = {
            dispositif: uow.eligibility.ceilings(
                dispositif, None if len(keys) > _LOOKUPS_AT_MOST else keys
            )
            for dispositif, keys in wanted.items()
            if keys
        }

    def session(self, referential: Referential, today: dt.date) -> CheckSession:
        return CheckSession(
            referential,
            today,
            legal_entities=self.legal_entities,
            sites=self.sites,
            other_orders=self.index,
        )

    def ceiling(self, order: PurchaseOrder) -> int | None:
        return order_ceiling(
            self.ceiling_keys.get(order.number), self.ceilings.get(order.dispositif, {})
        )

    def check(
        self, session: CheckSession, order: PurchaseOrder, ceiling: int | None
    ) -> list[Finding]:
        vendor = self.vendor
        return session.check(
            order,
            solution=self.solutions.get(order.solution_referencing_number),
            vendor=vendor if vendor is not None and vendor.siret == order.vendor_siret else None,
            ceiling_ht_cents=ceiling,
        )


@dataclass(frozen=True)
class OrderCheck:
    """One order and every finding on it."""

    stored: StoredOrder
    solution: Solution | None
    ceiling_ht_cents: int | None
    findings: tuple[Finding, ...]

    @property
    def number(self) -> str:
        return self.stored.number

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    def as_dict(self) -> dict[str, Any]:
        order = self.stored.order
        return {
            "number": order.number,
            "dispositif": order.dispositif,
            "client_kind": order.client_kind.value,
            "client_id": order.client_id,
            "signed_on": order.signed_on.isoformat(),
            "status": self.stored.status,
            "version": self.stored.version,
            "referential_pin": order.referential_pin,
            "findings": [f.as_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class CheckSummary:
    orders: int
    with_errors: int
    with_warnings: int  # warnings, no error
    conforming: int  # neither error nor warning (information allowed)
    by_code: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CheckReport:
    checks: list[OrderCheck]
    today: dt.date
    referential_pin: str

    @property
    def has_errors(self) -> bool:
        return any(check.errors for check in self.checks)

    def summary(self) -> CheckSummary:
        by_code: dict[str, int] = {}
        for check in self.checks:
            for finding in check.findings:
                by_code[finding.code] = by_code.get(finding.code, 0) + 1
        with_errors = sum(1 for c in self.checks if c.errors)
        with_warnings = sum(1 for c in self.checks if not c.errors and c.warnings)
        return CheckSummary(
            orders=len(self.checks),
            with_errors=with_errors,
            with_warnings=with_warnings,
            conforming=len(self.checks) - with_errors - with_warnings,
            by_code=dict(sorted(by_code.items(), key=lambda item: (-item[1], item[0]))),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "orders": [c.as_dict() for c in self.checks],
            "summary": {
                **self.summary().as_dict(),
                "today": self.today.isoformat(),
                "referential_pin": self.referential_pin,
            },
        }


def _missing(numbers: Iterable[str], found: Iterable[StoredOrder]) -> None:
    absent = sorted(set(numbers) - {stored.number for stored in found})
    if absent:
        raise NotFoundError(
            "Bon(s) de commande inconnu(s) pour cet éditeur : "
            + ", ".join(f"« {n} »" for n in absent)
            + " ; « sons order list » montre les bons enregistrés."
        )


def check_orders(
    engine: Engine,
    vendor_id: int,
    *,
    today: dt.date,
    numbers: Sequence[str] | None = None,
    referential: Referential | None = None,
    progress: Progress | None = None,
) -> CheckReport:
    """Every finding on the vendor's orders (those of `numbers`, or all), by order number."""
    referential = referential or default_referential()
    with reading(engine) as uow:
        stored = uow.orders.load_all(vendor_id, numbers=numbers)
        if numbers is not None:
            _missing(numbers, stored)
        inputs = _CheckInputs(uow, vendor_id, stored, every_order=numbers is None)
    with _kept_for_the_run():
        return _checked(stored, inputs, referential, today, progress)


@contextmanager
def _kept_for_the_run() -> Iterator[None]:
    """Exempt what is alive now — the loaded orders, directory and index, hundreds of thousands
    of objects kept for the whole run — from the garbage collector's passes until the run ends:
    otherwise every full collection triggered by the checks walks them all again, for nothing."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _checked(
    stored: Sequence[StoredOrder],
    inputs: _CheckInputs,
    referential: Referential,
    today: dt.date,
    progress: Progress | None,
) -> CheckReport:
    session = inputs.session(referential, today)
    checks: list[OrderCheck] = []
    total = len(stored)
    for done, item in enumerate(stored, start=1):
        order = item.order
        ceiling = inputs.ceiling(order)
        findings = inputs.check(session, order, ceiling)
        checks.append(
            OrderCheck(
                item,
                inputs.solutions.get(order.solution_referencing_number),
                ceiling,
                tuple(findings),
            )
        )
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == total):
            progress(done, total)
    return CheckReport(checks, today, referential.pin)


@dataclass(frozen=True)
class OrderView:
    """One order, its findings and its history in the journal."""

    check: OrderCheck
    history: tuple[JournalEntry, ...]
    referential_pin: str

    def as_dict(self) -> dict[str, Any]:
        order = self.check.stored.order
        solution = self.check.solution
        return {
            **self.check.as_dict(),
            "signatory": order.signatory,
            "under_referencing_condition": order.under_referencing_condition,
            "solution": None
            if solution is None
            else {
                "name": solution.name,
                "version": solution.version,
                "referencing_number": solution.referencing_number,
                "profiles": sorted(solution.profiles),
            },
            "solution_referencing_number": order.solution_referencing_number,
            "prestation_ht_cents": order.prestation_ht_cents,
            "prestation_ttc_cents": order.prestation_ttc_cents,
            "ceiling_ht_cents": self.check.ceiling_ht_cents,
            "sites": [
                {"finess_et": site.finess_et, "answers": dict(site.answers)} for site in order.sites
            ],
            "lines": [
                {
                    "label": line.label,
                    "amount_ht_cents": line.amount_ht_cents,
                    "dimension": None if line.dimension is None else line.dimension.value,
                    "not_funded": None if line.not_funded is None else line.not_funded.value,
                    "billed_as_segur": line.billed_as_segur,
                }
                for line in order.lines
            ],
            "current_referential_pin": self.referential_pin,
            "history": [
                {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action}
                for e in self.history
            ],
        }


def show_order(
    engine: Engine,
    vendor_id: int,
    number: str,
    *,
    today: dt.date,
    referential: Referential | None = None,
) -> OrderView:
    referential = referential or default_referential()
    report = check_orders(engine, vendor_id, today=today, numbers=[number], referential=referential)
    with reading(engine) as uow:
        history = uow.journal.history(PURCHASE_ORDER, number, vendor_id=vendor_id)
    return OrderView(report.checks[0], tuple(history), referential.pin)


# --- rebase -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RebaseOutcome:
    """What re-pinning an order did, and which findings the new rules change.

    `appeared` / `disappeared` compare the findings under the old pin's rules with those under
    the new one's; when the old rules are no longer available (`old_rules_available` False),
    they cannot be compared and `findings` lists those under the new rules.
    """

    number: str
    old_pin: str
    new_pin: str
    rebased: bool
    old_rules_available: bool
    findings: tuple[Finding, ...]
    appeared: tuple[Finding, ...] = ()
    disappeared: tuple[Finding, ...] = ()
    version: int = 0

    def message(self) -> str:
        if not self.rebased:
            return (
                f"Le bon de commande {self.number} est déjà rattaché à la version en cours du "
                f"référentiel ({self.new_pin}) : rien à faire."
            )
        text = (
            f"Bon de commande {self.number} rattaché à la version {self.new_pin} du référentiel "
            f"(il l'était à la version {self.old_pin}) ; inscrit au journal (version "
            f"{self.version} du bon)."
        )
        if not self.old_rules_available:
            text += (
                f" Les règles de la version {self.old_pin} ne sont plus disponibles dans cette "
                "installation de sons : impossible de dire quels constats changent ; voici les "
                "constats selon la nouvelle version."
            )
        elif not self.appeared and not self.disappeared:
            text += " Les nouvelles règles ne changent aucun constat."
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "old_pin": self.old_pin,
            "new_pin": self.new_pin,
            "rebased": self.rebased,
            "old_rules_available": self.old_rules_available,
            "version": self.version,
            "message": self.message(),
            "appeared": [f.as_dict() for f in self.appeared],
            "disappeared": [f.as_dict() for f in self.disappeared],
            "findings": [f.as_dict() for f in self.findings],
        }


def _compared(findings: Iterable[Finding]) -> dict[tuple[str, str, str], Finding]:
    # The pin finding only says that a rebase is due; it is not a rule that changed.
    return {
        (f.code, f.path, f.message): f
        for f in findings
        if f.code != ORDER_REFERENTIAL_PIN_OUTDATED.code
    }


def rebase_order(
    engine: Engine,
    vendor_id: int,
    number: str,
    *,
    actor: str,
    today: dt.date,
    clock: Clock = system_clock,
    referential: Referential | None = None,
    known_referentials: Mapping[str, Referential] | None = None,
) -> RebaseOutcome:
    """Re-pin the order to `referential` (default: the current one), journaled as a rebase.

    `known_referentials` maps pins to the referentials this installation can still load; the
    old pin's rules are compared with the new ones only when listed there.
    """
    referential = referential or default_referential()
    known = dict(known_referentials or {})
    known.setdefault(referential.pin, referential)
    with UnitOfWork(engine, actor, clock) as uow:
        stored = uow.orders.require(vendor_id, number)
        old_pin = stored.order.referential_pin
        inputs = _CheckInputs(uow, vendor_id, [stored])
        rebased = dataclasses.replace(stored.order, referential_pin=referential.pin)
        ceiling = inputs.ceiling(rebased)
        findings = tuple(inputs.check(inputs.session(referential, today), rebased, ceiling))
        if old_pin == referential.pin:
            return RebaseOutcome(
                number, old_pin, old_pin, False, True, findings, version=stored.version
            )
        saved = uow.orders.rebase(
            vendor_id, number, referential.pin, expected_version=stored.version
        )
    old_rules = known.get(old_pin)
    if old_rules is None:
        return RebaseOutcome(
            number, old_pin, referential.pin, True, False, findings, version=saved.version
        )
    before = _compared(inputs.check(inputs.session(old_rules, today), stored.order, ceiling))
    after = _compared(findings)
    return RebaseOutcome(
        number,
        old_pin,
        referential.pin,
        True,
        True,
        findings,
        appeared=tuple(f for key, f in after.items() if key not in before),
        disappeared=tuple(f for key, f in before.items() if key not in after),
        version=saved.version,
    )


# --- one order: create, update, delete (the API) ----------------------------------------------


class OrderRefused(StoreError):
    """An order given as JSON that cannot be stored as is: every problem as a finding."""

    def __init__(self, message: str, findings: Iterable[Finding]) -> None:
        super().__init__(message)
        self.findings = tuple(findings)


class OrderInUse(StoreError):
    """An order that others rely on (a funding request, recorded evidence): kept."""


def _body_findings(report: ImportReport) -> list[Finding]:
    """The problems of an order given as JSON, each placed at its JSON path in the body."""
    return [Finding(p.rule, p.severity, p.text, p.column or "$", p.rule) for p in report.problems]


def _read_one(document: Any, referential: Referential) -> PurchaseOrder:
    result = read_order_object(document, referential)
    if not result.ok:
        raise OrderRefused(
            "Le bon de commande ne peut pas être lu tel quel : voir les constats.",
            _body_findings(result.report),
        )
    (order,) = result.items
    return order


def _matched(uow: UnitOfWork, vendor_id: int, order: PurchaseOrder) -> None:
    report = ImportReport(file="requête", kind="bon de commande", records=1)
    _match_vendor(uow, vendor_id, [order], report)
    if report.has_errors:
        raise OrderRefused(
            f"Le bon de commande {order.number} ne peut pas être enregistré : voir les constats.",
            _body_findings(report),
        )


def create_order(
    engine: Engine,
    vendor_id: int,
    document: Any,
    *,
    actor: str,
    today: dt.date,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> OrderView:
    """Store one new order given as JSON (one element of « commandes » of the import format),
    pinned to the current referential and journaled; `DuplicateError` when its number exists.
    Returns it with its findings, as `show_order` does."""
    referential = referential or default_referential()
    order = _read_one(document, referential)
    with UnitOfWork(engine, actor, clock) as uow:
        _matched(uow, vendor_id, order)
        if uow.orders.get(vendor_id, order.number) is not None:
            raise DuplicateError(
                f"Le bon de commande {order.number} existe déjà pour cet éditeur : modifiez-le "
                "(avec sa version) au lieu de le créer."
            )
        uow.orders.add(vendor_id, order)
    return show_order(engine, vendor_id, order.number, today=today, referential=referential)


def update_order(
    engine: Engine,
    vendor_id: int,
    number: str,
    document: Any,
    *,
    expected_version: int,
    actor: str,
    today: dt.date,
    clock: Clock = system_clock,
    referential: Referential | None = None,
) -> OrderView:
    """Replace order `number` by the order given as JSON, if it is still at `expected_version`
    (`ConcurrentEditError` otherwise). It keeps its referential pin (re-pinning is
    `rebase_order`) and its status; the same content again changes nothing."""
    referential = referential or default_referential()
    order = _read_one(document, referential)
    if order.number != number:
        raise OrderRefused(
            f"Le numéro du bon ne se change pas : « {order.number} » donné pour le bon {number}.",
            [
                Finding(
                    "ORDER_NUMBER_MISMATCH",
                    Severity.ERROR,
                    f"numéro « {order.number} » différent de celui du bon modifié ({number})",
                    "$.numero",
                )
            ],
        )
    with UnitOfWork(engine, actor, clock) as uow:
        current = uow.orders.require(vendor_id, number)
        _matched(uow, vendor_id, order)
        kept = dataclasses.replace(order, referential_pin=current.order.referential_pin)
        if current.version != expected_version:
            raise ConcurrentEditError(number, expected_version, current.version)
        if not _unchanged(kept, current.order):
            uow.orders.update(vendor_id, kept, expected_version=expected_version)
    return show_order(engine, vendor_id, number, today=today, referential=referential)


def delete_order(
    engine: Engine,
    vendor_id: int,
    number: str,
    *,
    expected_version: int,
    actor: str,
    clock: Clock = system_clock,
) -> None:
    """Delete order `number` at `expected_version`, journaled with its content. An order with a
    funding request or recorded evidence (MOM, VA) is kept (`OrderInUse`): what was filed or
    signed stays tied to it."""
    with UnitOfWork(engine, actor, clock) as uow:
        stored = uow.orders.require(vendor_id, number)
        if RequestRepository(uow.session, uow.journal, uow.actor, uow.now).find(
            vendor_id=vendor_id, order_ids=[stored.id]
        ):
            raise OrderInUse(
                f"Le bon de commande {number} a des demandes de financement enregistrées : il "
                "ne peut pas être supprimé."
            )
        pieces = EvidenceRepository(uow.session, uow.journal, uow.now).pieces(
            vendor_id, [stored.id]
        )
        if any(pieces.values()):
            raise OrderInUse(
                f"Le bon de commande {number} a des preuves enregistrées (MOM, VA) : il ne peut "
                "pas être supprimé."
            )
        uow.orders.delete(vendor_id, number, expected_version=expected_version)
