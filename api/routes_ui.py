"""The web UI: review queue, pending due-process decisions, anchor and workshop pages,
monitored streams and live rooms, self-check, public disclosure (issue 6).

Server-rendered HTML (Jinja2 templates in api/templates, htmx and a small script in api/static);
login by API key, kept as a server-side session (api/ui_auth.py). Not part of the OpenAPI
schema: these are pages, not API; every error of a page is an HTML page (api/ui_render.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from . import (
    ui_appeals,
    ui_auth,
    ui_decisions,
    ui_exports,
    ui_grade_styles,
    ui_live,
    ui_pages,
    ui_review,
    ui_selfcheck,
    ui_streams,
    ui_workshops,
)

# CSRF is checked here once, for every UI route that may change state (api/ui_auth.py).
router = APIRouter(dependencies=[Depends(ui_auth.csrf_checked)])
for _module in (
    ui_auth,
    ui_pages,
    ui_grade_styles,
    ui_appeals,
    ui_review,
    ui_decisions,
    ui_exports,
    ui_selfcheck,
    ui_streams,
    ui_live,
    ui_workshops,
):
    router.include_router(_module.router)
