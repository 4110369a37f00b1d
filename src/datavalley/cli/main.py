"""``datavalley``: the command line. Each command group lives in its own module, imported on use.

Only the module of the command that runs is imported (and Typer builds only its commands): a plain
``datavalley ingest`` never loads the web framework, the search index or the access-request services.
``datavalley --help`` imports them all, to list them.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from datavalley import __version__
from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly

#: command name → (module, attribute): a Typer app (a group of commands) or a function (one command)
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("datavalley.cli.tables", "ingest_command"),
    "query": ("datavalley.cli.query", "query_command"),
    "search": ("datavalley.cli.search", "search"),
    "org": ("datavalley.cli.orgs", "app"),
    "dataset": ("datavalley.cli.datasets", "app"),
    "table": ("datavalley.cli.tables", "app"),
    "user": ("datavalley.cli.users", "app"),
    "member": ("datavalley.cli.users", "members_app"),
    "token": ("datavalley.cli.tokens", "app"),
    "api": ("datavalley.cli.query", "app"),
    "request": ("datavalley.cli.requests", "app"),
    "grant": ("datavalley.cli.grants", "app"),
    "audit": ("datavalley.cli.audit", "app"),
    "harvest": ("datavalley.cli.harvest", "app"),
    "share": ("datavalley.cli.shares", "app"),
    "recipient": ("datavalley.cli.shares", "recipients_app"),
}

#: listed first by ``--help``: the commands a new user reaches for
HELP_FIRST = ("ingest", "query", "init", "serve", "demo", "search")


class LazyGroup(TyperGroup):
    """The top-level group: commands of :data:`LAZY_COMMANDS` are imported when first asked for."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = [*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if n not in self.commands)]
        first = [n for n in HELP_FIRST if n in names]
        return first + [n for n in names if n not in first]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, attribute = LAZY_COMMANDS[cmd_name]
            target = getattr(importlib.import_module(module), attribute)
            holder = typer.Typer(add_completion=False)  # built as eagerly registered ones would be
            if isinstance(target, typer.Typer):
                holder.add_typer(target, name=cmd_name)
            else:
                holder.command(cmd_name)(target)
            self.commands[cmd_name] = typer.main.get_group(holder).commands[cmd_name]
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="datavalley",
    cls=LazyGroup,
    help="DataValley: gather, connect and use a region's data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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


if __name__ == "__main__":
    from datavalley.cli.entry import run

    run()
