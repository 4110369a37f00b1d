"""The web portal: server-rendered pages (Jinja2) over the catalog, with a little plain JavaScript.

``install(app)`` adds the pages, serves ``/static`` from this package (no CDN: the portal works offline)
and makes errors outside ``/api/`` friendly HTML pages. See docs/portal.md.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from datavalley.api.deps import reject_nul
from datavalley.web.errors import install_error_pages
from datavalley.web.routes import (
    account,
    dashboard,
    datasets,
    grants,
    home,
    organizations,
    requests,
    search,
    sql,
)

STATIC_DIR = Path(__file__).parent / "static"

router = APIRouter(include_in_schema=False, dependencies=[Depends(reject_nul)])
router.include_router(home.router)
router.include_router(search.router)
router.include_router(organizations.router)
router.include_router(datasets.router)
router.include_router(account.router)
router.include_router(sql.router)
router.include_router(requests.router)
router.include_router(grants.router)
router.include_router(dashboard.router)


def install(app: FastAPI) -> None:
    """Add the portal to ``app``: its pages, ``/static``, and HTML error pages (after the API's handlers)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_error_pages(app)


__all__ = ["STATIC_DIR", "install", "router"]
