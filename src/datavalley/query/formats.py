"""How rows leave the platform: Arrow data as JSON values, NDJSON, CSV, Parquet and Arrow IPC streams.

Shared by the rows API and the query service; everything is encoded column-wise by Arrow, batch by
batch, never a whole result in memory.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.ipc
import pyarrow.parquet as pq

from datavalley.errors import DataValleyError

BATCH_ROWS = 8_192
PARQUET_ROW_GROUP = 131_072


class BatchStream(Protocol):
    """Record batches of one schema, iterated once."""

    schema: pa.Schema

    def __iter__(self) -> Iterator[pa.RecordBatch]: ...


def value_kind(t: pa.DataType) -> str | None:
    """How a column's values are written in a query, or None for nested types (not filterable)."""
    checks = [
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_integer, "integer"),
        (pa.types.is_floating, "number"),
        (pa.types.is_decimal, "decimal"),
        (
            lambda x: pa.types.is_string(x) or pa.types.is_large_string(x) or pa.types.is_string_view(x),
            "text",
        ),
        (pa.types.is_date, "date"),
        (pa.types.is_timestamp, "timestamp"),
        (
            lambda x: (
                pa.types.is_binary(x)
                or pa.types.is_large_binary(x)
                or pa.types.is_fixed_size_binary(x)
                or pa.types.is_binary_view(x)
            ),
            "binary",
        ),
    ]
    return next((kind for check, kind in checks if check(t)), None)


def json_value(value: Any) -> Any:
    """A value of a nested or binary column as JSON (the rare columns not encoded column-wise)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


_RARE_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def _json_column(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Each value of a column as JSON text, computed column-wise by Arrow; null as ``null``.

    Numbers as numbers (NaN and infinities as null), decimals as text (no digit lost), dates and
    timestamps as ISO 8601 text (``2024-05-01T08:30:00.000000``, ``Z`` for UTC columns).
    """
    t = column.type
    kind = value_kind(t)
    quoted = None
    if kind in ("integer", "boolean"):
        values = pc.cast(column, pa.large_string())
    elif kind == "number":
        digits = pc.cast(column, pa.large_string())
        digits = pc.if_else(  # 2.0, not 2: the value stays a float for whoever parses it
            pc.match_substring_regex(digits, "[.eE]"),
            digits,
            pc.binary_join_element_wise(digits, _text(".0"), _text("")),
        )
        values = pc.if_else(pc.is_finite(column), digits, _text("null"))
    elif kind in ("decimal", "date"):
        quoted = pc.cast(column, pa.large_string())
    elif kind == "timestamp":
        wall = pc.cast(column, pa.timestamp(t.unit)) if t.tz else column  # type: ignore[attr-defined]
        quoted = pc.strftime(wall, format="%Y-%m-%dT%H:%M:%S")
        if t.tz:  # type: ignore[attr-defined]
            quoted = pc.binary_join_element_wise(pc.cast(quoted, pa.large_string()), _text("Z"), _text(""))
    elif kind == "text" and not pc.any(pc.match_substring_regex(column, _RARE_CONTROL)).as_py():
        quoted = pc.cast(column, pa.large_string())
        for old, new in _ESCAPES:
            quoted = pc.replace_substring(quoted, old, new)
    else:  # binary, nested, or text with rare control characters: one value at a time
        encoded = [None if v is None else _JSON.encode(json_value(v)) for v in column.to_pylist()]
        values = pa.array(encoded, pa.large_string())
    if quoted is not None:
        values = pc.binary_join_element_wise(
            _text('"'), pc.cast(quoted, pa.large_string()), _text('"'), _text("")
        )
    return pc.fill_null(values, _text("null"))


_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def json_lines(data: pa.Table | pa.RecordBatch, *, end: str = "\n") -> pa.Array | pa.ChunkedArray:
    """Each row as one JSON object (text ending with ``end``), built column-wise by Arrow."""
    parts: list[Any] = []
    for i, name in enumerate(data.schema.names):
        parts += [_text(("{" if i == 0 else ",") + _JSON.encode(name) + ":"), _json_column(data.column(i))]
    return pc.binary_join_element_wise(*parts, _text("}" + end), _text(""))


