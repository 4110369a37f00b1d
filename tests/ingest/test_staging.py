"""Staged loads: DuckDB writes the Parquet files, deltalake commits them with their statistics."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from datavalley.catalog.tables import locate_table
from datavalley.ingest import staging
from datavalley.ingest.load import IngestRequest, ingest
from datavalley.ingest.staging import StagedFile, delta_stats


def _uri(loader, table: str) -> str:
    with loader.rt.session() as s:
        return locate_table(s, loader.rt.settings, "stats", "people", table).uri


def _stats(loader, table: str) -> list[dict]:
    """The ``stats`` of every ``add`` action in the table's log, as written."""
    out = []
    for log in sorted((Path(_uri(loader, table)) / "_delta_log").glob("*.json")):
        for line in log.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                out.append(json.loads(action["add"]["stats"]))
    return out


def test_a_flat_table_is_staged_and_its_log_has_exact_counts_and_bounds(loader):
    rows = "".join(
        f"{i},{i * 0.5},{'A' if i % 2 else 'B'}{i},2024-01-{i % 28 + 1:02d},{i % 3 == 0}\n"
        for i in range(1, 301)
    )
    rows += ",,,,\n"
    loader.load(loader.write("t.csv", "id,amount,code,day,flag\n" + rows))
    stats = _stats(loader, "t")
    assert sum(s["numRecords"] for s in stats) == 301
    assert sum(s["nullCount"]["id"] for s in stats) == 1
    low = min(s["minValues"]["id"] for s in stats)
    high = max(s["maxValues"]["id"] for s in stats)
    assert (low, high) == (1, 300)
    assert min(s["minValues"]["amount"] for s in stats) == 0.5
    assert max(s["maxValues"]["amount"] for s in stats) == 150.0
    assert min(s["minValues"]["day"] for s in stats) == "2024-01-01"
    assert min(s["minValues"]["code"] for s in stats) == "A1"
    assert loader.detail("t").row_count == 301
    # nothing is left of the staging folder
    assert not list(Path(_uri(loader, "t")).glob("_stage-*"))


def test_history_records_rows_written_and_rejected(loader, settings):
    loader.load(loader.write("t.csv", "id,name\n1,a\n2,b\n"))
    loader.load(
        loader.write("u.csv", "id,name\n3,c\n4,d,extra\n5,e\n"), table="t", mode="append", on_error="skip"
    )
    versions = loader.detail("t").versions
    newest = versions[0]
    assert (newest.version, newest.mode, newest.rows_written, newest.rows_rejected) == (1, "append", 2, 1)


def test_skipping_a_file_that_is_skipped_whole_commits_an_empty_version(loader):
    loader.load(loader.write("t.csv", "id,name\n1,a\n"))
    result = loader.load(loader.write("u.csv", "id,name\n"), table="t", mode="append")
    assert (result.version, result.rows_written, result.row_count) == (1, 0, 1)


def test_an_append_whose_types_differ_from_the_table_is_refused_and_cleaned_up(loader, tmp_path):
    loader.load(loader.write("t.csv", "id,amount\n1,10\n"))
    schema = tmp_path / "schema.json"
    schema.write_text('{"amount": "string"}')
    with pytest.raises(Exception, match="amount") as failure:
        ingest(
            loader.rt,
            IngestRequest(
                source=str(loader.write("u.csv", "id,amount\n2,11\n")),
                dataset="stats/people",
                table="t",
                mode="append",
                schema={"amount": "VARCHAR"},
            ),
        )
    assert "overwrite" in str(failure.value)
    detail = loader.detail("t")
    assert (detail.version, detail.row_count) == (0, 1)
    folder = Path(_uri(loader, "t"))
    assert not list(folder.glob("_stage-*"))
    assert len(list(folder.glob("*.parquet"))) == 1  # the failed load's files are gone


def test_overwrite_may_change_the_columns(loader):
    loader.load(loader.write("t.csv", "id,amount\n1,10\n"))
    loader.load(loader.write("u.csv", "code,day\n007,2024-05-01\n"), table="t", mode="overwrite")
    assert loader.types("t") == {"code": "string", "day": "date32[day]"}
    assert loader.column("t", "code") == ["007"]
    assert loader.detail("t").row_count == 1


