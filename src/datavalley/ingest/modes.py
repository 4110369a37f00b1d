"""The closed sets a load is configured with (kept apart so the CLI can name them without loading DuckDB)."""

from __future__ import annotations

from typing import Literal

WriteMode = Literal["create", "append", "overwrite", "upsert"]
OnError = Literal["fail", "skip"]
