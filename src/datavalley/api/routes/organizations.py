"""``/api/v1/organizations``: departments, prefectures and companies that publish data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datavalley.api.deps import Offset, RuntimeDep
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
    kind: OrganizationKind | None = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Offset = 0,
) -> OrganizationsPublic:
    with rt.session() as session:
        return service.list_organizations(session, limit=limit, offset=offset, kind=kind)


@router.post("", response_model=OrganizationPublic, status_code=201, summary="Create an organization")
def create_organization(rt: RuntimeDep, body: OrganizationCreate) -> OrganizationPublic:
    with rt.session() as session:
        return service.create_organization(session, body)


@router.get("/{name}", response_model=OrganizationPublic, summary="Show an organization")
def get_organization(rt: RuntimeDep, name: str) -> OrganizationPublic:
    with rt.session() as session:
        return service.get_organization(session, name)


@router.patch("/{name}", response_model=OrganizationPublic, summary="Change an organization")
def update_organization(rt: RuntimeDep, name: str, body: OrganizationUpdate) -> OrganizationPublic:
    with rt.session() as session:
        return service.update_organization(session, name, body)


@router.delete("/{name}", status_code=204, summary="Delete an organization without datasets")
def delete_organization(rt: RuntimeDep, name: str) -> Response:
    with rt.session() as session:
        service.delete_organization(session, name)
    return Response(status_code=204)
