"""Security headers on every HTTP answer: a Content-Security-Policy that lets pages run only this
site's own scripts and styles (no inline script or style, no plugins, no framing by any site),
X-Frame-Options for older browsers, nosniff, no Referer sent elsewhere, and
`Cache-Control: no-store` on every answer that does not set its own (pages and API answers carry
private data; only static assets say they may be cached).

The templates hold no inline script, style element or style attribute, so the policy needs no
'unsafe-inline'; the API docs pages (/docs, /redoc) load their vendored assets from api/ui/static.
One exception: ReDoc builds its styles at run time as style elements (styled-components), so
/redoc, a page of the public schema and no private data, allows inline styles and its search
worker (a blob: of its own script), never inline scripts.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)
REDOC_CONTENT_SECURITY_POLICY = (
    f"{CONTENT_SECURITY_POLICY}; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"
)
INLINE_STYLE_PATHS = frozenset({"/redoc"})
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeaders:
    """ASGI middleware adding `HEADERS` (and `Cache-Control: no-store` unless the answer set a
    Cache-Control of its own) to every HTTP response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if scope["path"] in INLINE_STYLE_PATHS:
                    headers["Content-Security-Policy"] = REDOC_CONTENT_SECURITY_POLICY
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
