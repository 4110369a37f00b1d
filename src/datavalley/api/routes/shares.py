"""``/api/v1/shares`` and ``/api/v1/recipients``: Delta Sharing for providers and the authority.

Editors of the owner organization (and the authority) make shares, put tables and recipients in them,
create recipients and download their profile files; members of the organization see them.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response

from datavalley.access.policy import check_logged_in
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.interop.sharing import recipients as recipient_service
from datavalley.interop.sharing import shares as share_service
from datavalley.interop.sharing.recipients import (
    ProfileRequest,
    RecipientCreate,
    RecipientProfile,
    RecipientPublic,
    RecipientsPublic,
)
from datavalley.interop.sharing.shares import (
    ShareCreate,
    SharePublic,
    ShareRecipientAdd,
    SharesPublic,
    ShareTableAdd,
)
from datavalley.interop.urls import base_url

router = APIRouter(prefix="/shares", tags=["Delta Sharing: shares"])
recipients_router = APIRouter(prefix="/recipients", tags=["Delta Sharing: recipients"])


def endpoint(request: Request) -> str:
    """The Delta Sharing endpoint profiles point at."""
    return f"{base_url(request)}/delta-sharing/"


@router.get("", response_model=SharesPublic, summary="Shares of my organizations")
def list_shares(rt: RuntimeDep, caller: CallerDep, organization: str | None = None) -> SharesPublic:
    check_logged_in(caller, "listing shares")
    with rt.session() as session:
        return share_service.list_shares(session, caller, organization=organization)


@router.post("", response_model=SharePublic, status_code=201, summary="Create a share")
def create_share(rt: RuntimeDep, caller: CallerDep, body: ShareCreate) -> SharePublic:
    check_logged_in(caller, "creating a share")
    with rt.session() as session:
        return share_service.create_share(session, caller, body)


@router.get("/{name}", response_model=SharePublic, summary="One share, and what each recipient may read")
def get_share(rt: RuntimeDep, caller: CallerDep, name: str) -> SharePublic:
    check_logged_in(caller, "reading a share")
    with rt.session() as session:
        return share_service.get_share(session, caller, name, settings=rt.settings)


@router.post("/{name}/tables", response_model=SharePublic, summary="Put a table in the share")
def add_table(rt: RuntimeDep, caller: CallerDep, name: str, body: ShareTableAdd) -> SharePublic:
    check_logged_in(caller, "changing a share")
    with rt.session() as session:
        return share_service.add_table(session, caller, name, body)


@router.delete("/{name}/tables/{dataset}/{table}", response_model=SharePublic, summary="Take a table out")
def remove_table(rt: RuntimeDep, caller: CallerDep, name: str, dataset: str, table: str) -> SharePublic:
    check_logged_in(caller, "changing a share")
    with rt.session() as session:
        return share_service.remove_table(session, caller, name, f"{dataset}/{table}")


@router.post("/{name}/recipients", response_model=SharePublic, summary="Give the share to a recipient")
def add_recipient(rt: RuntimeDep, caller: CallerDep, name: str, body: ShareRecipientAdd) -> SharePublic:
    check_logged_in(caller, "changing a share")
    with rt.session() as session:
        return share_service.add_recipient(session, caller, name, body.recipient)


@router.delete("/{name}/recipients/{recipient}", response_model=SharePublic, summary="Take it back")
def remove_recipient(rt: RuntimeDep, caller: CallerDep, name: str, recipient: str) -> SharePublic:
    check_logged_in(caller, "changing a share")
    with rt.session() as session:
        return share_service.remove_recipient(session, caller, name, recipient)


@recipients_router.get("", response_model=RecipientsPublic, summary="Recipients of my organizations")
def list_recipients(rt: RuntimeDep, caller: CallerDep, organization: str | None = None) -> RecipientsPublic:
    check_logged_in(caller, "listing recipients")
    with rt.session() as session:
        return recipient_service.list_recipients(session, caller, organization=organization)


@recipients_router.post(
    "",
    response_model=RecipientProfile,
    status_code=201,
    summary="Create a recipient; the answer holds its profile (the token, shown once)",
)
def create_recipient(
    request: Request, rt: RuntimeDep, caller: CallerDep, body: RecipientCreate
) -> RecipientProfile:
    check_logged_in(caller, "creating a recipient")
    with rt.session() as session:
        return recipient_service.create_recipient(
            session, caller, body, endpoint=endpoint(request), default_days=rt.settings.auth.token_days
        )


@recipients_router.get("/{name}", response_model=RecipientPublic, summary="One recipient")
def get_recipient(rt: RuntimeDep, caller: CallerDep, name: str) -> RecipientPublic:
    check_logged_in(caller, "reading a recipient")
    with rt.session() as session:
        return recipient_service.get_recipient(session, caller, name)


@recipients_router.post(
    "/{name}/profile",
    summary="Download a new profile file (`NAME.share`); the previous token stops working",
    responses={200: {"content": {"application/json": {}}, "description": "the `.share` profile file"}},
)
def download_profile(
    request: Request, rt: RuntimeDep, caller: CallerDep, name: str, body: ProfileRequest | None = None
) -> Response:
    check_logged_in(caller, "issuing a profile")
    with rt.session() as session:
        issued = recipient_service.new_profile(
            session,
            caller,
            name,
            endpoint=endpoint(request),
            days=(body.days if body and body.days else rt.settings.auth.token_days),
        )
    return Response(
        json.dumps(issued.profile, indent=2) + "\n",
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.share"',
            "Cache-Control": "no-store",
        },
    )


@recipients_router.post("/{name}/revoke", response_model=RecipientPublic, summary="Revoke a recipient")
def revoke_recipient(rt: RuntimeDep, caller: CallerDep, name: str) -> RecipientPublic:
    check_logged_in(caller, "revoking a recipient")
    with rt.session() as session:
        return recipient_service.revoke_recipient(session, caller, name)
