"""The Delta Sharing endpoints in-process: authentication, the protocol's error shape and statuses,
paging, versions and metadata, the signed file URLs under attack, the filtered-copy cache, and the
provider's API and CLI."""

from __future__ import annotations

import json
import stat
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from datavalley.access.grants import GrantCreate, GrantRevoke, TableRule, create_grant, revoke_grant
from datavalley.access.policy import AUTHORITY
from datavalley.catalog.tables import ColumnUpdate, update_column
from datavalley.interop.sharing import signing, snapshot
from datavalley.interop.sharing.models import Recipient
from datavalley.interop.sharing.recipients import RecipientCreate, create_recipient, new_profile
from datavalley.interop.sharing.shares import ShareCreate, ShareTableAdd, add_table, create_share
from tests.access.sharing_world import build_world
from tests.query.tables import load_table

BASE = "/delta-sharing/shares/s/schemas/people/tables/people"


@pytest.fixture
def world(runtime, tmp_path):
    build_world(runtime, tmp_path)
    with runtime.session() as s:
        create_share(s, AUTHORITY, ShareCreate(name="s", organization="stats"))
        add_table(s, AUTHORITY, "s", ShareTableAdd(table="people/people"))
        made = create_recipient(
            s,
            AUTHORITY,
            RecipientCreate(name="acme", organization="stats", shares=["s"]),
            endpoint="http://testserver/delta-sharing/",
            default_days=30,
        )
    return runtime, made.profile["bearerToken"]


@pytest.fixture
def acme(world, app):
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer {world[1]}"
        yield client


def give(rt, **rule):
    data = GrantCreate(
        dataset="stats/people",
        recipient="acme",
        purpose="credit checks",
        tables={"people": TableRule(**rule)} if rule else None,
    )
    with rt.session() as s:
        return create_grant(s, rt.settings, AUTHORITY, data).id


def error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"errorCode", "message"} and body["errorCode"] == code
    return body["message"]


def files(acme, body=None) -> list[dict]:
    answer = acme.post(f"{BASE}/query", json=body or {})
    assert answer.status_code == 200, answer.text
    return [json.loads(line)["file"] for line in answer.text.splitlines()[2:]]


def test_bearer_token_is_checked(world, app, acme):
    rt = world[0]
    with TestClient(app, raise_server_exceptions=False) as anyone:
        error(anyone.get("/delta-sharing/shares"), 401, "UNAUTHENTICATED")
        for bad in ("Basic abc", "Bearer ", "Bearer dvs_short", "Bearer dvs_" + "x" * 43):
            error(anyone.get("/delta-sharing/shares", headers={"Authorization": bad}), 401, "UNAUTHENTICATED")
    assert acme.get("/delta-sharing/shares").json()["items"][0]["name"] == "s"
    with rt.session() as s:
        new_profile(s, AUTHORITY, "acme", endpoint="http://testserver/delta-sharing/", days=1)
    assert "newer profile" in error(acme.get("/delta-sharing/shares"), 401, "UNAUTHENTICATED")
    with rt.session() as s:
        fresh = new_profile(s, AUTHORITY, "acme", endpoint="http://x/delta-sharing/", days=1)
        s.scalar(select(Recipient).where(Recipient.name == "acme")).token_expires = fresh.created
    acme.headers["Authorization"] = f"Bearer {fresh.profile['bearerToken']}"
    assert "expired" in error(acme.get("/delta-sharing/shares"), 401, "UNAUTHENTICATED")
    with rt.session() as s:  # the store keeps the digest only
        stored = s.scalar(select(Recipient).where(Recipient.name == "acme"))
        assert fresh.profile["bearerToken"] not in (stored.token_hash, stored.token_prefix)


