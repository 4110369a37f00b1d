"""``datavalley harvest``: bring in the open datasets of another CKAN site or DCAT catalog."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from datavalley.access.policy import check_platform_admin
from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly, print_json, print_table

app = typer.Typer(
    help="Harvest another catalog (CKAN Action API or DCAT): new and changed datasets, with their tables. "
    "Run it again to take only what changed since the last run."
)

OrgOpt = Annotated[
    str | None,
    typer.Option("--org", help="put every harvested dataset into this organization (default: the source's)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the report as JSON")]


def _run(kind: str, url: str, org: str | None, as_json: bool) -> None:
    from datavalley.interop.harvest import harvest

    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "harvesting (it creates organizations and datasets)")

    def progress(label: str, outcome: str) -> None:
        if not as_json:
            console.print(f"  {outcome:<9} {label}")

    report = harvest(rt, kind, url, organization=org, on_dataset=progress)  # type: ignore[arg-type]
    if as_json:
        print_json(asdict(report))
        return
    console.print(
        f"harvested {url}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped; "
        f"{len(report.tables_loaded)} table(s) loaded"
    )
    if report.skipped:
        print_table("skipped", ["remote dataset", "why"], report.skipped)
    if report.gone:
        console.print(f"no longer at the source (kept here): {', '.join(report.gone)}")


@app.command("ckan")
@exits_cleanly
def ckan(
    url: Annotated[str, typer.Argument(help="the CKAN site, e.g. https://data.example.org")],
    org: OrgOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Harvest a CKAN site through its Action API (package_search)."""
    _run("ckan", url, org, as_json)


@app.command("dcat")
@exits_cleanly
def dcat(
    url: Annotated[
        str, typer.Argument(help="a DCAT catalog document, e.g. https://data.example.org/catalog.ttl")
    ],
    org: OrgOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Harvest a DCAT catalog (Turtle, JSON-LD or RDF/XML), following its Hydra pages."""
    _run("dcat", url, org, as_json)
