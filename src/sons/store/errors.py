"""What the store refuses, in French, so every entry point can show the message as is."""

from __future__ import annotations


class StoreError(Exception):
    """A store operation that cannot be done; `str(exc)` is a French sentence for the user."""


class StoreUnavailableError(StoreError):
    """The database cannot be opened (bad URL, server unreachable, migration failure)."""


class NotFoundError(StoreError):
    pass


class DuplicateError(StoreError):
    pass


class UnknownSolutionError(StoreError):
    pass


class TenantMismatchError(StoreError):
    """A value that belongs to another vendor than the one the operation is scoped to."""


class AlreadyImportedError(StoreError):
    pass


class ReadOnlyError(StoreError):
    pass


class ConcurrentEditError(StoreError):
    """Someone saved the order since it was loaded: the caller reloads and retries."""

    def __init__(self, number: str, expected_version: int, found_version: int | None) -> None:
        self.number = number
        self.expected_version = expected_version
        self.found_version = found_version
        found = (
            "aucune trouvée : il a été supprimé"
            if found_version is None
            else f"{found_version} trouvée"
        )
        super().__init__(
            f"Le bon de commande {number} a été modifié par ailleurs "
            f"(version {expected_version} attendue, {found}) ; rechargez-le et recommencez."
        )
