"""Requests for conditional datasets in the portal: ask, follow, review, decide, withdraw.

``/datasets/{org}/{name}/request`` asks; ``/requests`` lists mine (and my organizations'), ``/inbox``
the requests for my organizations' datasets (the provider decides), ``/review`` the authority's queue with
deadlines and overdue flags; ``/requests/{id}`` shows one request with every step and the forms for the
next step the visitor may take. Every step goes through ``datavalley.access.requests``, which checks
roles and states exactly as for the API.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from datavalley.access import requests as service
from datavalley.access.policy import Caller, check_dataset_visible
from datavalley.access.requests import (
    STATES,
    RequestCreate,
    RequestDecision,
    RequestPublic,
    RequestReview,
    RequestWithdraw,
)
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog import service as catalog
from datavalley.errors import DataValleyError, Forbidden, InvalidInput, NotFound, Unauthorized
from datavalley.web.access_forms import days_field, problems_of, table_rules, wanted_tables
from datavalley.web.catalog_view import dataset_tables
from datavalley.web.render import page
from datavalley.web.session import Form, FormDep, done_redirect, login_redirect

router = APIRouter()

#: the most requests a list page reads (newest first); the API pages through more
LIST_LIMIT = 1000
VIEWS = ("mine", "inbox", "review")


# --- asking ---------------------------------------------------------------------------------------


def _ask_page(
    request: Request,
    rt: RuntimeDep,
    caller: Caller,
    org: str,
    name: str,
    values: Form,
    *,
    status: int = 200,
    problems: Sequence[str] = (),
) -> HTMLResponse:
    with rt.session() as session:
        check_dataset_visible(session, caller, org, name)
        dataset = catalog.get_dataset(session, org, name)
        tables = dataset_tables(session, rt.settings, org, name)
    return page(
        request,
        "request_new.html",
        status=status,
        dataset=dataset,
        tables=tables,
        orgs=sorted(o for o in caller.roles if o != org),
        values=values,
        fresh=not values.fields,
        problems=list(problems),
    )


@router.get("/datasets/{org}/{name}/request", response_class=HTMLResponse)
def ask_page(request: Request, rt: RuntimeDep, caller: CallerDep, org: str, name: str) -> Response:
    if caller.user is None:
        return login_redirect(request)
    return _ask_page(request, rt, caller, org, name, Form(caller))


@router.post("/datasets/{org}/{name}/request", response_class=HTMLResponse)
def ask(request: Request, rt: RuntimeDep, form: FormDep, org: str, name: str) -> Response:
    caller = form.caller
    if caller.user is None:
        raise Unauthorized("asking for access needs you to log in")
    with rt.session() as session:
        check_dataset_visible(session, caller, org, name)
        tables = dataset_tables(session, rt.settings, org, name)
    columns = {t.name: [c.name for c in t.columns] for t in tables}
    try:
        data = RequestCreate(
            dataset=f"{org}/{name}",
            organization=form.get("organization") or None,
            tables=wanted_tables(form, columns),
            purpose=form.get("purpose"),
            days=days_field(form),  # type: ignore[arg-type]  # None: the model names the missing field
            grantee=form.get("grantee") or "organization",  # type: ignore[arg-type]
        )
        with rt.session() as session:
            made = service.open_request(session, rt.settings, caller, data)
    except (ValidationError, InvalidInput) as exc:
        return _ask_page(request, rt, caller, org, name, form, status=422, problems=problems_of(exc))
    except NotFound:
        raise
    except DataValleyError as exc:
        return _ask_page(request, rt, caller, org, name, form, status=exc.status, problems=[exc.message])
    return done_redirect(f"/requests/{made.id}", "request_opened")


# --- lists ----------------------------------------------------------------------------------------


def _state(request: Request) -> str | None:
    asked = request.query_params.get("state")
    return asked if asked in STATES else None


def _list_page(request: Request, rt: RuntimeDep, caller: Caller, view: str, default_state: str | None):
    state = _state(request) if "state" in request.query_params else default_state
    with rt.session() as session:
        found = service.list_requests(
            session,
            rt.settings,
            caller,
            state=state,
            limit=LIST_LIMIT,  # type: ignore[arg-type]
        ).data
        if view == "review":
            overdue = service.list_requests(session, rt.settings, caller, overdue=True, limit=LIST_LIMIT).data
        else:
            overdue = []
    if request.query_params.get("overdue") == "1":
        found = [r for r in found if r.overdue]
    if view == "mine":
        found = [r for r in found if r.requester == caller.user or r.organization in caller.roles]
    elif view == "inbox":
        deciding = {o for o, role in caller.roles.items() if role in ("admin", "editor")}
        found = [r for r in found if r.dataset.split("/")[0] in deciding]
    return page(
        request,
        "requests.html",
        view=view,
        rows=found,
        state=state,
        states=STATES,
        overdue_count=len(overdue),
    )


@router.get("/requests", response_class=HTMLResponse)
def my_requests(request: Request, rt: RuntimeDep, caller: CallerDep) -> Response:
    if caller.user is None:
        return login_redirect(request)
    return _list_page(request, rt, caller, "mine", None)


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, rt: RuntimeDep, caller: CallerDep) -> Response:
    if caller.user is None:
        return login_redirect(request)
    if not any(role in ("admin", "editor") for role in caller.roles.values()):
        raise Forbidden("the inbox is for admins and editors of an organization that provides data")
    return _list_page(request, rt, caller, "inbox", "reviewed")


@router.get("/review", response_class=HTMLResponse)
def review_queue(request: Request, rt: RuntimeDep, caller: CallerDep) -> Response:
    if caller.user is None:
        return login_redirect(request)
    if not caller.platform_admin:
        raise Forbidden("the review queue is for the data authority (platform admins)")
    return _list_page(request, rt, caller, "review", "submitted")


# --- one request ----------------------------------------------------------------------------------


def _detail(
    request: Request,
    rt: RuntimeDep,
    caller: Caller,
    request_id: int,
    *,
    status: int = 200,
    problems: Sequence[str] = (),
    values: Form | None = None,
) -> HTMLResponse:
    with rt.session() as session:
        req = service.get_request(session, rt.settings, caller, request_id)
        owner, name = req.dataset.split("/")
        may = _may(caller, req)
        tables = dataset_tables(session, rt.settings, owner, name) if may["decide"] else []
    offered = _offered(req, tables)
    return page(
        request,
        "request.html",
        status=status,
        req=req,
        may=may,
        tables=[t for t in tables if t.name in offered],
        offered=offered,
        problems=list(problems),
        values=values or Form(caller),
    )


def _may(caller: Caller, req: RequestPublic) -> dict[str, bool]:
    owner = req.dataset.split("/")[0]
    return {
        "withdraw": req.requester == caller.user and req.state in service.OPEN_STATES,
        "review": caller.platform_admin and req.state == "submitted",
        "decide": caller.role_in(owner) in ("admin", "editor") and req.state == "reviewed",
    }


def _offered(req: RequestPublic, tables: Sequence) -> dict[str, list[str] | None]:  # type: ignore[type-arg]
    """The tables (and columns) the request asked for: what a decision may grant or narrow."""
    if req.tables is not None:
        return dict(req.tables)
    return {t.name: None for t in tables}


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(request: Request, rt: RuntimeDep, caller: CallerDep, request_id: int) -> Response:
    if caller.user is None:
        return login_redirect(request)
    return _detail(request, rt, caller, request_id)


def _step(request: Request, rt: RuntimeDep, form: Form, request_id: int, work, done: str) -> Response:  # type: ignore[no-untyped-def]
    if form.caller.user is None:
        raise Unauthorized("this step needs you to log in")
    try:
        with rt.session() as session:
            outcome = work(session)
    except (ValidationError, InvalidInput) as exc:
        return _detail(
            request, rt, form.caller, request_id, status=422, problems=problems_of(exc), values=form
        )
    except NotFound:
        raise
    except DataValleyError as exc:
        return _detail(
            request, rt, form.caller, request_id, status=exc.status, problems=[exc.message], values=form
        )
    return done_redirect(f"/requests/{request_id}", outcome or done)


@router.post("/requests/{request_id}/withdraw")
def withdraw(request: Request, rt: RuntimeDep, form: FormDep, request_id: int) -> Response:
    def work(session) -> None:  # type: ignore[no-untyped-def]
        data = RequestWithdraw(reason=form.get("reason").strip() or None)
        service.withdraw_request(session, rt.settings, form.caller, request_id, data)

    return _step(request, rt, form, request_id, work, "request_withdrawn")


@router.post("/requests/{request_id}/review")
def review(request: Request, rt: RuntimeDep, form: FormDep, request_id: int) -> Response:
    def work(session) -> str:  # type: ignore[no-untyped-def]
        data = RequestReview(action=form.get("action"), reason=form.get("reason").strip() or None)  # type: ignore[arg-type]
        service.review_request(session, rt.settings, form.caller, request_id, data)
        return "request_reviewed" if data.action == "pass" else "request_rejected"

    return _step(request, rt, form, request_id, work, "request_reviewed")


@router.post("/requests/{request_id}/decision")
def decide(request: Request, rt: RuntimeDep, form: FormDep, request_id: int) -> Response:
    def work(session) -> str:  # type: ignore[no-untyped-def]
        action = form.get("action")
        reason = form.get("reason").strip() or None
        if action != "approve":
            data = RequestDecision(action=action, reason=reason)  # type: ignore[arg-type]
            service.decide_request(session, rt.settings, form.caller, request_id, data)
            return "request_rejected"
        req = service.get_request(session, rt.settings, form.caller, request_id)
        owner, name = req.dataset.split("/")
        tables = dataset_tables(session, rt.settings, owner, name)
        columns = {t.name: [c.name for c in t.columns] for t in tables}
        rules, narrowed = table_rules(form, _offered(req, tables), columns)
        data = RequestDecision(
            action="approve", reason=reason, tables=rules if narrowed else None, days=days_field(form)
        )
        service.decide_request(session, rt.settings, form.caller, request_id, data)
        return "request_approved"

    return _step(request, rt, form, request_id, work, "request_approved")
