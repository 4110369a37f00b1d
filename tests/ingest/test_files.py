"""The Parquet files a load writes: compressed like deltalake's default, so tables take no extra disk."""

from __future__ import annotations

import pyarrow.parquet as pq
from deltalake import DeltaTable

from datavalley.catalog.tables import locate_table


def test_loaded_files_are_compressed(loader):
    loader.load(loader.write("t.csv", "id,note\n" + "".join(f"{i},row {i % 10}\n" for i in range(2_000))))
    with loader.rt.session() as s:
        uri = locate_table(s, loader.rt.settings, "stats", "people", "t").uri
    files = [pq.ParquetFile(f) for f in DeltaTable(uri).file_uris()]
    codecs = {
        f.metadata.row_group(g).column(c).compression
        for f in files
        for g in range(f.num_row_groups)
        for c in range(f.metadata.num_columns)
    }
    assert codecs == {"SNAPPY"}