def test_nested_columns_go_through_the_arrow_writer(loader):
    """Nested types are not staged (their Parquet layout is left to deltalake), and still load."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = loader.dir / "n.parquet"
    pq.write_table(pa.table({"id": [1, 2], "tags": [["a", "b"], []]}), path)
    loader.load(path)
    assert loader.column("n", "tags") == [["a", "b"], []]
    assert loader.column("n", "id") == [1, 2]


def test_the_progress_bar_hears_bytes_then_rows(loader, monkeypatch):
    monkeypatch.setattr(staging, "POLL_SECONDS", 0.001)
    heard: list[tuple[int, int | None]] = []

    class Recorder:
        def start(self, name: str, total_bytes: int) -> None:
            heard.append((total_bytes, -1))

        def advance(self, *, bytes_read: int, rows_written: int | None) -> None:
            heard.append((bytes_read, rows_written))

        def finish(self) -> None:
            pass

    path = loader.write("t.csv", "id,v\n" + "".join(f"{i},{i}\n" for i in range(200_000)))
    ingest(loader.rt, IngestRequest(source=str(path), dataset="stats/people"), progress=Recorder())
    total = path.stat().st_size
    assert heard[0] == (total, -1)
    assert heard[-1] == (total, 200_000)
    assert all(rows is None and 0 <= read <= total for read, rows in heard[1:-1])


def _file(stats: dict[str, dict[str, str]], rows: int = 3) -> StagedFile:
    return StagedFile(Path("x.parquet"), rows, 100, stats)


def _exact(low: str, high: str, nulls: str = "0", **extra: str) -> dict[str, str]:
    return {
        "min": low,
        "max": high,
        "min_is_exact": "true",
        "max_is_exact": "true",
        "null_count": nulls,
        **extra,
    }


@pytest.mark.parametrize(
    ("kind", "stats", "bounds"),
    [
        ("BIGINT", _exact("-5", "12345678901234567"), (-5, 12345678901234567)),
        ("DECIMAL(38,0)", _exact("1", "123456789012345678901234567890"), (1, 123456789012345678901234567890)),
        ("DECIMAL(10,2)", _exact("-0.50", "12.25"), (-0.5, 12.25)),
        ("DOUBLE", _exact("-1.5e-07", "99999.66666666667"), (-1.5e-07, 99999.66666666667)),
        ("DOUBLE", _exact("0.0", "inf"), None),
        ("DOUBLE", _exact("0.0", "1.0", has_nan="true"), None),
        ("DATE", _exact("2024-01-01", "2024-12-31"), ("2024-01-01", "2024-12-31")),
        ("DATE", _exact("-0044-03-15", "2024-12-31"), None),
        ("BOOLEAN", _exact("false", "true"), (False, True)),
        ("VARCHAR", _exact("", '云岩区 "quoted" \\ back'), ("", '云岩区 "quoted" \\ back')),
        ("VARCHAR", _exact("a", "z" * 65), None),
        ("VARCHAR", {**_exact("a", "b"), "max_is_exact": "false"}, None),
        ("TIMESTAMP", _exact("2024-01-01 00:00:00", "2024-01-02 00:00:00.123456"), None),
        ("TIMESTAMP WITH TIME ZONE", _exact("2024-01-01 00:00:00+00", "2024-01-02 00:00:00+00"), None),
        ("BLOB", _exact("a", "b"), None),
    ],
)
def test_statistics_keep_only_exact_safe_bounds(kind, stats, bounds):
    parsed = json.loads(delta_stats(_file({"c": stats}), {"c": kind}))
    assert parsed["numRecords"] == 3
    assert parsed["nullCount"] == {"c": 0}
    if bounds is None:
        assert "c" not in parsed.get("minValues", {}) and "c" not in parsed.get("maxValues", {})
    else:
        assert (parsed["minValues"]["c"], parsed["maxValues"]["c"]) == bounds


def test_statistics_of_an_all_null_column_and_quoted_names():
    parsed = json.loads(
        delta_stats(
            _file({'a"b': {"null_count": "3", "num_values": "3"}, "县名": _exact("x", "y")}),
            {'a"b': "BIGINT", "县名": "VARCHAR"},
        )
    )
    assert parsed["nullCount"] == {'a"b': 3, "县名": 0}
    assert parsed["minValues"] == {"县名": "x"}


def test_duckdb_names_in_its_statistics_are_unquoted():
    assert staging._by_column({'"a""b"': {}, '"c.d"': {}, "plain": {}}) == {'a"b': {}, "c.d": {}, "plain": {}}


def test_only_flat_types_are_staged():
    schema = staging.delta_schema(["a", "b", "c", "d"], ["BIGINT", "DECIMAL(38,0)", "TIMESTAMP", "VARCHAR"])
    assert schema is not None
    assert [str(f.type) for f in schema.fields] == [
        'PrimitiveType("long")',
        'PrimitiveType("decimal(38,0)")',
        'PrimitiveType("timestamp_ntz")',
        'PrimitiveType("string")',
    ]
    assert staging.delta_schema(["t"], ["VARCHAR[]"]) is None
    assert staging.delta_schema(["s"], ["STRUCT(a INTEGER)"]) is None


def test_overwrite_with_timestamps_upgrades_the_protocol_and_stays_readable(loader):
    loader.load(loader.write("t.csv", "id\n1\n"))
    loader.load(loader.write("u.csv", "id,at\n2,2024-05-01 10:00:00\n"), table="t", mode="overwrite")
    assert loader.column("t", "at")[0].isoformat() == "2024-05-01T10:00:00"
    loader.load(loader.write("v.csv", "id,at\n3,2024-05-02 11:30:00\n"), table="t", mode="append")
    assert sorted(loader.column("t", "id")) == [2, 3]


@pytest.mark.slow
def test_a_table_reads_in_its_files_order(loader):
    """DuckDB reads a big file (38 MB) on several threads; the table holds the rows in the file's order."""
    rows = 1_000_000
    pad = "x" * 30
    path = loader.write("big.csv", "n,pad\n" + "".join(f"{i},{pad}\n" for i in range(rows)))
    loader.load(path)
    assert loader.column("big", "n") == list(range(rows))


def test_the_next_load_removes_what_a_killed_load_left_and_spares_a_running_one(loader):
    loader.load(loader.write("t.csv", "id\n1\n"))
    folder = Path(_uri(loader, "t"))
    left, running = folder / "_stage-left", folder / "_stage-running"
    for stage in (left, running):
        stage.mkdir()
        (stage / "part-0.parquet").write_bytes(b"PAR1 half a file")
    idle = time.time() - staging.STALE_STAGE_SECONDS - 60
    for path in (left / "part-0.parquet", left):
        os.utime(path, (idle, idle))
    # a live load's folder may be old while the file it is writing is not
    os.utime(running, (idle, idle))
    loader.load(loader.write("u.csv", "id\n2\n"), table="t", mode="append")
    assert not left.exists()
    assert (running / "part-0.parquet").exists()
    assert sorted(loader.column("t", "id")) == [1, 2]
