"""The FastAPI application: built once per process by `create_app`, which upgrades the store,
builds the checker and loads the credit policy before the first request.

Routes only translate HTTP to the library (`monitor`) and back; no rule lives here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from monitor.db import open_db, schema_version
from monitor.settings import Settings

from . import (
    docs_pages,
    routes_admin,
    routes_anchors,
    routes_appeals,
    routes_captions,
    routes_check,
    routes_exports,
    routes_flags,
    routes_jobs,
    routes_live,
    routes_live_audio,
    routes_public,
    routes_registry,
    routes_repairs,
    routes_scripts,
    routes_streams,
    routes_ui,
    routes_violations,
    routes_webhooks,
)
from .check_slots import new_slots
from .context import Background, DatabaseDep
from .errors import install_error_handlers
from .limits import BodyLimit
from .openapi_errors import install_error_schemas
from .rate_limit import FAILED_AUTH_PER_MINUTE, RateLimiter
from .reloader import build_services
from .schemas import Health
from .security_headers import SecurityHeaders
from .trusted_proxies import TrustedProxyScheme, parse_proxies


def create_app(db_path: str | Path, settings: Settings | None = None) -> FastAPI:
    """The API over the store at `db_path` (created and upgraded here), configured by `settings`."""
    settings = settings or Settings()
    open_db(db_path).conn.close()
    app = FastAPI(
        lifespan=_lifespan,
        title="qinglang 清朗",
        summary="直播带货违规话术检测与主播信用 / livestream compliance checks and anchor credit",
        version="0.1.0",
        docs_url=None,  # served by api/docs_pages.py from local assets, not a CDN
        redoc_url=None,
    )
    app.state.check_slots = new_slots(settings.api_max_concurrent_checks)
    app.state.rate_limiter = RateLimiter(settings.api_rate_per_minute)
    app.state.failed_auth_limiter = RateLimiter(FAILED_AUTH_PER_MINUTE)
    app.state.services = build_services(Path(db_path), settings)
    install_error_handlers(app)
    install_error_schemas(app)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes, path_limits={"/v1/media": settings.api_max_upload_bytes})  # fmt: skip
    app.add_middleware(TrustedProxyScheme, proxies=parse_proxies(settings.trusted_proxies))
    app.add_middleware(SecurityHeaders)  # outermost: every answer, a 413 included

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz(db: DatabaseDep) -> dict:
        """Liveness and the store's schema version; needs no key."""
        return {"status": "ok", "schema_version": schema_version(db)}

    for module in _ROUTE_MODULES:
        app.include_router(module.router)
    return app


# Each module has a `router`; one that needs work done outside requests (a job queue, live rooms,
# webhook deliveries) also has `background(app) -> Background | None`, started with the app.
_ROUTE_MODULES = (
    routes_check,
    routes_captions,
    routes_anchors,
    routes_registry,
    routes_flags,
    routes_exports,
    routes_streams,
    routes_violations,
    routes_appeals,
    routes_repairs,
    routes_scripts,
    routes_public,
    routes_jobs,
    routes_live,
    routes_live_audio,
    routes_webhooks,
    routes_admin,
    routes_ui,
    docs_pages,
)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the modules' background workers after start-up and stop them, newest first, at
    shutdown."""
    running: list[Background] = []
    try:
        for module in _ROUTE_MODULES:
            factory = getattr(module, "background", None)
            worker = factory(app) if factory else None
            if worker is not None:
                worker.start()
                running.append(worker)
        app.state.background = running
        yield
    finally:
        for worker in reversed(running):
            worker.stop()
