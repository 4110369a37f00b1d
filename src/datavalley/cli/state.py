"""The runtime the CLI commands work on, opened once per invocation from the settings."""

from __future__ import annotations

from pathlib import Path

from datavalley.config import Settings, get_settings
from datavalley.runtime import Runtime, open_runtime

_home_override: Path | None = None


def set_home(home: Path | None) -> None:
    global _home_override
    _home_override = home


def settings() -> Settings:
    return get_settings(home=_home_override) if _home_override else get_settings()


def runtime(*, ready: bool = True) -> Runtime:
    """The runtime; with ``ready`` it must have been initialised (pending migrations are applied)."""
    rt = open_runtime(settings())
    if ready:
        rt.ensure_ready()
    return rt
