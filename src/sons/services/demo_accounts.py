"""The demo's web accounts: one per role, in the demo vendor's tenant, a second vendor's tenant
and the operator, so that `sons demo --serve` can be used by everyone at once in a browser.

Passwords are drawn at random at each run (the demo database is recreated each time too) and
shown once, on the terminal that started the demo: the demo is served on the loopback, but a
fixed, published password would still be a password anyone could guess.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sons.formats.synthetic_finess import siret_number
from sons.services.accounts import OPERATOR_ORG, ROLE_LABELS, Accounts, Role
from sons.services.demo_data import VENDOR_NAME, VENDOR_SIRET

DEMO_ACCOUNTS_ACTOR = "demo"
# A second vendor, with no data: what it sees shows the tenants apart.
OTHER_VENDOR_NAME = "Autre Éditeur Démo"
OTHER_VENDOR_SIRET = siret_number(27_182_818)
OPERATOR_NAME = "Opérateur du financement (démo)"
# The demo vendor's administrator: `sons demo --serve` prepares the client's link in their name.
VENDOR_ADMIN_EMAIL = "admin@editeur-demo.fr"


@dataclass(frozen=True, slots=True)
class DemoAccountSpec:
    email: str
    name: str
    role: Role
    org: str
    org_name: str


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    password: str
    name: str
    role: Role
    organisation: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


DEMO_ACCOUNT_SPECS: tuple[DemoAccountSpec, ...] = (
    DemoAccountSpec(
        VENDOR_ADMIN_EMAIL, "Alice Admin", Role.VENDOR_ADMIN, VENDOR_SIRET, VENDOR_NAME
    ),
    DemoAccountSpec(
        "adv@editeur-demo.fr", "Bruno Commandes", Role.VENDOR_USER, VENDOR_SIRET, VENDOR_NAME
    ),
    DemoAccountSpec(
        "admin@autre-editeur-demo.fr",
        "Chloé Autre",
        Role.VENDOR_ADMIN,
        OTHER_VENDOR_SIRET,
        OTHER_VENDOR_NAME,
    ),
    DemoAccountSpec(
        "instructeur@operateur-demo.fr",
        "Denis Instructeur",
        Role.OPERATOR_INSTRUCTOR,
        OPERATOR_ORG,
        OPERATOR_NAME,
    ),
    DemoAccountSpec(
        "admin@operateur-demo.fr", "Émilie Admin", Role.OPERATOR_ADMIN, OPERATOR_ORG, OPERATOR_NAME
    ),
)


def random_password() -> str:
    return secrets.token_urlsafe(12)


def create_demo_accounts(
    accounts: Accounts, password: Callable[[], str] = random_password
) -> list[DemoAccount]:
    """Create every demo account (and its organisation) in the demo database, journaled as
    « demo »; returns them with their passwords, to be shown once."""
    created: list[DemoAccount] = []
    for spec in DEMO_ACCOUNT_SPECS:
        secret = password()
        view = accounts.create_user(
            DEMO_ACCOUNTS_ACTOR,
            org=spec.org,
            org_name=spec.org_name,
            email=spec.email,
            role=spec.role.value,
            password=secret,
            name=spec.name,
        )
        created.append(
            DemoAccount(view.user.email, secret, spec.name, spec.role, view.organisation_name)
        )
    return created
