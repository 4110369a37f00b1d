"""A recipient sees only the tables of a share it may read now (raw HTTP, in-process).

A dataset switched to `none` after it was shared, a draft's table (put in a share before drafts were
refused), a revoked or expired grant, a public dataset withdrawn: each table disappears from every
listing and every table endpoint, answering byte for byte as a table that is not in the share, and
comes back when access returns. Paging is over what the recipient sees, and survives changes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from datavalley.access.grants import GrantCreate, GrantRevoke, create_grant, revoke_grant
from datavalley.access.policy import AUTHORITY, Caller, plan_read
from datavalley.access.sharing_models import Grant
from datavalley.catalog.schemas import DatasetUpdate
from datavalley.catalog.service import update_dataset
from datavalley.catalog.tables import table_record
from datavalley.db.base import utcnow
from datavalley.errors import DataValleyError
from datavalley.interop.sharing.models import Share, ShareTable
from datavalley.interop.sharing.recipients import RecipientCreate, create_recipient
from datavalley.interop.sharing.shares import (
    ShareCreate,
    ShareTableAdd,
    add_table,
    create_share,
    remove_table,
)
from tests.access.sharing_world import build_world
from tests.factories import make_dataset
from tests.query.tables import load_table

SHARE = "/delta-sharing/shares/s"


@pytest.fixture
def world(runtime, tmp_path):
    """Share `s` of stats: people.people (conditional, a grant to acme), open.open (public),
    towns.towns (unconditional), and plans.plans of a draft, put in before drafts were refused."""
    build_world(runtime, tmp_path)
    with runtime.session() as s:
        make_dataset(s, "stats/open", sharing="unconditional", public=True, state="published")
        make_dataset(s, "stats/towns", sharing="unconditional", state="published")
        make_dataset(s, "stats/plans", sharing="unconditional", state="draft")
    for dataset in ("open", "towns", "plans"):
        load_table(runtime, tmp_path, dataset, "a,b\n1,x\n2,y\n", dataset=f"stats/{dataset}")
    with runtime.session() as s:
        create_share(s, AUTHORITY, ShareCreate(name="s", organization="stats"))
        for table in ("people/people", "open/open", "towns/towns"):
            add_table(s, AUTHORITY, "s", ShareTableAdd(table=table))
        share = s.scalar(select(Share).where(Share.name == "s"))
        plans = table_record(s, "stats", "plans", "plans")
        share.tables.append(ShareTable(table_id=plans.id, table=plans, uuid=str(uuid.uuid4()), added_by="li"))
        made = create_recipient(
            s,
            AUTHORITY,
            RecipientCreate(name="acme", organization="stats", shares=["s"]),
            endpoint="http://testserver/delta-sharing/",
            default_days=30,
        )
    give(runtime)
    return made.profile["bearerToken"]


@pytest.fixture
def acme(world, app):
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {world}"
        yield client


def give(rt, dataset: str = "people", **fields) -> int:
    data = GrantCreate(dataset=f"stats/{dataset}", recipient="acme", purpose="credit checks", **fields)
    with rt.session() as s:
        return create_grant(s, rt.settings, AUTHORITY, data).id


def change(rt, dataset: str, **fields) -> None:
    with rt.session() as s:
        update_dataset(s, "stats", dataset, DatasetUpdate(**fields))


def set_expiry(rt, when) -> None:
    with rt.session() as s:
        for grant in s.scalars(select(Grant).where(Grant.grantee_recipient == "acme")):
            grant.expires = when


def revoke_all(rt) -> None:
    with rt.session() as s:
        for grant in s.scalars(select(Grant).where(Grant.grantee_recipient == "acme")).all():
            if grant.revoked_at is None:
                revoke_grant(s, AUTHORITY, grant.id, GrantRevoke(reason="contract ended"))


def listed(acme) -> list[str]:
    return [f"{t['schema']}.{t['name']}" for t in acme.get(f"{SHARE}/all-tables").json()["items"]]


def pages(acme, url: str, size: int) -> list[dict]:
    """Every page of a listing, following the tokens."""
    got, token = [], None
    while True:
        params = {"maxResults": size} | ({"pageToken": token} if token else {})
        body = acme.get(url, params=params).json()
        got.append(body)
        token = body.get("nextPageToken")
        if not token:
            return got


def answers(acme, schema: str, table: str) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """What the recipient gets from every listing and every endpoint of ``schema.table``."""
    base = f"{SHARE}/schemas/{schema}/tables/{table}"
    calls: dict[str, Callable[[], object]] = {
        "shares": lambda: acme.get("/delta-sharing/shares"),
        "share": lambda: acme.get(SHARE),
        "schemas": lambda: acme.get(f"{SHARE}/schemas"),
        "all-tables": lambda: acme.get(f"{SHARE}/all-tables"),
        "tables": lambda: acme.get(f"{SHARE}/schemas/{schema}/tables"),
        "tables, upper case": lambda: acme.get(f"{SHARE}/schemas/{schema.upper()}/tables"),
        "version": lambda: acme.get(f"{base}/version"),
        "version since": lambda: acme.get(
            f"{base}/version", params={"startingTimestamp": "2000-01-01 0:0:0"}
        ),
        "head": lambda: acme.head(base),
        "metadata": lambda: acme.get(f"{base}/metadata"),
        "query": lambda: acme.post(f"{base}/query", json={}),
        "query v0": lambda: acme.post(f"{base}/query", json={"version": 0}),
        "query, upper case": lambda: acme.post(
            f"{SHARE}/schemas/{schema.upper()}/tables/{table.upper()}/query", json={}
        ),
        "changes": lambda: acme.get(f"{base}/changes", params={"startingVersion": 0}),
    }
    out = {}
    for name, call in calls.items():
        r = call()
        out[name] = (r.status_code, {k: v for k, v in r.headers.items() if k != "date"}, r.content)
    out["all-tables paged"] = (200, {}, json.dumps(pages(acme, f"{SHARE}/all-tables", 1)).encode())
    out["schemas paged"] = (200, {}, json.dumps(pages(acme, f"{SHARE}/schemas", 1)).encode())
    return out


TABLE_CALLS = ("version", "version since", "metadata", "query", "query v0", "query, upper case", "changes")


def hide_none(rt):
    change(rt, "people", sharing="none")


def show_none(rt):
    change(rt, "people", sharing="conditional")


def hide_withdrawn(rt):
    change(rt, "open", sharing="conditional")  # withdraws it from the public too; no grant


def show_withdrawn(rt):
    change(rt, "open", sharing="unconditional", public=True)


#: (name, schema.table, hide, show); None: hidden from the start
SCENARIOS = [
    ("switched to none", "people.people", hide_none, show_none),
    ("grant revoked", "people.people", revoke_all, give),
    (
        "grant expired",
        "people.people",
        lambda rt: set_expiry(rt, utcnow() - timedelta(seconds=1)),
        lambda rt: set_expiry(rt, utcnow() + timedelta(days=1)),
    ),
    ("public withdrawn", "open.open", hide_withdrawn, show_withdrawn),
    ("draft", "plans.plans", None, lambda rt: change(rt, "plans", state="published")),
]


@pytest.mark.parametrize(("case", "target", "hide", "show"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_a_table_the_recipient_may_not_read_now_is_not_there(world, acme, runtime, case, target, hide, show):
    schema, table = target.split(".")
    query = f"{SHARE}/schemas/{schema}/tables/{table}/query"
    url = None
    if hide is not None:
        assert target in listed(acme)
        url = json.loads(acme.post(query, json={}).text.splitlines()[2])["file"]["url"]
        assert acme.get(url).status_code == 200
        hide(runtime)
    hidden = answers(acme, schema, table)
    assert target not in listed(acme)
    assert schema not in [s["name"] for s in acme.get(f"{SHARE}/schemas").json()["items"]]
    for call in ("tables", *TABLE_CALLS):
        status, _, body = hidden[call]
        assert status == 404 and json.loads(body)["errorCode"] == "RESOURCE_DOES_NOT_EXIST", (call, body)
    assert hidden["head"][0] == 404
    if url is not None:  # a file URL handed out before stops working
        assert json.loads(acme.get(url).content) == {
            "errorCode": "PERMISSION_DENIED",
            "message": "the table of this file URL is no longer shared with you",
        }

    show(runtime)
    assert target in listed(acme)
    assert acme.post(query, json={}).status_code == 200
    assert acme.get(f"{SHARE}/schemas/{schema}/tables/{table}/version").status_code == 200

    # hidden answered exactly as a table that is not in the share at all
    with runtime.session() as s:
        remove_table(s, AUTHORITY, "s", target.replace(".", "/"))
    missing = answers(acme, schema, table)
    for call in hidden:
        assert hidden[call] == missing[call], call


def test_listings_follow_the_read_policy_when_the_public_flag_goes(world, acme, runtime):
    """Without `public`, an unconditional dataset is still read by recipients as by member
    organizations (the policy's rule): the listing says exactly what plan_read says."""
    change(runtime, "open", public=False)
    with runtime.session() as s:
        try:
            plan_read(s, runtime.settings, Caller(recipient="acme"), "stats", "open", "open")
            readable = True
        except DataValleyError:
            readable = False
    assert ("open.open" in listed(acme)) is readable
    status = acme.get(f"{SHARE}/schemas/open/tables/open/version").status_code
    assert status == (200 if readable else 404)


def test_a_grant_for_some_tables_shows_those_only(world, acme, runtime, tmp_path):
    load_table(runtime, tmp_path, "extra", "a\n1\n")
    with runtime.session() as s:
        add_table(s, AUTHORITY, "s", ShareTableAdd(table="people/extra"))
    assert "people.extra" in listed(acme)  # the whole-dataset grant covers it
    revoke_all(runtime)
    give(runtime, tables={"extra": {}})
    assert listed(acme) == ["open.open", "people.extra", "towns.towns"]
    assert acme.get(f"{SHARE}/schemas/people/tables/people/version").status_code == 404
    assert acme.get(f"{SHARE}/schemas/people/tables/extra/version").status_code == 200


def test_pages_are_full_and_tokens_survive_changes_between_pages(world, acme, runtime):
    # visible: open, people, towns (plans is a draft); two per page, with no short page
    first = acme.get(f"{SHARE}/all-tables", params={"maxResults": 2}).json()
    assert [t["name"] for t in first["items"]] == ["open", "people"]
    revoke_all(runtime)  # people goes between the pages: towns is neither skipped nor repeated
    rest = acme.get(f"{SHARE}/all-tables", params={"maxResults": 2, "pageToken": first["nextPageToken"]})
    assert [t["name"] for t in rest.json()["items"]] == ["towns"] and "nextPageToken" not in rest.json()
    whole = acme.get(f"{SHARE}/all-tables", params={"maxResults": 2}).json()
    assert [t["name"] for t in whole["items"]] == ["open", "towns"] and "nextPageToken" not in whole
    schemas = acme.get(f"{SHARE}/schemas", params={"maxResults": 1}).json()
    assert [s["name"] for s in schemas["items"]] == ["open"]
    after = acme.get(f"{SHARE}/schemas", params={"maxResults": 5, "pageToken": schemas["nextPageToken"]})
    assert [s["name"] for s in after.json()["items"]] == ["towns"]
    for bad in ("nonsense!", "MQ", "WyJhIl0"):  # not base64 JSON; an old offset token; a one-part key
        answer = acme.get(f"{SHARE}/all-tables", params={"pageToken": bad})
        assert answer.status_code == 400 and answer.json()["errorCode"] == "INVALID_PARAMETER_VALUE"


def test_a_drafts_table_cannot_be_put_in_a_share(world, client_as, cli, runtime, tmp_path):
    with runtime.session() as s:
        make_dataset(s, "stats/ideas", sharing="unconditional", state="draft")
    load_table(runtime, tmp_path, "ideas", "a\n1\n", dataset="stats/ideas")
    refused = client_as("li").post("/api/v1/shares/s/tables", json={"table": "ideas/ideas"})
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "`stats/ideas` is a draft" in message
    assert "`datavalley dataset update stats/ideas --state published`" in message
    by_cli = cli("share", "add-table", "s", "ideas/ideas")
    assert by_cli.exit_code != 0 and "is a draft" in by_cli.output and "publish it first" in by_cli.output
    change(runtime, "ideas", state="published")
    assert cli("share", "add-table", "s", "ideas/ideas").exit_code == 0


def test_listings_do_not_open_every_table(world, acme, monkeypatch):
    """A listing decides from the column notes; only a table endpoint opens its table."""
    from datavalley.access import policy

    def opened(location):
        raise AssertionError(f"listing opened {location.ref}")

    monkeypatch.setattr(policy, "table_columns", opened)
    assert listed(acme) == ["open.open", "people.people", "towns.towns"]
    assert [s["name"] for s in acme.get(f"{SHARE}/schemas").json()["items"]] == ["open", "people", "towns"]
