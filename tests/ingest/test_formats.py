"""Loading JSON, NDJSON, Parquet, Excel (and compressed copies), and query results from SQL databases."""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import json
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from datavalley.errors import InvalidInput
from datavalley.ingest.load import IngestRequest, IngestResult, ingest
from datavalley.ingest.sql_source import ingest_sql
from tests.conftest import PG_DB, PG_HOST, PG_PORT, PG_USER, postgres_problem


def load_all(loader, path: Path, **options) -> list[IngestResult]:
    """Every table a file yields: one per sheet of a workbook, one per file in a zip."""
    return ingest(loader.rt, IngestRequest(source=str(path), dataset="stats/people", **options))


def rows_of(loader, table: str) -> list[dict]:
    return loader.data(table).to_pylist()


# --- Excel -----------------------------------------------------------------------------------------


def write_workbook(path: Path) -> Path:
    wb = Workbook()
    people = wb.active
    people.title = "人口"
    people.append(["编码", "姓名", "人数", "比例", "日期", "登记时间", "备注"])
    # 16 significant digits after three zeros: a text guard would take it for too precise a number
    people.append(
        [
            "00123",
            "张三",
            12,
            1.234567890123456e-4,
            dt.date(2024, 1, 2),
            dt.datetime(2024, 1, 2, 8, 30),
            "n/a",
        ]
    )
    people.append([None, None, None, None, None, None, None])  # an empty row is skipped
    people.append(["00456", "李四", 7, 2.0, dt.date(2024, 2, 29), dt.datetime(2024, 3, 1, 0, 0, 5), 12])
    wb.create_sheet("空")  # an empty sheet is no table
    other = wb.create_sheet("Sheet2")
    other.append(["id", "flag"])
    other.append([1, True])
    other.append([2, False])
    wb.save(path)
    return path


def test_each_sheet_of_a_workbook_becomes_a_table_with_excel_types(loader, tmp_path):
    results = load_all(loader, write_workbook(tmp_path / "census.xlsx"))
    assert sorted(r.table for r in results) == ["stats/people/ren_kou", "stats/people/sheet2"]

    detail, types, rows = loader.detail("ren_kou"), loader.types("ren_kou"), rows_of(loader, "ren_kou")
    assert detail.row_count == 2
    assert [c.label for c in detail.columns] == ["编码", "姓名", "人数", "比例", "日期", "登记时间", "备注"]
    assert types == {
        "bian_ma": "string",
        "xing_ming": "string",
        "ren_shu": "int64",
        "bi_li": "double",
        "ri_qi": "date32[day]",
        "deng_ji_shi_jian": "timestamp[us]",
        "bei_zhu": "string",
    }
    assert rows[0] == {
        "bian_ma": "00123",
        "xing_ming": "张三",
        "ren_shu": 12,
        "bi_li": 1.234567890123456e-4,
        "ri_qi": dt.date(2024, 1, 2),
        "deng_ji_shi_jian": dt.datetime(2024, 1, 2, 8, 30),
        "bei_zhu": "n/a",
    }
    assert rows[1]["bei_zhu"] == "12"  # a whole number in a text column: not "12.0"
    assert rows[1]["bi_li"] == 2.0

    assert loader.types("sheet2") == {"id": "int64", "flag": "bool"}
    assert rows_of(loader, "sheet2") == [{"id": 1, "flag": True}, {"id": 2, "flag": False}]


def test_sheet_option_loads_one_sheet_and_an_unknown_sheet_lists_the_sheets(loader, tmp_path):
    book = write_workbook(tmp_path / "census.xlsx")
    result = loader.load(book, sheet="Sheet2")
    assert result.table == "stats/people/sheet2" and result.row_count == 2

    with pytest.raises(InvalidInput, match=r"census.xlsx has no sheet `户籍`; its sheets: 人口, 空, Sheet2"):
        loader.load(book, sheet="户籍")


