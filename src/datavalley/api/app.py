"""The FastAPI application: ``create_app()`` wires the routers, error handlers and the runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from datavalley import __version__, web
from datavalley.api.deps import reject_nul
from datavalley.api.errors import install_error_handlers
from datavalley.api.routes import (
    apis,
    audit,
    auth,
    datasets,
    grants,
    ingest,
    meta,
    organizations,
    query,
    requests,
    stats,
    table_changes,
    tables,
    tokens,
    users,
)
from datavalley.api.routes import shares as shares_routes
from datavalley.config import Settings
from datavalley.interop import ckan_routes, dcat_routes
from datavalley.interop.sharing import routes as sharing_routes
from datavalley.runtime import Runtime, open_runtime

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the app. The schema is brought up to date when it starts."""
    rt = runtime or open_runtime(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        rt.initialise()
        yield
        if runtime is None:
            rt.close()

    app = FastAPI(
        title="DataValley",
        version=__version__,
        description="Gather, connect and use a region's data. Native API under /api/v1.",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX, dependencies=[Depends(reject_nul)])
    api.include_router(meta.router)
    api.include_router(organizations.router)
    api.include_router(datasets.router)
    api.include_router(ingest.router)
    api.include_router(tables.router)
    api.include_router(query.router)
    api.include_router(apis.router)
    api.include_router(table_changes.router)
    api.include_router(auth.router)
    api.include_router(users.router)
    api.include_router(tokens.router)
    api.include_router(requests.router)
    api.include_router(grants.router)
    api.include_router(audit.router)
    api.include_router(stats.router)
    api.include_router(shares_routes.router)
    api.include_router(shares_routes.recipients_router)
    app.include_router(api)
    app.include_router(dcat_routes.router)
    app.include_router(ckan_routes.router)
    app.include_router(sharing_routes.router)
    web.install(app)  # the portal: pages from `/`, files under /static, HTML error pages outside /api
    return app
