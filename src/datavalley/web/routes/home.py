"""``/``: the portal's front page — search box, counts (reads of the past week too), newest and most used
datasets, themes. Every figure counts only what the visitor may see."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog.vocabulary import THEMES
from datavalley.web.catalog_view import newest_datasets, portal_stats, visible_facets
from datavalley.web.render import page
from datavalley.web.usage_view import most_used, reads_this_week

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, rt: RuntimeDep, caller: CallerDep) -> HTMLResponse:
    with rt.session() as session:
        stats = portal_stats(session, rt.settings, caller)
        newest = newest_datasets(session, caller)
        facets = visible_facets(session, caller)
        reads = reads_this_week(session, rt.settings, caller)
        used = most_used(session, rt.settings, caller)
    theme_counts = {f.value: f.count for f in facets.themes}
    themes = [(code, theme_counts.get(code, 0)) for code in THEMES]
    return page(request, "home.html", stats=stats, newest=newest, themes=themes, reads=reads, used=used)
