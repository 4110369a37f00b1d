"""Fixtures for ingest tests: a dataset to load into, and helpers to read tables back."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable

from datavalley.catalog.tables import TableDetail, describe_table, locate_table
from datavalley.ingest.load import IngestRequest, IngestResult, ingest
from tests.factories import make_dataset, make_org


class Loader:
    """Loads files into ``stats/people`` and reads the tables back."""

    def __init__(self, runtime, tmp_path: Path) -> None:
        self.rt = runtime
        self.dir = tmp_path

    def write(self, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = self.dir / name
        if isinstance(content, str):
            path.write_bytes(content.encode(encoding))
        else:
            path.write_bytes(content)
        return path

    def load(self, source: Path | str, **options) -> IngestResult:
        results = ingest(self.rt, IngestRequest(source=str(source), dataset="stats/people", **options))
        assert len(results) == 1
        return results[0]

    def detail(self, table: str, version: int | None = None) -> TableDetail:
        with self.rt.session() as s:
            return describe_table(s, self.rt.settings, "stats", "people", table, version=version)

    def data(self, table: str, version: int | None = None) -> pa.Table:
        with self.rt.session() as s:
            uri = locate_table(s, self.rt.settings, "stats", "people", table).uri
        dt = DeltaTable(uri, version=version) if version is not None else DeltaTable(uri)
        return dt.to_pyarrow_table()

    def column(self, table: str, name: str) -> list:
        return self.data(table).column(name).to_pylist()

    def types(self, table: str) -> dict[str, str]:
        return {c.name: c.type for c in self.detail(table).columns}


@pytest.fixture
def loader(runtime, tmp_path) -> Loader:
    with runtime.session() as s:
        make_org(s, "stats")
        make_dataset(s, "stats/people")
    return Loader(runtime, tmp_path)
