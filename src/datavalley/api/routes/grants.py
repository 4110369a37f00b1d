"""``/api/v1/grants``: who may read which part of a conditional dataset; made, listed and revoked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datavalley.access import grants as service
from datavalley.access.grants import GrantCreate, GrantPublic, GrantRevoke, GrantsPublic, GrantState
from datavalley.access.policy import check_logged_in
from datavalley.api.deps import CallerDep, Offset, RuntimeDep

router = APIRouter(prefix="/grants", tags=["grants"])


@router.get("", response_model=GrantsPublic, summary="Grants I may see (provider, grantee, authority)")
def list_grants(
    rt: RuntimeDep,
    caller: CallerDep,
    dataset: Annotated[str | None, Query(description="`org/dataset`")] = None,
    grantee: Annotated[str | None, Query(description="organization, user or recipient name")] = None,
    state: GrantState | None = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Offset = 0,
) -> GrantsPublic:
    check_logged_in(caller, "listing grants")
    with rt.session() as session:
        return service.list_grants(
            session, caller, dataset=dataset, grantee=grantee, state=state, limit=limit, offset=offset
        )


@router.post("", response_model=GrantPublic, status_code=201, summary="Grant access directly (the provider)")
def create_grant(rt: RuntimeDep, caller: CallerDep, body: GrantCreate) -> GrantPublic:
    with rt.session() as session:
        return service.create_grant(session, rt.settings, caller, body)


@router.get("/{grant_id}", response_model=GrantPublic, summary="One grant")
def get_grant(rt: RuntimeDep, caller: CallerDep, grant_id: int) -> GrantPublic:
    check_logged_in(caller, "reading a grant")
    with rt.session() as session:
        return service.get_grant(session, caller, grant_id)


@router.post(
    "/{grant_id}/revoke", response_model=GrantPublic, summary="Revoke a grant: the next read is refused"
)
def revoke_grant(
    rt: RuntimeDep, caller: CallerDep, grant_id: int, body: GrantRevoke | None = None
) -> GrantPublic:
    check_logged_in(caller, "revoking a grant")
    with rt.session() as session:
        return service.revoke_grant(session, caller, grant_id, body or GrantRevoke())
