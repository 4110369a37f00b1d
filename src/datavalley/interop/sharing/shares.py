"""Shares: named sets of tables of one organization, given to that organization's recipients.

In the protocol a share's table ``ORG/DATASET/TABLE`` is schema ``DATASET``, table ``TABLE`` (names
are lower-case slugs, so they never clash with the protocol's ``share.schema.table`` dots). Editors
of the owner organization (and the authority) make shares and change them; its members see them.

Putting a table in a share gives nobody anything by itself: each listing and read asks ``plan_read``
with the recipient as caller (:mod:`.readable`). A conditional dataset is read only through a grant
to the recipient (``datavalley grant create ORG/DATASET --recipient NAME``); without one the recipient
does not see the table at all. Only tables of published datasets not shared ``none`` can be put in a
share; a dataset switched to ``none`` later is hidden from recipients without leaving the share,
and shows again when its sharing allows it. :func:`access_of` tells the
provider, per recipient and table, what applies.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.access.audit import record_change
from datavalley.access.policy import LIVE_STATES, Caller, check_may_edit, plan_read
from datavalley.catalog.models import Organization, Table
from datavalley.catalog.schemas import Slug, _Input
from datavalley.catalog.tables import table_record
from datavalley.config import Settings
from datavalley.db.base import utcnow
from datavalley.errors import Conflict, DataValleyError, InvalidInput, NotFound
from datavalley.interop.sharing.models import Recipient, Share, ShareRecipient, ShareTable


class ShareCreate(_Input):
    name: Slug = Field(description="unique on the platform; recipients see it")
    organization: str = Field(description="the owner: its tables go in the share")
    description: Annotated[str, StringConstraints(max_length=2000)] = ""


class ShareTableAdd(_Input):
    table: str = Field(description="`DATASET/TABLE` (or `ORG/DATASET/TABLE`) of the share's organization")


class ShareRecipientAdd(_Input):
    recipient: str


class ShareTablePublic(BaseModel):
    schema_: str = Field(alias="schema", description="the protocol's schema: the dataset")
    name: str = Field(description="the protocol's table name")
    table: str = Field(description="`ORG/DATASET/TABLE`")
    added: datetime
    added_by: str

    model_config = {"populate_by_name": True}


class AccessPublic(BaseModel):
    """What one recipient may read of one table of the share, as ``plan_read`` answers now."""

    recipient: str
    table: str
    readable: bool
    basis: str | None = Field(description="grant, unconditional ...; null when not readable")
    grant_id: int | None
    restricted: bool = Field(description="columns, rows or values are limited (a filtered copy is served)")
    problem: str | None = Field(
        description="why the table is hidden from the recipient (not listed, 404), and what to do"
    )


class SharePublic(BaseModel):
    name: str
    id: str
    organization: str
    description: str
    created: datetime
    created_by: str
    tables: list[ShareTablePublic]
    recipients: list[str]
    access: list[AccessPublic] | None = None


class SharesPublic(BaseModel):
    data: list[SharePublic]
    count: int


def _public(share: Share) -> SharePublic:
    return SharePublic(
        name=share.name,
        id=share.uuid,
        organization=share.organization.name,
        description=share.description,
        created=share.created,
        created_by=share.created_by,
        tables=[
            ShareTablePublic(
                schema=t.table.dataset.name,
                name=t.table.name,
                table=f"{share.organization.name}/{t.table.dataset.name}/{t.table.name}",
                added=t.added,
                added_by=t.added_by,
            )
            for t in share.tables
        ],
        recipients=sorted(link.recipient.name for link in share.recipients),
    )


def share_record(session: Session, caller: Caller, name: str) -> Share:
    """The share, to members of its organization and the authority; 404 to anyone else."""
    found = session.scalar(select(Share).where(Share.name == name))
    if found is None or not (caller.platform_admin or caller.is_member(found.organization.name)):
        raise NotFound(f"share `{name}` does not exist; `datavalley share list` shows them")
    return found


def _editable(session: Session, caller: Caller, name: str, what: str) -> Share:
    share = share_record(session, caller, name)
    check_may_edit(caller, share.organization.name, what)
    return share


def create_share(session: Session, caller: Caller, data: ShareCreate) -> SharePublic:
    org = session.scalar(select(Organization).where(Organization.name == data.organization))
    if org is None or not (caller.platform_admin or caller.is_member(data.organization)):
        raise NotFound(f"organization `{data.organization}` does not exist")
    check_may_edit(caller, data.organization, f"creating share `{data.name}`")
    if session.scalar(select(Share.id).where(Share.name == data.name)) is not None:
        raise Conflict(f"share `{data.name}` already exists; choose another name")
    share = Share(
        name=data.name,
        uuid=str(uuid.uuid4()),
        organization_id=org.id,
        description=data.description,
        created=utcnow(),
        created_by=caller.name,
    )
    share.organization = org
    session.add(share)
    session.flush()
    record_change(
        session,
        caller=caller,
        action="share.create",
        target=f"share:{data.name}",
        details={"organization": data.organization},
    )
    return _public(share)


def list_shares(session: Session, caller: Caller, *, organization: str | None = None) -> SharesPublic:
    """Shares of the caller's organizations (every share for the authority)."""
    query = select(Share).join(Organization, Share.organization_id == Organization.id)
    if not caller.platform_admin:
        query = query.where(Organization.name.in_(list(caller.roles)))
    if organization is not None:
        query = query.where(Organization.name == organization)
    rows = session.scalars(query.order_by(Share.name)).all()
    return SharesPublic(data=[_public(s) for s in rows], count=len(rows))


