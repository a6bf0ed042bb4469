"""Schemathesis against the OpenAPI document: no 5xx, every response matches its schema.

Valid (positive) and invalid (negative) inputs. Bounded: a few examples per operation
and mode, no deadline, as the coordinator (who may do the most) on the reference data.
"""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from allied.bootstrap import Store
from api.conftest import make_api

pytestmark = pytest.mark.slow


#: Examples per operation and mode (raise it locally: ALLIED_API_FUZZ_EXAMPLES=200).
EXAMPLES = int(os.environ.get("ALLIED_API_FUZZ_EXAMPLES", "5"))

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_api_conforms_to_its_schema(store: Store) -> None:
    api = make_api(store)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", api.app)
    headers = {"Authorization": f"Bearer {api.tokens['coord']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    for operation, mode in itertools.product(operations, modes):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Unsatisfiable:
            # an operation with nothing to get wrong (e.g. /healthz) has no negative case
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
