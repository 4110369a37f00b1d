"""The Parquet files a recipient is handed for one table version, under the recipient's read plan.

Unrestricted plan (every column, every row, no mask) on a plain local table: the version's own data
files, listed from the Delta log (served through signed URLs, never as paths).

Anything else — a grant that limits columns or rows, a mask (a grant's, or a column tag's default),
or a table whose files do not stand alone (partition columns, reader features other than
``timestampNtz``) — gets a *filtered copy*: the plan's view (``query.relation.plan_select``, the same
SQL every other read path runs) is evaluated by the query engine over that version, and its record
batches are written with pyarrow to ``part-NNNNN.parquet`` files (at most ``ROWS_PER_FILE`` rows each).
The copy is kept in ``<home>/sharing/cache/<key>/`` where ``key`` is a SHA-256 over the table's
location and Delta id, the version, and everything in the plan that shapes the output (grant id,
columns, row filter, masks, salt). A new table version, another grant, or a change to a grant's terms
or to a column's tag therefore means another key, and so a new copy; a copy is never updated in place.
Copies are made in a temporary folder and renamed into place once complete (``manifest.json`` last),
so readers never see half a copy; copies unused for ``cache_days`` are deleted.

The schema handed out (``schemaString``) is the schema of the files served: for a copy, the
engine's result schema (a ``hash`` or ``redact`` mask makes a column a string, ``year`` a long).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import time
import urllib.parse
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable, Schema

from datavalley.access.policy import ReadPlan
from datavalley.config import Settings
from datavalley.errors import DataValleyError
from datavalley.query.duck import arrow_dataset, parquet_files
from datavalley.query.engine import TableInput, get_engine
from datavalley.query.service import limits_from
from datavalley.storage import delta

ROWS_PER_FILE = 1_000_000
#: bump when the copies' layout changes: every old copy is then made anew
COPY_FORMAT = 1
#: reader features whose tables' data files a plain Parquet reader still reads correctly
PLAIN_FEATURES = frozenset({"timestampNtz"})
CACHE_FILE = re.compile(r"part-\d{5}\.parquet")
CACHE_KEY = re.compile(r"[0-9a-f]{64}")
PRUNE_EVERY = 3600.0

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_last_prune = 0.0


@dataclass(frozen=True)
class ServedFile:
    """One file of a snapshot: ``name`` is its path in the table (raw) or in the copy."""

    id: str
    name: str
    size: int
    rows: int | None
    partition_values: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    version: int
    table_id: str
    schema_string: str
    files: list[ServedFile]
    #: None: the version's own files; else the key of the filtered copy
    cache_key: str | None
    partition_columns: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(f.rows or 0 for f in self.files)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def protocol_schema(schema_json: str) -> str:
    """A Delta schema as the sharing protocol writes it: ``timestamp_ntz`` is its ``timestamp``."""

    def fix(value: Any) -> Any:
        if value == "timestamp_ntz":
            return "timestamp"
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return json.dumps(fix(json.loads(schema_json)), separators=(",", ":"))


def raw_allowed(plan: ReadPlan, table: DeltaTable) -> bool:
    """May the version's own files be handed out as they are?"""
    if not plan.unrestricted or not Path(plan.location.uri).is_absolute():
        return False
    protocol = table.protocol()
    if set(protocol.reader_features or ()) - PLAIN_FEATURES:
        return False
    return not table.metadata().partition_columns


