"""Who may see and read what: the one place every path (REST, portal, SQL, data APIs, open protocols) asks.

Two questions, two functions:

``may_see_dataset`` / ``visible_datasets``
    May the caller see a dataset's *metadata* (in listings, search, the CKAN and DCAT exports)?

    ============================  ===================================================================
    caller                        sees the metadata of
    ============================  ===================================================================
    platform admin (authority)    every dataset
    member of the owner           every dataset of their organization, drafts included
    any logged-in user            published and deprecated datasets shared ``unconditional`` or
                                  ``conditional`` (so that people can find and ask for them)
    anonymous                     published and deprecated datasets that are ``public``
    ============================  ===================================================================

    Datasets shared ``none`` and drafts are invisible outside the owner organization: to others they
    do not exist (404, never 403, so that their existence is not given away).

``plan_read``
    May the caller read a table's *rows*, and in what form? The answer is a :class:`ReadPlan`: which
    columns, which row filter, which masks. Every read path applies the plan beneath whatever the
    caller asked (the SQL engine wraps each table in a view built from the plan), so no query, filter
    or protocol can get around it.

    ============================  ===================================================================
    dataset                       readable by
    ============================  ===================================================================
    any                           the platform admin and members of the owner organization, unmasked
    ``unconditional`` + public    anyone, anonymous included, with the default masks of column tags
    ``unconditional``             every member of any organization, with the default masks
    ``conditional``               others only through a grant (its columns, row filter and masks)
    ``none``                      nobody else
    ============================  ===================================================================

    Only published and deprecated datasets are read by anyone outside the owner organization.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from sqlalchemy import ColumnElement, and_, bindparam, false, inspect, or_, select, true
from sqlalchemy.orm import Session, contains_eager, defaultload, lazyload, object_session

from datavalley.catalog.models import Dataset, Organization, Table, TableColumn
from datavalley.catalog.tables import TableLocation, locate, table_record
from datavalley.config import Settings
from datavalley.errors import Forbidden, NotFound, Unauthorized

Role = Literal["admin", "editor", "member"]
ROLES: tuple[Role, ...] = ("admin", "editor", "member")
MaskKind = Literal["null", "hash", "redact", "year"]
ReadBasis = Literal["authority", "owner", "public", "unconditional", "grant"]

#: states whose data and metadata others may see
LIVE_STATES: tuple[str, ...] = ("published", "deprecated")


@dataclass(frozen=True)
class Caller:
    """Who is asking. Anonymous when ``user`` is None.

    >>> Caller(user="li", roles={"health": "editor"}).may_edit("health")
    True
    >>> ANONYMOUS.anonymous
    True
    """

    user: str | None = None
    user_id: int | None = None
    platform_admin: bool = False
    roles: Mapping[str, Role] = field(default_factory=lambda: MappingProxyType({}))
    #: a named external recipient (Delta Sharing) instead of a user
    recipient: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.user is None and self.recipient is None and not self.platform_admin

    @property
    def name(self) -> str:
        return self.user or (f"recipient:{self.recipient}" if self.recipient else "anonymous")

    @property
    def identity(self) -> str:
        """Who the caller is, as something no other caller can be: a user by id, a recipient by name
        (recipients are their own kind), the server's own authority, or anonymous as its own kind.

        Results, cursors and audit entries are bound to this, never to :attr:`name` (a user could be
        named like another kind of caller).

        >>> Caller(user="anonymous", user_id=7).identity, ANONYMOUS.identity
        ('user#7', 'anonymous')
        """
        if self.recipient is not None:
            return f"recipient:{self.recipient}"
        if self.user_id is not None:
            return f"user#{self.user_id}"
        if self.user is not None:
            return "authority" if self == AUTHORITY else f"user:{self.user}"
        return "anonymous" if not self.platform_admin else "authority"

    def role_in(self, org: str) -> Role | None:
        return self.roles.get(org)

    def is_member(self, org: str) -> bool:
        return org in self.roles

    def may_edit(self, org: str) -> bool:
        """Editors and admins of ``org`` (and the authority) manage its datasets."""
        return self.platform_admin or self.roles.get(org) in ("admin", "editor")

    def may_administer(self, org: str) -> bool:
        """Admins of ``org`` (and the authority) manage its members and grants."""
        return self.platform_admin or self.roles.get(org) == "admin"


ANONYMOUS = Caller()
#: the CLI on the server's own home folder, and internal jobs: the data authority itself
AUTHORITY = Caller(user="admin", platform_admin=True)


@dataclass(frozen=True)
class Mask:
    """How a column's values are hidden: ``null``, ``hash`` (salted, stable within one grant),
    ``redact`` (keep the first/last N characters), ``year`` (dates and timestamps: the year only)."""

    kind: MaskKind
    keep_first: int = 0
    keep_last: int = 0


#: default masks by column tag; a grant may lift them explicitly
TAG_MASKS: dict[str, Mask] = {
    "id_number": Mask("redact", keep_first=6, keep_last=0),
    "phone": Mask("redact", keep_first=3, keep_last=2),
    "name": Mask("redact", keep_first=1, keep_last=0),
    "address": Mask("redact", keep_first=6, keep_last=0),
    "free_text": Mask("null"),
    "birth_date": Mask("year"),
}


@dataclass(frozen=True)
class ReadPlan:
    """What one caller may read of one table: the rules every read path applies beneath the request."""

    location: TableLocation
    #: every column of the table, in table order (what exists)
    all_columns: tuple[str, ...]
    #: the columns the caller may read, in table order
    columns: tuple[str, ...]
    #: a checked SQL predicate over the table's columns, or None
    row_filter: str | None = None
    masks: Mapping[str, Mask] = field(default_factory=lambda: MappingProxyType({}))
    basis: ReadBasis = "owner"
    grant_id: int | None = None
    #: salt of ``hash`` masks: stable within one grant, different across grants
    salt: str = ""
    purpose: str | None = None
    #: the caller may read every column of every version (``columns`` names the newest version's);
    #: without it, only ``columns``, whatever else an older version holds
    every_column: bool = False

    @property
    def rules(self) -> str:
        """A digest of what the plan lets the caller read of the table, whatever its version: equal for
        two plans exactly when they show the same rows and values (who, on what basis, which columns,
        row filter, masks and their key). Results made under a plan are served only while it holds."""
        shape = {
            "table": self.location.ref,
            "basis": self.basis,
            "grant": self.grant_id,
            "columns": None if self.every_column else list(self.columns),
            "row_filter": self.row_filter,
            "masks": {c: [m.kind, m.keep_first, m.keep_last] for c, m in sorted(self.masks.items())},
            "key": hashlib.sha256(self.salt.encode()).hexdigest() if self.salt else "",
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True, ensure_ascii=False).encode()).hexdigest()

    @property
    def unrestricted(self) -> bool:
        """Nothing to hide in any version: read the table as it is. Masks may name columns that only
        older versions hold (their tags are kept), so a plan with any mask is never unrestricted."""
        return self.every_column and self.row_filter is None and not self.masks


# --- metadata visibility ----------------------------------------------------------------------------


def may_see_dataset(caller: Caller, *, org: str, sharing: str, public: bool, state: str) -> bool:
    """May ``caller`` see this dataset's metadata? (See the module docstring's first table.)"""
    if caller.platform_admin or caller.is_member(org):
        return True
    if state not in LIVE_STATES or sharing == "none":
        return False
    if public and sharing == "unconditional":
        return True
    return not caller.anonymous


def visible_datasets(caller: Caller | None) -> ColumnElement[bool]:
    """The same rule as :func:`may_see_dataset`, as a SQL condition over ``Dataset`` (for searches).

    ``None`` is a trusted internal caller with no restriction.
    """
    if caller is None or caller.platform_admin:
        return true()
    live = and_(Dataset.state.in_(LIVE_STATES), Dataset.sharing != "none")
    if caller.anonymous:
        seen = and_(live, Dataset.public.is_(True), Dataset.sharing == "unconditional")
    else:
        seen = live
    if caller.roles:
        own = Dataset.organization_id.in_(
            select(Organization.id).where(Organization.name.in_(list(caller.roles)))
        )
        return or_(own, seen)
    return seen if caller.recipient is None else false()


def check_dataset_visible(session: Session, caller: Caller, org: str, name: str) -> Dataset:
    """The dataset, or the same 404 an unknown one gets when the caller may not see it."""
    found = session.scalar(
        select(Dataset).join(Organization).where(Organization.name == org, Dataset.name == name)
    )
    if found is None or not may_see_dataset(
        caller, org=org, sharing=found.sharing, public=found.public, state=found.state
    ):
        if session.scalar(select(Organization.id).where(Organization.name == org)) is None:
            raise NotFound(f"organization `{org}` does not exist")
        raise NotFound(f"dataset `{org}/{name}` does not exist")
    return found


def check_may_edit(caller: Caller, org: str, what: str) -> None:
    """Editors of the owner organization (and the authority) change its datasets and tables.

    Anonymous callers get 401 (log in), others 403.
    """
    if not caller.may_edit(org):
        if caller.anonymous:
            raise Unauthorized(f"{what} needs the editor role in organization `{org}`; log in as an editor")
        raise Forbidden(
            f"{what} needs the editor role in organization `{org}`; `{caller.name}` is not an editor"
        )


def check_dataset_editable(session: Session, caller: Caller, org: str, name: str, what: str) -> Dataset:
    """The dataset, if the caller may change it: 404 if it is hidden from them, else 401/403 if not an editor."""
    found = check_dataset_visible(session, caller, org, name)
    check_may_edit(caller, org, what)
    return found


def check_may_administer(caller: Caller, org: str, what: str) -> None:
    """Admins of the organization (and the authority) manage its members and the organization itself."""
    if not caller.may_administer(org):
        if caller.anonymous:
            raise Unauthorized(f"{what} needs the admin role in organization `{org}`; log in as its admin")
        raise Forbidden(f"{what} needs the admin role in organization `{org}`; `{caller.name}` is not one")


def check_platform_admin(caller: Caller, what: str) -> None:
    """Only the data authority (platform admins) creates organizations and manages users."""
    if not caller.platform_admin:
        if caller.anonymous:
            raise Unauthorized(f"{what} needs a platform admin; log in as one")
        raise Forbidden(f"{what} needs a platform admin (the data authority); `{caller.name}` is not one")


def check_logged_in(caller: Caller, what: str) -> None:
    """Anything about "me" needs a user: anonymous callers get 401."""
    if caller.user is None:
        raise Unauthorized(f"{what} needs you to log in (a session, or `Authorization: Bearer <token>`)")


# --- reading rows ---------------------------------------------------------------------------------


def _tag_masks(table: Table, columns: Sequence[str] | None) -> dict[str, Mask]:
    """The default mask of each tagged column among ``columns`` (``None``: every noted column, also
    those only older versions hold)."""
    masks: dict[str, Mask] = {}
    for name, tags in _column_tags(table):
        if columns is not None and name not in columns:
            continue
        for tag in tags:
            if tag in TAG_MASKS:
                masks[name] = TAG_MASKS[tag]
                break
    return masks


_COLUMN_TAGS = (
    select(TableColumn.name, TableColumn.tags)
    .where(TableColumn.table_id == bindparam("table_id"))
    .order_by(TableColumn.position)
)


def _column_tags(table: Table) -> list[tuple[str, list[str]]]:
    """Each described column's tags: from the loaded column notes, else by one plain query (no objects)."""
    session = object_session(table)
    if session is None or "columns" not in inspect(table).unloaded:
        return [(c.name, list(c.tags)) for c in table.columns]
    return [(name, list(tags or ())) for name, tags in session.execute(_COLUMN_TAGS, {"table_id": table.id})]


