"""``/search``: datasets found by words and facets, a page at a time, through the catalog's search service."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from datavalley.access.policy import Caller
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog.models import Organization
from datavalley.catalog.schemas import DatasetsPublic
from datavalley.catalog.search import SearchQuery, search_datasets
from datavalley.catalog.vocabulary import SHARING_CLASSES, THEMES
from datavalley.web.render import page, url_with

router = APIRouter()

PAGE_SIZE = 20
MAX_PAGE = 1_000_000
#: The sort orders the page offers (each must be a key the search service knows).
SORTS = ("relevance", "-modified", "title", "-created")
MAX_FILTER_VALUES = 20


@dataclass(frozen=True)
class FacetLink:
    """One value of a facet: what it counts, whether it is chosen, and the link that toggles it."""

    param: str
    value: str
    count: int
    selected: bool
    href: str
    title: str = ""


@dataclass(frozen=True)
class SearchForm:
    q: str
    organization: list[str]
    tag: list[str]
    theme: list[str]
    sharing: list[str]
    public: bool | None
    sort: str | None
    page: int


def _int(text: str | None, default: int) -> int:
    try:
        return min(max(int(text or ""), 1), MAX_PAGE)
    except ValueError:
        return default


def read_form(request: Request) -> SearchForm:
    """The search as asked in the query string; unknown values are dropped, never an error page."""
    params = request.query_params
    sort = params.get("sort")
    return SearchForm(
        q=" ".join((params.get("q") or "").split())[:500],
        organization=params.getlist("organization")[:MAX_FILTER_VALUES],
        tag=[t[:64] for t in params.getlist("tag")[:MAX_FILTER_VALUES]],
        theme=[t for t in params.getlist("theme") if t in THEMES],
        sharing=[s for s in params.getlist("sharing") if s in SHARING_CLASSES],
        public={"true": True, "false": False}.get(params.get("public") or ""),
        sort=sort if sort in SORTS else None,
        page=_int(params.get("page"), 1),
    )


def run_search(
    rt: RuntimeDep, caller: Caller, form: SearchForm, *, page_size: int = PAGE_SIZE
) -> DatasetsPublic:
    """The catalog's search, as the API runs it for this caller: only datasets they may see."""
    query = SearchQuery(
        q=form.q or None,
        organization=form.organization,
        tags=form.tag,
        themes=form.theme,
        sharing=form.sharing,  # type: ignore[arg-type]
        public=form.public,
        sort=form.sort,  # type: ignore[arg-type]
        limit=page_size,
        offset=(form.page - 1) * page_size,
    )
    with rt.session() as session:
        return search_datasets(session, query, caller=caller)


def _toggle(request: Request, param: str, value: str, chosen: list[str]) -> str:
    values = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
    return url_with(request, **{param: values, "page": None})


def facet_links(request: Request, form: SearchForm, result: DatasetsPublic, titles: dict[str, str]) -> dict:
    """Facet values as toggle links, per facet, in the order the page shows them."""
    facets = result.facets
    groups: dict[str, list[FacetLink]] = {}
    for param, values, chosen in [
        ("organization", facets.organization, form.organization),
        ("theme", facets.themes, form.theme),
        ("tag", facets.tags, form.tag),
        ("sharing", facets.sharing, form.sharing),
    ]:
        links = [
            FacetLink(
                param,
                f.value,
                f.count,
                f.value in chosen,
                _toggle(request, param, f.value, chosen),
                titles.get(f.value, f.value) if param == "organization" else f.value,
            )
            for f in values
        ]
        known = {f.value for f in values}  # a chosen value with no matches left still shows, to undo it
        links += [
            FacetLink(param, v, 0, True, _toggle(request, param, v, chosen), titles.get(v, v))
            for v in chosen
            if v not in known
        ]
        groups[param] = links
    chosen_public = None if form.public is None else str(form.public).lower()
    groups["public"] = [
        FacetLink(
            "public",
            f.value,
            f.count,
            f.value == chosen_public,
            url_with(request, public=None if f.value == chosen_public else f.value, page=None),
        )
        for f in facets.public
    ]
    return groups


def organization_titles(rt: RuntimeDep, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    with rt.session() as session:
        rows = session.execute(
            select(Organization.name, Organization.title).where(Organization.name.in_(names))
        )
        return {name: title for name, title in rows}


def pages_of(count: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(count / page_size))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, rt: RuntimeDep, caller: CallerDep) -> HTMLResponse:
    form = read_form(request)
    result = run_search(rt, caller, form)
    names = sorted({f.value for f in result.facets.organization} | set(form.organization))
    titles = organization_titles(rt, [*names, *(d.organization for d in result.data)])
    return page(
        request,
        "search.html",
        form=form,
        result=result,
        facets=facet_links(request, form, result, titles),
        org_titles=titles,
        sorts=SORTS,
        pages=pages_of(result.count),
        page_size=PAGE_SIZE,
    )