def _file_id(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def raw_snapshot(table: DeltaTable) -> Snapshot:
    actions = delta.add_actions(table).to_pylist()
    table_id = table.metadata().id
    files = [
        ServedFile(
            id=_file_id(table_id, urllib.parse.unquote(a["path"])),
            name=urllib.parse.unquote(a["path"]),
            size=int(a["size_bytes"]),
            rows=None if a.get("num_records") is None else int(a["num_records"]),
        )
        for a in actions
    ]
    return Snapshot(
        version=table.version(),
        table_id=table_id,
        schema_string=protocol_schema(table.schema().to_json()),
        files=files,
        cache_key=None,
    )


def cache_key(plan: ReadPlan, table: DeltaTable) -> str:
    """What the filtered copy depends on, hashed (see the module docstring)."""
    masks = sorted((c, m.kind, m.keep_first, m.keep_last) for c, m in plan.masks.items())
    shape = [
        COPY_FORMAT,
        plan.location.uri,
        table.metadata().id,
        table.version(),
        plan.grant_id,
        list(plan.columns),
        plan.row_filter,
        masks,
        plan.salt,
    ]
    return hashlib.sha256(json.dumps(shape, ensure_ascii=False).encode()).hexdigest()


def cache_root(settings: Settings) -> Path:
    return settings.home / "sharing" / "cache"


def _lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def snapshot(settings: Settings, plan: ReadPlan, table: DeltaTable, *, display: str) -> Snapshot:
    """The files to hand out for ``table`` (opened at the version wanted) under ``plan``."""
    if raw_allowed(plan, table):
        return raw_snapshot(table)
    key = cache_key(plan, table)
    folder = cache_root(settings) / key
    with _lock(key):
        found = _load(folder)
        if found is None:
            _write_copy(settings, plan, table, folder, display=display)
            found = _load(folder)
            _prune(settings)
    if found is None:
        raise DataValleyError(f"the filtered copy of table `{display}` could not be made")
    return found


def _load(folder: Path) -> Snapshot | None:
    manifest = folder / "manifest.json"
    try:
        data = json.loads(manifest.read_text())
    except (FileNotFoundError, ValueError):
        return None
    with contextlib.suppress(OSError):
        os.utime(manifest)  # used: keep it from pruning
    return Snapshot(
        version=data["version"],
        table_id=data["table_id"],
        schema_string=data["schema_string"],
        files=[ServedFile(**f) for f in data["files"]],
        cache_key=folder.name,
    )


def _write_copy(settings: Settings, plan: ReadPlan, table: DeltaTable, folder: Path, *, display: str) -> None:
    from datavalley.query.relation import plan_functions, plan_select

    data = arrow_dataset(table, display)
    files = parquet_files(table)
    name = "__dv_t0"
    view = None if plan.unrestricted else plan_select(plan, data.schema, f"{name}_raw")
    source = TableInput(
        name=name,
        dataset=data,
        view_sql=view,
        files=tuple(files) if files else None,
        functions=plan_functions(plan),
    )
    stream = get_engine(settings.query.engine).run(
        f"SELECT * FROM {name}",
        tables=[source],
        params={},
        limits=limits_from(settings),
        names={name: display},
    )
    temp = folder.parent / f".tmp-{uuid.uuid4().hex}"
    temp.mkdir(parents=True)
    try:
        written = _write_parts(stream, temp, folder.name)
        schema_string = protocol_schema(Schema.from_arrow(stream.schema).to_json())
        manifest = {
            "version": table.version(),
            # the same table under the same terms keeps its id across versions
            "table_id": str(
                uuid.uuid5(uuid.NAMESPACE_URL, f"{table.metadata().id}/{plan.grant_id}/{plan.salt}")
            ),
            "schema_string": schema_string,
            "files": [asdict(f) for f in written],
        }
        (temp / "manifest.json").write_text(json.dumps(manifest))
        try:
            temp.rename(folder)
        except OSError:  # another process finished the same copy first: theirs is as good
            shutil.rmtree(temp, ignore_errors=True)
    except BaseException:
        stream.close()
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _write_parts(stream: Any, folder: Path, key: str) -> list[ServedFile]:
    written: list[ServedFile] = []
    writer: pq.ParquetWriter | None = None
    rows = 0

    def close() -> None:
        nonlocal writer, rows
        if writer is None:
            return
        writer.close()
        name = f"part-{len(written):05d}.parquet"
        written.append(
            ServedFile(id=_file_id(key, name), name=name, size=(folder / name).stat().st_size, rows=rows)
        )
        writer, rows = None, 0

    for batch in stream:
        offset = 0
        while offset < batch.num_rows:
            if writer is None:
                writer = pq.ParquetWriter(folder / f"part-{len(written):05d}.parquet", stream.schema)
            take = min(ROWS_PER_FILE - rows, batch.num_rows - offset)
            writer.write_table(pa.Table.from_batches([batch.slice(offset, take)]))
            rows += take
            offset += take
            if rows >= ROWS_PER_FILE:
                close()
    close()
    return written


def copy_file(settings: Settings, key: str, name: str) -> Path | None:
    """The path of file ``name`` of copy ``key``, if both names are well formed and it exists."""
    if not CACHE_KEY.fullmatch(key) or not CACHE_FILE.fullmatch(name):
        return None
    path = cache_root(settings) / key / name
    return path if path.is_file() else None


def raw_file(plan: ReadPlan, table: DeltaTable, name: str) -> Path | None:
    """The path of data file ``name`` of this table version, if the version's log lists it."""
    root = Path(plan.location.uri).resolve()
    listed = {urllib.parse.unquote(a["path"]) for a in delta.add_actions(table).to_pylist()}
    if name not in listed:
        return None
    path = (root / name).resolve()
    if not path.is_relative_to(root) or "_delta_log" in path.relative_to(root).parts or not path.is_file():
        return None
    return path


def _prune(settings: Settings) -> None:
    """Delete copies unused for ``cache_days`` (at most once an hour per process)."""
    global _last_prune
    from datavalley.interop.sharing.signing import sharing_settings

    now = time.time()
    if now - _last_prune < PRUNE_EVERY:
        return
    _last_prune = now
    horizon = now - sharing_settings().cache_days * 86_400
    root = cache_root(settings)
    for folder in root.iterdir() if root.is_dir() else ():
        try:
            stamp = (folder / "manifest.json").stat().st_mtime
        except FileNotFoundError:
            stamp = folder.stat().st_mtime  # an abandoned temporary folder
        if stamp < horizon:
            shutil.rmtree(folder, ignore_errors=True)
