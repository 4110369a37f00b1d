"""Query engines: where checked SQL runs. DuckDB is the default; Spark can be added behind the same interface.

An engine gets SQL that the query service has already parsed, checked and rewritten: every table in it
is a private relation name (``__dv_t0_…``) that the engine must bind to the table version's rows (its
Parquet files, or an Arrow dataset), wrapped in the read plan's view where the plan restricts columns,
rows or values. The engine never sees a table name or a rule; it only runs what it is given, within
the limits.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads

from datavalley.errors import BadRequest, DataValleyError, StorageUnavailable
from datavalley.query.duck import arrow_source, connect, files_agree, parquet_scan
from datavalley.query.formats import BATCH_ROWS
from datavalley.query.relation import register_functions

log = logging.getLogger(__name__)


class QueryFailed(BadRequest):
    """The engine refused or could not finish the query (a type error, an unknown column …)."""

    code = "query_failed"


class QueryTimeout(BadRequest):
    code = "query_timeout"


class QueryTooBig(BadRequest):
    code = "query_out_of_memory"


@dataclass(frozen=True)
class QueryLimits:
    """What one query may use. The engine is interrupted when the time is up."""

    timeout_seconds: float = 60.0
    memory_limit: str = "2GB"
    threads: int | None = None
    workdir: Path | None = None


@dataclass(frozen=True)
class TableInput:
    """One table a query reads, bound to ``name``; ``view_sql`` (a SELECT over ``raw_name``) applies a read plan.

    The rows come from ``files`` (read by DuckDB's own Parquet reader) or else from ``dataset``.
    """

    name: str
    #: the table's columns; defaults to the dataset's
    schema: pa.Schema | None = None
    #: the version as an Arrow dataset; needed only where ``files`` is None
    dataset: pads.Dataset | None = None
    view_sql: str | None = None
    #: the version's Parquet files when DuckDB's own reader may scan them (faster, with row-group
    #: pruning); None reads ``dataset`` through Arrow
    files: tuple[str, ...] | None = None
    #: the SQL names this table only as the quoted identifier ``"name"``, and the name is made afresh
    #: for each query, so no literal in it can hold the name: the engine may then write the table's
    #: rows in its place as a subquery instead of binding a view first (one bind of the files fewer)
    inline: bool = False
    #: functions ``view_sql`` calls (``relation.plan_functions``): name → key, bound by the engine
    functions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.schema is None and self.dataset is None:
            raise ValueError(f"table input {self.name} needs a schema or a dataset")
        if not self.files and self.dataset is None:
            raise ValueError(f"table input {self.name} needs its files or a dataset")

    @property
    def raw_name(self) -> str:
        return f"{self.name}_raw"

    @property
    def columns(self) -> list[str]:
        schema = self.schema if self.schema is not None else self.dataset.schema  # type: ignore[union-attr]
        return list(schema.names)


class ResultStream(Protocol):
    schema: pa.Schema

    def __iter__(self) -> Iterator[pa.RecordBatch]: ...

    def close(self) -> None: ...


class Engine(Protocol):
    name: str

    def run(
        self,
        sql: str,
        *,
        tables: Sequence[TableInput],
        params: Mapping[str, Any],
        limits: QueryLimits,
        names: Mapping[str, str] | None = None,
    ) -> ResultStream: ...


class _Alarms:
    """One thread for the whole process that interrupts connections whose time is up.

    A query arms an alarm each time it enters the engine and disarms it when it leaves: a dictionary
    entry each, no thread started per query (starting one, and waiting for it to run, costs more than
    a small query on a busy machine). The thread sleeps until the earliest alarm, or until woken for
    an alarm earlier than that.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._alarms: dict[int, tuple[float, _Watchdog]] = {}
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None

    def arm(self, dog: _Watchdog, at: float) -> None:
        with self._lock:
            self._alarms[id(dog)] = (at, dog)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="datavalley-query-alarms", daemon=True)
                self._thread.start()
            if at < self._wake_at:
                self._lock.notify()

    def disarm(self, dog: _Watchdog) -> None:
        with self._lock:
            self._alarms.pop(id(dog), None)

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.perf_counter()
                for key, (at, dog) in list(self._alarms.items()):
                    if at <= now:
                        del self._alarms[key]
                        with contextlib.suppress(Exception):  # a connection closed meanwhile
                            dog.fire()
                self._wake_at = min((at for at, _ in self._alarms.values()), default=float("inf"))
                self._lock.wait(None if self._wake_at == float("inf") else self._wake_at - now)


