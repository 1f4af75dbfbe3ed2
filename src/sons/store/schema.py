"""The whole schema: every module of the store that declares tables, imported.

Tables register on `Base.metadata` when their module is imported. Migrations (autogenerate) and
the schema checks must see all of them, whichever modules the caller happened to import first:
`metadata()` imports every module of this package, so a new table module needs no registration.
"""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

import sons.store
from sons.store.tables import Base


def metadata() -> MetaData:
    for module in pkgutil.iter_modules(sons.store.__path__):
        if not module.ispkg:
            importlib.import_module(f"{sons.store.__name__}.{module.name}")
    return Base.metadata
