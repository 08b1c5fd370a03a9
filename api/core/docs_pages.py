"""The API's documentation pages: /docs (Swagger UI) and /redoc (ReDoc) over /openapi.json.

Their scripts and styles are served from api/ui/static (vendored from npm by
scripts/vendor-docs-assets), so the pages work offline and where CDNs are unreachable; nothing
here makes the browser load from another host (Swagger UI's online validator is off too). The
pages carry no inline script or style: Swagger UI is started by api/ui/static/swagger-init.js, which
reads the schema's address from its own tag, so the site's Content-Security-Policy holds here too.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

STATIC_URL = "/ui/static"
FAVICON_URL = "/favicon.ico"

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="shortcut icon" href="{favicon}">
{head}
</head>
<body>
{body}
</body>
</html>
"""


def _page(title: str, head: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        _PAGE.format(title=escape(title), favicon=FAVICON_URL, head=head, body=body)
    )


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    openapi = escape(request.app.openapi_url or "")
    return _page(
        f"{request.app.title} · API 文档 / API docs",
        f'<link rel="stylesheet" href="{STATIC_URL}/swagger-ui.css">',
        f'<div id="swagger-ui"></div>\n<script src="{STATIC_URL}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{STATIC_URL}/swagger-init.js" data-openapi-url="{openapi}"></script>',
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    openapi = escape(request.app.openapi_url or "")
    return _page(
        f"{request.app.title} · API 参考 / API reference",
        "",
        f'<redoc spec-url="{openapi}"></redoc>\n'
        f'<script src="{STATIC_URL}/redoc.standalone.js"></script>',
    )
