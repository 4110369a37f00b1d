"""Every model module, imported once so that ``Base.metadata`` knows all tables."""

from __future__ import annotations


def import_all_models() -> None:
    import datavalley.access.models
    import datavalley.access.sharing_models
    import datavalley.catalog.models
    import datavalley.interop.harvest_models
    import datavalley.interop.sharing.models
    import datavalley.query.models  # noqa: F401
