"""DuckDB for reads: one locked-down in-memory database per process, and Delta versions as Arrow datasets.

The database may touch no file and no network (``enable_external_access=false``) and its configuration
is locked, so nothing run on it can change that. Each read gets its own connection (a cursor, ~1 ms):
what it registers, and the temporary views it creates, are visible to that connection only.

Arrow string views
    DuckDB may hand a pushed-down string constant to pyarrow as ``string_view`` while the column is
    ``string``, and pyarrow then fails with "Function 'greater_equal' has no kernel matching input types
    (string, string_view)"; newer DuckDB instead skips every pushdown on a dataset with a view column.
    So the database sets ``produce_arrow_string_view = false`` / ``arrow_output_version = '1.0'``, and
    view columns of a dataset are read as plain ``string`` / ``binary``: filters keep being pushed down.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq
from deltalake import DeltaTable

from datavalley.errors import DataValleyError
from datavalley.storage import delta


def arrow_dataset(table: DeltaTable, ref: str) -> pads.Dataset:
    """The version's files as one Arrow dataset, for DuckDB to scan with filters pushed down.

    ``deltalake`` tells Arrow each file's min/max from the log as a guarantee, but where the log has
    no min/max for a column (a float column holding NaN, for one) the guarantee reads "between null
    and null" and Arrow skips the file for any filter on that column. So the files are given only
    their partition values; Arrow still skips row groups by the statistics inside the Parquet files.
    View types are read as plain ones (see the module docstring).
    """
    try:
        base = table.to_pyarrow_dataset()  # also refuses tables with reader features it cannot honour
        plain = {pa.string_view(): pa.string(), pa.binary_view(): pa.binary()}
        schema = pa.schema([f.with_type(plain.get(f.type, f.type)) for f in base.schema])
        partitions = _partition_values(table, schema)
        fragments = []
        for fragment in base.get_fragments():
            if partitions and fragment.path not in partitions:
                raise DataValleyError(f"file {fragment.path} is not in the log")
            fragments.append(
                base.format.make_fragment(
                    fragment.path,
                    filesystem=base.filesystem,
                    partition_expression=partitions.get(fragment.path),
                )
            )
        return pads.FileSystemDataset(fragments, schema, base.format, base.filesystem)
    except Exception as exc:  # deltalake raises several kinds; all mean the same to the caller
        raise DataValleyError(f"table `{ref}` cannot be read: {exc}") from None


def _partition_values(table: DeltaTable, schema: pa.Schema) -> dict[str, pc.Expression]:
    """For a partitioned table: each file's partition values, as an Arrow expression."""
    columns = table.metadata().partition_columns
    if not columns:
        return {}
    out = {}
    for action in delta.add_actions(table).to_pylist():
        terms = []
        for name in columns:
            value = action[f"partition.{name}"]
            field = pc.field(name)
            terms.append(
                ~field.is_valid()
                if value is None
                else field == pa.scalar(value).cast(schema.field(name).type)
            )
        expression = terms[0]
        for term in terms[1:]:
            expression = expression & term
        out[urllib.parse.unquote(action["path"])] = expression
    return out


#: file sets whose physical types are remembered (:func:`arrow_source`)
LAYOUTS = 256
_plain_files: OrderedDict[tuple[str, ...], bool] = OrderedDict()
_plain_lock = threading.Lock()


def arrow_source(dataset: pads.Dataset) -> pads.Dataset | pads.Scanner:
    """What to register in DuckDB for ``dataset`` (from :func:`arrow_dataset`): it, or a scanner of it.

    Files written before every load stored plain types (``delta.plain_type``) may hold a column as
    ``string_view`` while the dataset reads it as ``string``; pyarrow then cannot evaluate a filter
    DuckDB pushes into the scan ("no kernel matching input types (string, string_view)"). For such a
    file set DuckDB gets a scanner: the rows come converted to the dataset's types and DuckDB filters
    them itself (correct, without file skipping). Whether a file set holds such files is read from the
    footers once and remembered (data files never change).
    """
    fragments = list(dataset.get_fragments())
    key = tuple(str(getattr(f, "path", "")) for f in fragments)
    with _plain_lock:
        plain = _plain_files.get(key)
    if plain is None:
        names = set(dataset.schema.names)
        plain = all(
            delta.plain_type(field.type) == field.type
            for fragment in fragments
            for field in fragment.physical_schema
            if field.name in names
        )
        with _plain_lock:
            _plain_files[key] = plain
            while len(_plain_files) > LAYOUTS:
                _plain_files.popitem(last=False)
    return dataset if plain else dataset.scanner()


_databases: dict[tuple[str, str, int, tuple[str, ...]], duckdb.DuckDBPyConnection] = {}
_file_keys: list[tuple[str, str, int, tuple[str, ...]]] = []
FILE_DATABASES = 8
_databases_lock = threading.Lock()


