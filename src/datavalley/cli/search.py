"""``datavalley search``: find datasets by text and facets."""

from __future__ import annotations

from typing import Annotated

import typer

from datavalley.catalog.search import SORT_KEYS, SearchQuery, search_datasets
from datavalley.cli import datasets, state
from datavalley.cli.output import exits_cleanly, print_json, print_table


@exits_cleanly
def search(
    text: Annotated[str, typer.Argument(help="words to find (Chinese works: 贫困)")] = "",
    org: Annotated[
        list[str] | None, typer.Option("--org", help="only this organization (repeatable)")
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="with this tag (repeatable; all must match)")
    ] = None,
    theme: Annotated[list[str] | None, typer.Option("--theme", help="with this theme (repeatable)")] = None,
    sharing: Annotated[
        list[str] | None, typer.Option("--sharing", help="unconditional|conditional|none (repeatable)")
    ] = None,
    public: Annotated[
        bool | None, typer.Option("--public/--not-public", help="only open / only non-open data")
    ] = None,
    sort: Annotated[str | None, typer.Option(help=f"one of {', '.join(SORT_KEYS)}")] = None,
    limit: Annotated[int, typer.Option(min=0, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
) -> None:
    """Search datasets by text and facets."""
    query = SearchQuery.model_validate(
        {
            "q": text or None,
            "organization": org or [],
            "tags": tag or [],
            "themes": theme or [],
            "sharing": sharing or [],
            "public": public,
            "sort": sort,
            "limit": limit,
            "offset": offset,
        }
    )
    rt = state.runtime()
    with rt.session() as session:
        result = search_datasets(session, query, caller=state.caller(session))
    if as_json:
        print_json(result)
        return
    shown = f"{offset + 1}–{offset + len(result.data)} of " if result.data else ""
    datasets.print_datasets(f"{shown}{result.count} dataset(s) found", result.data)
    facets = result.facets
    rows = [
        (name, ", ".join(f"{v.value} ({v.count})" for v in values))
        for name, values in (
            ("organization", facets.organization),
            ("tags", facets.tags),
            ("themes", facets.themes),
            ("sharing", facets.sharing),
            ("public", facets.public),
            ("state", facets.state),
        )
        if values
    ]
    if rows:
        print_table("facets", ["facet", "values (count)"], rows)
