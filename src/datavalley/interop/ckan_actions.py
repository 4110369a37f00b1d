"""CKAN Action API, read side: the actions a CKAN client calls to list, search and show.

Every action sees only what the caller may see (``datavalley.access.policy``): the same datasets the
native API shows that caller, drafts of their own organizations included. CKAN's ``include_private``
and ``include_drafts`` are accepted and ignored — the policy decides, not the client.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller, check_dataset_visible, visible_datasets
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.vocabulary import THEMES
from datavalley.errors import NotFound
from datavalley.interop import ckan_params as p
from datavalley.interop.ckan_model import (
    derived_id,
    organization_dict,
    package_dict,
    split_package_name,
    tag_dict,
)
from datavalley.interop.finder import (
    FACET_FIELDS,
    DatasetFilter,
    find_datasets,
    resources_by_dataset,
    visible_count_by_org,
)
from datavalley.interop.urls import Urls
from datavalley.runtime import Runtime

MAX_ROWS = 1000
DEFAULT_ROWS = 10


@dataclass
class Context:
    """What an action runs with: the platform, who calls, and the addresses to hand out."""

    rt: Runtime
    caller: Caller
    urls: Urls


Action = Callable[[Context, dict[str, Any]], Any]
#: every action by name; its docstring is its ``help``
ACTIONS: dict[str, Action] = {}
#: the actions that change nothing (CKAN's ``side_effect_free``): only these may be called by GET
SIDE_EFFECT_FREE: set[str] = set()


def read_action(func: Action) -> Action:
    """Register ``func`` as an action that changes nothing: callable by GET or POST."""
    ACTIONS[func.__name__] = func
    SIDE_EFFECT_FREE.add(func.__name__)
    return func


def write_action(func: Action) -> Action:
    """Register ``func`` as an action that changes something: POST only (and, with a session cookie,
    only with the session's CSRF token)."""
    ACTIONS[func.__name__] = func
    return func


# --- finding things -------------------------------------------------------------------------------


def _org_names(session: Session) -> list[str]:
    return list(session.scalars(select(Organization.name).order_by(Organization.name)))


def find_package(session: Session, caller: Caller, key: str) -> Dataset:
    """A dataset by CKAN name (``ORG--NAME``), ``ORG/NAME`` or id; 404 if the caller may not see it."""
    parts = split_package_name(key)
    if parts is None:
        refs = session.execute(
            select(Organization.name, Dataset.name)
            .join(Dataset, Dataset.organization_id == Organization.id)
            .where(visible_datasets(caller))
        )
        parts = next(((o, d) for o, d in refs if derived_id("dataset", f"{o}/{d}") == key), None)
    if parts is None:
        raise NotFound(f"Not found: package `{key}` does not exist")
    try:
        return check_dataset_visible(session, caller, *parts)
    except NotFound:
        raise NotFound(f"Not found: package `{key}` does not exist") from None


def find_resource(session: Session, caller: Caller, key: str) -> tuple[Dataset, Table]:
    """A table by its resource id (or ``ORG/DATASET/TABLE``); 404 if the caller may not see it."""
    rows = session.execute(
        select(Dataset, Table, Organization.name)
        .join(Table, Table.dataset_id == Dataset.id)
        .join(Organization, Organization.id == Dataset.organization_id)
        .where(visible_datasets(caller))
    ).all()
    for ds, table, org in rows:
        ref = f"{org}/{ds.name}/{table.name}"
        if key in (ref, derived_id("resource", ref)):
            return ds, table
    raise NotFound(f"Not found: resource `{key}` does not exist")


def find_organization(session: Session, key: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == key))
    if org is None:
        org = next(
            (o for o in session.scalars(select(Organization)) if derived_id("organization", o.name) == key),
            None,
        )
    if org is None:
        raise NotFound(f"Not found: organization `{key}` does not exist")
    return org


