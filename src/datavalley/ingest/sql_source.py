"""Tables from other SQL databases: the result of a query becomes a new version of a table.

>>> ingest_sql(rt, url="postgresql://reader@db.example.org/stats",
...            query="SELECT county, births FROM births_2024", dataset="health/births",
...            table="by_county")  # doctest: +SKIP

The query runs in a transaction that is never committed (and is read-only on PostgreSQL), through a
server-side cursor: rows arrive in batches of :data:`BATCH_ROWS`, never all at once. Each batch becomes
an Arrow record batch typed from the cursor's description (PostgreSQL's type of each result column;
other databases: the first value of each column) and is appended to a Parquet file in the working
folder. That file then goes through the ordinary ingest pipeline, so a query gets everything a file
gets: SQL-friendly column names, the write modes (append, overwrite, upsert on a key), one atomic
commit with who loaded it and from where, the catalog record. The source database is released before
the table is written.

Unconstrained ``numeric`` (no precision given) is kept as text, digit for digit; cast it in the query
(``amount::numeric(12,2)``) to store a decimal. Intervals, times of day, JSON and arrays are stored as
text; ``timestamptz`` as UTC timestamps.

Passwords never appear in messages or in the table's history: the URL is always shown with the
password hidden.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from datavalley.catalog.service import parse_dataset_ref
from datavalley.catalog.tables import dataset_record, table_record
from datavalley.catalog.vocabulary import slug_problem
from datavalley.errors import Conflict, InvalidInput, NotFound
from datavalley.ingest.load import IngestRequest, IngestResult, Progress, WriteMode, ingest
from datavalley.runtime import Runtime

BATCH_ROWS = 50_000
CONNECT_TIMEOUT = 10  # seconds
_SECRET_KEYS = re.compile(r"pass|pwd|secret|token", re.IGNORECASE)
_READING = {"select", "with", "table", "values", "("}
_LEADING = re.compile(r"\s+|--[^\n]*|/\*.*?\*/", re.DOTALL)
_WORD = re.compile(r"[A-Za-z]+|\(")

Convert = Callable[[Any], Any]


def ingest_sql(
    rt: Runtime,
    *,
    url: str,
    query: str,
    dataset: str,
    table: str,
    mode: WriteMode = "create",
    key: Sequence[str] = (),
    user: str | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """Load the rows ``query`` returns from the database at ``url`` into ``dataset``'s ``table``.

    Args:
        url: a SQLAlchemy URL, e.g. ``postgresql://user:password@host:5432/db``.
        query: one statement that returns rows (SELECT, WITH ..., TABLE name).
        dataset: ``ORG/NAME``.
        table: the table to create or load into.
        mode, key, user: as for a file (:class:`datavalley.ingest.load.IngestRequest`).
    """
    given = _parse_url(url)
    shown = _shown(given)
    source = _with_driver(given)
    if _first_word(query) not in _READING:
        raise InvalidInput.for_field(
            "query", "give one query that reads rows: SELECT ..., WITH ... SELECT ..., TABLE name or VALUES"
        )
    _check_target(rt, dataset, table, mode, list(key))
    workdir = rt.settings.home / "tmp" / f"sql-{uuid.uuid4().hex[:12]}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        staged = workdir / "query.parquet"
        _stage(source, query, staged, shown=shown, secrets=_secrets(given))
        request = IngestRequest(
            source=str(staged),
            dataset=dataset,
            table=table,
            mode=mode,
            key=list(key),
            user=user,
            source_name=f"{shown} (SQL query)",
        )
        return ingest(rt, request, progress=progress)[0]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _first_word(query: str) -> str:
    """The query's first keyword (lower case), comments and blanks before it skipped."""
    at = 0
    while m := _LEADING.match(query, at):
        at = m.end()
    word = _WORD.match(query, at)
    return word.group(0).lower() if word else ""


# --- the connection ------------------------------------------------------------------------------


def _parse_url(url: str) -> URL:
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):
        # the message would repeat the URL, password and all
        raise InvalidInput.for_field(
            "url", "not a database URL; write it like postgresql://user:password@host:5432/dbname"
        ) from None
    return parsed


def _with_driver(url: URL) -> URL:
    """PostgreSQL through psycopg 3, the driver DataValley ships, unless the URL names another."""
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _shown(url: URL) -> str:
    """The URL as it may be shown: password and secret-looking query values hidden."""
    hidden = {k: "***" if _SECRET_KEYS.search(k) else v for k, v in url.query.items()}
    return url.set(query=hidden).render_as_string(hide_password=True)


def _secrets(url: URL) -> list[str]:
    values = [url.password] if url.password else []
    for k, v in url.query.items():
        if _SECRET_KEYS.search(k):
            values.extend([v] if isinstance(v, str) else list(v))
    return [str(s) for s in values if s]


def _scrub(message: str, secrets: list[str]) -> str:
    for s in secrets:
        message = message.replace(s, "***")
    return message


def _check_target(rt: Runtime, dataset: str, table: str, mode: WriteMode, key: list[str]) -> None:
    """The checks ``ingest`` makes too, done before the query runs rather than after."""
    org, name = parse_dataset_ref(dataset)
    if problem := slug_problem(table):
        raise InvalidInput.for_field("table", f"`{table}` {problem}")
    if mode == "upsert" and not key:
        raise InvalidInput.for_field("key", "--mode upsert needs --key COLUMN[,COLUMN...]")
    with rt.session() as session:
        dataset_record(session, org, name)
        if mode == "create":
            try:
                table_record(session, org, name, table)
            except NotFound:
                return
            raise Conflict(
                f"table `{org}/{name}/{table}` already exists; load with --mode append, overwrite or "
                "upsert, or choose another --table"
            )


