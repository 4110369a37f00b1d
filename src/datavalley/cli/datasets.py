"""``datavalley dataset``: what providers publish, with its metadata, sharing class and lifecycle."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import typer

from datavalley.access.policy import check_dataset_editable, check_dataset_visible, check_may_edit
from datavalley.catalog import service
from datavalley.catalog.schemas import DatasetCreate, DatasetPublic, DatasetUpdate
from datavalley.catalog.search import SearchQuery, search_datasets
from datavalley.catalog.tables import dataset_table_locations, remove_table_files
from datavalley.catalog.vocabulary import UPDATE_FREQUENCIES
from datavalley.cli import state
from datavalley.cli.output import (
    console,
    exits_cleanly,
    print_json,
    print_record,
    print_table,
    split_list,
)

app = typer.Typer(help="Datasets: metadata, sharing class (unconditional|conditional|none), lifecycle.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
DateOpt = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]


def show_dataset(d: DatasetPublic) -> None:
    period = None
    if d.temporal_start or d.temporal_end:
        period = f"{d.temporal_start or '…'} – {d.temporal_end or '…'}"
    print_record(
        f"dataset {d.ref}",
        [
            ("title", d.title),
            ("description", d.description or None),
            ("state", d.state),
            ("sharing", d.sharing),
            ("public", d.public),
            ("tags", d.tags),
            ("themes", d.themes),
            ("license", d.license),
            ("update frequency", d.update_frequency),
            ("contact", " ".join(x for x in (d.contact_name, d.contact_email) if x) or None),
            ("spatial coverage", d.spatial),
            ("temporal coverage", period),
            ("created", d.created),
            ("modified", d.modified),
        ],
    )


def print_datasets(title: str, datasets: list[DatasetPublic]) -> None:
    print_table(
        title,
        ["dataset", "title", "state", "sharing", "public", "tags", "modified"],
        [(d.ref, d.title, d.state, d.sharing, d.public, d.tags, d.modified) for d in datasets],
    )


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _metadata_options(
    *,
    title: str | None,
    description: str | None,
    tags: str | None,
    themes: str | None,
    license_: str | None,
    sharing: str | None,
    public: bool | None,
    state_: str | None,
    update_frequency: str | None,
    contact_name: str | None,
    contact_email: str | None,
    spatial: str | None,
    temporal_start: datetime | None,
    temporal_end: datetime | None,
) -> dict[str, Any]:
    given: dict[str, Any] = {
        "title": title,
        "description": description,
        "tags": split_list(tags),
        "themes": split_list(themes),
        "license": license_,
        "sharing": sharing,
        "public": public,
        "state": state_,
        "update_frequency": update_frequency,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "spatial": spatial,
        "temporal_start": _day(temporal_start),
        "temporal_end": _day(temporal_end),
    }
    return {k: v for k, v in given.items() if v is not None}


TitleOpt = Annotated[str | None, typer.Option(help="display title, any language")]
DescOpt = Annotated[str | None, typer.Option(help="what the data is, how it was made")]
TagsOpt = Annotated[str | None, typer.Option(help="comma-separated tags, e.g. poverty,扶贫")]
ThemesOpt = Annotated[str | None, typer.Option(help="comma-separated EU data themes, e.g. soci,econ")]
LicenseOpt = Annotated[str | None, typer.Option("--license", help="licence identifier, e.g. CC-BY-4.0")]
# closed sets are checked by the catalog's models, so a bad value gets the same one-line error as any other
SharingOpt = Annotated[
    str | None, typer.Option(metavar="unconditional|conditional|none", help="who may get the data")
]
PublicOpt = Annotated[
    bool | None, typer.Option("--public/--not-public", help="open data: anyone may read (unconditional only)")
]
StateOpt = Annotated[
    str | None, typer.Option("--state", metavar="draft|published|deprecated", help="lifecycle state")
]
FreqOpt = Annotated[
    str | None, typer.Option(metavar="|".join(UPDATE_FREQUENCIES), help="how often the data is updated")
]
ContactNameOpt = Annotated[str | None, typer.Option(help="who answers questions about the data")]
ContactEmailOpt = Annotated[str | None, typer.Option(help="their e-mail address")]
SpatialOpt = Annotated[str | None, typer.Option(help="spatial coverage, e.g. a province or county")]


@app.command("create")
@exits_cleanly
def create(
    ref: Annotated[str, typer.Argument(metavar="ORG/NAME", help="organization and dataset name")],
    title: TitleOpt = None,
    description: DescOpt = None,
    tags: TagsOpt = None,
    themes: ThemesOpt = None,
    license_: LicenseOpt = None,
    sharing: SharingOpt = None,
    public: PublicOpt = None,
    state_: StateOpt = None,
    update_frequency: FreqOpt = None,
    contact_name: ContactNameOpt = None,
    contact_email: ContactEmailOpt = None,
    spatial: SpatialOpt = None,
    temporal_start: DateOpt = None,
    temporal_end: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a dataset (a draft unless --state published)."""
    org, name = service.parse_dataset_ref(ref)
    fields = _metadata_options(
        **{k: v for k, v in locals().items() if k not in {"ref", "as_json", "org", "name"}}
    )
    data = DatasetCreate(name=name, **fields)
    rt = state.runtime()
    with rt.session() as session:
        check_may_edit(state.caller(session), org, "creating a dataset")
        dataset = service.create_dataset(session, org, data)
    print_json(dataset) if as_json else console.print(
        f"created dataset [bold]{dataset.ref}[/] ({dataset.state})"
    )


