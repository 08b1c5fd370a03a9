"""Rendering the web UI: the Jinja2 templates (found beside this module, so they work from an
installed wheel), and a route class that answers every error of a UI route with an HTML page in
Chinese and English (never JSON, never a traceback), or a redirect to the login page."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException

from api.core.errors import ApiError
from monitor.errors import InputError
from monitor.local_time import DEFAULT_ZONE, local_date, local_time, zone_label
from monitor.messages import name, words
from monitor.store.db import is_busy

logger = logging.getLogger("qinglang")

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _zone_name(context) -> str:
    request = context.get("request")
    services = getattr(getattr(request, "app", None), "state", None)
    settings = getattr(getattr(services, "services", None), "settings", None)
    return getattr(settings, "timezone", DEFAULT_ZONE) or DEFAULT_ZONE


# Stored times are UTC; every page shows them in the service's zone (Beijing unless configured).
templates.env.filters["local_time"] = pass_context(lambda c, v: local_time(v, _zone_name(c)))
templates.env.filters["local_date"] = pass_context(lambda c, v: local_date(v, _zone_name(c)))
templates.env.globals["zone_label"] = pass_context(lambda c: zone_label(_zone_name(c)))


def label_html(value: object, kind: str) -> Markup:
    """The `label` filter: a machine value in words, "中文 <small>English</small>" (the value
    itself when the catalogue has none): {{ v.origin|label("violation_origin") }}."""
    found = name(kind, value)
    if found is None:
        return escape(value)
    return Markup("{} <small>{}</small>").format(found.zh, found.en)


templates.env.filters["label"] = label_html


class UiError(Exception):
    """An error shown to the user as an HTML page with `status`."""

    def __init__(self, status: int, message: str, title: str = ""):
        super().__init__(message)
        self.status = status
        self.message = message
        self.title = title


class LoginRequired(Exception):
    """No valid login cookie: the user is sent to the login page, then back."""


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status: int = 200
) -> Response:
    context = {"caller": getattr(request.state, "ui_caller", None), **(context or {})}
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, status: int, message: str, title: str = "") -> Response:
    found = name("error_title", status) or words("error_title", 500)
    return render(request, "error.html", {"title": title or str(found), "message": message}, status)


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/ui/login?next={quote(target, safe='')}"
    if request.headers.get("HX-Request"):
        # htmx would swap a followed redirect into the page; ask it to navigate instead.
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


class HtmlErrorRoute(APIRoute):
    """An APIRoute whose errors become HTML pages (UiError, ApiError, library InputError, invalid
    parameters) or a login redirect; anything unexpected is logged and shown as a plain 500."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def html_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except UiError as exc:
                return error_page(request, exc.status, exc.message, exc.title)
            except ApiError as exc:
                return error_page(request, exc.status_code, exc.message)
            except InputError as exc:
                return error_page(request, 400, str(exc))
            except RequestValidationError as exc:
                fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
                return error_page(request, 400, f"请求参数无效 / invalid parameters: {fields}")
            except HTTPException as exc:
                return error_page(request, exc.status_code, str(exc.detail))
            except Exception as exc:
                if is_busy(exc):  # answered as on every route (api.core.errors): 503, Retry-After
                    raise
                logger.exception("%s %s failed", request.method, request.url.path)
                return error_page(
                    request, 500, "服务器内部错误 / internal server error", "出错了 / Error"
                )

        return html_errors
