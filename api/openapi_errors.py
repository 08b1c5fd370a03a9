"""The OpenAPI schema states the error responses every operation can give, in the one shape they
all have (`ErrorBody`): 422 for a request that fails validation (FastAPI documents its own
`HTTPValidationError` shape, which this API never sends), and for operations that need a key
401 (no valid key), 403 (role not admitted), 429 (rate limit) and 503 (the store stayed locked
by another write). Declared once here rather than on every route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from .errors import ErrorBody

_KEYED = {
    "401": "No API key, or an unknown or revoked one.",
    "403": "The key's role may not use this operation, or an anchor key asks about another anchor.",
    "429": "Too many requests for this key (QINGLANG_API_RATE_PER_MINUTE).",
}
_BUSY = (
    "The store stayed locked by another write past QINGLANG_DB_BUSY_TIMEOUT_SECONDS; retry after "
    "the seconds in `Retry-After`."
)
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
            if operation.get("security"):
                for status, text in _KEYED.items():
                    responses.setdefault(status, {"description": text, "content": body})
                responses.setdefault("503", {"description": _BUSY, "content": body})
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _referenced(schema, unused):
            components.pop(unused, None)
    return schema


def _referenced(schema: dict[str, Any], name: str) -> bool:
    return f'"#/components/schemas/{name}"' in repr(schema).replace("'", '"')
