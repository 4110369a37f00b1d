"""``datavalley``: the command line. Each command group lives in its own module."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from datavalley import __version__
from datavalley.catalog.search import SORT_KEYS, SearchQuery, search_datasets
from datavalley.cli import audit as audit_cli
from datavalley.cli import datasets, orgs, state, tables, tokens, users
from datavalley.cli import grants as grants_cli
from datavalley.cli import harvest as harvest_cli
from datavalley.cli import query as query_cli
from datavalley.cli import requests as requests_cli
from datavalley.cli import shares as shares_cli
from datavalley.cli.output import console, exits_cleanly, print_json, print_table

app = typer.Typer(
    name="datavalley",
    help="DataValley: gather, connect and use a region's data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(orgs.app, name="org")
app.add_typer(datasets.app, name="dataset")
app.add_typer(tables.app, name="table")
app.add_typer(users.app, name="user")
app.add_typer(users.members_app, name="member")
app.add_typer(tokens.app, name="token")
app.command("ingest")(exits_cleanly(tables.ingest_command))
app.command("query")(query_cli.query_command)
app.add_typer(query_cli.app, name="api")
app.add_typer(requests_cli.app, name="request")
app.add_typer(grants_cli.app, name="grant")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(harvest_cli.app, name="harvest")
app.add_typer(shares_cli.app, name="share")
app.add_typer(shares_cli.recipients_app, name="recipient")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"datavalley {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            envvar="DATAVALLEY_HOME",
            help="home folder of the embedded store (default ./.datavalley)",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="USER",
            help="act with this user's rights (default: the data authority, with every right)",
        ),
    ] = None,
) -> None:
    """DataValley: gather, connect and use a region's data.

    Run on the server's own home folder, commands act as the data authority; --as USER acts as that
    user, with the same checks as the HTTP API.
    """
    state.set_home(home)
    state.set_acting_user(as_user)


@app.command()
@exits_cleanly
def init() -> None:
    """Create the home folder and bring the metadata store's schema up to date (safe to repeat)."""
    rt = state.runtime(ready=False)
    revision = rt.initialise()
    console.print(
        f"DataValley home [bold]{rt.settings.home}[/] ready ({rt.db.dialect} store, schema {revision})"
    )
    from datavalley.access.accounts import ensure_first_admin

    with rt.session() as session:
        created = ensure_first_admin(session, rt.settings)
    if created is not None:
        name, password = created
        if password is None:
            console.print(f"created platform admin [bold]{name}[/] (password from DATAVALLEY_ADMIN_PASSWORD)")
        else:
            console.print(
                f"created platform admin [bold]{name}[/] with password [bold]{password}[/]\n"
                f"  it is shown this once: note it, or set another with `datavalley user passwd {name}`",
                highlight=False,
            )


@app.command()
@exits_cleanly
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="port (default 8080)")] = None,
) -> None:
    """Serve the HTTP API (and docs at /docs); the schema is brought up to date first."""
    import uvicorn

    from datavalley.api.app import create_app

    settings = state.settings()
    rt = state.runtime(ready=False)
    rt.initialise()
    host = host or settings.server.host
    port = port or settings.server.port
    console.print(f"serving DataValley on [bold]http://{host}:{port}[/] — API docs at /docs")
    uvicorn.run(create_app(runtime=rt), host=host, port=port, log_level="info")


@app.command()
@exits_cleanly
def demo() -> None:
    """Load the synthetic sample organizations and datasets (safe to repeat)."""
    from datavalley.demo import DEMO_USERS, load_demo, load_demo_access, load_demo_tables

    rt = state.runtime()
    with rt.session() as session:
        created = load_demo(session)
    tables = load_demo_tables(rt)
    access = load_demo_access(rt)
    console.print(
        f"demo data loaded: {created.organizations} organization(s), {created.datasets} dataset(s), "
        f"{tables} table(s), {access.users} user(s), {access.reads} synthetic read(s) new (all synthetic)"
    )
    for user in DEMO_USERS:  # demo-only passwords, the same in every demo store
        console.print(f"  log in as the {user.role}: {user.name} / {user.password}", highlight=False)


@app.command()
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


if __name__ == "__main__":
    app()
