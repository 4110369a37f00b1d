"""A SQL result's later pages are served only while the caller may still read what it holds, under the
same rules, and only to the same caller (by identity, not name): POST /api/v1/query and data APIs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from datavalley.access import grants
from datavalley.access.accounts import UserCreate, create_user
from datavalley.access.sharing_models import Grant, GrantTable
from datavalley.catalog import service as catalog
from datavalley.catalog.schemas import DatasetUpdate
from datavalley.db.base import utcnow
from datavalley.errors import InvalidInput
from tests.access.health_world import OPEN_AND_CONDITIONAL, grant_to_stats, load_health
from tests.query.tables import csv_text

ROWS = [[i, "云岩" if i % 2 else "汇川", f"5201021990010{i:05d}"] for i in range(40)]
SQL = {"cond": "SELECT * FROM health.cond.t ORDER BY id", "open": "SELECT * FROM health.open.t ORDER BY id"}


@pytest.fixture
def world(app, client, client_as, tmp_path):
    rt = app.state.runtime
    consumer = client_as("analyst", stats="member")
    load_health(rt, tmp_path, csv_text(["id", "county", "id_number"], ROWS), OPEN_AND_CONDITIONAL)
    grant_id = grant_to_stats(rt, "health/cond", grants.TableRule(row_filter="county = '云岩'"))
    for name in ("cond", "open"):
        made = client.post("/api/v1/apis/health", json={"name": f"all_{name}", "sql": SQL[name]})
        assert made.status_code == 201, made.text
    return {"rt": rt, "grant": grant_id, "consumer": consumer, "anonymous": client_as(None), "admin": client}


def first_cursors(client, dataset):
    """A cursor from POST /api/v1/query and one from the data API, both with pages left."""
    page = client.post("/api/v1/query", json={"sql": SQL[dataset], "limit": 5})
    assert page.status_code == 200 and page.json()["next"], page.text
    api = client.get(f"/api/v1/apis/health/all_{dataset}", params={"limit": 5})
    assert api.status_code == 200 and api.json()["next"], api.text
    return page.json()["next"], api.json()["next"]


def next_pages(client, cursors, dataset):
    query, api = cursors
    return [
        client.post("/api/v1/query", json={"cursor": query}),
        client.get(f"/api/v1/apis/health/all_{dataset}", params={"cursor": api}),
    ]


def test_pages_go_on_while_access_holds(world):
    cursors = first_cursors(world["consumer"], "cond")
    for answer in next_pages(world["consumer"], cursors, "cond"):
        assert answer.status_code == 200, answer.text
        assert answer.json()["row_count"] == 5


@pytest.mark.parametrize("change", ["revoked", "expired", "left", "unshared", "rules"])
def test_no_page_after_access_ends_or_changes(world, change, client):
    rt, consumer = world["rt"], world["consumer"]
    cursors = first_cursors(consumer, "cond")
    if change == "revoked":
        assert (
            client.post(f"/api/v1/grants/{world['grant']}/revoke", json={"reason": "over"}).status_code == 200
        )
    elif change == "expired":
        with rt.session() as session:
            session.execute(
                update(Grant)
                .where(Grant.id == world["grant"])
                .values(expires=utcnow() - timedelta(minutes=1))
            )
    elif change == "left":
        assert client.delete("/api/v1/organizations/stats/members/analyst").status_code in (200, 204)
    elif change == "unshared":
        with rt.session() as session:
            catalog.update_dataset(session, "health", "cond", DatasetUpdate(sharing="none"))
    elif change == "rules":
        with rt.session() as session:
            session.execute(
                update(GrantTable)
                .where(GrantTable.grant_id == world["grant"])
                .values(masks={"id_number": "hash"})
            )
    for answer in next_pages(consumer, cursors, "cond"):
        assert answer.status_code in (403, 404, 409), answer.text
        assert "rows" not in answer.json()
        assert "error" in answer.json()


def test_open_data_pages_stop_when_the_dataset_is_no_longer_public(world):
    anonymous = world["anonymous"]
    cursors = first_cursors(anonymous, "open")
    with world["rt"].session() as session:
        catalog.update_dataset(session, "health", "open", DatasetUpdate(public=False))
    for answer in next_pages(anonymous, cursors, "open"):
        assert answer.status_code in (401, 403, 404), answer.text


def test_a_user_named_anonymous_cannot_exist_and_names_do_not_share_results(world, client, client_as):
    with world["rt"].session() as session, pytest.raises(InvalidInput, match="reserved"):
        create_user(session, UserCreate(name="anonymous"))
    for name in ("anonymous", "system", "recipient_x"):
        made = client.post("/api/v1/users", json={"name": name})
        assert made.status_code == 422 and "reserved" in made.text, made.text
    made = client.post("/api/v1/users", json={"name": "admin2"})
    assert made.status_code in (200, 201), made.text
    # a result of anonymous callers is not another caller's, nor the other way round
    cursors = first_cursors(world["anonymous"], "open")
    for answer in next_pages(world["consumer"], cursors, "open"):
        assert answer.status_code == 404, answer.text
    mine = first_cursors(world["consumer"], "open")
    for answer in next_pages(world["anonymous"], mine, "open"):
        assert answer.status_code == 404, answer.text


def test_admin_is_reserved_for_a_platform_admin(world, client):
    assert client.post("/api/v1/users", json={"name": "admin"}).status_code in (409, 422)
