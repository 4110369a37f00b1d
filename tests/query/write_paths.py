"""One table content, reached by every way DataValley writes a table (and by the old upsert's files).

Each recipe loads ``stats/paths/<name>`` so that its newest version holds :data:`ROWS` (ids 1-4, one
county missing), whatever the write path: the filter tests then expect the same rows from each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable

from datavalley.catalog.tables import TableLocation, locate_table, rollback_table
from datavalley.ingest.load import IngestRequest, ingest
from datavalley.ingest.sql_source import ingest_sql
from datavalley.runtime import Runtime
from tests.factories import make_dataset, make_org

DATASET = "stats/paths"
#: the content every recipe ends with: id, county (None: missing), year
ROWS = [(1, "南明区", 2023), (2, "云岩区", 2023), (3, "花溪区", 2024), (4, None, 2024)]
HEADER = "id,county,year\n"


def _csv(rows: list[tuple[int, str | None, int]]) -> str:
    return HEADER + "".join(f"{i},{c or ''},{y}\n" for i, c, y in rows)


def _nested(rows: list[tuple[int, str | None, int]]) -> pa.Table:
    """Rows with a list column: such tables go through deltalake's own writer (or DuckDB's, upserts)."""
    return pa.table(
        {
            "id": pa.array([r[0] for r in rows], pa.int64()),
            "county": pa.array([r[1] for r in rows], pa.string()),
            "year": pa.array([r[2] for r in rows], pa.int64()),
            "tags": pa.array([[r[1] or "", "x"] for r in rows], pa.list_(pa.string())),
        }
    )


class Writer:
    """Loads the recipes' files into ``stats/paths`` with the real ingest."""

    def __init__(self, rt: Runtime, tmp_path: Path) -> None:
        self.rt, self.dir, self.n = rt, tmp_path, 0

    def load(self, table: str, data: str | pa.Table, *, mode: str = "create", key=()) -> None:
        """Load CSV text, or an Arrow table as a Parquet file."""
        self.n += 1
        path = self.dir / f"{table}-{self.n}.{'csv' if isinstance(data, str) else 'parquet'}"
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            pq.write_table(data, path)
        request = IngestRequest(source=str(path), dataset=DATASET, table=table, mode=mode, key=list(key))  # type: ignore[arg-type]
        ingest(self.rt, request)

    def location(self, table: str) -> TableLocation:
        with self.rt.session() as session:
            return locate_table(session, self.rt.settings, *DATASET.split("/"), table)


def _create(w: Writer, t: str) -> None:
    w.load(t, _csv(ROWS))


def _append(w: Writer, t: str) -> None:
    w.load(t, _csv(ROWS[:2]))
    w.load(t, _csv(ROWS[2:]), mode="append")


def _overwrite(w: Writer, t: str) -> None:
    w.load(t, _csv([(9, "旧", 1999)]))
    w.load(t, _csv(ROWS), mode="overwrite")


def _overwrite_new_protocol(w: Writer, t: str) -> None:
    """An overwrite that brings a timestamp column: deltalake's writer raises the table's protocol."""
    w.load(t, _csv([(9, "旧", 1999)]))
    w.load(
        t,
        "id,county,year,seen\n" + "".join(f"{i},{c or ''},{y},2024-01-0{i} 10:00:00\n" for i, c, y in ROWS),
        mode="overwrite",
    )


def _upsert(w: Writer, t: str) -> None:
    w.load(t, _csv([ROWS[0], (2, "老城区", 1999), ROWS[3]]))
    w.load(t, _csv([ROWS[1], ROWS[2]]), mode="upsert", key=["id"])


def _upsert_twice(w: Writer, t: str) -> None:
    """Upserts that touch no file (inserts only), then one that rewrites the first upsert's file."""
    w.load(t, _csv([ROWS[0]]))
    w.load(t, _csv([(2, "老城区", 1999), ROWS[3]]), mode="upsert", key=["id"])
    w.load(t, _csv([ROWS[1], ROWS[2]]), mode="upsert", key=["id"])


def _nested_create(w: Writer, t: str) -> None:
    w.load(t, _nested(ROWS))


def _nested_append(w: Writer, t: str) -> None:
    w.load(t, _nested(ROWS[:1]))
    w.load(t, _nested(ROWS[1:]), mode="append")


def _nested_overwrite(w: Writer, t: str) -> None:
    w.load(t, _nested([(9, "旧", 1999)]))
    w.load(t, _nested(ROWS), mode="overwrite")


def _nested_upsert(w: Writer, t: str) -> None:
    w.load(t, _nested([ROWS[0], (2, "老城区", 1999), ROWS[3]]))
    w.load(t, _nested([ROWS[1], ROWS[2]]), mode="upsert", key=["id"])


