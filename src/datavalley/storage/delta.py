"""Reading Delta table metadata through ``deltalake``: schema, exact row counts, size, history.

Counts and sizes come from the table's log (each file's ``numRecords`` and size), never from a scan.
Engine errors are translated here; callers never see a ``deltalake`` exception.

Reads remember what a version's log says (:func:`table_snapshot`): a committed Delta version never
changes, so its schema and file list are kept, keyed by the table, the version and the identity of
the version's commit file. Which version is the newest is asked of the log folder on every call (a
``stat`` or two), so a version committed by any process is read by the very next query.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from datavalley.errors import DataValleyError, NotFound

log = logging.getLogger("datavalley.storage")

if TYPE_CHECKING:  # pyarrow (and numpy with it) is imported where used: 0.15 s that `ingest` does without
    import pyarrow as pa

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


def _missing(name: str, uri: str) -> NotFound:
    """The catalog names a table whose Delta folder is gone: the path goes to the server's log only."""
    log.warning("the data of %s is missing at %s", name, uri)
    return NotFound(
        f"the data of {name} is missing on this server; an administrator can restore it from a "
        "replica or a backup (the server's log names the folder)"
    )


def open_delta(uri: str, *, version: int | None = None, name: str = "table") -> DeltaTable:
    """The Delta table at ``uri``, at ``version`` (default: the newest)."""
    try:
        table = DeltaTable(uri)
    except TableNotFoundError:
        raise _missing(name, uri) from None
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
    import pyarrow as pa

    # read through the Arrow stream interface: pa.table() would first import pandas to check for a
    # DataFrame, a third of a second on every load and every `table show`
    return pa.RecordBatchReader.from_stream(table.get_add_actions(flatten=True)).read_all()


def row_count(table: DeltaTable) -> int:
    """Exact number of rows, summed from the log's per-file record counts (no data is read)."""
    actions = table.get_add_actions(flatten=True)  # an Arrow table of deltalake's own (no pyarrow)
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


# --- versions, remembered ---------------------------------------------------------------------------

_COMMIT = re.compile(r"(\d{20})\.json")
#: the newest version seen per table: where probing for newer commits starts
_newest: dict[str, int] = {}


def _commit_file(uri: str, version: int) -> Path:
    return Path(uri) / "_delta_log" / f"{version:020d}.json"


def _commit_stamp(uri: str, version: int) -> tuple[int, int, int] | None:
    """Identity of version ``version``'s commit file (device, inode, modification time), or None if gone."""
    try:
        st = os.stat(_commit_file(uri, version))
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


def newest_version(uri: str) -> int | None:
    """The newest committed version of the local Delta table at ``uri``, from its log folder alone.

    Delta commits version N as the file ``_delta_log/<N, 20 digits>.json``, created atomically, and
    versions are consecutive. So the newest is found by checking, from the newest seen before, whether
    the next commit file exists (one ``stat`` when nothing changed); the folder is listed only the
    first time, or when the version seen before is gone (the table was replaced). None when ``uri``
    holds no readable log (a missing table, or a table that is not on a local disk).
    """
    seen = _newest.get(uri)
    if seen is not None and _commit_file(uri, seen).exists():
        version = seen
    else:
        try:
            names = os.listdir(Path(uri) / "_delta_log")
        except OSError:
            return None
        found = [int(m.group(1)) for name in names if (m := _COMMIT.fullmatch(name))]
        if not found:
            return None
        version = max(found)
    while _commit_file(uri, version + 1).exists():
        version += 1
    _newest[uri] = version
    return version


@dataclass(frozen=True)
class TableSnapshot:
    """One version of a Delta table as its log describes it (immutable: safe to keep and share)."""

    version: int
    #: the table's columns, Arrow types as :func:`plain_type` gives them (``string``, not views)
    schema: pa.Schema
    #: the version's data files, absolute URIs as deltalake gives them
    file_uris: tuple[str, ...]
    partition_columns: tuple[str, ...]
    min_reader_version: int
    reader_features: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)


SNAPSHOTS = 256
_snapshots: OrderedDict[tuple[str, int, tuple[int, int, int]], TableSnapshot] = OrderedDict()
_snapshots_lock = threading.Lock()


def plain_type(kind: pa.DataType) -> pa.DataType:
    """The one Arrow type DataValley stores for ``kind``'s Delta type, through nested types too.

    Delta has one ``string``, one ``binary`` and one ``array`` type; Arrow has several layouts of
    each (``string_view``, ``large_string``, ``list_view`` …), and a Parquet file records the layout
    it was written from. Files of one column in several layouts break pyarrow's filters (it has no
    comparison kernels for views), so every write stores, and every read asks for, these:
    ``string``, ``binary`` and ``list``.

    >>> import pyarrow as pa
    >>> plain_type(pa.list_view(pa.string_view()))
    ListType(list<item: string>)
    """
    import pyarrow as pa

    t = pa.types
    if t.is_string_view(kind) or t.is_large_string(kind):
        return pa.string()
    if t.is_binary_view(kind) or t.is_large_binary(kind):
        return pa.binary()
    if t.is_list(kind) or t.is_large_list(kind) or t.is_list_view(kind) or t.is_large_list_view(kind):
        return pa.list_(plain_field(kind.value_field))
    if t.is_map(kind):
        return pa.map_(plain_field(kind.key_field), plain_field(kind.item_field))
    if t.is_struct(kind):
        return pa.struct([plain_field(kind.field(i)) for i in range(kind.num_fields)])
    return kind


