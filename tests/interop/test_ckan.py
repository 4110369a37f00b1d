"""The CKAN Action API in-process: envelopes, errors, search filters, and the sharing rules on each action."""

from __future__ import annotations

import json

import pytest

from datavalley.catalog.tables import ColumnUpdate, update_column
from tests.interop.catalog import HIDDEN, PUBLIC, build_catalog, load_csv

A = "/api/3/action"


@pytest.fixture
def world(runtime, tmp_path, client):
    build_catalog(runtime, tmp_path)
    return client


def ok(response) -> object:
    body = response.json()
    assert response.status_code == 200 and body["success"] is True, response.text
    assert body["help"].endswith("/api/3/action/help_show?name=" + response.url.path.rsplit("/", 1)[1])
    return body["result"]


def failed(response, status: int, kind: str) -> dict:
    body = response.json()
    assert response.status_code == status, response.text
    assert body["success"] is False and body["error"]["__type"] == kind, body
    assert "result" not in body
    return body["error"]


def refs(packages: list[dict]) -> set[str]:
    return {p["name"].replace("--", "/") for p in packages}


def native_refs(client) -> set[str]:
    body = client.get("/api/v1/datasets?limit=1000").json()
    return {f"{d['organization']}/{d['name']}" for d in body["data"]}


def test_every_caller_sees_what_the_native_api_shows_them(world, anonymous, outsider, client_as):
    member = client_as("mei", stats="member")
    for who in (anonymous, outsider, member, world):
        expected = native_refs(who)
        assert refs(ok(who.get(f"{A}/package_search?rows=1000"))["results"]) == expected
        assert {n.replace("--", "/") for n in ok(who.get(f"{A}/package_list"))} == expected
    assert native_refs(anonymous) == set(PUBLIC)
    assert "stats/draft_census" in native_refs(member)  # their own draft
    assert "stats/draft_census" not in native_refs(outsider)


def test_package_show_by_name_id_or_ref_and_hidden_ones_are_not_found(world, anonymous):
    shown = ok(anonymous.get(f"{A}/package_show?id=stats--county_gdp"))
    assert shown["title"] == "县域GDP County GDP" and shown["organization"]["name"] == "stats"
    assert [t["name"] for t in shown["tags"]] == ["gdp", "county", "统计"]
    assert shown["resources"][0]["datastore_active"] is True
    assert shown["resources"][0]["url"].endswith("/tables/gdp/rows?format=csv")
    assert ok(anonymous.get(f"{A}/package_show?id={shown['id']}"))["name"] == "stats--county_gdp"
    assert ok(anonymous.get(f"{A}/package_show?id=stats/county_gdp"))["id"] == shown["id"]
    for ref in HIDDEN:
        error = failed(anonymous.get(f"{A}/package_show", params={"id": ref}), 404, "Not Found Error")
        assert error["message"] == f"Not found: package `{ref}` does not exist"
    missing = failed(anonymous.get(f"{A}/package_show"), 409, "Validation Error")
    assert missing["id"] == ["Missing value"]


def test_get_and_post_both_prefixes_unknown_parameters_ignored(world, anonymous):
    by_get = ok(anonymous.get(f"{A}/package_search?q=county&whatever=1"))
    by_post = ok(anonymous.post(f"{A}/package_search", json={"q": "county", "whatever": [1]}))
    by_old = ok(anonymous.post("/api/action/package_search", json={"q": "county"}))
    assert by_get["count"] == by_post["count"] == by_old["count"] == 2
    assert refs(by_get["results"]) == {"stats/county_gdp", "health/clinics"}