def _stage(url: URL, query: str, target: Path, *, shown: str, secrets: list[str]) -> int:
    """Run ``query`` and write its rows to the Parquet file ``target``; the number of rows."""
    postgres = url.get_backend_name() == "postgresql"
    try:
        engine = create_engine(
            url,
            poolclass=NullPool,
            hide_parameters=True,
            connect_args={"connect_timeout": CONNECT_TIMEOUT, "application_name": "datavalley"}
            if postgres
            else {},
        )
    except (NoSuchModuleError, ImportError):
        raise InvalidInput.for_field(
            "url",
            f"cannot read from `{url.drivername}` databases: its driver is not installed "
            "(PostgreSQL works out of the box)",
        ) from None
    rows = 0
    try:
        try:
            conn = engine.connect()
        except SQLAlchemyError as exc:
            raise InvalidInput.for_field(
                "url", _scrub(f"cannot connect to {shown}: {_reason(exc)}", secrets)
            ) from None
        with conn:
            if postgres:
                _load_as_text(conn)
            options: dict[str, Any] = {"stream_results": True, "yield_per": BATCH_ROWS}
            if postgres:
                options["postgresql_readonly"] = True
            try:
                # colons escaped: the query is the database's SQL, with no :name parameters of ours
                result = conn.execution_options(**options).execute(text(query.replace(":", "\\:")))
                if not result.returns_rows:
                    raise InvalidInput.for_field("query", "the query returns no rows; give a SELECT")
                description = list(result.cursor.description)
                batches = iter(result.partitions(BATCH_ROWS))
                first = next(batches, [])
                schema, converters = _schema(description, first, postgres=postgres)
                with pq.ParquetWriter(target, schema) as writer:
                    for chunk in _chain(first, batches):
                        writer.write_batch(_batch(chunk, schema, converters, offset=rows))
                        rows += len(chunk)
            except SQLAlchemyError as exc:
                raise InvalidInput.for_field(
                    "query", _scrub(f"the query failed on {shown}: {_reason(exc)}", secrets)
                ) from None
        # leaving `with conn` rolls the transaction back: nothing the query did is kept
    finally:
        engine.dispose()
    return rows


def _reason(exc: SQLAlchemyError) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def _load_as_text(conn: Connection) -> None:
    """Have psycopg hand over these types as PostgreSQL writes them, not as lossy Python objects."""
    from psycopg.types.string import TextLoader

    driver = conn.connection.driver_connection
    adapters = getattr(driver, "adapters", None)
    if adapters is None:
        return
    for name in ("interval", "time", "timetz", "json", "jsonb", "money"):
        adapters.register_loader(name, TextLoader)


def _chain(first: list[Any], rest: Any) -> Any:
    if first:
        yield first
    yield from rest


# --- types ----------------------------------------------------------------------------------------

#: PostgreSQL type OID → Arrow type; anything else is stored as text
_PG_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    26: pa.int64(),  # oid
    700: pa.float32(),
    701: pa.float64(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
    17: pa.binary(),
}
_PG_NUMERIC = 1700


def _schema(
    description: list[Any], first: list[Any], *, postgres: bool
) -> tuple[pa.Schema, list[Convert | None]]:
    names = _unique([str(d[0]) if d[0] else "" for d in description])
    types: list[pa.DataType] = []
    for i, d in enumerate(description):
        if postgres:
            types.append(_pg_type(d))
        else:
            types.append(_value_type(next((row[i] for row in first if row[i] is not None), None)))
    converters = [None if _native(t) else _as_text for t in types]
    return pa.schema([pa.field(n, t) for n, t in zip(names, types, strict=True)]), converters


def _pg_type(column: Any) -> pa.DataType:
    if column.type_code == _PG_NUMERIC:
        precision, scale = getattr(column, "precision", None), getattr(column, "scale", None)
        if precision and 0 < precision <= 38:
            return pa.decimal128(precision, scale or 0)
        return pa.string()
    return _PG_TYPES.get(column.type_code, pa.string())


def _value_type(value: Any) -> pa.DataType:
    """For databases whose cursor does not say: the type of a column's first value."""
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, dt.datetime):
        return pa.timestamp("us", tz="UTC" if value.tzinfo else None)
    if isinstance(value, dt.date):
        return pa.date32()
    if isinstance(value, bytes | bytearray | memoryview):
        return pa.binary()
    return pa.string()


def _native(t: pa.DataType) -> bool:
    return not pa.types.is_string(t)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _batch(
    rows: list[Any], schema: pa.Schema, converters: list[Convert | None], *, offset: int
) -> pa.RecordBatch:
    arrays = []
    for i, (field, convert) in enumerate(zip(schema, converters, strict=True)):
        values = [row[i] for row in rows]
        if convert is not None:
            values = [convert(v) for v in values]
        try:
            arrays.append(pa.array(values, type=field.type))
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise InvalidInput.for_field(
                "query",
                f"column `{field.name}` (rows {offset + 1} to {offset + len(rows)}) does not hold "
                f"{field.type} values throughout ({exc}); CAST it in the query to one type",
            ) from None
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _unique(names: list[str]) -> list[str]:
    out: list[str] = []
    taken: set[str] = set()
    for i, raw in enumerate(names, start=1):
        base = raw or f"column_{i}"
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name.lower())
        out.append(name)
    return out
