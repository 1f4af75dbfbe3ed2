"""The accounts service: organisations, roles, logins, sessions, tokens, tenant scope, journal."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from web_fixtures import OTHER_SIRET, PASSWORD, VENDOR_SIRET, People, SettableClock

from sons.services.accounts import (
    Accounts,
    Forbidden,
    InvalidAccount,
    LoginFailed,
    LoginThrottled,
    NotFound,
    OrganisationKind,
    Role,
)
from sons.store.journal import verify
from sons.store.tables import JournalEntryRow


@pytest.fixture
def database_url(any_database_url: str) -> str:
    """Every accounts test runs on SQLite and on PostgreSQL."""
    return any_database_url


def test_first_user_creates_the_vendor_and_its_organisation(accounts: Accounts) -> None:
    created = accounts.create_user(
        "cli:test",
        org=VENDOR_SIRET,
        org_name="Éditeur A",
        email=" Alice@Editeur.FR ",
        role="vendor_admin",
        password=PASSWORD,
    )
    assert created.user.email == "alice@editeur.fr"
    assert created.organisation_name == "Éditeur A"
    again = accounts.create_user(
        "cli:test",
        org=VENDOR_SIRET,
        email="bob@editeur.fr",
        role="vendor_user",
        password=PASSWORD,
    )
    assert again.user.organisation_id == created.user.organisation_id


def test_an_unknown_vendor_needs_its_name(accounts: Accounts) -> None:
    with pytest.raises(InvalidAccount, match="--org-name"):
        accounts.create_user(
            "t", org=OTHER_SIRET, email="x@y.fr", role="vendor_admin", password=PASSWORD
        )


@pytest.mark.parametrize(
    ("org", "role", "email", "password", "expected"),
    [
        ("operateur", "vendor_admin", "x@y.fr", PASSWORD, "ne convient pas"),
        (VENDOR_SIRET, "operator_admin", "x@y.fr", PASSWORD, "ne convient pas"),
        ("operateur", "chef", "x@y.fr", PASSWORD, "Rôle « chef » inconnu"),
        ("operateur", "operator_admin", "pas-une-adresse", PASSWORD, "invalide"),
        ("operateur", "operator_admin", "x@y.fr", "court", "trop court"),
        ("123", "operator_admin", "x@y.fr", PASSWORD, "SIRET"),
    ],
)
def test_bad_account_input_is_refused_in_french(
    accounts: Accounts, org: str, role: str, email: str, password: str, expected: str
) -> None:
    with pytest.raises(InvalidAccount, match=expected):
        accounts.create_user(
            "t", org=org, org_name="Éditeur A", email=email, role=role, password=password
        )


def test_one_account_per_address(accounts: Accounts, people: People) -> None:
    with pytest.raises(InvalidAccount, match="existe déjà"):
        accounts.create_user(
            "t",
            org="operateur",
            email=people.vendor_admin.upper(),
            role="operator_admin",
            password=PASSWORD,
        )


def test_passwords_are_hashed_with_argon2(accounts: Accounts, people: People) -> None:
    with accounts._engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT password_hash FROM users WHERE email = :e"), {"e": people.vendor_admin}
        ).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_login_opens_a_session_with_its_caller(accounts: Accounts, people: People) -> None:
    opened = accounts.log_in("10.0.0.1", people.vendor_user.upper(), PASSWORD)
    assert opened.caller.email == people.vendor_user
    assert opened.caller.role is Role.VENDOR_USER
    assert opened.caller.organisation_kind is OrganisationKind.VENDOR
    assert opened.caller.vendor_id is not None
    found = accounts.session(opened.token)
    assert found is not None
    assert found == (opened.caller, opened.csrf_token)
    accounts.log_out(opened.token)
    assert accounts.session(opened.token) is None


def test_sessions_expire(accounts: Accounts, people: People, clock: SettableClock) -> None:
    opened = accounts.log_in("10.0.0.1", people.vendor_user, PASSWORD)
    clock.advance(hours=11, minutes=59)
    assert accounts.session(opened.token) is not None
    clock.advance(minutes=2)
    assert accounts.session(opened.token) is None


def test_wrong_password_and_unknown_login_read_the_same(accounts: Accounts, people: People) -> None:
    with pytest.raises(LoginFailed) as wrong:
        accounts.log_in("10.0.0.1", people.vendor_user, "pas le bon mot de passe")
    with pytest.raises(LoginFailed) as unknown:
        accounts.log_in("10.0.0.1", "personne@nulle-part.fr", PASSWORD)
    assert wrong.value.message == unknown.value.message


def test_five_failures_lock_the_login_from_that_address_for_fifteen_minutes(
    accounts: Accounts, people: People, clock: SettableClock
) -> None:
    for _ in range(5):
        with pytest.raises(LoginFailed):
            accounts.log_in("10.0.0.1", people.vendor_user, "mauvais")
        clock.advance(seconds=10)
    with pytest.raises(LoginThrottled, match="Réessayez dans 15 minutes") as locked:
        accounts.log_in("10.0.0.1", people.vendor_user, PASSWORD)
    assert locked.value.retry_after == 15 * 60
    # Another address, or another login from the same address, is not locked.
    assert accounts.log_in("10.0.0.2", people.vendor_user, PASSWORD)
    assert accounts.log_in("10.0.0.1", people.vendor_admin, PASSWORD)
    clock.advance(minutes=15)
    assert accounts.log_in("10.0.0.1", people.vendor_user, PASSWORD)


def test_tokens_stand_for_their_user_until_revoked(accounts: Accounts, people: People) -> None:
    caller = accounts.log_in("10.0.0.1", people.vendor_user, PASSWORD).caller
    created = accounts.create_token(caller, "export nocturne")
    assert created.secret.startswith("sons_")
    assert created.secret not in json.dumps([t.prefix for t in accounts.tokens(caller)])
    assert accounts.caller_for_token(created.secret) == caller
    assert accounts.caller_for_token(created.secret + "x") is None
    accounts.revoke_token(caller, created.token.id)
    assert accounts.caller_for_token(created.secret) is None


def test_a_token_of_someone_else_answers_like_a_missing_one(
    accounts: Accounts, people: People
) -> None:
    mine = accounts.log_in("10.0.0.1", people.vendor_user, PASSWORD).caller
    other = accounts.log_in("10.0.0.1", people.other_admin, PASSWORD).caller
    token = accounts.create_token(mine, "le mien")
    with pytest.raises(NotFound) as foreign:
        accounts.revoke_token(other, token.token.id)
    with pytest.raises(NotFound) as missing:
        accounts.revoke_token(other, 999_999)
    assert str(foreign.value).replace(str(token.token.id), "N") == str(missing.value).replace(
        "999999", "N"
    )
    assert accounts.caller_for_token(token.secret) == mine


def test_users_are_scoped_to_the_callers_organisation(accounts: Accounts, people: People) -> None:
    admin_a = accounts.log_in("1.1.1.1", people.vendor_admin, PASSWORD).caller
    admin_b = accounts.log_in("1.1.1.1", people.other_admin, PASSWORD).caller
    user_a = accounts.log_in("1.1.1.1", people.vendor_user, PASSWORD).caller
    operator = accounts.log_in("1.1.1.1", people.operator_admin, PASSWORD).caller
    assert {v.user.email for v in accounts.users(admin_a)} == {
        people.vendor_admin,
        people.vendor_user,
    }
    assert {v.user.email for v in accounts.users(admin_b)} == {people.other_admin}
    assert len(accounts.users(operator)) == 5
    with pytest.raises(Forbidden):
        accounts.users(user_a)
    with pytest.raises(NotFound):
        accounts.user(admin_b, user_a.user_id)
    with pytest.raises(NotFound):
        accounts.user(user_a, admin_a.user_id)
    assert accounts.user(user_a, user_a.user_id).user.email == people.vendor_user
    assert accounts.user(operator, user_a.user_id).user.email == people.vendor_user


def test_admins_add_users_to_their_own_organisation_only(
    accounts: Accounts, people: People
) -> None:
    admin_b = accounts.log_in("1.1.1.1", people.other_admin, PASSWORD).caller
    added = accounts.add_user(
        admin_b, email="new@editeur-b.fr", name="Nouvelle", role="vendor_user", password=PASSWORD
    )
    assert added.user.organisation_id == admin_b.organisation_id
    with pytest.raises(InvalidAccount):
        accounts.add_user(
            admin_b, email="n2@editeur-b.fr", name="N", role="operator_admin", password=PASSWORD
        )
    user = accounts.log_in("1.1.1.1", "new@editeur-b.fr", PASSWORD).caller
    with pytest.raises(Forbidden):
        accounts.add_user(user, email="n3@b.fr", name="N", role="vendor_user", password=PASSWORD)


def test_every_account_write_is_journaled_without_secrets(
    accounts: Accounts, people: People
) -> None:
    caller = accounts.log_in("1.1.1.1", people.vendor_admin, PASSWORD).caller
    token = accounts.create_token(caller, "script")
    accounts.revoke_token(caller, token.token.id)
    with accounts._engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                JournalEntryRow.actor, JournalEntryRow.entity_type, JournalEntryRow.after
            ).order_by(JournalEntryRow.id)
        ).all()
        assert verify(sa.orm.Session(connection)).ok
    kinds = [(actor, entity) for actor, entity, _ in rows]
    assert ("tests", "organisation") in kinds
    assert kinds.count(("tests", "user")) == 5
    assert kinds[-2:] == [(people.vendor_admin, "api_token")] * 2
    text = json.dumps([after for _, _, after in rows])
    assert "argon2" not in text
    assert PASSWORD not in text
    assert token.secret not in text


def test_a_token_records_when_it_last_served_to_the_hour(
    accounts: Accounts, people: People, clock: SettableClock
) -> None:
    caller = accounts.log_in("1.1.1.1", people.vendor_user, PASSWORD).caller
    created = accounts.create_token(caller, "script")
    assert accounts.tokens(caller)[0].last_used_at is None
    accounts.caller_for_token(created.secret)
    first = clock.now
    clock.advance(minutes=30)
    accounts.caller_for_token(created.secret)
    assert accounts.tokens(caller)[0].last_used_at == first
    clock.advance(minutes=31)
    accounts.caller_for_token(created.secret)
    assert accounts.tokens(caller)[0].last_used_at == clock.now


def test_control_characters_are_refused_in_names(accounts: Accounts, people: People) -> None:
    caller = accounts.log_in("1.1.1.1", people.vendor_user, PASSWORD).caller
    with pytest.raises(InvalidAccount, match="caractères de contrôle"):
        accounts.create_token(caller, "nul\x00octet")
    with pytest.raises(LoginFailed):
        accounts.log_in("1.1.1.1", "a\x00@b.fr", PASSWORD)


def test_the_server_side_finds_a_user_as_a_caller_without_a_password(
    accounts: Accounts, people: People
) -> None:
    caller = accounts.caller_of(people.vendor_admin.upper())
    logged_in = accounts.log_in("127.0.0.1", people.vendor_admin, PASSWORD).caller
    assert caller == logged_in
    with pytest.raises(NotFound):
        accounts.caller_of("personne@editeur-a.fr")