@atexit.register
def close_databases() -> None:
    """Close the process's databases (at exit: DuckDB objects left to the interpreter's end are reported as leaks)."""
    with _databases_lock:
        for database in _databases.values():
            with contextlib.suppress(Exception):
                database.close()
        _databases.clear()
        _file_keys.clear()


def connect(
    workdir: Path | None,
    *,
    memory_limit: str = "1GB",
    threads: int | None = None,
    allowed_paths: Sequence[str] = (),
) -> duckdb.DuckDBPyConnection:
    """A fresh connection to a locked-down in-memory DuckDB (one per set of limits and readable files).

    Opening a database costs ~25 ms, a connection to an open one ~1 ms; what a read registers is
    visible to its own connection only. ``memory_limit`` and ``threads`` bound every query on that
    database together, so one runaway query cannot starve the process. ``allowed_paths`` are the only
    files the database may read (the Parquet files of the table versions a query reads, scanned by
    DuckDB's own reader); everything else stays out of reach. Databases with files are kept for the
    most recent ``FILE_DATABASES`` file sets, so repeated queries of the same versions reuse them.
    """
    threads = threads or os.cpu_count() or 1
    key = (str(workdir or ""), memory_limit, threads, tuple(sorted(allowed_paths)))
    with _databases_lock:
        database = _databases.get(key)
        if database is None:
            config: dict[str, Any] = {
                "memory_limit": memory_limit,
                "threads": threads,
                # an unknown table name never binds to a Python variable (set here: cursors inherit it)
                "python_enable_replacements": False,
            }
            if workdir is not None:  # where a big sort may spill
                workdir.mkdir(parents=True, exist_ok=True)
                config["temp_directory"] = str(workdir)
            database = duckdb.connect(config=config)
            settings = [
                "produce_arrow_string_view = false",
                "arrow_output_version = '1.0'",
            ]
            for setting in settings:
                with contextlib.suppress(duckdb.Error):  # a DuckDB without the setting has no such problem
                    database.execute(f"SET {setting}")
            if allowed_paths:
                database.execute("SET allowed_paths = $paths", {"paths": list(allowed_paths)})
            database.execute("SET enable_external_access = false")
            database.execute("SET lock_configuration = true")
            _databases[key] = database
            if allowed_paths:
                _file_keys.append(key)
                while len(_file_keys) > FILE_DATABASES:
                    # forgotten, not closed: connections still running on it keep it alive until they end
                    _databases.pop(_file_keys.pop(0), None)
        return database.cursor()


def parquet_files(table: DeltaTable) -> list[str] | None:
    """The version's data files, if DuckDB's own Parquet reader reads them exactly as Delta means them.

    That is: local files, no partition columns (their values live in the log, not the files) and no
    reader features (deletion vectors, column mapping …). Otherwise None: read through Arrow instead.
    """
    files = snapshot_files(delta.snapshot_of(table))
    return list(files) if files is not None else None


def snapshot_files(version: delta.TableSnapshot) -> tuple[str, ...] | None:
    """:func:`parquet_files` of a remembered table version."""
    if version.min_reader_version > 1 or version.reader_features:
        return None
    if version.partition_columns:
        return None
    files = version.file_uris
    if not files or not all(f.startswith("/") for f in files):
        return None
    return files


#: tables of more files than this are read matching columns by name, without looking at each footer
AGREEMENT_FILES = 64
#: file sets whose agreement is remembered
AGREEMENTS = 256
_agreement: OrderedDict[tuple[str, ...], bool] = OrderedDict()
_agreement_lock = threading.Lock()


def files_agree(files: Sequence[str], columns: Sequence[str]) -> bool:
    """Whether every file has the same columns and types, ``columns`` among them (remembered per file set).

    Then DuckDB may read them as one without matching columns by name (``union_by_name``), which
    reads every file's footer each time a query is bound instead of the first one's. Delta data files
    never change once written, so the answer for a set of files holds as long as they exist.
    """
    key = tuple(files)
    with _agreement_lock:
        known = _agreement.get(key)
    if known is not None:
        return known
    agree = False
    if len(key) <= AGREEMENT_FILES:
        try:
            schemas = [pq.read_schema(f).remove_metadata() for f in key]
        except (OSError, pa.ArrowException):
            return False  # a missing or broken file: let the engine say what is wrong, not remembered
        first = schemas[0]
        agree = set(columns) <= set(first.names) and all(s.equals(first) for s in schemas[1:])
    with _agreement_lock:
        _agreement[key] = agree
        while len(_agreement) > AGREEMENTS:
            _agreement.popitem(last=False)
    return agree


def parquet_scan(files: Sequence[str], columns: Sequence[str], *, by_name: bool = True) -> str:
    """SQL reading ``files`` with DuckDB's Parquet reader, the columns in the table's order.

    ``by_name`` matches each file's columns by name (files written before a column was added lack
    it: it reads as null); without it, the files must agree (:func:`files_agree`).
    """
    listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    options = ", union_by_name = true" if by_name else ""
    return f"SELECT {names} FROM read_parquet([{listing}]{options})"
