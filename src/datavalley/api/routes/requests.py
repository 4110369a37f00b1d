"""``/api/v1/requests``: ask for a conditional dataset; the authority reviews, the provider decides."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from datavalley.access import requests as service
from datavalley.access.policy import check_logged_in
from datavalley.access.requests import (
    RequestCreate,
    RequestDecision,
    RequestPublic,
    RequestReview,
    RequestsPublic,
    RequestState,
    RequestWithdraw,
)
from datavalley.api.deps import CallerDep, Offset, RuntimeDep

router = APIRouter(prefix="/requests", tags=["requests"])


@router.post(
    "", response_model=RequestPublic, status_code=201, summary="Open a request for a conditional dataset"
)
def open_request(rt: RuntimeDep, caller: CallerDep, body: RequestCreate) -> RequestPublic:
    with rt.session() as session:
        return service.open_request(session, rt.settings, caller, body)


@router.get(
    "", response_model=RequestsPublic, summary="Requests I may see (the authority: all), newest first"
)
def list_requests(
    rt: RuntimeDep,
    caller: CallerDep,
    state: RequestState | None = None,
    dataset: Annotated[str | None, Query(description="`org/dataset`")] = None,
    organization: Annotated[str | None, Query(description="the requesting organization")] = None,
    overdue: Annotated[bool | None, Query(description="only those past their deadline (or not)")] = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Offset = 0,
) -> RequestsPublic:
    check_logged_in(caller, "listing requests")
    with rt.session() as session:
        return service.list_requests(
            session,
            rt.settings,
            caller,
            state=state,
            dataset=dataset,
            organization=organization,
            overdue=overdue,
            limit=limit,
            offset=offset,
        )


@router.get("/{request_id}", response_model=RequestPublic, summary="One request with every step")
def get_request(rt: RuntimeDep, caller: CallerDep, request_id: int) -> RequestPublic:
    check_logged_in(caller, "reading a request")
    with rt.session() as session:
        return service.get_request(session, rt.settings, caller, request_id)


@router.post(
    "/{request_id}/review", response_model=RequestPublic, summary="The authority passes or rejects it"
)
def review_request(rt: RuntimeDep, caller: CallerDep, request_id: int, body: RequestReview) -> RequestPublic:
    check_logged_in(caller, "reviewing a request")
    with rt.session() as session:
        return service.review_request(session, rt.settings, caller, request_id, body)


@router.post(
    "/{request_id}/decision", response_model=RequestPublic, summary="The provider approves or rejects it"
)
def decide_request(
    rt: RuntimeDep, caller: CallerDep, request_id: int, body: RequestDecision
) -> RequestPublic:
    check_logged_in(caller, "deciding a request")
    with rt.session() as session:
        return service.decide_request(session, rt.settings, caller, request_id, body)


@router.post("/{request_id}/withdraw", response_model=RequestPublic, summary="The requester takes it back")
def withdraw_request(
    rt: RuntimeDep, caller: CallerDep, request_id: int, body: RequestWithdraw
) -> RequestPublic:
    check_logged_in(caller, "withdrawing a request")
    with rt.session() as session:
        return service.withdraw_request(session, rt.settings, caller, request_id, body)
