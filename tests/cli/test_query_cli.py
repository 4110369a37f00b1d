"""``datavalley query`` and ``datavalley api ...`` as a user runs them."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest


@pytest.fixture
def ready(cli, tmp_path):
    assert cli("init").exit_code == 0
    assert cli("org", "create", "stats").exit_code == 0
    assert cli("dataset", "create", "stats/people", "--sharing", "unconditional").exit_code == 0
    source = tmp_path / "people.csv"
    source.write_text("id,name,code\n1,张三,007\n2,李四,012\n3,王五,100\n", encoding="utf-8")
    assert cli("ingest", str(source), "--dataset", "stats/people", "--quiet").exit_code == 0
    return cli


def test_query_prints_a_table_and_writes_every_format(ready, tmp_path):
    shown = ready("query", "SELECT name, code FROM stats.people ORDER BY id")
    assert shown.exit_code == 0, shown.output
    assert "张三" in shown.output and "007" in shown.output and "3 row(s)" in shown.output
    as_json = json.loads(
        ready("query", "SELECT id FROM stats.people WHERE id >= :m", "-p", "m=2", "-f", "json").stdout
    )
    assert as_json["rows"] == [[2], [3]] and as_json["columns"][0]["name"] == "id"
    out = tmp_path / "people.parquet"
    written = ready("query", "SELECT * FROM stats.people.people", "--format", "parquet", "--output", str(out))
    assert written.exit_code == 0 and "wrote 3 row(s)" in written.output
    assert pq.read_table(out).column("code").to_pylist() == ["007", "012", "100"]
    csv = ready("query", "SELECT code FROM stats.people ORDER BY id", "--format", "csv")
    assert csv.stdout.splitlines() == ['"code"', '"007"', '"012"', '"100"']  # text stays quoted text
    explained = ready("query", "EXPLAIN SELECT * FROM stats.people WHERE id = 1")
    assert explained.exit_code == 0


def test_query_bad_input_is_one_line_and_writes_nothing(ready, tmp_path):
    out = tmp_path / "x.csv"
    refused = ready("query", "SELECT * FROM read_csv('/etc/passwd')", "-f", "csv", "-o", str(out))
    assert refused.exit_code == 2 and "read_csv" in refused.output and "Traceback" not in refused.output
    assert not out.exists() and not list(tmp_path.glob("x.csv*"))
    missing = ready("query", "SELECT * FROM stats.peple")
    assert missing.exit_code == 1 and "did you mean `stats.people.people`" in missing.output
    assert ready("query", "SELECT 1", "-f", "xml").exit_code == 2
    assert ready("query", "SELECT :a").exit_code == 2
    nowhere = ready("query", "SELECT 1", "-f", "csv", "-o", str(tmp_path / "no" / "such" / "x.csv"))
    assert nowhere.exit_code == 2 and "does not exist" in nowhere.output and "Traceback" not in nowhere.output


def test_data_api_lifecycle(ready):
    created = ready(
        "api",
        "create",
        "stats/by_code",
        "--sql",
        "SELECT name FROM stats.people WHERE code = :code",
        "-p",
        "code:text=007",
        "--title",
        "By code",
    )
    assert created.exit_code == 0, created.output
    assert "/api/v1/apis/stats/by_code" in created.output
    listed = ready("api", "list")
    assert "stats/by_code" in listed.output and "code:text" in listed.output
    assert "SELECT name" in ready("api", "show", "stats/by_code").output
    assert "张三" in ready("api", "call", "stats/by_code").output
    assert "王五" in ready("api", "call", "stats/by_code", "-p", "code=100").output
    assert ready("api", "create", "stats/bad", "--sql", "SELECT :x").exit_code == 2
    assert ready("api", "delete", "stats/by_code").exit_code == 0
    assert ready("api", "show", "stats/by_code").exit_code == 1
