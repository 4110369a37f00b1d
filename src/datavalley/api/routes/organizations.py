"""``/api/v1/organizations``: departments, prefectures and companies that publish data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datavalley.access.policy import check_may_administer, check_platform_admin
from datavalley.api.deps import CallerDep, Offset, RuntimeDep
from datavalley.catalog import service
from datavalley.catalog.schemas import (
    OrganizationCreate,
    OrganizationPublic,
    OrganizationsPublic,
    OrganizationUpdate,
)
from datavalley.catalog.vocabulary import OrganizationKind

router = APIRouter(prefix="/organizations", tags=["organizations"])


@router.get("", response_model=OrganizationsPublic, summary="List organizations")
def list_organizations(
    rt: RuntimeDep,
    caller: CallerDep,
    kind: OrganizationKind | None = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Offset = 0,
) -> OrganizationsPublic:
    with rt.session() as session:
        return service.list_organizations(session, limit=limit, offset=offset, kind=kind, caller=caller)


@router.post("", response_model=OrganizationPublic, status_code=201, summary="Create an organization")
def create_organization(rt: RuntimeDep, caller: CallerDep, body: OrganizationCreate) -> OrganizationPublic:
    check_platform_admin(caller, "creating an organization")
    with rt.session() as session:
        return service.create_organization(session, body)


@router.get("/{name}", response_model=OrganizationPublic, summary="Show an organization")
def get_organization(rt: RuntimeDep, caller: CallerDep, name: str) -> OrganizationPublic:
    with rt.session() as session:
        return service.get_organization(session, name, caller=caller)


@router.patch("/{name}", response_model=OrganizationPublic, summary="Change an organization")
def update_organization(
    rt: RuntimeDep, caller: CallerDep, name: str, body: OrganizationUpdate
) -> OrganizationPublic:
    check_may_administer(caller, name, "changing an organization")
    with rt.session() as session:
        return service.update_organization(session, name, body, caller=caller)


@router.delete("/{name}", status_code=204, summary="Delete an organization without datasets")
def delete_organization(rt: RuntimeDep, caller: CallerDep, name: str) -> Response:
    check_platform_admin(caller, "deleting an organization")
    with rt.session() as session:
        service.delete_organization(session, name)
    return Response(status_code=204)
