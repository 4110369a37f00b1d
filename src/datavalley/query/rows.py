"""A table's rows: filters, sort, pages to the very end with an opaque cursor, and streamed downloads.

A read opens the Delta table (at a version) through ``deltalake``, registers its Arrow dataset in an
in-memory DuckDB that may touch no file and no network (``enable_external_access=false``), and runs one
SELECT assembled from checked parts only: every column name comes from the table's schema (and is
quoted), every value is a bound parameter converted to its column's type first. DuckDB pushes the
filters and the projection down into the Arrow scan, so selective reads of large tables stay fast.

Order and paging
    Rows are ordered by the ``sort`` keys, then by every other column, left to right, ascending; nulls
    come last in every key. Delta tables have no row id, so the whole row is the tie-breaker: rows that
    tie on every column are identical and it does not matter which of them is sent first. A cursor holds
    the last row's values of all those keys and ``dup``, how many rows equal to it were sent already; the
    next page asks for the rows at or after those values (a keyset condition) and skips ``dup`` of them.
    Each page is a bounded top-N over the filtered rows, never a growing OFFSET, and duplicate rows are
    neither lost nor sent twice. NaN sorts above every number (as in DuckDB) and matches no comparison
    filter, however the condition is evaluated (see ``_at_or_after``).

The cursor
    ``base64url(JSON)``: the table version the first page read (every later page reads that version, so
    loads in between change nothing), the exact count of matching rows, the key values, ``dup``, and a
    fingerprint of the filters and sort (a cursor only continues the read it came from).

Arrow datasets, the locked-down DuckDB and the download formats live in ``duck.py`` and ``formats.py``.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import difflib
import hashlib
import json
import math
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal, get_args

import duckdb
import pyarrow as pa
from pydantic import BaseModel, Field

from datavalley.access.policy import ReadPlan
from datavalley.catalog.tables import TableLocation
from datavalley.errors import DataValleyError, InvalidInput
from datavalley.query.duck import arrow_dataset, arrow_source, connect
from datavalley.query.formats import BATCH_ROWS, json_rows, value_kind
from datavalley.query.relation import plan_functions, plan_select, register_functions
from datavalley.storage import delta

FilterOp = Literal["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "startswith", "isnull"]
RowFormat = Literal["json", "ndjson", "csv", "parquet"]
FILTER_OPS: tuple[str, ...] = get_args(FilterOp)
#: query parameters of the rows API that are not filters
RESERVED_PARAMS = ("format", "columns", "sort", "limit", "cursor", "version")
DEFAULT_PAGE_ROWS = 100
MAX_PAGE_ROWS = 10_000
MAX_IN_VALUES = 1_000

_COMPARE = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_INTEGER = re.compile(r"^[+-]?\d+$")
_KIND_WORDS = {
    "integer": "whole numbers",
    "number": "numbers",
    "decimal": "decimal numbers",
    "boolean": "true or false",
    "text": "text",
    "date": "dates (YYYY-MM-DD)",
    "timestamp": "timestamps (YYYY-MM-DDTHH:MM:SS)",
    "binary": "binary data",
}


# --- what a read asks for ----------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    """One condition, as written in a query: ``city=贵阳``, ``age__gte=18``, ``code__in=01,02``."""

    column: str
    op: FilterOp
    value: str

    @property
    def param(self) -> str:
        return self.column if self.op == "eq" else f"{self.column}__{self.op}"

    @classmethod
    def parse(cls, param: str, value: str, *, columns: Collection[str] = ()) -> Filter:
        """``("age__gte", "18")`` → ``Filter("age", "gte", "18")``; a real column named ``a__in`` wins."""
        column, sep, op = param.rpartition("__")
        if param in columns or not sep:
            return cls(param, "eq", value)
        if op not in FILTER_OPS:
            if column in columns:
                raise InvalidInput.for_field(
                    param, f"unknown filter `__{op}`; use one of {', '.join('__' + o for o in FILTER_OPS)}"
                )
            return cls(param, "eq", value)  # reported as an unknown column
        return cls(column, op, value)  # type: ignore[arg-type]


FilterLike = Filter | tuple[str, str]


class RowsColumn(BaseModel):
    name: str
    type: str = Field(description="Arrow type of the column")


class RowsPage(BaseModel):
    """One page of rows, and how to get the next one."""

    columns: list[RowsColumn]
    rows: list[dict[str, Any]] = Field(description="one object per row; dates and times as ISO 8601 text")
    count: int = Field(description="rows matching the filters, exact, over the whole table")
    next: str | None = Field(description="cursor of the next page; null on the last page")
    version: int = Field(description="the table version read; later pages read the same one")


# --- values ------------------------------------------------------------------------------------


def _convert(field: pa.Field, text: str) -> Any:
    """A value from a query string as a Python value of the column's type; ValueError if it is not one."""
    kind = value_kind(field.type)
    if kind == "text":
        return text
    text = text.strip()
    if kind == "integer" and _INTEGER.match(text):
        return int(text)
    if kind in ("number", "decimal") and "_" not in text:
        with contextlib.suppress(ValueError, InvalidOperation):
            if kind == "number" and not math.isnan(number := float(text)):
                return number
            if kind == "decimal" and (exact := Decimal(text)).is_finite():
                return exact
    if kind == "boolean" and text.lower() in ("true", "false", "1", "0"):
        return text.lower() in ("true", "1")
    if kind == "date":
        with contextlib.suppress(ValueError):
            return date.fromisoformat(text)
    if kind == "timestamp":
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(text)
            if field.type.tz:  # type: ignore[attr-defined]
                return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    raise ValueError(text)


