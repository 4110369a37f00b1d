"""``/api/v1/audit``: the audit log, for the data authority: list entries, verify the hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from datavalley.access import audit as service
from datavalley.access.audit import AuditEntriesPublic, AuditKind
from datavalley.access.policy import check_platform_admin
from datavalley.api.deps import CallerDep, Offset, RuntimeDep

router = APIRouter(prefix="/audit", tags=["audit"])


class ChainPublic(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    first_bad: int | None
    problem: str | None


@router.get("", response_model=AuditEntriesPublic, summary="Audit entries, newest first")
def list_entries(
    rt: RuntimeDep,
    caller: CallerDep,
    kind: AuditKind | None = None,
    actor: str | None = None,
    dataset: Annotated[str | None, Query(description="`org/dataset`")] = None,
    action: Annotated[str | None, Query(description="read path (`rows`, `sql` ...) or change")] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=0, le=1000)] = 100,
    offset: Offset = 0,
) -> AuditEntriesPublic:
    check_platform_admin(caller, "reading the audit log")
    with rt.session() as session:
        return service.list_entries(
            session,
            kind=kind,
            actor=actor,
            dataset=dataset,
            action=action,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )


@router.get("/verify", response_model=ChainPublic, summary="Check the hash chain; name the first bad entry")
def verify(rt: RuntimeDep, caller: CallerDep) -> ChainPublic:
    check_platform_admin(caller, "verifying the audit log")
    with rt.session() as session:
        report = service.verify_chain(session)
    return ChainPublic(ok=report.ok, **{k: getattr(report, k) for k in ChainPublic.model_fields if k != "ok"})
