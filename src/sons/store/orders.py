"""Purchase orders (bons de commande): rows ↔ `sons.domain.orders.PurchaseOrder`.

Every method is scoped to one vendor (`vendor_id`, the tenant), except `prestation_keys`, which
the perimeter check needs across the whole store. Writes are journaled with the order's state
before and after.

Optimistic locking: a `StoredOrder` carries the `version` it was read at. Whoever saves passes
it back as `expected_version`; the UPDATE only applies `WHERE version = expected_version` and
bumps it. If someone saved in between, `ConcurrentEditError` says so, and nothing is lost: the
other save stays, and the caller reloads and redoes its edit.

Loading many orders takes three queries (orders, sites, lines), whatever their number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row

from sons.domain.orders import (
    ClientKind,
    FundedDimension,
    NotFunded,
    OrderLine,
    PurchaseOrder,
    SiteScenario,
    directory_key,
)
from sons.store.bulk import IN_CHUNK, chunked, insert_returning_ids, insert_rows
from sons.store.errors import (
    ConcurrentEditError,
    DuplicateError,
    NotFoundError,
    TenantMismatchError,
    UnknownSolutionError,
)
from sons.store.journal import JournalAction, JournaledRepository
from sons.store.tables import (
    OrderLineRow,
    OrderSiteRow,
    PurchaseOrderRow,
    SolutionRow,
    VendorRow,
)

PURCHASE_ORDER = "purchase_order"
DRAFT = "draft"
_LISTED = 5  # how many numbers an error message names before "…"


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """An order as stored: the domain value plus what only the store knows."""

    id: int
    vendor_id: int
    order: PurchaseOrder
    status: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def number(self) -> str:
        return self.order.number


@dataclass(frozen=True, slots=True)
class OrderSummary:
    """One line of an order list: no sites, no lines."""

    id: int
    vendor_id: int
    number: str
    solution_referencing_number: str
    dispositif: str
    client_kind: ClientKind
    client_id: str
    signed_on: dt.date
    prestation_ht_cents: int
    prestation_ttc_cents: int
    status: str
    version: int
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PrestationKey:
    """What the one-Prestation-per-client rule compares, for one order of any vendor."""

    vendor_id: int
    number: str
    dispositif: str
    status: str
    client_kind: ClientKind
    client_id: str
    finess_ets: tuple[str | None, ...]


def order_document(order: PurchaseOrder, *, status: str, version: int) -> dict[str, Any]:
    """The order as the journal keeps it (plain JSON values)."""
    return {
        "number": order.number,
        "vendor_siret": order.vendor_siret,
        "solution_referencing_number": order.solution_referencing_number,
        "dispositif": order.dispositif,
        "client_kind": order.client_kind.value,
        "client_id": order.client_id,
        "signed_on": order.signed_on.isoformat(),
        "signatory": order.signatory,
        "under_referencing_condition": order.under_referencing_condition,
        "prestation_ht_cents": order.prestation_ht_cents,
        "prestation_ttc_cents": order.prestation_ttc_cents,
        "referential_pin": order.referential_pin,
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
        "extra": dict(order.extra),
        "status": status,
        "version": version,
    }


_HEAD_COLUMNS = (
    PurchaseOrderRow.id,
    PurchaseOrderRow.vendor_id,
    PurchaseOrderRow.number,
    VendorRow.siret,
    SolutionRow.referencing_number,
    PurchaseOrderRow.dispositif,
    PurchaseOrderRow.client_kind,
    PurchaseOrderRow.client_id,
    PurchaseOrderRow.signed_on,
    PurchaseOrderRow.signatory,
    PurchaseOrderRow.under_referencing_condition,
    PurchaseOrderRow.prestation_ht_cents,
    PurchaseOrderRow.prestation_ttc_cents,
    PurchaseOrderRow.referential_pin,
    PurchaseOrderRow.status,
    PurchaseOrderRow.extra,
    PurchaseOrderRow.version,
    PurchaseOrderRow.created_at,
    PurchaseOrderRow.updated_at,
)


# Enum members by value: a dict lookup, cheaper than calling the enum 100,000 times.
_CLIENT_KINDS = {kind.value: kind for kind in ClientKind}
_DIMENSIONS: dict[str | None, FundedDimension | None] = {None: None}
_DIMENSIONS.update((dimension.value, dimension) for dimension in FundedDimension)
_NOT_FUNDED: dict[str | None, NotFunded | None] = {None: None}
_NOT_FUNDED.update((kind.value, kind) for kind in NotFunded)


def _line(
    label: str, amount: int, dimension: str | None, not_funded: str | None, billed: bool
) -> OrderLine:
    return OrderLine(
        label=label,
        amount_ht_cents=amount,
        dimension=_DIMENSIONS[dimension],
        not_funded=_NOT_FUNDED[not_funded],
        billed_as_segur=billed,
    )


def _stored(
    head: Row[Any], sites: Sequence[SiteScenario], lines: Sequence[OrderLine]
) -> StoredOrder:
    order = PurchaseOrder(
        number=head.number,
        vendor_siret=head.siret,
        solution_referencing_number=head.referencing_number,
        dispositif=head.dispositif,
        client_kind=_CLIENT_KINDS[head.client_kind],
        client_id=head.client_id,
        signed_on=head.signed_on,
        signatory=head.signatory,
        prestation_ht_cents=head.prestation_ht_cents,
        prestation_ttc_cents=head.prestation_ttc_cents,
        referential_pin=head.referential_pin,
        under_referencing_condition=head.under_referencing_condition,
        sites=tuple(sites),
        lines=tuple(lines),
        extra=head.extra,
    )
    return StoredOrder(
        id=head.id,
        vendor_id=head.vendor_id,
        order=order,
        status=head.status,
        version=head.version,
        created_at=head.created_at,
        updated_at=head.updated_at,
    )


def _listed(numbers: Iterable[str]) -> str:
    ordered = sorted(set(numbers))
    shown = ", ".join(ordered[:_LISTED])
    return shown + (f" … ({len(ordered)} au total)" if len(ordered) > _LISTED else "")


class OrderRepository(JournaledRepository):
    # -- reads -------------------------------------------------------------------------------

    def get(self, vendor_id: int, number: str) -> StoredOrder | None:
        found = self._load(vendor_id, [PurchaseOrderRow.number == number])
        return found[0] if found else None

    def require(self, vendor_id: int, number: str) -> StoredOrder:
        stored = self.get(vendor_id, number)
        if stored is None:
            raise NotFoundError(f"Le bon de commande {number} n'existe pas pour cet éditeur.")
        return stored

    def load_all(
        self,
        vendor_id: int,
        *,
        dispositif: str | None = None,
        status: str | None = None,
        numbers: Iterable[str] | None = None,
    ) -> list[StoredOrder]:
        """A vendor's orders with their sites and lines, by number; three queries in all
        (per 500 numbers when `numbers` is given)."""
        conditions = self._filters(dispositif, status)
        if numbers is None:
            return self._load(vendor_id, conditions)
        loaded: list[StoredOrder] = []
        for chunk in chunked(sorted(set(numbers)), IN_CHUNK):
            loaded.extend(self._load(vendor_id, [*conditions, PurchaseOrderRow.number.in_(chunk)]))
        return sorted(loaded, key=lambda stored: stored.number)

    def summaries(
        self,
        vendor_id: int,
        *,
        dispositif: str | None = None,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[OrderSummary]:
        query = (
            sa.select(
                PurchaseOrderRow.id,
                PurchaseOrderRow.vendor_id,
                PurchaseOrderRow.number,
                SolutionRow.referencing_number,
                PurchaseOrderRow.dispositif,
                PurchaseOrderRow.client_kind,
                PurchaseOrderRow.client_id,
                PurchaseOrderRow.signed_on,
                PurchaseOrderRow.prestation_ht_cents,
                PurchaseOrderRow.prestation_ttc_cents,
                PurchaseOrderRow.status,
                PurchaseOrderRow.version,
                PurchaseOrderRow.updated_at,
            )
            .join(SolutionRow, SolutionRow.id == PurchaseOrderRow.solution_id)
            .where(PurchaseOrderRow.vendor_id == vendor_id, *self._filters(dispositif, status))
            .order_by(PurchaseOrderRow.number)
            .offset(offset)
            .limit(limit)
        )
        return [
            OrderSummary(
                id=row.id,
                vendor_id=row.vendor_id,
                number=row.number,
                solution_referencing_number=row.referencing_number,
                dispositif=row.dispositif,
                client_kind=ClientKind(row.client_kind),
                client_id=row.client_id,
                signed_on=row.signed_on,
                prestation_ht_cents=row.prestation_ht_cents,
                prestation_ttc_cents=row.prestation_ttc_cents,
                status=row.status,
                version=row.version,
                updated_at=row.updated_at,
            )
            for row in self._session.execute(query)
        ]

    def count(
        self, vendor_id: int, *, dispositif: str | None = None, status: str | None = None
    ) -> int:
        query = sa.select(sa.func.count()).where(
            PurchaseOrderRow.vendor_id == vendor_id, *self._filters(dispositif, status)
        )
        return int(self._session.scalar(query) or 0)

    def versions(self, vendor_id: int, numbers: Iterable[str] | None = None) -> dict[str, int]:
        """Number → current version: which orders exist, and the version to update them at."""
        query = sa.select(PurchaseOrderRow.number, PurchaseOrderRow.version).where(
            PurchaseOrderRow.vendor_id == vendor_id
        )
        if numbers is None:
            return dict(self._session.execute(query).all())
        found: dict[str, int] = {}
        for chunk in chunked(sorted(set(numbers)), IN_CHUNK):
            rows = self._session.execute(query.where(PurchaseOrderRow.number.in_(chunk)))
            found.update(rows.all())
        return found

    def prestation_keys(
        self, *, dispositif: str | None = None, except_vendor_id: int | None = None
    ) -> list[PrestationKey]:
        """Every vendor's orders (but `except_vendor_id`'s, when given: a caller that has
        loaded them already), reduced to their client keys and sites.

        Crosses tenants on purpose (one Prestation per client across the whole store): the
        service using it must not show another vendor's order beyond what the rule needs.
        """
        heads = sa.select(
            PurchaseOrderRow.id,
            PurchaseOrderRow.vendor_id,
            PurchaseOrderRow.number,
            PurchaseOrderRow.dispositif,
            PurchaseOrderRow.status,
            PurchaseOrderRow.client_kind,
            PurchaseOrderRow.client_id,
        )
        sites = sa.select(OrderSiteRow.order_id, OrderSiteRow.finess_et).order_by(
            OrderSiteRow.order_id, OrderSiteRow.position
        )
        if dispositif is not None:
            heads = heads.where(PurchaseOrderRow.dispositif == dispositif)
            sites = sites.where(
                OrderSiteRow.order_id.in_(
                    sa.select(PurchaseOrderRow.id).where(PurchaseOrderRow.dispositif == dispositif)
                )
            )
        if except_vendor_id is not None:
            heads = heads.where(PurchaseOrderRow.vendor_id != except_vendor_id)
            sites = sites.where(OrderSiteRow.vendor_id != except_vendor_id)
        # Plain Core rows on the session's connection, as in `_load`: every order of the store.
        connection = self._session.connection()
        finess_by_order: dict[int, list[str | None]] = defaultdict(list)
        for order_id, finess_et in connection.execute(sites):
            finess_by_order[order_id].append(finess_et)
        return [
            PrestationKey(
                vendor_id=row.vendor_id,
                number=row.number,
                dispositif=row.dispositif,
                status=row.status,
                client_kind=_CLIENT_KINDS[row.client_kind],
                client_id=row.client_id,
                finess_ets=tuple(finess_by_order.get(row.id, ())),
            )
            for row in connection.execute(heads.order_by(PurchaseOrderRow.id))
        ]

    # -- writes ------------------------------------------------------------------------------

    def add(self, vendor_id: int, order: PurchaseOrder, *, status: str = DRAFT) -> StoredOrder:
        return self.add_many(vendor_id, [order], status=status)[0]

    def add_many(
        self, vendor_id: int, orders: Sequence[PurchaseOrder], *, status: str = DRAFT
    ) -> list[StoredOrder]:
        """Insert new orders (version 1) in bulk; each one is journaled.

        Refused as a whole, before anything is written, when an order belongs to another
        vendor, a number is repeated or already stored, or a solution is unknown.
        """
        if not orders:
            return []
        self._check_owner(vendor_id, orders)
        numbers = [order.number for order in orders]
        repeated = [number for number, count in Counter(numbers).items() if count > 1]
        if repeated:
            raise DuplicateError(
                f"Numéro(s) de bon de commande en double dans l'envoi : {_listed(repeated)}."
            )
        existing = self.versions(vendor_id, numbers)
        if existing:
            raise DuplicateError(
                f"Bon(s) de commande déjà enregistré(s) pour cet éditeur : {_listed(existing)}."
            )
        solution_ids = self._solution_ids(vendor_id, orders)
        now = self._clock()
        values = [
            {
                **self._head_values(order, solution_ids[order.solution_referencing_number]),
                "vendor_id": vendor_id,
                "status": status,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for order in orders
        ]
        ids = insert_returning_ids(self._session, PurchaseOrderRow, values)
        pairs = list(zip(ids, orders, strict=True))
        self._insert_sites(vendor_id, pairs)
        self._insert_lines(vendor_id, [(order_id, order.lines) for order_id, order in pairs])
        stored = [
            StoredOrder(order_id, vendor_id, order, status, 1, now, now)
            for order_id, order in pairs
        ]
        for item in stored:
            self._journal.record(
                JournalAction.CREATE,
                PURCHASE_ORDER,
                item.number,
                after=order_document(item.order, status=status, version=1),
                vendor_id=vendor_id,
            )
        return stored

    def update(
        self,
        vendor_id: int,
        order: PurchaseOrder,
        *,
        expected_version: int,
        status: str | None = None,
    ) -> StoredOrder:
        """Replace the stored order of that number by `order` (and `status`, if given).

        Nothing changes, and no version is spent, when `order` is what is stored.
        """
        current = self._current(vendor_id, order.number, expected_version)
        self._check_owner(vendor_id, [order])
        new_status = current.status if status is None else status
        if order == current.order and new_status == current.status:
            return current
        return self._rewrite(current, order, new_status, JournalAction.UPDATE)

    def set_status(
        self, vendor_id: int, number: str, status: str, *, expected_version: int
    ) -> StoredOrder:
        current = self._current(vendor_id, number, expected_version)
        if status == current.status:
            return current
        return self._rewrite(current, current.order, status, JournalAction.UPDATE)

    def rebase(
        self, vendor_id: int, number: str, referential_pin: str, *, expected_version: int
    ) -> StoredOrder:
        """Re-pin the order to another referential version: explicit, journaled as a rebase."""
        current = self._current(vendor_id, number, expected_version)
        if current.order.referential_pin == referential_pin:
            return current
        order = dataclasses.replace(current.order, referential_pin=referential_pin)
        return self._rewrite(current, order, current.status, JournalAction.REBASE)

    def delete(self, vendor_id: int, number: str, *, expected_version: int) -> None:
        current = self._current(vendor_id, number, expected_version)
        # Sites and lines go with it (ON DELETE CASCADE), only if the version still matches.
        result = self._session.execute(
            sa.delete(PurchaseOrderRow)
            .where(PurchaseOrderRow.id == current.id, PurchaseOrderRow.version == current.version)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentEditError(number, expected_version, self._version_of(current.id))
        self._journal.record(
            JournalAction.DELETE,
            PURCHASE_ORDER,
            number,
            before=order_document(current.order, status=current.status, version=current.version),
            vendor_id=vendor_id,
        )

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _filters(dispositif: str | None, status: str | None) -> list[sa.ColumnElement[bool]]:
        conditions: list[sa.ColumnElement[bool]] = []
        if dispositif is not None:
            conditions.append(PurchaseOrderRow.dispositif == dispositif)
        if status is not None:
            conditions.append(PurchaseOrderRow.status == status)
        return conditions

    def _load(
        self, vendor_id: int, conditions: Sequence[sa.ColumnElement[bool]]
    ) -> list[StoredOrder]:
        # Plain Core rows on the session's connection: the ORM's per-row machinery would cost
        # more than the database itself on 20,000 orders.
        connection = self._session.connection()
        heads = connection.execute(
            sa.select(*_HEAD_COLUMNS)
            .join(VendorRow, VendorRow.id == PurchaseOrderRow.vendor_id)
            .join(SolutionRow, SolutionRow.id == PurchaseOrderRow.solution_id)
            .where(PurchaseOrderRow.vendor_id == vendor_id, *conditions)
            .order_by(PurchaseOrderRow.number)
        ).all()
        if not heads:
            return []
        if len(heads) == 1:
            in_scope: sa.ColumnElement[bool] = OrderSiteRow.order_id == heads[0].id
            lines_in_scope: sa.ColumnElement[bool] = OrderLineRow.order_id == heads[0].id
        elif conditions:
            selected = sa.select(PurchaseOrderRow.id).where(
                PurchaseOrderRow.vendor_id == vendor_id, *conditions
            )
            in_scope = OrderSiteRow.order_id.in_(selected)
            lines_in_scope = OrderLineRow.order_id.in_(selected)
        else:
            in_scope = lines_in_scope = sa.true()
        sites: dict[int, list[SiteScenario]] = defaultdict(list)
        for order_id, finess_et, answers in connection.execute(
            sa.select(OrderSiteRow.order_id, OrderSiteRow.finess_et, OrderSiteRow.ordered_answers)
            .where(OrderSiteRow.vendor_id == vendor_id, in_scope)
            .order_by(OrderSiteRow.order_id, OrderSiteRow.position)
        ).all():
            sites[order_id].append(SiteScenario(finess_et=finess_et, answers=answers))
        lines: dict[int, list[OrderLine]] = defaultdict(list)
        for order_id, label, amount, dimension, not_funded, billed in connection.execute(
            sa.select(
                OrderLineRow.order_id,
                OrderLineRow.label,
                OrderLineRow.amount_ht_cents,
                OrderLineRow.dimension,
                OrderLineRow.not_funded,
                OrderLineRow.billed_as_segur,
            )
            .where(OrderLineRow.vendor_id == vendor_id, lines_in_scope)
            .order_by(OrderLineRow.order_id, OrderLineRow.position)
        ).all():
            lines[order_id].append(_line(label, amount, dimension, not_funded, billed))
        return [_stored(head, sites.get(head.id, ()), lines.get(head.id, ())) for head in heads]

    def _current(self, vendor_id: int, number: str, expected_version: int) -> StoredOrder:
        current = self.get(vendor_id, number)
        if current is None:
            raise ConcurrentEditError(number, expected_version, None)
        if current.version != expected_version:
            raise ConcurrentEditError(number, expected_version, current.version)
        return current

    def _version_of(self, order_id: int) -> int | None:
        return self._session.scalar(
            sa.select(PurchaseOrderRow.version).where(PurchaseOrderRow.id == order_id)
        )

    def _check_owner(self, vendor_id: int, orders: Iterable[PurchaseOrder]) -> None:
        siret = self._session.scalar(sa.select(VendorRow.siret).where(VendorRow.id == vendor_id))
        if siret is None:
            raise NotFoundError(f"Aucun éditeur n° {vendor_id} n'est enregistré.")
        for order in orders:
            if order.vendor_siret != siret:
                raise TenantMismatchError(
                    f"Le bon de commande {order.number} est au nom de l'éditeur de SIRET "
                    f"{order.vendor_siret}, pas de l'éditeur courant (SIRET {siret})."
                )

    def _solution_ids(self, vendor_id: int, orders: Iterable[PurchaseOrder]) -> dict[str, int]:
        known = dict(
            self._session.execute(
                sa.select(SolutionRow.referencing_number, SolutionRow.id).where(
                    SolutionRow.vendor_id == vendor_id
                )
            ).all()
        )
        missing = {
            order.solution_referencing_number
            for order in orders
            if order.solution_referencing_number not in known
        }
        if missing:
            raise UnknownSolutionError(
                "Solution(s) inconnue(s) pour cet éditeur, numéro(s) de référencement : "
                f"{_listed(missing)} ; importez d'abord les solutions (sons solution import)."
            )
        return known

    @staticmethod
    def _head_values(order: PurchaseOrder, solution_id: int) -> dict[str, Any]:
        return {
            "number": order.number,
            "solution_id": solution_id,
            "dispositif": order.dispositif,
            "client_kind": order.client_kind.value,
            "client_id": order.client_id,
            "signed_on": order.signed_on,
            "signatory": order.signatory,
            "under_referencing_condition": order.under_referencing_condition,
            "prestation_ht_cents": order.prestation_ht_cents,
            "prestation_ttc_cents": order.prestation_ttc_cents,
            "referential_pin": order.referential_pin,
            "extra": dict(order.extra),
        }

    @staticmethod
    def _site_ej(order: PurchaseOrder) -> str | None:
        # An order to a legal entity is for sites of that entity (one client per order).
        if order.client_kind is ClientKind.LEGAL_ENTITY:
            return directory_key(order.client_id)
        return None

    def _insert_sites(self, vendor_id: int, items: Iterable[tuple[int, PurchaseOrder]]) -> None:
        rows = [
            {
                "order_id": order_id,
                "vendor_id": vendor_id,
                "position": position,
                "finess_et": site.finess_et,
                "finess_ej": self._site_ej(order),
                "ordered_answers": dict(site.answers),
            }
            for order_id, order in items
            for position, site in enumerate(order.sites)
        ]
        insert_rows(self._session, OrderSiteRow, rows)

    def _insert_lines(
        self, vendor_id: int, items: Iterable[tuple[int, Sequence[OrderLine]]]
    ) -> None:
        rows = [
            {
                "order_id": order_id,
                "vendor_id": vendor_id,
                "position": position,
                "label": line.label,
                "amount_ht_cents": line.amount_ht_cents,
                "dimension": None if line.dimension is None else line.dimension.value,
                "not_funded": None if line.not_funded is None else line.not_funded.value,
                "billed_as_segur": line.billed_as_segur,
            }
            for order_id, lines in items
            for position, line in enumerate(lines)
        ]
        insert_rows(self._session, OrderLineRow, rows)

    def _rewrite(
        self, current: StoredOrder, order: PurchaseOrder, status: str, action: JournalAction
    ) -> StoredOrder:
        vendor_id = current.vendor_id
        solution_id = self._solution_ids(vendor_id, [order])[order.solution_referencing_number]
        now = self._clock()
        version = current.version + 1
        # The compare-and-swap: applies only if nobody saved since `current` was read.
        result = self._session.execute(
            sa.update(PurchaseOrderRow)
            .where(PurchaseOrderRow.id == current.id, PurchaseOrderRow.version == current.version)
            .values(
                **self._head_values(order, solution_id),
                status=status,
                version=version,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentEditError(order.number, current.version, self._version_of(current.id))
        if order.sites != current.order.sites or self._site_ej(order) != self._site_ej(
            current.order
        ):
            self._replace_sites(current.id, vendor_id, order)
        if order.lines != current.order.lines:
            self._delete_lines(current.id)
            self._insert_lines(vendor_id, [(current.id, order.lines)])
        stored = StoredOrder(current.id, vendor_id, order, status, version, current.created_at, now)
        self._journal.record(
            action,
            PURCHASE_ORDER,
            order.number,
            before=order_document(current.order, status=current.status, version=current.version),
            after=order_document(order, status=status, version=version),
            vendor_id=vendor_id,
        )
        return stored

    def _replace_sites(self, order_id: int, vendor_id: int, order: PurchaseOrder) -> None:
        """Rewrite the sites, keeping the row (and id) of a site whose FINESS is kept, so that
        what will hang off a site (installed scenario, evidence) survives an edit."""
        existing = self._session.execute(
            sa.select(OrderSiteRow.id, OrderSiteRow.finess_et)
            .where(OrderSiteRow.order_id == order_id)
            .order_by(OrderSiteRow.position)
        ).all()
        free: dict[str | None, list[int]] = defaultdict(list)
        for row in existing:
            free[row.finess_et].append(row.id)
        new_rows = []
        for position, site in enumerate(order.sites):
            values = {
                "position": position,
                "finess_et": site.finess_et,
                "finess_ej": self._site_ej(order),
                "ordered_answers": dict(site.answers),
            }
            if free[site.finess_et]:
                site_id = free[site.finess_et].pop(0)
                self._session.execute(
                    sa.update(OrderSiteRow)
                    .where(OrderSiteRow.id == site_id)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
            else:
                new_rows.append({**values, "order_id": order_id, "vendor_id": vendor_id})
        stale = [site_id for ids in free.values() for site_id in ids]
        if stale:
            self._session.execute(
                sa.delete(OrderSiteRow)
                .where(OrderSiteRow.id.in_(stale))
                .execution_options(synchronize_session=False)
            )
        if new_rows:
            insert_rows(self._session, OrderSiteRow, new_rows)

    def _delete_lines(self, order_id: int) -> None:
        self._session.execute(
            sa.delete(OrderLineRow)
            .where(OrderLineRow.order_id == order_id)
            .execution_options(synchronize_session=False)
        )
