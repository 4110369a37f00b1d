"""What handlers get injected: the runtime (settings + metadata store), and checks every request gets."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from datavalley.errors import InvalidInput
from datavalley.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

#: Where a page starts; capped at the largest offset the stores accept (a 64-bit integer).
Offset = Annotated[int, Query(ge=0, le=2**63 - 1, description="how many matches to skip")]


def reject_nul(request: Request) -> None:
    """Refuse NUL characters in the path and the query: PostgreSQL cannot compare text holding them."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if "\x00" in str(value):
            raise InvalidInput.for_field(name, "must not contain a NUL character")