def test_fq_forms(world, anonymous):
    def found(**params) -> set[str]:
        return refs(ok(anonymous.post(f"{A}/package_search", json={"rows": 100, **params}))["results"])

    assert found(fq="organization:stats") == {"stats/county_gdp"}
    assert found(fq="organization:(stats OR shop)") == {"stats/county_gdp", "shop/prices"}
    assert found(fq="-organization:stats") == {"health/clinics", "shop/prices"}
    assert found(fq="tags:county") == {"stats/county_gdp", "health/clinics"}
    assert found(fq='tags:"统计" +organization:stats') == {"stats/county_gdp"}
    assert found(fq="groups:heal") == {"health/clinics"}
    assert found(fq="name:shop--prices") == {"shop/prices"}
    assert found(fq="license_id:CC-BY-4.0") == {"stats/county_gdp"}
    assert found(fq="res_format:CSV") == {"stats/county_gdp", "health/clinics"}
    assert found(fq="metadata_modified:[2000-01-01T00:00:00Z TO NOW]") == set(PUBLIC)
    assert found(fq="metadata_modified:[* TO 2000-01-01]") == set()
    assert found(fq="+dataset_type:dataset") == set(PUBLIC)
    assert found(q="tags:prices") == {"shop/prices"}
    # a filter can only narrow: asking for a hidden organization shows nothing of it
    assert found(fq="organization:qingshan") == set()
    for bad in ("colour:red", "metadata_modified:[yesterday TO NOW]", "tags:a OR tags:b", "gdp"):
        failed(anonymous.post(f"{A}/package_search", json={"fq": bad}), 400, "Search Query Error")


def test_rows_start_sort_and_facets(world, anonymous):
    page = ok(anonymous.get(f"{A}/package_search?rows=2&start=0&sort=name asc"))
    rest = ok(anonymous.get(f"{A}/package_search?rows=2&start=2&sort=name asc"))
    assert page["count"] == 3 and len(page["results"]) == 2 and len(rest["results"]) == 1
    assert [p["name"] for p in page["results"] + rest["results"]] == sorted(
        p.replace("/", "--") for p in PUBLIC
    )
    assert len(ok(anonymous.get(f"{A}/package_search?rows=5000"))["results"]) == 3  # capped, not refused
    failed(anonymous.get(f"{A}/package_search?rows=-1"), 409, "Validation Error")
    failed(anonymous.get(f"{A}/package_search?start=x"), 409, "Validation Error")
    failed(anonymous.get(f"{A}/package_search?sort=colour asc"), 400, "Search Query Error")
    result = ok(anonymous.get(f"{A}/package_search", params={"facet.field": '["organization","tags"]'}))
    assert result["facets"]["organization"] == {"stats": 1, "health": 1, "shop": 1}
    assert result["facets"]["tags"]["county"] == 2
    items = result["search_facets"]["organization"]["items"]
    assert {i["display_name"] for i in items} >= {"统计局 Statistics Bureau"}
    assert "qingshan" not in json.dumps(result)


def test_errors_keep_the_envelope(world, anonymous):
    error = failed(anonymous.get(f"{A}/no_such_action"), 400, "Bad request")
    assert "no_such_action" in error["message"]
    failed(
        anonymous.post(
            f"{A}/package_search", content=b"{not json", headers={"content-type": "application/json"}
        ),
        400,
        "Bad request",
    )
    failed(anonymous.post(f"{A}/package_search", json=["a list"]), 400, "Bad request")
    failed(anonymous.post(f"{A}/package_show", json={"id": "a\x00b"}), 409, "Validation Error")
    assert ok(anonymous.get("/api/3/action/status_show"))["api_version"] == 3


def test_tokens_the_way_ckan_clients_send_them(world, app):
    from fastapi.testclient import TestClient

    from tests.conftest import bearer

    token = bearer(app, "mei", stats="member")["Authorization"].removeprefix("Bearer ")
    for headers in (
        {"Authorization": token},
        {"X-CKAN-API-Key": token},
        {"Authorization": f"Bearer {token}"},
    ):
        member = TestClient(app, headers=headers)
        assert ok(member.get(f"{A}/package_show?id=stats--draft_census"))["state"] == "draft"
    for bad in ({"Authorization": "dv_nonsense"}, {"X-CKAN-API-Key": "x" * 10}):
        failed(TestClient(app, headers=bad).get(f"{A}/package_list"), 401, "Authorization Error")


def test_organizations_and_tags(world, anonymous):
    names = ok(anonymous.get(f"{A}/organization_list"))
    assert names == ["health", "qingshan", "shop", "stats"]
    full = ok(anonymous.get(f"{A}/organization_list?all_fields=true&sort=package_count desc"))
    assert {o["name"]: o["package_count"] for o in full} == {
        "health": 1,
        "qingshan": 0,
        "shop": 1,
        "stats": 1,
    }
    shown = ok(anonymous.get(f"{A}/organization_show?id=stats&include_datasets=true"))
    assert shown["title"] == "统计局 Statistics Bureau"
    assert [p["name"] for p in shown["packages"]] == ["stats--county_gdp"]
    assert ok(anonymous.get(f"{A}/organization_show?id={shown['id']}"))["name"] == "stats"
    failed(anonymous.get(f"{A}/organization_show?id=nobody"), 404, "Not Found Error")
    assert ok(anonymous.get(f"{A}/tag_list")) == sorted({"gdp", "county", "统计", "health", "prices"})
    assert ok(anonymous.get(f"{A}/tag_list?query=co")) == ["county"]


