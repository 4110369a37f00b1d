"""``datavalley ingest`` and ``datavalley table``: load files into versioned tables, look at them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from datavalley.access.policy import check_dataset_editable, check_dataset_visible
from datavalley.catalog import tables as table_service
from datavalley.catalog.service import parse_dataset_ref
from datavalley.catalog.tables import ColumnUpdate, TableDetail, TableUpdate, parse_table_ref
from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly, print_json, print_record, print_table, split_list
from datavalley.cli.progress import LoadProgress
from datavalley.errors import InvalidInput
from datavalley.ingest.modes import OnError, WriteMode

app = typer.Typer(help="Tables: schema, exact row counts, versions, rollback, column notes.")

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]
TableRef = Annotated[str, typer.Argument(metavar="ORG/DATASET/TABLE")]


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"


def show_table(detail: TableDetail, *, versions: int = 10) -> None:
    print_record(
        f"table {detail.ref}",
        [
            ("title", detail.title),
            ("description", detail.description or None),
            ("site", detail.site),
            ("version", detail.version),
            ("rows", f"{detail.row_count:,}"),
            ("size", _size(detail.size_bytes)),
            ("modified", detail.modified),
        ],
    )
    print_table(
        "columns",
        ["name", "label", "type", "tags", "description"],
        [
            (c.name, c.label if c.label != c.name else None, c.type, c.tags, c.description or None)
            for c in detail.columns
        ],
    )
    print_versions(detail, limit=versions)


def print_versions(detail: TableDetail, *, limit: int | None = None) -> None:
    shown = detail.versions[:limit] if limit else detail.versions
    more = f" (newest {len(shown)} of {len(detail.versions)})" if len(shown) < len(detail.versions) else ""
    print_table(
        f"versions{more}",
        ["version", "when", "who", "mode", "rows", "source"],
        [
            (
                v.version,
                v.timestamp,
                v.user,
                v.mode,
                f"{v.rows_written:,}" if v.rows_written is not None else None,
                v.source,
            )
            for v in shown
        ],
    )


@app.command("list")
@exits_cleanly
def list_(dataset: Annotated[str, typer.Argument(metavar="ORG/DATASET")], as_json: JsonOpt = False) -> None:
    """List a dataset's tables with their row counts."""
    org, name = parse_dataset_ref(dataset)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_visible(session, state.caller(session), org, name)
        found = table_service.list_tables(session, rt.settings, org, name)
    if as_json:
        print_json([t.model_dump(mode="json") for t in found])
        return
    print_table(
        f"{len(found)} table(s) in {dataset}",
        ["table", "version", "rows", "size", "columns", "modified"],
        [
            (t.name, t.version, f"{t.row_count:,}", _size(t.size_bytes), len(t.columns), t.modified)
            for t in found
        ],
    )


