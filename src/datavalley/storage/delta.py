"""Reading Delta table metadata through ``deltalake``: schema, exact row counts, size, history.

Counts and sizes come from the table's log (each file's ``numRecords`` and size), never from a scan.
Engine errors are translated here; callers never see a ``deltalake`` exception.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from datavalley.errors import DataValleyError, NotFound

#: keys DataValley writes into each commit's custom metadata
COMMIT_USER = "datavalley.user"
COMMIT_MODE = "datavalley.mode"
COMMIT_SOURCE = "datavalley.source"
COMMIT_ROWS = "datavalley.rows"
COMMIT_REJECTED = "datavalley.rejected"


@dataclass(frozen=True)
class TableVersion:
    version: int
    timestamp: datetime
    operation: str
    mode: str | None
    user: str | None
    source: str | None
    rows_written: int | None
    rows_rejected: int | None


def open_delta(uri: str, *, version: int | None = None, name: str = "table") -> DeltaTable:
    """The Delta table at ``uri``, at ``version`` (default: the newest)."""
    try:
        table = DeltaTable(uri)
    except TableNotFoundError:
        raise NotFound(f"the data of {name} is missing at {uri}") from None
    if version is not None:
        newest = table.version()
        if version < 0 or version > newest:
            raise NotFound(f"{name} has no version {version}; its versions are 0 to {newest}")
        try:
            table.load_as_version(version)
        except DeltaError as exc:
            raise NotFound(f"version {version} of {name} cannot be read: {exc}") from None
    return table


def add_actions(table: DeltaTable) -> pa.Table:
    # read through the Arrow stream interface: pa.table() would first import pandas to check for a
    # DataFrame, a third of a second on every load and every `table show`
    return pa.RecordBatchReader.from_stream(table.get_add_actions(flatten=True)).read_all()


def row_count(table: DeltaTable) -> int:
    """Exact number of rows, summed from the log's per-file record counts (no data is read)."""
    actions = add_actions(table)
    if actions.num_rows == 0:
        return 0
    counts = actions.column("num_records").to_pylist()
    if any(c is None for c in counts):  # a file written without statistics: count it the slow way
        return int(table.count())
    return int(sum(counts))


def size_bytes(table: DeltaTable) -> int:
    actions = add_actions(table)
    return int(sum(actions.column("size_bytes").to_pylist())) if actions.num_rows else 0


def history(table: DeltaTable) -> list[TableVersion]:
    """Every version, newest first, with who loaded it and how (from DataValley's commit metadata)."""
    out = []
    for entry in table.history():
        metrics = entry.get("operationMetrics") or {}
        rows = _int(entry.get(COMMIT_ROWS))
        if rows is None:
            rows = _int(metrics.get("num_source_rows")) if entry.get("operation") == "MERGE" else None
        if rows is None:
            rows = _int(metrics.get("num_added_rows"))
        out.append(
            TableVersion(
                version=int(entry["version"]),
                timestamp=datetime.fromtimestamp(entry["timestamp"] / 1000, UTC),
                operation=str(entry.get("operation", "")),
                mode=entry.get(COMMIT_MODE) or _mode(entry),
                user=entry.get(COMMIT_USER),
                source=entry.get(COMMIT_SOURCE),
                rows_written=rows,
                rows_rejected=_int(entry.get(COMMIT_REJECTED)),
            )
        )
    return out


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _mode(entry: dict[str, Any]) -> str | None:
    params = entry.get("operationParameters") or {}
    mode = params.get("mode")
    if isinstance(mode, str):
        return {"ErrorIfExists": "create", "Append": "append", "Overwrite": "overwrite"}.get(mode, mode)
    if entry.get("operation") == "RESTORE":
        return "rollback"
    return None


def default_user() -> str:
    """Who is loading, when no signed-in user is known: the operating-system account."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def delta_error(exc: Exception, what: str) -> DataValleyError:
    """A deltalake exception as one of ours, naming the table."""
    return DataValleyError(f"{what}: the table store refused the change ({exc})")


def json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
