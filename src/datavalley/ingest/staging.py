"""Staged Parquet: DuckDB writes a load's files itself; they become one Delta version in one commit.

For a table whose columns all have plain Delta types (numbers, text, dates, timestamps, booleans,
binary), the typed, guarded scan is written by DuckDB's own Parquet writer, on every thread and without
first turning the rows into Arrow batches: ``COPY (scan) TO '<table>/_stage-…/part-0.parquet'
(RETURN_STATS)``, one file holding the rows in the input's order. The same statement returns the file's
row count and column statistics, which become the ``add`` action's ``stats`` (exact row counts without
a scan, and min/max for file skipping). The file is then moved beside the table's other files and
committed through ``deltalake``'s transaction API as one version.

Atomicity is the same as ``write_deltalake``'s: readers see only files that a committed version
names. A load that fails leaves nothing behind (its files are removed); one that is killed may leave
files that no version names, which never change what the table holds; the next load of the table
removes a ``_stage-…`` folder that has sat idle for an hour (:func:`sweep`).

Statistics kept per column (Delta's ``minValues`` / ``maxValues`` / ``nullCount``): the null count of
every column; min and max of integers, decimals, doubles (not when the file holds NaN), dates,
booleans, and of text up to :data:`MAX_TEXT_STAT` characters, each only when DuckDB reports it exact.
Timestamps and binary get no min/max: Delta truncates timestamps to milliseconds, and a max rounded
down would let a reader skip a file that holds a match. A missing statistic is always safe.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import duckdb
from deltalake import CommitProperties, DeltaTable, Field, Schema
from deltalake.schema import PrimitiveType
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from datavalley.errors import InvalidInput
from datavalley.ingest.readers import sql_string

#: DuckDB result types a staged load writes → their Delta types; anything else (nested types) goes
#: through ``write_deltalake``
DELTA_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "byte",
    "SMALLINT": "short",
    "INTEGER": "integer",
    "BIGINT": "long",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "string",
    "DATE": "date",
    "TIMESTAMP": "timestamp_ntz",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "BLOB": "binary",
}
_DECIMAL_TYPE = re.compile(r"DECIMAL\(([0-9]+), ?([0-9]+)\)")
#: longest text whose min/max go into the log (longer values make a large log for little skipping)
MAX_TEXT_STAT = 64
#: how often the progress bar is told how far DuckDB has read
POLL_SECONDS = 0.1
#: a ``_stage-…`` folder untouched this long is a killed load's leftover (see :func:`sweep`)
STALE_STAGE_SECONDS = 3600.0

StageMode = Literal["create", "append", "overwrite"]

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_DOUBLE = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"}


@dataclass(frozen=True)
class StagedFile:
    path: Path
    rows: int
    size: int
    stats: dict[str, dict[str, str]]  # column name → DuckDB's statistics of it in this file


def delta_schema(names: Sequence[str], duck_types: Sequence[str]) -> Schema | None:
    """The Delta schema of a scan with these result columns, or None if one has no flat Delta type."""
    fields = []
    for name, kind in zip(names, duck_types, strict=True):
        delta_type = DELTA_TYPES.get(kind.upper())
        if delta_type is None and (m := _DECIMAL_TYPE.fullmatch(kind.upper())):
            delta_type = f"decimal({m.group(1)},{m.group(2)})"
        if delta_type is None:
            return None
        fields.append(Field(name, PrimitiveType(delta_type), nullable=True))
    return Schema(fields)


def fits_protocol(uri: str, schema: Schema) -> bool:
    """Whether the existing table at ``uri`` may take ``schema`` without a protocol upgrade.

    A staged commit cannot raise the table's protocol in the same version (``write_deltalake`` can):
    overwriting a table that has no ``timestamp_ntz`` column with one that has is left to it.
    """
    if not any(str(getattr(f.type, "type", "")) == "timestamp_ntz" for f in schema.fields):
        return True
    protocol = DeltaTable(uri).protocol()
    return "timestampNtz" in (protocol.writer_features or [])


def _is_decimal(kind: str) -> bool:
    return kind.upper().startswith("DECIMAL")


def stage_dir(uri: str) -> Path:
    """A new, unique staging folder inside the table's folder (the same file system: moves are renames)."""
    return Path(uri) / f"_stage-{uuid.uuid4().hex}"


