"""The ingest service: a file (or URL) becomes a new version of a Delta table, atomically.

Pipeline, the same for every format::

    source (path | URL) → unpack (gzip, zip) → reader.prepare (encoding, sheets)
      → reader.columns (labels, inferred types) → SQL-friendly names, fixed / widened types
      → DuckDB scan with type guards (``ingest.guards``) → Arrow batches → deltalake write (one commit)

Types are guessed from a sample and then *checked on every row while loading*: a value that would not
fit its guessed type, or would lose something in it (a leading zero, digits beyond a double's
precision), aborts that attempt before anything is committed, the column is widened, and the load runs
again. So the types hold over the whole input and nothing is lost, at the cost of a re-read only when
the sample misled. A failed load commits nothing: the table stays at its previous version.
"""

from __future__ import annotations

import csv
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import duckdb
from deltalake import CommitProperties, DeltaTable, Schema, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datavalley.catalog.models import Table, TableColumn
from datavalley.catalog.service import parse_dataset_ref
from datavalley.catalog.tables import dataset_record, locate
from datavalley.catalog.vocabulary import slug_problem
from datavalley.db.base import utcnow
from datavalley.errors import Conflict, DataValleyError, InvalidInput
from datavalley.ingest import guards, staging, upsert
from datavalley.ingest.modes import OnError, WriteMode
from datavalley.ingest.names import column_names, table_name_for
from datavalley.ingest.readers import (
    READERS,
    Reader,
    ReadOptions,
    Reject,
    SourceColumn,
    sql_ident,
    sql_string,
)
from datavalley.ingest.sources import SourceFile, download, is_url, unpack
from datavalley.ingest.types import duckdb_type_of_delta, stored_type
from datavalley.runtime import Runtime
from datavalley.storage import delta
from datavalley.storage.sites import DEFAULT_SITE, table_uri

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 122_880
#: rows per Parquet row group: small enough that a selective query skips most of a file by its
#: min/max statistics, large enough to keep scans fast (DuckDB's own default is 122,880)
ROW_GROUP_ROWS = 131_072
MAX_ATTEMPTS = 12


def _writer_properties() -> WriterProperties:
    # compression must be named: WriterProperties() without it writes uncompressed Parquet (1.8x the
    # bytes of deltalake's own default, Snappy, and slower on disk)
    return WriterProperties(compression="SNAPPY", max_row_group_size=ROW_GROUP_ROWS)


class Progress(Protocol):
    """What the CLI's progress bar (or nothing) is told while a load runs."""

    def start(self, name: str, total_bytes: int) -> None: ...

    def advance(self, *, bytes_read: int, rows_written: int | None) -> None:
        """``rows_written`` is None while DuckDB writes the files itself (known when they are done)."""

    def finish(self) -> None: ...


class _NoProgress:
    def start(self, name: str, total_bytes: int) -> None:
        pass

    def advance(self, *, bytes_read: int, rows_written: int | None) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass
class IngestRequest:
    source: str
    dataset: str  # ORG/NAME
    table: str | None = None
    mode: WriteMode = "create"
    key: list[str] = field(default_factory=list)
    encoding: str | None = None
    schema: dict[str, str] = field(default_factory=dict)  # column label or name → DuckDB type
    on_error: OnError = "fail"
    sheet: str | None = None
    user: str | None = None
    source_name: str | None = None  # what to call an uploaded file in messages and history


@dataclass
class IngestResult:
    table: str  # ORG/DATASET/TABLE
    version: int
    mode: str
    rows_written: int
    rows_rejected: int
    rejects_file: str | None
    row_count: int
    columns: list[dict[str, str]]
    seconds: float
    source: str


# --- errors ------------------------------------------------------------------------------------

_LINE = re.compile(r"Line:\s*(\d+)")
_CONVERT = re.compile(r'converting column "(.+?)"')


class _Retry(Exception):
    """This attempt cannot finish; another read with what it learned can."""


class _Widen(_Retry):
    def __init__(self, index: int, to: str) -> None:
        super().__init__(f"widen column {index} to {to}")
        self.index = index
        self.to = to


class _NeedsExact(_Retry):
    """A value failed its guard's cheap test: read again with the exact test (``guards.install``)."""


class _Lossy(Exception):
    """A value would change in its fixed column's type (``guards.strict_guard``): explained by
    :func:`_lossy_error`, which reads the file again for the value."""

    def __init__(self, index: int) -> None:
        super().__init__(f"column {index} would lose a value")
        self.index = index