def _resource_id(client, ref: str) -> str:
    return ok(client.get(f"{A}/package_show", params={"id": ref}))["resources"][0]["id"]


def test_resource_show_and_datastore_search(world, anonymous):
    rid = _resource_id(anonymous, "stats/county_gdp")
    assert ok(anonymous.get(f"{A}/resource_show?id={rid}"))["datavalley_table"] == "stats/county_gdp/gdp"

    def search(**params) -> dict:
        return ok(anonymous.post(f"{A}/datastore_search", json={"resource_id": rid, **params}))

    everything = search()
    assert everything["total"] == 3 and len(everything["records"]) == 3
    assert [f["id"] for f in everything["fields"]] == ["county", "year", "gdp"]
    assert {f["id"]: f["type"] for f in everything["fields"]}["year"] == "int"
    assert search(filters={"year": 2023})["total"] == 2
    assert search(filters={"county": ["南明区", "云岩区"]})["total"] == 2
    assert search(q={"county": "观山"})["records"] == [{"county": "观山湖区", "year": 2023, "gdp": 1203.5}]
    assert search(fields="county", sort="gdp desc", limit=1)["records"] == [{"county": "观山湖区"}]
    sorted_all = [r["county"] for r in search(sort="gdp asc")["records"]]
    assert [r["county"] for r in search(sort="gdp asc", offset=1, limit=5)["records"]] == sorted_all[1:]
    assert search(sort="gdp asc", offset=5)["records"] == []
    assert "total" not in search(include_total=False)
    assert search(records_format="lists", sort="gdp asc", limit=1)["records"] == [["南明区", 2023, 980.25]]
    assert search(records_format="csv", sort="gdp asc", limit=1)["records"] == "南明区,2023,980.25\n"
    # the same as GET with JSON-valued parameters
    by_get = anonymous.get(
        f"{A}/datastore_search", params={"resource_id": rid, "filters": json.dumps({"year": 2024})}
    )
    assert ok(by_get)["total"] == 1
    for bad in ({"filters": {"nope": 1}}, {"sort": "gdp sideways"}, {"q": "free text"}, {"limit": "x"}):
        failed(
            anonymous.post(f"{A}/datastore_search", json={"resource_id": rid, **bad}), 409, "Validation Error"
        )
    failed(anonymous.post(f"{A}/datastore_search", json={"resource_id": "nope"}), 404, "Not Found Error")


def test_datastore_search_keeps_the_sharing_rules(world, runtime, tmp_path, anonymous, outsider, client_as):
    patients = _resource_id(world, "health/patients")  # conditional: the admin sees it
    failed(anonymous.post(f"{A}/datastore_search", json={"resource_id": patients}), 404, "Not Found Error")
    error = failed(
        outsider.post(f"{A}/datastore_search", json={"resource_id": patients}), 403, "Authorization Error"
    )
    assert "request" in error["message"]
    health = client_as("hu", health="member")
    assert ok(health.post(f"{A}/datastore_search", json={"resource_id": patients}))["total"] == 1
    # a public table with a tagged ID number column: the public reads it masked
    load_csv(runtime, tmp_path, "shop/prices", "buyers", "buyer_id,price\n520102199001011234,3.5\n")
    with runtime.session() as s:
        update_column(
            s, runtime.settings, "shop", "prices", "buyers", "buyer_id", ColumnUpdate(tags=["id_number"])
        )
    rid = _resource_id(anonymous, "shop/prices")
    masked = ok(anonymous.post(f"{A}/datastore_search", json={"resource_id": rid}))
    assert "520102199001011234" not in json.dumps(masked)
    found = ok(
        anonymous.post(
            f"{A}/datastore_search", json={"resource_id": rid, "filters": {"buyer_id": "520102199001011234"}}
        )
    )
    assert found["total"] == 0  # filtering on the hidden value finds nothing
    assert "520102199001011234" in json.dumps(
        ok(world.post(f"{A}/datastore_search", json={"resource_id": rid}))
    )


