"""``datavalley query`` and ``datavalley api``: SQL over the tables you may read, and saved data APIs."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import typer

from datavalley.cli import state
from datavalley.cli.output import console, exits_cleanly, print_json, print_record, print_table
from datavalley.errors import InvalidInput

app = typer.Typer(help="Data APIs: saved, parameterised queries published at /api/v1/apis/ORG/NAME.")

CliFormat = Literal["table", "csv", "json", "ndjson", "parquet", "arrow"]
TABLE_ROWS = 100


def _params(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput.for_field("param", f"`{pair}` is not NAME=VALUE")
        out[name.strip()] = value
    return out


@contextmanager
def _sink(output: Path | None) -> Iterator[IO[bytes]]:
    if output is None:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    partial = output.with_name(output.name + ".partial")
    try:
        handle = partial.open("wb")
    except OSError as exc:
        raise InvalidInput.for_field("output", f"{output} cannot be written: {exc.strerror}") from None
    try:
        with handle:
            yield handle
        partial.replace(output)  # a failed query leaves no half-written file behind
    finally:
        partial.unlink(missing_ok=True)


def _json_chunks(stream: Any) -> Iterator[bytes]:
    """``{"columns": [...], "rows": [[...], ...]}`` written as the rows come."""
    from datavalley.query.formats import json_arrays

    columns = [{"name": f.name, "type": str(f.type)} for f in stream.schema]
    yield (json.dumps({"columns": columns}, ensure_ascii=False)[:-1] + ', "rows": [').encode()
    first = True
    for batch in stream:
        for row in json_arrays(batch):
            yield (("" if first else ",\n") + json.dumps(row, ensure_ascii=False)).encode()
            first = False
    yield b"]}\n"


def run_and_print(
    sql: str, values: dict[str, Any], fmt: CliFormat, output: Path | None, *, path: str = "sql"
) -> None:
    """Run a query as the CLI's caller and print or write its result in ``fmt``."""
    if output is not None and not output.parent.is_dir():  # before the query runs (and is audited)
        raise InvalidInput.for_field(
            "output", f"folder {output.parent} does not exist; create it or choose another --output"
        )
    from datavalley.query import service
    from datavalley.query.formats import DOWNLOADS

    rt = state.runtime()
    with rt.session() as session:
        caller = state.caller(session)
        if fmt == "table" and output is None:
            result = service.run_query(
                session,
                rt.settings,
                caller,
                service.QueryRequest(sql=sql, limit=TABLE_ROWS),
                params=values,
                path=path,
            )
            print_table(None, [c.name for c in result.columns], result.rows)
            more = result.total_rows - result.row_count
            tail = f"; {more} more not shown (use --format csv|ndjson|parquet --output FILE)" if more else ""
            console.print(f"[dim]{result.total_rows} row(s){tail}[/]", highlight=False)
            return
        stream = service.stream_query(
            session, rt.settings, caller, sql, values, sessions=rt.session, path=path
        )
    if fmt == "table":
        fmt = "csv"
    chunks = _json_chunks(stream) if fmt == "json" else DOWNLOADS[fmt].chunks(stream)
    with _sink(output) as sink:
        for chunk in chunks:
            sink.write(chunk)
    if output is not None:
        console.print(f"wrote {stream.rows} row(s) to {output}", highlight=False)


@exits_cleanly
def query_command(
    sql: Annotated[str, typer.Argument(help="one SELECT; tables are org.dataset.table; `:name` parameters")],
    format: Annotated[
        str,
        typer.Option("--format", "-f", metavar="table|csv|json|ndjson|parquet|arrow", help="output format"),
    ] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE for `:NAME`")] = None,
) -> None:
    """Run SQL over every table you may read. `EXPLAIN SELECT ...` shows the plan.

    Time travel: `FROM org.dataset.table FOR VERSION AS OF 3` or `FOR TIMESTAMP AS OF '2026-01-31T00:00:00Z'`.
    """
    if format not in ("table", "csv", "json", "ndjson", "parquet", "arrow"):
        raise InvalidInput.for_field(
            "format", f"`{format}` is not one of table, csv, json, ndjson, parquet, arrow"
        )
    if format in ("parquet", "arrow") and output is None and sys.stdout.isatty():
        raise InvalidInput.for_field("output", f"{format} is binary: give --output FILE")
    run_and_print(sql, dict(_params(param)), format, output)  # type: ignore[arg-type]


