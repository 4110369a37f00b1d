"""Requests for conditional datasets, and their two-stage review under the national sharing rules.

::

    submitted ──review: pass──▶ reviewed ──decide: approve──▶ approved ──(grant expires)──▶ expired
        │                          │
        ├─review: reject─▶ rejected ◀─decide: reject─┤
        └─withdraw───────▶ withdrawn ◀──withdraw─────┘

- A member of an organization opens a request (``submitted``) for a conditional dataset: tables and
  columns wanted, purpose, and for how many days.
- The data authority (a platform admin) reviews it within 2 working days: passes it to the provider
  (``reviewed``) or rejects it with a reason.
- An admin or editor of the owner organization decides within 5 working days of the review: approves
  it (a grant is made, on the provider's terms: row filter, masks, fewer columns or days) or rejects
  it with a reason.
- The requester may withdraw it until it is decided. An approved request becomes ``expired`` when
  its grant's period has passed.

Every step is kept (who, when, from which state to which, why) and written to the audit log.
Overdue requests (past a deadline and still waiting) are flagged in every listing.
Wrong role: 403 (401 when not logged in); wrong state: 409; a request the caller may not see: 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from datavalley.access.audit import record_change
from datavalley.access.calendar import load_calendar
from datavalley.access.grants import GrantCreate, StrictInput, TableRule, check_rule, create_grant
from datavalley.access.policy import Caller, check_dataset_visible
from datavalley.access.sharing_models import AccessRequest, Grant, RequestEvent
from datavalley.catalog.models import Dataset, Organization
from datavalley.catalog.tables import table_record
from datavalley.config import Settings
from datavalley.db.base import is_record_id, utcnow
from datavalley.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized

RequestState = Literal["submitted", "reviewed", "approved", "rejected", "withdrawn", "expired"]
STATES: tuple[RequestState, ...] = ("submitted", "reviewed", "approved", "rejected", "withdrawn", "expired")
OPEN_STATES: tuple[RequestState, ...] = ("submitted", "reviewed")
#: working days the authority has to review, and the provider to decide after the review
REVIEW_DAYS = 2
DECISION_DAYS = 5
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class RequestCreate(StrictInput):
    dataset: Annotated[str, StringConstraints(pattern=r"^[^/]+/[^/]+$")] = Field(description="`org/dataset`")
    organization: str | None = Field(
        default=None, description="the requesting organization; default: the caller's only one"
    )
    tables: dict[str, list[str] | None] | None = Field(
        default=None, description="table → columns wanted (null: all columns); null: every table"
    )
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)] = Field(
        description="what the data will be used for (at least 10 characters)"
    )
    days: int = Field(ge=1, le=3650, description="how long access is needed, in days from approval")
    grantee: Literal["organization", "user"] = Field(
        default="organization", description="who gets the grant: the requesting organization or only you"
    )


class RequestReview(StrictInput):
    action: Literal["pass", "reject"]
    reason: Reason | None = None

    @model_validator(mode="after")
    def _reason_for_reject(self) -> RequestReview:
        if self.action == "reject" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class RequestDecision(StrictInput):
    action: Literal["approve", "reject"]
    reason: Reason | None = None
    tables: dict[str, TableRule] | None = Field(
        default=None,
        description="the provider's terms per table (columns, row filter, masks); default: as requested",
    )
    days: int | None = Field(default=None, ge=1, le=3650, description="default: as requested")

    @model_validator(mode="after")
    def _reason_for_reject(self) -> RequestDecision:
        if self.action == "reject" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class RequestWithdraw(StrictInput):
    reason: Reason | None = None


class RequestEventPublic(BaseModel):
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    reason: str | None


class RequestPublic(BaseModel):
    id: int
    dataset: str
    organization: str
    requester: str
    grantee: Literal["organization", "user"]
    tables: dict[str, list[str] | None] | None
    purpose: str
    days: int
    state: RequestState
    submitted_at: datetime
    review_due: datetime
    reviewed_at: datetime | None
    reviewed_by: str | None
    decision_due: datetime | None
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None
    grant_id: int | None
    #: the deadline the request waits on now (review, then decision); null once decided
    due: datetime | None
    overdue: bool
    working_days_late: int
    events: list[RequestEventPublic]


class RequestsPublic(BaseModel):
    data: list[RequestPublic]
    count: int


# --- reading --------------------------------------------------------------------------------------


def _due(req: AccessRequest) -> datetime | None:
    if req.state == "submitted":
        return req.review_due
    if req.state == "reviewed":
        return req.decision_due
    return None


def _public(settings: Settings, req: AccessRequest, grant_id: int | None, now: datetime) -> RequestPublic:
    due = _due(req)
    late = load_calendar(settings).working_days_late(due, now) if due is not None else 0
    ds = req.dataset
    return RequestPublic(
        id=req.id,
        dataset=f"{ds.organization.name}/{ds.name}",
        organization=req.organization.name,
        requester=req.requester,
        grantee=req.grantee_kind,  # type: ignore[arg-type]
        tables=req.tables,
        purpose=req.purpose,
        days=req.days,
        state=req.state,  # type: ignore[arg-type]
        submitted_at=req.submitted_at,
        review_due=req.review_due,
        reviewed_at=req.reviewed_at,
        reviewed_by=req.reviewed_by,
        decision_due=req.decision_due,
        decided_at=req.decided_at,
        decided_by=req.decided_by,
        reason=req.reason,
        grant_id=grant_id,
        due=due,
        overdue=due is not None and now >= due,
        working_days_late=late,
        events=[RequestEventPublic.model_validate(e, from_attributes=True) for e in req.events],
    )


def _grant_ids(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(select(Grant.request_id, Grant.id).where(Grant.request_id.in_(ids)))
    return {request_id: grant_id for request_id, grant_id in rows if request_id is not None}


def _visible(caller: Caller) -> ColumnElement[bool]:
    if caller.platform_admin:
        return AccessRequest.id.is_not(None)
    conds: list[ColumnElement[bool]] = []
    if caller.user_id is not None:
        conds.append(AccessRequest.requester_id == caller.user_id)
    if caller.roles:
        conds.append(
            AccessRequest.organization_id.in_(
                select(Organization.id).where(Organization.name.in_(list(caller.roles)))
            )
        )
    if caller.roles:
        conds.append(
            AccessRequest.dataset_id.in_(
                select(Dataset.id).join(Organization).where(Organization.name.in_(list(caller.roles)))
            )
        )
    return or_(*conds) if conds else AccessRequest.id.is_(None)


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """Requests past their current deadline and still waiting, as a SQL condition."""
    return or_(
        and_(AccessRequest.state == "submitted", AccessRequest.review_due <= now),
        and_(AccessRequest.state == "reviewed", AccessRequest.decision_due <= now),
    )


def expire_requests(session: Session, *, now: datetime | None = None) -> int:
    """Mark approved requests whose grant's period has passed as ``expired``; return how many."""
    now = now or utcnow()
    due = session.scalars(
        select(AccessRequest)
        .join(Grant, Grant.request_id == AccessRequest.id)
        .where(AccessRequest.state == "approved", Grant.expires.is_not(None), Grant.expires <= now)
    ).all()
    for req in due:
        _step(req, actor="system", action="expire", to_state="expired", now=now)
        req.closed_at = now
    session.flush()
    return len(due)