def _key_value(value: Any) -> Any:
    """A sort-key value as it goes into a cursor (JSON; floats exact, NaN kept)."""
    if isinstance(value, float):
        return value + 0.0  # -0.0 and 0.0 tie in the sort; one spelling for both
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.urlsafe_b64encode(value).decode()
    return value


def _key_from_cursor(field: pa.Field, value: Any) -> Any:
    if value is None:
        return None
    kind = value_kind(field.type)
    if kind == "binary" and isinstance(value, str):
        return base64.urlsafe_b64decode(value)
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in ("text", "decimal", "date", "timestamp") and isinstance(value, str):
        return _convert(field, value)
    raise ValueError(value)


# --- the cursor --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cursor:
    version: int
    fingerprint: str
    count: int
    keys: list[Any]  # as in the JSON
    dup: int

    def encode(self) -> str:
        body = {"v": self.version, "q": self.fingerprint, "n": self.count, "k": self.keys, "d": self.dup}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> _Cursor:
        try:
            body = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            cursor = cls(
                version=body["v"], fingerprint=body["q"], count=body["n"], keys=body["k"], dup=body["d"]
            )
            ints = (cursor.version, cursor.count, cursor.dup)
            if not all(type(i) is int and i >= 0 for i in ints) or not isinstance(cursor.keys, list):
                raise ValueError(text)
            return cursor
        except (ValueError, TypeError, KeyError, UnicodeDecodeError):
            raise InvalidInput.for_field(
                "cursor", "is not a cursor this API gave out; use the `next` of a page as it came"
            ) from None


def _same_key(a: list[Any], b: list[Any]) -> bool:
    return json.dumps(a) == json.dumps(b)  # NaN equals NaN here, as in the sort


