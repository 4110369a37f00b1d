"""Readers for formats with types of their own: JSON, NDJSON, Parquet and Excel (.xlsx).

Importing this module registers them in :data:`datavalley.ingest.readers.READERS`, next to CSV.

JSON already tells strings from numbers, so ``"00123"`` arrives as text. Column types are inferred by
DuckDB over the *whole* input (``sample_size=-1``), so every key is found, however late it first
appears, and a date column holds nothing but dates. Numbers stay guarded by the pipeline all the same:
an integer beyond int64 (JSON allows any) is kept as text rather than rounded into a double. Nested
objects and arrays are stored as their JSON text, which DuckDB's JSON functions query directly.

Parquet columns keep the types in the file (``fixed``); types Delta Lake cannot hold (unsigned
integers, HUGEINT, TIME, nanosecond timestamps) are converted by the pipeline's ``stored_type``.

Excel sheets are first written out as CSV, with column types taken from the cells' Excel types; see
:mod:`datavalley.ingest.sheets`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

import duckdb

from datavalley.errors import InvalidInput
from datavalley.ingest.encoding import detect, looks_binary, normalise, transcode
from datavalley.ingest.readers import (
    READERS,
    CsvReader,
    ReadOptions,
    Reject,
    SourceColumn,
    as_text,
    guarded,
    sql_ident,
    sql_string,
    sql_struct,
)
from datavalley.ingest.sheets import SheetFile, write_sheets
from datavalley.ingest.sources import SourceFile

JsonLayout = Literal["array", "newline_delimited", "unstructured"]

#: DuckDB types of nested JSON values: stored as the value's JSON text
_NESTED = re.compile(r"^(STRUCT|MAP|UNION)\b|\]$|^JSON$|^NULL$", re.IGNORECASE)
_MALFORMED = re.compile(r'Malformed JSON in file ".*?", (.*)', re.IGNORECASE)
#: files up to this size are parsed again in Python to say where their JSON goes wrong
_LOCATE_LIMIT = 64 << 20


# --- scans: how guarded numbers are shown to the pipeline ----------------------------------------
#
# The pipeline checks every guarded column (a number whose type was inferred, see ``readers.guarded``)
# by reading it as text and converting that text with checks (``ingest.guards``): leading zeros,
# digits beyond a double's precision. Formats with real types show such columns as the text that
# passes those checks exactly when nothing is lost: integers as their digits, floating-point numbers
# in their shortest form that reads back as the very same double (``0.30000000000000004``). DuckDB's
# JSON reader gives numbers read as text in just these forms; Excel cells are written so by
# ``ingest.sheets``.


def _number_as_text(ref: str, duck_type: str) -> str:
    """A typed number column as the text the pipeline's guard turns back into the same value."""
    if duck_type.upper() in ("DOUBLE", "FLOAT"):
        return f"CAST(CAST({ref} AS DOUBLE) AS VARCHAR)"
    return f"CAST({ref} AS VARCHAR)"


def _projection(columns: list[SourceColumn], *, from_text: bool) -> str:
    """The SELECT list that exposes guarded columns as checkable text, the others as they are."""
    parts = []
    for c in columns:
        ref = sql_ident(c.label)
        if guarded(c):
            expr = ref if from_text else _number_as_text(ref, c.type)
            parts.append(f"{expr} AS {ref}")
        else:  # a strict column of a typed format is checked typed (guards.strict_guard)
            parts.append(ref)
    return ", ".join(parts)


