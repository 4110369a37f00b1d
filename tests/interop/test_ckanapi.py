"""Acceptance with the stock CKAN client, ``ckanapi``, against a real server on loopback: its Python API
and its ``search datasets`` / ``dump datasets --all`` commands see exactly what the native API shows the
same caller."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import httpx
import pytest

from tests.factories import make_token, make_user
from tests.interop.catalog import PUBLIC, build_catalog
from tests.interop.server import serving

pytestmark = pytest.mark.slow
CKANAPI = str(Path(sys.executable).with_name("ckanapi"))


def native(url: str, token: str | None) -> set[str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = httpx.get(f"{url}/api/v1/datasets?limit=1000", headers=headers, timeout=30).json()
    return {f"{d['organization']}/{d['name']}" for d in body["data"]}


def cli(*args: str, token: str | None) -> list[dict]:
    command = [CKANAPI, *args] + (["-a", token] if token else [])
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAVALLEY_")}
    env["PATH"] = f"{Path(CKANAPI).parent}{os.pathsep}{env.get('PATH', '')}"  # dump's workers run `ckanapi`
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def refs(packages: list[dict]) -> set[str]:
    return {p["name"].replace("--", "/") for p in packages}


def test_ckanapi_sees_what_the_native_api_shows(runtime, tmp_path):
    build_catalog(runtime, tmp_path)
    with runtime.session() as s:
        make_user(s, "mei", stats="member")
        member = make_token(s, "mei")
        make_user(s, "boss", platform_admin=True)
        admin = make_token(s, "boss")
    with serving(runtime) as url:
        for token in (None, member, admin):
            expected = native(url, token)
            remote = ckanapi.RemoteCKAN(url, apikey=token)
            assert refs(remote.action.package_search(rows=1000)["results"]) == expected
            assert {n.replace("--", "/") for n in remote.action.package_list()} == expected
            assert refs(cli("search", "datasets", "-r", url, token=token)) == expected
            dumped = cli("dump", "datasets", "--all", "-q", "-r", url, token=token)
            assert refs(dumped) == expected
            assert all(p["resources"] == [] or p["resources"][0]["datastore_active"] for p in dumped)
        assert native(url, None) == set(PUBLIC)
        assert "stats/draft_census" in native(url, member) and "health/patients" in native(url, member)

        remote = ckanapi.RemoteCKAN(url)
        with pytest.raises(ckanapi.NotFound):
            remote.action.package_show(id="health--patients")
        found = remote.action.package_search(fq="organization:stats tags:county", q="gdp")
        assert found["count"] == 1 and found["results"][0]["name"] == "stats--county_gdp"
        resource = found["results"][0]["resources"][0]
        rows = remote.action.datastore_search(
            resource_id=resource["id"], filters={"year": 2023}, sort="gdp desc"
        )
        assert [r["county"] for r in rows["records"]] == ["观山湖区", "南明区"] and rows["total"] == 2
        with pytest.raises(ckanapi.ValidationError):
            remote.action.datastore_search(resource_id=resource["id"], filters={"nope": 1})
        with pytest.raises(ckanapi.NotAuthorized):
            ckanapi.RemoteCKAN(url, apikey="dv_" + "x" * 43).action.package_list()


def test_ckanapi_get_only_sends_lists_as_repeated_keys_and_writes_need_post(runtime, tmp_path):
    build_catalog(runtime, tmp_path)
    with runtime.session() as s:
        make_user(s, "eddie", stats="editor")
        editor = make_token(s, "eddie")
    with serving(runtime) as url:
        by_get = ckanapi.RemoteCKAN(url, get_only=True)
        found = by_get.call_action("package_search", {"facet.field": ["organization", "tags"], "rows": 0})
        assert set(found["facets"]) == {"organization", "tags"}
        assert found["facets"]["organization"] == {"stats": 1, "health": 1, "shop": 1}
        narrowed = by_get.action.package_search(fq_list=["tags:county", "organization:health"])
        assert refs(narrowed["results"]) == {"health/clinics"}
        rid = by_get.action.package_show(id="stats--county_gdp")["resources"][0]["id"]
        rows = by_get.action.datastore_search(
            resource_id=rid, fields=["county", "year"], sort=["year desc", "gdp"]
        )
        assert rows["records"] == [
            {"county": "云岩区", "year": 2024},
            {"county": "南明区", "year": 2023},
            {"county": "观山湖区", "year": 2023},
        ]
        # the command line, with -g: the same repeated keys
        (cli_found,) = cli(
            "action",
            "package_search",
            "-g",
            "-j",
            "-r",
            url,
            'facet.field:["organization","tags"]',
            "rows:0",
            token=None,
        )
        assert cli_found["facets"] == found["facets"]

        # writes: refused by GET (nothing changes), done by POST with the token
        with pytest.raises(ckanapi.CKANAPIError, match="Please use POST method"):
            ckanapi.RemoteCKAN(url, apikey=editor, get_only=True).action.package_update(
                id="stats--county_gdp", title="by GET"
            )
        assert by_get.action.package_show(id="stats--county_gdp")["title"] == "县域GDP County GDP"
        by_post = ckanapi.RemoteCKAN(url, apikey=editor)
        assert by_post.action.package_update(id="stats--county_gdp", title="by POST")["title"] == "by POST"
        created = by_post.action.package_create(name="bus_routes", owner_org="stats", tags=["bus", "公交"])
        assert [t["name"] for t in created["tags"]] == ["bus", "公交"]
        assert by_get.action.package_show(id="stats--county_gdp")["title"] == "by POST"
