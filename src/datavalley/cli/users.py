"""``datavalley user`` and ``datavalley member``: accounts and their roles in organizations.

Run on the server's own home folder, the CLI acts as the data authority; ``datavalley --as NAME ...``
acts with that user's rights instead, under the same checks as the HTTP API.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from datavalley.access import accounts
from datavalley.access.accounts import PASSWORD_MIN, UserCreate, UserPublic, UserUpdate
from datavalley.access.policy import (
    ROLES,
    check_logged_in,
    check_may_administer,
    check_platform_admin,
)
from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly, print_json, print_record, print_table
from datavalley.errors import Forbidden, InvalidInput

app = typer.Typer(help="Users: accounts that log in to the portal and the API.")
members_app = typer.Typer(help="Members: who belongs to an organization, as admin, editor or member.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first line of stdin")
]
ROLE_CHOICES = "|".join(ROLES)


def _read_password(from_stdin: bool, prompt: str = "password") -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    if len(password) < PASSWORD_MIN:
        raise InvalidInput.for_field("password", f"must be at least {PASSWORD_MIN} characters")
    return password


def _show(user: UserPublic) -> None:
    print_record(
        f"user {user.name}",
        [
            ("name", user.name),
            ("display name", user.display_name or None),
            ("email", user.email),
            ("platform admin", user.platform_admin),
            ("active", user.active),
            ("roles", ", ".join(f"{org}: {role}" for org, role in user.roles.items()) or None),
            ("created", user.created),
            ("last login", user.last_login),
        ],
    )


@app.command("create")
@exits_cleanly
def create(
    name: Annotated[str, typer.Argument(help="slug: [a-z][a-z0-9_]*")],
    display_name: Annotated[str, typer.Option(help="the person's name, any language")] = "",
    email: Annotated[str | None, typer.Option()] = None,
    admin: Annotated[bool, typer.Option("--admin", help="a platform admin (the data authority)")] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="no password: the user works with API tokens only")
    ] = False,
    password_stdin: PasswordStdin = False,
    as_json: JsonOpt = False,
) -> None:
    """Create a user; the password is asked for (twice), unless --password-stdin or --no-password."""
    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "creating a user")
    password = None if no_password else _read_password(password_stdin)
    data = UserCreate(
        name=name, display_name=display_name, email=email, password=password, platform_admin=admin
    )
    with rt.session() as session:
        user = accounts.create_user(session, data)
    print_json(user) if as_json else console.print(f"created user [bold]{user.name}[/]")


@app.command("list")
@exits_cleanly
def list_(
    limit: Annotated[int, typer.Option(min=0, max=1000)] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOpt = False,
) -> None:
    """List users with their roles."""
    rt = state.runtime()
    with rt.session() as session:
        check_platform_admin(state.caller(session), "listing users")
        users = accounts.list_users(session, limit=limit, offset=offset)
    if as_json:
        print_json(users)
        return
    print_table(
        f"{users.count} user(s)",
        ["name", "display name", "platform admin", "active", "roles", "last login"],
        [
            (
                u.name,
                u.display_name,
                u.platform_admin,
                u.active,
                ", ".join(f"{o}: {r}" for o, r in u.roles.items()),
                u.last_login,
            )
            for u in users.data
        ],
    )


@app.command("show")
@exits_cleanly
def show(name: str, as_json: JsonOpt = False) -> None:
    """Show a user and their roles."""
    rt = state.runtime()
    with rt.session() as session:
        caller = state.caller(session)
        if caller.user != name:
            check_platform_admin(caller, f"showing user `{name}`")
        user = accounts.get_user(session, name)
    print_json(user) if as_json else _show(user)


@app.command("update")
@exits_cleanly
def update(
    name: str,
    display_name: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    admin: Annotated[bool | None, typer.Option("--admin/--no-admin", help="platform admin or not")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="an inactive user cannot log in")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a user's display name or e-mail; platform admins also --admin and --active/--inactive."""
    given = {"display_name": display_name, "email": email, "platform_admin": admin, "active": active}
    data = UserUpdate(**{k: v for k, v in given.items() if v is not None})
    rt = state.runtime()
    with rt.session() as session:
        caller = state.caller(session)
        if caller.user != name or admin is not None or active is not None:
            check_platform_admin(caller, f"changing user `{name}`")
        user = accounts.update_user(session, name, data)
    print_json(user) if as_json else _show(user)


@app.command("passwd")
@exits_cleanly
def passwd(name: str, password_stdin: PasswordStdin = False) -> None:
    """Set a user's password (asked for twice). Users changing their own (--as) give the current one."""
    rt = state.runtime()
    with rt.session() as session:
        caller = state.caller(session)
    current = None
    if not caller.platform_admin:
        if caller.user != name:
            raise Forbidden(f"setting the password of user `{name}` needs a platform admin or `{name}`")
        if password_stdin:  # the first line is the current password, the second the new one
            current = sys.stdin.readline().rstrip("\r\n")
        else:
            current = typer.prompt("current password", hide_input=True)
    password = _read_password(password_stdin, "new password")
    with rt.session() as session:
        accounts.set_password(session, name, password, current=current, auth=rt.settings.auth)
    console.print(f"password of [bold]{name}[/] set; their portal sessions have ended")


# --- members ------------------------------------------------------------------------------------


@members_app.command("add")
@exits_cleanly
def add_member(
    org: str,
    user: str,
    role: Annotated[str, typer.Option(metavar=ROLE_CHOICES, help="what the user may do")] = "member",
    as_json: JsonOpt = False,
) -> None:
    """Add a user to an organization, or change their role there."""
    rt = state.runtime()
    with rt.session() as session:
        check_may_administer(state.caller(session), org, "managing members")
        member = accounts.set_membership(session, org, user, role)
    if as_json:
        print_json(member)
    else:
        console.print(
            f"[bold]{member.user}[/] is {member.role} of organization [bold]{member.organization}[/]"
        )


@members_app.command("remove")
@exits_cleanly
def remove_member(org: str, user: str) -> None:
    """Remove a user from an organization."""
    rt = state.runtime()
    with rt.session() as session:
        check_may_administer(state.caller(session), org, "managing members")
        accounts.remove_membership(session, org, user)
    console.print(f"[bold]{user}[/] is no longer a member of organization [bold]{org}[/]")


@members_app.command("list")
@exits_cleanly
def list_members(org: str, as_json: JsonOpt = False) -> None:
    """List the members of an organization with their roles."""
    rt = state.runtime()
    with rt.session() as session:
        caller = state.caller(session)
        check_logged_in(caller, "listing members")
        members = accounts.list_members(session, org)
        if not (caller.platform_admin or caller.is_member(org)):
            raise Forbidden(f"the members of organization `{org}` are shown to its members only")
    if as_json:
        print_json(members)
        return
    print_table(
        f"{members.count} member(s) of {org}",
        ["user", "display name", "role"],
        [(m.user, m.display_name, m.role) for m in members.data],
    )