def write_staged(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    folder: Path,
    *,
    row_group_rows: int,
    on_progress: Callable[[float], None] | None = None,
) -> list[StagedFile]:
    """Run ``COPY (sql) TO folder`` as Parquet files (Snappy, bounded row groups); their rows and stats.

    ``on_progress`` is called with DuckDB's percentage done while the statement runs (from this
    thread, every :data:`POLL_SECONDS`); DuckDB errors are raised as they are, for the caller to explain.
    """
    folder.mkdir(parents=True, exist_ok=True)
    # one file, in the input's order: DuckDB still encodes row groups on every thread, but its
    # faster PER_THREAD_OUTPUT (and FILE_SIZE_BYTES, ROW_GROUPS_PER_FILE) would scatter the rows
    # across files, and a table shown without a sort would no longer read like its file
    target = sql_string(str(folder / "part-0.parquet"))
    copy = (
        f"COPY ({sql}) TO {target} (FORMAT parquet, COMPRESSION snappy, "
        f"ROW_GROUP_SIZE {int(row_group_rows)}, RETURN_STATS true)"
    )
    if on_progress is None:
        rows = con.execute(copy).fetchall()
    else:
        rows = _run_watched(con, copy, on_progress)
    return [
        StagedFile(Path(name), int(count), int(size), _by_column(stats or {}))
        for name, count, size, _footer, stats, *_rest in rows
    ]


def _run_watched(
    con: duckdb.DuckDBPyConnection, sql: str, on_progress: Callable[[float], None]
) -> list[tuple[Any, ...]]:
    """Execute ``sql`` on a worker thread while this one reports progress; Ctrl-C interrupts DuckDB."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["rows"] = con.execute(sql).fetchall()
        except BaseException as exc:  # handed to the calling thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="datavalley-ingest", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL_SECONDS)
            try:
                done = float(con.query_progress())
            except (duckdb.Error, TypeError, ValueError):
                done = -1.0
            if done >= 0:
                on_progress(min(done, 100.0))
    except BaseException:
        con.interrupt()
        worker.join()
        raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["rows"]


def _by_column(stats: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """DuckDB names columns in RETURN_STATS as quoted identifiers (``"a""b"``); unquote them."""
    out = {}
    for key, values in stats.items():
        if len(key) >= 2 and key.startswith('"') and key.endswith('"'):
            out[key[1:-1].replace('""', '"')] = values
        else:
            out[key] = values
    return out


def delta_stats(file: StagedFile, types: dict[str, str]) -> str:
    """The ``stats`` JSON of one file's ``add`` action (``types``: column name → stored DuckDB type)."""
    low: dict[str, Any] = {}
    high: dict[str, Any] = {}
    nulls: dict[str, int] = {}
    for name, kind in types.items():
        stats = file.stats.get(name)
        if stats is None:
            continue
        if (count := stats.get("null_count")) is not None and count.isdigit():
            nulls[name] = int(count)
        if stats.get("min_is_exact") != "true" or stats.get("max_is_exact") != "true":
            continue
        pair = _bounds(kind.upper(), stats)
        if pair is not None:
            low[name], high[name] = pair
    parts = [f'"numRecords":{file.rows}']
    if low:
        parts.append(f'"minValues":{_json_object(low)}')
        parts.append(f'"maxValues":{_json_object(high)}')
    parts.append(f'"nullCount":{json.dumps(nulls, ensure_ascii=False, separators=(",", ":"))}')
    return "{" + ",".join(parts) + "}"


class _Number(str):
    """A number's exact text, written into JSON as it is (no trip through float)."""


def _json_object(values: dict[str, Any]) -> str:
    items = []
    for name, value in values.items():
        text = str(value) if isinstance(value, _Number) else json.dumps(value, ensure_ascii=False)
        items.append(f"{json.dumps(name, ensure_ascii=False)}:{text}")
    return "{" + ",".join(items) + "}"


