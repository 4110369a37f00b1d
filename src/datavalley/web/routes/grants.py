"""``/grants``: the grants a visitor may see (as provider, grantee or authority), revoking them, and
``/grants/new``: a direct grant by an editor of the owner organization (or the authority).

Both go through ``datavalley.access.grants``: the same checks as ``/api/v1/grants``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from datavalley.access import grants as service
from datavalley.access.grants import GrantCreate, GrantRevoke
from datavalley.access.policy import LIVE_STATES, Caller
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.catalog.models import Dataset, Organization
from datavalley.errors import DataValleyError, InvalidInput, NotFound, Unauthorized
from datavalley.web.access_forms import days_field, problems_of, table_rules
from datavalley.web.catalog_view import dataset_tables
from datavalley.web.render import page
from datavalley.web.session import Form, FormDep, done_redirect, login_redirect

router = APIRouter()

GRANT_STATES = ("active", "expired", "revoked")
LIST_LIMIT = 1000


@router.get("/grants", response_class=HTMLResponse)
def grants_page(request: Request, rt: RuntimeDep, caller: CallerDep) -> Response:
    if caller.user is None:
        return login_redirect(request)
    asked = request.query_params.get("state")
    state = asked if asked in GRANT_STATES else None
    with rt.session() as session:
        found = service.list_grants(session, caller, state=state, limit=LIST_LIMIT)  # type: ignore[arg-type]
        grantable = grantable_datasets(session, caller)
    return page(
        request,
        "grants.html",
        grants=found.data,
        count=found.count,
        state=state,
        states=GRANT_STATES,
        may_grant=bool(grantable),
        may_revoke={g.id: caller.may_edit(g.dataset.split("/")[0]) for g in found.data},
    )


@router.post("/grants/{grant_id}/revoke")
def revoke(rt: RuntimeDep, form: FormDep, grant_id: int) -> Response:
    if form.caller.user is None:
        raise Unauthorized("revoking a grant needs you to log in")
    with rt.session() as session:
        service.revoke_grant(
            session, form.caller, grant_id, GrantRevoke(reason=form.get("reason").strip() or None)
        )
    return done_redirect("/grants", "grant_revoked")


def grantable_datasets(session, caller: Caller) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """``(org/name, title)`` of the live conditional datasets the caller may grant access to."""
    query = (
        select(Organization.name, Dataset.name, Dataset.title)
        .join(Dataset, Dataset.organization_id == Organization.id)
        .where(Dataset.sharing == "conditional", Dataset.state.in_(LIVE_STATES))
        .order_by(Organization.name, Dataset.name)
    )
    if not caller.platform_admin:
        editing = [o for o, role in caller.roles.items() if role in ("admin", "editor")]
        query = query.where(Organization.name.in_(editing))
    return [(f"{o}/{d}", title) for o, d, title in session.execute(query)]


def _new_page(
    request: Request,
    rt: RuntimeDep,
    caller: Caller,
    values: Form,
    *,
    status: int = 200,
    problems: Sequence[str] = (),
) -> HTMLResponse:
    with rt.session() as session:
        choices = grantable_datasets(session, caller)
        chosen = values.get("dataset") or request.query_params.get("dataset") or ""
        if chosen not in {c for c, _ in choices}:
            chosen = ""
        tables = dataset_tables(session, rt.settings, *chosen.split("/")) if chosen else []
    return page(
        request,
        "grant_new.html",
        status=status,
        choices=choices,
        chosen=chosen,
        tables=tables,
        values=values,
        fresh=not values.fields,
        problems=list(problems),
    )


@router.get("/grants/new", response_class=HTMLResponse)
def new_grant_page(request: Request, rt: RuntimeDep, caller: CallerDep) -> Response:
    if caller.user is None:
        return login_redirect(request)
    return _new_page(request, rt, caller, Form(caller))


@router.post("/grants/new", response_class=HTMLResponse)
def create(request: Request, rt: RuntimeDep, form: FormDep) -> Response:
    caller = form.caller
    if caller.user is None:
        raise Unauthorized("granting access needs you to log in")
    dataset = form.get("dataset")
    kind = form.get("grantee_kind")
    try:
        org, _, name = dataset.partition("/")
        with rt.session() as session:
            tables = dataset_tables(session, rt.settings, org, name) if org and name else []
            columns = {t.name: [c.name for c in t.columns] for t in tables}
            rules, narrowed = table_rules(form, {t.name: None for t in tables}, columns)
            whole = not narrowed and all(r.columns is None for r in rules.values())
            data = GrantCreate(
                dataset=dataset,
                organization=form.get("grantee").strip() if kind == "organization" else None,
                user=form.get("grantee").strip() if kind == "user" else None,
                tables=None if whole else rules,
                purpose=form.get("purpose"),
                days=days_field(form),
            )
            made = service.create_grant(session, rt.settings, caller, data)
    except (ValidationError, InvalidInput) as exc:
        return _new_page(request, rt, caller, form, status=422, problems=problems_of(exc))
    except NotFound as exc:
        return _new_page(request, rt, caller, form, status=422, problems=[exc.message])
    except DataValleyError as exc:
        return _new_page(request, rt, caller, form, status=exc.status, problems=[exc.message])
    return done_redirect(f"/grants#grant-{made.id}", "grant_created")
