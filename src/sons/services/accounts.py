"""Accounts and who may see what: organisations, users, roles, logins, sessions, API tokens.

Tenant isolation lives here. Every use case takes the `Caller` (who asks, in which organisation)
and scopes its reads to what that organisation may see: a vendor's users see their own
organisation only; the operator sees every vendor. Anything outside the caller's scope is
answered exactly like something that does not exist (`NotFound`), never with its data.

Secrets: passwords are hashed with argon2 (argon2-cffi); a session cookie and an API token are
random strings kept as SHA-256 digests, so a copy of the database lets nobody log in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Engine

from sons.domain.identifiers import IdentifierError, check_siret
from sons.domain.orders import Vendor
from sons.domain.workflow import Audience
from sons.store.accounts import AccountRepository, ApiToken, Organisation, User
from sons.store.unit_of_work import UnitOfWork, system_clock

Clock = Callable[[], dt.datetime]


class OrganisationKind(StrEnum):
    VENDOR = "vendor"
    OPERATOR = "operator"


class Role(StrEnum):
    VENDOR_ADMIN = "vendor_admin"
    VENDOR_USER = "vendor_user"
    OPERATOR_INSTRUCTOR = "operator_instructor"
    OPERATOR_ADMIN = "operator_admin"


ROLE_LABELS: dict[Role, str] = {
    Role.VENDOR_ADMIN: "administrateur de l'éditeur",
    Role.VENDOR_USER: "utilisateur de l'éditeur",
    Role.OPERATOR_INSTRUCTOR: "instructeur de l'opérateur",
    Role.OPERATOR_ADMIN: "administrateur de l'opérateur",
}

ROLES_OF: dict[OrganisationKind, frozenset[Role]] = {
    OrganisationKind.VENDOR: frozenset({Role.VENDOR_ADMIN, Role.VENDOR_USER}),
    OrganisationKind.OPERATOR: frozenset({Role.OPERATOR_INSTRUCTOR, Role.OPERATOR_ADMIN}),
}

ADMIN_ROLES = frozenset({Role.VENDOR_ADMIN, Role.OPERATOR_ADMIN})

# What `sons user create --org` accepts for the operator, besides a vendor's SIRET.
OPERATOR_ORG = "operateur"

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
TOKEN_PREFIX = "sons_"
TOKEN_USE_PRECISION = dt.timedelta(hours=1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX_LENGTH = 200


class AccountError(Exception):
    """A refusal: a stable ASCII `code` and a French `message` for the user."""

    code = "ACCOUNT_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AccountError):
    code = "NOT_FOUND"


class Forbidden(AccountError):
    code = "FORBIDDEN"


class InvalidAccount(AccountError):
    code = "ACCOUNT_INVALID"


class LoginFailed(AccountError):
    code = "LOGIN_FAILED"


class LoginThrottled(AccountError):
    code = "LOGIN_RATE_LIMITED"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: the user, their role and their organisation (the tenant)."""

    user_id: int
    email: str
    name: str
    role: Role
    organisation_id: int
    organisation_name: str
    organisation_kind: OrganisationKind
    vendor_id: int | None

    @property
    def is_operator(self) -> bool:
        return self.organisation_kind is OrganisationKind.OPERATOR

    @property
    def is_admin(self) -> bool:
        return self.role in ADMIN_ROLES

    @property
    def audience(self) -> Audience:
        """Which side of the workflow table the caller acts on."""
        return Audience.OPERATOR if self.is_operator else Audience.VENDOR

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def actor(self) -> str:
        """How the journal names this caller."""
        return self.email

    @classmethod
    def of(cls, user: User, organisation: Organisation) -> Self:
        return cls(
            user_id=user.id,
            email=user.email,
            name=user.name,
            role=Role(user.role),
            organisation_id=organisation.id,
            organisation_name=organisation.name,
            organisation_kind=OrganisationKind(organisation.kind),
            vendor_id=organisation.vendor_id,
        )


@dataclass(frozen=True, slots=True)
class OpenedSession:
    """A login that succeeded: the cookie value (shown once) and its CSRF token."""

    caller: Caller
    token: str
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CreatedToken:
    token: ApiToken
    secret: str


