"""The query service: SQL over every table the caller may read, each rule applied beneath the query."""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from datavalley.access.policy import AUTHORITY, Caller
from datavalley.catalog import service as catalog
from datavalley.catalog import tables as table_service
from datavalley.catalog.schemas import DatasetUpdate
from datavalley.catalog.tables import ColumnUpdate
from datavalley.errors import BadRequest, Forbidden, InvalidInput, NotFound
from datavalley.query import formats, service
from datavalley.query.engine import QueryFailed, QueryLimits, QueryTimeout
from datavalley.query.service import QueryRequest
from datavalley.query.sql import SqlError
from tests.query.tables import PEOPLE_CSV, csv_text, load_table

OUTSIDER = Caller(user="wang", roles={"health": "member"})


def run(rt, sql, caller=AUTHORITY, **kwargs):
    with rt.session() as session:
        return service.run_query(session, rt.settings, caller, QueryRequest(sql=sql, **kwargs))


def stream(rt, sql, caller=AUTHORITY, params=None):
    with rt.session() as session:
        return service.stream_query(session, rt.settings, caller, sql, params, sessions=rt.session)


def publish(rt, ref, **fields):
    org, name = ref.split("/")
    with rt.session() as session:
        catalog.update_dataset(session, org, name, DatasetUpdate(state="published", **fields))


@pytest.fixture
def people(runtime, tmp_path):
    return load_table(runtime, tmp_path, "people", PEOPLE_CSV)


@pytest.fixture
def counties(runtime, tmp_path, people):
    text = csv_text(["city", "county_code", "population"], [["贵阳", "520102", 100], ["遵义", "520302", 80]])
    return load_table(runtime, tmp_path, "counties", text, dataset="geo/regions")


def test_select_join_across_datasets_with_types(runtime, people, counties):
    result = run(
        runtime,
        """SELECT p.name, c.county_code, c.population
           FROM stats.people.people AS p JOIN geo.regions c ON c.city = p.city
           ORDER BY p.id""",
    )
    assert [c.name for c in result.columns] == ["name", "county_code", "population"]
    assert result.rows == [["张三", 520102, 100], ["李四", 520302, 80]]
    assert result.total_rows == 2 and result.next is None and result.message is None
    assert {t.table for t in result.tables} == {"stats.people.people", "geo.regions.counties"}


def test_short_name_needs_a_single_table(runtime, people, tmp_path):
    assert run(runtime, "SELECT count(*) AS n FROM stats.people").rows == [[6]]
    load_table(runtime, tmp_path, "more", "a\n1\n")
    with pytest.raises(BadRequest, match=r"has 2 tables \(more, people\); name one"):
        run(runtime, "SELECT * FROM stats.people")


def test_unknown_table_and_column_name_the_closest_match(runtime, people):
    with pytest.raises(
        NotFound, match=r"stats\.people\.peple` does not exist.*did you mean `stats\.people\.people`"
    ):
        run(runtime, "SELECT * FROM stats.people.peple")
    with pytest.raises(QueryFailed) as failed:
        run(runtime, "SELECT nmae FROM stats.people.people")
    assert "nmae" in failed.value.message and "name" in failed.value.message
    assert "__dv" not in failed.value.message


def test_syntax_error_has_line_and_column(runtime, people):
    with pytest.raises(SqlError) as refused:
        run(runtime, "SELECT *\nFROM stats.people.people WHERE (")
    assert refused.value.status == 400 and refused.value.line == 2


def test_paging_reaches_the_very_end(runtime, tmp_path):
    load_table(runtime, tmp_path, "big", csv_text(["n"], ([i] for i in range(25_000))), dataset="stats/big")
    page = run(runtime, "SELECT n FROM stats.big.big", limit=10_000)
    seen = [r[0] for r in page.rows]
    assert page.total_rows == 25_000 and page.next and "15000 more rows" in page.message
    while page.next:
        page = run(runtime, None, cursor=page.next)
        seen += [r[0] for r in page.rows]
        assert page.total_rows == 25_000
    assert sorted(seen) == list(range(25_000))  # every row once, none lost, none twice
    with pytest.raises(InvalidInput, match="cursor"):
        run(runtime, None, cursor="not-a-cursor")