_alarms = _Alarms()


class _Watchdog:
    """Interrupts the connection once the engine has worked ``budget`` seconds in all.

    Only time spent inside the engine counts: a slow client reading a long stream is not cut off.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, budget: float) -> None:
        self._con = con
        self.budget = budget
        self._used = 0.0
        self._started = 0.0
        self.fired = False

    def __enter__(self) -> _Watchdog:
        self._started = time.perf_counter()
        _alarms.arm(self, self._started + max(self.budget - self._used, 0.001))
        return self

    def __exit__(self, *exc: object) -> None:
        _alarms.disarm(self)
        self._used += time.perf_counter() - self._started

    def fire(self) -> None:
        self.fired = True
        self._con.interrupt()


class DuckDBStream:
    """Record batches of a running DuckDB query; the watchdog guards each step; closes at the end."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        params: Mapping[str, Any],
        limits: QueryLimits,
        names: Mapping[str, str],
        tables: Sequence[TableInput] = (),
    ) -> None:
        self._con = con
        self._names = names
        self._tables = tables
        self._dog = _Watchdog(con, limits.timeout_seconds)
        self._reader: pa.RecordBatchReader | None = None
        try:
            with self._dog:
                relation = con.sql(sql, params=dict(params) or None)
                self._reader = relation.to_arrow_reader(BATCH_ROWS)
        except BaseException as exc:
            self.close()
            raise self._translate(exc) from None
        self.schema = public_schema(self._reader.schema, names, tables)
        self._renamed = self.schema is not self._reader.schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        assert self._reader is not None
        try:
            while True:
                try:
                    with self._dog:
                        batch = self._reader.read_next_batch()
                except StopIteration:
                    return
                except BaseException as exc:
                    raise self._translate(exc) from None
                if self._renamed:
                    batch = pa.RecordBatch.from_arrays(batch.columns, schema=self.schema)
                yield batch
        finally:
            self.close()

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._con is not None:
            self._con.close()
            self._con = None  # type: ignore[assignment]

    def _translate(self, exc: BaseException) -> BaseException:
        if self._dog.fired or isinstance(exc, duckdb.InterruptException):
            return QueryTimeout(
                f"the query took longer than {self._dog.budget:g} s and was stopped; "
                "filter or aggregate more, or ask the operator for a longer limit"
            )
        if isinstance(exc, duckdb.OutOfMemoryException):
            return QueryTooBig(
                "the query needs more memory than this server allows a query; "
                "filter or aggregate more, or read fewer columns"
            )
        if isinstance(exc, duckdb.IOException | duckdb.PermissionException):
            # the caller's SQL names no file (the checker refuses file functions): a table's own files
            # are missing or unreadable, which is the server's problem, as when they were bound as views
            return _unreadable(exc, self._names)
        if isinstance(exc, duckdb.Error):
            return QueryFailed(engine_message(str(exc), self._names, private_paths(self._tables)))
        if isinstance(exc, pa.ArrowInvalid):
            return QueryFailed(engine_message(str(exc), self._names, private_paths(self._tables)))
        return exc


def _unreadable(exc: BaseException, names: Mapping[str, str]) -> StorageUnavailable:
    """A table's files could not be read: the server's problem. The engine's own words name server
    paths, so they go to the server's log, and the caller is told which tables the query reads."""
    tables = ", ".join(f"`{t}`" for t in sorted(set(names.values()))) or "a table"
    log.warning("a query could not read its tables %s: %s", tables, exc)
    return StorageUnavailable(
        f"the files of {tables} cannot be read from their storage just now; try again later, or ask "
        "the operator to check the table (`datavalley table show`)"
    )


def private_paths(tables: Sequence[TableInput]) -> list[str]:
    """The server paths the engine is given for ``tables`` (files and their folders), longest first."""
    files = {f for table in tables for f in table.files or ()}
    folders = {str(Path(f).parent) for f in files}
    return sorted(files | folders, key=len, reverse=True)