def _lossy_error(
    con: duckdb.DuckDBPyConnection,
    reader: Reader,
    options: ReadOptions,
    columns: list[SourceColumn],
    scan: str,
    index: int,
    source: SourceFile,
) -> DataValleyError:
    """Explain a value its fixed column cannot hold as it is, reading the file again for it.

    First as DuckDB would convert the column itself: a value it cannot convert at all (``lots`` for a
    number) fails there with its line. Otherwise the value converts with a change (``2.5`` rounded):
    the message names the value, found by the check.
    """
    column = columns[index]
    typed = [_unchecked(c) if i == index else c for i, c in enumerate(columns)]
    try:
        con.execute(f"SELECT count({sql_ident(column.label)}) FROM {reader.scan(source, options, typed)}")
    except duckdb.Error as exc:
        return _explain(exc, source, columns)
    sql = guards.lossy_rows(
        [c if i == index else _unchecked(c) for i, c in enumerate(columns)], scan, limit=1
    )
    try:
        found = con.execute(sql).fetchall() if sql else []
    except duckdb.Error:
        found = []
    value = f"`{found[0][1]}`" if found else "a value"
    return InvalidInput.for_field(
        "source",
        f"{source.name}: {value} does not fit column `{column.label}` ({column.type.lower()}) as it is: "
        "it would be rounded or cut, or it is out of range. Fix the file, load with --on-error skip to "
        "leave such rows out, or give the column another type (--schema; --mode overwrite for a table "
        "that has it)",
    )


def _unchecked(column: SourceColumn) -> SourceColumn:
    return SourceColumn(column.label, column.type, fixed=True, natural=column.type)


def _explain(exc: BaseException, source: SourceFile, columns: list[SourceColumn]) -> DataValleyError:
    """A DuckDB error about the input, as a message naming the file, line and column."""
    text = str(exc)
    line = _LINE.search(text)
    where = f"{source.name} line {line.group(1)}" if line else source.name
    column = _CONVERT.search(text)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    lowered = text.lower()
    if "unterminated quote" in lowered or "unterminated" in lowered:
        hint = "a quoted field is never closed; fix the quote"
    elif "expected number of columns" in lowered or "too many columns" in lowered:
        hint = "the row has a different number of fields than the header; fix the row"
    elif "invalid unicode" in lowered or ("utf" in lowered and "invalid" in lowered):
        hint = "the file is not valid UTF-8; give its encoding with --encoding (gbk, gb18030, utf-16 ...)"
    elif column:
        label = column.group(1)
        kind = next((c.type for c in columns if c.label == label), "its type")
        hint = f"column `{label}` must be {kind.lower()} here (fixed by --schema or by the table)"
    else:
        hint = first
    structural = "number of fields" in hint or "quote" in hint or "must be" in hint
    skip = (
        " Use --on-error skip to load the other rows and get the bad ones in a rejects file."
        if structural
        else ""
    )
    hint = re.sub(r"^[A-Za-z ]+Error: ", "", hint)
    return InvalidInput.for_field("source", f"{where}: {hint}.{skip}")


# --- the typed scan ----------------------------------------------------------------------------