def plain_field(field: pa.Field) -> pa.Field:
    return field.with_type(plain_type(field.type))


def plain_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every column of the type :func:`plain_type` gives (metadata kept)."""
    import pyarrow as pa

    return pa.schema([plain_field(f) for f in schema], metadata=schema.metadata)


def plain_batch(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """``batch`` in the types of ``schema`` (its :func:`plain_schema`)."""
    import pyarrow as pa

    columns = [_plain_array(c, f.type) for c, f in zip(batch.columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _plain_array(array: pa.Array, kind: pa.DataType) -> pa.Array:
    """``array`` as ``kind``; list views are rebuilt by hand (pyarrow 23 casts them to lists wrongly)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = pa.types
    if t.is_list_view(array.type) or t.is_large_list_view(array.type):
        values = _plain_array(array.flatten(), kind.value_type)
        lengths = pc.fill_null(array.value_lengths(), 0).cast(pa.int32())
        offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths)])
        return pa.ListArray.from_arrays(offsets, values, type=kind, mask=array.is_null())
    if t.is_struct(array.type) and array.type != kind:
        children = [_plain_array(array.field(i), kind.field(i).type) for i in range(kind.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(kind), mask=array.is_null())
    if (t.is_list(array.type) or t.is_large_list(array.type)) and array.type != kind:
        if array.offset or array.null_count:  # flatten() drops nulls' slots and the offset: rebuild
            lengths = pc.fill_null(pc.list_value_length(array), 0).cast(pa.int32())
            offsets = pa.concat_arrays([pa.array([0], pa.int32()), pc.cumulative_sum(lengths)])
        else:
            offsets = pc.subtract(array.offsets, array.offsets[0]).cast(pa.int32())
        values = _plain_array(array.flatten(), kind.value_type)
        return pa.ListArray.from_arrays(offsets, values, type=kind, mask=array.is_null())
    return array if array.type == kind else array.cast(kind)


def snapshot_of(table: DeltaTable) -> TableSnapshot:
    """What an open table's loaded version is: schema, data files, partition columns, protocol."""
    import pyarrow as pa

    schema = pa.schema(table.schema())
    protocol = table.protocol()
    return TableSnapshot(
        version=table.version(),
        schema=plain_schema(schema),
        file_uris=tuple(table.file_uris()),
        partition_columns=tuple(table.metadata().partition_columns),
        min_reader_version=protocol.min_reader_version,
        reader_features=tuple(protocol.reader_features or ()),
    )


def table_snapshot(uri: str, *, version: int | None = None, name: str = "table") -> TableSnapshot:
    """Version ``version`` (default: the newest, checked now) of the table at ``uri``, remembered.

    The newest version is looked up on every call (:func:`newest_version`); a version's snapshot is
    read from the log once and then kept, keyed by ``uri``, the version and its commit file's
    identity, so a table replaced at the same place is never answered from the old one's snapshot.
    Where the log folder cannot be read directly, or the version's commit file is gone (logs cleaned
    up), the table is opened as :func:`open_delta` does and nothing is kept. Errors as ``open_delta``.
    """
    newest = newest_version(uri)
    if newest is None:
        return snapshot_of(open_delta(uri, version=version, name=name))
    wanted = newest if version is None else version
    if wanted < 0 or wanted > newest:
        raise NotFound(f"{name} has no version {version}; its versions are 0 to {newest}")
    stamp = _commit_stamp(uri, wanted)
    if stamp is None:
        return snapshot_of(open_delta(uri, version=wanted, name=name))
    key = (uri, wanted, stamp)
    with _snapshots_lock:
        found = _snapshots.get(key)
        if found is not None:
            _snapshots.move_to_end(key)
            return found
    made = snapshot_of(_open_exactly(uri, wanted, name))
    with _snapshots_lock:
        _snapshots[key] = made
        while len(_snapshots) > SNAPSHOTS:
            _snapshots.popitem(last=False)
    return made


def _open_exactly(uri: str, version: int, name: str) -> DeltaTable:
    """The table at ``version``, read straight at that version (one pass over the log)."""
    try:
        return DeltaTable(uri, version=version)
    except TableNotFoundError:
        raise _missing(name, uri) from None
    except DeltaError as exc:
        raise NotFound(f"version {version} of {name} cannot be read: {exc}") from None


def forget_snapshots() -> None:
    """Drop every remembered snapshot and newest version (tests; nothing else needs it)."""
    with _snapshots_lock:
        _snapshots.clear()
    _newest.clear()