def test_package_create_and_update_for_editors(world, anonymous, client_as):
    editor = client_as("eddie", stats="editor")
    body = {
        "name": "bus-routes",
        "owner_org": "stats",
        "title": "公交线路 Bus routes",
        "notes": "Every route.",
        "tags": [{"name": "bus"}, {"name": "公交"}],
        "groups": [{"name": "tran"}],
        "license_id": "CC-BY-4.0",
        "extras": [
            {"key": "sharing", "value": "unconditional"},
            {"key": "update_frequency", "value": "monthly"},
        ],
        "private": False,
        "state": "active",
    }
    failed(anonymous.post(f"{A}/package_create", json=body), 401, "Authorization Error")
    failed(
        client_as("otto", other="editor").post(f"{A}/package_create", json=body), 403, "Authorization Error"
    )
    created = ok(editor.post(f"{A}/package_create", json=body))
    assert created["name"] == "stats--bus_routes" and created["private"] is False
    assert [g["name"] for g in created["groups"]] == ["tran"]
    assert "stats/bus_routes" in refs(ok(anonymous.get(f"{A}/package_search?rows=100"))["results"])
    taken = failed(editor.post(f"{A}/package_create", json=body), 409, "Validation Error")
    assert "already exists" in taken["message"]
    bad = failed(
        editor.post(f"{A}/package_create", json={**body, "name": "x2", "groups": ["nope"]}),
        409,
        "Validation Error",
    )
    assert "themes" in bad or "groups" in bad
    updated = ok(editor.post(f"{A}/package_update", json={"id": created["id"], "title": "Bus routes 2025"}))
    assert updated["title"] == "Bus routes 2025" and updated["notes"] == "Every route."
    failed(
        client_as("mei", stats="member").post(
            f"{A}/package_update", json={"id": created["id"], "title": "x"}
        ),
        403,
        "Authorization Error",
    )
    failed(
        editor.post(f"{A}/package_update", json={"id": "qingshan--registry", "title": "x"}),
        404,
        "Not Found Error",
    )


def test_datastore_search_sql(world, anonymous, outsider):
    rid = _resource_id(anonymous, "stats/county_gdp")
    result = ok(
        anonymous.post(
            f"{A}/datastore_search_sql", json={"sql": f'SELECT county FROM "{rid}" ORDER BY gdp DESC LIMIT 1'}
        )
    )
    assert result["records"] == [{"county": "观山湖区"}] and result["fields"] == [
        {"id": "county", "type": "text"}
    ]
    named = ok(
        anonymous.get(
            f"{A}/datastore_search_sql", params={"sql": "SELECT count(*) AS n FROM stats.county_gdp.gdp"}
        )
    )
    assert named["records"] == [{"n": 3}]
    patients = _resource_id(world, "health/patients")
    hidden = anonymous.post(f"{A}/datastore_search_sql", json={"sql": f'SELECT * FROM "{patients}"'})
    unknown = anonymous.post(f"{A}/datastore_search_sql", json={"sql": 'SELECT * FROM "no-such-id"'})
    assert failed(hidden, 400, "Bad request")["message"].replace(patients, "X") == failed(
        unknown, 400, "Bad request"
    )["message"].replace("no-such-id", "X")  # a hidden table looks like one that does not exist
    failed(
        anonymous.post(f"{A}/datastore_search_sql", json={"sql": "SELECT * FROM health.patients.visits"}),
        404,
        "Not Found Error",
    )
    failed(
        outsider.post(f"{A}/datastore_search_sql", json={"sql": "SELECT * FROM health.patients.visits"}),
        403,
        "Authorization Error",
    )
    for bad in ("DROP TABLE x", "SELECT * FROM read_csv('/etc/passwd')"):
        response = anonymous.post(f"{A}/datastore_search_sql", json={"sql": bad})
        assert response.status_code in (400, 409) and response.json()["success"] is False


