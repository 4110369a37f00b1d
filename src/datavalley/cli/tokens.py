"""``datavalley token``: API tokens, sent as ``Authorization: Bearer dv_...``; the secret is shown once."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.orm import Session

from datavalley.access import tokens
from datavalley.access.policy import check_platform_admin
from datavalley.access.tokens import TokenCreate
from datavalley.cli import state
from datavalley.cli.output import console, err_console, exits_cleanly, print_json, print_table
from datavalley.errors import InvalidInput

app = typer.Typer(help="API tokens: named, with an expiry, revocable; the secret is shown once.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
UserOpt = Annotated[
    str | None,
    typer.Option("--user", help="whose tokens (default: the --as user; others' need a platform admin)"),
]


def _owner(session: Session, user: str | None) -> str:
    """Whose tokens the command works on; only platform admins work on someone else's."""
    caller = state.caller(session)
    owner = user or caller.user
    if user is None and caller.user_id is None:  # the authority itself has no tokens
        raise InvalidInput.for_field("user", "say whose tokens: --user NAME (or datavalley --as NAME ...)")
    if owner != caller.user:
        check_platform_admin(caller, f"managing the tokens of `{owner}`")
    return owner or ""


@app.command("create")
@exits_cleanly
def create(
    name: Annotated[str, typer.Argument(help="what the token is for, e.g. laptop or nightly-export")],
    user: UserOpt = None,
    days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="lifetime in days (default 90, from the settings)")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a token and print its secret: this is the only time it is shown."""
    rt = state.runtime()
    data = TokenCreate(name=name, expires_days=days)
    with rt.session() as session:
        owner = _owner(session, user)
        created = tokens.create_token(session, owner, data, default_days=rt.settings.auth.token_days)
    if as_json:
        print_json(created)
        return
    console.print(created.token, highlight=False, soft_wrap=True)
    err_console.print(
        f"token [bold]{created.name}[/] of {owner}, expires {created.expires:%Y-%m-%d}: "
        "copy it now, it is not shown again",
        highlight=False,
    )


@app.command("list")
@exits_cleanly
def list_(user: UserOpt = None, as_json: JsonOpt = False) -> None:
    """List tokens (never their secrets): active, expired and revoked."""
    rt = state.runtime()
    with rt.session() as session:
        owner = _owner(session, user)
        found = tokens.list_tokens(session, owner)
    if as_json:
        print_json(found)
        return
    print_table(
        f"{found.count} token(s) of {owner}",
        ["id", "name", "starts with", "state", "expires", "last used"],
        [(t.id, t.name, t.prefix + "…", t.state, t.expires, t.last_used) for t in found.data],
    )


@app.command("revoke")
@exits_cleanly
def revoke(
    token: Annotated[str, typer.Argument(metavar="ID_OR_NAME", help="the token's id, or its name")],
    user: UserOpt = None,
) -> None:
    """Revoke a token: it stops working on the next request."""
    rt = state.runtime()
    with rt.session() as session:
        owner = _owner(session, user)
        revoked = tokens.revoke_token(session, owner, token)
    console.print(f"revoked token [bold]{revoked.name}[/] (id {revoked.id}) of {owner}")
