"""``datavalley ingest`` and ``datavalley table ...`` as a user runs them."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def ready(cli):
    assert cli("init").exit_code == 0
    assert cli("org", "create", "health").exit_code == 0
    assert cli("dataset", "create", "health/visits").exit_code == 0
    return cli


def test_ingest_then_show_history_rollback(ready, tmp_path):
    cli = ready
    first = tmp_path / "门诊记录.csv"
    first.write_bytes("身份证号码,医院,费用\n52010119900101123X,第一医院,120.5\n".encode("gbk"))
    result = cli("ingest", str(first), "--dataset", "health/visits", "--table", "visits")
    assert result.exit_code == 0, result.output
    assert "health/visits/visits version 0" in result.output and "1 row written" in result.output

    second = tmp_path / "more.csv"
    second.write_text("身份证号码,医院,费用\n520101199001011234,第二医院,80\n", encoding="utf-8")
    result = cli(
        "ingest", str(second), "-d", "health/visits", "--table", "visits", "--mode", "append", "--json"
    )
    assert result.exit_code == 0, result.output
    loaded = json.loads(result.stdout)[0]
    assert (loaded["version"], loaded["row_count"], loaded["mode"]) == (1, 2, "append")

    shown = cli("table", "show", "health/visits/visits")
    assert shown.exit_code == 0
    for text in ("身份证号码", "shen_fen_zheng_hao_ma", "yi_yuan", "rows", "more.csv"):
        assert text in shown.output
    detail = json.loads(cli("table", "show", "health/visits/visits", "--json").stdout)
    assert detail["row_count"] == 2 and [c["type"] for c in detail["columns"]] == [
        "string",
        "string",
        "double",
    ]

    history = json.loads(cli("table", "history", "health/visits/visits", "--json").stdout)
    assert [(v["version"], v["mode"]) for v in history] == [(1, "append"), (0, "create")]

    result = cli("table", "rollback", "health/visits/visits", "--to-version", "0")
    assert result.exit_code == 0 and "as version 2" in result.output
    assert json.loads(cli("table", "show", "health/visits/visits", "--json").stdout)["row_count"] == 1

    listed = cli("table", "list", "health/visits")
    assert "visits" in listed.output and "1 table(s)" in listed.output


def test_column_tags_and_descriptions(ready, tmp_path):
    cli = ready
    path = tmp_path / "p.csv"
    path.write_text("id_no,phone\n52010119900101123X,13800000000\n")
    assert cli("ingest", str(path), "-d", "health/visits", "-q").exit_code == 0
    result = cli(
        "table", "column", "health/visits/p", "id_no", "--tags", "id_number", "--description", "居民身份证号"
    )
    assert result.exit_code == 0 and "id_number" in result.output
    shown = cli("table", "show", "health/visits/p")
    assert "居民身份证号" in shown.output and "id_number" in shown.output
    bad = cli("table", "column", "health/visits/p", "phone", "--tags", "secret")
    assert bad.exit_code != 0 and "unknown column tag" in bad.output
    assert "Traceback" not in bad.output


def test_schema_file(ready, tmp_path):
    cli = ready
    data = tmp_path / "zip.csv"
    data.write_text("zip,amount\n550001,10\n")
    schema = tmp_path / "schema.txt"
    schema.write_text("# fixed by hand\nzip: string\namount: decimal(12,2)\n")
    assert cli("ingest", str(data), "-d", "health/visits", "--schema", str(schema), "-q").exit_code == 0
    detail = json.loads(cli("table", "show", "health/visits/zip", "--json").stdout)
    assert [c["type"] for c in detail["columns"]] == ["string", "decimal128(12, 2)"]
    schema.write_text('{"zip": "text", "amount": "money"}')
    bad = cli("ingest", str(data), "-d", "health/visits", "--table", "zip2", "--schema", str(schema))
    assert bad.exit_code != 0 and "unknown type `money`" in bad.output


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("a,b\n1,2,3\n", [], "line 2"),
        ("a\n1\n", ["--dataset", "health/nope"], "health/nope"),
        ("a\n1\n", ["--mode", "upsert"], "--key"),
        ("a\n1\n", ["--encoding", "klingon"], "not a known encoding"),
        ("a\n1\n", ["--table", "Bad-Name"], "must match"),
    ],
)
def test_bad_input_gives_one_clear_line(ready, tmp_path, content, args, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    dataset = [] if "--dataset" in args else ["--dataset", "health/visits"]
    result = ready("ingest", str(path), *dataset, *args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_skip_mode_reports_rejects(ready, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("a,b\n1,x\n2,y,z\n3,w\n")
    result = ready("ingest", str(path), "-d", "health/visits", "--on-error", "skip")
    assert result.exit_code == 0
    assert "1 row(s) rejected" in result.output


def test_delete_table(ready, tmp_path):
    path = tmp_path / "gone.csv"
    path.write_text("a\n1\n")
    assert ready("ingest", str(path), "-d", "health/visits", "-q").exit_code == 0
    assert ready("table", "delete", "health/visits/gone", "--yes").exit_code == 0
    result = ready("table", "show", "health/visits/gone")
    assert result.exit_code != 0 and "does not exist" in result.output
