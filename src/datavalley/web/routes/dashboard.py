"""``/dashboard``: the data authority's view — data loaded over time, reads per day, the busiest datasets
and consumer organizations, requests by state, and the overdue requests. Platform admins only."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from datavalley.access.policy import check_platform_admin
from datavalley.access.requests import list_requests, request_stats
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.web.catalog_view import portal_stats
from datavalley.web.render import page
from datavalley.web.session import login_redirect
from datavalley.web.usage_view import data_volume, reads_per_day, top

router = APIRouter()
DAYS = 30


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, rt: RuntimeDep, caller: CallerDep) -> Response:
    if caller.user is None:
        return login_redirect(request)
    check_platform_admin(caller, "the dashboard")
    with rt.session() as session:
        stats = portal_stats(session, rt.settings, caller)
        requests = request_stats(session)
        overdue = list_requests(session, rt.settings, caller, overdue=True, limit=100).data
        charts = {
            "volume": data_volume(session, rt.settings).__dict__,
            "reads": reads_per_day(session, rt.settings, days=DAYS).__dict__,
            "datasets": top(session, rt.settings, by="dataset", days=DAYS).__dict__,
            "organizations": top(session, rt.settings, by="organization", days=DAYS).__dict__,
            "requests": {"labels": list(requests.by_state), "values": list(requests.by_state.values())},
        }
    return page(
        request,
        "dashboard.html",
        stats=stats,
        requests=requests,
        overdue=overdue,
        charts=charts,
        days=DAYS,
        reads_total=sum(charts["reads"]["values"]),
    )
