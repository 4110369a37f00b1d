"""The SQL engine answers filters over Arrow datasets whose files hold view types (older upserts)."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from datavalley.query.engine import QueryLimits, TableInput, get_engine


def test_a_text_filter_over_string_view_files_read_through_arrow(tmp_path):
    view = pa.table({"id": [1, 2, 3], "county": pa.array(["南明区", "云岩区", None], pa.string_view())})
    pq.write_table(view, tmp_path / "old.parquet")
    pq.write_table(
        view.cast(pa.schema([("id", pa.int64()), ("county", pa.string())])), tmp_path / "new.parquet"
    )
    # as query.duck.arrow_dataset reads a table: the dataset's type is the plain one
    plain = pa.schema([("id", pa.int64()), ("county", pa.string())])
    dataset = pads.dataset([str(tmp_path / "old.parquet"), str(tmp_path / "new.parquet")], schema=plain)
    stream = get_engine("duckdb").run(
        "SELECT id FROM \"__dv_t0_x\" WHERE county >= '南明区' ORDER BY id",
        tables=[TableInput(name="__dv_t0_x", dataset=dataset)],
        params={},
        limits=QueryLimits(timeout_seconds=10),
    )
    rows = [r for batch in stream for r in batch.column(0).to_pylist()]
    assert rows == [1, 1]
