"""What a document is made from, without the PDF engine.

Services that only prepare documents (the deposit builder, the document service) import this
module, and the PDF modules only when they render: loading fpdf2 and its fonts costs most of a
command's start-up time, and most commands print no PDF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sons.domain.orders import ClientKind, PurchaseOrder, Site, Solution, Vendor
from sons.referential.loader import DispositifAtDate

NOT_PROVIDED = "non renseigné"
NO_FINESS = "sans FINESS"


class DocumentError(ValueError):
    """A document cannot be produced from its input; the message is in French."""


@dataclass(frozen=True, slots=True)
class DocumentContext:
    """What every document of one order shows: the parties, the solution, the rules in force.

    `sites` gives the names of the order's sites (by FINESS ET); `logo` is the vendor's logo
    image when configured; `creation_date` is stamped into the PDF (naive means UTC).
    """

    order: PurchaseOrder
    vendor: Vendor
    solution: Solution
    client_name: str
    view: DispositifAtDate
    creation_date: dt.datetime
    sites: Sequence[Site] = ()
    logo: Path | None = None

    def site_name(self, finess_et: str | None) -> str:
        if finess_et is None:
            # A professional's practice without FINESS: the client is the site.
            return self.client_name
        for site in self.sites:
            if site.finess_et == finess_et:
                return site.name
        return NOT_PROVIDED

    @property
    def client_identifier(self) -> str:
        kind = "FINESS EJ" if self.order.client_kind is ClientKind.LEGAL_ENTITY else "RPPS"
        return f"{kind} {self.order.client_id}"
