"""Tables ``health/<name>/t`` shared in different ways, and a grant of one of them to ``stats``."""

from __future__ import annotations

from pathlib import Path

from datavalley.access import grants
from datavalley.access.policy import AUTHORITY
from datavalley.catalog import service as catalog
from datavalley.catalog.schemas import DatasetUpdate
from datavalley.runtime import Runtime
from tests.query.tables import load_table

#: name → (sharing class, public)
OPEN_AND_CONDITIONAL = {"cond": ("conditional", False), "open": ("unconditional", True)}


def load_health(rt: Runtime, tmp_path: Path, text: str, datasets: dict[str, tuple[str, bool]]) -> None:
    """CSV ``text`` as table ``t`` of each ``health/<name>``, published with its sharing class."""
    for name, (sharing, public) in datasets.items():
        load_table(rt, tmp_path, "t", text, dataset=f"health/{name}")
        with rt.session() as session:
            catalog.update_dataset(session, "health", name, DatasetUpdate(state="published", sharing=sharing))
            if public:
                catalog.update_dataset(session, "health", name, DatasetUpdate(public=True))


def grant_to_stats(rt: Runtime, dataset: str, rule: grants.TableRule, *, purpose: str = "study") -> int:
    """A grant of table ``t`` of ``dataset`` to organization ``stats``; its id."""
    with rt.session() as session:
        grant = grants.create_grant(
            session,
            rt.settings,
            AUTHORITY,
            grants.GrantCreate(dataset=dataset, organization="stats", purpose=purpose, tables={"t": rule}),
        )
        return grant.id
