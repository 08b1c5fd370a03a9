"""The OpenAPI schema states the error responses every operation can give, in the one shape they
all have (`ErrorBody`): 422 for a request that fails validation (FastAPI documents its own
`HTTPValidationError` shape, which this API never sends), 400 for a body that cannot be read
(not JSON, a malformed form), and for operations that need a key 401 (no valid key), 403 (role
not admitted), 429 (rate limit) and 503 (the store stayed locked by another write). Declared once
here rather than on every route. Also: the product classes and profiles a request may name, read
from the lexicons."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.core.errors import ErrorBody

_KEYED = {
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key's role may not use this operation, or an anchor key asks about another anchor.",
    "429": "Too many requests for this key (QINGLANG_API_RATE_PER_MINUTE).",
}
_BUSY = (
    "The store stayed locked by another write past QINGLANG_DB_BUSY_TIMEOUT_SECONDS; retry after "
    "the seconds in `Retry-After`."
)
_MALFORMED_BODY = "The body cannot be read: not JSON, or a malformed multipart form."
_METHODS = {"get", "post", "put", "patch", "delete"}


def install_error_schemas(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_error_bodies(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    summary=app.summary,
                    routes=app.routes,
                )
            )
            checker = app.state.services.checker
            known = {  # an empty profile is the default one
                "categories": list(checker.lexicon.categories),
                "product_classes": sorted(checker.lexicon.product_classes),
                "profiles": ["", *sorted(checker.profiles)],
            }
            _with_known_values(app.openapi_schema, known)
        return app.openapi_schema

    app.openapi = openapi


def _with_error_bodies(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorBody"] = ErrorBody.model_json_schema()
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses or operation.get("parameters") or operation.get("requestBody"):
                responses["422"] = {
                    "description": responses.get("422", {}).get("description")
                    or "The request failed validation; `detail` names each field.",
                    "content": body,
                }
            if operation.get("requestBody"):  # a body that is not JSON, or a broken form
                responses.setdefault("400", {"description": _MALFORMED_BODY, "content": body})
            if operation.get("security"):
                for status, text in _KEYED.items():
                    responses.setdefault(status, {"description": text, "content": body})
                responses.setdefault("503", {"description": _BUSY, "content": body})
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(schema, unused):
            components.pop(unused, None)
    return schema


def _with_known_values(schema: dict[str, Any], known: dict[str, list[str]]) -> None:
    """Each field marked `x-known-values` (schemas_common) lists the values the loaded lexicons
    define (data, not code); the API refuses others (422)."""
    for model in schema.get("components", {}).get("schemas", {}).values():
        for field in model.get("properties", {}).values():
            if (kind := field.pop("x-known-values", None)) is None:
                continue
            for option in field.get("anyOf", [field]):
                if option.get("type") == "string":
                    option["enum"] = known[kind]


def _referenced(schema: dict[str, Any], name: str) -> bool:
    return f'"#/components/schemas/{name}"' in repr(schema).replace("'", '"')