class _Stream:
    """Arrow batches from DuckDB, counted for progress; errors kept to tell apart from deltalake's."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        sql: str,
        *,
        total_bytes: int,
        progress: Progress,
        end_check: object = None,
    ) -> None:
        self.con = con
        self.reader = con.sql(sql).to_arrow_reader(BATCH_ROWS)
        self.schema = self.reader.schema
        self.rows = 0
        self.error: BaseException | None = None
        self.total_bytes = total_bytes
        self.progress = progress
        self.end_check = end_check

    def _batches(self) -> Iterator[pa.RecordBatch]:
        try:
            for batch in self.reader:
                self.rows += batch.num_rows
                try:
                    done = max(0.0, float(self.con.query_progress()))
                except duckdb.Error:
                    done = 0.0
                self.progress.advance(
                    bytes_read=int(self.total_bytes * min(done, 100.0) / 100), rows_written=self.rows
                )
                yield batch
            if callable(self.end_check):
                self.end_check()
        except BaseException as exc:
            self.error = exc
            raise

    def arrow(self) -> pa.RecordBatchReader:
        """The batches in the types every load stores (``delta.plain_type``: no views, no large types)."""
        import pyarrow as pa

        plain = delta.plain_schema(self.schema)
        if plain.equals(self.schema):
            return pa.RecordBatchReader.from_batches(self.schema, self._batches())
        return pa.RecordBatchReader.from_batches(
            plain, (delta.plain_batch(b, plain) for b in self._batches())
        )


# --- the service -------------------------------------------------------------------------------


def ingest(rt: Runtime, request: IngestRequest, *, progress: Progress | None = None) -> list[IngestResult]:
    """Load ``request.source`` into one table (or one per sheet / zip member). Atomic per table."""
    progress = progress or _NoProgress()
    org, dataset = parse_dataset_ref(request.dataset)
    if request.table is not None and (problem := slug_problem(request.table)):
        raise InvalidInput.for_field("table", f"`{request.table}` {problem}")
    if request.mode == "upsert" and not request.key:
        raise InvalidInput.for_field("key", "--mode upsert needs --key COLUMN[,COLUMN...]")
    with rt.session() as session:
        dataset_record(session, org, dataset)  # 404 before any work
    workdir = rt.settings.home / "tmp" / f"ingest-{uuid.uuid4().hex[:12]}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if is_url(request.source):
            path = download(request.source, workdir)
            name = request.source_name or path.name
        else:
            path = Path(request.source).expanduser()
            name = request.source_name or path.name
        files: list[SourceFile] = []
        options = ReadOptions(
            encoding=request.encoding, sheet=request.sheet, skip_errors=request.on_error == "skip"
        )
        for unpacked in unpack(path, name, workdir):
            reader = READERS.get(unpacked.format)
            if reader is None:
                raise InvalidInput.for_field(
                    "source", f"{unpacked.name}: format `{unpacked.format}` cannot be read yet"
                )
            files.extend(reader.prepare(unpacked, options, workdir))
        if request.table and len(files) > 1:
            raise InvalidInput.for_field(
                "table",
                f"{name} holds {len(files)} tables ({', '.join(f.stem for f in files)}); "
                "leave out --table to load each as its own table, or pick one sheet with --sheet",
            )
        results: list[IngestResult] = []
        for f in files:
            try:
                results.append(
                    _load_one(
                        rt,
                        request,
                        org,
                        dataset,
                        f,
                        request.table or table_name_for(f.stem),
                        workdir,
                        progress,
                    )
                )
            except DataValleyError as exc:
                if results:  # each table is its own atomic load: say which ones are in
                    done = ", ".join(f"`{r.table}` (version {r.version})" for r in results)
                    note = f". Loaded from {name} before this failed: {done}"
                    exc.reword(lambda text, note=note: text + note)
                raise
        return results
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _connect(rt: Runtime) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 2, "memory_limit": "1GB"})
    tmp = rt.settings.home / "tmp" / "duckdb"
    tmp.mkdir(parents=True, exist_ok=True)
    con.execute(f"SET temp_directory = {sql_string(str(tmp))}")
    return con


def _load_one(
    rt: Runtime,
    request: IngestRequest,
    org: str,
    dataset: str,
    source: SourceFile,
    table_name: str,
    workdir: Path,
    progress: Progress,
) -> IngestResult:
    started = time.perf_counter()
    reader = READERS[source.format]
    ref = f"{org}/{dataset}/{table_name}"
    with rt.session() as session:
        ds = dataset_record(session, org, dataset)
        existing = session.scalars(
            select(Table).where(Table.dataset_id == ds.id, Table.name == table_name)
        ).first()
        where = locate(rt.settings, existing) if existing else None
    mode: str = request.mode
    if existing and mode == "create":
        raise Conflict(
            f"table `{ref}` already exists; load with --mode append, overwrite or upsert, "
            "or choose another --table"
        )
    if not existing:
        mode = "create"

    target_types: dict[str, str] = {}
    if existing and mode in ("append", "upsert") and where:
        current = delta.open_delta(where.uri, name=f"table `{ref}`")
        target_types = {f.name: duckdb_type_of_delta(f.type) for f in current.schema().fields}

    options = ReadOptions(
        encoding=request.encoding,
        sheet=request.sheet,
        types=dict(request.schema),
        skip_errors=request.on_error == "skip",
    )
    new_path = None if existing else _new_path(ref)
    uri = where.uri if where else table_uri(rt.settings, DEFAULT_SITE, new_path or "")
    widened: dict[str, str] = {}
    exact = False  # the exact number test, once a value needs it (guards.install)
    progress.start(source.name, source.path.stat().st_size)
    try:
        for _attempt in range(MAX_ATTEMPTS):
            con = _connect(rt)
            if exact:
                guards.install(con)
            try:
                found = reader.columns(con, source, options)
                if not found:
                    raise InvalidInput.for_field("source", f"{source.name} has no columns")
                names = column_names([c.label for c in found])
                columns = _settle_types(
                    found, names, options.types, target_types, widened, reads_text=reader.reads_text
                )
                _check_shape(ref, names, target_types, request.key, mode)
                scan = reader.scan(source, options, columns)
                skip = options.skip_errors
                sql = guards.guarded_select(columns, names, scan, exact=exact, skip=skip)
                lossy = guards.lossy_rows(columns, scan) if skip else None
                try:
                    version, rows, rejects = _write(
                        con, sql, reader, source, request, mode, ref, uri, columns, progress, workdir, lossy
                    )
                except _Lossy as failed:
                    raise _lossy_error(con, reader, options, columns, scan, failed.index, source) from None
                except _Widen as w:
                    widened[columns[w.index].label] = guards.WIDENED_TYPE[w.to]
                    continue
                except _NeedsExact:
                    exact = True
                    continue
                break
            finally:
                con.close()
        else:
            raise InvalidInput.for_field(
                "source", f"{source.name}: column types did not settle after {MAX_ATTEMPTS} reads"
            )
    finally:
        progress.finish()

    rejects_file = _save_rejects(rt, ref, version, rejects) if rejects else None
    try:
        with rt.session() as session:
            _record(session, org, dataset, table_name, new_path, columns, names, replace=mode == "overwrite")
    except IntegrityError:
        if new_path:
            shutil.rmtree(uri, ignore_errors=True)
        raise Conflict(
            f"table `{ref}` was created by another load at the same time; load again to append"
        ) from None
    except BaseException:
        if new_path:
            shutil.rmtree(uri, ignore_errors=True)
        raise
    dt = delta.open_delta(uri, name=f"table `{ref}`")
    return IngestResult(
        table=ref,
        version=version,
        mode=mode,
        rows_written=rows,
        rows_rejected=len(rejects),
        rejects_file=str(rejects_file) if rejects_file else None,
        row_count=delta.row_count(dt),
        columns=[
            {"name": n, "label": c.label, "type": stored_type(c.type)}
            for c, n in zip(columns, names, strict=True)
        ],
        seconds=round(time.perf_counter() - started, 3),
        source=source.name,
    )


def _settle_types(
    found: list[SourceColumn],
    names: list[str],
    fixed: dict[str, str],
    target: dict[str, str],
    widened: dict[str, str],
    *,
    reads_text: bool = True,
) -> list[SourceColumn]:
    unknown = set(fixed) - {c.label for c in found} - set(names)
    if unknown:
        raise InvalidInput.for_field(
            "schema",
            f"the schema names column `{sorted(unknown)[0]}`, which the file does not have; "
            f"its columns: {', '.join(c.label for c in found)}",
        )
    out = []
    for column, name in zip(found, names, strict=True):
        kind = fixed.get(column.label) or fixed.get(name) or target.get(name)
        if kind:
            natural = "VARCHAR" if reads_text else column.type
            out.append(SourceColumn(column.label, kind, fixed=True, natural=natural))
        else:
            guessed = widened.get(column.label, column.type)
            # a guessed FLOAT would keep only 7 digits: numbers are guessed as doubles at least
            out.append(SourceColumn(column.label, "DOUBLE" if guessed.upper() == "FLOAT" else guessed))
    return out


def _check_shape(ref: str, names: list[str], target: dict[str, str], key: list[str], mode: str) -> None:
    if target:
        missing = [n for n in target if n not in names]
        extra = [n for n in names if n not in target]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"lacks column(s) {', '.join(f'`{m}`' for m in missing)} of table `{ref}`")
            if extra:
                parts.append(f"has column(s) {', '.join(f'`{e}`' for e in extra)} that table `{ref}` has not")
            raise InvalidInput.for_field(
                "source",
                f"the file {' and '.join(parts)}; "
                "use --mode overwrite to replace the table with a new set of columns",
            )
    if mode == "upsert" or key:
        for k in key:
            if k not in names:
                raise InvalidInput.for_field(
                    "key", f"key column `{k}` is not in the file; its columns: {', '.join(names)}"
                )
            if target and k not in target:
                raise InvalidInput.for_field("key", f"key column `{k}` is not in table `{ref}`")


def _write(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    reader: Reader,
    source: SourceFile,
    request: IngestRequest,
    mode: str,
    ref: str,
    uri: str,
    columns: list[SourceColumn],
    progress: Progress,
    workdir: Path,
    lossy: str | None = None,
) -> tuple[int, int, list[Reject]]:
    """One attempt: stream the typed scan into the table as one commit; (version, rows, rejects).

    ``lossy`` (with ``--on-error skip``) lists the values left out because their fixed column's type
    would change them (``guards.lossy_rows``): they become rejects too.
    """
    rejects: list[Reject] = []

    def end_check() -> None:
        rejects.extend(reader.rejects(con))
        if lossy is not None:
            kinds = {c.label: c.type for c in columns}
            for label, value in con.execute(lossy).fetchall():
                kind = kinds[label]
                rejects.append(
                    Reject(
                        None,
                        label,
                        f"`{value}` does not fit the column's type {kind.lower()} as it is",
                        value,
                    )
                )
        for r in rejects:
            if r.column and r.error.startswith("CAST"):
                index = next((i for i, c in enumerate(columns) if c.label == r.column), None)
                if index is not None and not columns[index].fixed:
                    raise _Widen(index, "varchar")

    if mode == "upsert":
        return _write_staged(
            con, sql, None, [], source, request, mode, ref, uri, columns, progress, end_check, rejects
        )
    try:
        shape = con.sql(sql).limit(0)
        schema = staging.delta_schema(shape.columns, [str(t) for t in shape.types])
    except duckdb.Error as exc:
        raise _translate(exc, source, columns) from None
    if schema is not None and (mode != "overwrite" or staging.fits_protocol(uri, schema)):
        duck_types = [str(t) for t in shape.types]
        return _write_staged(
            con,
            sql,
            schema,
            duck_types,
            source,
            request,
            mode,
            ref,
            uri,
            columns,
            progress,
            end_check,
            rejects,
        )
    import pyarrow as pa  # only this path (nested types) needs it: 0.1 s of start-up

    user = request.user or delta.default_user()
    commit = CommitProperties(
        custom_metadata={delta.COMMIT_USER: user, delta.COMMIT_MODE: mode, delta.COMMIT_SOURCE: source.name}
    )
    try:
        stream = _Stream(
            con, sql, total_bytes=source.path.stat().st_size, progress=progress, end_check=end_check
        )
    except duckdb.Error as exc:
        raise _translate(exc, source, columns) from None
    try:
        write_deltalake(
            uri,
            stream.arrow(),
            mode={"create": "error", "append": "append", "overwrite": "overwrite"}[mode],  # type: ignore[arg-type]
            schema_mode="overwrite" if mode == "overwrite" else None,
            commit_properties=commit,
            writer_properties=_writer_properties(),
        )
        rows = stream.rows
    except BaseException as exc:
        cause = stream.error or exc
        if mode == "create":
            shutil.rmtree(uri, ignore_errors=True)
        if isinstance(cause, _Retry):
            raise cause from None
        if isinstance(cause, duckdb.Error) or (
            stream.error is not None and not isinstance(cause, DataValleyError)
        ):
            raise _translate(cause, source, columns) from None
        if isinstance(cause, DataValleyError):
            raise cause from None
        if isinstance(cause, CommitFailedError):
            raise Conflict(f"table `{ref}` was changed by another load at the same time; try again") from None
        if isinstance(cause, DeltaError | pa.ArrowException):
            raise InvalidInput.for_field(
                "source", f"{source.name} cannot be stored in table `{ref}`: {cause}"
            ) from None
        raise
    return DeltaTable(uri).version(), rows, rejects


def _write_staged(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    schema: Schema | None,
    duck_types: list[str],
    source: SourceFile,
    request: IngestRequest,
    mode: str,
    ref: str,
    uri: str,
    columns: list[SourceColumn],
    progress: Progress,
    end_check: Callable[[], None],
    rejects: list[Reject],
) -> tuple[int, int, list[Reject]]:
    """One attempt written by DuckDB, committed by deltalake (``staging``; an upsert: ``upsert``).

    ``schema`` and ``duck_types`` are the new files' (None and [] for an upsert: the table's own).
    """
    total = source.path.stat().st_size
    staging.sweep(uri)
    folder = staging.stage_dir(uri)

    def report(percent: float) -> None:
        progress.advance(bytes_read=int(total * percent / 100), rows_written=None)

    def properties(rows: int) -> CommitProperties:
        metadata = {
            delta.COMMIT_USER: request.user or delta.default_user(),
            delta.COMMIT_MODE: mode,
            delta.COMMIT_SOURCE: source.name,
            delta.COMMIT_ROWS: str(rows),
            delta.COMMIT_REJECTED: str(len(rejects)),
        }
        return CommitProperties(custom_metadata=metadata)

    watch = None if isinstance(progress, _NoProgress) else report
    name = f"table `{ref}`"
    try:
        try:
            if schema is None:
                version, rows = upsert.upsert_staged(
                    con,
                    sql,
                    uri,
                    key=request.key,
                    folder=folder,
                    row_group_rows=ROW_GROUP_ROWS,
                    commit=properties,
                    name=name,
                    on_progress=watch,
                    end_check=end_check,
                )
            else:
                files = staging.write_staged(
                    con, sql, folder, row_group_rows=ROW_GROUP_ROWS, on_progress=watch
                )
                end_check()
                rows = sum(f.rows for f in files)
                version = staging.commit_staged(
                    uri,
                    files,
                    schema=schema,
                    types=dict(zip([f.name for f in schema.fields], duck_types, strict=True)),
                    mode=mode,  # type: ignore[arg-type]
                    commit=properties(rows),
                    name=name,
                )
        except duckdb.Error as exc:
            raise _translate(exc, source, columns) from None
        except CommitFailedError:
            raise Conflict(f"table `{ref}` was changed by another load at the same time; try again") from None
        except DeltaError as exc:
            raise InvalidInput.for_field(
                "source", f"{source.name} cannot be stored in table `{ref}`: {exc}"
            ) from None
        progress.advance(bytes_read=total, rows_written=rows)
    except BaseException:
        if mode == "create":
            shutil.rmtree(uri, ignore_errors=True)
        raise
    finally:
        staging.discard(folder)
    return version, rows, rejects


def _translate(exc: BaseException, source: SourceFile, columns: list[SourceColumn]) -> BaseException:
    if guards.NEEDS_EXACT in str(exc):
        return _NeedsExact()
    if m := guards.LOSSY.search(str(exc)):
        return _Lossy(int(m.group(1)))
    if m := guards.WIDEN.search(str(exc)):
        return _Widen(int(m.group(1)), m.group(2))
    if m := _CONVERT.search(str(exc)):  # a guessed date, time or boolean type met a value it cannot hold
        index = next((i for i, c in enumerate(columns) if c.label == m.group(1)), None)
        if index is not None and not columns[index].fixed and columns[index].type.upper() != "VARCHAR":
            return _Widen(index, "varchar")
    return _explain(exc, source, columns)


def _new_path(ref: str) -> str:
    return f"{ref}-{uuid.uuid4().hex[:8]}"


def _save_rejects(rt: Runtime, ref: str, version: int, rejects: list[Reject]) -> Path:
    folder = rt.settings.home / "rejects" / ref
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"v{version}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["line", "column", "error", "original_line"])
        for r in rejects:
            out.writerow([r.line, r.column or "", r.error, r.original or ""])
    return path


def _record(
    session: Session,
    org: str,
    dataset: str,
    name: str,
    new_path: str | None,
    columns: list[SourceColumn],
    names: list[str],
    *,
    replace: bool,
) -> None:
    """Register a new table, or bring an existing one's column notes in line with its new version."""
    ds = dataset_record(session, org, dataset)
    now = utcnow()
    if new_path is not None:
        table = Table(
            dataset_id=ds.id,
            name=name,
            title="",
            description="",
            site=DEFAULT_SITE,
            path=new_path,
            created=now,
            modified=now,
        )
        table.columns = [
            TableColumn(name=n, position=i, label=c.label, description="", tags=[])
            for i, (c, n) in enumerate(zip(columns, names, strict=True))
        ]
        session.add(table)
        session.flush()
        return
    table = session.scalars(select(Table).where(Table.dataset_id == ds.id, Table.name == name)).one()
    table.modified = now
    notes = {c.name: c for c in table.columns}
    for i, (c, n) in enumerate(zip(columns, names, strict=True)):
        if n in notes:
            notes[n].position = i
            if replace:
                notes[n].label = c.label
        else:
            table.columns.append(TableColumn(name=n, position=i, label=c.label, description="", tags=[]))
    if replace:
        # the notes of columns this version drops are kept, at negative positions (not in the newest
        # version): older versions still have those columns, and their tags still mask them there (and
        # again after a rollback, or when a later load brings the column back)
        dropped = (c for c in table.columns if c.name not in set(names))
        for k, note in enumerate(dropped):
            note.position = -1 - k
    session.flush()
