"""``/api/v1/users`` and ``/api/v1/organizations/{org}/members``: who is who, and who belongs where."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from datavalley.access import accounts
from datavalley.access.accounts import (
    MemberPublic,
    MembersPublic,
    PasswordChange,
    UserCreate,
    UserPublic,
    UsersPublic,
    UserUpdate,
)
from datavalley.access.policy import (
    Caller,
    Role,
    check_logged_in,
    check_may_administer,
    check_platform_admin,
)
from datavalley.api.deps import CallerDep, Offset, RuntimeDep
from datavalley.errors import Forbidden, InvalidInput

router = APIRouter(tags=["users"])


class MePublic(UserPublic):
    authenticated_by: Literal["token", "session"]
    csrf_token: str | None = None


class MembershipSet(BaseModel):
    role: Role


def _check_self_or_admin(caller: Caller, name: str, what: str) -> None:
    check_logged_in(caller, what)
    if caller.user != name and not caller.platform_admin:
        raise Forbidden(f"{what} of user `{name}` needs a platform admin or `{name}` themself")


@router.get("/users/me", response_model=MePublic, summary="Who am I: my user and my roles")
def who_am_i(request: Request, rt: RuntimeDep, caller: CallerDep) -> MePublic:
    check_logged_in(caller, "GET /users/me")
    with rt.session() as session:
        me = accounts.get_user(session, caller.user or "")
    active = getattr(request.state, "session", None)
    return MePublic(
        **me.model_dump(),
        authenticated_by=request.state.auth,
        csrf_token=active.csrf_token if active is not None else None,
    )


@router.get("/users", response_model=UsersPublic, summary="List users (platform admins)")
def list_users(
    rt: RuntimeDep,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Offset = 0,
) -> UsersPublic:
    check_platform_admin(caller, "listing users")
    with rt.session() as session:
        return accounts.list_users(session, limit=limit, offset=offset)


@router.post("/users", response_model=UserPublic, status_code=201, summary="Create a user (platform admins)")
def create_user(rt: RuntimeDep, caller: CallerDep, body: UserCreate) -> UserPublic:
    check_platform_admin(caller, "creating a user")
    with rt.session() as session:
        return accounts.create_user(session, body)


@router.get("/users/{name}", response_model=UserPublic, summary="Show a user (themself or platform admins)")
def get_user(rt: RuntimeDep, caller: CallerDep, name: str) -> UserPublic:
    _check_self_or_admin(caller, name, "showing the details")
    with rt.session() as session:
        return accounts.get_user(session, name)


@router.patch("/users/{name}", response_model=UserPublic, summary="Change a user")
def update_user(rt: RuntimeDep, caller: CallerDep, name: str, body: UserUpdate) -> UserPublic:
    _check_self_or_admin(caller, name, "changing the details")
    if not caller.platform_admin:
        for field in ("platform_admin", "active"):
            if field in body.model_fields_set:
                check_platform_admin(caller, f"setting `{field}`")
    with rt.session() as session:
        return accounts.update_user(session, name, body)


@router.put("/users/{name}/password", status_code=204, summary="Set a user's password")
def set_password(
    request: Request, rt: RuntimeDep, caller: CallerDep, name: str, body: PasswordChange
) -> Response:
    """Users change their own password by giving the current one; platform admins set anyone's."""
    _check_self_or_admin(caller, name, "setting the password")
    current = None
    if not caller.platform_admin:
        if body.current_password is None:
            raise InvalidInput.for_field("current_password", "give your current password to change it")
        current = body.current_password
    with rt.session() as session:
        accounts.set_password(
            session,
            name,
            body.password,
            current=current,
            auth=rt.settings.auth,
            address=request.client.host if request.client else "unknown",
        )
    return Response(status_code=204)


# --- members of organizations -------------------------------------------------------------------


@router.get(
    "/organizations/{org}/members",
    response_model=MembersPublic,
    summary="Members of an organization (its members and platform admins)",
)
def list_members(rt: RuntimeDep, caller: CallerDep, org: str) -> MembersPublic:
    check_logged_in(caller, "listing members")
    with rt.session() as session:
        members = accounts.list_members(session, org)  # 404 for an unknown organization
    if not (caller.platform_admin or caller.is_member(org)):
        raise Forbidden(f"the members of organization `{org}` are shown to its members only")
    return members


@router.put(
    "/organizations/{org}/members/{user}",
    response_model=MemberPublic,
    summary="Add a member or change their role (organization admins)",
)
def set_member(rt: RuntimeDep, caller: CallerDep, org: str, user: str, body: MembershipSet) -> MemberPublic:
    check_may_administer(caller, org, "managing members")
    with rt.session() as session:
        return accounts.set_membership(session, org, user, body.role)


@router.delete(
    "/organizations/{org}/members/{user}", status_code=204, summary="Remove a member (organization admins)"
)
def remove_member(rt: RuntimeDep, caller: CallerDep, org: str, user: str) -> Response:
    check_may_administer(caller, org, "managing members")
    with rt.session() as session:
        accounts.remove_membership(session, org, user)
    return Response(status_code=204)
