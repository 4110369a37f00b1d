"""Whatever Arrow layout the data comes in, a write stores one type per Delta type (``delta.plain_type``)."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake

from datavalley.ingest.load import _NoProgress, _Stream


def test_view_and_large_layouts_are_written_as_plain_types(tmp_path):
    con = duckdb.connect()
    con.execute("SET arrow_output_version = '1.5'")  # DuckDB hands out views when asked to
    con.execute("SET produce_arrow_string_view = true")
    con.execute("SET arrow_output_list_view = true")
    sql = (
        "SELECT * FROM (VALUES ('南明区', ['a', NULL], {'k': 'v'}, 'ab'::BLOB), "
        "(NULL, NULL, {'k': NULL}, NULL), ('云岩区', [], NULL, ''::BLOB)) t(s, l, st, b)"
    )
    raw = con.sql(sql).to_arrow_table()
    assert "view" in str(raw.schema)  # the layouts the write must not keep
    stream = _Stream(con, sql, total_bytes=0, progress=_NoProgress())
    write_deltalake(str(tmp_path / "t"), stream.arrow())
    (file,) = DeltaTable(str(tmp_path / "t")).file_uris()
    stored = pq.read_schema(file)
    assert [str(f.type).replace("<l: ", "<item: ") for f in stored] == [  # a list's item may be named
        "string",
        "list<item: string>",
        "struct<k: string>",
        "binary",
    ]
    assert pq.read_table(file).to_pylist() == [
        {"s": "南明区", "l": ["a", None], "st": {"k": "v"}, "b": b"ab"},
        {"s": None, "l": None, "st": {"k": None}, "b": None},
        {"s": "云岩区", "l": [], "st": None, "b": b""},
    ]