def public_text(text: str, names: Mapping[str, str], files: Sequence[str] = ()) -> str:
    """Text of the engine's (a plan, a column name) as a caller may see it: the private relation
    names as the table names they stand for, and no server file path."""
    for private, public in sorted(names.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(f"{private}_raw", public).replace(private, public)
    for path in files:  # longest first: a file before its folder
        text = text.replace(path, "<file>")
    return text


def public_schema(schema: pa.Schema, names: Mapping[str, str], tables: Sequence[TableInput]) -> pa.Schema:
    """The result's columns as a caller may see them (see :func:`public_text`).

    The query service names every result column that reads a table after the caller's own SQL
    (``sql._name_projections``), so this changes nothing in practice; it is the last line, should a
    construct still be named after the SQL the engine ran: what gives away a relation, a file or a
    read plan (``read_parquet``, a ``__dv_`` name) is replaced by the column's position.
    """
    renamed = False
    fields = []
    files: list[str] | None = None  # the tables' paths, found only for a name that may hold one
    for i, f in enumerate(schema):
        if RELATION_MARK not in f.name and "/" not in f.name and "read_parquet" not in f.name.lower():
            fields.append(f)  # holds no private name and no path: nothing to replace (most columns)
            continue
        files = private_paths(tables) if files is None else files
        name = public_text(f.name, names, files)
        if RELATION_MARK in name or "read_parquet" in name.lower() or "<file>" in name:
            name = f"column{i + 1}"
        renamed = renamed or name != f.name
        fields.append(f.with_name(name))
    return pa.schema(fields, metadata=schema.metadata) if renamed else schema


#: what every private name of the engine's starts with: relations, views, functions
RELATION_MARK = "__dv_"


def engine_message(text: str, names: Mapping[str, str], files: Sequence[str] = ()) -> str:
    """An engine's error as a user reads it: private relation names replaced by the table names, no
    file path."""
    text = public_text(text, names, files)
    first, _, rest = text.partition("\n")
    first = first.split(": ", 1)[1] if first.split(":", 1)[0].endswith("Error") else first
    hint = " ".join(
        line.strip() for line in rest.splitlines() if line.strip() and "LINE" not in line and "^" not in line
    )
    return (first + (" " + hint if hint else "")).strip()


class DuckDBEngine:
    """DuckDB in-process, locked down: no files, no network, configuration locked, limits set."""

    name = "duckdb"

    def run(
        self,
        sql: str,
        *,
        tables: Sequence[TableInput],
        params: Mapping[str, Any],
        limits: QueryLimits,
        names: Mapping[str, str] | None = None,
    ) -> DuckDBStream:
        files = sorted({f for table in tables for f in table.files or ()})
        con = connect(
            limits.workdir, memory_limit=limits.memory_limit, threads=limits.threads, allowed_paths=files
        )
        names = dict(names or {})
        try:
            for table in tables:
                register_functions(con, table.functions)
                if table.files and table.inline:
                    sql = sql.replace(f'"{table.name}"', f"({_relation_sql(table)})")
                    continue
                bound = table.name if table.view_sql is None else table.raw_name
                if table.files:
                    con.execute(f"CREATE TEMP VIEW {bound} AS {_scan_sql(table)}")
                else:
                    con.register(bound, arrow_source(table.dataset))
                if table.view_sql is not None:
                    con.execute(f"CREATE TEMP VIEW {table.name} AS {table.view_sql}")
        except (duckdb.IOException, duckdb.PermissionException) as exc:
            con.close()
            raise _unreadable(exc, names) from None
        except duckdb.Error as exc:  # a read plan's view that does not bind: ours to fix, not the caller's
            con.close()
            message = engine_message(str(exc), names, private_paths(tables))
            raise DataValleyError(f"a table of the query cannot be read: {message}") from None
        return DuckDBStream(con, sql, params, limits, names, tables)


def _scan_sql(table: TableInput) -> str:
    files = table.files or ()
    return parquet_scan(files, table.columns, by_name=not files_agree(files, table.columns))


def _relation_sql(table: TableInput) -> str:
    """The table's rows as one SELECT: the Parquet scan, under the read plan's view where there is one."""
    if table.view_sql is None:
        return _scan_sql(table)
    return f"WITH {table.raw_name} AS NOT MATERIALIZED ({_scan_sql(table)}) {table.view_sql}"


ENGINES: dict[str, Engine] = {"duckdb": DuckDBEngine()}


def get_engine(name: str = "duckdb") -> Engine:
    try:
        return ENGINES[name]
    except KeyError:
        raise DataValleyError(
            f"query engine `{name}` is not available; engines: {', '.join(ENGINES)}"
        ) from None
