"""The audit log: entries chain by hash; edits, deletions and reorderings are found and named;
concurrent appenders never fork the chain."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from datavalley.access.audit import (
    GENESIS,
    entry_hash,
    list_entries,
    record_change,
    record_read,
    verify_chain,
)
from datavalley.access.policy import AUTHORITY, Caller
from datavalley.access.sharing_models import AuditEntry, AuditHead

WANG = Caller(user="wang", roles={"health": "member"})
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _fill(rt, n: int = 5) -> None:
    with rt.session() as session:
        for i in range(n):
            record_read(
                session,
                caller=WANG,
                path="rows",
                table_ref="stats/people/people",
                grant_id=None,
                purpose="監測 study",
                rows=10 + i,
                bytes=1000 + i,
                now=T0 + timedelta(minutes=i),
            )


def _verify(rt):
    with rt.session() as session:
        return verify_chain(session)


def test_entries_chain_and_verify(runtime):
    assert _verify(runtime).ok and _verify(runtime).entries == 0
    _fill(runtime)
    with runtime.session() as session:
        record_change(
            session, caller=AUTHORITY, action="grant.revoke", target="grant:1", details={"reason": "x"}
        )
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        head = session.get(AuditHead, 1)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))
    assert entries[0].organization == "health" and entries[0].dataset == "stats/people"
    assert head.seq == 6 and head.hash == entries[-1].hash
    report = _verify(runtime)
    assert report.ok and report.entries == 6 and report.head_hash == entries[-1].hash


def _tamper(rt, statement) -> None:
    with rt.session() as session:
        session.execute(statement, execution_options={"synchronize_session": False})


@pytest.mark.parametrize(
    ("attack", "first_bad", "words"),
    [
        (lambda: update(AuditEntry).where(AuditEntry.seq == 3).values(rows=0), 3, "was changed"),
        (lambda: update(AuditEntry).where(AuditEntry.seq == 2).values(actor="nobody"), 2, "was changed"),
        (lambda: delete(AuditEntry).where(AuditEntry.seq == 3), 3, "is missing"),
        (lambda: delete(AuditEntry).where(AuditEntry.seq == 5), 5, "missing"),  # the last one
        (lambda: update(AuditEntry).where(AuditEntry.seq == 4).values(at=T0), 4, "was changed"),
    ],
    ids=["edit-rows", "edit-actor", "delete-middle", "delete-last", "backdate"],
)
def test_tampering_is_found_and_named(runtime, attack, first_bad, words):
    _fill(runtime)
    _tamper(runtime, attack())
    report = _verify(runtime)
    assert not report.ok and report.first_bad == first_bad
    assert words in report.problem


def test_edit_with_recomputed_hash_breaks_the_next_link(runtime):
    _fill(runtime)
    with runtime.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        fields = {
            name: getattr(entry, name) for name in ("seq", "at", "kind", "actor", "organization", "action")
        }
        fields |= {
            "target": entry.target,
            "dataset": entry.dataset,
            "grant_id": None,
            "purpose": entry.purpose,
        }
        fields |= {
            "rows": 999_999,
            "bytes": entry.bytes,
            "details": entry.details,
            "prev_hash": entry.prev_hash,
        }
        entry.rows, entry.hash = 999_999, entry_hash(fields)
    report = _verify(runtime)
    assert report.first_bad == 3 and "does not follow entry 2" in report.problem


def test_reordering_is_found(runtime):
    _fill(runtime)
    with runtime.session() as session:  # swap the places of entries 2 and 3
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(seq=-2))
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(seq=2))
        session.execute(update(AuditEntry).where(AuditEntry.seq == -2).values(seq=3))
    report = _verify(runtime)
    assert report.first_bad == 2 and not report.ok


def test_renumbering_after_a_deletion_is_found(runtime):
    _fill(runtime)
    with runtime.session() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
        for seq in (3, 4, 5):
            session.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(seq=seq - 1))
        session.execute(update(AuditHead).values(seq=4))
    report = _verify(runtime)
    assert report.first_bad == 2 and "does not follow entry 1" in report.problem


def test_concurrent_appenders_never_fork_the_chain(runtime):
    threads, per_thread, errors = 4, 15, []

    def append(worker: int) -> None:
        try:
            for i in range(per_thread):
                with runtime.session() as session:
                    record_read(
                        session,
                        caller=WANG,
                        path="sql",
                        table_ref="stats/people/people",
                        rows=worker,
                        bytes=i,
                    )
        except Exception as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=append, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors
    report = _verify(runtime)
    assert report.ok, report.problem
    assert report.entries == threads * per_thread == report.head_seq


def test_list_filters_newest_first(runtime):
    _fill(runtime, 3)
    with runtime.session() as session:
        record_change(
            session, caller=AUTHORITY, action="grant.create", target="grant:7", dataset="stats/people"
        )
        everything = list_entries(session)
        changes = list_entries(session, kind="change")
        window = list_entries(session, since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=2))
        by_actor = list_entries(session, actor="wang", limit=1)
    assert everything.count == 4 and [e.seq for e in everything.data] == [4, 3, 2, 1]
    assert (
        changes.count == 1 and changes.data[0].action == "grant.create" and changes.data[0].actor == "admin"
    )
    assert [e.rows for e in window.data] == [11]
    assert by_actor.count == 3 and len(by_actor.data) == 1


def test_usage_statistics_and_audit_over_http(runtime, client, client_as):
    other = Caller(user="zhao", roles={"transport": "member"})
    with runtime.session() as session:
        for who, table, at, rows in (
            (WANG, "stats/people/people", T0, 10),  # 10:00 Beijing, 23 November
            (WANG, "stats/people/people", T0 + timedelta(hours=15), 5),  # 01:00 Beijing, 24 November
            (other, "health/visits/visits", T0 + timedelta(hours=1), 7),
        ):
            record_read(session, caller=who, path="rows", table_ref=table, rows=rows, bytes=100, now=at)
        record_change(session, caller=AUTHORITY, action="grant.create", target="grant:1")
    by_dataset = client.get("/api/v1/stats/calls/datasets").json()
    assert [(r["key"], r["calls"], r["rows"]) for r in by_dataset["data"]] == [
        ("stats/people", 2, 15),
        ("health/visits", 1, 7),
    ]
    by_org = client.get("/api/v1/stats/calls/organizations", params={"dataset": "stats/people"}).json()
    assert [(r["key"], r["calls"]) for r in by_org["data"]] == [("health", 2)]
    by_day = client.get("/api/v1/stats/calls/days").json()
    assert [(r["key"], r["calls"]) for r in by_day["data"]] == [("2026-11-23", 2), ("2026-11-24", 1)]
    since = client.get("/api/v1/stats/calls/days", params={"since": "2026-11-23T12:00:00Z"}).json()
    assert since["total_calls"] == 1
    assert client.get("/api/v1/stats/calls/weeks").status_code == 422
    listed = client.get("/api/v1/audit", params={"kind": "read", "limit": 2}).json()
    assert listed["count"] == 3 and [e["seq"] for e in listed["data"]] == [3, 2]
    assert client.get("/api/v1/audit/verify").json() | {"head_hash": ""} == {
        "ok": True,
        "entries": 4,
        "head_seq": 4,
        "head_hash": "",
        "first_bad": None,
        "problem": None,
    }
    with runtime.session() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(rows=1))
    broken = client.get("/api/v1/audit/verify").json()
    assert broken["ok"] is False and broken["first_bad"] == 2
    member = client_as("wang", health="member")
    for url in ("/api/v1/audit", "/api/v1/audit/verify", "/api/v1/stats/calls/days"):
        assert member.get(url).status_code == 403
        assert client_as(None).get(url).status_code == 401
