"""Property-based fuzzing of the whole HTTP API with schemathesis, from the app's own OpenAPI
schema, against a real uvicorn server with a regulator key (so every route's body is reached).

Every check schemathesis has that applies to single requests runs, except those listed in
EXCLUDED with the reason: no 5xx; every status, content type, header and body as documented;
schema-valid requests accepted; schema-invalid ones refused; a request without the key refused;
and an undeclared method (OPTIONS) answered 405 with `Allow` naming exactly the documented ones.
"""

from __future__ import annotations

import httpx
import hypothesis
import pytest
import schemathesis
from api_server import auth, running
from schemathesis import GenerationMode
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.transport import Response

from api import create_app
from api.core.rate_limit import RateLimiter
from monitor.credit.policy import load_policy
from monitor.demo.data import seed_demo
from monitor.settings import Settings
from monitor.store.api_keys import create_key
from monitor.store.db import open_db

EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 4}
EXCLUDED = {
    "max_response_time": "a timing bound; the suite runs on shared cores (no timed assertions)",
    "missing_required_header, unsupported_method": "checks of schemathesis' coverage phase, whose "
    "cases these property tests do not draw; OPTIONS is sent to every path below instead",
    "use_after_free, ensure_resource_availability, object_level_authorization": "stateful checks "
    "over linked operations (the schema declares no links); roles are tested in test_api_store",
}
# Valid by the schema, refused by a rule OpenAPI cannot state; anything else refused is a failure.
# (error code, words of the message, why the schema cannot say it)
REFUSED_BY_CONTENT = [
    ("invalid_range", "is after", "date_from after date_to: a relation between two fields"),
    ("invalid_input", "is after the last day", "date_from after date_to, as above"),
    ("invalid_request", "`stream` needs `anchor`", "a relation between two form fields"),
    ("unsupported_media_type", "", "a file's content (a recording; PDF, JPEG or PNG evidence)"),
    ("invalid_input", "file: ", "a caption file's content (empty, not captions)"),
    ("invalid_input", "cannot resolve host", "a webhook host must resolve; tests have no DNS"),
    ("invalid_input", "地址不允许", "a webhook host must be public, known once resolved"),
    ("invalid_input", "主机名无效", "a host name must be valid IDNA (RFC 5891), beyond a pattern"),
]
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
]
NEGATIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
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
    app = create_app(path, settings)
    # ignored_auth sends each request with a wrong key: more than the 60 a minute one address may
    app.state.failed_auth_limiter = RateLimiter(0)
    with running(app) as base:
        yield base, key


def accepts_valid_data(ctx, response: Response, case) -> bool | None:
    """schemathesis' positive_data_acceptance, but for the refusals of REFUSED_BY_CONTENT."""
    if response.status_code in (400, 415, 422):
        body = response.json()
        for code, words, _ in REFUSED_BY_CONTENT:
            if body.get("error") == code and words in body.get("message", ""):
                return None
    return positive_data_acceptance(ctx, response, case)


def _fuzz(operation, base: str, key: str, mode: GenerationMode) -> None:
    checks = [*POSITIVE_CHECKS, accepts_valid_data] if mode.is_positive else NEGATIVE_CHECKS

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        derandomize=True,
        database=None,
    )
    def fuzz(case) -> None:
        response = case.call(base_url=base, headers=auth(key), timeout=60)
        case.validate_response(response, checks=checks, headers=auth(key))

    try:
        fuzz()
    except hypothesis.errors.Unsatisfiable:  # nothing to negate: no parameters, no body
        assert not mode.is_positive


def _options(operation, base: str, key: str) -> None:
    """An undeclared method on the operation's path: 405 with `Allow` naming exactly the
    documented methods (allow_header_conformance)."""
    path = operation.path
    for parameter in operation.iter_parameters():
        if parameter.location == "path":
            path = path.replace(f"{{{parameter.name}}}", "1")
    answer = httpx.options(f"{base}{path}", headers=auth(key), timeout=60)
    assert answer.status_code == 405 and answer.headers.get("allow"), f"OPTIONS {path}"
    case = operation.Case()
    allow_header_conformance(None, Response.from_any(answer), case)


def test_every_check_passes_on_every_operation(fuzz_target):
    """Every operation of the schema; all failing operations are reported together."""
    base, key = fuzz_target
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json", timeout=120)
    failures, operations, paths = [], 0, set()
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        runs = [(mode, _fuzz, (operation, base, key, mode)) for mode in EXAMPLES]
        if operation.path not in paths:
            paths.add(operation.path)
            runs.append(("OPTIONS", _options, (operation, base, key)))
        for name, run, args in runs:
            try:
                run(*args)
            except (Exception, BaseExceptionGroup) as failure:  # keep going: report every one
                failures.append(f"{operation.label} ({name}): {failure}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
