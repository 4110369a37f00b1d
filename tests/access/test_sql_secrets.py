"""No secret leaves through SQL: a grant's hash key, its row filter and the server's file paths never
appear in an EXPLAIN, a result column's name, a value or an error — on every path that runs SQL.

The attacks are the outside review's: ``EXPLAIN`` as a grantee, and unaliased subqueries in the select
list (their column was named after the rewritten SQL), over POST and GET ``/api/v1/query`` in every
format, the CLI's ``--as``, CKAN's ``datastore_search_sql`` and a data API; for a grantee and, on open
data, for anonymous callers.
"""

from __future__ import annotations

import hashlib
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from datavalley.access import grants
from datavalley.access.sharing_models import Grant
from datavalley.query.relation import keyed_hash
from tests.access.health_world import OPEN_AND_CONDITIONAL, grant_to_stats, load_health
from tests.query.tables import csv_text

ROWS = [
    [1, "云岩", "张三", "52010219900101123X"],
    [2, "云岩", "李四", "520102198506301234"],
    [3, "汇川", "王五", "520302197001015678"],
]
ROW_FILTER = "county = '云岩'"

#: select lists whose engine-made column name used to carry the rewritten SQL
SUBQUERIES = [
    "SELECT (SELECT count(*) FROM {t})",
    "SELECT EXISTS (SELECT 1 FROM {t})",
    "SELECT 1 IN (SELECT id FROM {t})",
    "SELECT ARRAY(SELECT id_number FROM {t})",
    "SELECT * FROM (SELECT (SELECT max(id_number) FROM {t}))",
    "SELECT (SELECT count(*) FROM {t}) UNION ALL SELECT 1",
    "WITH x AS (SELECT (SELECT min(id) FROM {t})) SELECT * FROM x",
]


@pytest.fixture
def world(app, client, client_as, tmp_path):
    rt = app.state.runtime
    consumer = client_as("analyst", stats="member")
    load_health(rt, tmp_path, csv_text(["id", "county", "name", "id_number"], ROWS), OPEN_AND_CONDITIONAL)
    rule = grants.TableRule(row_filter=ROW_FILTER, masks={"id_number": "hash"})
    grant_id = grant_to_stats(rt, "health/cond", rule, purpose="poverty study")
    with rt.session() as session:
        salt = session.scalar(select(Grant.salt).where(Grant.id == grant_id))
    created = client.post(
        "/api/v1/apis/health", json={"name": "sub", "sql": SUBQUERIES[0].format(t="health.cond.t")}
    )
    assert created.status_code == 201, created.text
    return {
        "rt": rt,
        "salt": salt,
        "consumer": consumer,
        "anonymous": client_as(None),
        "home": str(rt.settings.home),
    }


def secrets_of(world) -> list[str]:
    return [world["salt"], ROW_FILTER, "云岩'", world["home"], "read_parquet", "__dv_", ".parquet"]


def assert_clean(text: str, world, where: str) -> None:
    for secret in secrets_of(world):
        assert secret not in text, f"{where}: `{secret}` in the answer: {text[:500]}"


def answers(client, sql: str) -> dict[str, str]:
    """The whole answer of every query path for ``sql``, as text (binary formats decoded)."""
    out = {"post json": client.post("/api/v1/query", json={"sql": sql}).text}
    out["get json"] = client.get("/api/v1/query", params={"sql": sql}).text
    for fmt in ("csv", "ndjson"):
        out[f"post {fmt}"] = client.post("/api/v1/query", json={"sql": sql, "format": fmt}).text
    parquet = client.post("/api/v1/query", json={"sql": sql, "format": "parquet"})
    out["parquet"] = (
        str(pq.read_table(io.BytesIO(parquet.content)).to_pylist())
        + str(pq.read_schema(io.BytesIO(parquet.content)))
        if parquet.status_code == 200
        else parquet.text
    )
    arrow = client.post("/api/v1/query", json={"sql": sql, "format": "arrow"})
    out["arrow"] = (
        str(pa.ipc.open_stream(arrow.content).read_all()) if arrow.status_code == 200 else arrow.text
    )
    out["ckan"] = client.post("/api/3/action/datastore_search_sql", json={"sql": sql}).text
    return out


