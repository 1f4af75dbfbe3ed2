"""What the web application is configured with: database, cookies, limits, clock."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher

from sons.services.accounts import Clock, LoginPolicy
from sons.store.unit_of_work import system_clock

MEBIBYTE = 1024 * 1024
SECRET_KEY_VARIABLE = "SONS_SECRET_KEY"


def secret_key_from_environment() -> str:
    """`SONS_SECRET_KEY`, else a random key for this process (signed links then end with it)."""
    return os.environ.get(SECRET_KEY_VARIABLE, "").strip() or secrets.token_urlsafe(32)


@dataclass(frozen=True)
class WebSettings:
    # None: `SONS_DATABASE_URL`, else the default SQLite file (as every `sons` command).
    database_url: str | None = None
    # None: cookies are `Secure` when the request came over HTTPS (directly or via the proxy).
    secure_cookies: bool | None = None
    session_ttl: dt.timedelta = dt.timedelta(hours=12)
    login_policy: LoginPolicy = field(default_factory=LoginPolicy)
    # One uploaded file, and one whole request body (forms and JSON included).
    max_upload_bytes: int = 5 * MEBIBYTE
    max_request_bytes: int = 20 * MEBIBYTE
    clock: Clock = system_clock
    # Tests pass a cheaper hasher; production keeps argon2-cffi's recommended parameters.
    password_hasher: PasswordHasher | None = None
    # The calendar day of the users (France): « today » for the referential and deadlines.
    time_zone: str = "Europe/Paris"
    # Signs the client questionnaire links (itsdangerous); set it so links survive a restart.
    secret_key: str = field(default_factory=secret_key_from_environment, repr=False)
