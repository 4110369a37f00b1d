"""Sites: the data centres tables live on. The embedded default is one site, ``local``, a folder.

A table's location is always *site + path*; replication across several sites builds on that.
"""

from __future__ import annotations

from pathlib import Path

from datavalley.config import Settings
from datavalley.errors import NotFound

DEFAULT_SITE = "local"


def site_root(settings: Settings, site: str) -> Path:
    """The folder holding the site's tables (created on first use)."""
    if site != DEFAULT_SITE:
        raise NotFound(f"site `{site}` is not configured; this installation has only `{DEFAULT_SITE}`")
    root = settings.sites_dir / site
    root.mkdir(parents=True, exist_ok=True)
    return root


def table_uri(settings: Settings, site: str, path: str) -> str:
    """Where the Delta table at ``path`` on ``site`` lives, as a URI deltalake understands."""
    return str(site_root(settings, site) / path)