@app.command("show")
@exits_cleanly
def show(
    ref: TableRef,
    version: Annotated[int | None, typer.Option(help="show an older version")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Schema, exact row count (from the table's metadata, no scan), size and versions."""
    org, ds, name = parse_table_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_visible(session, state.caller(session), org, ds)
        detail = table_service.describe_table(session, rt.settings, org, ds, name, version=version)
    print_json(detail) if as_json else show_table(detail)


@app.command("history")
@exits_cleanly
def history(ref: TableRef, as_json: JsonOpt = False) -> None:
    """Every version of a table: when, who, how it was loaded, how many rows."""
    org, ds, name = parse_table_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_visible(session, state.caller(session), org, ds)
        detail = table_service.describe_table(session, rt.settings, org, ds, name)
    if as_json:
        print_json([v.model_dump(mode="json") for v in detail.versions])
        return
    print_versions(detail)


@app.command("rollback")
@exits_cleanly
def rollback(
    ref: TableRef,
    to_version: Annotated[int, typer.Option("--to-version", help="the version whose data becomes current")],
    as_json: JsonOpt = False,
) -> None:
    """Make an older version's data current again, as a new version (history is kept)."""
    org, ds, name = parse_table_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_editable(session, state.caller(session), org, ds, "rolling back a table")
        detail = table_service.rollback_table(
            session, rt.settings, org, ds, name, to_version=to_version, user=state.acting_name()
        )
    if as_json:
        print_json(detail)
        return
    console.print(
        f"table [bold]{detail.ref}[/] now holds the data of version {to_version} "
        f"as version {detail.version} ({detail.row_count:,} rows)"
    )


@app.command("update")
@exits_cleanly
def update(
    ref: TableRef,
    title: Annotated[str | None, typer.Option(help="display title")] = None,
    description: Annotated[str | None, typer.Option(help="what the table holds")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set a table's title or description."""
    org, ds, name = parse_table_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_editable(session, state.caller(session), org, ds, "changing a table")
        detail = table_service.update_table(
            session, rt.settings, org, ds, name, TableUpdate(title=title, description=description)
        )
    print_json(detail) if as_json else show_table(detail, versions=3)


@app.command("column")
@exits_cleanly
def column(
    ref: TableRef,
    column_name: Annotated[str, typer.Argument(metavar="COLUMN")],
    description: Annotated[str | None, typer.Option(help="what the column means")] = None,
    tags: Annotated[
        str | None,
        typer.Option(help="comma-separated sensitivity tags: id_number, phone, name, address, ..."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Describe a column and tag its sensitivity (``--tags ""`` clears the tags)."""
    org, ds, name = parse_table_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_editable(session, state.caller(session), org, ds, "describing or tagging a column")
        result = table_service.update_column(
            session,
            rt.settings,
            org,
            ds,
            name,
            column_name,
            ColumnUpdate(description=description, tags=split_list(tags)),
        )
    if as_json:
        print_json(result)
        return
    print_record(
        f"column {column_name} of {ref}",
        [
            ("label", result.label),
            ("type", result.type),
            ("tags", result.tags),
            ("description", result.description or None),
        ],
    )


@app.command("delete")
@exits_cleanly
def delete(
    ref: TableRef, yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False
) -> None:
    """Delete a table and its files, every version."""
    org, ds, name = parse_table_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        check_dataset_editable(session, state.caller(session), org, ds, "deleting a table")
        table_service.table_record(session, org, ds, name)
    if not yes and not typer.confirm(f"delete table {ref} and all its versions?", default=False):
        raise typer.Exit(code=1)
    with rt.session() as session:
        where = table_service.delete_table(session, rt.settings, org, ds, name)
    table_service.remove_table_files(where)
    console.print(f"deleted table [bold]{ref}[/]")


@exits_cleanly
def ingest_command(
    source: Annotated[
        str,
        typer.Argument(
            metavar="PATH_OR_URL",
            help="a file, an http(s) URL, or with --query a database URL (postgresql://user@host/db)",
        ),
    ],
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", metavar="ORG/NAME", help="the dataset to load into")
    ],
    table: Annotated[str | None, typer.Option(help="table name (default: the file's name as a slug)")] = None,
    mode: Annotated[WriteMode, typer.Option(help="create | append | overwrite | upsert")] = "create",
    key: Annotated[str | None, typer.Option(help="key column(s) for upsert, comma-separated")] = None,
    encoding: Annotated[
        str | None, typer.Option(help="force the text encoding (utf-8, gbk, gb18030, utf-16 ...)")
    ] = None,
    schema: Annotated[
        Path | None, typer.Option(help='file fixing column types: {"code": "string", ...}')
    ] = None,
    on_error: Annotated[
        OnError, typer.Option(help="fail: load nothing on a bad row; skip: load the rest, report rejects")
    ] = "fail",
    sheet: Annotated[str | None, typer.Option(help="Excel: load only this sheet")] = None,
    query: Annotated[
        str | None,
        typer.Option(
            help="load the rows this query returns from the database at PATH_OR_URL (needs --table)",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load a file (CSV/TSV, JSON, NDJSON, Parquet, Excel; gzip/zip) into a table as one new version.

    With --query, load the result of a query on another database (PostgreSQL, SQLite ...) instead.
    """
    from datavalley.ingest.load import IngestRequest, ingest  # DuckDB and friends: only for this command
    from datavalley.ingest.types import read_schema_file

    if query is not None:
        _check_query_options(table=table, encoding=encoding, schema=schema, on_error=on_error, sheet=sheet)
    elif _DATABASE_URL.match(source):
        raise InvalidInput.for_field(
            "source",
            f"`{source.split(':', 1)[0]}:` is a database; give the rows to load with --query 'SELECT ...'",
        )
    rt = state.runtime()
    org, ds = parse_dataset_ref(dataset)
    with rt.session() as session:
        check_dataset_editable(session, state.caller(session), org, ds, "loading data")
    progress = None if quiet or as_json else LoadProgress()
    if query is not None:
        from datavalley.ingest.sql_source import ingest_sql

        assert table is not None  # checked above
        results = [
            ingest_sql(
                rt,
                url=source,
                query=query,
                dataset=dataset,
                table=table,
                mode=mode,
                key=split_list(key) or [],
                user=state.acting_name(),
                progress=progress,
            )
        ]
    else:
        request = IngestRequest(
            source=source,
            dataset=dataset,
            table=table,
            mode=mode,
            key=split_list(key) or [],
            encoding=encoding,
            schema=read_schema_file(schema) if schema else {},
            on_error=on_error,
            sheet=sheet,
            user=state.acting_name(),
        )
        results = ingest(rt, request, progress=progress)
    if as_json:
        print_json([r.__dict__ for r in results])
        return
    for r in results:
        console.print(
            f"[bold green]loaded[/] {r.source} → [bold]{r.table}[/] version {r.version} ({r.mode}): "
            f"{_rows(r.rows_written)} written, table has {_rows(r.row_count)}, {r.seconds:.2f} s"
        )
        if r.rows_rejected:
            console.print(f"[bold yellow]{r.rows_rejected:,} row(s) rejected[/]; reasons in {r.rejects_file}")


#: a database URL given where a file was expected: ``postgresql://``, ``sqlite:///``, ``mysql+pymysql://``
_DATABASE_URL = re.compile(r"^(postgres(ql)?|sqlite|mysql|mariadb|oracle|mssql)(\+\w+)?://", re.IGNORECASE)


def _check_query_options(
    *, table: str | None, encoding: str | None, schema: Path | None, on_error: str, sheet: str | None
) -> None:
    if table is None:
        raise InvalidInput.for_field(
            "table", "--query needs --table NAME: a query has no file name to take it from"
        )
    given = [
        flag
        for flag, value in (("--encoding", encoding), ("--schema", schema), ("--sheet", sheet))
        if value is not None
    ] + (["--on-error"] if on_error != "fail" else [])
    if given:
        raise InvalidInput.for_field(
            "query",
            f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} to files, not to --query; "
            "a query's columns keep the database's types",
        )


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")
