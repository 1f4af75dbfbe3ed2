"""Vendors (éditeurs), the tenants: creating one, listing them, and choosing the one a command
works for.

A vendor is known by its SIRET (checked with its Luhn key, La Poste's exception included); its
SIREN is the SIRET's first nine digits. Solutions and orders always belong to one vendor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from sons.domain.identifiers import IdentifierError, check_siret
from sons.domain.orders import Vendor
from sons.services.actors import reading
from sons.store.errors import NotFoundError, StoreError
from sons.store.journal import Change
from sons.store.unit_of_work import Clock, UnitOfWork, system_clock


class VendorRequestError(StoreError):
    """A vendor that cannot be created or chosen as asked; `str()` is French."""


@dataclass(frozen=True)
class VendorEntry:
    id: int
    vendor: Vendor
    solutions: int = 0
    orders: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.vendor.name,
            "siren": self.vendor.siren,
            "siret": self.vendor.siret,
            "enrolment_number": self.vendor.enrolment_number,
            "solutions": self.solutions,
            "orders": self.orders,
        }


def create_vendor(
    engine: Engine,
    *,
    name: str,
    siret: str,
    enrolment_number: str | None = None,
    actor: str,
    clock: Clock = system_clock,
) -> tuple[VendorEntry, Change]:
    """Create the vendor of that SIRET, or update its name and enrolment number; journaled
    when something changes, nothing done when it is already as asked."""
    if not name.strip():
        raise VendorRequestError("La raison sociale de l'éditeur (--name) est vide.")
    try:
        number = check_siret(siret)
    except IdentifierError as error:
        raise VendorRequestError(f"SIRET de l'éditeur (--siret) : {error.message}.") from None
    enrolment = (enrolment_number or "").strip() or None
    vendor = Vendor(name=name.strip(), siren=number[:9], siret=number, enrolment_number=enrolment)
    with UnitOfWork(engine, actor, clock) as uow:
        saved = uow.vendors.save(vendor)
    return VendorEntry(saved.id, vendor), saved.change


def list_vendors(engine: Engine) -> list[VendorEntry]:
    """Every vendor, by name, with how many solutions and orders it holds."""
    with reading(engine) as uow:
        return [
            VendorEntry(
                vendor_id,
                vendor,
                solutions=len(uow.solutions.all(vendor_id)),
                orders=uow.orders.count(vendor_id),
            )
            for vendor_id, vendor in uow.vendors.all().items()
        ]


def _listed(entries: list[VendorEntry]) -> str:
    return " ; ".join(f"{e.vendor.siret} ({e.vendor.name})" for e in entries)


def resolve_vendor(engine: Engine, siret: str | None) -> VendorEntry:
    """The vendor a command works for: the one of `siret` when given, else the only vendor
    of the store; a French `VendorRequestError` naming the vendors otherwise."""
    with reading(engine) as uow:
        vendors = [
            VendorEntry(vendor_id, vendor) for vendor_id, vendor in uow.vendors.all().items()
        ]
    if siret is not None and siret.strip():
        wanted = "".join(siret.split()).replace(".", "")
        for entry in vendors:
            if entry.vendor.siret == wanted:
                return entry
        known = f" Éditeurs enregistrés : {_listed(vendors)}." if vendors else ""
        raise NotFoundError(
            f"Aucun éditeur de SIRET {wanted} n'est enregistré.{known} Créez-le avec « sons "
            "vendor create --name … --siret … »."
        )
    if len(vendors) == 1:
        return vendors[0]
    if not vendors:
        raise VendorRequestError(
            "Aucun éditeur n'est enregistré : créez-le d'abord avec « sons vendor create "
            "--name … --siret … »."
        )
    raise VendorRequestError(
        f"Plusieurs éditeurs sont enregistrés : {_listed(vendors)}. Précisez lequel avec "
        "--vendor SIRET ou la variable d'environnement SONS_VENDOR."
    )
