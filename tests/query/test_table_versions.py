"""Remembered table versions: a query sees a new version at once, old versions stay exact, and the
rules are decided anew at every read (a revoked grant refuses the very next query)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datavalley.access.grants import GrantCreate, GrantRevoke, TableRule, create_grant, revoke_grant
from datavalley.access.policy import AUTHORITY
from datavalley.errors import DataValleyError, Forbidden, NotFound
from datavalley.query import service
from datavalley.query.duck import files_agree, snapshot_files
from datavalley.query.service import QueryRequest
from datavalley.storage import delta
from tests.access.sharing_world import build_world
from tests.query.tables import PEOPLE_CSV, load_table

COUNT = "SELECT count(*) FROM stats.people.people"


def run(rt, sql, caller=AUTHORITY):
    with rt.session() as session:
        return service.run_query(session, rt.settings, caller, QueryRequest(sql=sql))


def count(rt, sql=COUNT, caller=AUTHORITY) -> int:
    return run(rt, sql, caller).rows[0][0]


def append_elsewhere(uri: str, ids: list[int]) -> None:
    """Append rows to the Delta table at ``uri`` from another process (as a load by the CLI would)."""
    script = textwrap.dedent(
        f"""
        import pyarrow as pa
        from deltalake import DeltaTable, write_deltalake
        schema = pa.schema(DeltaTable({uri!r}).schema())
        rows = pa.table({{"id": pa.array({ids!r}, schema.field("id").type)}})
        columns = {{f.name: rows["id"] if f.name == "id" else pa.nulls(len(rows), f.type) for f in schema}}
        write_deltalake({uri!r}, pa.table(columns, schema=schema), mode="append")
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)


#: read by DuckDB's own Parquet reader; PEOPLE_CSV's naive timestamps (a reader feature) go through Arrow
PLAIN_CSV = "id,name\n1,a\n2,b\n3,c\n4,d\n5,e\n6,f\n"


@pytest.fixture(params=["parquet", "arrow"])
def people(request, runtime, tmp_path):
    location = load_table(
        runtime, tmp_path, "people", PLAIN_CSV if request.param == "parquet" else PEOPLE_CSV
    )
    files = snapshot_files(delta.table_snapshot(location.uri))
    assert (files is not None) == (request.param == "parquet")
    return location


def test_a_version_committed_by_another_process_is_read_by_the_next_query(runtime, people):
    assert count(runtime) == 6
    append_elsewhere(people.uri, [7])
    assert count(runtime) == 7
    append_elsewhere(people.uri, [8, 9])
    result = run(runtime, "SELECT max(id) FROM stats.people.people")
    assert result.rows == [[9]] and result.tables[0].version == 2


def test_each_version_keeps_its_own_rows(runtime, people):
    append_elsewhere(people.uri, [7])
    append_elsewhere(people.uri, [8])
    for _ in range(2):  # the second round is answered from remembered versions
        assert [count(runtime, f"{COUNT} FOR VERSION AS OF {v}") for v in (0, 1, 2)] == [6, 7, 8]
        assert count(runtime) == 8
        assert count(runtime, f"{COUNT} FOR TIMESTAMP AS OF '2999-01-01T00:00:00Z'") == 8
    both = run(runtime, f"SELECT (SELECT count(*) FROM stats.people.people) - ({COUNT} VERSION AS OF 1)")
    assert both.rows == [[1]]
    with pytest.raises(NotFound, match="no version 3; its versions are 0 to 2"):
        run(runtime, f"{COUNT} FOR VERSION AS OF 3")


