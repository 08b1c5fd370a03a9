"""Size limits: the request body (checked before the application reads it) and the text of a check.

A body announced too large by Content-Length is refused before a byte of it is read; a body
without one (chunked) is counted as it streams in and refused as soon as it passes the limit.
Both answer 413 naming the limit. Upload paths (`path_limits`, by path prefix) get their own,
larger limit plus `FORM_OVERHEAD_BYTES` for the form around the file, whose exact size the
upload route checks itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core.errors import ApiError, error_response
from monitor.sizes import readable_size

FORM_OVERHEAD_BYTES = 64 * 1024


class BodyTooLarge(ApiError):
    def __init__(self, limit: int):
        super().__init__(
            413,
            "body_too_large",
            f"请求体超过 {readable_size(limit)} 上限 / request body larger than the limit of "
            f"{readable_size(limit)}",
            {"limit_bytes": limit},
            headers={"Connection": "close"},
        )


class BodyLimit:
    """ASGI middleware refusing request bodies over `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int, path_limits: Mapping[str, int] | None = None):
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    def limit_for(self, path: str) -> int:
        for prefix, limit in self.path_limits.items():
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit + FORM_OVERHEAD_BYTES
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        announced = Headers(scope=scope).get("content-length")
        if announced is not None and announced.isdigit() and int(announced) > limit:
            refusal = BodyTooLarge(limit)
            response = error_response(
                refusal.status_code, refusal.code, refusal.message, refusal.extra, refusal.headers
            )
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)  # answered by the HTTPException handler
            return message

        await self.app(scope, counted, send)


def check_text_size(text: str, limit: int) -> None:
    """413 when `text` is longer than `limit` bytes in UTF-8 (Settings.max_text_bytes)."""
    size = len(text.encode("utf-8"))
    if size > limit:
        raise ApiError(
            413,
            "text_too_large",
            f"文本超过 {readable_size(limit)} 上限（{readable_size(size)}）/ text larger than the "
            f"limit of {readable_size(limit)} ({readable_size(size)})",
            {"limit_bytes": limit, "size_bytes": size},
        )


def check_text_length(text: str, limit: int, batch_limit: int) -> None:
    """413 when `text` has more than `limit` characters (Settings.api_max_check_chars): a check
    answers in seconds; a longer script is split, e.g. into the items of a batch."""
    if len(text) > limit:
        raise ApiError(
            413,
            "text_too_long",
            f"文本 {len(text)} 字，超过单次检测 {limit} 字上限；长话术请分段提交（POST "
            f"/v1/check/batch，每批合计不超过 {batch_limit} 字）/ text of {len(text)} characters, "
            f"more than the limit of {limit} per check; split a long script into parts (POST "
            f"/v1/check/batch, at most {batch_limit} characters per batch)",
            {"limit_chars": limit, "chars": len(text), "batch_limit_chars": batch_limit},
        )


def check_batch_length(items: list, limit: int) -> None:
    """413 when the texts of a batch have more than `limit` characters together
    (Settings.api_max_batch_chars), counted before any is checked."""
    total = sum(len(item["text"]) for item in items if isinstance(item.get("text"), str))
    if total > limit:
        raise ApiError(
            413,
            "batch_too_long",
            f"批量检测合计 {total} 字，超过 {limit} 字上限；请分成几批提交 / the batch holds "
            f"{total} characters, more than the limit of {limit}; send it in several batches",
            {"limit_chars": limit, "chars": total},
        )
