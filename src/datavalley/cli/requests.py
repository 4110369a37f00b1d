"""``datavalley request``: ask for a conditional dataset; the authority reviews, the provider decides."""

from __future__ import annotations

from typing import Annotated

import typer

from datavalley.access import requests as service
from datavalley.access.requests import (
    RequestCreate,
    RequestDecision,
    RequestPublic,
    RequestReview,
    RequestWithdraw,
)
from datavalley.cli import state
from datavalley.cli.grants import FilterOpt, MaskOpt, table_rules
from datavalley.cli.output import exits_cleanly, print_json, print_record, print_table, split_list
from datavalley.errors import InvalidInput

app = typer.Typer(
    help="Requests for conditional datasets: open, review (authority), decide (provider), withdraw."
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
IdArg = Annotated[int, typer.Argument(help="the request's id")]
ReasonOpt = Annotated[str | None, typer.Option(help="why (needed to reject)")]


def _due(req: RequestPublic) -> str | None:
    if req.due is None:
        return None
    late = f" — OVERDUE by {req.working_days_late} working day(s)" if req.overdue else ""
    return f"{req.due:%Y-%m-%d %H:%M} UTC{late}"


def print_request(req: RequestPublic) -> None:
    wanted = (
        "every table"
        if req.tables is None
        else "; ".join(f"{t}: {', '.join(c) if c else 'all columns'}" for t, c in req.tables.items())
    )
    print_record(
        f"request {req.id}: {req.dataset} for {req.organization} ({req.state})",
        [
            ("requester", req.requester),
            (
                "grant to",
                "the requester only" if req.grantee == "user" else f"organization {req.organization}",
            ),
            ("wanted", wanted),
            ("purpose", req.purpose),
            ("days", req.days),
            ("due", _due(req)),
            ("reason", req.reason),
            ("grant", req.grant_id),
        ],
    )
    print_table(
        None,
        ["when", "who", "step", "state", "reason"],
        [(e.at, e.actor, e.action, e.to_state, e.reason) for e in req.events],
    )


def _show(req: RequestPublic, as_json: bool) -> None:
    if as_json:
        print_json(req)
    else:
        print_request(req)


@app.command("open")
@exits_cleanly
def open_(
    dataset: Annotated[str, typer.Argument(help="ORG/DATASET (shared `conditional`)")],
    purpose: Annotated[str, typer.Option(help="what the data will be used for")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="how long access is needed, from approval")],
    table: Annotated[
        list[str] | None,
        typer.Option("--table", help="TABLE or TABLE:col1,col2 (repeatable; default: every table)"),
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="on behalf of (default: your only organization)")
    ] = None,
    for_me: Annotated[
        bool, typer.Option("--for-me", help="the grant goes to you only, not your organization")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Open a request (as a user: datavalley --as USER request open ...)."""
    tables: dict[str, list[str] | None] | None = None
    for spec in table or []:
        name, _, cols = spec.partition(":")
        if not name.strip():
            raise InvalidInput.for_field("table", f"`{spec}` names no table; write TABLE or TABLE:col1,col2")
        tables = (tables or {}) | {name.strip(): split_list(cols) if cols else None}
    data = RequestCreate.model_validate(
        {
            "dataset": dataset,
            "organization": org,
            "tables": tables,
            "purpose": purpose,
            "days": days,
            "grantee": "user" if for_me else "organization",
        }
    )
    rt = state.runtime()
    with rt.session() as session:
        req = service.open_request(session, rt.settings, state.caller(session), data)
    _show(req, as_json)


@app.command("list")
@exits_cleanly
def list_(
    state_: Annotated[
        str | None, typer.Option("--state", help="submitted|reviewed|approved|rejected|withdrawn|expired")
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="only requests for ORG/DATASET")] = None,
    org: Annotated[str | None, typer.Option("--org", help="only requests of this organization")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="only those past their deadline")] = False,
    limit: Annotated[int, typer.Option(min=0, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Requests you may see (the authority: all), newest first; overdue ones are flagged."""
    if state_ is not None and state_ not in service.STATES:
        raise InvalidInput.for_field(
            "state", f"`{state_}` is not a state; use one of {', '.join(service.STATES)}"
        )
    rt = state.runtime()
    with rt.session() as session:
        found = service.list_requests(
            session,
            rt.settings,
            state.caller(session),
            state=state_,  # type: ignore[arg-type]
            dataset=dataset,
            organization=org,
            overdue=True if overdue else None,
            limit=limit,
        )
    if as_json:
        print_json(found)
        return
    print_table(
        f"{found.count} request(s)",
        ["id", "dataset", "organization", "requester", "state", "due", "overdue", "purpose"],
        [
            (
                r.id,
                r.dataset,
                r.organization,
                r.requester,
                r.state,
                r.due,
                f"{r.working_days_late} working day(s)" if r.overdue else None,
                r.purpose,
            )
            for r in found.data
        ],
    )


@app.command("show")
@exits_cleanly
def show(request_id: IdArg, as_json: JsonOpt = False) -> None:
    """One request with every step: who, when, why."""
    rt = state.runtime()
    with rt.session() as session:
        req = service.get_request(session, rt.settings, state.caller(session), request_id)
    _show(req, as_json)


@app.command("review")
@exits_cleanly
def review(
    request_id: IdArg,
    action: Annotated[str, typer.Argument(help="pass (to the provider) or reject")],
    reason: ReasonOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The authority's review (a platform admin; the CLI on the server's home acts as one)."""
    data = RequestReview.model_validate({"action": action, "reason": reason})
    rt = state.runtime()
    with rt.session() as session:
        req = service.review_request(session, rt.settings, state.caller(session), request_id, data)
    _show(req, as_json)


@app.command("decide")
@exits_cleanly
def decide(
    request_id: IdArg,
    action: Annotated[str, typer.Argument(help="approve or reject")],
    reason: ReasonOpt = None,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="TABLE:col1,col2 — fewer columns than requested")
    ] = None,
    filter_: FilterOpt = None,
    mask: MaskOpt = None,
    days: Annotated[int | None, typer.Option(min=1, max=3650, help="fewer days than requested")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The provider's decision (an admin or editor of the owner: datavalley --as USER request decide ...)."""
    data = RequestDecision.model_validate(
        {"action": action, "reason": reason, "tables": table_rules(table, filter_, mask), "days": days}
    )
    rt = state.runtime()
    with rt.session() as session:
        req = service.decide_request(session, rt.settings, state.caller(session), request_id, data)
    _show(req, as_json)


@app.command("withdraw")
@exits_cleanly
def withdraw(request_id: IdArg, reason: ReasonOpt = None, as_json: JsonOpt = False) -> None:
    """Take back your own request before it is decided."""
    rt = state.runtime()
    with rt.session() as session:
        req = service.withdraw_request(
            session, rt.settings, state.caller(session), request_id, RequestWithdraw(reason=reason)
        )
    _show(req, as_json)