def json_arrays(data: pa.Table | pa.RecordBatch) -> list[list[Any]]:
    """Rows as lists of JSON values (in column order), encoded exactly as in the ndjson download.

    For query results, whose column names may repeat (``SELECT a.id, b.id``).
    """
    if data.num_rows == 0:
        return []
    if data.num_columns == 0:
        return [[] for _ in range(data.num_rows)]
    parts: list[Any] = []
    for i in range(data.num_columns):
        parts += [_text("[" if i == 0 else ","), _json_column(data.column(i))]
    text = json_bytes(pc.binary_join_element_wise(*parts, _text("],"), _text(""))).decode()
    return list(json.loads("[" + text.rstrip(",") + "]"))


def json_bytes(lines: pa.Array | pa.ChunkedArray) -> bytes:
    """The lines joined into one UTF-8 text, without a Python object per row."""
    chunks = lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]
    out = []
    for chunk in chunks:
        nested = pa.LargeListArray.from_arrays(pa.array([0, len(chunk)], pa.int64()), chunk)
        out.append(pc.binary_join(nested, _text(""))[0].as_buffer().to_pybytes())
    return b"".join(out)


def json_rows(data: pa.Table | pa.RecordBatch) -> list[dict[str, Any]]:
    """Rows as dicts of JSON values, encoded exactly as in the ndjson download."""
    text = json_bytes(json_lines(data, end=",")).decode()
    return list(json.loads("[" + text.rstrip(",") + "]"))


class _Chunks(io.RawIOBase):
    """A write-only file that hands back what was written since the last ``take()``."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def ndjson_chunks(stream: BatchStream) -> Iterator[bytes]:
    """One JSON object per line, UTF-8."""
    for batch in stream:
        if batch.num_rows:
            yield json_bytes(json_lines(batch))


def csv_chunks(stream: BatchStream) -> Iterator[bytes]:
    """UTF-8 CSV with a header; text always quoted, so an empty text ("") differs from a missing value."""
    sink = _Chunks()
    options = pcsv.WriteOptions(include_header=True, quoting_style="needed")
    with pcsv.CSVWriter(sink, stream.schema, write_options=options) as writer:
        for batch in stream:
            writer.write_batch(batch)
            yield sink.take()
    if tail := sink.take():
        yield tail


def parquet_chunks(stream: BatchStream) -> Iterator[bytes]:
    """A Parquet file written row group by row group as the rows come."""
    sink = _Chunks()
    pending: list[pa.RecordBatch] = []
    rows = 0
    with pq.ParquetWriter(sink, stream.schema, compression="zstd") as writer:
        for batch in stream:
            pending.append(batch)
            rows += batch.num_rows
            if rows >= PARQUET_ROW_GROUP:
                writer.write_table(pa.Table.from_batches(pending, stream.schema))
                pending, rows = [], 0
                yield sink.take()
        if pending:
            writer.write_table(pa.Table.from_batches(pending, stream.schema))
    yield sink.take()


def arrow_chunks(stream: BatchStream) -> Iterator[bytes]:
    """An Arrow IPC stream, batch by batch."""
    sink = _Chunks()
    with pa.ipc.new_stream(sink, stream.schema) as writer:
        for batch in stream:
            writer.write_batch(batch)
            yield sink.take()
    yield sink.take()


log = logging.getLogger("datavalley.query")


def ended(chunks: Iterator[bytes], fmt: str) -> Iterator[bytes]:
    """A download's chunks, ending clearly when the query fails after the response has started.

    A timeout (or any other error) half-way cannot become an error response any more: an NDJSON
    download then ends with one ``{"error": {...}}`` line, in the API's error shape; the other formats
    end the connection before the last chunk, so a client sees a cut transfer, never a whole-looking
    file.
    """
    try:
        yield from chunks
    except DataValleyError as exc:
        log.warning("a %s download stopped after it had started: %s", fmt, exc.message)
        if fmt == "ndjson":
            yield (json.dumps(exc.to_dict(), ensure_ascii=False) + "\n").encode()
            return
        raise


@dataclass(frozen=True)
class Download:
    media_type: str
    extension: str
    chunks: Callable[[BatchStream], Iterator[bytes]]


#: download format → how it is written
DOWNLOADS: dict[str, Download] = {
    "ndjson": Download("application/x-ndjson", "ndjson", ndjson_chunks),
    "csv": Download("text/csv; charset=utf-8", "csv", csv_chunks),
    "parquet": Download("application/vnd.apache.parquet", "parquet", parquet_chunks),
    "arrow": Download("application/vnd.apache.arrow.stream", "arrows", arrow_chunks),
}
