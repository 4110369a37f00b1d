"""``/``: the portal's front page — search box, counts, newest datasets, themes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from datavalley.api.deps import RuntimeDep
from datavalley.catalog.vocabulary import THEMES
from datavalley.web.catalog_view import listed_facets, newest_datasets, portal_stats
from datavalley.web.render import page

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep) -> HTMLResponse:
    with rt.session() as session:
        stats = portal_stats(session, rt.settings)
        newest = newest_datasets(session)
        facets = listed_facets(session)
    theme_counts = {f.value: f.count for f in facets.themes}
    themes = [(code, theme_counts.get(code, 0)) for code in THEMES]
    return page(request, "home.html", stats=stats, newest=newest, themes=themes)
