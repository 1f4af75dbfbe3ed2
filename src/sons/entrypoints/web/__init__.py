"""The web application: server-rendered French pages, and the REST API mounted at /api/v1.

`sons.entrypoints.web.app.create_app(settings)` builds it; `sons serve` runs it with uvicorn.
"""
