"""Upserts written by DuckDB (``ingest.upsert``): only the files with a matching key are rewritten, in
one commit, in the table's own types."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable

from datavalley.catalog.tables import locate_table, table_history


def _files(loader, table: str) -> set[str]:
    with loader.rt.session() as s:
        uri = locate_table(s, loader.rt.settings, "stats", "people", table).uri
    return set(DeltaTable(uri).file_uris())


def test_only_the_files_holding_a_matched_key_are_rewritten(loader):
    loader.load(loader.write("a.csv", "id,v\n1,a\n2,b\n"), table="t")
    first = _files(loader, "t")
    loader.load(loader.write("b.csv", "id,v\n3,c\n4,d\n"), table="t", mode="append")
    second = _files(loader, "t") - first
    result = loader.load(loader.write("u.csv", "id,v\n4,D\n5,e\n"), table="t", mode="upsert", key=["id"])
    now = _files(loader, "t")
    assert first <= now and not (second & now) and len(now) == 2  # the first file untouched
    assert (result.rows_written, result.row_count) == (2, 5)
    rows = sorted(zip(loader.column("t", "id"), loader.column("t", "v"), strict=True))
    assert rows == [(1, "a"), (2, "b"), (3, "c"), (4, "D"), (5, "e")]
    assert {str(pq.read_schema(f).field("v").type) for f in now} == {"string"}
    with loader.rt.session() as s:
        newest = table_history(s, loader.rt.settings, "stats", "people", "t")[0]
    assert (newest.version, newest.mode, newest.rows_written) == (2, "upsert", 2)


def test_an_upsert_that_matches_nothing_adds_its_file_and_keeps_the_others(loader):
    loader.load(loader.write("a.csv", "id,v\n1,a\n"), table="t")
    before = _files(loader, "t")
    loader.load(loader.write("u.csv", "id,v\n2,b\n"), table="t", mode="upsert", key=["id"])
    assert before < _files(loader, "t")
    assert sorted(loader.column("t", "id")) == [1, 2]


def test_every_row_with_the_key_takes_the_new_values_as_merge_does(loader):
    """A key the table holds twice (loaded by append): both rows are updated, none is lost."""
    loader.load(loader.write("a.csv", "id,k2,v\n1,x,a\n"), table="t")
    loader.load(loader.write("b.csv", "id,k2,v\n1,x,b\n2,y,c\n"), table="t", mode="append")
    loader.load(loader.write("u.csv", "id,k2,v\n1,x,N\n2,z,M\n"), table="t", mode="upsert", key=["id", "k2"])
    rows = sorted(
        zip(loader.column("t", "id"), loader.column("t", "k2"), loader.column("t", "v"), strict=True)
    )
    assert rows == [(1, "x", "N"), (1, "x", "N"), (2, "y", "c"), (2, "z", "M")]


def test_an_upsert_of_nested_columns(loader):
    def parquet(name: str, ids: list[int], tags: list) -> str:
        path = loader.dir / name
        pq.write_table(pa.table({"id": ids, "tags": pa.array(tags, pa.list_(pa.string()))}), path)
        return str(path)

    loader.load(parquet("a.parquet", [1, 2], [["a"], ["b", "c"]]), table="t")
    loader.load(parquet("u.parquet", [2, 3], [["B"], None]), table="t", mode="upsert", key=["id"])
    rows = sorted(zip(loader.column("t", "id"), loader.column("t", "tags"), strict=True))
    assert rows == [(1, ["a"]), (2, ["B"]), (3, None)]
    assert {str(pq.read_schema(f).field("tags").type) for f in _files(loader, "t")} == {
        "list<element: string>"
    }