def list_requests(
    session: Session,
    settings: Settings,
    caller: Caller,
    *,
    state: RequestState | None = None,
    dataset: str | None = None,
    organization: str | None = None,
    overdue: bool | None = None,
    limit: int = 100,
    offset: int = 0,
    now: datetime | None = None,
) -> RequestsPublic:
    """The requests the caller may see (their own, their organizations', those for their organizations'
    datasets; the authority sees all), newest first."""
    now = now or utcnow()
    expire_requests(session, now=now)
    query = select(AccessRequest).where(_visible(caller))
    if state is not None:
        query = query.where(AccessRequest.state == state)
    if dataset is not None:
        org, _, name = dataset.partition("/")
        query = query.where(
            AccessRequest.dataset_id.in_(
                select(Dataset.id).join(Organization).where(Organization.name == org, Dataset.name == name)
            )
        )
    if organization is not None:
        query = query.where(
            AccessRequest.organization_id.in_(
                select(Organization.id).where(Organization.name == organization)
            )
        )
    if overdue is not None:
        cond = overdue_condition(now)
        query = query.where(cond if overdue else ~cond)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AccessRequest.id.desc()).limit(limit).offset(offset)).all()
    grants = _grant_ids(session, [r.id for r in rows])
    return RequestsPublic(data=[_public(settings, r, grants.get(r.id), now) for r in rows], count=count)


