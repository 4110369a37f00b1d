"""Query results that can be paged to their very end.

A JSON answer carries one page. When a result has more rows than the page, the whole result is written
once, as it streams from the engine, to a Parquet file in the home folder (``tmp/results/<id>.parquet``,
row groups of ``SPOOL_ROW_GROUP`` rows) and the answer's ``next`` cursor points into it. Later pages
read only the row groups they need, so page 1,000 costs what page 2 costs, the rows never change
between pages (a query is not run again), and the count is exact. The file belongs to the caller who
ran the query (``Caller.identity``: a user by id, anonymous as its own kind): another caller's cursor
is refused as if the result did not exist, and every later page is served only while the caller may
still read what it holds, under the same rules (the query service's check). Results expire after ``RESULT_TTL`` seconds.

The cursor is ``base64url(JSON)`` of the result id, the offset and the page size. It holds no rows and
no rules; the file it names is found only under the results folder (the id is 32 hex digits).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from datavalley.errors import InvalidInput, NotFound

SPOOL_ROW_GROUP = 10_000
RESULT_TTL = 3600
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Page:
    table: pa.Table
    offset: int
    total: int
    next: str | None


def results_dir(home: Path) -> Path:
    return home / "tmp" / "results"


def _encode(result_id: str, offset: int, limit: int) -> str:
    raw = json.dumps({"r": result_id, "o": offset, "n": limit}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, int, int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        result_id, offset, limit = str(data["r"]), int(data["o"]), int(data["n"])
    except (ValueError, KeyError, TypeError):
        raise InvalidInput.for_field("cursor", "is damaged; pass the `next` of a page as it came") from None
    if not _ID.match(result_id) or offset < 0 or limit < 1:
        raise InvalidInput.for_field("cursor", "is damaged; pass the `next` of a page as it came")
    return result_id, offset, limit


def _expire(folder: Path, now: float) -> None:
    """Remove results older than the TTL (cheap: one directory listing)."""
    for meta in folder.glob("*.json"):
        try:
            if now - meta.stat().st_mtime > RESULT_TTL:
                meta.with_suffix(".parquet").unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
        except OSError:
            continue


def first_page(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    *,
    limit: int,
    home: Path,
    owner: str,
    extra: dict[str, Any] | None = None,
) -> Page:
    """The first ``limit`` rows; if there are more, the whole result is spooled and ``next`` set."""
    head: list[pa.RecordBatch] = []
    rows = 0
    it: Iterator[pa.RecordBatch] = iter(batches)
    for batch in it:
        head.append(batch)
        rows += batch.num_rows
        if rows > limit:
            break
    else:
        table = pa.Table.from_batches(head, schema)
        return Page(table, 0, table.num_rows, None)

    folder = results_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    _expire(folder, time.time())
    result_id = uuid.uuid4().hex
    path = folder / f"{result_id}.parquet"
    partial = path.with_suffix(".partial")
    total = 0
    try:
        with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
            pending: list[pa.RecordBatch] = []
            pending_rows = 0

            def flush(final: bool) -> None:
                nonlocal pending, pending_rows
                table = pa.Table.from_batches(pending, schema)
                cut = len(table) if final else len(table) - len(table) % SPOOL_ROW_GROUP
                if cut:
                    writer.write_table(table.slice(0, cut), row_group_size=SPOOL_ROW_GROUP)
                rest = table.slice(cut)
                pending, pending_rows = rest.to_batches(), rest.num_rows

            for batch in itertools.chain(head, it):  # the rest streams: never all in memory
                pending.append(batch)
                pending_rows += batch.num_rows
                total += batch.num_rows
                if pending_rows >= SPOOL_ROW_GROUP * 4:
                    flush(final=False)
            flush(final=True)
        partial.rename(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    meta = {"owner": owner, "total": total, "created": time.time(), **(extra or {})}
    path.with_suffix(".json").write_text(json.dumps(meta))
    first = pq.ParquetFile(path).read_row_group(0) if total else pa.Table.from_batches([], schema)
    return Page(first.slice(0, limit), 0, total, _encode(result_id, limit, limit) if total > limit else None)


def next_page(
    cursor: str,
    *,
    home: Path,
    owner: str,
    limit: int | None = None,
    check: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Page, dict[str, Any]]:
    """The page a cursor points at (``limit`` may change the page size); and the result's metadata.

    ``check`` sees the metadata before any row is read, and raises to refuse the page (the query
    service checks there that the caller may still read what the result holds).
    """
    result_id, offset, size = _decode(cursor)
    size = limit or size
    path = results_dir(home) / f"{result_id}.parquet"
    meta_path = path.with_suffix(".json")
    gone = NotFound("this query result has expired or does not exist; run the query again")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        raise gone from None
    if meta.get("owner") != owner:
        raise gone  # the same answer as a missing result: another caller's results do not exist for you
    if check is not None:
        check(meta)
    total = int(meta["total"])
    if offset >= total:
        return Page(pq.read_schema(path).empty_table(), offset, total, None), meta
    parquet = pq.ParquetFile(path)
    first_group = offset // SPOOL_ROW_GROUP
    last_group = min((offset + size - 1) // SPOOL_ROW_GROUP, parquet.num_row_groups - 1)
    table = parquet.read_row_groups(list(range(first_group, last_group + 1)))
    page = table.slice(offset - first_group * SPOOL_ROW_GROUP, size)
    end = offset + page.num_rows
    return Page(page, offset, total, _encode(result_id, end, size) if end < total else None), meta
