"""Readers, one per format: each turns a file into a DuckDB scan with labelled, typed columns.

The registry :data:`READERS` maps a format name to its reader. A reader answers two questions:
which columns (original labels and DuckDB types) the file has, and the SQL that scans it. The load
pipeline (``ingest.load``) does the rest the same way for every format: SQL-friendly names, type guards,
progress, writing the Delta table, rejects.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb

from datavalley.errors import InvalidInput
from datavalley.ingest.encoding import detect, looks_binary, normalise, transcode
from datavalley.ingest.sources import SourceFile


@dataclass
class SourceColumn:
    label: str
    type: str  # DuckDB type name
    fixed: bool = False  # given by --schema or by the table appended to: never widened
    #: for a fixed column: the type the reader delivers its values in (``VARCHAR`` for text formats)
    natural: str | None = None


@dataclass
class Reject:
    line: int | None
    column: str | None
    error: str
    original: str | None


@dataclass
class ReadOptions:
    encoding: str | None = None
    sheet: str | None = None
    #: label or name → DuckDB type the user fixed (``--schema``) or the existing table demands
    types: dict[str, str] = field(default_factory=dict)
    skip_errors: bool = False
    #: label → wider DuckDB type, learnt from values that contradicted the first guess
    widened: dict[str, str] = field(default_factory=dict)


class Reader(Protocol):
    def prepare(self, source: SourceFile, options: ReadOptions, workdir: Path) -> list[SourceFile]:
        """Work to do once before reading (transcoding, one file per sheet ...): the files to read.

        Each returned file becomes one table; its ``stem`` names the table when the user gave none.
        """
        ...

    def columns(
        self, con: duckdb.DuckDBPyConnection, source: SourceFile, options: ReadOptions
    ) -> list[SourceColumn]:
        """The columns as found: original labels and the DuckDB types inferred from the data."""
        ...

    def scan(self, source: SourceFile, options: ReadOptions, columns: list[SourceColumn]) -> str:
        """A SQL FROM-expression whose columns are named by their labels."""
        ...

    def rejects(self, con: duckdb.DuckDBPyConnection) -> list[Reject]: ...

    #: whether values arrive as text (CSV, JSON, sheets) rather than typed (Parquet)
    reads_text: bool


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A column label as a DuckDB identifier, inner double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def sql_struct(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{sql_string(k)}: {sql_string(v)}" for k, v in mapping.items()) + "}"


_DELIMITERS = ",\t;|"


class CsvReader:
    """CSV, TSV and other delimited text; the delimiter is sniffed, the encoding detected."""

    reads_text = True  # every value arrives as text (see ``strict``)

    def prepare(self, source: SourceFile, options: ReadOptions, workdir: Path) -> list[SourceFile]:
        with source.path.open("rb") as f:
            head = f.read(1 << 16)
        if not head.strip():
            raise InvalidInput.for_field("source", f"{source.name} is empty")
        encoding = normalise(options.encoding) if options.encoding else None
        if encoding is None:
            if looks_binary(head):
                raise InvalidInput.for_field(
                    "source",
                    f"{source.name} looks like a binary file, not text; "
                    "give a CSV, TSV, JSON, NDJSON, Parquet or Excel (.xlsx) file",
                )
            encoding = detect(source.path)
        if encoding in ("utf-8", "utf-8-sig"):
            return [source]
        target = workdir / f"{source.path.stem}.utf8.csv"
        transcode(source.path, encoding, target)
        return [SourceFile(target, source.name, source.format)]

    def _dialect(self, source: SourceFile) -> str:
        # sniffing takes ~30 ms and a load asks several times: once per file version is enough
        st = source.path.stat()
        return _sniff_delimiter(str(source.path), st.st_size, st.st_mtime_ns)

    def _options(self, source: SourceFile, options: ReadOptions) -> str:
        delim = self._dialect(source)
        parts = [
            f"delim={sql_string(delim)}",
            "quote='\"'",
            "escape='\"'",
            "header=true",
            "allow_quoted_nulls=false",
            "strict_mode=true",
        ]
        if options.skip_errors:
            parts += ["store_rejects=true", "ignore_errors=true"]
        return ", ".join(parts)

    def columns(
        self, con: duckdb.DuckDBPyConnection, source: SourceFile, options: ReadOptions
    ) -> list[SourceColumn]:
        opts = self._options(source, ReadOptions())
        try:
            found = con.execute(
                f"SELECT Columns FROM sniff_csv({sql_string(str(source.path))}, {opts}, "
                "ignore_errors=true, sample_size=20480)"
            ).fetchall()[0][0]
        except duckdb.Error:
            # DuckDB could not make sense of the sample (an unterminated quote, say): take the header
            # as it is and read every column as text; the scan then names the line that is wrong.
            return [SourceColumn(label, "VARCHAR") for label in self._header(source)]
        return [SourceColumn(col["name"], col["type"]) for col in found]

    def _header(self, source: SourceFile) -> list[str]:
        with source.path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
            first = f.readline()
        try:
            return next(csv.reader(io.StringIO(first), delimiter=self._dialect(source)))
        except (csv.Error, StopIteration):
            raise InvalidInput.for_field("source", f"{source.name} has no readable header line") from None

    def scan(self, source: SourceFile, options: ReadOptions, columns: list[SourceColumn]) -> str:
        types = {c.label: ("VARCHAR" if as_text(c) else c.type) for c in columns}
        return (
            f"read_csv({sql_string(str(source.path))}, {self._options(source, options)}, "
            f"auto_detect=false, columns={sql_struct(types)})"
        )

    def rejects(self, con: duckdb.DuckDBPyConnection) -> list[Reject]:
        try:
            rows = con.execute(
                "SELECT line, column_name, error_type, csv_line, error_message FROM reject_errors ORDER BY line"
            ).fetchall()
        except duckdb.Error:
            return []
        seen: set[int] = set()
        out = []
        for line, column, kind, original, message in rows:
            if line is not None:
                if line in seen:  # DuckDB may report one bad line more than once
                    continue
                seen.add(line)
            out.append(Reject(line, column, f"{kind}: {message}", original))
        return out


@functools.lru_cache(maxsize=64)
def _sniff_delimiter(path: str, size: int, mtime_ns: int) -> str:
    """The delimiter of the text file at ``path`` (its size and time only key the cache)."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        sample = f.read(1 << 16)
    first = sample.splitlines()[0] if sample else ""
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: _count_outside_quotes(first, d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _count_outside_quotes(line: str, delim: str) -> int:
    try:
        return len(next(csv.reader(io.StringIO(line), delimiter=delim))) - 1
    except (csv.Error, StopIteration):
        return 0


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


#: numeric types whose text form is checked while loading, so that no inferred number loses data
_GUARDED = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINTEGER", "DOUBLE", "FLOAT"}


def guarded(column: SourceColumn) -> bool:
    """Inferred numbers are read as text and converted with a check (leading zeros, precision)."""
    return not column.fixed and column.type.upper() in _GUARDED


#: DuckDB's whole-number types
INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)


def strict(column: SourceColumn) -> bool:
    """A fixed whole-number, decimal or date column whose values arrive in another type.

    DuckDB's own conversion would round ``2.5`` into an integer column, ``1.999`` into ``decimal(12,2)``
    and cut the time off a timestamp for a date; such a column is read as text and converted with a
    check that nothing is lost (``guards.strict_guard``).
    """
    if not column.fixed:
        return False
    kind = column.type.upper()
    if kind not in INTEGER_TYPES and kind != "DATE" and not kind.startswith("DECIMAL"):
        return False
    return column.natural is None or column.natural.upper() != kind


def as_text(column: SourceColumn) -> bool:
    """Does a text format read this column as text (for a guard to convert)?"""
    return guarded(column) or strict(column)


READERS: dict[str, Reader] = {"csv": CsvReader()}

from datavalley.ingest import formats as _formats  # noqa: E402, F401  registers json, parquet, xlsx