@dataclass(frozen=True, slots=True)
class UserView:
    """A user as listed to an administrator, with their organisation's name."""

    user: User
    organisation_name: str

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.user.role)]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    cleaned = normalise_email(email)
    if not _EMAIL.match(cleaned) or len(cleaned) > 320 or not cleaned.isprintable():
        raise InvalidAccount(f"Adresse électronique « {email} » invalide : attendu nom@domaine.fr.")
    return cleaned


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidAccount(
            f"Mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères sont attendus "
            f"({len(password)} reçus)."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidAccount(
            f"Mot de passe trop long : au plus {MAX_PASSWORD_LENGTH} caractères sont acceptés."
        )
    return password


def check_name(name: str, what: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise InvalidAccount(f"{what} : une valeur non vide est attendue.")
    if not cleaned.isprintable():
        raise InvalidAccount(f"{what} : les caractères de contrôle ne sont pas acceptés.")
    if len(cleaned) > NAME_MAX_LENGTH:
        raise InvalidAccount(f"{what} : au plus {NAME_MAX_LENGTH} caractères sont acceptés.")
    return cleaned


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        listed = ", ".join(f"{r.value} ({ROLE_LABELS[r]})" for r in Role)
        raise InvalidAccount(f"Rôle « {value} » inconnu ; rôles possibles : {listed}.") from None


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    """How many failed logins, per address and login, within which window, lock the login."""

    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)


class Accounts:
    """The accounts use cases, on one database; every write in a journaled unit of work."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = system_clock,
        hasher: PasswordHasher | None = None,
        session_ttl: dt.timedelta = dt.timedelta(hours=12),
        login_policy: LoginPolicy | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._session_ttl = session_ttl
        self._policy = login_policy or LoginPolicy()
        # Verifying against this when the login is unknown takes as long as a real check:
        # response times do not reveal which addresses have an account.
        self._decoy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def _write(self, actor: str) -> UnitOfWork:
        return UnitOfWork(self._engine, actor, self._clock)

    def _read(self, actor: str = "lecture") -> UnitOfWork:
        return UnitOfWork(self._engine, actor, self._clock, read_only=True)

    @staticmethod
    def _repo(uow: UnitOfWork) -> AccountRepository:
        return AccountRepository(uow.session, uow.journal, uow.now)

    # -- organisations and users (administration) ---------------------------------------------

    def create_user(
        self,
        actor: str,
        *,
        org: str,
        email: str,
        role: str,
        password: str,
        name: str | None = None,
        org_name: str | None = None,
    ) -> UserView:
        """Create a user in the organisation `org` (a vendor's SIRET, or « operateur »).

        Used by `sons user create` (the actor is whoever runs it). The organisation is created
        on first use: the operator's, or a vendor's from the vendor already stored under that
        SIRET — or, given `org_name`, a new vendor.
        """
        email = check_email(email)
        wanted = parse_role(role)
        check_password(password)
        display = check_name(name if name is not None else email.split("@")[0], "Nom")
        with self._write(actor) as uow:
            repo = self._repo(uow)
            organisation = self._organisation_for(uow, repo, org, org_name)
            return self._add_user(repo, organisation, email, display, wanted, password)

    def add_user(
        self, caller: Caller, *, email: str, name: str, role: str, password: str
    ) -> UserView:
        """An administrator adds a user to their own organisation."""
        if not caller.is_admin:
            raise Forbidden("Seul un administrateur peut créer des comptes.")
        email = check_email(email)
        wanted = parse_role(role)
        check_password(password)
        display = check_name(name, "Nom")
        with self._write(caller.actor) as uow:
            repo = self._repo(uow)
            organisation = repo.organisation(caller.organisation_id)
            if organisation is None:
                raise NotFound("Votre organisation n'existe plus.")
            return self._add_user(repo, organisation, email, display, wanted, password)

    def _add_user(
        self,
        repo: AccountRepository,
        organisation: Organisation,
        email: str,
        name: str,
        role: Role,
        password: str,
    ) -> UserView:
        kind = OrganisationKind(organisation.kind)
        if role not in ROLES_OF[kind]:
            allowed = ", ".join(sorted(r.value for r in ROLES_OF[kind]))
            raise InvalidAccount(
                f"Le rôle « {role.value} » ne convient pas à l'organisation "
                f"« {organisation.name} » "
                f"({'opérateur' if kind is OrganisationKind.OPERATOR else 'éditeur'}) ; "
                f"rôles possibles : {allowed}."
            )
        if repo.user_by_email(email) is not None:
            raise InvalidAccount(f"Un compte existe déjà pour l'adresse {email}.")
        user = repo.add_user(organisation, email, name, role.value, self._hasher.hash(password))
        return UserView(user, organisation.name)

    def _organisation_for(
        self, uow: UnitOfWork, repo: AccountRepository, org: str, org_name: str | None
    ) -> Organisation:
        if org.strip().lower() in (OPERATOR_ORG, "opérateur", "operator"):
            found = repo.organisations(kind=OrganisationKind.OPERATOR.value)
            if found:
                return found[0]
            name = check_name(org_name or "Opérateur du financement", "Nom de l'organisation")
            return repo.add_organisation(name, OrganisationKind.OPERATOR.value, None)
        try:
            siret = check_siret(org)
        except IdentifierError as exc:
            raise InvalidAccount(
                f"Organisation « {org} » : attendu le SIRET de l'éditeur ou « {OPERATOR_ORG} » — "
                f"{exc.message}"
            ) from None
        vendor_id = uow.vendors.id_of(siret)
        if vendor_id is None:
            if not org_name:
                raise InvalidAccount(
                    f"Aucun éditeur de SIRET {siret} dans la base : importez-le d'abord, ou "
                    "donnez son nom (--org-name) pour le créer."
                )
            saved = uow.vendors.save(
                Vendor(name=check_name(org_name, "Nom de l'éditeur"), siren=siret[:9], siret=siret)
            )
            vendor_id = saved.id
        existing = repo.organisation_of_vendor(vendor_id)
        if existing is not None:
            return existing
        vendor = uow.vendors.get(vendor_id)
        assert vendor is not None
        return repo.add_organisation(vendor.name, OrganisationKind.VENDOR.value, vendor_id)

    def users(self, caller: Caller) -> list[UserView]:
        """The users an administrator may see: their organisation's; all, for the operator's."""
        if not caller.is_admin:
            raise Forbidden("Seul un administrateur peut consulter la liste des comptes.")
        with self._read(caller.actor) as uow:
            repo = self._repo(uow)
            names = {o.id: o.name for o in repo.organisations()}
            scope = None if caller.is_operator else caller.organisation_id
            return [
                UserView(u, names[u.organisation_id]) for u in repo.users(organisation_id=scope)
            ]

    def user(self, caller: Caller, user_id: int) -> UserView:
        """One user, if the caller may see them; otherwise the same answer as a missing id."""
        with self._read(caller.actor) as uow:
            repo = self._repo(uow)
            user = repo.user(user_id)
            visible = user is not None and (
                user.id == caller.user_id
                or (caller.is_admin and caller.is_operator)
                or (caller.is_admin and user.organisation_id == caller.organisation_id)
            )
            if user is None or not visible:
                raise NotFound(f"Aucun compte n° {user_id}.")
            organisation = repo.organisation(user.organisation_id)
            assert organisation is not None
            return UserView(user, organisation.name)

    def organisation_names(self, caller: Caller) -> dict[int, str]:
        """Organisation id → name, as far as the caller may see (used to label lists)."""
        with self._read(caller.actor) as uow:
            organisations = self._repo(uow).organisations()
        if caller.is_operator:
            return {o.id: o.name for o in organisations}
        return {o.id: o.name for o in organisations if o.id == caller.organisation_id}

    def vendor_names(self, caller: Caller) -> dict[int, str]:
        """Vendor id → organisation name, for the vendors the caller may see."""
        with self._read(caller.actor) as uow:
            organisations = self._repo(uow).organisations(kind=OrganisationKind.VENDOR.value)
        return {
            o.vendor_id: o.name
            for o in organisations
            if o.vendor_id is not None and (caller.is_operator or o.vendor_id == caller.vendor_id)
        }

    # -- logging in and out ------------------------------------------------------------------

    def log_in(self, ip: str, login: str, password: str) -> OpenedSession:
        """Check a password and open a session; too many failures lock the login for a while.

        The password is checked outside any transaction: argon2 is slow on purpose, and the
        store's write lock must not wait for it.
        """
        email = "".join(ch for ch in normalise_email(login) if ch.isprintable())[:320]
        now = self._now()
        with self._read() as uow:
            repo = self._repo(uow)
            self._refuse_if_throttled(repo.failures_since(ip, email, now - self._policy.window))
            user = repo.user_by_email(email)
            stored = repo.password_hash(user.id) if user is not None else None
        if user is None or stored is None or not user.active:
            self._verify(self._decoy_hash, password)
            user = None
        elif not self._verify(stored, password):
            user = None
        with self._write(email or "anonyme") as uow:
            repo = self._repo(uow)
            if user is None or stored is None:
                repo.add_failure(ip, email, now, forget_before=now - self._policy.window)
            else:
                repo.clear_failures(ip, email)
                rehash = self._hasher.hash(password) if self._needs_rehash(stored) else None
                repo.record_login(user.id, now, rehash)
                repo.purge_sessions(now)
                token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                expires = now + self._session_ttl
                repo.add_session(digest(token), user.id, csrf, expires)
                organisation = repo.organisation(user.organisation_id)
                assert organisation is not None
                caller = Caller.of(user, organisation)
        # Raised once the failure is committed: it must count although the login is refused.
        if user is None:
            raise LoginFailed("Identifiant ou mot de passe incorrect.")
        return OpenedSession(caller, token, csrf, expires)

    def _refuse_if_throttled(self, failures: list[dt.datetime]) -> None:
        policy = self._policy
        if len(failures) < policy.max_failures:
            return
        unlock = failures[-policy.max_failures] + policy.window
        minutes = max(1, -(-int((unlock - self._now()).total_seconds()) // 60))
        raise LoginThrottled(
            "Trop de tentatives de connexion échouées pour cet identifiant depuis votre adresse "
            f"({policy.max_failures} en {int(policy.window.total_seconds() // 60)} minutes). "
            f"Réessayez dans {minutes} minute{'s' if minutes > 1 else ''}.",
            retry_after=minutes * 60,
        )

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(stored, password[:MAX_PASSWORD_LENGTH]))
        except (VerificationError, InvalidHashError):
            return False

    def _needs_rehash(self, stored: str) -> bool:
        try:
            return bool(self._hasher.check_needs_rehash(stored))
        except InvalidHashError:
            return False

    def session(self, token: str) -> tuple[Caller, str] | None:
        """The caller and CSRF token of a session cookie, or None if it is unknown or expired."""
        if not token or len(token) > 128:
            return None
        # A glance (one statement): every page reads it, see `UnitOfWork(glance=True)`.
        with UnitOfWork(self._engine, "lecture", self._clock, glance=True) as uow:
            found = self._repo(uow).session_caller(digest(token))
        if found is None:
            return None
        web_session, user, organisation = found
        if web_session.expires_at <= self._now() or not user.active:
            return None
        return Caller.of(user, organisation), web_session.csrf_token

    def log_out(self, token: str) -> None:
        with self._write("déconnexion") as uow:
            self._repo(uow).delete_session(digest(token))

    # -- API tokens --------------------------------------------------------------------------

    def create_token(self, caller: Caller, name: str) -> CreatedToken:
        label = check_name(name, "Nom du jeton")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._write(caller.actor) as uow:
            repo = self._repo(uow)
            user = repo.user(caller.user_id)
            if user is None:
                raise NotFound("Votre compte n'existe plus.")
            token = repo.add_token(user, label, digest(secret), secret[: len(TOKEN_PREFIX) + 6])
        return CreatedToken(token, secret)

    def tokens(self, caller: Caller) -> list[ApiToken]:
        with self._read(caller.actor) as uow:
            return self._repo(uow).tokens(caller.user_id)

    def revoke_token(self, caller: Caller, token_id: int) -> ApiToken:
        """Revoke one of the caller's own tokens; anyone else's answers like a missing one."""
        with self._write(caller.actor) as uow:
            repo = self._repo(uow)
            token = repo.token(caller.user_id, token_id)
            user = repo.user(caller.user_id)
            if token is None or user is None:
                raise NotFound(f"Aucun jeton n° {token_id}.")
            if token.revoked_at is not None:
                return token
            return repo.revoke_token(user, token)

    def caller_for_token(self, secret: str) -> Caller | None:
        """The caller an API token stands for, or None if it is unknown or revoked."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
            return None
        with self._read() as uow:
            repo = self._repo(uow)
            token = repo.token_by_hash(digest(secret))
            if token is None or token.revoked_at is not None:
                return None
            caller = self._caller(repo, token.user_id)
        now = self._now()
        if caller is not None and (
            token.last_used_at is None or now - token.last_used_at > TOKEN_USE_PRECISION
        ):
            # Its owner sees when a token last served; to the hour, not a write per request.
            with self._write(caller.actor) as uow:
                self._repo(uow).touch_token(token.id, now)
        return caller

    def caller_of(self, email: str) -> Caller:
        """The active user `email` as a caller, without their password: for code that acts on
        the server side for a user it created (the demo prepares a client's link as its
        vendor's administrator), never for anything a request asks."""
        with self._read() as uow:
            repo = self._repo(uow)
            user = repo.user_by_email(normalise_email(email))
            caller = None if user is None else self._caller(repo, user.id)
        if caller is None:
            raise NotFound(f"Aucun compte actif pour l'adresse {email}.")
        return caller

    def me(self, caller: Caller) -> UserView:
        return self.user(caller, caller.user_id)

    # -- helpers -----------------------------------------------------------------------------

    def _caller(self, repo: AccountRepository, user_id: int) -> Caller | None:
        user = repo.user(user_id)
        if user is None or not user.active:
            return None
        organisation = repo.organisation(user.organisation_id)
        return None if organisation is None else Caller.of(user, organisation)

    def _now(self) -> dt.datetime:
        return self._clock().astimezone(dt.UTC)
