"""``datavalley audit``: the hash-chained audit log and usage statistics (the data authority)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from datavalley.access import audit as service
from datavalley.access.policy import check_platform_admin
from datavalley.access.requests import request_stats
from datavalley.access.usage import usage
from datavalley.cli import state
from datavalley.cli.output import console, err_console, exits_cleanly, print_json, print_table
from datavalley.errors import InvalidInput

app = typer.Typer(help="The audit log (every read and change, hash-chained) and usage statistics.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
SinceOpt = Annotated[datetime | None, typer.Option(help="from this time (UTC unless a zone is given)")]
UntilOpt = Annotated[datetime | None, typer.Option(help="before this time")]


def _utc(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@app.command("list")
@exits_cleanly
def list_(
    kind: Annotated[str | None, typer.Option(help="read or change")] = None,
    actor: Annotated[str | None, typer.Option(help="only this user (or recipient:NAME)")] = None,
    dataset: Annotated[str | None, typer.Option(help="only ORG/DATASET")] = None,
    action: Annotated[
        str | None, typer.Option(help="read path (rows, sql ...) or change (grant.create ...)")
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, typer.Option(min=0, max=10_000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Audit entries, newest first."""
    if kind not in (None, "read", "change"):
        raise InvalidInput.for_field("kind", f"`{kind}` is not a kind; use read or change")
    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "reading the audit log")
        found = service.list_entries(
            session,
            kind=kind,  # type: ignore[arg-type]
            actor=actor,
            dataset=dataset,
            action=action,
            since=_utc(since),
            until=_utc(until),
            limit=limit,
            offset=offset,
        )
    if as_json:
        print_json(found)
        return
    print_table(
        f"{found.count} entr{'y' if found.count == 1 else 'ies'}",
        ["seq", "when", "who", "organization", "action", "target", "grant", "rows", "purpose"],
        [
            (e.seq, e.at, e.actor, e.organization, e.action, e.target, e.grant_id, e.rows, e.purpose)
            for e in found.data
        ],
    )


@app.command("verify")
@exits_cleanly
def verify(as_json: JsonOpt = False) -> None:
    """Check the hash chain from the first entry; name the first edited, deleted or moved one (exit 1)."""
    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "verifying the audit log")
        report = service.verify_chain(session)
    if as_json:
        print_json({"ok": report.ok, **report.__dict__})
    elif report.ok:
        console.print(
            f"audit log intact: {report.entries} entries, head {report.head_seq} {report.head_hash}",
            highlight=False,
        )
    else:
        err_console.print(f"[bold red]audit log broken at entry {report.first_bad}:[/] {report.problem}")
    if not report.ok:
        raise typer.Exit(code=1)


@app.command("stats")
@exits_cleanly
def stats(
    by: Annotated[str, typer.Option(help="dataset, organization (the consumer's) or day")] = "dataset",
    since: SinceOpt = None,
    until: UntilOpt = None,
    dataset: Annotated[str | None, typer.Option(help="only ORG/DATASET")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reads per dataset, consumer organization or day; requests by state and how many are overdue."""
    if by not in ("dataset", "organization", "day"):
        raise InvalidInput.for_field("by", f"`{by}` is not a grouping; use dataset, organization or day")
    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "usage statistics")
        calls = usage(
            session,
            rt.settings,
            by=by,
            since=_utc(since),
            until=_utc(until),
            dataset=dataset,  # type: ignore[arg-type]
        )
        requests = request_stats(session)
    if as_json:
        print_json({"calls": calls.model_dump(mode="json"), "requests": requests.model_dump(mode="json")})
        return
    print_table(
        f"reads per {by}: {calls.total_calls} call(s)",
        [by, "calls", "rows", "bytes"],
        [(r.key or "(none)", r.calls, r.rows, r.bytes) for r in calls.data],
    )
    print_table(
        f"requests: {requests.overdue} overdue ({requests.overdue_review} awaiting review, "
        f"{requests.overdue_decision} awaiting decision)",
        ["state", "count"],
        list(requests.by_state.items()),
    )
