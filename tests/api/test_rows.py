"""Tables and their rows over HTTP: list, describe, filter, sort, page, download in every format."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from tests.query.tables import PEOPLE_CSV, csv_text, load_table

ROWS = "/api/v1/datasets/stats/people/tables/people/rows"


@pytest.fixture
def api(client, runtime, tmp_path):
    """A platform admin's client of the app, with the people table loaded."""
    load_table(runtime, tmp_path, "people", PEOPLE_CSV)
    return client


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "details"} and error["status"] == status
    if field is not None:
        assert error["details"][0]["field"] == field
    return error


def test_list_and_describe_tables(api, runtime, tmp_path):
    listed = api.get("/api/v1/datasets/stats/people/tables")
    assert listed.status_code == 200
    assert listed.json()["count"] == 1 and listed.json()["data"][0]["row_count"] == 6
    header = PEOPLE_CSV.splitlines()[0]
    load_table(runtime, tmp_path, "people", f"{header}\n7,七,,,,,,\n", mode="append")
    detail = api.get("/api/v1/datasets/stats/people/tables/people").json()
    assert detail["version"] == 1 and detail["row_count"] == 7 and len(detail["versions"]) == 2
    old = api.get("/api/v1/datasets/stats/people/tables/people?version=0").json()
    assert old["version"] == 0 and old["row_count"] == 6
    assert_error(api.get("/api/v1/datasets/stats/people/tables/people?version=5"), 404)
    assert_error(api.get("/api/v1/datasets/stats/people/tables/nope"), 404)
    assert_error(api.get("/api/v1/datasets/stats/nope/tables"), 404)


