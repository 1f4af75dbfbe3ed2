"""The API against its own OpenAPI specification: generated requests never cause a 500.

Short on purpose (a few examples per operation): `make test` must stay fast. Requests carry a
valid token, so generated data reaches the routes instead of stopping at authentication.
Schemathesis's pytest parametrisation does not run under pytest 9 yet: the operations are
walked here, each with a Hypothesis test of its own.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from web_fixtures import People, token_for

from sons.services.accounts import Accounts

EXAMPLES_PER_OPERATION = 10


def test_generated_requests_never_cause_a_server_error(
    app: FastAPI, accounts: Accounts, people: People
) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token_for(accounts, people.vendor_admin)}"}
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: Any) -> None:
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        no_server_error()
    assert "POST /referential/dispositifs/{code}/explain" in tried
    # One operation of each router, the generated workflow verbs included.
    assert {
        "GET /clients",
        "POST /solutions/import",
        "PUT /orders/{number}",
        "GET /orders/{number}/documents/{kind}",
        "POST /deposits/check",
        "POST /requests/{ident}/demander-correction",
        "GET /evidence/readiness",
        "POST /operator/controls",
    } <= set(tried)
