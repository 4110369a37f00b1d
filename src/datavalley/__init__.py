"""DataValley: gather, connect and use a region's data.

The public Python API is small on purpose; most users reach DataValley through its CLI and HTTP API.
"""

from __future__ import annotations

from datavalley.config import Settings, get_settings
from datavalley.errors import DataValleyError

__version__ = "0.1.0"

__all__ = ["DataValleyError", "Settings", "__version__", "get_settings"]