def test_page_with_filters_sort_and_columns(api):
    r = api.get(
        ROWS,
        params={"city__isnull": "false", "score__gte": "60", "sort": "-score,name", "columns": "id,name"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"columns", "rows", "count", "next", "version"}
    assert body["columns"] == [{"name": "id", "type": "int64"}, {"name": "name", "type": "string"}]
    assert body["rows"] == [
        {"id": 5, "name": "Alice"},
        {"id": 2, "name": "李四"},
        {"id": 1, "name": "张三"},
        {"id": 3, "name": "王五"},
    ]
    assert body["count"] == 4 and body["next"] is None and body["version"] == 0
    chinese = api.get(ROWS, params={"city": "贵阳"}).json()
    assert [row["name"] for row in chinese["rows"]] == ["张三"]
    empty = api.get(ROWS, params={"city": "", "columns": "id,city"}).json()
    assert empty["rows"] == [{"id": 3, "city": ""}]
    repeated = api.get(ROWS + "?id__gte=2&id__gte=4&id__lt=6&columns=id").json()
    assert repeated["rows"] == [{"id": 4}, {"id": 5}]


def test_paging_over_http_pins_the_version(api, runtime, tmp_path):
    where = load_table(
        runtime, tmp_path, "numbers", csv_text(["n", "even"], ((n, n % 2 == 0) for n in range(2_500)))
    )
    url = f"/api/v1/datasets/stats/people/tables/{where.name}/rows"
    first = api.get(url, params={"limit": 400, "sort": "-n"}).json()
    assert first["count"] == 2_500 and len(first["rows"]) == 400
    load_table(runtime, tmp_path, "numbers", "n,even\n9999,false\n", mode="append")
    seen, page = [r["n"] for r in first["rows"]], first
    while page["next"]:
        page = api.get(url, params={"limit": 400, "sort": "-n", "cursor": page["next"]}).json()
        assert page["version"] == 0 and page["count"] == 2_500
        seen += [r["n"] for r in page["rows"]]
    assert seen == list(range(2_499, -1, -1))
    assert api.get(url, params={"limit": 1, "sort": "-n"}).json()["rows"] == [{"n": 9999, "even": False}]
    assert_error(api.get(url, params={"cursor": first["next"], "version": 1}), 422, "version")
    assert api.get(url, params={"version": 0, "even": "true"}).json()["count"] == 1_250


REFUSALS = [  # query → status, field named, words in the message
    ({"nmae": "x"}, 422, "nmae", "did you mean `name`?"),
    ({"limt": "5"}, 422, "limt", "did you mean `limit`?"),
    ({"sort": "a;DROP"}, 422, "sort", "has no column `a;DROP`"),
    ({"sort": "scroe"}, 422, "sort", "did you mean `score`?"),
    ({'"a" OR 1=1': "x"}, 422, '"a" OR 1=1', "has no column"),
    ({"columns": 'id,"name" FROM data --'}, 422, "columns", "has no column"),
    ({"id": "abc"}, 422, "id", "`abc` is not one"),
    ({"born__gt": "yesterday"}, 422, "born__gt", "column `born` holds dates"),
    ({"limit": "10001"}, 422, "limit", "at most 10000"),
    ({"limit": "0"}, 422, "limit", None),
    ({"format": "xlsx"}, 422, "format", None),
    ({"cursor": "garbage"}, 422, "cursor", "not a cursor"),
    ({"version": "3"}, 404, None, "has no version 3"),
]


def test_refusals_use_the_one_error_shape(api):
    for params, status, field, words in REFUSALS:
        error = assert_error(api.get(ROWS, params=params), status, field)
        assert words is None or words in error["message"], (params, error)
    for value in ["' OR '1'='1", '" OR 1=1; DROP TABLE data; --']:
        body = api.get(ROWS, params={"name": value}).json()
        assert body["rows"] == [] and body["count"] == 0
    assert api.get(ROWS).json()["count"] == 6
    assert_error(api.get("/api/v1/datasets/stats/people/tables/people;DROP/rows"), 404)


def test_downloads(api):
    r = api.get(ROWS, params={"format": "csv", "sort": "id"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="people-v0.csv"'
    text = r.content.decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == '"id","name","city","score","born","active","code","seen"'
    assert lines[1] == '1,"张三","贵阳",88.5,1990-01-02,true,"007",2024-01-02 10:00:00.000000'
    assert lines[3].startswith('3,"王五","",') and lines[4].startswith('4,"赵六",,')  # empty text vs missing
    parsed = list(csv.DictReader(io.StringIO(text)))
    page = api.get(ROWS, params={"sort": "id"}).json()["rows"]
    assert [row["name"] for row in parsed] == [row["name"] for row in page]
    assert parsed[5]["city"] == 'say "hi"' and parsed[0]["code"] == "007"

    page = api.get(ROWS, params={"sort": "id", "active": "true"}).json()
    r = api.get(ROWS, params={"format": "ndjson", "sort": "id", "active": "true"})
    assert r.headers["content-type"] == "application/x-ndjson"
    assert r.headers["content-disposition"] == 'attachment; filename="people-v0.ndjson"'
    assert [json.loads(line) for line in r.text.splitlines()] == page["rows"]

    r = api.get(ROWS, params={"format": "parquet", "sort": "id", "columns": "id,name,born", "limit": 2})
    assert r.headers["content-type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(r.content))
    assert table.schema.names == ["id", "name", "born"]
    assert [(row["id"], row["name"], row["born"].isoformat()) for row in table.to_pylist()] == [
        (1, "张三", "1990-01-02"),
        (2, "李四", "1985-06-30"),
    ]


def test_downloads_have_no_page_limit(api, runtime, tmp_path):
    where = load_table(
        runtime, tmp_path, "many", csv_text(["n", "v"], ((n, f"值{n}") for n in range(12_000)))
    )
    url = f"/api/v1/datasets/stats/people/tables/{where.name}/rows"
    lines = api.get(url, params={"format": "ndjson"}).text.splitlines()
    assert len(lines) == 12_000 and json.loads(lines[-1])["v"].startswith("值")
    assert len(api.get(url, params={"format": "csv", "limit": 50_000}).text.splitlines()) == 12_001


def test_every_rows_read_and_download_is_audited(api, runtime):
    from datavalley.access import audit

    assert api.get(ROWS, params={"limit": 4}).status_code == 200
    download = api.get(ROWS, params={"format": "csv", "id__gte": "2"})
    assert download.status_code == 200 and len(download.text.strip().splitlines()) == 6
    with runtime.session() as session:
        reads = audit.list_entries(session, kind="read").data
        assert audit.verify_chain(session).ok
    assert [(e.action, e.target, e.rows) for e in reversed(reads)] == [
        ("rows", "stats/people/people", 4),
        ("download", "stats/people/people", 5),
    ]
