"""Requests under a frozen clock: every step, who may take it, in which state, and the deadlines in
working days (weekends, holidays) with overdue flags for the authority."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete

from datavalley.access.grants import TableRule
from datavalley.access.policy import plan_read
from datavalley.access.requests import (
    RequestCreate,
    RequestDecision,
    RequestReview,
    RequestWithdraw,
    decide_request,
    get_request,
    list_requests,
    open_request,
    request_stats,
    review_request,
    withdraw_request,
)
from datavalley.access.sharing_models import AuditEntry
from datavalley.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.access.sharing_world import MONDAY, build_world

BEIJING_MIDNIGHT = timedelta(hours=-8)  # local midnight in UTC terms


@pytest.fixture
def world(runtime, tmp_path):
    return build_world(runtime, tmp_path)


def call(world, fn, who, *args, now=MONDAY):
    with world.rt.session() as session:
        return fn(session, world.rt.settings, world.caller(who), *args, now=now)


def open_(world, who="wang", *, now=MONDAY, **fields):
    fields.setdefault("purpose", "measles vaccination follow-up")
    fields.setdefault("days", 30)
    return call(world, open_request, who, RequestCreate(dataset="stats/people", **fields), now=now)


def test_the_whole_way_to_a_grant_and_its_expiry(world):
    wanted = {"people": ["id", "name", "city", "score"]}
    req = open_(world, tables=wanted)
    assert req.state == "submitted" and req.organization == "health" and req.requester == "wang"
    # Monday 10:00 Beijing: review due at the end of Wednesday, Beijing time
    assert req.review_due == datetime(2026, 11, 26, tzinfo=UTC) + BEIJING_MIDNIGHT and not req.overdue
    tuesday = MONDAY + timedelta(days=1)
    req = call(world, review_request, "boss", req.id, RequestReview(action="pass"), now=tuesday)
    assert req.state == "reviewed" and req.reviewed_by == "boss"
    assert req.decision_due == datetime(2026, 12, 2, tzinfo=UTC) + BEIJING_MIDNIGHT  # Tue + 5 → Tue
    terms = {"people": TableRule(row_filter="score >= 60", masks={"name": "none"})}
    thursday = MONDAY + timedelta(days=3)
    req = call(
        world, decide_request, "li", req.id, RequestDecision(action="approve", tables=terms), now=thursday
    )
    assert req.state == "approved" and req.decided_by == "li" and req.grant_id is not None
    assert [(e.action, e.actor, e.to_state) for e in req.events] == [
        ("submit", "wang", "submitted"),
        ("review", "boss", "reviewed"),
        ("approve", "li", "approved"),
    ]
    with world.rt.session() as session:
        seen = plan_read(
            session, world.rt.settings, world.caller("hu"), "stats", "people", "people", now=thursday
        )
        assert seen.grant_id == req.grant_id and seen.columns == ("id", "name", "city", "score")
        assert seen.row_filter == "score >= 60" and dict(seen.masks) == {}
        assert seen.purpose == "measles vaccination follow-up"
        actions = [e.action for e in session.query(AuditEntry).order_by(AuditEntry.seq)]
    assert actions == ["request.open", "request.review", "grant.create", "request.decide"]
    later = thursday + timedelta(days=30)
    expired = call(world, get_request, "wang", req.id, now=later)
    assert expired.state == "expired" and expired.events[-1].actor == "system"
    with world.rt.session() as session, pytest.raises(Forbidden):
        plan_read(session, world.rt.settings, world.caller("wang"), "stats", "people", "people", now=later)


def test_rejections_need_and_keep_a_reason(world):
    with pytest.raises(ValueError, match="needs a reason"):
        RequestReview(action="reject")
    first = open_(world)
    rejected = call(
        world, review_request, "boss", first.id, RequestReview(action="reject", reason="no legal basis")
    )
    assert rejected.state == "rejected" and rejected.reason == "no legal basis"
    second = open_(world)
    call(world, review_request, "boss", second.id, RequestReview(action="pass"))
    no = call(
        world, decide_request, "li", second.id, RequestDecision(action="reject", reason="data too fresh")
    )
    assert no.state == "rejected" and no.events[-1].reason == "data too fresh" and no.grant_id is None


def test_withdraw_by_the_requester_only(world):
    req = open_(world)
    with pytest.raises(Forbidden, match="only `wang`"):
        call(world, withdraw_request, "hu", req.id, RequestWithdraw())  # a colleague sees it, may not
    with pytest.raises(NotFound):
        call(world, withdraw_request, "zhao", req.id, RequestWithdraw())  # an outsider does not see it
    gone = call(world, withdraw_request, "wang", req.id, RequestWithdraw(reason="found it elsewhere"))
    assert gone.state == "withdrawn" and gone.reason == "found it elsewhere"
    with pytest.raises(Conflict, match="`withdrawn`"):
        call(world, withdraw_request, "wang", req.id, RequestWithdraw())


def test_wrong_role_is_403_and_wrong_state_409(world):
    req = open_(world)
    for who in ("li", "wang", "hu"):  # the provider, the requester: not the authority
        with pytest.raises(Forbidden, match="platform admin"):
            call(world, review_request, who, req.id, RequestReview(action="pass"))
    with pytest.raises(Conflict, match="waits for the authority"):
        call(world, decide_request, "li", req.id, RequestDecision(action="approve"))
    call(world, review_request, "boss", req.id, RequestReview(action="pass"))
    with pytest.raises(Conflict, match="`reviewed`"):
        call(world, review_request, "boss", req.id, RequestReview(action="pass"))
    for who in ("boss", "mei", "hu"):  # the authority, a mere member of the owner, the consumer's editor
        with pytest.raises(Forbidden, match="admin or editor role in organization `stats`"):
            call(world, decide_request, who, req.id, RequestDecision(action="approve"))
    call(world, decide_request, "li", req.id, RequestDecision(action="approve"))
    with pytest.raises(Conflict, match="approved"):
        call(world, decide_request, "li", req.id, RequestDecision(action="reject", reason="changed my mind"))
    with pytest.raises(Conflict):
        call(world, withdraw_request, "wang", req.id, RequestWithdraw())


@pytest.mark.parametrize(
    ("who", "fields", "error", "words"),
    [
        ("li", {}, Conflict, "reads dataset `stats/people` already"),
        ("boss", {}, Conflict, "already"),
        ("wang", {"organization": "transport"}, Forbidden, "not a member"),
        ("wang", {"tables": {"people": ["id", "salary"]}}, InvalidInput, "no column `salary`"),
        ("wang", {"tables": {"ghosts": None}}, InvalidInput, "no table `ghosts`"),
    ],
)
def test_bad_requests(world, who, fields, error, words):
    with pytest.raises(error, match=words):
        open_(world, who, **fields)


def test_one_open_request_per_person_and_dataset(world):
    first = open_(world)
    with pytest.raises(Conflict, match=f"request {first.id}"):
        open_(world)
    with pytest.raises(ValueError, match="at least 10"):
        RequestCreate(dataset="stats/people", purpose="x", days=3)


def test_provider_may_narrow_but_not_widen(world):
    req = open_(world, tables={"people": ["id", "city"]}, grantee="user")
    call(world, review_request, "boss", req.id, RequestReview(action="pass"))
    wider = RequestDecision(action="approve", tables={"people": TableRule(columns=["id", "name"])})
    with pytest.raises(InvalidInput, match="name were not requested"):
        call(world, decide_request, "li", req.id, wider)
    narrower = RequestDecision(action="approve", tables={"people": TableRule(columns=["id"])}, days=3)
    done = call(world, decide_request, "li", req.id, narrower)
    with world.rt.session() as session:
        wang = plan_read(
            session, world.rt.settings, world.caller("wang"), "stats", "people", "people", now=MONDAY
        )
        assert wang.columns == ("id",)
        with pytest.raises(Forbidden):  # the grant went to wang alone
            plan_read(session, world.rt.settings, world.caller("hu"), "stats", "people", "people", now=MONDAY)
    assert done.state == "approved"


def test_overdue_requests_are_flagged_for_the_authority(world):
    friday = MONDAY + timedelta(days=4)  # Friday 10:00 Beijing
    late = open_(world, now=MONDAY)
    fresh = open_(world, "zhao", now=friday)
    # the review of Monday's request was due at the end of Wednesday
    with world.rt.session() as session:
        boss = world.caller("boss")
        flagged = list_requests(session, world.rt.settings, boss, overdue=True, now=friday)
        assert [r.id for r in flagged.data] == [late.id]
        assert flagged.data[0].overdue and flagged.data[0].working_days_late == 2  # Thursday, Friday
        # Friday's request: due end of Tuesday (the weekend does not count)
        wednesday = friday + timedelta(days=5)
        assert list_requests(session, world.rt.settings, boss, overdue=True, now=wednesday).count == 2
        assert not list_requests(session, world.rt.settings, boss, overdue=False, now=friday).data[0].overdue
        stats = request_stats(session, now=friday)
        assert stats.overdue == 1 and stats.overdue_review == 1 and stats.by_state["submitted"] == 2
        wang_sees = list_requests(session, world.rt.settings, world.caller("wang"), now=friday)
        assert [r.id for r in wang_sees.data] == [late.id]
        li_sees = list_requests(session, world.rt.settings, world.caller("li"), now=friday)
        assert li_sees.count == 2  # the provider sees requests for its datasets
    assert fresh.review_due == datetime(2026, 12, 2, tzinfo=UTC) + BEIJING_MIDNIGHT


def test_holidays_push_deadlines(world):
    world.rt.settings.holidays = [date(2026, 11, 24), date(2026, 11, 25)]
    req = open_(world)
    # Tuesday and Wednesday off: Thursday and Friday are the two working days
    assert req.review_due == datetime(2026, 11, 28, tzinfo=UTC) + BEIJING_MIDNIGHT
    (world.rt.settings.home / "holidays.txt").write_text("2026-11-26\n", encoding="utf-8")
    with world.rt.session() as session:
        again = get_request(
            session, world.rt.settings, world.caller("boss"), req.id, now=MONDAY + timedelta(days=4)
        )
    assert not again.overdue  # the stored deadline stands; new holidays apply to new steps


ROWS = "/api/v1/datasets/stats/people/tables/people/rows"


@pytest.mark.slow
def test_over_http_from_request_to_masked_rows_and_back(world, client_as):
    wang, boss, li = client_as("wang"), client_as("boss"), client_as("li")
    assert wang.get(ROWS).status_code == 403
    body = {
        "dataset": "stats/people",
        "tables": {"people": ["id", "name", "score"]},
        "purpose": "a study of scores",
    }
    opened = wang.post("/api/v1/requests", json=body | {"days": 7})
    assert opened.status_code == 201, opened.text
    rid = opened.json()["id"]
    assert li.post(f"/api/v1/requests/{rid}/review", json={"action": "pass"}).status_code == 403
    assert li.post(f"/api/v1/requests/{rid}/decision", json={"action": "approve"}).status_code == 409
    assert boss.post(f"/api/v1/requests/{rid}/review", json={"action": "pass"}).status_code == 200
    bad = li.post(
        f"/api/v1/requests/{rid}/decision",
        json={"action": "approve", "tables": {"people": {"row_filter": "score >= (SELECT 1)"}}},
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "tables.people.row_filter"
    terms = {"people": {"row_filter": "score >= 90", "masks": {"id": "hash"}}}
    decided = li.post(f"/api/v1/requests/{rid}/decision", json={"action": "approve", "tables": terms})
    assert decided.status_code == 200 and decided.json()["state"] == "approved"
    rows = wang.get(ROWS, params={"sort": "name"}).json()
    assert [c["name"] for c in rows["columns"]] == ["id", "name", "score"]
    assert sorted(r["score"] for r in rows["rows"]) == [92, 92]  # only the rows the filter lets through
    assert all(len(r["id"]) == 64 for r in rows["rows"])  # hashed
    assert {r["name"][0] for r in rows["rows"]} == {"A", "李"} and "*" in rows["rows"][0]["name"]  # tag mask
    grant_id = decided.json()["grant_id"]
    assert wang.post(f"/api/v1/grants/{grant_id}/revoke", json={}).status_code == 403
    assert li.post(f"/api/v1/grants/{grant_id}/revoke", json={"reason": "study over"}).status_code == 200
    assert wang.get(ROWS).status_code == 403  # the very next read
    shown = wang.get(f"/api/v1/requests/{rid}").json()
    assert [e["action"] for e in shown["events"]] == ["submit", "review", "approve"]
    assert client_as(None).get("/api/v1/requests").status_code == 401
    assert client_as("zhao").get(f"/api/v1/requests/{rid}").status_code == 404
    stats = boss.get("/api/v1/stats/requests").json()
    assert stats["by_state"]["approved"] == 1 and stats["overdue"] == 0
    assert wang.get("/api/v1/stats/requests").status_code == 403


@pytest.mark.slow
def test_the_cli_walks_the_workflow(world, cli):
    opened = cli(
        "--as", "wang", "request", "open", "stats/people", "--purpose", "school health survey",
        "--days", "10", "--table", "people:id,name,score", "--json",
    )  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert cli("request", "list", "--state", "submitted").output.count("school health survey") == 1
    assert cli("request", "review", "1", "pass").exit_code == 0  # the CLI acts as the authority
    refused = cli("--as", "hu", "request", "decide", "1", "approve")
    assert refused.exit_code == 1 and "admin or editor role in organization `stats`" in refused.output
    bad = cli("--as", "li", "request", "decide", "1", "approve", "--filter", "score >= 60")
    assert bad.exit_code == 2 and "TABLE:CONDITION" in bad.output
    decided = cli(
        "--as", "li", "request", "decide", "1", "approve", "--filter", "people:score >= 60",
        "--mask", "people.name=hash",
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    assert "approved" in decided.output and "approve" in cli("request", "show", "1").output
    shown = cli("--as", "wang", "grant", "show", "1")
    assert "score >= 60" in shown.output and "name=hash" in shown.output
    assert cli("--as", "li", "grant", "revoke", "1", "--reason", "survey done").exit_code == 0
    verified = cli("audit", "verify")
    assert verified.exit_code == 0 and "intact: 5 entries" in verified.output
    listed = cli("audit", "list", "--kind", "change")
    assert "grant.revoke" in listed.output and "request.open" in listed.output
    assert "approved" in cli("audit", "stats").output
    assert cli("--as", "wang", "audit", "list").exit_code == 1  # not the authority
    with world.rt.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    broken = cli("audit", "verify")
    assert broken.exit_code == 1 and "entry 2 is missing" in broken.output