def _packages(ctx: Context, session: Session, datasets: list[Dataset]) -> list[dict[str, Any]]:
    resources = resources_by_dataset(session, [d.id for d in datasets])
    return [package_dict(d, resources[d.id], ctx.urls) for d in datasets]


# --- actions --------------------------------------------------------------------------------------


@read_action
def package_list(ctx: Context, params: dict[str, Any]) -> list[str]:
    """The names of the datasets you may see (``limit``, ``offset``)."""
    limit = p.integer(params, "limit", 1_000_000, low=0, high=1_000_000)
    offset = p.integer(params, "offset", 0)
    with ctx.rt.session() as session:
        found = find_datasets(session, ctx.caller, sort=[("ref", False)], limit=limit, offset=offset)
        return [f"{d.organization.name}--{d.name}" for d in found.datasets]


def _facet_items(session: Session, field: str, counts: list[tuple[str, int]]) -> list[dict[str, Any]]:
    titles: dict[str, str] = {}
    if field == "organization":
        titles = {
            name: title for name, title in session.execute(select(Organization.name, Organization.title))
        }
    elif field == "groups":
        titles = dict(THEMES)
    return [{"name": v, "display_name": titles.get(v, v), "count": n} for v, n in counts]


@read_action
def package_search(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Search datasets: ``q`` (words, or field:value), ``fq`` (organization:, tags:, groups:, name:,
    license_id:, res_format:, metadata_modified:[A TO B], metadata_created:[A TO B]), ``rows`` (at most
    1000), ``start``, ``sort`` (e.g. ``metadata_modified desc``), ``fq_list`` (more fq, all applied),
    ``facet.field``, ``facet.limit``."""
    rows = p.integer(params, "rows", DEFAULT_ROWS, high=MAX_ROWS)
    start = p.integer(params, "start", 0)
    sort = p.parse_sort(p.text(params, "sort"))
    facet_fields = p.string_list(params, "facet.field")
    unknown = [f for f in facet_fields if f not in FACET_FIELDS]
    if unknown:
        raise p.SearchQueryError(f"cannot count facet `{unknown[0]}`; use {', '.join(FACET_FIELDS)}")
    facet_limit = p.integer(params, "facet.limit", 50, low=-1)
    with ctx.rt.session() as session:
        fq = " ".join(f for f in [p.text(params, "fq"), *p.text_list(params, "fq_list")] if f)
        where = p.parse_query(p.text(params, "q"), fq, _org_names(session))
        found = find_datasets(
            session,
            ctx.caller,
            where,
            sort=sort,
            limit=rows,
            offset=start,
            facets=facet_fields,
            facet_limit=facet_limit,
        )
        results = _packages(ctx, session, found.datasets)
        search_facets = {
            field: {"title": field, "items": _facet_items(session, field, counts)}
            for field, counts in found.facets.items()
        }
    return {
        "count": found.count,
        "results": results,
        "sort": p.text(params, "sort") or "score desc, metadata_modified desc",
        "facets": {field: dict(counts) for field, counts in found.facets.items()},
        "search_facets": search_facets,
    }


@read_action
def package_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """One dataset by ``id`` (its id, its CKAN name ``ORG--NAME``, or ``ORG/NAME``)."""
    key = p.text(params, "id", required=True) or ""
    with ctx.rt.session() as session:
        ds = find_package(session, ctx.caller, key)
        return _packages(ctx, session, [ds])[0]


@read_action
def resource_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """One table, as a resource, by ``id``."""
    from datavalley.interop.ckan_model import resource_dict

    key = p.text(params, "id", required=True) or ""
    with ctx.rt.session() as session:
        ds, table = find_resource(session, ctx.caller, key)
        resources = resources_by_dataset(session, [ds.id])[ds.id]
        position = [t.id for t, _fmt in resources].index(table.id)
        return resource_dict(ds, table, ctx.urls, position, resources[position][1])


def _organization_list(ctx: Context, params: dict[str, Any], *, groups: bool = False) -> list[Any]:
    all_fields = p.boolean(params, "all_fields", False)
    limit = p.integer(params, "limit", 1000, high=1000)
    offset = p.integer(params, "offset", 0)
    sort = (p.text(params, "sort") or "name asc").strip().lower()
    wanted = set(p.string_list(params, "organizations") or p.string_list(params, "groups"))
    with ctx.rt.session() as session:
        counts = visible_count_by_org(session, ctx.caller)
        orgs = list(session.scalars(select(Organization)))
        field, _, direction = sort.partition(" ")
        keys = {
            "name": lambda o: o.name,
            "title": lambda o: o.title,
            "package_count": lambda o: counts.get(o.name, 0),
        }
        if field not in keys:
            raise p.invalid("sort", f"sort by name, title or package_count (asc or desc), not `{sort}`")
        orgs.sort(key=lambda o: o.name)
        orgs.sort(key=keys[field], reverse=direction.strip() == "desc")
        if wanted:
            orgs = [o for o in orgs if o.name in wanted]
        orgs = orgs[offset : offset + limit]
        if not all_fields:
            return [o.name for o in orgs]
        return [organization_dict(o, package_count=counts.get(o.name, 0)) for o in orgs]


@read_action
def organization_list(ctx: Context, params: dict[str, Any]) -> list[Any]:
    """Organizations: names, or full records with ``all_fields=true``; ``sort`` (``name asc``,
    ``package_count desc``...), ``limit``, ``offset``. ``package_count`` counts what you may see."""
    return _organization_list(ctx, params)


@read_action
def organization_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """One organization by ``id`` (id or name); ``include_datasets=true`` adds the datasets you may see."""
    key = p.text(params, "id", required=True) or ""
    include = p.boolean(params, "include_datasets", False)
    with ctx.rt.session() as session:
        org = find_organization(session, key)
        count = visible_count_by_org(session, ctx.caller).get(org.name, 0)
        out = organization_dict(org, package_count=count)
        out["users"] = []
        if include:
            found = find_datasets(
                session,
                ctx.caller,
                DatasetFilter(organizations=[org.name]),
                sort=[("ref", False)],
                limit=1000,
            )
            out["packages"] = _packages(ctx, session, found.datasets)
        return out


@read_action
def tag_list(ctx: Context, params: dict[str, Any]) -> list[Any]:
    """The tags of the datasets you may see; ``query`` keeps those containing it; ``all_fields``."""
    query = (p.text(params, "query") or p.text(params, "q") or "").lower()
    all_fields = p.boolean(params, "all_fields", False)
    with ctx.rt.session() as session:
        found = find_datasets(session, ctx.caller, facets=["tags"], facet_limit=-1, limit=0)
    tags = sorted(t for t, _n in found.facets["tags"] if query in t)
    return [tag_dict(t) for t in tags] if all_fields else tags


@read_action
def group_list(ctx: Context, params: dict[str, Any]) -> list[Any]:
    """The EU data themes, as groups; ``all_fields=true`` for full records."""
    themes = sorted(THEMES)
    if p.boolean(params, "all_fields", False):
        from datavalley.interop.ckan_model import group_dict

        return [group_dict(t) for t in themes]
    return themes


@read_action
def status_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """What this site is: a CKAN-compatible API of DataValley."""
    from datavalley import __version__

    return {
        "site_title": "DataValley",
        "site_url": ctx.urls.base,
        "ckan_version": "2.10.0",
        "datavalley_version": __version__,
        "api_version": 3,
        "extensions": ["datastore"],
    }


@read_action
def help_show(ctx: Context, params: dict[str, Any]) -> str:
    """What an action does: ``name``."""
    name = p.text(params, "name", required=True) or ""
    if name not in ACTIONS:
        raise NotFound(f"Not found: action `{name}` does not exist")
    return (ACTIONS[name].__doc__ or "").strip()
