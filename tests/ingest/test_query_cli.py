"""``datavalley ingest DATABASE_URL --query ...``: a table from another SQL database, from the CLI."""

from __future__ import annotations

import json
import sqlite3

import pytest


@pytest.fixture
def ready(cli, tmp_path):
    for args in (("init",), ("org", "create", "stats"), ("dataset", "create", "stats/people")):
        assert cli(*args).exit_code == 0
    source = tmp_path / "source.db"
    with sqlite3.connect(source) as con:
        con.execute("CREATE TABLE births (id INTEGER, county TEXT, total INTEGER, code TEXT)")
        con.executemany(
            "INSERT INTO births VALUES (?, ?, ?, ?)", [(1, "青山县", 120, "0012"), (2, "云岭县", 98, "0013")]
        )
    return cli, f"sqlite:///{source}"


def test_a_query_becomes_a_table_and_can_be_appended(ready):
    cli, url = ready
    result = cli("ingest", url, "--query", "SELECT * FROM births", "-d", "stats/people", "--table", "births")
    assert result.exit_code == 0, result.output
    assert "stats/people/births version 0" in result.output and "2 rows written" in result.output
    more = cli(
        "ingest", url, "--query", "SELECT * FROM births WHERE id = 1", "-d", "stats/people",
        "--table", "births", "--mode", "append", "--json", "--quiet",
    )  # fmt: skip
    assert more.exit_code == 0, more.output
    assert json.loads(more.stdout)[0]["row_count"] == 3
    shown = json.loads(cli("table", "show", "stats/people/births", "--json").stdout)
    assert {c["name"]: c["type"] for c in shown["columns"]}["code"] == "string"
    assert shown["versions"][0]["source"].endswith("(SQL query)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--table", "t"), "is a database; give the rows to load with --query"),
        (("--query", "SELECT 1"), "--query needs --table"),
        (("--query", "SELECT 1", "--table", "t", "--encoding", "gbk"), "--encoding applies to files"),
        (("--query", "DELETE FROM births", "--table", "t"), "give one query that reads rows"),
        (("--query", "SELECT * FROM nowhere", "--table", "t"), "nowhere"),
    ],
)
def test_query_mistakes_are_one_clear_line(ready, args, message):
    cli, url = ready
    result = cli("ingest", url, "-d", "stats/people", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert "stats/people/t" not in cli("table", "list", "stats/people").output
