"""A small world for the sharing tests: a provider, two consumers, the authority, one conditional table.

``stats/people`` (conditional, published) has the table ``people`` (id, name, city, score, born, ...);
its ``name`` column is tagged ``name`` (default mask: first character kept), ``born`` ``birth_date``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from datavalley.access.accounts import UserCreate, caller_named, create_user, set_membership
from datavalley.access.policy import Caller
from datavalley.catalog.tables import ColumnUpdate, update_column
from datavalley.errors import Conflict
from datavalley.runtime import Runtime
from tests.factories import make_dataset, make_org
from tests.query.tables import PEOPLE_CSV, load_table

#: a Monday, 10:00 in Beijing
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

USERS = {
    # name: (platform admin, {org: role})
    "boss": (True, {}),
    "li": (False, {"stats": "editor"}),
    "mei": (False, {"stats": "member"}),
    "wang": (False, {"health": "member"}),
    "hu": (False, {"health": "editor"}),
    "zhao": (False, {"transport": "member"}),
}


@dataclass
class World:
    rt: Runtime

    def caller(self, name: str) -> Caller:
        with self.rt.session() as session:
            return caller_named(session, name)


def build_world(rt: Runtime, tmp_path: Path, *, sharing: str = "conditional") -> World:
    with rt.session() as session:
        for org in ("stats", "health", "transport"):
            with contextlib.suppress(Conflict):
                make_org(session, org)
        make_dataset(session, "stats/people", title="People", sharing=sharing, state="published")
        for name, (admin, roles) in USERS.items():
            create_user(session, UserCreate(name=name, platform_admin=admin))
            for org, role in roles.items():
                set_membership(session, org, name, role)
    load_table(rt, tmp_path, "people", PEOPLE_CSV)
    with rt.session() as session:
        for column, tag in (("name", "name"), ("born", "birth_date")):
            update_column(session, rt.settings, "stats", "people", "people", column, ColumnUpdate(tags=[tag]))
    return World(rt)
