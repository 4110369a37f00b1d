"""Changing tables over HTTP: roll back to a version, describe and tag columns, delete."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from datavalley.access.policy import check_dataset_editable
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog import tables as table_service
from datavalley.catalog.tables import ColumnPublic, ColumnUpdate, TableDetail, TableUpdate

router = APIRouter(prefix="/datasets/{org}/{dataset}/tables/{table}", tags=["tables"])


class Rollback(BaseModel):
    to_version: int = Field(ge=0, description="the version whose data becomes current again")


@router.post(
    "/rollback", response_model=TableDetail, summary="Make an older version current (as a new version)"
)
def rollback(
    rt: RuntimeDep, caller: CallerDep, org: str, dataset: str, table: str, body: Rollback
) -> TableDetail:
    with rt.session() as session:
        check_dataset_editable(session, caller, org, dataset, "rolling back a table")
        return table_service.rollback_table(
            session, rt.settings, org, dataset, table, to_version=body.to_version, user=caller.name
        )


@router.patch("", response_model=TableDetail, summary="Set a table's title or description")
def update_table(
    rt: RuntimeDep, caller: CallerDep, org: str, dataset: str, table: str, body: TableUpdate
) -> TableDetail:
    with rt.session() as session:
        check_dataset_editable(session, caller, org, dataset, "changing a table")
        return table_service.update_table(session, rt.settings, org, dataset, table, body)


@router.patch("/columns/{column}", response_model=ColumnPublic, summary="Describe or tag a column")
def update_column(
    rt: RuntimeDep, caller: CallerDep, org: str, dataset: str, table: str, column: str, body: ColumnUpdate
) -> ColumnPublic:
    with rt.session() as session:
        check_dataset_editable(session, caller, org, dataset, "describing or tagging a column")
        return table_service.update_column(session, rt.settings, org, dataset, table, column, body)


@router.delete("", status_code=204, summary="Delete a table and all its versions")
def delete_table(rt: RuntimeDep, caller: CallerDep, org: str, dataset: str, table: str) -> Response:
    with rt.session() as session:
        check_dataset_editable(session, caller, org, dataset, "deleting a table")
        where = table_service.delete_table(session, rt.settings, org, dataset, table)
    table_service.remove_table_files(where)
    return Response(status_code=204)
