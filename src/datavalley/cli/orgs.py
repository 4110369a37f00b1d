"""``datavalley org``: organizations (departments, prefectures, companies)."""

from __future__ import annotations

from typing import Annotated

import typer

from datavalley.access.policy import check_may_administer, check_platform_admin
from datavalley.catalog import service
from datavalley.catalog.schemas import OrganizationCreate, OrganizationPublic, OrganizationUpdate
from datavalley.catalog.vocabulary import ORGANIZATION_KINDS, OrganizationKind
from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly, print_json, print_record, print_table

app = typer.Typer(help="Organizations: departments, prefectures and companies that publish data.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
# create/update take --kind as text and let the catalog's models check it: a bad value gets a one-line error
KINDS = "|".join(ORGANIZATION_KINDS)


def _show(org: OrganizationPublic) -> None:
    print_record(
        f"organization {org.name}",
        [
            ("name", org.name),
            ("title", org.title),
            ("kind", org.kind),
            ("description", org.description or None),
            ("datasets", org.dataset_count),
            ("created", org.created),
            ("modified", org.modified),
        ],
    )


@app.command("create")
@exits_cleanly
def create(
    name: Annotated[str, typer.Argument(help="slug: [a-z][a-z0-9_]*")],
    title: Annotated[str | None, typer.Option(help="display name, any language")] = None,
    description: Annotated[str, typer.Option(help="what the organization does")] = "",
    kind: Annotated[str, typer.Option(metavar=KINDS, help="what sort of body it is")] = "department",
    as_json: JsonOpt = False,
) -> None:
    """Create an organization."""
    data = OrganizationCreate(name=name, title=title, description=description, kind=kind)
    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "creating an organization")
        org = service.create_organization(session, data)
    print_json(org) if as_json else console.print(f"created organization [bold]{org.name}[/]")


@app.command("list")
@exits_cleanly
def list_(
    kind: Annotated[OrganizationKind | None, typer.Option(help="only this kind")] = None,
    limit: Annotated[int, typer.Option(min=0, max=1000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List organizations with their dataset counts."""
    rt = state.runtime()
    with rt.session() as session:
        caller = state.caller(session)
        orgs = service.list_organizations(session, limit=limit, offset=offset, kind=kind, caller=caller)
    if as_json:
        print_json(orgs)
        return
    print_table(
        f"{orgs.count} organization(s)",
        ["name", "title", "kind", "datasets", "modified"],
        [(o.name, o.title, o.kind, o.dataset_count, o.modified) for o in orgs.data],
    )


@app.command("show")
@exits_cleanly
def show(name: str, as_json: JsonOpt = False) -> None:
    """Show one organization."""
    rt = state.runtime()
    with rt.session() as session:
        org = service.get_organization(session, name, caller=state.caller(session))
    print_json(org) if as_json else _show(org)


@app.command("update")
@exits_cleanly
def update(
    name: str,
    title: Annotated[str | None, typer.Option()] = None,
    description: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option(metavar=KINDS)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an organization's title, description or kind."""
    given = {"title": title, "description": description, "kind": kind}
    data = OrganizationUpdate(**{k: v for k, v in given.items() if v is not None})
    rt = state.runtime()
    with rt.session() as session:
        caller = state.caller(session)
        check_may_administer(caller, name, "changing an organization")
        org = service.update_organization(session, name, data, caller=caller)
    print_json(org) if as_json else _show(org)


@app.command("delete")
@exits_cleanly
def delete(name: str) -> None:
    """Delete an organization that has no datasets."""
    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "deleting an organization")
        service.delete_organization(session, name)
    console.print(f"deleted organization [bold]{name}[/]")