@app.command("list")
@exits_cleanly
def list_(
    org: Annotated[str | None, typer.Option("--org", help="only this organization's datasets")] = None,
    limit: Annotated[int, typer.Option(min=0, max=1000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List datasets, by name."""
    rt = state.runtime()
    with rt.session() as session:
        if org:
            service.get_organization(session, org)  # a clear 'does not exist' for a typo
        result = search_datasets(
            session,
            SearchQuery(organization=[org] if org else [], sort="name", limit=limit, offset=offset),
            caller=state.caller(session),
        )
    if as_json:
        print_json(result)
        return
    print_datasets(f"{result.count} dataset(s)", result.data)


@app.command("show")
@exits_cleanly
def show(ref: Annotated[str, typer.Argument(metavar="ORG/NAME")], as_json: JsonOpt = False) -> None:
    """Show a dataset's metadata."""
    org, name = service.parse_dataset_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_visible(session, state.caller(session), org, name)
        dataset = service.get_dataset(session, org, name)
    print_json(dataset) if as_json else show_dataset(dataset)


@app.command("update")
@exits_cleanly
def update(
    ref: Annotated[str, typer.Argument(metavar="ORG/NAME")],
    title: TitleOpt = None,
    description: DescOpt = None,
    tags: TagsOpt = None,
    themes: ThemesOpt = None,
    license_: LicenseOpt = None,
    sharing: SharingOpt = None,
    public: PublicOpt = None,
    state_: StateOpt = None,
    update_frequency: FreqOpt = None,
    contact_name: ContactNameOpt = None,
    contact_email: ContactEmailOpt = None,
    spatial: SpatialOpt = None,
    temporal_start: DateOpt = None,
    temporal_end: DateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a dataset's metadata, sharing class or state; options not given stay as they are."""
    org, name = service.parse_dataset_ref(ref)
    fields = _metadata_options(
        **{k: v for k, v in locals().items() if k not in {"ref", "as_json", "org", "name"}}
    )
    data = DatasetUpdate(**fields)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_editable(session, state.caller(session), org, name, "changing a dataset")
        dataset = service.update_dataset(session, org, name, data)
    print_json(dataset) if as_json else show_dataset(dataset)


@app.command("delete")
@exits_cleanly
def delete(
    ref: Annotated[str, typer.Argument(metavar="ORG/NAME")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Delete a dataset."""
    org, name = service.parse_dataset_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_editable(session, state.caller(session), org, name, "deleting a dataset")
    if not yes and not typer.confirm(f"delete dataset {ref}?", default=False):
        raise typer.Exit(code=1)
    with rt.session() as session:
        locations = dataset_table_locations(session, rt.settings, org, name)
        service.delete_dataset(session, org, name)
    for location in locations:
        remove_table_files(location)
    console.print(f"deleted dataset [bold]{ref}[/]")