def table_columns(location: TableLocation) -> tuple[str, ...]:
    """The table's column names at its newest version, in order (the newest is checked at every call)."""
    from datavalley.storage import delta

    return delta.table_snapshot(location.uri, name=f"table `{location.ref}`").columns


#: a table with its dataset and organization from the same joins (no tags or themes: reads need none);
#: built once, as every read runs it
_TABLE_WITH_DATASET = (
    select(Table)
    .join(Dataset, Table.dataset_id == Dataset.id)
    .join(Organization, Dataset.organization_id == Organization.id)
    .where(Organization.name == bindparam("org"), Dataset.name == bindparam("dataset"))
    .where(Table.name == bindparam("table"))
    .options(
        contains_eager(Table.dataset).contains_eager(Dataset.organization),
        defaultload(Table.dataset).lazyload(Dataset.tag_rows),
        defaultload(Table.dataset).lazyload(Dataset.theme_rows),
        lazyload(Table.columns),  # only the tags are needed, and only for masks: see _column_tags
    )
)


def _table_with_dataset(session: Session, org: str, dataset: str, table: str) -> Table | None:
    """The table with its dataset and organization in one query."""
    return session.scalar(_TABLE_WITH_DATASET, {"org": org, "dataset": dataset, "table": table})


def plan_read(
    session: Session,
    settings: Settings,
    caller: Caller,
    org: str,
    dataset: str,
    table: str,
    *,
    columns: Sequence[str] | None = None,
    now: datetime | None = None,
) -> ReadPlan:
    """Decide what ``caller`` may read of ``org/dataset/table``.

    Raises ``NotFound`` where even the dataset's existence is hidden from the caller, ``Forbidden``
    where the caller sees the dataset but may not read its rows (the message says how to get access).
    ``columns`` is the table's column list when the caller already knows it (saves opening the table).
    """
    record = _table_with_dataset(session, org, dataset, table)
    if record is None or not may_see_dataset(
        caller,
        org=org,
        sharing=record.dataset.sharing,
        public=record.dataset.public,
        state=record.dataset.state,
    ):
        check_dataset_visible(session, caller, org, dataset)  # the 404 of a hidden or missing dataset
        record = table_record(session, org, dataset, table)  # the 404 naming the tables there are
    ds = record.dataset
    location = locate(settings, record)
    all_columns = tuple(columns) if columns is not None else table_columns(location)
    if caller.platform_admin:
        return ReadPlan(location, all_columns, all_columns, basis="authority", every_column=True)
    if caller.is_member(org):
        return ReadPlan(location, all_columns, all_columns, basis="owner", every_column=True)
    if ds.state in LIVE_STATES and ds.sharing == "unconditional":
        if ds.public:
            basis: ReadBasis = "public"
        elif caller.anonymous:
            raise NotFound(f"dataset `{org}/{dataset}` does not exist")
        elif caller.roles or caller.recipient:
            basis = "unconditional"
        else:
            raise Forbidden(
                f"dataset `{org}/{dataset}` is shared with members of organizations; "
                f"`{caller.name}` belongs to none: ask an organization admin to add you"
            )
        masks = _tag_masks(record, None)
        return ReadPlan(
            location, all_columns, all_columns, masks=MappingProxyType(masks), basis=basis, every_column=True
        )
    if ds.sharing == "conditional" and ds.state in LIVE_STATES:
        from datavalley.access.grants import plan_from_grants  # grants build on this module

        granted = plan_from_grants(session, caller, ds, record, location, all_columns, now=now)
        if granted is not None:
            return granted
        raise Forbidden(
            f"dataset `{org}/{dataset}` is shared on conditions: `{caller.name}` has no grant for "
            f"table `{table}`; open a request for it (purpose and period) and wait for approval"
        )
    raise Forbidden(f"dataset `{org}/{dataset}` is not shared outside organization `{org}`")
