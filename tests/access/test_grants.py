"""Grants: who may make and revoke them, what they are checked against, and how they change what
``plan_read`` answers (columns, row filter, masks; expiry and revocation on the next read)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from datavalley.access.grants import (
    GrantCreate,
    GrantRevoke,
    TableRule,
    create_grant,
    get_grant,
    list_grants,
    revoke_grant,
)
from datavalley.access.policy import ANONYMOUS, Caller, Mask, plan_read
from datavalley.access.sharing_models import AuditEntry
from datavalley.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from tests.access.sharing_world import MONDAY, build_world

COLUMNS = ("id", "name", "city", "score", "born", "active", "code", "seen")


@pytest.fixture
def world(runtime, tmp_path):
    return build_world(runtime, tmp_path)


def grant(world, by: str, *, now=MONDAY, **fields) -> int:
    data = GrantCreate(dataset="stats/people", purpose="health monitoring", **fields)
    with world.rt.session() as session:
        return create_grant(session, world.rt.settings, world.caller(by), data, now=now).id


def plan(world, who: str | Caller, *, now=MONDAY):
    caller = world.caller(who) if isinstance(who, str) else who
    with world.rt.session() as session:
        return plan_read(session, world.rt.settings, caller, "stats", "people", "people", now=now)


def revoke(world, by: str, grant_id: int, *, now=MONDAY):
    with world.rt.session() as session:
        return revoke_grant(session, world.caller(by), grant_id, GrantRevoke(reason="done"), now=now)


def test_grant_shapes_what_the_grantee_reads(world):
    with pytest.raises(Forbidden, match="open a request"):
        plan(world, "wang")
    assert plan(world, "mei").unrestricted  # the owner's members read everything
    rule = TableRule(
        columns=["id", "name", "city", "born", "score"],
        row_filter="score >= 60 AND city IS NOT NULL",
        masks={"name": "none", "city": "hash", "id": "redact:1:1"},
    )
    gid = grant(world, "li", organization="health", tables={"people": rule}, days=30)
    got = plan(world, "wang")
    assert got.basis == "grant" and got.grant_id == gid and got.purpose == "health monitoring"
    assert got.columns == ("id", "name", "city", "score", "born")  # table order
    assert got.row_filter == "score >= 60 AND city IS NOT NULL"
    assert dict(got.masks) == {"city": Mask("hash"), "id": Mask("redact", 1, 1), "born": Mask("year")}
    assert len(got.salt) == 32
    assert plan(world, "hu").grant_id == gid  # every member of the grantee organization
    with pytest.raises(Forbidden):
        plan(world, "zhao")  # another organization
    with pytest.raises(NotFound):
        plan(world, ANONYMOUS)


def test_whole_dataset_grant_keeps_tag_masks(world):
    grant(world, "li", user="zhao")
    got = plan(world, "zhao")
    assert got.columns == COLUMNS and got.row_filter is None
    assert dict(got.masks) == {"name": Mask("redact", keep_first=1), "born": Mask("year")}
    with pytest.raises(Forbidden):
        plan(world, "wang")  # a user grant is for that user only


def test_recipient_grant(world):
    grant(world, "li", recipient="acme-bank", tables={"people": TableRule(columns=["id"])})
    assert plan(world, Caller(recipient="acme-bank")).columns == ("id",)
    with pytest.raises(Forbidden):
        plan(world, Caller(recipient="other-bank"))


def test_expiry_and_revocation_take_effect_on_the_next_read(world):
    gid = grant(world, "li", organization="health", days=10)
    assert plan(world, "wang", now=MONDAY + timedelta(days=9, hours=23)).grant_id == gid
    with pytest.raises(Forbidden):
        plan(world, "wang", now=MONDAY + timedelta(days=10))
    revoked = revoke(world, "li", gid, now=MONDAY + timedelta(hours=1))
    assert revoked.state == "revoked" and revoked.revoked_by == "li"
    with pytest.raises(Forbidden):
        plan(world, "wang", now=MONDAY + timedelta(hours=2))
    with pytest.raises(Conflict, match="already revoked"):
        revoke(world, "li", gid)


def test_the_broadest_grant_applies_and_others_take_over(world):
    narrow = grant(world, "li", organization="health", tables={"people": TableRule(row_filter="id < 3")})
    few = grant(world, "li", user="wang", tables={"people": TableRule(columns=["id", "city"])})
    assert plan(world, "wang").grant_id == few  # no row filter beats a row filter
    masked = grant(
        world, "li", user="wang", tables={"people": TableRule(columns=["id", "city"], masks={"city": "null"})}
    )
    assert plan(world, "wang").grant_id == few  # fewer masks win among equals
    revoke(world, "li", few)
    assert plan(world, "wang").grant_id == masked
    revoke(world, "li", masked)
    assert plan(world, "wang").grant_id == narrow and plan(world, "wang").row_filter == "id < 3"


def test_who_may_grant_and_revoke(world):
    with pytest.raises(Forbidden, match="admin or editor role in organization `stats`"):
        grant(world, "mei", organization="health")  # a mere member of the owner
    with pytest.raises(Forbidden):
        grant(world, "hu", organization="health")  # an editor elsewhere grants to itself
    with pytest.raises(NotFound), world.rt.session() as session:
        create_grant(
            session, world.rt.settings, ANONYMOUS, GrantCreate(dataset="stats/people", purpose="x", user="li")
        )
    gid = grant(world, "boss", organization="health")  # the authority may
    for who, error in (("wang", Forbidden), ("zhao", NotFound)):
        with pytest.raises(error):
            revoke(world, who, gid)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"tables": {"people": TableRule(row_filter="score >>= 1")}}, "tables.people.row_filter", ""),
        ({"tables": {"people": TableRule(row_filter="salary > 1")}}, "tables.people.row_filter", "salary"),
        ({"tables": {"people": TableRule(row_filter="1=1; DROP TABLE x")}}, "tables.people.row_filter", ""),
        ({"tables": {"people": TableRule(row_filter="id IN (SELECT 1)")}}, "tables.people.row_filter", ""),
        ({"tables": {"people": TableRule(columns=["id", "salary"])}}, "tables.people.columns", "salary"),
        ({"tables": {"people": TableRule(masks={"salary": "null"})}}, "tables.people.masks", "salary"),
        (
            {"tables": {"people": TableRule(masks={"name": "scramble"})}},
            "tables.people.masks.name",
            "scramble",
        ),
        (
            {"tables": {"people": TableRule(masks={"score": "year"})}},
            "tables.people.masks.score",
            "not a date",
        ),
        ({"tables": {"ghosts": TableRule()}}, "tables", "no table `ghosts`"),
        ({"tables": {}}, "tables", "at least one table"),
        ({"organization": "stats"}, "organization", "owns the dataset"),
        ({"organization": "nobody"}, "organization", "does not exist"),
        ({"user": "nobody"}, "user", "does not exist"),
    ],
)
def test_bad_grants_are_refused_naming_the_problem(world, fields, field, words):
    if not {"user", "organization"} & set(fields):
        fields["organization"] = "health"
    with pytest.raises(InvalidInput) as caught:
        grant(world, "li", **fields)
    assert caught.value.status == 422
    assert caught.value.details[0].field == field and words in caught.value.details[0].message


def test_grants_only_for_conditional_datasets(runtime, tmp_path):
    world = build_world(runtime, tmp_path, sharing="unconditional")
    with pytest.raises(Conflict, match="shared `unconditional`"):
        grant(world, "li", organization="health")


def test_who_sees_grants_and_the_audit_trail(world):
    gid = grant(world, "li", organization="health", days=5)
    revoke(world, "li", gid)
    with world.rt.session() as session:
        assert get_grant(session, world.caller("wang"), gid).grantee == "health"
        with pytest.raises(NotFound):
            get_grant(session, world.caller("zhao"), gid)
        assert list_grants(session, world.caller("zhao")).count == 0
        assert list_grants(session, world.caller("mei")).count == 1  # members of the owner see them
        assert list_grants(session, world.caller("li"), state="revoked").count == 1
        assert list_grants(session, world.caller("boss"), state="active").count == 0
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
    assert actions == ["grant.create", "grant.revoke"]


def test_grant_needs_a_grantee_and_a_future_end(world):
    with pytest.raises(ValueError, match="exactly one grantee"):
        GrantCreate(dataset="stats/people", purpose="p", organization="health", user="wang")
    with pytest.raises(InvalidInput, match="past"):
        grant(world, "li", organization="health", expires=MONDAY - timedelta(days=1))
    with pytest.raises(Unauthorized):
        from datavalley.access.grants import check_may_grant

        check_may_grant(ANONYMOUS, "stats", "granting")


def test_grants_over_http(world, client_as):
    li, wang = client_as("li"), client_as("wang")
    body = {"dataset": "stats/people", "organization": "health", "purpose": "outbreak watch", "days": 30}
    bad = li.post("/api/v1/grants", json=body | {"tables": {"people": {"row_filter": "city = "}}})
    assert bad.status_code == 422
    error = bad.json()["error"]
    assert error["details"][0]["field"] == "tables.people.row_filter" and "row_filter" in error["message"]
    assert li.post("/api/v1/grants", json=body | {"user": "wang"}).status_code == 422  # two grantees
    assert wang.post("/api/v1/grants", json=body).status_code == 403
    assert li.post("/api/v1/grants", json=body | {"purpose": "a\x00b"}).status_code == 422
    assert client_as(None).post("/api/v1/grants", json=body).status_code == 404  # hidden from anonymous
    made = li.post("/api/v1/grants", json=body | {"tables": {"people": {"columns": ["id", "city"]}}})
    assert made.status_code == 201, made.text
    gid = made.json()["id"]
    assert wang.get(f"/api/v1/grants/{gid}").json()["tables"][0]["columns"] == ["id", "city"]
    assert client_as("zhao").get(f"/api/v1/grants/{gid}").status_code == 404
    assert [g["id"] for g in wang.get("/api/v1/grants", params={"state": "active"}).json()["data"]] == [gid]
    assert li.post(f"/api/v1/grants/{gid}/revoke").status_code == 200
    assert li.post(f"/api/v1/grants/{gid}/revoke").status_code == 409
