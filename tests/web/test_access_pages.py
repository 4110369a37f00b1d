"""Request, review, decision, grant, dashboard and home-usage pages, in-process on SQLite and PostgreSQL.

Forms are sent with API tokens here (no CSRF token needed for bearer requests); the CSRF check of
cookie sessions is tested in test_account_pages.py and in the browser tests.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.factories import make_dataset, make_org
from tests.query.tables import csv_text, load_table

EVIL = '<script>alert("x")</script>'
PURPOSE = f"Household income study {EVIL}"


@pytest.fixture
def incomes(app, client, tmp_path):
    """``stats/incomes`` (conditional) with a table of 3 households, and ``stats/open`` (public)."""
    rt = app.state.runtime
    with rt.session() as session:
        make_org(session, "stats")
        make_org(session, "other")
        make_dataset(session, "stats/incomes", title="Incomes", sharing="conditional", state="published")
        make_dataset(
            session, "stats/open", title="Open", sharing="unconditional", public=True, state="published"
        )
    rows = [(1, "a", 10), (2, "b", 20), (3, "c", 30)]
    load_table(rt, tmp_path, "households", csv_text(["id", "head", "income"], rows), dataset="stats/incomes")
    load_table(rt, tmp_path, "things", csv_text(["n"], [(1,), (2,)]), dataset="stats/open")
    return rt


def _open(other_editor, **fields):
    data = {
        "table": "households",
        "col.households": ["id", "head", "income"],
        "purpose": PURPOSE,
        "days": "30",
        **fields,
    }
    return other_editor.post("/datasets/stats/incomes/request", data=data, follow_redirects=False)


def test_request_review_decide_and_read(incomes, client, stats_editor, other_editor, stats_member):
    # the dataset page offers the request to a logged-in outsider, and the login to the public
    page = other_editor.get("/datasets/stats/incomes")
    assert 'href="/datasets/stats/incomes/request"' in page.text
    form = other_editor.get("/datasets/stats/incomes/request")
    assert (
        form.status_code == 200 and 'value="households"' in form.text and 'name="col.households"' in form.text
    )
    assert "On behalf of other." in form.text

    short = _open(other_editor, purpose="too short")
    assert short.status_code == 422 and "purpose" in short.text and 'id="form-problems"' in short.text
    assert 'value="30"' in short.text  # what was typed is kept
    none = _open(other_editor, table=[])
    assert none.status_code == 422 and "tick at least one table" in none.text
    unknown = _open(other_editor, table="nope")
    assert unknown.status_code == 422 and "has no table `nope`" in unknown.text
    assert _open(other_editor, days="-3").status_code == 422

    opened = _open(other_editor)
    assert opened.status_code == 303
    number = int(re.search(r"/requests/(\d+)\?done=request_opened", opened.headers["location"]).group(1))
    again = _open(other_editor)
    assert again.status_code == 409 and "still open" in again.text

    detail = other_editor.get(f"/requests/{number}")
    assert detail.status_code == 200 and "awaiting review" in detail.text
    assert EVIL not in detail.text and "Household income study &lt;script&gt;" in detail.text
    assert 'id="withdraw-form"' in detail.text and 'id="review-form"' not in detail.text
    assert f'data-request="{number}"' in other_editor.get("/requests").text
    assert stats_member.get(f"/requests/{number}").status_code == 200  # the owner's members see it
    assert stats_member.get("/requests/999").status_code == 404

    # the authority's queue: waiting for review, with the deadline
    queue = client.get("/review")
    assert f'data-request="{number}"' in queue.text and "awaiting review" in queue.text
    assert 'id="review-form"' in client.get(f"/requests/{number}").text
    # the provider's inbox shows requests waiting for their decision; this one is not yet
    assert f'data-request="{number}"' not in stats_editor.get("/inbox").text
    assert f'data-request="{number}"' in stats_editor.get("/inbox", params={"state": ""}).text

    # wrong people, wrong steps: refused with the service's words, nothing changes
    refused = other_editor.post(f"/requests/{number}/review", data={"action": "pass"})
    assert refused.status_code == 403 and "needs a platform admin" in refused.text
    early = stats_editor.post(f"/requests/{number}/decision", data={"action": "reject", "reason": "no"})
    assert early.status_code == 409 and "waits for the authority" in early.text
    no_reason = client.post(f"/requests/{number}/review", data={"action": "reject"})
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.text

    passed = client.post(f"/requests/{number}/review", data={"action": "pass"}, follow_redirects=False)
    assert passed.headers["location"] == f"/requests/{number}?done=request_reviewed"
    inbox = stats_editor.get("/inbox")
    assert f'data-request="{number}"' in inbox.text and "awaiting the provider" in inbox.text
    decide = stats_editor.get(f"/requests/{number}")
    assert 'id="approve-form"' in decide.text and 'id="reject-form"' in decide.text

    # approve, narrowed: two columns, a row filter, a mask; a bad filter is refused first
    terms = {"action": "approve", "table": "households", "col.households": ["id", "head"], "days": "10"}
    bad = stats_editor.post(f"/requests/{number}/decision", data={**terms, "filter.households": "nope > 1"})
    assert bad.status_code == 422 and "row_filter" in bad.text
    bad_mask = stats_editor.post(f"/requests/{number}/decision", data={**terms, "masks.households": "head"})
    assert bad_mask.status_code == 422 and "column=mask" in bad_mask.text
    approved = stats_editor.post(
        f"/requests/{number}/decision",
        data={**terms, "filter.households": "income >= 20", "masks.households": "head=hash"},
        follow_redirects=False,
    )
    assert approved.headers["location"] == f"/requests/{number}?done=request_approved"
    shown = other_editor.get(f"/requests/{number}?done=request_approved").text
    assert "The request was approved" in shown and "approved" in shown and "read the data" in shown

    rows = other_editor.get("/api/v1/datasets/stats/incomes/tables/households/rows").json()
    assert [r["id"] for r in rows["rows"]] == [2, 3] and set(rows["rows"][0]) == {"id", "head"}
    assert rows["rows"][0]["head"] != "b"  # hashed
    grants = other_editor.get("/grants").text
    assert "income &gt;= 20" in grants and "head=hash" in grants and 'action="/grants/' not in grants


def test_withdraw_only_by_the_requester(incomes, client, other_editor, client_as):
    number = int(re.search(r"/requests/(\d+)", _open(other_editor).headers["location"]).group(1))
    colleague = client_as("carl", other="member")
    assert 'id="withdraw-form"' not in colleague.get(f"/requests/{number}").text
    assert colleague.post(f"/requests/{number}/withdraw", data={}).status_code == 403
    done = other_editor.post(
        f"/requests/{number}/withdraw", data={"reason": "found it"}, follow_redirects=False
    )
    assert done.headers["location"] == f"/requests/{number}?done=request_withdrawn"
    page = other_editor.get(f"/requests/{number}").text
    assert "withdrawn" in page and "found it" in page and 'id="withdraw-form"' not in page
    assert other_editor.post(f"/requests/{number}/withdraw", data={}).status_code == 409


def test_grants_made_and_revoked_by_editors(incomes, stats_editor, other_editor, stats_member):
    assert stats_member.get("/grants/new").status_code == 200
    assert "nothing you can grant" in stats_member.get("/grants/new").text
    form = stats_editor.get("/grants/new", params={"dataset": "stats/incomes"})
    assert 'name="dataset" value="stats/incomes"' in form.text and 'name="filter.households"' in form.text

    base = {
        "dataset": "stats/incomes",
        "grantee_kind": "organization",
        "purpose": f"audit {EVIL}",
        "days": "5",
        "col.households": ["id", "head", "income"],
    }
    missing = stats_editor.post("/grants/new", data={**base, "grantee": "nobody", "table": "households"})
    assert missing.status_code == 422 and "organization `nobody` does not exist" in missing.text
    foreign = other_editor.post("/grants/new", data={**base, "grantee": "other", "table": "households"})
    assert foreign.status_code == 403
    made = stats_editor.post(
        "/grants/new", data={**base, "grantee": "other", "table": "households"}, follow_redirects=False
    )
    assert made.status_code == 303 and "done=grant_created" in made.headers["location"]
    number = int(re.search(r"#grant-(\d+)", made.headers["location"]).group(1))
    assert "Every table, whole" in stats_editor.get("/grants").text  # every column of every table ticked

    listing = other_editor.get("/grants").text
    assert f'id="grant-{number}"' in listing and EVIL not in listing and "audit &lt;script&gt;" in listing
    assert f'action="/grants/{number}/revoke"' not in listing  # the grantee may not revoke
    assert other_editor.post(f"/grants/{number}/revoke", data={}).status_code == 403
    assert other_editor.get("/api/v1/datasets/stats/incomes/tables/households/rows").status_code == 200

    revoked = stats_editor.post(f"/grants/{number}/revoke", data={"reason": "done"}, follow_redirects=False)
    assert revoked.headers["location"] == "/grants?done=grant_revoked"
    assert other_editor.get("/api/v1/datasets/stats/incomes/tables/households/rows").status_code == 403
    assert "revoked" in stats_editor.get("/grants", params={"state": "revoked"}).text
    assert stats_editor.post(f"/grants/{number}/revoke", data={}).status_code == 409
    assert stats_editor.post("/grants/99999/revoke", data={}).status_code == 404


def test_dashboard_and_home_count_reads(incomes, client, anonymous, stats_member):
    for _ in range(3):
        anonymous.get("/api/v1/datasets/stats/open/tables/things/rows").raise_for_status()
    for _ in range(2):
        stats_member.get("/api/v1/datasets/stats/incomes/tables/households/rows").raise_for_status()

    def stats(who):
        return dict(re.findall(r'data-stat="(\w+)">([\d,]+)<', who.get("/").text))

    assert stats(client)["reads"] == "5"
    assert stats(anonymous)["reads"] == "3"  # the public counts only reads of what it may see
    assert "Incomes" not in anonymous.get("/").text.split('id="most-used"')[1].split("</ol>")[0]
    used = client.get("/").text.split('id="most-used"')[1].split("</ol>")[0]
    assert used.index("Open") < used.index("Incomes") and "3 reads" in used

    board = client.get("/dashboard")
    assert board.status_code == 200
    charts = json.loads(re.search(r'id="dv-dashboard">(.*?)</script>', board.text, re.S).group(1))
    assert sum(charts["reads"]["values"]) == 5 and len(charts["reads"]["labels"]) == 30
    assert charts["datasets"] == {"labels": ["stats/open", "stats/incomes"], "values": [3, 2]}
    assert charts["volume"]["values"][-1] == 5  # 3 + 2 rows loaded
    assert (
        dict(zip(charts["requests"]["labels"], charts["requests"]["values"], strict=True))["submitted"] == 0
    )