def test_a_cursor_belongs_to_its_caller(runtime, tmp_path):
    load_table(runtime, tmp_path, "big", csv_text(["n"], ([i] for i in range(3_000))), dataset="stats/big")
    publish(runtime, "stats/big", sharing="unconditional")
    first = run(runtime, "SELECT n FROM stats.big.big", limit=1_000)
    with pytest.raises(NotFound, match="expired or does not exist"):
        run(runtime, None, caller=OUTSIDER, cursor=first.next)


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet", "arrow"])
def test_every_streaming_format_holds_every_row(runtime, tmp_path, fmt):
    load_table(
        runtime,
        tmp_path,
        "big",
        csv_text(["n", "code"], ([i, f"0{i}"] for i in range(20_000))),
        dataset="stats/big",
    )
    out = stream(runtime, "SELECT n, code FROM stats.big.big WHERE n % 2 = 0")
    data = b"".join(formats.DOWNLOADS[fmt].chunks(out))
    if fmt == "csv":
        table = pcsv.read_csv(
            io.BytesIO(data), convert_options=pcsv.ConvertOptions(column_types={"code": pa.string()})
        )
    elif fmt == "ndjson":
        table = pa.Table.from_pylist([json.loads(line) for line in data.splitlines()])
    elif fmt == "parquet":
        table = pq.read_table(io.BytesIO(data))
    else:
        table = pa.ipc.open_stream(data).read_all()
    assert table.num_rows == 10_000 and out.rows == 10_000
    assert set(table.column("code").to_pylist()) >= {"00", "019998"}  # leading zeros kept


def test_time_travel_by_version_and_timestamp(runtime, people, tmp_path):
    header = PEOPLE_CSV.splitlines()[0]
    load_table(runtime, tmp_path, "people", f"{header}\n7,七,,,,,,\n", mode="append")
    now = run(runtime, "SELECT count(*) FROM stats.people.people").rows
    then = run(runtime, "SELECT count(*) FROM stats.people.people FOR VERSION AS OF 0").rows
    assert (now, then) == ([[7]], [[6]])
    both = run(
        runtime,
        "SELECT (SELECT count(*) FROM stats.people.people) - (SELECT count(*) FROM stats.people.people VERSION AS OF 0)",
    )
    assert both.rows == [[1]]
    assert run(
        runtime, "SELECT count(*) FROM stats.people.people FOR TIMESTAMP AS OF '2999-01-01T00:00:00Z'"
    ).rows == [[7]]
    with pytest.raises(NotFound, match="did not exist yet"):
        run(runtime, "SELECT * FROM stats.people.people FOR TIMESTAMP AS OF '2000-01-01'")
    with pytest.raises(NotFound, match="no version 9"):
        run(runtime, "SELECT * FROM stats.people.people FOR VERSION AS OF 9")


def test_parameters_are_bound_never_spliced(runtime, people):
    result = run(
        runtime, "SELECT name FROM stats.people.people WHERE score >= :min ORDER BY id", params={"min": 90}
    )
    assert result.rows == [["李四"], ["Alice"]]
    sneaky = run(
        runtime, "SELECT count(*) FROM stats.people.people WHERE name = :n", params={"n": "x' OR '1'='1"}
    )
    assert sneaky.rows == [[0]]
    with pytest.raises(InvalidInput, match="no value for `:min`"):
        run(runtime, "SELECT * FROM stats.people.people WHERE score >= :min")
    with pytest.raises(InvalidInput, match="`extra` not used"):
        run(runtime, "SELECT 1", params={"extra": 1})


def test_explain_shows_the_plan(runtime, people):
    result = run(runtime, "EXPLAIN SELECT name FROM stats.people.people WHERE id = 3")
    text = "\n".join(str(v) for row in result.rows for v in row)
    assert ("ARROW_SCAN" in text.upper() and "__dv" not in text) or "people" in text


def test_a_runaway_query_is_stopped_and_others_still_run(runtime, tmp_path):
    load_table(runtime, tmp_path, "big", csv_text(["n"], ([i] for i in range(30_000))), dataset="stats/big")
    slow = "SELECT count(*) FROM stats.big.big a, stats.big.big b WHERE (a.n * 7 + b.n * 13) % 1000003 = 17"
    with runtime.session() as session, pytest.raises(QueryTimeout, match=r"longer than 0\.3 s"):
        list(
            service.start_query(
                session, runtime.settings, AUTHORITY, slow, limits=QueryLimits(timeout_seconds=0.3)
            ).batches
        )
    assert run(runtime, "SELECT count(*) FROM stats.big.big").rows == [[30_000]]


def test_type_errors_are_clear(runtime, people):
    with pytest.raises(QueryFailed, match="Could not convert string 'abc'"):
        run(runtime, "SELECT * FROM stats.people.people WHERE id = :v", params={"v": "abc"})


# --- the rules beneath the query -------------------------------------------------------------------


@pytest.fixture
def tagged(runtime, tmp_path):
    text = csv_text(
        ["id", "id_number", "county"],
        [[1, "52010219900101123X", "云岩"], [2, "520302198506301234", "汇川"]],
    )
    where = load_table(runtime, tmp_path, "visits", text, dataset="health/visits")
    with runtime.session() as session:
        table_service.update_column(
            session,
            runtime.settings,
            "health",
            "visits",
            "visits",
            "id_number",
            ColumnUpdate(tags=["id_number"]),
        )
    publish(runtime, "health/visits", sharing="unconditional")
    return where