# --- data APIs ----------------------------------------------------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def _split_ref(ref: str) -> tuple[str, str]:
    from datavalley.catalog.service import parse_dataset_ref

    return parse_dataset_ref(ref)


def _spec(text: str) -> dict[str, Any]:
    """``name:type[=default]`` → a parameter declaration."""
    head, sep, default = text.partition("=")
    name, _, kind = head.partition(":")
    spec: dict[str, Any] = {"name": name.strip(), "type": (kind.strip() or "text")}
    if sep:
        spec["default"] = default
    return spec


@app.command("create")
@exits_cleanly
def create(
    ref: Annotated[str, typer.Argument(help="ORG/NAME of the data API")],
    sql: Annotated[str, typer.Option("--sql", help="one SELECT with `:name` parameters")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param", "-p", help="NAME:TYPE[=DEFAULT]; types: text integer number boolean date timestamp"
        ),
    ] = None,
    title: Annotated[str, typer.Option(help="display name")] = "",
    description: Annotated[str, typer.Option(help="what it answers")] = "",
    unpublished: Annotated[
        bool, typer.Option("--unpublished", help="only the organization may call it")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Save a parameterised query and publish it as a data API."""
    from datavalley.query import saved

    org, name = _split_ref(ref)
    data = saved.SavedQueryCreate(
        name=name,
        title=title,
        description=description,
        sql=sql,
        parameters=[saved.ParameterSpec(**_spec(p)) for p in param or []],
        published=not unpublished,
    )
    rt = state.runtime()
    with rt.session() as session:
        created = saved.create_saved_query(session, state.caller(session), org, data)
    if as_json:
        print_json(created)
    else:
        console.print(f"data API [bold]{org}/{name}[/] published at {created.path}", highlight=False)


@app.command("list")
@exits_cleanly
def list_(
    org: Annotated[str | None, typer.Option(help="only this organization's")] = None, as_json: JsonOpt = False
) -> None:
    """List data APIs."""
    from datavalley.query import saved

    rt = state.runtime()
    with rt.session() as session:
        found = saved.list_saved_queries(session, state.caller(session), org=org)
    if as_json:
        print_json(found)
        return
    print_table(
        "Data APIs",
        ["api", "title", "parameters", "published"],
        [
            (
                f"{q.organization}/{q.name}",
                q.title,
                ", ".join(f"{p.name}:{p.type}" for p in q.parameters),
                q.published,
            )
            for q in found.data
        ],
    )


@app.command("show")
@exits_cleanly
def show(ref: Annotated[str, typer.Argument(help="ORG/NAME")], as_json: JsonOpt = False) -> None:
    """Show a data API's SQL and parameters."""
    from datavalley.query import saved

    org, name = _split_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        found = saved.get_saved_query(session, state.caller(session), org, name)
    if as_json:
        print_json(found)
        return
    print_record(
        f"{org}/{name}",
        [
            ("title", found.title),
            ("description", found.description),
            ("sql", found.sql),
            (
                "parameters",
                ", ".join(
                    f"{p.name}:{p.type}" + (f"={p.default}" if p.default is not None else "")
                    for p in found.parameters
                ),
            ),
            ("published", found.published),
            ("path", found.path),
            ("created by", found.created_by),
            ("modified", found.modified),
        ],
    )


@app.command("delete")
@exits_cleanly
def delete(ref: Annotated[str, typer.Argument(help="ORG/NAME")]) -> None:
    """Delete a data API."""
    from datavalley.query import saved

    org, name = _split_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        saved.delete_saved_query(session, state.caller(session), org, name)
    console.print(f"deleted data API {org}/{name}", highlight=False)


@app.command("call")
@exits_cleanly
def call(
    ref: Annotated[str, typer.Argument(help="ORG/NAME")],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE")] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", metavar="table|csv|json|ndjson|parquet|arrow")
    ] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
) -> None:
    """Call a data API with parameters, as the HTTP endpoint does."""
    from datavalley.query import saved

    org, name = _split_ref(ref)
    rt = state.runtime()
    with rt.session() as session:
        api = saved.get_saved_query(session, state.caller(session), org, name)
        values = saved.call_values(api, _params(param))
    run_and_print(api.sql, values, format, output, path="data_api")  # type: ignore[arg-type]