def _request_for(session: Session, caller: Caller, request_id: int) -> AccessRequest:
    req = (
        session.scalar(select(AccessRequest).where(AccessRequest.id == request_id, _visible(caller)))
        if is_record_id(request_id)
        else None
    )
    if req is None:
        raise NotFound(f"request {request_id} does not exist")
    return req


def get_request(
    session: Session, settings: Settings, caller: Caller, request_id: int, *, now: datetime | None = None
) -> RequestPublic:
    now = now or utcnow()
    expire_requests(session, now=now)
    req = _request_for(session, caller, request_id)
    return _public(settings, req, _grant_ids(session, [req.id]).get(req.id), now)


# --- steps ----------------------------------------------------------------------------------------


def _step(
    req: AccessRequest,
    *,
    actor: str,
    action: str,
    to_state: RequestState,
    now: datetime,
    reason: str | None = None,
) -> None:
    req.events.append(
        RequestEvent(
            at=now, actor=actor, action=action, from_state=req.state, to_state=to_state, reason=reason
        )
    )
    req.state = to_state


def _audit(
    session: Session, caller: Caller, req: AccessRequest, step: str, now: datetime, **details: object
) -> None:
    ds = req.dataset
    record_change(
        session,
        caller=caller,
        action=f"request.{step}",
        target=f"request:{req.id}",
        dataset=f"{ds.organization.name}/{ds.name}",
        details={"state": req.state, **details},
        now=now,
    )


def _wrong_state(req: AccessRequest, doing: str) -> Conflict:
    hints = {
        "submitted": "it waits for the authority's review",
        "reviewed": "it waits for the provider's decision",
        "approved": "it was approved",
        "rejected": "it was rejected",
        "withdrawn": "it was withdrawn",
        "expired": "its grant has expired; open a new request",
    }
    return Conflict(f"request {req.id} cannot be {doing}: it is `{req.state}` ({hints[req.state]})")


def _requesting_org(caller: Caller, wanted: str | None) -> str:
    if wanted is not None:
        if not caller.is_member(wanted):
            raise Forbidden(f"`{caller.name}` is not a member of organization `{wanted}`")
        return wanted
    if len(caller.roles) == 1:
        return next(iter(caller.roles))
    if not caller.roles:
        raise Forbidden(
            f"`{caller.name}` belongs to no organization; requests are made on behalf of one: "
            "ask an organization admin to add you"
        )
    raise InvalidInput.for_field(
        "organization", f"you belong to several organizations ({', '.join(sorted(caller.roles))}); name one"
    )


def _check_wanted(
    session: Session, settings: Settings, dataset: str, tables: dict[str, list[str] | None]
) -> None:
    org, name = dataset.split("/")
    if not tables:
        raise InvalidInput.for_field("tables", "name at least one table, or leave it out for every table")
    for table_name, columns in tables.items():
        try:
            table = table_record(session, org, name, table_name)
        except NotFound:
            raise InvalidInput.for_field(
                "tables", f"dataset `{dataset}` has no table `{table_name}`"
            ) from None
        check_rule(settings, table, TableRule(columns=columns), field=f"tables.{table_name}")


