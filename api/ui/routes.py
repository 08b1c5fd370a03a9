"""The web UI: review queue, pending due-process decisions, anchor and workshop pages,
monitored streams and live rooms, self-check, public disclosure (issue 6).

Server-rendered HTML (Jinja2 templates in api/ui/templates, htmx and a small script in api/ui/static);
login by API key, kept as a server-side session (api/ui/auth.py). Not part of the OpenAPI
schema: these are pages, not API; every error of a page is an HTML page (api/ui/render.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.ui import appeals as ui_appeals
from api.ui import auth as ui_auth
from api.ui import decisions as ui_decisions
from api.ui import exports as ui_exports
from api.ui import live as ui_live
from api.ui import pages as ui_pages
from api.ui import review as ui_review
from api.ui import selfcheck as ui_selfcheck
from api.ui import streams as ui_streams
from api.ui import workshops as ui_workshops
from api.ui.views import grade_styles as ui_grade_styles

# CSRF is checked here once, for every UI route that may change state (api/ui/auth.py).
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
