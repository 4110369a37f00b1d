"""Every path gives the same answer: callers × datasets × read paths, including revoked and expired grants.

Paths: the rows API (a page), its download, SQL (``POST /api/v1/query``), a saved data API and CKAN's
``datastore_search``. For each caller and dataset, either every path refuses, or every path returns
exactly the same rows — masked, filtered and cut to the same columns.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from datavalley.access import grants
from datavalley.access.policy import AUTHORITY
from datavalley.access.sharing_models import Grant
from datavalley.catalog import tables as table_service
from datavalley.catalog.tables import ColumnUpdate
from datavalley.db.base import utcnow
from tests.access.health_world import load_health
from tests.query.tables import csv_text

ROWS = [
    [1, "云岩", "张三", "52010219900101123X", 1200.5],
    [2, "云岩", "李四", "520102198506301234", 800.0],
    [3, "汇川", "王五", "520302197001015678", 950.25],
]
RAW_IDS = {r[3] for r in ROWS}
DATASETS = {
    "open": ("unconditional", True),
    "shared": ("unconditional", False),
    "cond": ("conditional", False),
    "closed": ("none", False),
}
DENIED = "denied"


@pytest.fixture
def world(app, client, client_as, tmp_path):
    rt = app.state.runtime
    load_health(rt, tmp_path, csv_text(["id", "county", "name", "id_number", "income"], ROWS), DATASETS)
    for name in DATASETS:
        with rt.session() as session:
            table_service.update_column(
                session, rt.settings, "health", name, "t", "id_number", ColumnUpdate(tags=["id_number"])
            )
        created = client.post(
            "/api/v1/apis/health", json={"name": f"all_{name}", "sql": f"SELECT * FROM health.{name}.t"}
        )
        assert created.status_code == 201, created.text
    callers = {
        "admin": client,
        "owner": client_as("doctor", health="editor"),
        "consumer": client_as("analyst", stats="member"),
        "outsider": client_as("farmer", geo="member"),
        "anonymous": client_as(None),
    }
    with rt.session() as session:
        grant = grants.create_grant(
            session,
            rt.settings,
            AUTHORITY,
            grants.GrantCreate(
                dataset="health/cond",
                organization="stats",
                purpose="poverty study",
                tables={
                    "t": grants.TableRule(
                        columns=["id", "county", "name", "id_number"],
                        row_filter="county = '云岩'",
                        masks={"name": "redact:1:0"},
                    )
                },
            ),
        )
    return rt, callers, grant.id


def _rows_of(records):
    return sorted(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records)


def read_all_paths(client, dataset):
    """What each path returns: the sorted rows as JSON text, or DENIED with the status."""
    out = {}
    base = f"/api/v1/datasets/health/{dataset}/tables/t/rows"
    r = client.get(base, params={"limit": 1000})
    out["rows"] = _rows_of(r.json()["rows"]) if r.status_code == 200 else (DENIED, r.status_code)
    r = client.get(base, params={"format": "ndjson"})
    out["download"] = (
        _rows_of(json.loads(line) for line in r.text.splitlines())
        if r.status_code == 200
        else (DENIED, r.status_code)
    )
    for path, response in (
        ("sql", client.post("/api/v1/query", json={"sql": f"SELECT * FROM health.{dataset}.t"})),
        ("data_api", client.get(f"/api/v1/apis/health/all_{dataset}")),
    ):
        if response.status_code == 200:
            body = response.json()
            names = [c["name"] for c in body["columns"]]
            out[path] = _rows_of(dict(zip(names, row, strict=True)) for row in body["rows"])
        else:
            out[path] = (DENIED, response.status_code)
    package = client.get("/api/3/action/package_show", params={"id": f"health--{dataset}"})
    if package.status_code == 200:
        resource = package.json()["result"]["resources"][0]["id"]
        found = client.get("/api/3/action/datastore_search", params={"resource_id": resource, "limit": 1000})
        if found.status_code == 200:
            out["ckan"] = _rows_of(found.json()["result"]["records"])
        else:
            out["ckan"] = (DENIED, found.status_code)
    else:
        out["ckan"] = (DENIED, package.status_code)
    return out


def assert_same_everywhere(answers, where):
    kinds = {"denied" if isinstance(v, tuple) else "rows" for v in answers.values()}
    assert len(kinds) == 1, f"{where}: paths disagree on access: {answers}"
    if kinds == {"rows"}:
        first = next(iter(answers.values()))
        for path, rows in answers.items():
            assert rows == first, f"{where}: {path} differs from the others"
        return first
    statuses = {v[1] for v in answers.values()}
    assert statuses <= {403, 404}, f"{where}: {answers}"
    return DENIED


EXPECTED = {
    # caller: dataset → "raw" (everything), "masked" (all rows, id numbers masked), "granted", DENIED
    "admin": {"open": "raw", "shared": "raw", "cond": "raw", "closed": "raw"},
    "owner": {"open": "raw", "shared": "raw", "cond": "raw", "closed": "raw"},
    "consumer": {"open": "masked", "shared": "masked", "cond": "granted", "closed": DENIED},
    "outsider": {"open": "masked", "shared": "masked", "cond": DENIED, "closed": DENIED},
    "anonymous": {"open": "masked", "shared": DENIED, "cond": DENIED, "closed": DENIED},
}


def check_cell(rows, expected, where):
    if expected == DENIED:
        assert rows == DENIED, f"{where}: expected no access"
        return
    assert rows != DENIED, f"{where}: expected rows"
    records = [json.loads(r) for r in rows]
    ids = {r.get("id_number") for r in records}
    if expected == "raw":
        assert ids == RAW_IDS and len(records) == 3 and all("income" in r for r in records)
        return
    assert not ids & RAW_IDS, f"{where}: a raw ID number leaked"
    assert all(i.startswith(("520102", "520302")) and i.endswith("*") for i in ids)
    if expected == "masked":
        assert len(records) == 3 and {r["name"] for r in records} == {"张三", "李四", "王五"}
    else:  # the grant: its rows, its columns, its masks
        assert sorted(r["id"] for r in records) == [1, 2]
        assert all("income" not in r for r in records)
        assert {r["name"] for r in records} == {"张*", "李*"}


@pytest.mark.slow
def test_every_path_gives_the_same_answer(world):
    _, callers, _ = world
    for caller, client in callers.items():
        for dataset, expected in EXPECTED[caller].items():
            where = f"{caller} × {dataset}"
            check_cell(assert_same_everywhere(read_all_paths(client, dataset), where), expected, where)


@pytest.mark.slow
def test_revoked_and_expired_grants_close_every_path(world, client):
    rt, callers, grant_id = world
    consumer = callers["consumer"]
    with rt.session() as session:
        session.execute(
            update(Grant).where(Grant.id == grant_id).values(expires=utcnow() - timedelta(minutes=1))
        )
    assert assert_same_everywhere(read_all_paths(consumer, "cond"), "expired") == DENIED
    with rt.session() as session:
        session.execute(update(Grant).where(Grant.id == grant_id).values(expires=None))
    assert assert_same_everywhere(read_all_paths(consumer, "cond"), "renewed") != DENIED
    revoked = client.post(f"/api/v1/grants/{grant_id}/revoke", json={"reason": "study over"})
    assert revoked.status_code == 200, revoked.text
    assert assert_same_everywhere(read_all_paths(consumer, "cond"), "revoked") == DENIED


BYPASS = [
    "SELECT count(*) AS n FROM health.cond.t WHERE county = '汇川'",
    "SELECT count(*) AS n FROM health.cond.t a JOIN health.cond.t b ON a.id = b.id WHERE b.county <> '云岩'",
    "WITH x AS (SELECT * FROM health.cond.t) SELECT count(*) AS n FROM x WHERE id = 3",
    "SELECT count(*) AS n FROM (SELECT id FROM health.cond.t UNION ALL SELECT id FROM health.cond.t) u WHERE id = 3",
    "SELECT count(*) AS n FROM health.cond.t WHERE id IN (SELECT max(id) + 1 FROM health.cond.t) OR id = 3",
    "SELECT count(*) AS n FROM health.cond.t WHERE name = '张三' OR name LIKE '李四%' OR id_number LIKE '%123X'",
    "SELECT count(*) AS n FROM health.cond.t WHERE sha256(id_number) = sha256('52010219900101123X')",
]


@pytest.mark.slow
@pytest.mark.parametrize("sql", BYPASS)
def test_no_sql_reaches_filtered_rows_or_masked_values(world, sql):
    _, callers, _ = world
    answer = callers["consumer"].post("/api/v1/query", json={"sql": sql})
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows"] == [[0]], sql


@pytest.mark.slow
def test_hidden_columns_do_not_exist_for_the_grantee(world):
    _, callers, _ = world
    consumer = callers["consumer"]
    assert consumer.post("/api/v1/query", json={"sql": "SELECT income FROM health.cond.t"}).status_code == 400
    assert (
        consumer.post("/api/v1/query", json={"sql": "SELECT sum(income) FROM health.cond.t"}).status_code
        == 400
    )
    rows = consumer.get("/api/v1/datasets/health/cond/tables/t/rows", params={"income__gt": "0"})
    assert rows.status_code == 422
    everything = consumer.post("/api/v1/query", json={"sql": "SELECT * FROM health.cond.t"}).json()
    assert [c["name"] for c in everything["columns"]] == ["id", "county", "name", "id_number"]
