"""Property-based fuzzing of the whole HTTP API with schemathesis, from the app's own OpenAPI
schema, against a real uvicorn server with a regulator key (so every route's body is reached):
no request may get a 5xx, and every response must match the schema (status code declared, body
valid against its model, content type)."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from api_server import auth, running
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from monitor.api_keys import create_key
from monitor.credit_policy import load_policy
from monitor.db import open_db
from monitor.demo_data import seed_demo
from monitor.settings import Settings

EXAMPLES_PER_OPERATION = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory, checker):
    """A served demo store (so that ids in paths sometimes exist) and a regulator key."""
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "fuzz.db"
    db = open_db(path)
    seed_demo(db, checker, load_policy(), None)
    key = create_key(db, "regulator", actor="test")[1]
    settings = Settings(
        db=str(path),
        data_dir=str(folder / "files"),
        api_rate_per_minute=0,
        api_max_upload_bytes=2 * 1024**2,
        credit_recompute_hours=0,
        reload_watch=False,
    )
    with running(create_app(path, settings)) as base:
        yield base, key


def _fuzz(operation, base: str, key: str) -> None:
    @hypothesis.given(case=operation.as_strategy())
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
        database=None,
    )
    def fuzz(case) -> None:
        response = case.call(base_url=base, headers=auth(key), timeout=60)
        case.validate_response(response, checks=CHECKS)

    fuzz()


def test_no_server_error_and_every_response_matches_the_schema(fuzz_target):
    """Every operation of the schema; all failing operations are reported together."""
    base, key = fuzz_target
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _fuzz(operation, base, key)
        except Exception as failure:  # a check failed: keep going, report every operation
            failures.append(f"{operation.label}: {failure}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