def _rollback(w: Writer, t: str) -> None:
    """Back to the version an upsert made, past a later append."""
    _upsert(w, t)
    w.load(t, _csv([(5, "南明区", 2025)]), mode="append")
    with w.rt.session() as session:
        rollback_table(session, w.rt.settings, *DATASET.split("/"), t, to_version=1)


def _sql_query(w: Writer, t: str) -> None:
    db = w.dir / f"{t}.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE c (id INTEGER, county TEXT, year INTEGER)")
        con.executemany("INSERT INTO c VALUES (?, ?, ?)", [ROWS[0], (2, "老城区", 1999)])
    ingest_sql(w.rt, url=f"sqlite:///{db}", query="SELECT * FROM c", dataset=DATASET, table=t)
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM c")
        con.executemany("INSERT INTO c VALUES (?, ?, ?)", ROWS[2:])
    ingest_sql(w.rt, url=f"sqlite:///{db}", query="SELECT * FROM c", dataset=DATASET, table=t, mode="append")
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM c")
        con.executemany("INSERT INTO c VALUES (?, ?, ?)", [ROWS[1]])
    ingest_sql(
        w.rt,
        url=f"sqlite:///{db}",
        query="SELECT * FROM c",
        dataset=DATASET,
        table=t,
        mode="upsert",
        key=["id"],
    )


def legacy_merge(uri: str, rows: list[tuple[int, str | None, int]]) -> None:
    """Upsert as DataValley did before every write stored plain types: deltalake's MERGE (view files)."""
    source = pa.table(
        {
            "id": pa.array([r[0] for r in rows], pa.int64()),
            "county": pa.array([r[1] for r in rows], pa.string()),
            "year": pa.array([r[2] for r in rows], pa.int64()),
        }
    )
    (
        DeltaTable(uri)
        .merge(source, predicate="t.id = s.id", source_alias="s", target_alias="t")
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )


def _legacy_upsert(w: Writer, t: str) -> None:
    """A table written before the fix: a DuckDB file (``string``) beside a MERGE file (``string_view``)."""
    w.load(t, _csv([ROWS[0], ROWS[3]]))
    w.load(t, _csv([(2, "老城区", 1999)]), mode="append")
    legacy_merge(w.location(t).uri, [ROWS[1], ROWS[2]])
    kinds = {str(pq.read_schema(f).field("county").type) for f in DeltaTable(w.location(t).uri).file_uris()}
    assert kinds == {"string", "string_view"}, kinds  # what the old upsert left


def _legacy_then_upsert(w: Writer, t: str) -> None:
    """An upsert now, on a table the old upsert wrote: it reads the view file and rewrites it plain."""
    w.load(t, _csv([ROWS[0], ROWS[3]]))
    legacy_merge(w.location(t).uri, [(2, "老城区", 1999), (3, "老城区", 1999)])
    w.load(t, _csv([ROWS[1], ROWS[2]]), mode="upsert", key=["id"])


#: write path → recipe; the legacy ones make tables as DataValley wrote them before the fix
RECIPES: dict[str, Callable[[Writer, str], None]] = {
    "create": _create,
    "append": _append,
    "overwrite": _overwrite,
    "overwrite_new_protocol": _overwrite_new_protocol,
    "upsert": _upsert,
    "upsert_twice": _upsert_twice,
    "nested_create": _nested_create,
    "nested_append": _nested_append,
    "nested_overwrite": _nested_overwrite,
    "nested_upsert": _nested_upsert,
    "rollback": _rollback,
    "sql_query": _sql_query,
    "legacy_upsert": _legacy_upsert,
    "legacy_then_upsert": _legacy_then_upsert,
}
LEGACY = ("legacy_upsert",)


def build(rt: Runtime, tmp_path: Path, recipe: str) -> TableLocation:
    """Make ``stats/paths`` (published, open) and load table ``recipe`` by its recipe."""
    with rt.session() as session:
        make_org(session, "stats")
        make_dataset(session, DATASET, sharing="unconditional", public=True, state="published")
    writer = Writer(rt, tmp_path)
    RECIPES[recipe](writer, recipe)
    return writer.location(recipe)


def stored_types(location: TableLocation) -> dict[str, set[str]]:
    """Each column's Arrow types over the newest version's data files."""
    out: dict[str, set[str]] = {}
    for f in DeltaTable(location.uri).file_uris():
        for field in pq.read_schema(f):
            out.setdefault(field.name, set()).add(str(field.type))
    return out


def plain(location: TableLocation) -> bool:
    """Every file stores each column in the one type DataValley writes (no views, no large types)."""
    return not any("view" in t or "large_" in t for kinds in stored_types(location).values() for t in kinds)
