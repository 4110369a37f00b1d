"""``/api/v1/datasets``: create, read, change and delete datasets; search them with facets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from datavalley.access.policy import check_dataset_editable, check_dataset_visible, check_may_edit
from datavalley.api.deps import CallerDep, Offset, RuntimeDep
from datavalley.catalog import service
from datavalley.catalog.schemas import DatasetCreate, DatasetPublic, DatasetsPublic, DatasetUpdate, Slug
from datavalley.catalog.search import SearchQuery, SortKey, search_datasets
from datavalley.catalog.tables import dataset_table_locations, remove_table_files
from datavalley.catalog.vocabulary import DatasetState, SharingClass

router = APIRouter(tags=["datasets"])


class DatasetCreateRequest(DatasetCreate):
    organization: Slug


@router.get("/datasets", response_model=DatasetsPublic, summary="Search and list datasets")
@router.get("/search", response_model=DatasetsPublic, summary="Search datasets (same as GET /datasets)")
def find_datasets(
    rt: RuntimeDep,
    caller: CallerDep,
    q: Annotated[str | None, Query(max_length=500, description="words to find")] = None,
    organization: Annotated[list[str], Query(description="any of these organizations")] = [],  # noqa: B006
    tag: Annotated[list[str], Query(description="all of these tags")] = [],  # noqa: B006
    theme: Annotated[list[str], Query(description="all of these themes")] = [],  # noqa: B006
    sharing: Annotated[list[SharingClass], Query(description="any of these classes")] = [],  # noqa: B006
    public: bool | None = None,
    state: Annotated[list[DatasetState], Query(description="any of these states")] = [],  # noqa: B006
    sort: Annotated[SortKey | None, Query(description="default: relevance with q, else -modified")] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 20,
    offset: Offset = 0,
) -> DatasetsPublic:
    query = SearchQuery(
        q=q,
        organization=organization,
        tags=tag,
        themes=theme,
        sharing=sharing,
        public=public,
        state=state,
        sort=sort,
        limit=limit,
        offset=offset,
    )
    with rt.session() as session:
        return search_datasets(session, query, caller=caller)


@router.post("/datasets", response_model=DatasetPublic, status_code=201, summary="Create a dataset")
def create_dataset(rt: RuntimeDep, caller: CallerDep, body: DatasetCreateRequest) -> DatasetPublic:
    check_may_edit(caller, body.organization, "creating a dataset")
    data = DatasetCreate.model_validate(body.model_dump(exclude={"organization"}))
    with rt.session() as session:
        return service.create_dataset(session, body.organization, data)


@router.get("/datasets/{org}/{name}", response_model=DatasetPublic, summary="Show a dataset")
def get_dataset(rt: RuntimeDep, caller: CallerDep, org: str, name: str) -> DatasetPublic:
    with rt.session() as session:
        check_dataset_visible(session, caller, org, name)
        return service.get_dataset(session, org, name)


@router.patch("/datasets/{org}/{name}", response_model=DatasetPublic, summary="Change a dataset")
def update_dataset(
    rt: RuntimeDep, caller: CallerDep, org: str, name: str, body: DatasetUpdate
) -> DatasetPublic:
    with rt.session() as session:
        check_dataset_editable(session, caller, org, name, "changing a dataset")
        return service.update_dataset(session, org, name, body)


@router.delete("/datasets/{org}/{name}", status_code=204, summary="Delete a dataset")
def delete_dataset(rt: RuntimeDep, caller: CallerDep, org: str, name: str) -> Response:
    with rt.session() as session:
        check_dataset_editable(session, caller, org, name, "deleting a dataset")
        locations = dataset_table_locations(session, rt.settings, org, name)
        service.delete_dataset(session, org, name)
    for location in locations:
        remove_table_files(location)
    return Response(status_code=204)