def open_request(
    session: Session, settings: Settings, caller: Caller, data: RequestCreate, *, now: datetime | None = None
) -> RequestPublic:
    """A consumer asks for a conditional dataset; the authority's review is due in 2 working days."""
    now = now or utcnow()
    if caller.user is None:
        if caller.anonymous:
            raise Unauthorized("opening a request needs you to log in")
        raise Forbidden(f"`{caller.name}` is not a user; only users of an organization open requests")
    org, name = data.dataset.split("/")
    ds = check_dataset_visible(session, caller, org, name)
    if caller.platform_admin or caller.is_member(org):
        raise Conflict(f"`{caller.name}` reads dataset `{data.dataset}` already; no request is needed")
    if ds.sharing != "conditional":
        raise Conflict(
            f"dataset `{data.dataset}` is shared `{ds.sharing}`: every member organization reads it"
        )
    requesting = _requesting_org(caller, data.organization)
    if data.tables is not None:
        _check_wanted(session, settings, data.dataset, data.tables)
    pending = session.scalar(
        select(AccessRequest.id).where(
            AccessRequest.dataset_id == ds.id,
            AccessRequest.requester == caller.user,
            AccessRequest.state.in_(OPEN_STATES),
        )
    )
    if pending is not None:
        raise Conflict(
            f"request {pending} of `{caller.user}` for `{data.dataset}` is still open; "
            "wait for its decision or withdraw it first"
        )
    org_id = session.scalar(select(Organization.id).where(Organization.name == requesting))
    req = AccessRequest(
        dataset_id=ds.id,
        organization_id=org_id,
        requester_id=caller.user_id,
        requester=caller.user,
        grantee_kind=data.grantee,
        tables=data.tables,
        purpose=data.purpose,
        days=data.days,
        state="submitted",
        submitted_at=now,
        review_due=load_calendar(settings).due(now, REVIEW_DAYS),
        events=[
            RequestEvent(at=now, actor=caller.user, action="submit", from_state=None, to_state="submitted")
        ],
    )
    session.add(req)
    session.flush()
    session.refresh(req)
    _audit(session, caller, req, "open", now, organization=requesting)
    return _public(settings, req, None, now)


def review_request(
    session: Session,
    settings: Settings,
    caller: Caller,
    request_id: int,
    data: RequestReview,
    *,
    now: datetime | None = None,
) -> RequestPublic:
    """The authority passes a request to the provider (decision due in 5 working days) or rejects it."""
    now = now or utcnow()
    req = _request_for(session, caller, request_id)
    if not caller.platform_admin:
        raise Forbidden(f"reviewing request {request_id} needs a platform admin (the data authority)")
    if req.state != "submitted":
        raise _wrong_state(req, "reviewed")
    req.reviewed_at, req.reviewed_by = now, caller.name
    if data.action == "pass":
        _step(req, actor=caller.name, action="review", to_state="reviewed", now=now, reason=data.reason)
        req.decision_due = load_calendar(settings).due(now, DECISION_DAYS)
    else:
        _step(req, actor=caller.name, action="reject", to_state="rejected", now=now, reason=data.reason)
        req.reason, req.closed_at = data.reason, now
    session.flush()
    _audit(session, caller, req, "review", now, outcome=data.action, reason=data.reason)
    return _public(settings, req, None, now)


