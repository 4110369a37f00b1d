"""The query service: SQL over every table the caller may read, joined freely — one service for the API,
the CLI, saved data APIs, the portal's console and the open protocols.

A query goes through four steps, each of which can refuse it:

1. ``sql.check_query`` parses it and accepts it only if every node is on the allowlist.
2. Each table it names (``org.dataset.table``, or ``org.dataset`` for a dataset with one table, at a
   version or timestamp if asked) is resolved through ``access.policy.plan_read`` for this caller:
   unknown or hidden → 404 naming the closest table the caller can see; not readable → 403. The plan
   is made for every query; the version's files and schema come from ``delta.table_snapshot``
   (remembered per version; the newest version is looked up every time).
3. ``sql.render_query`` replaces each table by a private relation (a name made afresh for the query)
   that the engine binds to the table version's rows — wrapped in the read plan's view (columns, row
   filter, masks) where the plan restricts anything — so no SQL can reach around the rules: they sit
   beneath the caller's query.
4. The engine runs it with a timeout, a memory limit and a thread count, on a connection that may
   read the version's files and nothing else, and no network.
"""

from __future__ import annotations

import difflib
import functools
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import pyarrow as pa
import pyarrow.dataset as pads
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.access import audit
from datavalley.access.policy import Caller, ReadPlan, plan_read, visible_datasets
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.config import Settings
from datavalley.errors import BadRequest, Conflict, DataValleyError, InvalidInput, NotFound
from datavalley.query import sql as sqlcheck
from datavalley.query.duck import arrow_dataset, snapshot_files
from datavalley.query.engine import QueryLimits, TableInput, get_engine, private_paths, public_text
from datavalley.query.formats import json_arrays
from datavalley.query.relation import plan_functions, plan_schema, plan_select
from datavalley.query.results import Page, first_page, next_page
from datavalley.storage import delta

ResultFormat = Literal["json", "ndjson", "csv", "parquet", "arrow"]
DEFAULT_PAGE_ROWS = 1_000
MAX_PAGE_ROWS = 10_000
Scalar = str | int | float | bool | None


class QueryRequest(BaseModel):
    """A query: SQL with ``:name`` parameters, or the ``cursor`` of a previous page."""

    sql: str | None = Field(default=None, max_length=100_000, description="one SELECT; `:name` parameters")
    params: dict[str, Scalar] = Field(default_factory=dict, description="values of the `:name` parameters")
    format: ResultFormat = Field(default="json", description="json pages; the others stream every row")
    limit: int | None = Field(
        default=None, ge=1, le=MAX_PAGE_ROWS, description=f"json: rows per page (default {DEFAULT_PAGE_ROWS})"
    )
    cursor: str | None = Field(default=None, max_length=2_000, description="the `next` of the previous page")


class ResultColumn(BaseModel):
    name: str
    type: str = Field(description="Arrow type")


class TableRead(BaseModel):
    table: str = Field(description="org.dataset.table")
    version: int


class QueryResult(BaseModel):
    """One page of a query's result, and how to get the rest."""

    columns: list[ResultColumn]
    rows: list[list[Any]] = Field(description="one array per row, values in column order")
    offset: int = Field(description="position of the page's first row in the whole result")
    row_count: int = Field(description="rows in this page")
    total_rows: int = Field(description="rows in the whole result, exact")
    next: str | None = Field(description="cursor of the next page (POST it as `cursor`); null on the last")
    message: str | None = Field(default=None, description="what to do to get the rest, when there is more")
    tables: list[TableRead] = Field(default_factory=list, description="the table versions read")
    elapsed_ms: float | None = None


@dataclass
class ResolvedTable:
    ref: sqlcheck.TableRef
    display: str
    plan: ReadPlan
    version: int
    relation: str


@dataclass
class QueryRun:
    """A running query: its columns and record batches (iterate once), the tables it reads."""

    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]
    tables: list[ResolvedTable]
    started: float = field(default_factory=time.perf_counter)
    close: Any = None

    @property
    def table_reads(self) -> list[TableRead]:
        return [TableRead(table=t.display, version=t.version) for t in self.tables]


def limits_from(settings: Settings) -> QueryLimits:
    q = settings.query
    return QueryLimits(
        timeout_seconds=q.timeout_seconds,
        memory_limit=q.memory_limit,
        threads=q.threads,
        workdir=settings.home / "tmp" / "duckdb",
    )


# --- resolving table names ----------------------------------------------------------------------