def _bounds(kind: str, stats: dict[str, str]) -> tuple[Any, Any] | None:
    low, high = stats.get("min"), stats.get("max")
    if low is None or high is None:
        return None
    if kind in _INTEGERS:
        pattern = _INTEGER
    elif _is_decimal(kind):
        pattern = _DECIMAL
    elif kind in ("DOUBLE", "FLOAT"):
        if stats.get("has_nan") == "true":
            return None
        pattern = _DOUBLE
    elif kind == "DATE":
        return (low, high) if _DATE.fullmatch(low) and _DATE.fullmatch(high) else None
    elif kind == "BOOLEAN":
        flags = {"true": True, "false": False}
        return (flags[low], flags[high]) if low in flags and high in flags else None
    elif kind == "VARCHAR":
        return (low, high) if len(low) <= MAX_TEXT_STAT and len(high) <= MAX_TEXT_STAT else None
    else:  # timestamps, binary: no min/max (see the module's docstring)
        return None
    if pattern.fullmatch(low) and pattern.fullmatch(high):
        return _Number(low), _Number(high)
    return None


def commit_staged(
    uri: str,
    files: list[StagedFile],
    *,
    schema: Schema,
    types: dict[str, str],
    mode: StageMode,
    commit: CommitProperties,
    name: str,
    removes: Sequence[RemoveAction] = (),
    table: DeltaTable | None = None,
) -> int:
    """Move the staged files beside the table's files and commit them as one version; that version.

    ``create`` makes the table (it must not exist yet), ``append`` adds to it (the schema must be the
    table's) and removes the files of ``removes`` in the same commit (an upsert), ``overwrite``
    replaces its files and, if it differs, its schema. ``table`` is the table as the caller read it
    (the commit conflicts with any change made since); by default it is opened here.
    """
    if removes and mode != "append":
        raise ValueError("only an append commit removes files")
    root = Path(uri)
    now = int(time.time() * 1000)
    tag = uuid.uuid4().hex
    if mode != "create":
        table = table or DeltaTable(uri)
        if mode == "append":
            _check_same_schema(table.schema(), schema, name)
    moved: list[Path] = []
    actions = []
    try:
        for number, file in enumerate(files):
            target = f"part-{number:05d}-{tag}-c000.snappy.parquet"
            os.replace(file.path, root / target)
            moved.append(root / target)
            actions.append(
                AddAction(
                    path=target,
                    size=file.size,
                    partition_values={},
                    modification_time=now,
                    data_change=True,
                    stats=delta_stats(file, types),
                )
            )
        if mode == "create" or table is None:
            create_table_with_add_actions(uri, schema, actions, mode="error", commit_properties=commit)
            return 0
        table.create_write_transaction(
            [*actions, *removes], mode=mode, schema=schema, commit_properties=commit
        )
    except BaseException:
        for path in moved:  # named by no version: nobody can be reading them
            path.unlink(missing_ok=True)
        raise
    # the table object does not follow its own commit: read the version again (as write_deltalake's
    # callers do; a load committed right after this one by another process could be counted here)
    return int(DeltaTable(uri).version())


def _check_same_schema(current: Schema, new: Schema, name: str) -> None:
    have = {f.name: str(f.type) for f in current.fields}
    for field in new.fields:
        kind = str(field.type)
        if field.name in have and have[field.name] != kind:
            raise InvalidInput.for_field(
                "source",
                f"column `{field.name}` would be stored as {kind}, but {name} holds "
                f"{have[field.name]}; use --mode overwrite to replace the table",
            )
    if set(have) != {f.name for f in new.fields}:
        raise InvalidInput.for_field(
            "source",
            f"the file's columns differ from those of {name}; use --mode overwrite to replace the table",
        )


def discard(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def sweep(uri: str, *, idle_seconds: float = STALE_STAGE_SECONDS) -> list[Path]:
    """Remove the ``_stage-…`` folders that killed loads left in the table's folder; the ones removed.

    A folder counts as left behind when nothing in it has changed for ``idle_seconds``: a running load's
    DuckDB writes a row group every few seconds, so another load's live folder is never taken.
    """
    removed: list[Path] = []
    cutoff = time.time() - idle_seconds
    for folder in Path(uri).glob("_stage-*"):
        try:
            changed = max([folder.stat().st_mtime, *(f.stat().st_mtime for f in folder.iterdir())])
        except OSError:  # removed meanwhile, or unreadable: not ours to judge
            continue
        if changed < cutoff and folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed
