"""`sons serve`: the web application and its API, with uvicorn."""

from __future__ import annotations

import os
import secrets
from typing import Annotated

import typer

from sons.entrypoints.cli.output import console, fail
from sons.store.database import describe, open_store
from sons.store.errors import StoreError

# What uvicorn imports in each worker process: the factory builds the app there.
APP_FACTORY = "sons.entrypoints.web.app:create_app"


def serve(
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            help="Nombre de processus qui servent les requêtes (un par cœur, par exemple).",
            min=1,
            max=64,
        ),
    ] = 1,
) -> None:
    """Sert l'application web et l'API (base : SONS_DATABASE_URL, migrée au démarrage)."""
    # Imported here: the other commands do not pay for loading the web stack.
    import uvicorn

    from sons.entrypoints.web.settings import SECRET_KEY_VARIABLE

    try:
        # Migrated here, once: workers starting together must not each run the migrations.
        engine = open_store()
    except StoreError as exc:
        fail(str(exc))
    where = describe(engine)
    engine.dispose()
    console.print(
        f"sons sert l'application sur [bold]http://{host}:{port}/[/] (base {where}, "
        f"{workers} processus) ; API : http://{host}:{port}/api/v1/docs. Ctrl+C pour arrêter."
    )
    if workers == 1:
        from sons.entrypoints.web.app import create_app

        uvicorn.run(create_app(), host=host, port=port, proxy_headers=True, log_level="info")
        return
    # Every worker signs and checks client links with the same key: a link made by one must
    # open on another. Without SONS_SECRET_KEY, one key is drawn here for all of them.
    if not os.environ.get(SECRET_KEY_VARIABLE, "").strip():
        os.environ[SECRET_KEY_VARIABLE] = secrets.token_urlsafe(32)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        proxy_headers=True,
        log_level="info",
    )
