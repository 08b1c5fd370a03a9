"""The FastAPI application: built once per process by `create_app`, which upgrades the store,
builds the checker and loads the credit policy before the first request.

Routes only translate HTTP to the library (`monitor`) and back; no rule lives here.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from monitor.checker import Checker, default_checker
from monitor.credit_policy import load_policy
from monitor.db import open_db, schema_version
from monitor.settings import Settings

from . import routes_anchors, routes_check
from .context import DatabaseDep, Services
from .errors import install_error_handlers
from .limits import BodyLimit
from .schemas import Health


def create_app(db_path: str | Path, settings: Settings | None = None) -> FastAPI:
    """The API over the store at `db_path` (created and upgraded here), configured by `settings`."""
    settings = settings or Settings()
    open_db(db_path).conn.close()
    policy = load_policy(Path(settings.credit_policy) if settings.credit_policy else None)
    app = FastAPI(
        title="qinglang 清朗",
        summary="直播带货违规话术检测与主播信用 / livestream compliance checks and anchor credit",
        version="0.1.0",
    )
    app.state.services = Services(Path(db_path), settings, _checker(settings), policy)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz(db: DatabaseDep) -> dict:
        """Liveness and the store's schema version; needs no key."""
        return {"status": "ok", "schema_version": schema_version(db)}

    app.include_router(routes_check.router)
    app.include_router(routes_anchors.router)
    return app


def _checker(settings: Settings) -> Checker:
    """The shared default checker, unless the settings ask for other lexicons or model."""
    if not (settings.lexicons or settings.model_dir) and settings.classifier:
        return default_checker()
    return Checker.from_files(
        settings.extra_lexicon_files(),
        model_folder=settings.model_folder(),
        use_classifier=settings.classifier,
    )