def test_messages_and_rejects_give_the_excel_row(loader, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append([])
    ws.append(["code", "n"])
    ws.append(["a\nb", 1])  # a line break inside a cell
    ws.append([])
    ws.append(["c", "many", "a note right of the header"])
    wb.save(tmp_path / "rows.xlsx")

    with pytest.raises(InvalidInput, match=r"rows.xlsx \(sheet Sheet\) line 5: column `n` must be bigint"):
        loader.load(tmp_path / "rows.xlsx", schema={"n": "BIGINT"})

    result = loader.load(tmp_path / "rows.xlsx", schema={"n": "BIGINT"}, on_error="skip")
    assert (result.table, result.rows_written, result.rows_rejected) == ("stats/people/rows", 1, 1)
    # a value its fixed column cannot hold is rejected by the check, which names the value, not the line
    assert (
        Path(result.rejects_file)
        .read_text(encoding="utf-8")
        .splitlines()[1]
        .startswith(",n,`many` does not fit")
    )
    assert [c["label"] for c in result.columns] == ["code", "n", "column_3"]
    assert rows_of(loader, "rows") == [{"code": "a\nb", "n": 1, "column_3": None}]


def test_a_text_file_named_xlsx_is_refused_with_a_hint(loader, tmp_path):
    fake = tmp_path / "report.xlsx"
    fake.write_text("code,count\n00123,5\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"report.xlsx is not an Excel workbook .*give it a \.csv name"):
        loader.load(fake)


# --- JSON and NDJSON -------------------------------------------------------------------------------


def test_json_array_keeps_codes_big_integers_and_nested_values(loader, tmp_path):
    path = tmp_path / "people.json"
    path.write_text(
        '[{"code": "00123", "n": 1, "big": 123456789012345678901234567890, "ratio": 0.30000000000000004,'
        ' "born": "2024-01-02", "address": {"city": "贵阳", "zip": [550001]}},\n'
        ' {"code": "00456", "n": 9223372036854775807, "big": 5, "ratio": 2, "born": null, "address": null}]',
        encoding="utf-8",
    )
    result = loader.load(path)
    assert result.table == "stats/people/people" and result.row_count == 2
    rows = rows_of(loader, "people")
    assert loader.types("people") == {
        "code": "string",
        "n": "int64",
        "big": "string",  # beyond int64: kept digit for digit, as text
        "ratio": "double",
        "born": "date32[day]",
        "address": "string",
    }
    assert rows[0]["code"] == "00123" and rows[0]["big"] == "123456789012345678901234567890"
    assert rows[0]["ratio"] == 0.1 + 0.2 and rows[1]["n"] == 2**63 - 1
    assert json.loads(rows[0]["address"]) == {"city": "贵阳", "zip": [550001]}


def test_ndjson_finds_keys_that_appear_late_and_keeps_nested_objects_as_json(loader, tmp_path):
    lines = [{"id": i, "name": f"n{i}", "meta": {"k": i}} for i in range(3)]
    lines.append({"id": 3, "name": "late", "meta": {"k": [1, 2]}, "extra": "only here"})
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    assert loader.load(path).row_count == 4
    rows = rows_of(loader, "events")
    assert loader.types("events") == {"id": "int64", "name": "string", "meta": "string", "extra": "string"}
    assert rows[3]["extra"] == "only here" and json.loads(rows[3]["meta"]) == {"k": [1, 2]}


def test_utf16_json_is_transcoded(loader, tmp_path):
    path = tmp_path / "towns.json"
    path.write_bytes(codecs.BOM_UTF16_LE + '[{"乡镇": "花溪", "人口": 3}]'.encode("utf-16-le"))
    loader.load(path)
    assert [c.label for c in loader.detail("towns").columns] == ["乡镇", "人口"]
    assert rows_of(loader, "towns") == [{"xiang_zhen": "花溪", "ren_kou": 3}]


def test_malformed_json_names_the_file_and_place(loader, tmp_path):
    path = tmp_path / "broken.ndjson"
    path.write_text('{"a": 1}\n{"a": 2 "b": 3}\n', encoding="utf-8")
    expected = r"broken.ndjson is not valid JSON: line 2, column 9: Expecting ',' delimiter"
    with pytest.raises(InvalidInput, match=expected):
        loader.load(path)
    with pytest.raises(InvalidInput, match=r"not-json.json is not JSON: it starts with `<html>"):
        (tmp_path / "not-json.json").write_text("<html>oops</html>")
        loader.load(tmp_path / "not-json.json")


def test_gzip_and_zip_archives_are_unpacked(loader, tmp_path):
    gz = tmp_path / "codes.ndjson.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write('{"code": "007", "v": 1.5}\n{"code": "010", "v": 2}\n')
    assert loader.load(gz).table == "stats/people/codes"
    assert rows_of(loader, "codes") == [{"code": "007", "v": 1.5}, {"code": "010", "v": 2.0}]

    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("towns.csv", "town,population\n花溪,10\n乌当,20\n")
        z.writestr("scores.json", '[{"who": "a", "score": 1}]')
    results = load_all(loader, archive)
    assert sorted(r.table for r in results) == ["stats/people/scores", "stats/people/towns"]
    assert rows_of(loader, "towns") == [
        {"town": "花溪", "population": 10},
        {"town": "乌当", "population": 20},
    ]


def test_a_zip_member_that_fails_says_which_tables_were_loaded_before_it(loader, tmp_path):
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("good.csv", "id\n1\n")
        z.writestr("bad.csv", 'id,name\n1,"never closed\n')
    with pytest.raises(InvalidInput) as raised:
        load_all(loader, archive)
    assert "bad.csv" in raised.value.message
    assert "Loaded from mixed.zip before this failed: `stats/people/good` (version 0)" in raised.value.message
    assert rows_of(loader, "good") == [{"id": 1}]


# --- Parquet ---------------------------------------------------------------------------------------


def test_parquet_keeps_the_file_types(loader, tmp_path):
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123456)
    pq.write_table(
        pa.table(
            {
                "id": pa.array([1, 2**62], pa.int64()),
                "name": pa.array(["00123", "王五"]),
                "at": pa.array([when, None], pa.timestamp("us")),
                "ratio": pa.array([0.1 + 0.2, float("nan")]),
                "count": pa.array([2**64 - 1, 0], pa.uint64()),
                "amount": pa.array([Decimal("12.50"), None], pa.decimal128(10, 2)),
            }
        ),
        tmp_path / "facts.parquet",
    )
    assert loader.load(tmp_path / "facts.parquet").row_count == 2
    rows = rows_of(loader, "facts")
    assert loader.types("facts") == {
        "id": "int64",
        "name": "string",
        "at": "timestamp[us]",
        "ratio": "double",
        "count": "decimal128(20, 0)",
        "amount": "decimal128(10, 2)",
    }
    assert rows[0] == {
        "id": 1,
        "name": "00123",
        "at": when,
        "ratio": 0.1 + 0.2,
        "count": Decimal(2**64 - 1),
        "amount": Decimal("12.50"),
    }
    assert rows[1]["id"] == 2**62 and rows[1]["ratio"] != rows[1]["ratio"]  # NaN survives


def test_a_file_named_parquet_that_is_not_is_refused(loader, tmp_path):
    (tmp_path / "x.parquet").write_text("id\n1\n")
    with pytest.raises(InvalidInput, match=r"x.parquet is not a Parquet file"):
        loader.load(tmp_path / "x.parquet")


# --- SQL databases ---------------------------------------------------------------------------------


@pytest.fixture
def pg_source():
    """A schema of its own in the test PostgreSQL with one table; dropped afterwards."""
    if problem := postgres_problem():
        pytest.skip(problem)
    import psycopg

    schema = f"dvsrc_{uuid.uuid4().hex[:10]}"
    params = dict(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=PG_USER, autocommit=True)
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
        conn.execute(
            f'CREATE TABLE "{schema}".births (id int, total bigint, amount numeric(12,2), raw numeric, '
            "county text, code varchar(10), day date, at timestamp, at_tz timestamptz, ok boolean, "
            "share double precision, span interval, doc jsonb)"
        )
        conn.execute(
            f'INSERT INTO "{schema}".births VALUES '
            "(1, 9000000000, 12.50, 3.14159265358979323846264338, '花溪', '00123', '2024-01-02', "
            "'2024-01-02 03:04:05', '2024-01-02 03:04:05+08', true, 0.30000000000000004, '1 mon 2 days', "
            """'{"a": [1, 2]}'), """
            "(2, NULL, NULL, NULL, 'a%b:c', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
        )
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{PG_DB}", schema
    finally:
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_postgresql_query_becomes_a_typed_table(loader, pg_source):
    url, schema = pg_source
    result = ingest_sql(
        loader.rt,
        url=url,
        query=f"SELECT * FROM \"{schema}\".births WHERE county LIKE '%' ORDER BY id",
        dataset="stats/people",
        table="births",
        user="tester",
    )
    assert result.rows_written == 2 and result.source == f"{url} (SQL query)"
    rows = rows_of(loader, "births")
    assert loader.types("births") == {
        "id": "int32",
        "total": "int64",
        "amount": "decimal128(12, 2)",
        "raw": "string",
        "county": "string",
        "code": "string",
        "day": "date32[day]",
        "at": "timestamp[us]",
        "at_tz": "timestamp[us, tz=UTC]",
        "ok": "bool",
        "share": "double",
        "span": "string",
        "doc": "string",
    }
    first = rows[0]
    assert first["amount"] == Decimal("12.50") and first["raw"] == "3.14159265358979323846264338"
    assert first["at_tz"] == dt.datetime(2024, 1, 1, 19, 4, 5, tzinfo=dt.UTC)
    assert (first["code"], first["span"], json.loads(first["doc"])) == (
        "00123",
        "1 mon 2 days",
        {"a": [1, 2]},
    )
    assert first["share"] == 0.1 + 0.2 and rows[1]["county"] == "a%b:c"
    assert loader.detail("births").versions[0].user == "tester"

    # append the same query again: the table's types hold
    again = ingest_sql(
        loader.rt,
        url=url,
        query=f'TABLE "{schema}".births',
        dataset="stats/people",
        table="births",
        mode="append",
    )
    assert again.row_count == 4


def test_sql_errors_never_show_the_password(loader, pg_source):
    url, _ = pg_source
    secret_url = f"postgresql://{PG_USER}:s3cr3t-pw@{PG_HOST}:1/{PG_DB}"
    with pytest.raises(InvalidInput) as refused:
        ingest_sql(loader.rt, url=secret_url, query="SELECT 1", dataset="stats/people", table="t")
    assert "s3cr3t-pw" not in str(refused.value) and "cannot connect to" in str(refused.value)
    assert "***" in str(refused.value)

    with pytest.raises(InvalidInput, match=r"the query failed on .*does_not_exist") as failed:
        ingest_sql(
            loader.rt,
            url=url.replace("@", ":s3cr3t-pw@"),
            query="SELECT * FROM does_not_exist",
            dataset="stats/people",
            table="t",
        )
    assert "s3cr3t-pw" not in str(failed.value)

    with pytest.raises(InvalidInput, match="not a database URL") as garbled:
        ingest_sql(
            loader.rt, url="s3cr3t-pw at some host", query="SELECT 1", dataset="stats/people", table="t"
        )
    assert "s3cr3t-pw" not in str(garbled.value)


def test_a_sqlite_query_is_typed_from_its_values(loader, tmp_path):
    import sqlite3

    db = tmp_path / "source.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE towns (name TEXT, population INTEGER, share REAL)")
        conn.executemany("INSERT INTO towns VALUES (?, ?, ?)", [("花溪", 10, 0.5), ("乌当", None, 0.25)])
    conn.close()
    result = ingest_sql(
        loader.rt, url=f"sqlite:///{db}", query="SELECT * FROM towns", dataset="stats/people", table="towns"
    )
    assert result.row_count == 2
    assert loader.types("towns") == {"name": "string", "population": "int64", "share": "double"}
    with pytest.raises(InvalidInput, match="give one query that reads rows"):
        ingest_sql(
            loader.rt, url=f"sqlite:///{db}", query="DELETE FROM towns", dataset="stats/people", table="t"
        )
    assert rows_of(loader, "towns")[1] == {"name": "乌当", "population": None, "share": 0.25}