def test_a_repeated_get_key_is_a_list_as_ckan_reads_it(world, anonymous):
    """``?facet.field=a&facet.field=b`` is how ``ckanapi -g`` and ``RemoteCKAN(get_only=True)`` send lists."""
    both = ok(anonymous.get(f"{A}/package_search?facet.field=organization&facet.field=tags&rows=0"))
    assert set(both["facets"]) == {"organization", "tags"}
    for field in ("organization", "tags"):
        alone = ok(anonymous.get(f"{A}/package_search", params={"facet.field": field, "rows": 0}))
        assert both["facets"][field] == alone["facets"][field]
    assert both["facets"]["tags"]["county"] == 2
    # fq_list: each filter applies (AND), as CKAN's fq_list
    narrowed = ok(anonymous.get(f"{A}/package_search?fq_list=tags:county&fq_list=organization:stats"))
    assert refs(narrowed["results"]) == {"stats/county_gdp"}
    assert refs(ok(anonymous.get(f"{A}/package_search?fq_list=tags:county"))["results"]) == {
        "stats/county_gdp",
        "health/clinics",
    }
    orgs = ok(anonymous.get(f"{A}/organization_list?organizations=stats&organizations=shop"))
    assert orgs == ["shop", "stats"]

    rid = _resource_id(anonymous, "stats/county_gdp")
    two = ok(anonymous.get(f"{A}/datastore_search?resource_id={rid}&fields=county&fields=year"))
    assert [f["id"] for f in two["fields"]] == ["county", "year"]
    assert all(set(r) == {"county", "year"} for r in two["records"]) and len(two["records"]) == 3
    ordered = ok(
        anonymous.get(f"{A}/datastore_search?resource_id={rid}&sort=year desc&sort=gdp asc&fields=county")
    )
    assert [r["county"] for r in ordered["records"]] == ["云岩区", "南明区", "观山湖区"]


def test_a_repeated_key_of_a_single_value_parameter_is_refused_by_name(world, anonymous):
    rid = _resource_id(anonymous, "stats/county_gdp")
    for path in (
        "package_search?rows=1&rows=2",
        "package_search?q=county&q=gdp",
        "package_search?sort=name asc&sort=title asc",
        "package_show?id=stats--county_gdp&id=shop--prices",
        f"datastore_search?resource_id={rid}&limit=1&limit=2",
        f"datastore_search?resource_id={rid}&q=a&q=b",
    ):
        name = path.split("&")[-1].split("=")[0]
        error = failed(anonymous.get(f"{A}/{path}"), 409, "Validation Error")
        assert error[name] == ["takes one value, not several: give it once"], (path, error)


def test_a_form_post_with_repeated_keys_gives_lists(world):
    created = ok(
        world.post(
            f"{A}/package_create",
            data={"name": "bus_routes", "owner_org": "stats", "tags": ["bus", "公交"]},
        )
    )
    assert [t["name"] for t in created["tags"]] == ["bus", "公交"]


def test_res_format_facet_filter_and_resources_agree(world, runtime, tmp_path, anonymous, client_as):
    """The res_format facet counts, fq=res_format: and the resources listed all come from one definition."""
    load_csv(runtime, tmp_path, "stats/county_gdp", "more", "a\n1\n")  # two resources, one dataset

    def formats(package: dict) -> set[str]:
        return {r["format"] for r in package["resources"]}

    for who in (anonymous, client_as("mei", stats="member"), world):
        params = {"rows": 1000, "facet.field": '["res_format"]', "facet.limit": -1}
        result = ok(who.get(f"{A}/package_search", params=params))
        counted: dict[str, int] = {}
        for package in result["results"]:
            for fmt in formats(package):
                counted[fmt] = counted.get(fmt, 0) + 1
        assert result["facets"]["res_format"] == counted
        for fmt in {*counted, "csv", "JSON", "Parquet", "PDF"}:
            found = ok(who.post(f"{A}/package_search", json={"rows": 1000, "fq": f"res_format:{fmt}"}))
            expected = {
                p["name"] for p in result["results"] if fmt.lower() in {f.lower() for f in formats(p)}
            }
            assert {p["name"] for p in found["results"]} == expected, fmt
        for package in result["results"]:
            assert (
                ok(who.get(f"{A}/package_show", params={"id": package["id"]}))["resources"]
                == package["resources"]
            )
            for resource in package["resources"]:
                assert ok(who.get(f"{A}/resource_show", params={"id": resource["id"]})) == resource
    public = ok(anonymous.get(f"{A}/package_search", params={"facet.field": '["res_format"]'}))
    assert public["facets"]["res_format"] == {"CSV": 2}  # county_gdp (two tables) and clinics
    assert ok(anonymous.get(f"{A}/package_search?fq=res_format:Parquet"))["count"] == 0
