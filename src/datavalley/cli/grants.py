"""``datavalley grant``: who may read which part of a conditional dataset; make, list, show, revoke."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import typer

from datavalley.access import grants as service
from datavalley.access.grants import GrantCreate, GrantPublic, GrantRevoke, TableRule
from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly, print_json, print_record, print_table, split_list
from datavalley.errors import InvalidInput

app = typer.Typer(help="Grants: read access to a conditional dataset, on terms (columns, row filter, masks).")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
TableOpt = Annotated[
    list[str] | None,
    typer.Option("--table", help="TABLE or TABLE:col1,col2 (repeatable; default: every table, whole)"),
]
FilterOpt = Annotated[
    list[str] | None,
    typer.Option("--filter", help='TABLE:SQL condition, e.g. "people:score >= 60" (repeatable)'),
]
MaskOpt = Annotated[
    list[str] | None,
    typer.Option("--mask", help="TABLE.COLUMN=null|hash|year|redact:F:L|none (repeatable)"),
]
_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def _table_name(text: str, option: str, example: str) -> str:
    name = text.strip()
    if not _NAME.match(name):
        raise InvalidInput.for_field(option, f"`{text}` is not a table name; write {example}")
    return name


def table_rules(
    tables: list[str] | None, filters: list[str] | None, masks: list[str] | None
) -> dict[str, TableRule] | None:
    """``--table``, ``--filter`` and ``--mask`` options as per-table rules (None: nothing said)."""
    rules: dict[str, dict] = {}
    for spec in tables or []:
        name, _, cols = spec.partition(":")
        name = _table_name(name, "table", "TABLE or TABLE:col1,col2")
        rules.setdefault(name, {})["columns"] = split_list(cols) if cols else None
    for spec in filters or []:
        name, sep, sql = spec.partition(":")
        if not sep:
            raise InvalidInput.for_field("filter", f"`{spec}` names no table; write TABLE:CONDITION")
        name = _table_name(name, "filter", "TABLE:CONDITION")
        rules.setdefault(name, {})["row_filter"] = sql
    for spec in masks or []:
        target, sep, mask = spec.partition("=")
        table, dot, column = target.partition(".")
        if not sep or not dot:
            raise InvalidInput.for_field("mask", f"`{spec}` is not TABLE.COLUMN=MASK")
        name = _table_name(table, "mask", "TABLE.COLUMN=MASK")
        rules.setdefault(name, {}).setdefault("masks", {})[column.strip()] = mask.strip()
    return {name: TableRule(**rule) for name, rule in rules.items()} or None


def print_grant(grant: GrantPublic) -> None:
    print_record(
        f"grant {grant.id}: {grant.dataset} → {grant.grantee_kind} {grant.grantee} ({grant.state})",
        [
            ("purpose", grant.purpose),
            ("expires", grant.expires),
            ("made", f"{grant.created:%Y-%m-%d %H:%M} by {grant.created_by}"),
            ("request", grant.request_id),
            (
                "revoked",
                f"{grant.revoked_at:%Y-%m-%d %H:%M} by {grant.revoked_by}" if grant.revoked_at else None,
            ),
            ("tables", "every table, whole (default masks)" if grant.all_tables else None),
        ],
    )
    if grant.tables:
        print_table(
            None,
            ["table", "columns", "row filter", "masks"],
            [
                (
                    r.table,
                    r.columns or "all",
                    r.row_filter,
                    ", ".join(f"{c}={m}" for c, m in r.masks.items()) or None,
                )
                for r in grant.tables
            ],
        )


@app.command("create")
@exits_cleanly
def create(
    dataset: Annotated[str, typer.Argument(help="ORG/DATASET (shared `conditional`)")],
    purpose: Annotated[str, typer.Option(help="what the grantee may use the data for")],
    org: Annotated[
        str | None, typer.Option("--org", help="grant to every member of this organization")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="grant to this user only")] = None,
    recipient: Annotated[
        str | None, typer.Option(help="grant to an external Delta Sharing recipient")
    ] = None,
    days: Annotated[int | None, typer.Option(min=1, max=3650, help="ends this many days from now")] = None,
    expires: Annotated[
        datetime | None, typer.Option(help="or ends then (UTC unless a zone is given)")
    ] = None,
    table: TableOpt = None,
    filter_: FilterOpt = None,
    mask: MaskOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grant access directly (an admin or editor of the owner organization)."""
    from datetime import UTC

    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    data = GrantCreate.model_validate(
        {
            "dataset": dataset,
            "organization": org,
            "user": user,
            "recipient": recipient,
            "tables": table_rules(table, filter_, mask),
            "purpose": purpose,
            "days": days,
            "expires": expires,
        }
    )
    rt = state.runtime()
    with rt.session() as session:
        grant = service.create_grant(session, rt.settings, state.caller(session), data)
    if as_json:
        print_json(grant)
        return
    print_grant(grant)


@app.command("list")
@exits_cleanly
def list_(
    dataset: Annotated[str | None, typer.Option(help="only grants of ORG/DATASET")] = None,
    grantee: Annotated[
        str | None, typer.Option(help="only grants to this organization/user/recipient")
    ] = None,
    state_: Annotated[str | None, typer.Option("--state", help="active|expired|revoked")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Grants you may see: as provider, grantee or the authority."""
    if state_ not in (None, "active", "expired", "revoked"):
        raise InvalidInput.for_field(
            "state", f"`{state_}` is not a grant state; use active, expired or revoked"
        )
    rt = state.runtime()
    with rt.session() as session:
        found = service.list_grants(
            session,
            state.caller(session),
            dataset=dataset,
            grantee=grantee,
            state=state_,  # type: ignore[arg-type]
        )
    if as_json:
        print_json(found)
        return
    print_table(
        f"{found.count} grant(s)",
        ["id", "dataset", "grantee", "tables", "state", "expires", "purpose"],
        [
            (
                g.id,
                g.dataset,
                f"{g.grantee_kind} {g.grantee}",
                "all" if g.all_tables else [t.table for t in g.tables],
                g.state,
                g.expires,
                g.purpose,
            )
            for g in found.data
        ],
    )


@app.command("show")
@exits_cleanly
def show(grant_id: Annotated[int, typer.Argument(help="the grant's id")], as_json: JsonOpt = False) -> None:
    """One grant and its terms per table."""
    rt = state.runtime()
    with rt.session() as session:
        grant = service.get_grant(session, state.caller(session), grant_id)
    if as_json:
        print_json(grant)
        return
    print_grant(grant)


@app.command("revoke")
@exits_cleanly
def revoke(
    grant_id: Annotated[int, typer.Argument(help="the grant's id")],
    reason: Annotated[str | None, typer.Option(help="why (kept with the grant and in the audit log)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """End a grant now: the grantee's next read is refused."""
    rt = state.runtime()
    with rt.session() as session:
        grant = service.revoke_grant(session, state.caller(session), grant_id, GrantRevoke(reason=reason))
    if as_json:
        print_json(grant)
        return
    console.print(f"grant {grant.id} of {grant.dataset} to {grant.grantee} revoked")
