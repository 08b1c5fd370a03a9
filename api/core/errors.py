"""Every error the API answers is JSON `{"error": code, "message": "中文 / English"}`, with a
`detail` object where there is more to say (the fields that failed validation, a limit).

Library errors become 4xx; anything unexpected is logged here and answered with a 500 that
carries no traceback or internal text.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from python_multipart.exceptions import FormParserError
from starlette.exceptions import HTTPException

from monitor.errors import (
    InputError,
    InputTooLarge,
    InvalidDocument,
    LexiconError,
    MissingRecord,
    NotPermitted,
    QinglangError,
    StateConflict,
    UnknownProfileError,
)
from monitor.store.db import BUSY_RETRY_AFTER_S, busy_message, is_busy

logger = logging.getLogger("qinglang")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


# Starlette's own errors (its detail is English only).
_MESSAGES = {
    404: "没有这个地址 / no such path",
    405: "不支持此方法 / method not allowed on this path",
}


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str
    message: str
    detail: Any = None


class ApiError(HTTPException):
    """An error answered as it is: status, stable code, bilingual message, optional detail."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(status_code=status_code, detail=message, headers=headers)
        self.code = code
        self.message = message
        self.extra = detail


def field_error(field: str, message: str, known: Iterable[str]) -> ApiError:
    """422 naming one invalid field, what is wrong, and the values it may take."""
    problem = {"field": field, "problem": message, "known": list(known)}
    return ApiError(422, "invalid_request", message, [problem])


def input_error_status(exc: InputError) -> int:
    """The status an input error is answered with where a page shows it: 413 over a limit, 422 a
    damaged document, 400 otherwise (as the JSON handler below)."""
    if isinstance(exc, InputTooLarge):
        return 413
    return 422 if isinstance(exc, InvalidDocument) else 400


def error_response(
    status_code: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": code, "message": message}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse(body, status_code=status_code, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(QinglangError, _library_error)
    app.add_exception_handler(OverflowError, _number_out_of_range)
    app.add_exception_handler(FormParserError, _malformed_form)
    app.add_exception_handler(sqlite3.OperationalError, _store_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _malformed_form(request: Request, exc: FormParserError) -> Response:
    """A multipart body python-multipart refuses (e.g. a boundary over 256 characters), on any
    route that reads a form: 400 naming the problem, the page's own error page under /ui/."""
    message = f"multipart 格式错误 / malformed multipart body: {exc}"
    if "Boundary length" in str(exc):
        message = (
            "multipart 的 boundary 过长（最多 256 个字符）/ the multipart boundary is longer than "
            "256 characters"
        )
    if request.url.path.startswith("/ui/"):
        from api.ui.render import error_page

        return error_page(request, 400, message)
    return error_response(400, "invalid_input", message)


async def _store_error(request: Request, exc: sqlite3.OperationalError) -> Response:
    """The store stayed locked by another writer past the busy timeout: 503 with Retry-After on
    every route (a page under /ui/); any other SQLite failure is unexpected."""
    if not is_busy(exc):
        return await _unexpected_error(request, exc)
    logger.warning("%s %s: the store is busy: %s", request.method, request.url.path, exc)
    headers = {"Retry-After": str(BUSY_RETRY_AFTER_S)}
    if request.url.path.startswith("/ui/"):
        from api.ui.render import error_page

        page = error_page(request, 503, busy_message())
        page.headers.update(headers)
        return page
    detail = {"retry_after_s": BUSY_RETRY_AFTER_S}
    return error_response(503, "store_busy", busy_message(), detail, headers)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if request.url.path.startswith("/ui/") and not isinstance(exc, ApiError):
        from api.ui.render import error_page  # the web UI answers its own paths in HTML

        message = {**_MESSAGES, 404: "没有这个页面 / no such page"}.get(exc.status_code)
        return error_page(request, exc.status_code, message or str(exc.detail))
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.extra, exc.headers)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = _MESSAGES.get(exc.status_code, str(exc.detail))
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed_methods(request)}
    return error_response(exc.status_code, code, message, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path: Starlette's 405 names only the methods of the
    first route whose path matched (GET /v1/anchors, not also POST)."""
    path = request.url.path
    methods = {
        method
        for route in _routes(request.app.router.routes)
        if getattr(route, "methods", None) and route.path_regex.match(path)
        for method in route.methods
    }
    return ", ".join(sorted(methods))


def _routes(routes: Iterable) -> Iterator:
    """The routes of a router, those of included routers too."""
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI's include_router wrapper
        yield from _routes(included.routes) if included is not None else (route,)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # The offending input is not echoed back: it may be a whole script.
    problems = [
        {
            "field": ".".join(str(part) for part in error["loc"]),
            "problem": error["msg"].removeprefix("Value error, "),  # our validators' own words
        }
        for error in exc.errors()
    ]
    named = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    return error_response(422, "invalid_request", f"请求无效 / invalid request: {named}", problems)


async def _library_error(request: Request, exc: QinglangError) -> JSONResponse:
    if isinstance(exc, StateConflict):  # e.g. decided by another regulator a moment ago
        return error_response(409, exc.code, str(exc), exc.detail)
    if isinstance(exc, UnknownProfileError):
        found = field_error("profile", str(exc), exc.known)
        return error_response(found.status_code, found.code, found.message, found.extra)
    if isinstance(exc, NotPermitted):
        return error_response(403, "forbidden", str(exc))
    if isinstance(exc, InputTooLarge):
        return error_response(413, "input_too_large", str(exc), exc.detail)
    if isinstance(exc, InvalidDocument):
        return error_response(422, "invalid_document", str(exc))
    if isinstance(exc, MissingRecord):
        return error_response(404, "not_found", str(exc))
    if isinstance(exc, InputError | LexiconError):
        return error_response(400, "invalid_input", str(exc))
    logger.error("%s %s failed: %s", request.method, request.url.path, exc)
    return _internal()


async def _number_out_of_range(request: Request, exc: OverflowError) -> JSONResponse:
    # A number in the request too large for the store (SQLite integers are 64-bit).
    return error_response(
        422, "invalid_request", "数值超出范围 / a number in the request is out of range"
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("%s %s failed", request.method, request.url.path)
    return _internal()


def _internal() -> JSONResponse:
    return error_response(500, "internal_error", "服务器内部错误 / internal server error")