def get_share(
    session: Session, caller: Caller, name: str, *, settings: Settings | None = None
) -> SharePublic:
    """One share; with ``settings``, also what each of its recipients may read of each table."""
    share = share_record(session, caller, name)
    public = _public(share)
    if settings is not None:
        public.access = access_of(session, settings, share)
    return public


def _table_of(session: Session, share: Share, ref: str) -> Table:
    parts = ref.strip().strip("/").split("/")
    org = share.organization.name
    if len(parts) == 3:
        if parts[0] != org:
            raise InvalidInput.for_field(
                "table", f"share `{share.name}` holds tables of organization `{org}` only, not `{parts[0]}`"
            )
        parts = parts[1:]
    if len(parts) != 2 or not all(parts):
        raise InvalidInput.for_field("table", f"`{ref}` is not DATASET/TABLE (or ORG/DATASET/TABLE)")
    try:
        return table_record(session, org, parts[0], parts[1])
    except NotFound as exc:
        raise InvalidInput.for_field("table", exc.message) from None


def add_table(session: Session, caller: Caller, name: str, data: ShareTableAdd) -> SharePublic:
    share = _editable(session, caller, name, f"changing share `{name}`")
    table = _table_of(session, share, data.table)
    ref = f"{share.organization.name}/{table.dataset.name}/{table.name}"
    dataset = f"{share.organization.name}/{table.dataset.name}"
    if table.dataset.sharing == "none":
        raise Conflict(
            f"dataset `{dataset}` is shared `none`: it never leaves its organization; "
            "change its sharing class first"
        )
    if table.dataset.state not in LIVE_STATES:
        raise Conflict(
            f"dataset `{dataset}` is a {table.dataset.state}: only published datasets leave their "
            f"organization; publish it first (`datavalley dataset update {dataset} --state published`)"
        )
    if any(t.table_id == table.id for t in share.tables):
        raise Conflict(f"table `{ref}` is already in share `{name}`")
    share.tables.append(
        ShareTable(
            table_id=table.id, table=table, uuid=str(uuid.uuid4()), added=utcnow(), added_by=caller.name
        )
    )
    session.flush()
    record_change(
        session,
        caller=caller,
        action="share.add_table",
        target=f"share:{name}",
        dataset=f"{share.organization.name}/{table.dataset.name}",
        details={"table": ref},
    )
    return _public(share)


