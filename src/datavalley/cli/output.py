"""How the CLI talks back: rich tables for people, ``--json`` for scripts, errors without tracebacks."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from datavalley.errors import DataValleyError, InvalidInput

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def exits_cleanly(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn DataValley errors into a one-line message on stderr and a non-zero exit status."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            _fail(_from_validation(exc))
        except DataValleyError as exc:
            _fail(exc)
        raise AssertionError("unreachable")

    return wrapper


def _from_validation(exc: ValidationError) -> InvalidInput:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"] if not isinstance(p, int))
        message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"--{field.replace('_', '-')}: {message}" if field else message)  # no field: whole input
    return InvalidInput("; ".join(parts))


def _fail(exc: DataValleyError) -> None:
    err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2 if exc.status in (400, 422) else 1)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    """Machine-readable output: one JSON document on stdout."""
    if isinstance(value, BaseModel):
        sys.stdout.write(value.model_dump_json(indent=2) + "\n")
    else:
        sys.stdout.write(json.dumps(value, default=_plain, ensure_ascii=False, indent=2) + "\n")


def cell(value: Any) -> Text:
    """A value as table text: never interpreted as rich markup, ``—`` for nothing."""
    if value is None:
        return Text("—")
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, datetime):
        return Text(value.strftime("%Y-%m-%d %H:%M"))
    if isinstance(value, list | tuple):
        return Text(", ".join(str(v) for v in value) or "—")
    return Text(str(value))


#: columns holding prose; the others (names, states, counts, times) are kept on one line
WRAPPING_COLUMNS = frozenset({"title", "description", "tags", "themes", "values (count)", "message"})


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        prose = column in WRAPPING_COLUMNS
        table.add_column(column, overflow="fold", min_width=16 if prose else None)
    for row in rows:
        table.add_row(*(cell(v) for v in row))
    console.print(table)


def print_record(title: str, fields: Iterable[tuple[str, Any]]) -> None:
    """A key / value table for one thing."""
    console.print(Text(title, style="bold"))
    table = Table(show_header=False, box=None, padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in fields:
        table.add_row(key, cell(value))
    console.print(table)


def split_list(value: str | None) -> list[str] | None:
    """``"a, b,c"`` → ``["a", "b", "c"]``; None stays None (option not given)."""
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]