@pytest.mark.slow
@pytest.mark.parametrize("template", SUBQUERIES)
def test_unaliased_subqueries_are_named_after_the_callers_sql(world, template):
    for who, dataset in (("consumer", "cond"), ("anonymous", "open")):
        sql = template.format(t=f"health.{dataset}.t")
        for path, text in answers(world[who], sql).items():
            assert_clean(text, world, f"{who} {path} {sql}")
        body = world[who].post("/api/v1/query", json={"sql": sql}).json()
        assert "columns" in body, body
        assert all(f"health.{dataset}.t" in c["name"] or c["name"] == "1" for c in body["columns"]), body


@pytest.mark.slow
def test_a_data_api_over_a_subquery_shows_no_secret(world):
    answer = world["consumer"].get("/api/v1/apis/health/sub")
    assert answer.status_code == 200, answer.text
    assert_clean(answer.text, world, "data api")
    assert answer.json()["columns"][0]["name"] == "(SELECT COUNT(*) FROM health.cond.t)"
    assert answer.json()["rows"] == [[2]]  # the row filter still holds inside the subquery


@pytest.mark.slow
def test_explain_shows_the_callers_query_not_the_grants_rules(world):
    for who, dataset in (("consumer", "cond"), ("anonymous", "open")):
        sql = f"EXPLAIN SELECT * FROM health.{dataset}.t WHERE id_number LIKE '%9%'"
        for path, text in answers(world[who], sql).items():
            assert_clean(text, world, f"{who} {path} EXPLAIN")
            assert "sha256" not in text and "__dv_mask" not in text
        shown = world[who].post("/api/v1/query", json={"sql": sql}).json()
        plan = json.dumps(shown["rows"], ensure_ascii=False)
        assert "id_number" in plan, plan  # the caller's own filter is shown


def test_a_hash_mask_is_keyed_and_the_key_is_nowhere_in_sql(world):
    consumer = world["consumer"]
    body = consumer.post(
        "/api/v1/query", json={"sql": "SELECT id, id_number FROM health.cond.t ORDER BY id"}
    ).json()
    hashed = {row[0]: row[1] for row in body["rows"]}
    assert set(hashed) == {1, 2}
    salt = world["salt"]
    assert hashed[1] == keyed_hash(salt, "52010219900101123X")
    # the old scheme, sha256(salt || value), is what a leaked salt let an attacker recompute
    assert hashed[1] != hashlib.sha256((salt + "52010219900101123X").encode()).hexdigest()
    # the same grant hashes the same way on the rows API
    rows = consumer.get("/api/v1/datasets/health/cond/tables/t/rows", params={"sort": "id"}).json()["rows"]
    assert [r["id_number"] for r in rows] == [hashed[1], hashed[2]]
    # no function the view calls can be named by the caller
    name = consumer.post("/api/v1/query", json={"sql": "EXPLAIN SELECT id_number FROM health.cond.t"}).text
    assert "__dv_mask" not in name


def test_an_unreadable_file_is_reported_without_its_path(world, client):
    location = None
    with world["rt"].session() as session:
        from datavalley.catalog.tables import locate_table

        location = locate_table(session, world["rt"].settings, "health", "open", "t")
    from pathlib import Path

    for f in Path(location.uri.removeprefix("file://")).glob("*.parquet"):
        f.unlink()
    for who in ("anonymous", "consumer"):
        answer = world[who].post("/api/v1/query", json={"sql": "SELECT count(*) FROM health.open.t"})
        assert answer.status_code >= 400
        assert_clean(answer.text, world, f"{who} missing file")


def test_the_cli_as_a_grantee_shows_no_secret(world, cli):
    for sql in (SUBQUERIES[0].format(t="health.cond.t"), "EXPLAIN SELECT * FROM health.cond.t WHERE id = 1"):
        for fmt in ("table", "json", "csv"):
            shown = cli("--as", "analyst", "query", sql, "--format", fmt)
            assert shown.exit_code == 0, shown.output
            assert_clean(shown.output, world, f"cli {fmt} {sql}")


def test_the_salt_migration_rotates_every_grants_salt(world):
    from alembic import command

    from datavalley.db.migrate import alembic_config

    rt = world["rt"]
    config = alembic_config(rt.db)
    command.downgrade(config, "0007")
    command.upgrade(config, "head")
    with rt.session() as session:
        assert session.scalar(select(Grant.salt)) not in (None, "", world["salt"])
