"""``/organizations``: who publishes data, and one organization with its datasets."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog import service
from datavalley.web.render import page
from datavalley.web.routes.search import SearchForm, pages_of, read_form, run_search

router = APIRouter()

MAX_ORGANIZATIONS = 1000


@router.get("/organizations", response_class=HTMLResponse)
def organizations_page(request: Request, rt: RuntimeDep, caller: CallerDep) -> HTMLResponse:
    with rt.session() as session:
        found = service.list_organizations(session, limit=MAX_ORGANIZATIONS, caller=caller)
    return page(request, "organizations.html", organizations=found)


@router.get("/organizations/{name}", response_class=HTMLResponse)
def organization_page(request: Request, rt: RuntimeDep, caller: CallerDep, name: str) -> HTMLResponse:
    with rt.session() as session:
        org = service.get_organization(session, name, caller=caller)
    asked = read_form(request)
    form = SearchForm(
        q="",
        organization=[org.name],
        tag=[],
        theme=[],
        sharing=[],
        public=None,
        sort="title",
        page=asked.page,
    )
    result = run_search(rt, caller, form)
    return page(request, "organization.html", org=org, result=result, form=form, pages=pages_of(result.count))
