"""``datavalley share`` and ``datavalley recipient``: Delta Sharing for providers and the authority."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly, print_json, print_record, print_table
from datavalley.errors import Conflict
from datavalley.interop.sharing import recipients as recipient_service
from datavalley.interop.sharing import shares as share_service
from datavalley.interop.sharing.recipients import RecipientCreate, RecipientProfile, RecipientPublic
from datavalley.interop.sharing.shares import ShareCreate, SharePublic, ShareTableAdd
from datavalley.interop.urls import interop_settings

app = typer.Typer(help="Delta Sharing shares: sets of an organization's tables for recipients.")
recipients_app = typer.Typer(help="Delta Sharing recipients: external readers with a profile file.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        help="the server address recipients use (default: DATAVALLEY_PUBLIC_URL, else the serve address)"
    ),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="where to write the profile file (default: ./NAME.share)")
]
DaysOpt = Annotated[
    int | None, typer.Option(min=1, max=3650, help="token lifetime in days (default from the settings)")
]


def _endpoint(given: str | None) -> str:
    if given:
        base = given
    elif interop_settings().public_url.strip():
        base = interop_settings().public_url.strip()
    else:
        server = state.settings().server
        base = f"http://{server.host}:{server.port}"
    base = base.rstrip("/")
    return base if base.endswith("/delta-sharing") else f"{base}/delta-sharing/"


def _write_profile(issued: RecipientProfile, out: Path | None) -> Path:
    path = out or Path(f"{issued.name}.share")
    if path.exists():
        raise Conflict(f"{path} exists; give another --out (the token is shown only once)")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(issued.profile, indent=2) + "\n")
    return path


def print_share(share: SharePublic) -> None:
    print_record(
        f"share {share.name} ({share.organization})",
        [
            ("id", share.id),
            ("description", share.description or None),
            ("made", f"{share.created:%Y-%m-%d %H:%M} by {share.created_by}"),
            ("recipients", ", ".join(share.recipients) or None),
        ],
    )
    print_table(
        f"{len(share.tables)} table(s): read as SHARE.SCHEMA.TABLE",
        ["schema", "table", "is", "added"],
        [(t.schema_, t.name, t.table, f"{t.added:%Y-%m-%d} by {t.added_by}") for t in share.tables],
    )
    if share.access:
        print_table(
            "what each recipient may read now",
            ["recipient", "table", "access"],
            [
                (
                    a.recipient,
                    a.table,
                    (
                        f"{a.basis}"
                        + (f" {a.grant_id}" if a.grant_id else "")
                        + (", filtered copy" if a.restricted else ", whole")
                    )
                    if a.readable
                    else f"hidden from it: {a.problem}",
                )
                for a in share.access
            ],
        )


def print_recipient(recipient: RecipientPublic) -> None:
    print_record(
        f"recipient {recipient.name} ({recipient.organization}, {recipient.state})",
        [
            ("description", recipient.description or None),
            ("made", f"{recipient.created:%Y-%m-%d %H:%M} by {recipient.created_by}"),
            ("token", f"{recipient.token_prefix}…" if recipient.token_prefix else None),
            ("token expires", recipient.token_expires),
            ("revoked", recipient.revoked_at),
            ("shares", ", ".join(recipient.shares) or None),
        ],
    )


@app.command("create")
@exits_cleanly
def create(
    name: Annotated[str, typer.Argument(help="share name (lower-case letters, digits, _)")],
    org: Annotated[str, typer.Option("--org", help="the organization whose tables it holds")],
    description: Annotated[str, typer.Option(help="what it is for")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create a share (an editor of the organization, or the authority)."""
    data = ShareCreate(name=name, organization=org, description=description)
    rt = state.runtime()
    with rt.session() as session:
        share = share_service.create_share(session, state.caller(session), data)
    if as_json:
        print_json(share)
        return
    console.print(
        f"share [bold]{share.name}[/] of {share.organization} created; add tables with "
        f"`datavalley share add-table {share.name} DATASET/TABLE`",
        highlight=False,
    )


