"""The FastAPI application: built once per process by `create_app`, which upgrades the store,
builds the checker and loads the credit policy before the first request.

Routes only translate HTTP to the library (`monitor`) and back; no rule lives here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from api.core import docs_pages
from api.core.check_slots import new_slots
from api.core.context import Background, DatabaseDep
from api.core.errors import install_error_handlers
from api.core.limits import BodyLimit
from api.core.openapi_errors import install_error_schemas
from api.core.rate_limit import FAILED_AUTH_PER_MINUTE, RateLimiter
from api.core.reloader import build_services
from api.core.security_headers import SecurityHeaders
from api.core.trusted_proxies import TrustedProxyScheme, parse_proxies
from api.ui import routes as routes_ui
from api.v1 import admin as routes_admin
from api.v1 import anchors as routes_anchors
from api.v1 import captions as routes_captions
from api.v1 import check as routes_check
from api.v1 import exports as routes_exports
from api.v1 import flags as routes_flags
from api.v1 import jobs as routes_jobs
from api.v1 import live as routes_live
from api.v1 import live_audio as routes_live_audio
from api.v1 import public as routes_public
from api.v1 import registry as routes_registry
from api.v1 import streams as routes_streams
from api.v1 import webhooks as routes_webhooks
from api.v1 import worker_identity as routes_worker_identity
from api.v1 import worker_jobs as routes_worker_jobs
from api.v1 import worker_rooms as routes_worker_rooms
from api.v1.due_process import appeals as routes_appeals
from api.v1.due_process import repairs as routes_repairs
from api.v1.due_process import scripts as routes_scripts
from api.v1.due_process import violations as routes_violations
from api.v1.schemas.check import Health
from monitor.broker.connect import client_for
from monitor.settings import Settings
from monitor.store.db import open_db, schema_version


def create_app(db_path: str | Path, settings: Settings | None = None) -> FastAPI:
    """The API over the store at `db_path` (created and upgraded here), configured by `settings`."""
    settings = settings or Settings()
    open_db(db_path).conn.close()
    app = FastAPI(
        lifespan=_lifespan,
        title="qinglang 清朗",
        summary="直播带货违规话术检测与主播信用 / livestream compliance checks and anchor credit",
        version="0.1.0",
        docs_url=None,  # served by api/core/docs_pages.py from local assets, not a CDN
        redoc_url=None,
    )
    app.state.check_slots = new_slots(settings.api_max_concurrent_checks)
    app.state.rate_limiter = RateLimiter(settings.api_rate_per_minute)
    app.state.failed_auth_limiter = RateLimiter(FAILED_AUTH_PER_MINUTE)
    app.state.services = build_services(Path(db_path), settings)
    app.state.broker = client_for(settings.broker_url) if settings.broker_url else None
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
    routes_worker_identity,
    routes_public,
    routes_jobs,
    routes_live,
    routes_live_audio,
    routes_webhooks,
    routes_worker_jobs,
    routes_worker_rooms,
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
