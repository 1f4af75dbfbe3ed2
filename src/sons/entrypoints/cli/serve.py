"""`sons serve`: the web application and its API, with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from sons.entrypoints.cli.output import console, fail
from sons.store.database import describe
from sons.store.errors import StoreError


def serve(
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute.", min=1, max=65535)] = 8000,
) -> None:
    """Sert l'application web et l'API (base : SONS_DATABASE_URL, migrée au démarrage)."""
    # Imported here: the other commands do not pay for loading the web stack.
    import uvicorn

    from sons.entrypoints.web.app import create_app

    try:
        app = create_app()
    except StoreError as exc:
        fail(str(exc))
    console.print(
        f"sons sert l'application sur [bold]http://{host}:{port}/[/] "
        f"(base {describe(app.state.sons.engine)}) ; API : http://{host}:{port}/api/v1/docs. "
        "Ctrl+C pour arrêter."
    )
    uvicorn.run(app, host=host, port=port, proxy_headers=True, log_level="info")
