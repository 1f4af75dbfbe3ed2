"""`/api/v1/me`, `/api/v1/tokens`, `/api/v1/users`: the caller, their tokens, the accounts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from sons.entrypoints.api.auth import CallerDep
from sons.entrypoints.api.errors import documented
from sons.services.accounts import Accounts, UserView
from sons.store.accounts import ApiToken

router = APIRouter()

IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


class OrganisationOut(BaseModel):
    id: int
    name: str
    kind: str = Field(description="vendor (éditeur) ou operator (opérateur).")
    vendor_id: int | None


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    role_label: str
    active: bool
    organisation_id: int
    organisation_name: str
    last_login_at: dt.datetime | None


class MeOut(UserOut):
    organisation: OrganisationOut


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="Début du jeton, pour le reconnaître.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class CreatedTokenOut(BaseModel):
    token: TokenOut
    secret: str = Field(description="Le jeton lui-même : affiché cette seule fois, à conserver.")


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="À quoi sert ce jeton.")


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: str
    password: str = Field(min_length=1, max_length=1024)


def _accounts(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.sons.accounts
    return accounts


def _user_out(view: UserView) -> UserOut:
    user = view.user
    return UserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        role_label=view.role_label,
        active=user.active,
        organisation_id=user.organisation_id,
        organisation_name=view.organisation_name,
        last_login_at=user.last_login_at,
    )


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@router.get("/me", tags=["comptes"], responses=documented(401))
def me(request: Request, caller: CallerDep) -> MeOut:
    """L'utilisateur appelant, son rôle et son organisation."""
    out = _user_out(_accounts(request).me(caller))
    organisation = OrganisationOut(
        id=caller.organisation_id,
        name=caller.organisation_name,
        kind=caller.organisation_kind.value,
        vendor_id=caller.vendor_id,
    )
    return MeOut(**out.model_dump(), organisation=organisation)


@router.get("/tokens", tags=["jetons"], responses=documented(401))
def list_tokens(request: Request, caller: CallerDep) -> list[TokenOut]:
    """Mes jetons d'API (jamais leur valeur)."""
    return [_token_out(t) for t in _accounts(request).tokens(caller)]


@router.post("/tokens", status_code=201, tags=["jetons"], responses=documented(401, 403, 422))
def create_token(request: Request, body: TokenIn, caller: CallerDep) -> CreatedTokenOut:
    """Crée un jeton d'API ; sa valeur n'est donnée qu'une fois."""
    created = _accounts(request).create_token(caller, body.name)
    return CreatedTokenOut(token=_token_out(created.token), secret=created.secret)


@router.delete("/tokens/{token_id}", tags=["jetons"], responses=documented(401, 403, 404, 422))
def revoke_token(request: Request, token_id: IdPath, caller: CallerDep) -> TokenOut:
    """Révoque un de mes jetons."""
    return _token_out(_accounts(request).revoke_token(caller, token_id))


@router.get("/users", tags=["comptes"], responses=documented(401, 403))
def list_users(request: Request, caller: CallerDep) -> list[UserOut]:
    """Les comptes de mon organisation (administrateurs ; tous, pour l'opérateur)."""
    return [_user_out(u) for u in _accounts(request).users(caller)]


@router.get("/users/{user_id}", tags=["comptes"], responses=documented(401, 404, 422))
def show_user(request: Request, user_id: IdPath, caller: CallerDep) -> UserOut:
    """Un compte, s'il est visible de l'appelant ; sinon 404, comme un compte inexistant."""
    return _user_out(_accounts(request).user(caller, user_id))


@router.post("/users", status_code=201, tags=["comptes"], responses=documented(401, 403, 422))
def create_user(request: Request, body: UserIn, caller: CallerDep) -> UserOut:
    """Crée un compte dans mon organisation (administrateurs)."""
    view = _accounts(request).add_user(
        caller, email=body.email, name=body.name, role=body.role, password=body.password
    )
    return _user_out(view)
