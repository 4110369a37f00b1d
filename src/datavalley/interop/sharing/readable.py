"""Which of a share's tables a recipient may read now: the one answer every protocol answer uses.

Putting a table in a share is not enough for a recipient to see it. The table is shown, in every
listing (schemas, tables, all tables) and on every table endpoint (version, metadata, query, changes,
the signed file URLs), only while ``plan_read`` with the recipient as caller lets it read the table
*now*: the dataset is published or deprecated and not shared ``none``, and it is ``unconditional`` or
a grant to the recipient covers the table (not revoked, not expired). Every other table of the share
answers exactly as a table that is not in it: the same 404, the same message. A schema (a dataset)
none of whose tables the recipient may read is not listed. The share itself, given to the recipient
by its provider, is always listed, even with nothing readable in it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from datavalley.access.policy import ReadPlan, plan_read
from datavalley.config import Settings
from datavalley.errors import Forbidden, NotFound
from datavalley.interop.sharing.models import Recipient, Share, ShareTable
from datavalley.interop.sharing.recipients import as_caller


def table_plan(
    session: Session,
    settings: Settings,
    recipient: Recipient,
    entry: ShareTable,
    *,
    columns: Sequence[str] | None = None,
) -> ReadPlan | None:
    """What ``recipient`` may read of the share's table now, or None when the policy refuses it.

    ``columns``: the table's columns when known (``plan_read`` then does not open the table).
    """
    dataset = entry.table.dataset
    try:
        return plan_read(
            session,
            settings,
            as_caller(recipient),
            dataset.organization.name,
            dataset.name,
            entry.table.name,
            columns=columns,
        )
    except (NotFound, Forbidden):
        return None


def readable_tables(
    session: Session, settings: Settings, recipient: Recipient, share: Share
) -> list[ShareTable]:
    """The share's tables ``recipient`` may read now, by schema and table name.

    A listing takes each table's columns from its column notes (the newest version's, as the SQL
    console does), so it does not open every table on its site; a table without notes is opened.
    """
    entries = sorted(share.tables, key=lambda t: (t.table.dataset.name, t.table.name))
    found = []
    for entry in entries:
        noted = [c.name for c in entry.table.columns if c.position >= 0] or None
        if table_plan(session, settings, recipient, entry, columns=noted) is not None:
            found.append(entry)
    return found


def missing_table(share: Share, schema: str, name: str) -> NotFound:
    """The one answer of a table the recipient may not see, whether it is in the share or not."""
    return NotFound(f"share `{share.name}` has no table `{schema}.{name}`")


def readable_table(
    session: Session, settings: Settings, recipient: Recipient, share: Share, schema: str, name: str
) -> tuple[ShareTable, ReadPlan]:
    """The share's table ``schema.name`` (case-insensitive) and its plan, if ``recipient`` may read it
    now; else :func:`missing_table`'s 404."""
    for entry in share.tables:
        if entry.table.dataset.name == schema.lower() and entry.table.name == name.lower():
            plan = table_plan(session, settings, recipient, entry)
            if plan is None:
                break
            return entry, plan
    raise missing_table(share, schema, name)
