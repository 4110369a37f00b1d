"""DataValley: gather, connect and use a region's data.

The public Python API is small on purpose; most users reach DataValley through its CLI and HTTP API.
Its names are imported on first use, so that ``import datavalley`` (which every command pays for) stays
cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datavalley.config import Settings, get_settings
    from datavalley.errors import DataValleyError

__version__ = "0.1.0"

__all__ = ["DataValleyError", "Settings", "__version__", "get_settings"]

_LAZY = {
    "Settings": "datavalley.config",
    "get_settings": "datavalley.config",
    "DataValleyError": "datavalley.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'datavalley' has no attribute {name!r}")
