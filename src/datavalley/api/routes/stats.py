"""``/api/v1/stats``: usage for the data authority: calls per dataset, consumer organization and day;
requests by state and how many are overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from datavalley.access.policy import check_platform_admin
from datavalley.access.requests import RequestStats, request_stats
from datavalley.access.usage import UsagePublic, usage
from datavalley.api.deps import CallerDep, RuntimeDep

router = APIRouter(prefix="/stats", tags=["stats"])
GROUPS = {"datasets": "dataset", "organizations": "organization", "days": "day"}


@router.get(
    "/calls/{by}", response_model=UsagePublic, summary="Reads per dataset, consumer organization or day"
)
def calls(
    rt: RuntimeDep,
    caller: CallerDep,
    by: Literal["datasets", "organizations", "days"],
    since: datetime | None = None,
    until: datetime | None = None,
    dataset: Annotated[str | None, Query(description="only this `org/dataset`")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> UsagePublic:
    check_platform_admin(caller, "usage statistics")
    with rt.session() as session:
        return usage(
            session,
            rt.settings,
            by=GROUPS[by],
            since=since,
            until=until,
            dataset=dataset,
            limit=limit,  # type: ignore[arg-type]
        )


@router.get("/requests", response_model=RequestStats, summary="Requests by state, and how many are overdue")
def requests(rt: RuntimeDep, caller: CallerDep) -> RequestStats:
    check_platform_admin(caller, "request statistics")
    with rt.session() as session:
        return request_stats(session)