def decide_request(
    session: Session,
    settings: Settings,
    caller: Caller,
    request_id: int,
    data: RequestDecision,
    *,
    now: datetime | None = None,
) -> RequestPublic:
    """An admin or editor of the owner organization approves (making a grant) or rejects a request."""
    now = now or utcnow()
    req = _request_for(session, caller, request_id)
    owner = req.dataset.organization.name
    if caller.role_in(owner) not in ("admin", "editor"):
        raise Forbidden(
            f"deciding request {request_id} needs the admin or editor role in organization `{owner}`, "
            "which provides the data"
        )
    if req.state != "reviewed":
        raise _wrong_state(req, "decided")
    req.decided_at, req.decided_by = now, caller.name
    grant_id = None
    if data.action == "approve":
        grant = create_grant(
            session,
            settings,
            caller,
            _terms(req, data),
            request_id=req.id,
            now=now,
            check_caller=False,
        )
        grant_id = grant.id
        _step(req, actor=caller.name, action="approve", to_state="approved", now=now, reason=data.reason)
    else:
        _step(req, actor=caller.name, action="reject", to_state="rejected", now=now, reason=data.reason)
        req.reason, req.closed_at = data.reason, now
    session.flush()
    _audit(session, caller, req, "decide", now, outcome=data.action, reason=data.reason, grant_id=grant_id)
    return _public(settings, req, grant_id, now)


def _terms(req: AccessRequest, data: RequestDecision) -> GrantCreate:
    """The grant an approval makes: the request, narrowed by the provider's terms."""
    ds = req.dataset
    wanted = req.tables
    tables: dict[str, TableRule] | None
    if data.tables is None:
        tables = None if wanted is None else {t: TableRule(columns=cols) for t, cols in wanted.items()}
    else:
        tables = {}
        for table, rule in data.tables.items():
            if wanted is not None and table not in wanted:
                raise InvalidInput.for_field(
                    "tables", f"table `{table}` was not requested; grant it directly"
                )
            asked = None if wanted is None else wanted[table]
            if rule.columns is None:
                rule = rule.model_copy(update={"columns": asked})
            elif asked is not None and (extra := sorted(set(rule.columns) - set(asked))):
                raise InvalidInput.for_field(
                    f"tables.{table}.columns", f"column(s) {', '.join(extra)} were not requested"
                )
            tables[table] = rule
    grantee = (
        {"user": req.requester} if req.grantee_kind == "user" else {"organization": req.organization.name}
    )
    return GrantCreate(
        dataset=f"{ds.organization.name}/{ds.name}",
        tables=tables,
        purpose=req.purpose,
        days=data.days or req.days,
        **grantee,
    )


def withdraw_request(
    session: Session,
    settings: Settings,
    caller: Caller,
    request_id: int,
    data: RequestWithdraw,
    *,
    now: datetime | None = None,
) -> RequestPublic:
    """The requester takes back a request that is not decided yet."""
    now = now or utcnow()
    req = _request_for(session, caller, request_id)
    mine = (caller.user_id is not None and req.requester_id == caller.user_id) or (
        req.requester_id is None and caller.user == req.requester
    )
    if not mine:
        raise Forbidden(f"only `{req.requester}`, who opened request {request_id}, may withdraw it")
    if req.state not in OPEN_STATES:
        raise _wrong_state(req, "withdrawn")
    _step(req, actor=caller.name, action="withdraw", to_state="withdrawn", now=now, reason=data.reason)
    req.reason, req.closed_at = data.reason, now
    session.flush()
    _audit(session, caller, req, "withdraw", now, reason=data.reason)
    return _public(settings, req, None, now)


# --- statistics -----------------------------------------------------------------------------------


class RequestStats(BaseModel):
    by_state: dict[str, int]
    overdue: int
    overdue_review: int
    overdue_decision: int


def request_stats(session: Session, *, now: datetime | None = None) -> RequestStats:
    """How many requests are in each state, and how many are overdue (for the authority)."""
    now = now or utcnow()
    expire_requests(session, now=now)
    counts = dict(
        session.execute(select(AccessRequest.state, func.count()).group_by(AccessRequest.state)).all()
    )
    review = session.scalar(
        select(func.count()).where(AccessRequest.state == "submitted", AccessRequest.review_due <= now)
    )
    decision = session.scalar(
        select(func.count()).where(AccessRequest.state == "reviewed", AccessRequest.decision_due <= now)
    )
    return RequestStats(
        by_state={s: int(counts.get(s, 0)) for s in STATES},
        overdue=int(review or 0) + int(decision or 0),
        overdue_review=int(review or 0),
        overdue_decision=int(decision or 0),
    )
