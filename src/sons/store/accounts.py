"""Accounts: organisations, users, web sessions, API tokens and failed logins.

Tables registered on the store's metadata (migration 0002). An organisation is a vendor tenant
(`vendor_id` set) or the operator (`vendor_id` empty). Secrets never sit here in clear: passwords
as argon2 hashes, session cookies and API tokens as SHA-256 digests (they are long random
strings, so a fast digest is enough and a lookup by digest stays an index seek).

Changes to organisations, users and tokens are journaled with whoever made them; a password
hash or a token digest never enters the journal. Sessions and failed logins are authentication
state, not data: they are written without a journal entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from sons.store.journal import JournalAction, JournaledRepository
from sons.store.tables import HASH_LENGTH, Base, Timestamps

ORGANISATION = "organisation"
USER = "user"
API_TOKEN = "api_token"


class OrganisationRow(Timestamps, Base):
    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'vendor' AND vendor_id IS NOT NULL) "
            "OR (kind = 'operator' AND vendor_id IS NULL)",
            name="kind_matches_vendor",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    kind: Mapped[str]
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), unique=True)


class UserRow(Timestamps, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # Stored lower-cased: logins are case-insensitive, and unique as such.
    email: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]
    role: Mapped[str]
    password_hash: Mapped[str]
    active: Mapped[bool]
    last_login_at: Mapped[dt.datetime | None]


class WebSessionRow(Base):
    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str]
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str]
    token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    # The first characters of the secret, so its owner can tell two tokens apart.
    prefix: Mapped[str]
    created_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]


class LoginFailureRow(Base):
    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_ip_login_at", "ip", "login", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str]
    login: Mapped[str]
    at: Mapped[dt.datetime]


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    kind: str
    vendor_id: int | None


@dataclass(frozen=True, slots=True)
class User:
    id: int
    organisation_id: int
    email: str
    name: str
    role: str
    active: bool
    last_login_at: dt.datetime | None
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class WebSession:
    user_id: int
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


def _organisation(row: OrganisationRow) -> Organisation:
    return Organisation(row.id, row.name, row.kind, row.vendor_id)


def _user(row: UserRow) -> User:
    return User(
        row.id,
        row.organisation_id,
        row.email,
        row.name,
        row.role,
        row.active,
        row.last_login_at,
        row.created_at,
    )


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        row.id, row.user_id, row.name, row.prefix, row.created_at, row.last_used_at, row.revoked_at
    )


def user_document(user: User) -> dict[str, Any]:
    """A user as the journal keeps it: no password hash."""
    return {
        "id": user.id,
        "organisation_id": user.organisation_id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "active": user.active,
    }


# Every page runs it: built once, plain columns (no ORM objects to load and track).
_SESSION_CALLER = (
    sa.select(
        WebSessionRow.user_id,
        WebSessionRow.csrf_token,
        WebSessionRow.expires_at,
        UserRow.organisation_id,
        UserRow.email,
        UserRow.name.label("user_name"),
        UserRow.role,
        UserRow.active,
        UserRow.last_login_at,
        UserRow.created_at,
        OrganisationRow.name.label("organisation_name"),
        OrganisationRow.kind,
        OrganisationRow.vendor_id,
    )
    .join(UserRow, UserRow.id == WebSessionRow.user_id)
    .join(OrganisationRow, OrganisationRow.id == UserRow.organisation_id)
    .where(WebSessionRow.token_hash == sa.bindparam("token_hash"))
)


class AccountRepository(JournaledRepository):
    """Reads and writes of accounts; the services scope them to the caller's organisation."""

    # -- organisations -----------------------------------------------------------------------

    def add_organisation(self, name: str, kind: str, vendor_id: int | None) -> Organisation:
        now = self._clock()
        row = OrganisationRow(
            name=name, kind=kind, vendor_id=vendor_id, created_at=now, updated_at=now
        )
        self._session.add(row)
        self._session.flush()
        organisation = _organisation(row)
        self._journal.record(
            JournalAction.CREATE,
            ORGANISATION,
            str(row.id),
            after={"id": row.id, "name": name, "kind": kind, "vendor_id": vendor_id},
            vendor_id=vendor_id,
        )
        return organisation

    def organisation(self, organisation_id: int) -> Organisation | None:
        row = self._session.get(OrganisationRow, organisation_id)
        return None if row is None else _organisation(row)

    def organisation_of_vendor(self, vendor_id: int) -> Organisation | None:
        row = self._session.scalar(
            sa.select(OrganisationRow).where(OrganisationRow.vendor_id == vendor_id)
        )
        return None if row is None else _organisation(row)

    def organisations(self, *, kind: str | None = None) -> list[Organisation]:
        query = sa.select(OrganisationRow).order_by(OrganisationRow.name, OrganisationRow.id)
        if kind is not None:
            query = query.where(OrganisationRow.kind == kind)
        return [_organisation(row) for row in self._session.scalars(query)]

    # -- users -------------------------------------------------------------------------------

    def add_user(
        self, organisation: Organisation, email: str, name: str, role: str, password_hash: str
    ) -> User:
        now = self._clock()
        row = UserRow(
            organisation_id=organisation.id,
            email=email,
            name=name,
            role=role,
            password_hash=password_hash,
            active=True,
            last_login_at=None,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        self._session.flush()
        user = _user(row)
        self._journal.record(
            JournalAction.CREATE,
            USER,
            str(user.id),
            after=user_document(user),
            vendor_id=organisation.vendor_id,
        )
        return user

    def user(self, user_id: int) -> User | None:
        row = self._session.get(UserRow, user_id)
        return None if row is None else _user(row)

    def user_by_email(self, email: str) -> User | None:
        row = self._session.scalar(sa.select(UserRow).where(UserRow.email == email))
        return None if row is None else _user(row)

    def password_hash(self, user_id: int) -> str | None:
        return self._session.scalar(sa.select(UserRow.password_hash).where(UserRow.id == user_id))

    def users(self, *, organisation_id: int | None = None) -> list[User]:
        query = sa.select(UserRow).order_by(UserRow.email)
        if organisation_id is not None:
            query = query.where(UserRow.organisation_id == organisation_id)
        return [_user(row) for row in self._session.scalars(query)]

    def record_login(self, user_id: int, at: dt.datetime, new_hash: str | None = None) -> None:
        """The last login (not journaled: authentication state); a rehashed password with it."""
        values: dict[str, Any] = {"last_login_at": at}
        if new_hash is not None:
            values["password_hash"] = new_hash
        self._session.execute(sa.update(UserRow).where(UserRow.id == user_id).values(**values))

    # -- web sessions ------------------------------------------------------------------------

    def add_session(
        self, token_hash: str, user_id: int, csrf_token: str, expires_at: dt.datetime
    ) -> None:
        self._session.add(
            WebSessionRow(
                token_hash=token_hash,
                user_id=user_id,
                csrf_token=csrf_token,
                created_at=self._clock(),
                expires_at=expires_at,
            )
        )

    def session_caller(self, token_hash: str) -> tuple[WebSession, User, Organisation] | None:
        """A session with its user and their organisation, in one query: every page reads it."""
        found = self._session.connection().execute(_SESSION_CALLER, {"token_hash": token_hash})
        row = found.one_or_none()
        if row is None:
            return None
        web_session = WebSession(row.user_id, row.csrf_token, row.expires_at)
        user = User(
            row.user_id,
            row.organisation_id,
            row.email,
            row.user_name,
            row.role,
            row.active,
            row.last_login_at,
            row.created_at,
        )
        organisation = Organisation(
            row.organisation_id, row.organisation_name, row.kind, row.vendor_id
        )
        return web_session, user, organisation

    def delete_session(self, token_hash: str) -> None:
        self._session.execute(
            sa.delete(WebSessionRow).where(WebSessionRow.token_hash == token_hash)
        )

    def purge_sessions(self, now: dt.datetime) -> None:
        self._session.execute(sa.delete(WebSessionRow).where(WebSessionRow.expires_at <= now))

    # -- API tokens --------------------------------------------------------------------------

    def add_token(self, user: User, name: str, token_hash: str, prefix: str) -> ApiToken:
        row = ApiTokenRow(
            user_id=user.id,
            name=name,
            token_hash=token_hash,
            prefix=prefix,
            created_at=self._clock(),
            last_used_at=None,
            revoked_at=None,
        )
        self._session.add(row)
        self._session.flush()
        self._journal.record(
            JournalAction.CREATE,
            API_TOKEN,
            str(row.id),
            after={"id": row.id, "user_id": user.id, "name": name, "prefix": prefix},
            vendor_id=self._vendor_of(user),
        )
        return _token(row)

    def tokens(self, user_id: int) -> list[ApiToken]:
        query = sa.select(ApiTokenRow).where(ApiTokenRow.user_id == user_id)
        return [_token(row) for row in self._session.scalars(query.order_by(ApiTokenRow.id))]

    def token(self, user_id: int, token_id: int) -> ApiToken | None:
        row = self._session.scalar(
            sa.select(ApiTokenRow).where(ApiTokenRow.id == token_id, ApiTokenRow.user_id == user_id)
        )
        return None if row is None else _token(row)

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        row = self._session.scalar(
            sa.select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
        )
        return None if row is None else _token(row)

    def revoke_token(self, user: User, token: ApiToken) -> ApiToken:
        at = self._clock()
        self._session.execute(
            sa.update(ApiTokenRow).where(ApiTokenRow.id == token.id).values(revoked_at=at)
        )
        before = {"id": token.id, "user_id": token.user_id, "name": token.name, "revoked": False}
        self._journal.record(
            JournalAction.UPDATE,
            API_TOKEN,
            str(token.id),
            before=before,
            after={**before, "revoked": True},
            vendor_id=self._vendor_of(user),
        )
        return ApiToken(
            token.id,
            token.user_id,
            token.name,
            token.prefix,
            token.created_at,
            token.last_used_at,
            at,
        )

    def touch_token(self, token_id: int, at: dt.datetime) -> None:
        self._session.execute(
            sa.update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=at)
        )

    # -- failed logins -----------------------------------------------------------------------

    def failures_since(self, ip: str, login: str, since: dt.datetime) -> list[dt.datetime]:
        query = (
            sa.select(LoginFailureRow.at)
            .where(
                LoginFailureRow.ip == ip,
                LoginFailureRow.login == login,
                LoginFailureRow.at > since,
            )
            .order_by(LoginFailureRow.at)
        )
        return list(self._session.scalars(query))

    def add_failure(
        self, ip: str, login: str, at: dt.datetime, *, forget_before: dt.datetime
    ) -> None:
        # Old failures no longer count: drop them as new ones come, so the table stays small.
        self._session.execute(sa.delete(LoginFailureRow).where(LoginFailureRow.at <= forget_before))
        self._session.add(LoginFailureRow(ip=ip, login=login, at=at))

    def clear_failures(self, ip: str, login: str) -> None:
        self._session.execute(
            sa.delete(LoginFailureRow).where(
                LoginFailureRow.ip == ip, LoginFailureRow.login == login
            )
        )

    def _vendor_of(self, user: User) -> int | None:
        organisation = self._session.get(OrganisationRow, user.organisation_id)
        return None if organisation is None else organisation.vendor_id