def visible_table_names(session: Session, caller: Caller) -> list[str]:
    rows = session.execute(
        select(Organization.name, Dataset.name, Table.name)
        .join(Dataset, Dataset.organization_id == Organization.id)
        .join(Table, Table.dataset_id == Dataset.id)
        .where(visible_datasets(caller))
    )
    return [".".join(r) for r in rows]


def table_not_found(session: Session, caller: Caller, ref: sqlcheck.TableRef, why: str) -> NotFound:
    name = ".".join(ref.parts)
    known = [k for k in visible_table_names(session, caller) if k != name]
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    hint = (
        f"; did you mean `{close[0]}`?"
        if close
        else "; `datavalley search` or GET /api/v1/datasets lists them"
    )
    where = f" (line {ref.line}, column {ref.column})" if ref.line else ""
    return NotFound(f"{why}{where}{hint}")


def _table_names(session: Session, caller: Caller, ref: sqlcheck.TableRef) -> tuple[str, str, str]:
    org, dataset = ref.parts[0], ref.parts[1]
    if len(ref.parts) == 3:
        return org, dataset, ref.parts[2]
    found = session.scalars(
        select(Table.name)
        .join(Dataset, Table.dataset_id == Dataset.id)
        .join(Organization, Dataset.organization_id == Organization.id)
        .where(Organization.name == org, Dataset.name == dataset, visible_datasets(caller))
        .order_by(Table.name)
    ).all()
    if not found:
        raise table_not_found(session, caller, ref, f"table `{org}.{dataset}` does not exist")
    if len(found) > 1:
        raise BadRequest(
            f"dataset `{org}.{dataset}` has {len(found)} tables ({', '.join(found)}); "
            f"name one as `{org}.{dataset}.<table>`"
        )
    return org, dataset, found[0]