def _duckdb_problem(exc: duckdb.Error, source: SourceFile) -> str:
    """DuckDB's message, first line, naming the file as the user knows it (not our working copy)."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    first = first.replace(str(source.path), source.name).replace(source.path.name, source.name)
    for prefix in ("Invalid Input Error: ", "Binder Error: ", "IO Error: ", "Conversion Error: "):
        first = first.removeprefix(prefix)
    return first.rstrip(". ")


# --- the readers ---------------------------------------------------------------------------------


class JsonReader:
    """A JSON array of objects, or JSON objects one per line (NDJSON, JSON Lines).

    Which of the two a file holds is read from its first character, not trusted to its extension:
    ``[`` starts an array; otherwise the file is a sequence of objects (for ``.json`` also spread over
    several lines each, as pretty-printers write them).
    """

    reads_text = True  # see ``readers.strict``

    def __init__(self, *, lines: bool) -> None:
        self.lines = lines

    def prepare(self, source: SourceFile, options: ReadOptions, workdir: Path) -> list[SourceFile]:
        with source.path.open("rb") as f:
            head = f.read(1 << 16)
        if not head.strip():
            raise InvalidInput.for_field("source", f"{source.name} is empty")
        encoding = normalise(options.encoding) if options.encoding else None
        if encoding is None:
            if looks_binary(head):
                raise InvalidInput.for_field(
                    "source", f"{source.name} looks like a binary file, not JSON text"
                )
            encoding = detect(source.path)
        if encoding not in ("utf-8", "utf-8-sig"):
            target = workdir / f"{source.path.stem}.utf8{source.path.suffix or '.json'}"
            source = SourceFile(transcode(source.path, encoding, target), source.name, source.format)
        self._layout(source)  # fails early on text that is not JSON at all
        return [source]

    def _layout(self, source: SourceFile) -> JsonLayout:
        with source.path.open("rb") as f:
            head = f.read(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head.startswith(b"["):
            return "array"
        if head.startswith(b"{"):
            return "newline_delimited" if self.lines else "unstructured"
        shown = head[:20].decode("utf-8", errors="replace")
        raise InvalidInput.for_field(
            "source",
            f"{source.name} is not JSON: it starts with `{shown}`; "
            "give a JSON array of objects, or one JSON object per line",
        )

    def _read(self, source: SourceFile) -> str:
        return f"read_json({sql_string(str(source.path))}, format='{self._layout(source)}', records='true'"

    def columns(
        self, con: duckdb.DuckDBPyConnection, source: SourceFile, options: ReadOptions
    ) -> list[SourceColumn]:
        sql = f"DESCRIBE SELECT * FROM {self._read(source)}, sample_size=-1, maximum_depth=2)"
        try:
            found = con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise self._invalid(exc, source) from None
        return [SourceColumn(name, "VARCHAR" if _NESTED.search(kind) else kind) for name, kind, *_ in found]

    def scan(self, source: SourceFile, options: ReadOptions, columns: list[SourceColumn]) -> str:
        types = {c.label: ("VARCHAR" if as_text(c) or _NESTED.search(c.type) else c.type) for c in columns}
        read = f"{self._read(source)}, columns={sql_struct(types)})"
        return f"(SELECT {_projection(columns, from_text=True)} FROM {read})"

    def rejects(self, con: duckdb.DuckDBPyConnection) -> list[Reject]:
        return []  # DuckDB keeps no rejects for JSON: a malformed record fails the load

    def _invalid(self, exc: duckdb.Error, source: SourceFile) -> InvalidInput:
        problem = _duckdb_problem(exc, source)
        if m := _MALFORMED.search(problem):
            where = _json_error(source.path, self._layout(source)) or m.group(1).replace("/value", "")
            return InvalidInput.for_field(
                "source", f"{source.name} is not valid JSON: {where}; fix the file or export it again"
            )
        if "expected records" in problem:
            return InvalidInput.for_field(
                "source",
                f"{source.name} holds no JSON objects to load as rows; give objects with named fields, "
                'like [{"code": "00123", "count": 5}, ...]',
            )
        return InvalidInput.for_field("source", f"{source.name}: {problem}")


def _json_error(path: Path, layout: JsonLayout) -> str | None:
    """Where the first syntax error is, as line and column (DuckDB's own count is unreliable)."""
    decoder = json.JSONDecoder()
    if layout == "newline_delimited":
        with path.open("r", encoding="utf-8-sig", errors="replace") as f:
            for number, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        decoder.decode(line)
                    except json.JSONDecodeError as exc:
                        return f"line {number}, column {exc.colno}: {exc.msg}"
        return None
    if path.stat().st_size > _LOCATE_LIMIT:
        return None
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    at = 0
    try:
        while (at := _skip_space(text, at)) < len(text):
            _, at = decoder.raw_decode(text, at)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    return None


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " \t\r\n":
        at += 1
    return at


class ParquetReader:
    """Parquet: the file's own column types, kept as they are (``fixed``)."""

    reads_text = False  # see ``readers.strict``

    def prepare(self, source: SourceFile, options: ReadOptions, workdir: Path) -> list[SourceFile]:
        with source.path.open("rb") as f:
            magic = f.read(4)
        if magic != b"PAR1":
            raise InvalidInput.for_field(
                "source", f"{source.name} is not a Parquet file (it does not start with `PAR1`)"
            )
        return [source]

    def columns(
        self, con: duckdb.DuckDBPyConnection, source: SourceFile, options: ReadOptions
    ) -> list[SourceColumn]:
        try:
            found = con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({sql_string(str(source.path))})"
            ).fetchall()
        except duckdb.Error as exc:
            raise InvalidInput.for_field(
                "source", f"{source.name} cannot be read as Parquet: {_duckdb_problem(exc, source)}"
            ) from None
        return [SourceColumn(name, kind, fixed=True) for name, kind, *_ in found]

    def scan(self, source: SourceFile, options: ReadOptions, columns: list[SourceColumn]) -> str:
        return (
            f"(SELECT {_projection(columns, from_text=False)} "
            f"FROM read_parquet({sql_string(str(source.path))}))"
        )

    def rejects(self, con: duckdb.DuckDBPyConnection) -> list[Reject]:
        return []


class XlsxReader:
    """Excel 2007+ workbooks, one table per sheet (see ``ingest.sheets``)."""

    reads_text = True  # see ``readers.strict``

    def __init__(self) -> None:
        self._csv = CsvReader()

    def prepare(self, source: SourceFile, options: ReadOptions, workdir: Path) -> list[SourceFile]:
        return list(write_sheets(source, sheet=options.sheet, workdir=workdir))

    def columns(
        self, con: duckdb.DuckDBPyConnection, source: SourceFile, options: ReadOptions
    ) -> list[SourceColumn]:
        if not isinstance(source, SheetFile):
            raise TypeError("XlsxReader reads the sheets its prepare() wrote")
        return [SourceColumn(label, kind) for label, kind in source.columns]

    def scan(self, source: SourceFile, options: ReadOptions, columns: list[SourceColumn]) -> str:
        types = {c.label: ("VARCHAR" if as_text(c) else c.type) for c in columns}
        parts = [
            "delim=','",
            "quote='\"'",
            "escape='\"'",
            "header=false",
            "allow_quoted_nulls=false",
            "strict_mode=true",
            "null_padding=true",
            "auto_detect=false",
            f"columns={sql_struct(types)}",
        ]
        if isinstance(source, SheetFile) and source.multiline:
            parts.append("parallel=false")  # DuckDB pads short rows only this way when fields span lines
        if options.skip_errors:
            parts += ["store_rejects=true", "ignore_errors=true"]
        read = f"read_csv({sql_string(str(source.path))}, {', '.join(parts)})"
        return f"(SELECT {_projection(columns, from_text=True)} FROM {read})"

    def rejects(self, con: duckdb.DuckDBPyConnection) -> list[Reject]:
        return self._csv.rejects(con)


READERS.update(
    {
        "json": JsonReader(lines=False),
        "ndjson": JsonReader(lines=True),
        "parquet": ParquetReader(),
        "xlsx": XlsxReader(),
    }
)