def test_a_table_replaced_in_place_is_not_answered_from_the_old_one(runtime, people, tmp_path):
    assert count(runtime) == 6
    other = load_table(runtime, tmp_path, "other", "id,name\n1,a\n2,b\n", dataset="stats/other")
    shutil.rmtree(people.uri)
    shutil.copytree(other.uri, people.uri)  # version 0 again, with other files
    commit = delta._commit_file(people.uri, 0)
    st = os.stat(commit)
    os.utime(commit, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a later commit, whatever the clock
    assert count(runtime) == 2


def test_newest_version_follows_the_log(people):
    assert delta.newest_version(people.uri) == 0
    append_elsewhere(people.uri, [7])
    append_elsewhere(people.uri, [8])
    assert delta.newest_version(people.uri) == 2
    delta.forget_snapshots()
    assert delta.newest_version(people.uri) == 2  # from a listing of the log
    assert delta.newest_version(people.uri + "-missing") is None


def test_snapshots_are_remembered_per_version(people):
    first = delta.table_snapshot(people.uri)
    assert delta.table_snapshot(people.uri) is first  # not read again
    append_elsewhere(people.uri, [7])
    second = delta.table_snapshot(people.uri)
    assert (first.version, second.version) == (0, 1)
    assert len(second.file_uris) == len(first.file_uris) + 1
    assert delta.table_snapshot(people.uri, version=0) is first
    assert second.columns == first.columns and second.columns[:2] == ("id", "name")


def test_missing_data_is_a_not_found(runtime, people):
    assert count(runtime) == 6
    shutil.rmtree(people.uri)
    with pytest.raises(NotFound) as raised:
        run(runtime, COUNT)
    # the table is in the catalog: its data is missing (no "did you mean" itself), and where it was
    # stays in the server's log
    assert "the data of table `stats/people/people` is missing on this server" in raised.value.message
    assert "did you mean" not in raised.value.message and people.uri not in raised.value.message
    with pytest.raises(NotFound, match="is missing"):
        delta.table_snapshot(people.uri, name="table `stats.people.people`")


def test_a_revoked_grant_refuses_the_next_query(runtime, tmp_path):
    world = build_world(runtime, tmp_path)
    rule = TableRule(columns=["id", "city"], row_filter="id <= 3")
    with runtime.session() as session:
        granted = create_grant(
            session,
            runtime.settings,
            world.caller("li"),
            GrantCreate(
                dataset="stats/people", purpose="study", organization="health", tables={"people": rule}
            ),
        )
    wang = world.caller("wang")
    for _ in range(2):  # the second time from remembered versions: the rules still apply
        assert count(runtime, caller=wang) == 3
        seen = run(runtime, "SELECT * FROM stats.people.people", wang)
        assert [c.name for c in seen.columns] == ["id", "city"]
    with runtime.session() as session:
        revoke_grant(session, world.caller("li"), granted.id, GrantRevoke(reason="done"))
    with pytest.raises(Forbidden, match="has no grant"):
        run(runtime, COUNT, wang)


def test_files_written_before_a_column_was_added_read_it_as_null(runtime, people, tmp_path):
    script = textwrap.dedent(
        f"""
        import pyarrow as pa
        from deltalake import write_deltalake
        write_deltalake({people.uri!r}, pa.table({{"id": pa.array([7], pa.int64()), "extra": ["x"]}}),
                        mode="append", schema_mode="merge")
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    result = run(runtime, "SELECT count(*), count(extra), max(extra) FROM stats.people.people")
    assert result.rows == [[7, 1, "x"]]
    files = snapshot_files(delta.table_snapshot(people.uri))
    assert files is None or not files_agree(files, delta.table_snapshot(people.uri).columns)


def test_files_agree_only_when_every_footer_matches(tmp_path):
    one, two, three = (str(tmp_path / f"{n}.parquet") for n in ("one", "two", "three"))
    pq.write_table(pa.table({"a": [1], "b": ["x"]}), one)
    pq.write_table(pa.table({"a": [2], "b": ["y"]}), two)
    pq.write_table(pa.table({"a": [3]}), three)
    assert files_agree([one, two], ["a", "b"])
    assert not files_agree([one, two, three], ["a", "b"])  # three lacks b
    assert not files_agree([three], ["a", "b"])
    assert not files_agree([one, str(tmp_path / "gone.parquet")], ["a", "b"])


def test_tables_are_read_inline_and_literals_are_left_alone(runtime, people):
    result = run(
        runtime,
        """SELECT '"__dv_t0"' AS a, count(*) AS n
           FROM stats.people.people x JOIN stats.people.people y ON x.id = y.id""",
    )
    assert result.rows == [['"__dv_t0"', 6]]


def test_a_lost_data_file_is_the_servers_error_not_the_callers(runtime, people):
    assert count(runtime) == 6
    files = delta.table_snapshot(people.uri).file_uris
    for f in files:
        os.remove(f)
    with pytest.raises(DataValleyError) as raised:
        run(runtime, "SELECT max(id) FROM stats.people.people")
    if snapshot_files(delta.table_snapshot(people.uri)) is not None:  # DuckDB's reader (Arrow: as before)
        assert raised.value.status == 503 and "`stats.people.people` cannot be read" in raised.value.message
        assert str(runtime.settings.home) not in raised.value.message