def remove_table(session: Session, caller: Caller, name: str, ref: str) -> SharePublic:
    share = _editable(session, caller, name, f"changing share `{name}`")
    table = _table_of(session, share, ref)
    entry = next((t for t in share.tables if t.table_id == table.id), None)
    if entry is None:
        raise NotFound(f"table `{ref}` is not in share `{name}`")
    share.tables.remove(entry)
    session.flush()
    record_change(
        session, caller=caller, action="share.remove_table", target=f"share:{name}", details={"table": ref}
    )
    return _public(share)


def _recipient_of(session: Session, share: Share, name: str) -> Recipient:
    recipient = session.scalar(select(Recipient).where(Recipient.name == name))
    if recipient is None or recipient.organization_id != share.organization_id:
        raise InvalidInput.for_field(
            "recipient",
            f"organization `{share.organization.name}` has no recipient `{name}`; "
            "create it with `datavalley recipient create`",
        )
    return recipient


def add_recipient(session: Session, caller: Caller, name: str, recipient_name: str) -> SharePublic:
    share = _editable(session, caller, name, f"giving share `{name}` to a recipient")
    recipient = _recipient_of(session, share, recipient_name)
    if any(link.recipient_id == recipient.id for link in share.recipients):
        raise Conflict(f"recipient `{recipient_name}` already has share `{name}`")
    share.recipients.append(
        ShareRecipient(recipient_id=recipient.id, recipient=recipient, added=utcnow(), added_by=caller.name)
    )
    session.flush()
    record_change(
        session,
        caller=caller,
        action="share.add_recipient",
        target=f"share:{name}",
        details={"recipient": recipient_name},
    )
    return _public(share)


def remove_recipient(session: Session, caller: Caller, name: str, recipient_name: str) -> SharePublic:
    share = _editable(session, caller, name, f"changing share `{name}`")
    link = next((r for r in share.recipients if r.recipient.name == recipient_name), None)
    if link is None:
        raise NotFound(f"recipient `{recipient_name}` does not have share `{name}`")
    share.recipients.remove(link)
    session.flush()
    record_change(
        session,
        caller=caller,
        action="share.remove_recipient",
        target=f"share:{name}",
        details={"recipient": recipient_name},
    )
    return _public(share)


def access_of(session: Session, settings: Settings, share: Share) -> list[AccessPublic]:
    """Per recipient and table: what ``plan_read`` answers for that recipient now."""
    out: list[AccessPublic] = []
    for link in share.recipients:
        caller = Caller(recipient=link.recipient.name)
        for entry in share.tables:
            table = entry.table
            ref = f"{share.organization.name}/{table.dataset.name}/{table.name}"
            try:
                plan = plan_read(
                    session, settings, caller, share.organization.name, table.dataset.name, table.name
                )
            except DataValleyError as exc:
                out.append(
                    AccessPublic(
                        recipient=link.recipient.name,
                        table=ref,
                        readable=False,
                        basis=None,
                        grant_id=None,
                        restricted=False,
                        problem=f"{exc.status}: {exc.message}",
                    )
                )
                continue
            out.append(
                AccessPublic(
                    recipient=link.recipient.name,
                    table=ref,
                    readable=True,
                    basis=plan.basis,
                    grant_id=plan.grant_id,
                    restricted=not plan.unrestricted,
                    problem=None,
                )
            )
    return out


def shares_of_recipient(session: Session, recipient: Recipient) -> list[Share]:
    """The shares a recipient may read, by name."""
    return list(
        session.scalars(
            select(Share)
            .join(ShareRecipient, ShareRecipient.share_id == Share.id)
            .where(ShareRecipient.recipient_id == recipient.id)
            .order_by(Share.name)
        ).all()
    )
