"""Every model module, imported once so that ``Base.metadata`` knows all tables."""

from __future__ import annotations


def import_all_models() -> None:
    import datavalley.access.models  # noqa: F401
    import datavalley.access.sharing_models  # noqa: F401
    import datavalley.catalog.models  # noqa: F401
    import datavalley.interop.harvest_models  # noqa: F401
    import datavalley.interop.sharing.models  # noqa: F401
    import datavalley.query.models  # noqa: F401
