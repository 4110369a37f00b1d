"""A load that dies half-way leaves the table exactly at its previous version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datavalley.catalog.tables import locate_table

ROWS = 1_500_000


def _big_csv(path: Path) -> Path:
    with path.open("w") as f:
        f.write("id,code,amount,note\n")
        for start in range(0, ROWS, 100_000):
            f.write(
                "".join(
                    f"{i},{i % 9973:05d},{i * 0.5},row number {i}\n" for i in range(start, start + 100_000)
                )
            )
    return path


def _ingest(settings, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATAVALLEY_HOME": str(settings.home),
        "DATAVALLEY_DATABASE_URL": settings.database_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "datavalley.cli.main", "ingest", *args, "--quiet"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_killed_ingest_leaves_the_previous_version(loader, settings, tmp_path):
    loader.load(loader.write("base.csv", "id,code,amount,note\n1,00001,0.5,first\n"), table="big")
    big = _big_csv(tmp_path / "big.csv")

    # how long does a whole append take here? then kill appends part-way through that time
    with loader.rt.session() as s:
        folder = Path(locate_table(s, loader.rt.settings, "stats", "people", "big").uri)
    started = time.perf_counter()
    timing = _ingest(settings, str(big), "--dataset", "stats/people", "--table", "timing")
    assert timing.wait(timeout=300) == 0, timing.stderr.read().decode() if timing.stderr else ""
    duration = time.perf_counter() - started
    rows, version, killed_mid_load = 1, 0, False
    for fraction in (0.6, 0.4, 0.75, 0.25, 0.85, 0.5):
        victim = _ingest(
            settings, str(big), "--dataset", "stats/people", "--table", "big", "--mode", "append"
        )
        time.sleep(duration * fraction)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=300)
        detail = loader.detail("big")
        # whatever the moment, the table is at its previous version or has the whole load: never half of it
        assert (detail.version, detail.row_count) in ((version, rows), (version + 1, rows + ROWS))
        if victim.returncode == -signal.SIGKILL and detail.version == version:
            killed_mid_load = True
            break
        rows, version = detail.row_count, detail.version
    assert killed_mid_load, "no append could be killed before it committed"
    uri = str(folder)
    assert "first" in loader.column("big", "note")
    assert not [p for p in folder.glob("part-*.parquet") if p.stat().st_size == 0]
    logs = sorted(p.name for p in (Path(uri) / "_delta_log").glob("*.json"))
    assert len(logs) == version + 1  # no commit of the killed load

    # and the table still takes the next load
    loader.load(
        loader.write("more.csv", "id,code,amount,note\n2,00002,1.0,second\n"), table="big", mode="append"
    )
    assert loader.detail("big").row_count == rows + 1


def test_a_failed_load_commits_nothing(loader):
    loader.load(loader.write("t.csv", "id,amount\n1,10\n"))
    rows = "".join(f"{i},{i}\n" for i in range(2, 50_000)) + "50000,not a number\n"
    with pytest.raises(Exception, match="amount"):
        loader.load(loader.write("t2.csv", "id,amount\n" + rows), table="t", mode="append")
    detail = loader.detail("t")
    assert (detail.version, detail.row_count) == (0, 1)


def test_loads_write_row_groups_small_enough_to_skip(loader, monkeypatch):
    """Selective queries skip row groups by their min/max: every load writes bounded row groups."""
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    from datavalley.ingest import load

    # DuckDB closes a row group at the first batch that takes it to the size or past it: a group holds
    # less than twice the size (and at least one vector, 2,048 rows)
    monkeypatch.setattr(load, "ROW_GROUP_ROWS", 2_048)
    loader.load(loader.write("t.csv", "id,v\n" + "".join(f"{i},{i % 7}\n" for i in range(10_000))), table="t")
    loader.load(loader.write("u.csv", "id,v\n1,9\n70000,1\n"), table="t", mode="upsert", key=["id"])
    with loader.rt.session() as s:
        uri = locate_table(s, loader.rt.settings, "stats", "people", "t").uri
    files = [pq.ParquetFile(f) for f in DeltaTable(uri).file_uris()]
    assert sum(f.metadata.num_rows for f in files) == 10_001
    groups = [f.metadata.row_group(i).num_rows for f in files for i in range(f.num_row_groups)]
    assert max(groups) < 2 * 2_048 and len(groups) >= 3, groups