# --- planning a read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    column: str
    descending: bool
    floating: bool = False  # NaN needs care: DuckDB sorts it above every number, Arrow compares it false


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Read:
    """A checked read of one table version: its connection, conditions and order."""

    def __init__(
        self,
        location: TableLocation,
        *,
        version: int | None,
        columns: Sequence[str] | None,
        filters: Sequence[FilterLike],
        sort: Sequence[str],
        after: str | None,
        workdir: Path | None,
        plan: ReadPlan | None = None,
    ) -> None:
        self.ref = location.ref
        self.cursor = _Cursor.decode(after) if after else None
        if self.cursor and version is not None and version != self.cursor.version:
            raise InvalidInput.for_field(
                "version",
                f"the cursor reads version {self.cursor.version}; leave out `version` when you give `cursor`",
            )
        pinned = self.cursor.version if self.cursor else version
        table = delta.open_delta(location.uri, version=pinned, name=f"table `{self.ref}`")
        self.table = table
        self.version = table.version()
        self.dataset = arrow_dataset(table, self.ref)
        self.filtered_by_plan = bool(plan and plan.row_filter)
        self.con = connect(workdir)
        try:
            self.fields = {f.name: f for f in self._register(plan)}
            self._check(columns, filters, sort, plan)
        except BaseException:
            self.close()
            raise

    def _register(self, plan: ReadPlan | None) -> pa.Schema:
        """Make ``data`` the rows the caller may read: the table itself, or the plan's view over it."""
        try:
            source = arrow_source(self.dataset)
            if plan is None or plan.unrestricted:
                self.con.register("data", source)
                return self.dataset.schema
            self.con.register("__dv_raw", source)
            register_functions(self.con, plan_functions(plan))
            self.con.execute(f"CREATE TEMP VIEW data AS {plan_select(plan, self.dataset.schema, '__dv_raw')}")
            return self.con.sql("SELECT * FROM data LIMIT 0").to_arrow_table().schema
        except duckdb.Error as exc:
            raise DataValleyError(f"table `{self.ref}` cannot be read: {exc}") from None

    def _check(
        self,
        columns: Sequence[str] | None,
        filters: Sequence[FilterLike],
        sort: Sequence[str],
        plan: ReadPlan | None,
    ) -> None:
        self.output = self._columns(columns)
        self.where: list[str] = []
        self.params: list[Any] = []
        checked = [self._filter(f) for f in filters]
        self.keys = self._keys(sort)
        self.fingerprint = hashlib.sha256(
            json.dumps(
                [
                    sorted([f.column, f.op, f.value] for f in checked),
                    [[k.column, k.descending] for k in self.keys],
                    [plan.basis, plan.grant_id] if plan else None,
                ]
            ).encode()
        ).hexdigest()[:16]
        self.after: list[Any] | None = None
        if self.cursor:
            self.after = self._after(self.cursor)

    # checking

    def _field(self, name: str, field_name: str, *, is_param: bool = False) -> pa.Field:
        if name in self.fields:
            return self.fields[name]
        candidates = [*self.fields, *(RESERVED_PARAMS if is_param else ())]
        close = difflib.get_close_matches(name, candidates, n=1)
        hint = f"; did you mean `{close[0]}`?" if close else "."
        known = list(self.fields)
        listing = ", ".join(known[:30]) + (f" and {len(known) - 30} more" if len(known) > 30 else "")
        raise InvalidInput.for_field(
            field_name, f"table `{self.ref}` has no column `{name}`{hint} Its columns: {listing}"
        )

    def _columns(self, columns: Sequence[str] | None) -> list[str]:
        if not columns:
            return list(self.fields)
        for name in columns:
            self._field(name, "columns")
        if len(set(columns)) != len(columns):
            raise InvalidInput.for_field("columns", "names a column more than once")
        return list(columns)

    def _filter(self, given: FilterLike) -> Filter:
        f = given if isinstance(given, Filter) else Filter.parse(*given, columns=self.fields)
        field = self._field(f.column, f.param, is_param=True)
        kind = value_kind(field.type)
        col = _q(f.column)
        if kind is None or kind == "binary":
            raise InvalidInput.for_field(f.param, f"column `{f.column}` ({field.type}) cannot be filtered")
        if f.op == "isnull":
            flag = f.value.strip().lower()
            if flag not in ("true", "false", "1", "0"):
                raise InvalidInput.for_field(f.param, f"write `true` or `false`, not `{f.value}`")
            self.where.append(f"{col} IS NULL" if flag in ("true", "1") else f"{col} IS NOT NULL")
            return f
        if f.op in ("contains", "startswith"):
            if kind != "text":
                raise InvalidInput.for_field(
                    f.param, f"`__{f.op}` works on text; column `{f.column}` holds {_KIND_WORDS[kind]}"
                )
            self.where.append(f"{'contains' if f.op == 'contains' else 'starts_with'}({col}, ?)")
            self.params.append(f.value)
            return f
        texts = next(csv.reader([f.value])) if f.op == "in" else [f.value]
        if f.op == "in" and not 1 <= len(texts) <= MAX_IN_VALUES:
            raise InvalidInput.for_field(f.param, f"give 1 to {MAX_IN_VALUES} values, separated by commas")
        values = []
        for text in texts:
            try:
                values.append(_convert(field, text))
            except ValueError:
                raise InvalidInput.for_field(
                    f.param,
                    f"column `{f.column}` holds {_KIND_WORDS[kind]}; `{text}` is not one"
                    + ("" if text else f" (use `{f.column}__isnull=true` for missing values)"),
                ) from None
        if f.op == "in":
            condition = f"{col} IN ({', '.join('?' * len(values))})"
        elif f.op == "ne":  # "not equal" keeps missing values, as a person reading it expects
            condition = f"{col} <> ? OR {col} IS NULL"
        else:
            condition = f"{col} {_COMPARE[f.op]} ?"
        if kind == "number" and f.op != "ne":  # NaN matches no comparison, in DuckDB as in Arrow
            condition = f"{condition} AND NOT isnan({col})"
        self.where.append(condition)
        self.params.extend(values)
        return f

    def _keys(self, sort: Sequence[str]) -> list[_Key]:
        keys: list[_Key] = []
        for item in sort:
            name = item.strip()
            descending = name.startswith("-")
            name = name.lstrip("+-").strip()
            if not name:
                continue
            field = self._field(name, "sort")
            if value_kind(field.type) is None:
                raise InvalidInput.for_field("sort", f"column `{name}` ({field.type}) cannot be sorted by")
            if any(k.column == name for k in keys):
                raise InvalidInput.for_field("sort", f"names column `{name}` more than once")
            keys.append(_Key(name, descending, value_kind(field.type) == "number"))
        chosen = {k.column for k in keys}
        return keys + [
            _Key(name, False, value_kind(field.type) == "number")
            for name, field in self.fields.items()
            if name not in chosen and value_kind(field.type) is not None
        ]

    def _after(self, cursor: _Cursor) -> list[Any]:
        if cursor.fingerprint != self.fingerprint:
            raise InvalidInput.for_field(
                "cursor", "belongs to a read with other filters or sort; start again without `cursor`"
            )
        try:
            if len(cursor.keys) != len(self.keys):
                raise ValueError(cursor.keys)
            return [
                _key_from_cursor(self.fields[k.column], v)
                for k, v in zip(self.keys, cursor.keys, strict=True)
            ]
        except (ValueError, TypeError):
            raise InvalidInput.for_field(
                "cursor", "is damaged; use the `next` of a page as it came"
            ) from None

    # SQL

    def select(self, columns: Sequence[str], *, ordered: bool, limit: int | None) -> tuple[str, list[Any]]:
        where, params = list(self.where), list(self.params)
        if self.after is not None:
            condition, values = _at_or_after(self.keys, self.after)
            where.append(condition)
            params.extend(values)
        sql = f"SELECT {', '.join(_q(c) for c in columns)} FROM data"
        if where:
            sql += " WHERE " + " AND ".join(f"({w})" for w in where)
        if ordered:
            nested = [
                _q(n)
                for n, f in self.fields.items()
                if pa.types.is_list(f.type) or pa.types.is_struct(f.type)
            ]
            order = [f"{_q(k.column)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in self.keys]
            sql += " ORDER BY " + ", ".join(order + nested)
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        if self.cursor and self.cursor.dup:
            sql += f" OFFSET {int(self.cursor.dup)}"
        return sql, params

    def run(self, sql: str, params: list[Any]) -> duckdb.DuckDBPyRelation:
        try:
            return self.con.sql(sql, params=params)
        except duckdb.Error as exc:
            raise DataValleyError(f"reading table `{self.ref}` failed: {exc}") from None

    def count(self) -> int:
        if self.cursor:
            return self.cursor.count
        if not self.where and not self.filtered_by_plan:
            return delta.row_count(self.table)  # exact, from the log
        sql = "SELECT count(*) FROM data"
        if self.where:
            sql += " WHERE " + " AND ".join(f"({w})" for w in self.where)
        return int(self.run(sql, list(self.params)).fetchall()[0][0])

    def column_info(self) -> list[RowsColumn]:
        return [RowsColumn(name=c, type=str(self.fields[c].type)) for c in self.output]

    def close(self) -> None:
        if getattr(self, "con", None) is not None:
            self.con.close()
            self.con = None  # type: ignore[assignment]


def _at_or_after(keys: list[_Key], values: list[Any]) -> tuple[str, list[Any]]:
    """Rows at or after ``values`` in the key order (nulls last), as one nested condition.

    ``k1 > v1 OR k1 IS NULL OR (k1 = v1 AND (k2 > v2 OR ... ))``; nothing sorts after a null. Float
    keys spell NaN out (it sorts above every number), so the answer is the same whether DuckDB or
    Arrow evaluates the comparison.
    """
    sql, params = "TRUE", []
    for key, value in reversed(list(zip(keys, values, strict=True))):
        col = _q(key.column)
        if value is None:
            sql = f"{col} IS NULL AND ({sql})"
            continue
        if key.floating and math.isnan(value):
            after = f"NOT isnan({col})" if key.descending else "FALSE"
            sql = f"{after} OR {col} IS NULL OR (isnan({col}) AND ({sql}))"
            continue
        if key.floating:
            after = f"({col} < ? AND NOT isnan({col}))" if key.descending else f"{col} > ? OR isnan({col})"
            same = f"{col} = ? AND NOT isnan({col})"
        else:
            after, same = f"{col} {'<' if key.descending else '>'} ?", f"{col} = ?"
        sql = f"{after} OR {col} IS NULL OR ({same} AND ({sql}))"
        params = [value, value, *params]
    return sql, params


# --- the service -------------------------------------------------------------------------------


def read_rows(
    location: TableLocation,
    *,
    version: int | None = None,
    columns: Sequence[str] | None = None,
    filters: Sequence[FilterLike] = (),
    sort: Sequence[str] = (),
    after: str | None = None,
    limit: int = DEFAULT_PAGE_ROWS,
    workdir: Path | None = None,
    plan: ReadPlan | None = None,
) -> RowsPage:
    """One page of a table's rows; pass the page's ``next`` as ``after`` for the one after it.

    ``filters`` are ``Filter``s or ``(param, value)`` pairs as in the API (``("age__gte", "18")``),
    ``sort`` names columns, ``-`` first for descending (``["city", "-age"]``).
    """
    if not 1 <= limit <= MAX_PAGE_ROWS:
        raise InvalidInput.for_field("limit", f"a page holds 1 to {MAX_PAGE_ROWS} rows")
    read = _Read(
        location,
        version=version,
        columns=columns,
        filters=filters,
        sort=sort,
        after=after,
        workdir=workdir,
        plan=plan,
    )
    try:
        count = read.count()
        wanted = list(dict.fromkeys([*read.output, *(k.column for k in read.keys)]))
        sql, params = read.select(wanted, ordered=True, limit=limit + 1)
        data = read.run(sql, params).to_arrow_table()
    except duckdb.Error as exc:
        raise DataValleyError(f"reading table `{read.ref}` failed: {exc}") from None
    finally:
        read.close()
    page = data.slice(0, limit)
    next_cursor = None
    if data.num_rows > limit:
        keys = [
            [_key_value(v) for v in row.values()]
            for row in page.select([k.column for k in read.keys]).to_pylist()
        ]
        last = keys[-1]
        run = next((i for i, k in enumerate(reversed(keys)) if not _same_key(k, last)), len(keys))
        if run == len(keys) and read.cursor and _same_key(read.cursor.keys, last):
            run += read.cursor.dup  # the whole page continued the previous page's run of equal rows
        next_cursor = _Cursor(read.version, read.fingerprint, count, last, run).encode()
    return RowsPage(
        columns=read.column_info(),
        rows=json_rows(page.select(read.output)),
        count=count,
        next=next_cursor,
        version=read.version,
    )


class RowsStream:
    """Rows of a download, batch by batch, never all in memory; iterate once (it closes at the end)."""

    def __init__(self, read: _Read, reader: pa.RecordBatchReader) -> None:
        self._read = read
        self._reader = reader
        self.columns = read.column_info()
        self.version = read.version
        self.schema = reader.schema
        self.rows = 0
        #: called once with the number of rows sent, when the stream ends (for the audit log)
        self.on_end: Callable[[int], None] | None = None

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self._reader:
                self.rows += batch.num_rows
                yield batch
        finally:
            self.close()

    def close(self) -> None:
        self._reader.close()
        self._read.close()
        if self.on_end is not None:
            on_end, self.on_end = self.on_end, None
            on_end(self.rows)


def stream_rows(
    location: TableLocation,
    *,
    version: int | None = None,
    columns: Sequence[str] | None = None,
    filters: Sequence[FilterLike] = (),
    sort: Sequence[str] = (),
    after: str | None = None,
    limit: int | None = None,
    workdir: Path | None = None,
    plan: ReadPlan | None = None,
) -> RowsStream:
    """Every matching row (from the cursor ``after``, up to ``limit``), streamed in Arrow batches.

    Without ``sort`` or ``after`` rows come in the table's own order, the fastest way to read them all.
    """
    if limit is not None and limit < 1:
        raise InvalidInput.for_field("limit", "give 1 or more, or leave it out for every row")
    read = _Read(
        location,
        version=version,
        columns=columns,
        filters=filters,
        sort=sort,
        after=after,
        workdir=workdir,
        plan=plan,
    )
    try:
        sql, params = read.select(read.output, ordered=bool(sort) or after is not None, limit=limit)
        reader = read.run(sql, params).to_arrow_reader(BATCH_ROWS)
    except BaseException as exc:
        read.close()
        if isinstance(exc, duckdb.Error):
            raise DataValleyError(f"reading table `{read.ref}` failed: {exc}") from None
        raise
    return RowsStream(read, reader)