READER = Caller(user="li", roles={"stats": "member"})


def test_tagged_columns_are_masked_on_every_query_shape(runtime, tagged):
    plain = run(runtime, "SELECT id_number FROM health.visits ORDER BY id", caller=READER)
    assert plain.rows == [["520102************"], ["520302************"]]
    assert run(runtime, "SELECT id_number FROM health.visits ORDER BY id").rows[0] == ["52010219900101123X"]
    attempts = [
        "SELECT count(*) FROM health.visits WHERE id_number LIKE '%123X'",
        "SELECT count(*) FROM health.visits WHERE id_number = '52010219900101123X'",
        "WITH x AS (SELECT * FROM health.visits) SELECT count(*) FROM x WHERE right(id_number, 4) = '123X'",
        "SELECT count(*) FROM (SELECT id_number AS v FROM health.visits) s WHERE substr(v, 15, 4) = '123X'",
        "SELECT count(*) FROM health.visits a JOIN health.visits b ON a.id = b.id WHERE b.id_number LIKE '%X'",
        "SELECT count(*) FROM (SELECT id_number FROM health.visits UNION ALL SELECT '1') u WHERE id_number LIKE '%3X'",
        "SELECT count(*) FROM health.visits WHERE max_by(id, id_number) IS NULL OR true AND id_number > '5201021'",
    ]
    for sql in attempts[:-1]:
        assert run(runtime, sql, caller=READER).rows == [[0]], sql
    everything = "\n".join(
        str(v)
        for r in run(runtime, "SELECT string_agg(id_number, ',') FROM health.visits", caller=READER).rows
        for v in r
    )
    assert "1990" not in everything and "123X" not in everything


def test_datasets_not_shared_are_not_readable(runtime, tagged, people):
    with pytest.raises(NotFound):  # a draft of another organization does not exist for the caller
        run(
            runtime,
            "SELECT * FROM stats.people.people",
            caller=OUTSIDER.__class__(user="x", roles={"geo": "member"}),
        )
    publish(runtime, "stats/people")  # conditional by default: visible, but not readable without a grant
    with pytest.raises(Forbidden, match="open a request"):
        run(runtime, "SELECT * FROM stats.people.people", caller=Caller(user="x", roles={"geo": "member"}))
    anonymous = Caller()
    with pytest.raises(NotFound):
        run(runtime, "SELECT * FROM health.visits", caller=anonymous)


def test_every_query_read_is_audited(runtime, people, counties):
    from datavalley.access import audit

    run(runtime, "SELECT p.name FROM stats.people p JOIN geo.regions c ON c.city = p.city")
    out = stream(runtime, "SELECT id FROM stats.people.people WHERE id > 4", caller=AUTHORITY)
    assert sum(b.num_rows for b in out) == 2
    with runtime.session() as session:
        reads = audit.list_entries(session, kind="read").data
        assert audit.verify_chain(session).ok
    assert [(e.action, e.target, e.rows) for e in reversed(reads)] == [
        ("sql", "stats/people/people", 2),
        ("sql", "geo/regions/counties", 2),
        ("sql", "stats/people/people", 2),
    ]
    assert {e.actor for e in reads} == {AUTHORITY.name}


def test_the_engine_reads_only_the_files_of_the_query(runtime, tmp_path):
    import duckdb
    from deltalake import DeltaTable, write_deltalake

    from datavalley.query.duck import connect, parquet_files

    plain = tmp_path / "plain"
    write_deltalake(str(plain), pa.table({"k": [1, 2], "v": ["a", "b"]}))
    files = parquet_files(DeltaTable(str(plain)))
    assert files and all(f.startswith(str(plain)) for f in files)
    con = connect(None, allowed_paths=files)
    assert con.sql(f"SELECT count(*) FROM read_parquet('{files[0]}')").fetchall() == [(2,)]
    (tmp_path / "secret.csv").write_text("x\n1\n")
    for sql in (
        f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')",
        f"SELECT * FROM read_parquet('{plain}/*.parquet')",
    ):
        with pytest.raises(duckdb.PermissionException):
            con.sql(sql).fetchall()
    with pytest.raises(duckdb.Error):
        con.execute("SET allowed_paths = ['/']")
    partitioned = tmp_path / "partitioned"
    write_deltalake(str(partitioned), pa.table({"k": [1, 2], "p": ["x", "y"]}), partition_by=["p"])
    assert (
        parquet_files(DeltaTable(str(partitioned))) is None
    )  # partition values live in the log: Arrow reads it


def test_unknown_names_never_bind_to_python_variables():
    import duckdb

    from datavalley.query.duck import connect

    secret_rows = pa.table({"x": [42]})  # noqa: F841  DuckDB's replacement scan would find this local
    con = connect(None)
    with pytest.raises(duckdb.CatalogException):
        con.sql("SELECT * FROM secret_rows").fetchall()
