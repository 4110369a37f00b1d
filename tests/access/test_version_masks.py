"""Older versions are read under the same rules: a tagged column dropped by an overwrite stays masked
in time travel and after a rollback, and a grant's column list holds for every version."""

from __future__ import annotations

import pytest

from datavalley.access import grants
from datavalley.access.policy import AUTHORITY
from datavalley.catalog import service as catalog
from datavalley.catalog import tables as table_service
from datavalley.catalog.schemas import DatasetUpdate
from datavalley.catalog.tables import ColumnUpdate
from tests.query.tables import csv_text, load_table

PHONE = "13800000000"


@pytest.fixture
def world(app, client_as, tmp_path):
    """``health/open`` (public) and ``health/cond`` (conditional): table ``t`` with a tagged ``phone``
    at version 0, overwritten without it at version 1."""
    rt = app.state.runtime
    for name, sharing in (("open", "unconditional"), ("cond", "conditional")):
        load_table(
            rt, tmp_path, "t", csv_text(["id", "phone", "note"], [[1, PHONE, "a"]]), dataset=f"health/{name}"
        )
        with rt.session() as session:
            catalog.update_dataset(session, "health", name, DatasetUpdate(state="published", sharing=sharing))
            if sharing == "unconditional":
                catalog.update_dataset(session, "health", name, DatasetUpdate(public=True))
            table_service.update_column(
                session,
                rt.settings,
                "health",
                name,
                "t",
                "phone",
                ColumnUpdate(description="mobile", tags=["phone"]),
            )
        load_table(
            rt,
            tmp_path,
            "t",
            csv_text(["id", "note"], [[2, "b"]]),
            dataset=f"health/{name}",
            mode="overwrite",
        )
    return rt


def _phones(response) -> list:
    assert response.status_code == 200, response.text
    body = response.json()
    if "columns" in body and body["rows"] and isinstance(body["rows"][0], list):
        names = [c["name"] for c in body["columns"]]
        return [dict(zip(names, row, strict=True)).get("phone") for row in body["rows"]]
    return [r.get("phone") for r in body["rows"]]


def test_time_travel_masks_a_tagged_column_the_newest_version_dropped(world, client_as):
    anonymous = client_as(None)
    rows = anonymous.get("/api/v1/datasets/health/open/tables/t/rows", params={"version": 0})
    sql = anonymous.post("/api/v1/query", json={"sql": "SELECT * FROM health.open.t FOR VERSION AS OF 0"})
    for answer in (rows, sql):
        phones = _phones(answer)
        assert phones and PHONE not in phones and all(p and "*" in str(p) for p in phones)
    # the owner still reads it as it is
    owner = client_as("doctor", health="editor")
    assert _phones(owner.get("/api/v1/datasets/health/open/tables/t/rows", params={"version": 0})) == [
        int(PHONE)
    ]


def test_a_rollback_brings_the_column_back_with_its_tags(world, client_as):
    with world.session() as session:  # what `datavalley table rollback` runs
        table_service.rollback_table(session, world.settings, "health", "open", "t", to_version=0)
    with world.session() as session:
        detail = table_service.describe_table(session, world.settings, "health", "open", "t")
    phone = next(c for c in detail.columns if c.name == "phone")
    assert (phone.tags, phone.description) == (["phone"], "mobile")
    phones = _phones(client_as(None).get("/api/v1/datasets/health/open/tables/t/rows"))
    assert phones and PHONE not in phones


def test_a_grant_of_listed_columns_shows_no_other_column_of_an_older_version(world, client_as):
    consumer = client_as("analyst", stats="member")  # makes the organization
    with world.session() as session:
        grants.create_grant(
            session,
            world.settings,
            AUTHORITY,
            grants.GrantCreate(
                dataset="health/cond",
                organization="stats",
                purpose="contact study",
                tables={"t": grants.TableRule(columns=["id", "note"])},  # every column of the newest version
            ),
        )
    rows = consumer.get("/api/v1/datasets/health/cond/tables/t/rows", params={"version": 0})
    sql = consumer.post("/api/v1/query", json={"sql": "SELECT * FROM health.cond.t FOR VERSION AS OF 0"})
    assert rows.status_code == 200 and set(rows.json()["rows"][0]) == {"id", "note"}
    assert sql.status_code == 200 and [c["name"] for c in sql.json()["columns"]] == ["id", "note"]


def test_a_grants_own_mask_holds_in_versions_that_still_have_the_column(app, client_as, tmp_path):
    rt = app.state.runtime
    text = csv_text(["id", "salary"], [[1, "s3cr3t-value"]])
    load_table(rt, tmp_path, "t", text, dataset="health/pay")
    with rt.session() as session:
        catalog.update_dataset(
            session, "health", "pay", DatasetUpdate(state="published", sharing="conditional")
        )
    consumer = client_as("analyst", stats="member")
    with rt.session() as session:
        grants.create_grant(
            session,
            rt.settings,
            AUTHORITY,
            grants.GrantCreate(
                dataset="health/pay",
                organization="stats",
                purpose="pay study",
                tables={"t": grants.TableRule(masks={"salary": "null"})},  # every column, salary nulled
            ),
        )
    load_table(rt, tmp_path, "t", csv_text(["id"], [[2]]), dataset="health/pay", mode="overwrite")
    rows = consumer.get("/api/v1/datasets/health/pay/tables/t/rows", params={"version": 0})
    sql = consumer.post("/api/v1/query", json={"sql": "SELECT * FROM health.pay.t FOR VERSION AS OF 0"})
    for answer in (rows, sql):
        assert answer.status_code == 200, answer.text
        assert "s3cr3t" not in answer.text
    assert rows.json()["rows"] == [{"id": 1, "salary": None}]


def test_the_sql_console_lists_the_newest_versions_columns(world, client_as):
    from datavalley.access.policy import ANONYMOUS
    from datavalley.web.routes.sql import queryable_tables

    with world.session() as session:
        found = {t.ref: t.columns for t in queryable_tables(session, world.settings, ANONYMOUS)}
    assert [name for name, _masked in found["health.open.t"]] == ["id", "note"]