def test_listing_paging_and_errors(world, acme, runtime, tmp_path):
    load_table(runtime, tmp_path, "extra", "a\n1\n")
    with runtime.session() as s:
        add_table(s, AUTHORITY, "s", ShareTableAdd(table="stats/people/extra"))
    gid = give(runtime)  # the whole dataset: both tables are listed
    assert acme.get("/delta-sharing/shares/S").json() == {
        "share": {"name": "s", "id": acme.get("/delta-sharing/shares").json()["items"][0]["id"]}
    }
    assert acme.get("/delta-sharing/shares/s/schemas").json()["items"] == [{"name": "people", "share": "s"}]
    first = acme.get("/delta-sharing/shares/s/all-tables", params={"maxResults": 1}).json()
    assert [t["name"] for t in first["items"]] == ["extra"] and first["nextPageToken"]
    rest = acme.get(
        "/delta-sharing/shares/s/schemas/people/tables", params={"pageToken": first["nextPageToken"]}
    )
    assert [t["name"] for t in rest.json()["items"]] == ["people"] and "nextPageToken" not in rest.json()
    assert acme.get("/delta-sharing/shares", params={"maxResults": 0}).json()["items"] == []
    error(acme.get("/delta-sharing/shares", params={"maxResults": -1}), 400, "INVALID_PARAMETER_VALUE")
    error(
        acme.get("/delta-sharing/shares", params={"pageToken": "nonsense!"}), 400, "INVALID_PARAMETER_VALUE"
    )
    error(acme.get("/delta-sharing/shares/other"), 404, "RESOURCE_DOES_NOT_EXIST")
    error(acme.get("/delta-sharing/shares/s/schemas/nope/tables"), 404, "RESOURCE_DOES_NOT_EXIST")
    error(acme.get(f"{BASE}x/version"), 404, "RESOURCE_DOES_NOT_EXIST")
    error(acme.get("/delta-sharing/nowhere"), 404, "RESOURCE_DOES_NOT_EXIST")
    # in the share, but conditional and no grant left: as if not in the share, on every call
    with runtime.session() as s:
        revoke_grant(s, AUTHORITY, gid, GrantRevoke())
    assert "has no table" in error(acme.get(f"{BASE}/version"), 404, "RESOURCE_DOES_NOT_EXIST")
    error(acme.post(f"{BASE}/query", json={}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert acme.get("/delta-sharing/shares/s/all-tables").json() == {"items": []}


def test_version_metadata_query_and_changes(world, acme, runtime, tmp_path):
    give(runtime, columns=["id", "name", "born"], masks={"id": "hash"})
    version = acme.get(f"{BASE}/version")
    assert version.status_code == 200 and version.headers["Delta-Table-Version"] == "0"
    assert acme.head(BASE).headers["Delta-Table-Version"] == "0"
    meta = acme.get(f"{BASE}/metadata")
    assert meta.headers["content-type"].startswith("application/x-ndjson")
    protocol, metadata = (json.loads(line) for line in meta.text.splitlines())
    assert protocol == {"protocol": {"minReaderVersion": 1}}
    schema = json.loads(metadata["metaData"]["schemaString"])
    # the schema of the served copy: id hashed is a string, born a year (long), other columns gone
    assert [(f["name"], f["type"]) for f in schema["fields"]] == [
        ("id", "string"),
        ("name", "string"),
        ("born", "long"),
    ]
    time.sleep(0.01)
    load_table(
        runtime, tmp_path, "people", "id,name,city,score,born,active,code,seen\n9,x,y,1,,,,\n", mode="append"
    )
    assert acme.get(f"{BASE}/version").headers["Delta-Table-Version"] == "1"
    assert (
        acme.get(f"{BASE}/version", params={"startingTimestamp": "2000-01-01 00:00:00"}).headers[
            "Delta-Table-Version"
        ]
        == "0"
    )
    error(
        acme.get(f"{BASE}/version", params={"startingTimestamp": "3000-1-1 00:00:00"}),
        400,
        "INVALID_PARAMETER_VALUE",
    )
    error(
        acme.get(f"{BASE}/version", params={"startingTimestamp": "yesterday"}), 400, "INVALID_PARAMETER_VALUE"
    )
    old = acme.post(f"{BASE}/query", json={"version": 0})
    assert old.headers["Delta-Table-Version"] == "0"
    lines = [json.loads(line) for line in old.text.splitlines()]
    assert lines[1]["metaData"]["version"] == 0 and lines[2]["file"]["version"] == 0
    assert json.loads(lines[2]["file"]["stats"]) == {"numRecords": 6}
    now = acme.post(f"{BASE}/query", json={"timestamp": "2999-01-01T00:00:00Z"})
    assert now.headers["Delta-Table-Version"] == "1"
    for body, words in (
        ({"version": 5}, "no version 5"),
        ({"version": 0, "timestamp": "2020-01-01 00:00:00"}, "not both"),
        ({"timestamp": "1999-01-01 00:00:00"}, "did not exist yet"),
        ({"limitHint": -1}, "limitHint"),
        ({"startingVersion": 0}, "cdf is not enabled"),
    ):
        assert words in error(acme.post(f"{BASE}/query", json=body), 400, "INVALID_PARAMETER_VALUE")
    error(acme.post(f"{BASE}/query", content=b"{not json"), 400, "INVALID_PARAMETER_VALUE")
    error(acme.post(f"{BASE}/query", content=b"[1]"), 400, "INVALID_PARAMETER_VALUE")
    assert "cdf" in error(
        acme.get(f"{BASE}/changes", params={"startingVersion": 0}), 400, "INVALID_PARAMETER_VALUE"
    )


def test_signed_urls_open_one_file_until_they_expire(world, acme, runtime, monkeypatch):
    monkeypatch.setattr(snapshot, "ROWS_PER_FILE", 2)
    give(runtime, row_filter="id <= 5")
    listed = files(acme)
    assert [f["size"] > 0 for f in listed] == [True, True, True]
    assert len(files(acme, {"limitHint": 3})) == 2  # enough files for 3 rows
    url = listed[0]["url"]
    whole = acme.get(url)
    assert whole.status_code == 200 and whole.content[:4] == b"PAR1"
    assert int(whole.headers["content-length"]) == listed[0]["size"]
    head = acme.head(url)
    assert (
        head.status_code == 200
        and head.content == b""
        and head.headers["content-length"] == whole.headers["content-length"]
    )
    part = acme.get(url, headers={"Range": "bytes=0-3"})
    assert part.status_code == 206 and part.content == b"PAR1"
    assert part.headers["content-range"] == f"bytes 0-3/{listed[0]['size']}"

    def parts(u):
        split = urlsplit(u)
        return split.path, parse_qs(split.query)

    path0, query0 = parts(listed[0]["url"])
    path1, _ = parts(listed[1]["url"])
    swapped = f"{path1}?expires={query0['expires'][0]}&signature={query0['signature'][0]}"
    assert "signature" in error(acme.get(swapped), 403, "PERMISSION_DENIED")
    later = f"{path0}?expires={int(query0['expires'][0]) + 3600}&signature={query0['signature'][0]}"
    error(acme.get(later), 403, "PERMISSION_DENIED")
    error(acme.get(path0), 403, "PERMISSION_DENIED")  # unsigned
    for traversal in ("..%2F..%2Fdatavalley.db", "../../datavalley.db", "%2e%2e%2furl-secret"):
        assert acme.get(f"/delta-sharing/files/{traversal}?expires=9999999999&signature=00").status_code in (
            403,
            404,
        )

    secret = signing.url_secret(runtime.settings)
    payload = json.loads(__import__("base64").urlsafe_b64decode(path0.rsplit("/", 1)[1] + "=="))
    past, query = signing.sign(secret, payload, expires=int(time.time()) - 1)
    assert "expired" in error(acme.get(f"/delta-sharing/files/{past}?{query}"), 403, "PERMISSION_DENIED")
    # even a URL the server signed cannot name a file outside the copy or the table version
    for name in ("../manifest.json", "../../url-secret", "/etc/passwd", "part-00000.parquet/../../x"):
        forged, query = signing.sign(secret, payload | {"f": name}, expires=int(time.time()) + 60)
        error(acme.get(f"/delta-sharing/files/{forged}?{query}"), 403, "PERMISSION_DENIED")
    raw = {k: v for k, v in payload.items() if k != "c"} | {"f": "../../../../datavalley.db"}
    forged, query = signing.sign(secret, raw, expires=int(time.time()) + 60)
    error(acme.get(f"/delta-sharing/files/{forged}?{query}"), 403, "PERMISSION_DENIED")


def test_filtered_copies_are_cached_per_plan_and_version(world, acme, runtime, tmp_path):
    give(runtime, columns=["id", "name"])
    cache = runtime.settings.home / "sharing" / "cache"
    first = files(acme)
    copies = sorted(p.name for p in cache.iterdir())
    assert len(copies) == 1
    stamp = (cache / copies[0] / "part-00000.parquet").stat().st_mtime_ns
    assert [f["id"] for f in files(acme)] == [f["id"] for f in first]  # same file ids: reused
    assert (cache / copies[0] / "part-00000.parquet").stat().st_mtime_ns == stamp
    with runtime.session() as s:  # a column's tag changes what the plan masks: a new copy
        update_column(
            s, runtime.settings, "stats", "people", "people", "id", ColumnUpdate(tags=["free_text"])
        )
    assert [f["id"] for f in files(acme)] != [f["id"] for f in first]
    load_table(
        runtime, tmp_path, "people", "id,name,city,score,born,active,code,seen\n9,x,y,1,,,,\n", mode="append"
    )
    files(acme)
    assert len(list(cache.iterdir())) == 3
    old_url = first[0]["url"]  # made under terms that no longer hold
    assert "changed" in error(acme.get(old_url), 403, "PERMISSION_DENIED")


def test_provider_api_and_cli(world, client_as, cli, tmp_path, runtime, monkeypatch):
    li, otto = client_as("li"), client_as("otto", other="editor")
    mei = client_as("mei")
    assert li.post("/api/v1/shares", json={"name": "s2", "organization": "stats"}).status_code == 201
    assert otto.post("/api/v1/shares", json={"name": "s3", "organization": "stats"}).status_code == 404
    assert mei.post("/api/v1/shares/s2/tables", json={"table": "people/people"}).status_code == 403
    assert otto.get("/api/v1/shares/s2").status_code == 404
    assert li.post("/api/v1/shares/s2/tables", json={"table": "other/x/y"}).status_code == 422
    assert li.post("/api/v1/shares/s2/tables", json={"table": "people/nope"}).status_code == 422
    assert li.post("/api/v1/shares/s2/recipients", json={"recipient": "acme"}).status_code == 200
    assert otto.post("/api/v1/recipients", json={"name": "x", "organization": "stats"}).status_code == 404
    downloaded = li.post("/api/v1/recipients/acme/profile")
    assert downloaded.headers["content-disposition"] == 'attachment; filename="acme.share"'
    assert downloaded.json()["endpoint"] == "http://testserver/delta-sharing/"
    assert mei.post("/api/v1/recipients/acme/revoke").status_code == 403
    assert [r["name"] for r in otto.get("/api/v1/recipients").json()["data"]] == []

    monkeypatch.chdir(tmp_path)
    made = cli(
        "recipient", "create", "bank", "--org", "stats", "--share", "s", "--endpoint", "https://data.example"
    )
    assert made.exit_code == 0, made.output
    profile = json.loads((tmp_path / "bank.share").read_text())
    assert (
        profile["endpoint"] == "https://data.example/delta-sharing/"
        and profile["shareCredentialsVersion"] == 1
    )
    assert stat.S_IMODE((tmp_path / "bank.share").stat().st_mode) == 0o600
    again = cli("recipient", "profile", "bank")
    assert again.exit_code != 0 and "exists" in again.output  # never overwrites a profile
    shown = cli("share", "show", "s")
    assert shown.exit_code == 0 and "hidden from it" in shown.output and "no grant" in shown.output
    give(runtime)
    assert "grant" in cli("share", "show", "s", "--json").output
    assert cli("recipient", "revoke", "bank").exit_code == 0
    assert "revoked" in cli("recipient", "list").output