@app.command("list")
@exits_cleanly
def list_(
    org: Annotated[str | None, typer.Option("--org", help="only this organization's")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Shares of your organizations (all of them for the authority)."""
    rt = state.runtime()
    with rt.session() as session:
        found = share_service.list_shares(session, state.caller(session), organization=org)
    if as_json:
        print_json(found)
        return
    print_table(
        f"{found.count} share(s)",
        ["share", "organization", "tables", "recipients", "description"],
        [(s.name, s.organization, len(s.tables), ", ".join(s.recipients), s.description) for s in found.data],
    )


@app.command("show")
@exits_cleanly
def show(name: Annotated[str, typer.Argument(help="share name")], as_json: JsonOpt = False) -> None:
    """One share: its tables, its recipients, and what each recipient may read of each table now."""
    rt = state.runtime()
    with rt.session() as session:
        share = share_service.get_share(session, state.caller(session), name, settings=rt.settings)
    if as_json:
        print_json(share)
        return
    print_share(share)


@app.command("add-table")
@exits_cleanly
def add_table(
    name: Annotated[str, typer.Argument(help="share name")],
    table: Annotated[str, typer.Argument(help="DATASET/TABLE of the share's organization")],
    as_json: JsonOpt = False,
) -> None:
    """Put a table of a published dataset in the share. Recipients see it only while they may read it: a
    conditional dataset's table through a grant, `datavalley grant create ORG/DATASET --recipient NAME`."""
    rt = state.runtime()
    with rt.session() as session:
        share = share_service.add_table(session, state.caller(session), name, ShareTableAdd(table=table))
        share = share_service.get_share(session, state.caller(session), name, settings=rt.settings)
    if as_json:
        print_json(share)
        return
    print_share(share)


@app.command("remove-table")
@exits_cleanly
def remove_table(
    name: Annotated[str, typer.Argument(help="share name")],
    table: Annotated[str, typer.Argument(help="DATASET/TABLE")],
) -> None:
    """Take a table out of the share: its recipients' next call, and their file URLs, fail."""
    rt = state.runtime()
    with rt.session() as session:
        share_service.remove_table(session, state.caller(session), name, table)
    console.print(f"table {table} taken out of share {name}", highlight=False)


@app.command("add-recipient")
@exits_cleanly
def add_recipient(
    name: Annotated[str, typer.Argument(help="share name")],
    recipient: Annotated[str, typer.Argument(help="recipient name")],
) -> None:
    """Give the share to a recipient of the same organization."""
    rt = state.runtime()
    with rt.session() as session:
        share_service.add_recipient(session, state.caller(session), name, recipient)
    console.print(f"recipient {recipient} now has share {name}", highlight=False)


@app.command("remove-recipient")
@exits_cleanly
def remove_recipient(
    name: Annotated[str, typer.Argument(help="share name")],
    recipient: Annotated[str, typer.Argument(help="recipient name")],
) -> None:
    """Take the share back from a recipient."""
    rt = state.runtime()
    with rt.session() as session:
        share_service.remove_recipient(session, state.caller(session), name, recipient)
    console.print(f"recipient {recipient} no longer has share {name}", highlight=False)


@recipients_app.command("create")
@exits_cleanly
def create_recipient(
    name: Annotated[str, typer.Argument(help="recipient name (grants name it: --recipient NAME)")],
    org: Annotated[str, typer.Option("--org", help="the organization whose shares it gets")],
    share: Annotated[
        list[str] | None, typer.Option("--share", help="give it this share (repeatable)")
    ] = None,
    description: Annotated[str, typer.Option(help="who it is")] = "",
    days: DaysOpt = None,
    endpoint: EndpointOpt = None,
    out: OutOpt = None,
) -> None:
    """Create a recipient and write its profile file (the token in it is shown only this once)."""
    data = RecipientCreate(
        name=name, organization=org, description=description, days=days, shares=share or []
    )
    path = out or Path(f"{name}.share")
    if path.exists():
        raise Conflict(f"{path} exists; give another --out (the token is shown only once)")
    rt = state.runtime()
    with rt.session() as session:
        issued = recipient_service.create_recipient(
            session,
            state.caller(session),
            data,
            endpoint=_endpoint(endpoint),
            default_days=rt.settings.auth.token_days,
        )
    written = _write_profile(issued, path)
    console.print(
        f"recipient [bold]{issued.name}[/] created; profile written to [bold]{written}[/] "
        f"(token valid until {issued.token_expires:%Y-%m-%d}); send it to the recipient safely",
        highlight=False,
    )


@recipients_app.command("list")
@exits_cleanly
def list_recipients(
    org: Annotated[str | None, typer.Option("--org", help="only this organization's")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recipients of your organizations (all of them for the authority)."""
    rt = state.runtime()
    with rt.session() as session:
        found = recipient_service.list_recipients(session, state.caller(session), organization=org)
    if as_json:
        print_json(found)
        return
    print_table(
        f"{found.count} recipient(s)",
        ["recipient", "organization", "state", "token", "expires", "shares"],
        [
            (
                r.name,
                r.organization,
                r.state,
                f"{r.token_prefix}…" if r.token_prefix else None,
                r.token_expires,
                ", ".join(r.shares),
            )
            for r in found.data
        ],
    )


@recipients_app.command("show")
@exits_cleanly
def show_recipient(name: Annotated[str, typer.Argument()], as_json: JsonOpt = False) -> None:
    """One recipient."""
    rt = state.runtime()
    with rt.session() as session:
        found = recipient_service.get_recipient(session, state.caller(session), name)
    if as_json:
        print_json(found)
        return
    print_recipient(found)


@recipients_app.command("revoke")
@exits_cleanly
def revoke_recipient(name: Annotated[str, typer.Argument()]) -> None:
    """Revoke a recipient for good: its token and its file URLs stop working at once."""
    rt = state.runtime()
    with rt.session() as session:
        recipient_service.revoke_recipient(session, state.caller(session), name)
    console.print(f"recipient {name} revoked", highlight=False)


@recipients_app.command("profile")
@exits_cleanly
def profile(
    name: Annotated[str, typer.Argument()],
    days: DaysOpt = None,
    endpoint: EndpointOpt = None,
    out: OutOpt = None,
) -> None:
    """Write a new profile file for a recipient: a new token; the previous one stops working."""
    path = out or Path(f"{name}.share")
    if path.exists():
        raise Conflict(f"{path} exists; give another --out (the token is shown only once)")
    rt = state.runtime()
    with rt.session() as session:
        issued = recipient_service.new_profile(
            session,
            state.caller(session),
            name,
            endpoint=_endpoint(endpoint),
            days=days or rt.settings.auth.token_days,
        )
    written = _write_profile(issued, path)
    console.print(
        f"new profile for recipient [bold]{name}[/] written to [bold]{written}[/] "
        f"(valid until {issued.token_expires:%Y-%m-%d}); the previous token no longer works",
        highlight=False,
    )