def _version_at(plan: ReadPlan, ref: sqlcheck.TableRef, display: str) -> delta.TableSnapshot:
    """The table version the reference reads: the newest, ``FOR VERSION AS OF n`` or ``FOR TIMESTAMP AS OF``."""
    name = f"table `{display}`"
    if ref.timestamp is None:
        return delta.table_snapshot(plan.location.uri, version=ref.version, name=name)
    try:
        moment = datetime.fromisoformat(ref.timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput.for_field(
            "sql", f"`{ref.timestamp}` is not a timestamp; write it as '2026-01-31T12:00:00Z'"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    table = delta.open_delta(plan.location.uri, name=name)
    first = min(v.timestamp for v in delta.history(table))
    if moment < first:
        raise NotFound(
            f"table `{display}` did not exist yet at {moment.isoformat()}; it was created {first.isoformat()}"
        )
    try:
        table.load_as_version(moment)
    except Exception as exc:  # deltalake raises several kinds for a time it cannot map
        raise NotFound(f"table `{display}` has no version at {moment.isoformat()}: {exc}") from None
    return delta.table_snapshot(plan.location.uri, version=table.version(), name=name)


def _table_input(name: str, plan: ReadPlan, version: delta.TableSnapshot, display: str) -> TableInput:
    """The engine's input for one table version: its Parquet files where DuckDB reads them, else Arrow."""
    files = snapshot_files(version)
    if files is not None:
        schema, data = version.schema, None
    else:
        table = delta.open_delta(plan.location.uri, version=version.version, name=f"table `{display}`")
        data = arrow_dataset(table, display)
        schema = data.schema
    if plan.unrestricted:
        return TableInput(name=name, schema=schema, dataset=data, files=files, inline=True)
    view = plan_select(plan, schema, f"{name}_raw")
    return TableInput(
        name=name,
        schema=schema,
        dataset=data,
        view_sql=view,
        files=files,
        inline=True,
        functions=plan_functions(plan),
    )


def resolve_tables(
    session: Session, settings: Settings, caller: Caller, refs: Sequence[sqlcheck.TableRef]
) -> tuple[list[ResolvedTable], list[TableInput]]:
    """Each table reference → the caller's read plan and the table version the engine reads.

    The plan is made anew for every query (grants, filters and masks as they are now); the version's
    files and schema come from :func:`delta.table_snapshot`, which checks for a newer version each time.
    """
    resolved: list[ResolvedTable] = []
    inputs: list[TableInput] = []
    fresh = secrets.token_hex(8)  # relation names no text of the query can hold (see TableInput.inline)
    for i, ref in enumerate(refs):
        org, dataset, table = _table_names(session, caller, ref)
        display = f"{org}.{dataset}.{table}"
        try:
            plan = plan_read(session, settings, caller, org, dataset, table)
        except NotFound:
            if display in visible_table_names(session, caller):
                raise  # the catalog has it, its data is gone: say so, not "does not exist"
            raise table_not_found(session, caller, ref, f"table `{display}` does not exist") from None
        version = _version_at(plan, ref, display)
        name = f"__dv_t{i}_{fresh}"
        inputs.append(_table_input(name, plan, version, display))
        resolved.append(ResolvedTable(ref, display, plan, version.version, name))
    return resolved, inputs


# --- running ---------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _checked(sql: str) -> sqlcheck.CheckedQuery:
    """``sql.check_query``, remembered: data APIs and dashboards send the same text again and again.

    A checked query depends on nothing but its text (the rules and the tables are resolved per call),
    and nothing downstream changes it; refusals are not remembered (they raise).
    """
    return sqlcheck.check_query(sql)


def _check_params(checked: sqlcheck.CheckedQuery, params: Mapping[str, Any]) -> dict[str, Any]:
    missing = [p for p in checked.params if p not in params]
    if missing:
        raise InvalidInput.for_field(
            "params", f"no value for {', '.join(f'`:{p}`' for p in missing)}; give each `:name` a value"
        )
    unused = sorted(set(params) - set(checked.params))
    if unused:
        raise InvalidInput.for_field(
            "params", f"{', '.join(f'`{p}`' for p in unused)} not used by the query; remove or use them"
        )
    return {p: params[p] for p in checked.params}


def start_query(
    session: Session,
    settings: Settings,
    caller: Caller,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    limits: QueryLimits | None = None,
) -> QueryRun:
    """Check, resolve and start a query; the caller reads ``run.batches`` (which closes at the end)."""
    started = time.perf_counter()
    checked = _checked(sql)
    values = _check_params(checked, params or {})
    resolved, inputs = resolve_tables(session, settings, caller, checked.tables)
    rendered = sqlcheck.render_query(checked, {r.ref: r.relation for r in resolved})
    names = {r.relation: r.display for r in resolved}
    if checked.explain:
        rendered = f"EXPLAIN {rendered}"
        inputs = [_explained_input(t, i) for t, i in zip(resolved, inputs, strict=True)]
    stream = get_engine(settings.query.engine).run(
        rendered, tables=inputs, params=values, limits=limits or limits_from(settings), names=names
    )
    batches: Iterator[pa.RecordBatch] = iter(stream)
    if checked.explain:
        batches = _public_plan(batches, names, inputs)
    return QueryRun(stream.schema, batches, resolved, started, stream.close)


def _explained_input(table: ResolvedTable, given: TableInput) -> TableInput:
    """What EXPLAIN plans over for one table: the table itself where the caller's plan hides nothing,
    else an empty stand-in with just the columns and types the caller sees.

    The read plan's view (row filter, masks, the functions they call) is never planned, so no EXPLAIN
    can show it: the plan shown is the caller's own query.
    """
    if table.plan.unrestricted:
        return given
    schema = plan_schema(table.plan, given.schema if given.schema is not None else given.dataset.schema)  # type: ignore[union-attr]
    return TableInput(name=given.name, schema=schema, dataset=pads.dataset([], schema=schema))


def _public_plan(
    batches: Iterator[pa.RecordBatch], names: Mapping[str, str], inputs: Sequence[TableInput]
) -> Iterator[pa.RecordBatch]:
    """EXPLAIN's text with the private relation names as the caller's table names, and no file path."""
    files = private_paths(inputs)
    for batch in batches:
        columns = []
        for column in batch.columns:
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                texts = [None if v is None else public_text(v, names, files) for v in column.to_pylist()]
                column = pa.array(texts, column.type)
            columns.append(column)
        yield pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def _page_result(page: Page, run_tables: list[TableRead], started: float, limit: int) -> QueryResult:
    more = page.next is not None
    return QueryResult(
        columns=[ResultColumn(name=f.name, type=str(f.type)) for f in page.table.schema],
        rows=json_arrays(page.table),
        offset=page.offset,
        row_count=page.table.num_rows,
        total_rows=page.total,
        next=page.next,
        message=(
            f"{page.total - page.offset - page.table.num_rows} more rows: send `next` as `cursor` for the "
            f"next {limit}, or ask for format ndjson, csv, parquet or arrow to stream every row"
            if more
            else None
        ),
        tables=run_tables,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def run_query(
    session: Session,
    settings: Settings,
    caller: Caller,
    request: QueryRequest,
    *,
    params: Mapping[str, Any] | None = None,
    limits: QueryLimits | None = None,
    path: str = "sql",
) -> QueryResult:
    """A JSON page of a query (or of an earlier result, given its cursor).

    ``params`` (typed values, e.g. of a data API call) replace ``request.params`` when given. The read
    is audited once, when the query runs (``path`` says through what: ``sql``, ``data_api`` …); later
    pages of the same result read nothing new.
    """
    started = time.perf_counter()
    limit = request.limit or DEFAULT_PAGE_ROWS
    if request.cursor:
        if request.sql:
            raise InvalidInput.for_field("cursor", "give either `sql` or `cursor`, not both")
        page, meta = next_page(
            request.cursor,
            home=settings.home,
            owner=caller.identity,
            limit=request.limit,
            check=lambda meta: check_still_readable(session, settings, caller, meta.get("rules")),
        )
        tables = [TableRead(**t) for t in meta.get("tables", [])]
        return _page_result(page, tables, started, page.table.num_rows or limit)
    if not request.sql or not request.sql.strip():
        raise InvalidInput.for_field("sql", "is empty; give one SELECT statement")
    values = request.params if params is None else params
    run = start_query(session, settings, caller, request.sql, values, limits=limits)
    reads = run.table_reads
    try:
        page = first_page(
            run.batches,
            run.schema,
            limit=limit,
            home=settings.home,
            owner=caller.identity,
            extra={"tables": [t.model_dump() for t in reads], "rules": result_rules(run.tables)},
        )
    finally:
        if run.close:
            run.close()
    audit_reads(session, caller, run.tables, path=path, rows=page.total)
    return _page_result(page, reads, started, limit)


def result_rules(tables: Sequence[ResolvedTable]) -> list[dict[str, Any]]:
    """What a spooled result was read under: each table and its plan's :attr:`~ReadPlan.rules`."""
    return [
        {
            "table": [t.plan.location.organization, t.plan.location.dataset, t.plan.location.name],
            "rules": t.plan.rules,
        }
        for t in tables
    ]


def check_still_readable(
    session: Session, settings: Settings, caller: Caller, rules: list[dict[str, Any]] | None
) -> None:
    """Before any later page of a result: the caller may still read every table of the query, under the
    same rules as when it ran. Access lost (a grant revoked or expired, the caller out of the
    organization, the dataset no longer shared or public) gives the answer a new query would get
    (404 or 403); rules changed (columns, row filter, masks) a 409: run the query again.
    """
    if rules is None:  # a result written before results recorded their rules: not to be trusted
        raise Conflict("this result was made by an older version of the server; run the query again")
    for entry in rules:
        org, dataset, table = entry["table"]
        plan = plan_read(session, settings, caller, org, dataset, table)
        if plan.rules != entry["rules"]:
            raise Conflict(
                f"what you may read of table `{org}.{dataset}.{table}` has changed since this result "
                "was made; run the query again"
            )


def audit_reads(
    session: Session, caller: Caller, tables: Sequence[ResolvedTable], *, path: str, rows: int
) -> None:
    """One audit entry per table a query read, with the rows the query returned."""
    for table in tables:
        audit.record_read(
            session,
            caller=caller,
            path=path,
            table_ref=table.plan.location.ref,
            grant_id=table.plan.grant_id,
            purpose=table.plan.purpose,
            rows=rows,
        )


class ResultStreamOut:
    """Every row of a query, batch by batch, for the streaming formats; audited when it ends."""

    def __init__(self, run: QueryRun, on_end: Callable[[int], None]) -> None:
        self.run = run
        self.schema = run.schema
        self.rows = 0
        self._on_end = on_end

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self.run.batches:
                self.rows += batch.num_rows
                yield batch
        finally:
            self._on_end(self.rows)  # also when the client goes away: what was sent was read


def stream_query(
    session: Session,
    settings: Settings,
    caller: Caller,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    sessions: Callable[[], AbstractContextManager[Session]],
    path: str = "sql",
) -> ResultStreamOut:
    """A query's whole result as a stream of record batches (never all in memory).

    The stream outlives ``session``; when it ends, the read is audited in a session from ``sessions``.
    """
    if not sql or not sql.strip():
        raise InvalidInput.for_field("sql", "is empty; give one SELECT statement")
    run = start_query(session, settings, caller, sql, params)

    def on_end(rows: int) -> None:
        with sessions() as audit_session:
            audit_reads(audit_session, caller, run.tables, path=path, rows=rows)

    return ResultStreamOut(run, on_end)


def ensure_error(exc: BaseException) -> DataValleyError:
    """Any failure as one of our errors (for paths that must answer in their own protocol)."""
    if isinstance(exc, DataValleyError):
        return exc
    return DataValleyError(f"the query failed: {exc}")
