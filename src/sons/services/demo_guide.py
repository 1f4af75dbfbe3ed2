"""What each role can try in the served demo (`sons demo --serve`), read from its database.

Printed beside the logins, so that a vendor, a client and an operator each know where their
work is. Every figure is counted in the database at serve time, never written here; the
client's link is a real one, created through `services.questionnaire_links` for the demo
vendor's administrator, so that someone without an account can open it at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from sons.domain.workflow import Audience, RequestKind, status_label
from sons.services.accounts import Accounts, Caller, NotFound
from sons.services.actors import reading
from sons.services.demo_data import DEFECTS
from sons.services.deposits import list_deposits
from sons.services.instruction import AWAITING_OPERATOR, queue
from sons.services.questionnaire_links import DEFAULT_DAYS, AnswersRefused, create_link
from sons.store.unit_of_work import Clock, system_clock

# The order the client is asked to answer for: its data declares the DMP both direct and
# through a PFI, a conflict that only the client's own answer settles.
CLIENT_ORDER, (CLIENT_ORDER_MISTAKE, _) = next(
    (number, defect)
    for number, defect in DEFECTS.items()
    if defect[1] == "SCENARIO_ALTERNATIVES_CONFLICT"
)
CLIENT_RECIPIENT = "le client de la démonstration"


@dataclass(frozen=True)
class ClientLink:
    order_number: str
    mistake: str  # the mistake planted in the order's answers, for people
    token: str  # the path's last segment: /questionnaire/{token}
    days: int
    created_by: str


@dataclass(frozen=True)
class DemoGuide:
    vendor_name: str
    orders: int
    deposits: int
    client_link: ClientLink | None
    # (the operator's label of a status, how many requests are in it), in the workflow's order.
    awaiting: tuple[tuple[str, int], ...]

    @property
    def awaiting_total(self) -> int:
        return sum(count for _, count in self.awaiting)


def _client_link(engine: Engine, caller: Caller, secret: str, clock: Clock) -> ClientLink | None:
    """A link to the client order's questionnaire; None when the database has no such order
    with sites (a database not produced by the walk)."""
    try:
        created = create_link(
            engine,
            caller,
            CLIENT_ORDER,
            recipient=CLIENT_RECIPIENT,
            days=DEFAULT_DAYS,
            secret=secret,
            clock=clock,
        )
    except (NotFound, AnswersRefused):
        return None
    return ClientLink(CLIENT_ORDER, CLIENT_ORDER_MISTAKE, created.token, DEFAULT_DAYS, caller.actor)


def demo_guide(
    engine: Engine,
    accounts: Accounts,
    *,
    vendor_admin: str,
    secret: str,
    clock: Clock = system_clock,
) -> DemoGuide:
    """The vendor's figures, a client link (journaled as created by `vendor_admin`), and what
    waits in the operator's queue. `secret` is the served application's: the link is signed
    with it."""
    caller = accounts.caller_of(vendor_admin)
    vendor_id = caller.vendor_id
    if vendor_id is None:
        raise NotFound(f"Le compte {vendor_admin} n'est rattaché à aucun éditeur.")
    with reading(engine) as uow:
        orders = uow.orders.count(vendor_id)
    deposits = len(list_deposits(engine, vendor_id))
    link = _client_link(engine, caller, secret, clock)
    received = queue(engine)
    awaiting = tuple(
        (status_label(status, RequestKind.ADVANCE, Audience.OPERATOR), received.count(status))
        for status in AWAITING_OPERATOR
        if received.count(status)
    )
    return DemoGuide(caller.organisation_name, orders, deposits, link, awaiting)
