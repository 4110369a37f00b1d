"""SQL and data APIs over HTTP: pages to the end, streamed formats, the one error shape, rights of the caller."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datavalley.catalog import service as catalog
from datavalley.catalog.schemas import DatasetUpdate
from tests.factories import make_dataset, make_org
from tests.query.tables import PEOPLE_CSV, csv_text, load_table


@pytest.fixture
def loaded(client, app, tmp_path):
    rt = app.state.runtime
    load_table(rt, tmp_path, "people", PEOPLE_CSV)
    load_table(rt, tmp_path, "big", csv_text(["n"], ([i] for i in range(12_345))), dataset="stats/big")
    with rt.session() as session:
        catalog.update_dataset(
            session, "stats", "people", DatasetUpdate(state="published", sharing="unconditional")
        )
    return client


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"status", "code", "message", "details"} and error["status"] == status
    if code:
        assert error["code"] == code
    return error


def test_json_page_and_cursor_to_the_end(loaded):
    first = loaded.post("/api/v1/query", json={"sql": "SELECT n FROM stats.big.big", "limit": 5000})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["columns"] == [{"name": "n", "type": "int64"}]
    assert body["total_rows"] == 12_345 and body["row_count"] == 5000 and body["next"]
    assert "more rows" in body["message"]
    seen = [r[0] for r in body["rows"]]
    while body["next"]:
        body = loaded.post("/api/v1/query", json={"cursor": body["next"]}).json()
        seen += [r[0] for r in body["rows"]]
    assert sorted(seen) == list(range(12_345))
    with_format = loaded.post("/api/v1/query", json={"cursor": first.json()["next"], "format": "csv"})
    assert "a cursor pages JSON results only" in assert_error(with_format, 422)["message"]


def test_streamed_formats(loaded):
    csv = loaded.post("/api/v1/query", json={"sql": "SELECT n FROM stats.big.big", "format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert len(csv.text.strip().splitlines()) == 12_346
    parquet = loaded.get("/api/v1/query", params={"sql": "SELECT * FROM stats.people", "format": "parquet"})
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == 6
    arrow = loaded.post("/api/v1/query", json={"sql": "SELECT id FROM stats.people", "format": "arrow"})
    assert pa.ipc.open_stream(arrow.content).read_all().num_rows == 6
    ndjson = loaded.get(
        "/api/v1/query",
        params={"sql": "SELECT id FROM stats.people WHERE id > :m", "format": "ndjson", "param.m": "4"},
    )
    assert ndjson.text.splitlines() == ['{"id":5}', '{"id":6}']


def test_errors_have_the_one_shape_and_never_500(loaded):
    error = assert_error(loaded.post("/api/v1/query", json={"sql": "SELEC 1"}), 400)
    assert error["code"] in ("sql_syntax", "sql_refused") and "line 1" in error["details"][0]["message"]
    error = assert_error(
        loaded.post("/api/v1/query", json={"sql": "SELECT * FROM read_csv('/etc/passwd')"}),
        400,
        "sql_refused",
    )
    assert "read_csv" in error["message"]
    assert_error(loaded.post("/api/v1/query", json={"sql": "SELECT 1; DROP TABLE x"}), 400)
    assert (
        "did you mean"
        in assert_error(loaded.post("/api/v1/query", json={"sql": "SELECT * FROM stats.peple"}), 404)[
            "message"
        ]
    )
    assert_error(
        loaded.post("/api/v1/query", json={"sql": "SELECT nope FROM stats.people"}), 400, "query_failed"
    )
    assert_error(loaded.post("/api/v1/query", json={"sql": "SELECT 1", "limit": 0}), 422)
    assert_error(loaded.post("/api/v1/query", json={"cursor": "garbage"}), 422)
    assert_error(loaded.post("/api/v1/query", json={}), 422)
    assert loaded.get("/api/v1/health").status_code == 200  # still serving


def test_anonymous_reads_only_public_data(loaded, anonymous, app):
    assert_error(anonymous.post("/api/v1/query", json={"sql": "SELECT * FROM stats.people"}), 404)
    with app.state.runtime.session() as session:
        catalog.update_dataset(session, "stats", "people", DatasetUpdate(public=True))
    ok = anonymous.post("/api/v1/query", json={"sql": "SELECT count(*) AS n FROM stats.people"})
    assert ok.status_code == 200 and ok.json()["rows"] == [[6]]
    assert_error(anonymous.post("/api/v1/query", json={"sql": "SELECT count(*) FROM stats.big.big"}), 404)


def test_saved_query_published_as_a_data_api(loaded, client_as, anonymous, app):
    definition = {
        "name": "above",
        "title": "People above a score",
        "sql": "SELECT name, score FROM stats.people WHERE score >= :min AND city = :city ORDER BY id",
        "parameters": [{"name": "min", "type": "number", "default": "60"}, {"name": "city", "type": "text"}],
    }
    created = loaded.post("/api/v1/apis/stats", json=definition)
    assert created.status_code == 201, created.text
    assert created.json()["path"] == "/api/v1/apis/stats/above"
    assert_error(loaded.post("/api/v1/apis/stats", json=definition), 409)
    member = client_as("zhou", geo="member")
    called = member.get("/api/v1/apis/stats/above", params={"min": "80", "city": "贵阳"})
    assert called.status_code == 200, called.text
    assert called.json()["rows"] == [["张三", 88.5]]
    assert member.get("/api/v1/apis/stats/above", params={"city": "遵义"}).json()["rows"] == [["李四", 92.0]]
    assert_error(member.get("/api/v1/apis/stats/above", params={"min": "lots", "city": "x"}), 422)
    assert_error(member.get("/api/v1/apis/stats/above", params={"min": "1"}), 422)
    assert_error(member.get("/api/v1/apis/stats/above", params={"city": "x", "bogus": "1"}), 422)
    csv = member.get("/api/v1/apis/stats/above", params={"city": "贵阳", "format": "csv"})
    assert csv.status_code == 200 and "张三" in csv.text
    # the data API runs with the caller's rights: anonymous callers cannot read the dataset behind it
    assert_error(anonymous.get("/api/v1/apis/stats/above", params={"city": "贵阳"}), 404)
    # only editors of the organization publish or delete
    assert_error(member.post("/api/v1/apis/stats", json={**definition, "name": "other"}), 403)
    assert_error(member.delete("/api/v1/apis/stats/above"), 403)
    listed = member.get("/api/v1/apis").json()
    assert [q["name"] for q in listed["data"]] == ["above"]
    assert loaded.delete("/api/v1/apis/stats/above").status_code == 204
    assert_error(member.get("/api/v1/apis/stats/above", params={"city": "x"}), 404)


def test_a_data_api_may_name_only_tables_its_author_sees(loaded, client_as, app, tmp_path):
    rt = app.state.runtime
    with rt.session() as session:  # health/secret: not shared outside health
        make_org(session, "health")
        make_dataset(session, "health/secret", sharing="none", state="published")
    load_table(rt, tmp_path, "files", csv_text(["id"], [[1]]), dataset="health/secret")
    editor = client_as("li", stats="editor")
    for sql in (
        "SELECT * FROM health.secret.files",
        "SELECT * FROM health.secret",
        "SELECT * FROM stats.nope",
    ):
        refused = editor.post("/api/v1/apis/stats", json={"name": "peek", "sql": sql})
        error = assert_error(refused, 404)
        assert "does not exist" in error["message"]
    assert editor.get("/api/v1/apis/stats/peek").status_code == 404  # nothing was saved
    ok = editor.post(
        "/api/v1/apis/stats", json={"name": "fine", "sql": "SELECT count(*) AS n FROM stats.people"}
    )
    assert ok.status_code == 201, ok.text


def test_saved_query_definitions_are_checked(loaded):
    bad_sql = {"name": "bad", "sql": "SELECT * FROM read_parquet('x')"}
    assert_error(loaded.post("/api/v1/apis/stats", json=bad_sql), 400, "sql_refused")
    undeclared = {"name": "bad", "sql": "SELECT * FROM stats.people WHERE id = :id"}
    assert "declare each" in assert_error(loaded.post("/api/v1/apis/stats", json=undeclared), 422)["message"]
    reserved = {"name": "bad", "sql": "SELECT :limit", "parameters": [{"name": "limit", "type": "integer"}]}
    assert_error(loaded.post("/api/v1/apis/stats", json=reserved), 422)
    bad_default = {
        "name": "bad",
        "sql": "SELECT * FROM stats.people WHERE id = :id",
        "parameters": [{"name": "id", "type": "integer", "default": "one"}],
    }
    assert_error(loaded.post("/api/v1/apis/stats", json=bad_default), 422)
    assert_error(loaded.post("/api/v1/apis/nowhere", json={"name": "x", "sql": "SELECT 1"}), 404)


def test_a_parameter_default_may_be_a_json_number_or_boolean(loaded):
    definition = {
        "name": "at_least",
        "sql": "SELECT count(*) AS n FROM stats.people WHERE score >= :min OR :all",
        "parameters": [
            {"name": "min", "type": "number", "default": 90},
            {"name": "all", "type": "boolean", "default": False},
        ],
    }
    created = loaded.post("/api/v1/apis/stats", json=definition)
    assert created.status_code == 201, created.text
    assert [p["default"] for p in created.json()["parameters"]] == ["90", "false"]
    assert loaded.get("/api/v1/apis/stats/at_least").json()["rows"] == [[2]]  # scores of 90 and more
    assert loaded.get("/api/v1/apis/stats/at_least", params={"all": "true"}).json()["rows"] == [[6]]
