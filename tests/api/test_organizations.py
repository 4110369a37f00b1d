"""``/api/v1/organizations``: create, list, show, change and delete; bad input changes nothing."""

from __future__ import annotations

from tests.api.expect import API, error_of, invalid, json_of, still_serving, when

ORGS = f"{API}/organizations"


def test_organization_round_trip(client):
    body = {"name": "health", "title": "卫生健康委员会", "description": "Health commission"}
    created = json_of(client.post(ORGS, json=body), 201)
    assert created["name"] == "health" and created["title"] == "卫生健康委员会"
    assert created["description"] == "Health commission"
    assert created["kind"] == "department" and created["dataset_count"] == 0
    assert created["created"] == created["modified"]
    assert json_of(client.get(f"{ORGS}/health")) == created

    plain = json_of(client.post(ORGS, json={"name": "stats", "kind": "prefecture"}), 201)
    assert plain["title"] == "stats" and plain["description"] == ""  # title defaults to the name

    changed = json_of(client.patch(f"{ORGS}/health", json={"kind": "other", "description": "卫健委"}))
    assert changed["kind"] == "other" and changed["description"] == "卫健委"
    assert changed["title"] == "卫生健康委员会"  # not given, not changed
    assert changed["created"] == created["created"] and when(changed["modified"]) > when(created["modified"])
    assert json_of(client.get(f"{ORGS}/health")) == changed

    listing = json_of(client.get(ORGS))
    assert listing["count"] == 2 and [o["name"] for o in listing["data"]] == ["health", "stats"]

    assert client.delete(f"{ORGS}/stats").status_code == 204
    assert "stats" in error_of(client.get(f"{ORGS}/stats"), 404)["message"]
    assert json_of(client.get(ORGS))["count"] == 1


def test_listing_pages_and_filters_by_kind(client):
    for name, kind in [("d", "department"), ("c", "prefecture"), ("b", "department"), ("a", "enterprise")]:
        json_of(client.post(ORGS, json={"name": name, "kind": kind}), 201)
    json_of(client.post(f"{API}/datasets", json={"organization": "b", "name": "x"}), 201)
    json_of(client.post(f"{API}/datasets", json={"organization": "b", "name": "y"}), 201)

    every = json_of(client.get(ORGS))["data"]
    assert [(o["name"], o["dataset_count"]) for o in every] == [("a", 0), ("b", 2), ("c", 0), ("d", 0)]
    page = json_of(client.get(ORGS, params={"limit": 2, "offset": 1}))
    assert page["count"] == 4 and [o["name"] for o in page["data"]] == ["b", "c"]
    assert json_of(client.get(ORGS, params={"offset": 4}))["data"] == []
    assert json_of(client.get(ORGS, params={"limit": 0}))["count"] == 4
    departments = json_of(client.get(ORGS, params={"kind": "department"}))
    assert departments["count"] == 2 and [o["name"] for o in departments["data"]] == ["b", "d"]
    invalid(client.get(ORGS, params={"kind": "bank"}), "kind")
    invalid(client.get(ORGS, params={"limit": 1001}), "limit")
    invalid(client.get(ORGS, params={"offset": -1}), "offset")
    invalid(client.get(ORGS, params={"offset": 2**70}), "offset")
    still_serving(client)


def test_delete_is_refused_while_the_organization_has_datasets(client):
    json_of(client.post(ORGS, json={"name": "stats"}), 201)
    json_of(client.post(f"{API}/datasets", json={"organization": "stats", "name": "gdp"}), 201)

    error = error_of(client.delete(f"{ORGS}/stats"), 409)
    assert "`stats`" in error["message"] and "1 dataset" in error["message"]
    assert json_of(client.get(f"{ORGS}/stats"))["dataset_count"] == 1  # still there, dataset and all
    json_of(client.get(f"{API}/datasets/stats/gdp"))

    assert client.delete(f"{API}/datasets/stats/gdp").status_code == 204
    assert client.delete(f"{ORGS}/stats").status_code == 204
    error_of(client.get(f"{ORGS}/stats"), 404)


def test_bad_input_is_refused_and_changes_nothing(client):
    before = json_of(client.post(ORGS, json={"name": "stats", "title": "Statistics"}), 201)
    long_name = "a" * 64
    creates = [
        # body, status, the field named in details (or a text the message must contain)
        ({"name": "stats"}, 409, "`stats`"),  # taken: the message names it
        ({"name": "Stats"}, 422, "name"),
        ({"name": "STATS2"}, 422, "name"),
        ({"name": "1stats"}, 422, "name"),
        ({"name": "stats-2"}, 422, "name"),
        ({"name": "stats\n"}, 422, "name"),
        ({"name": ""}, 422, "name"),
        ({"name": long_name}, 422, "name"),
        ({"name": "ok", "title": "t" * 201}, 422, "title"),
        ({"name": "ok", "title": "   "}, 422, "title"),
        ({"name": "ok", "description": "d" * 20_001}, 422, "description"),
        ({"name": "ok", "kind": "bank"}, 422, "kind"),
        ({"name": "ok", "colour": "red"}, 422, "colour"),
        ({"name": "ok", "title": "a\x00b"}, 422, "title"),
        ({"title": "no name"}, 422, "name"),
        (["ok"], 422, "body"),
    ]
    for body, status, named in creates:
        error = error_of(client.post(ORGS, json=body), status)
        if status == 422:
            assert named in [d["field"] for d in error["details"]], (body, error)
        else:
            assert named in error["message"], (body, error)
        still_serving(client)
    truncated = client.post(ORGS, content=b'{"name": "ok",', headers={"content-type": "application/json"})
    invalid(truncated, "body")
    assert json_of(client.post(ORGS, json={"name": "a" * 63}), 201)["name"] == "a" * 63  # the longest name

    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"title": "x"}} if method == "patch" else {}
        error = error_of(client.request(method.upper(), f"{ORGS}/nowhere", **kwargs), 404)
        assert "`nowhere`" in error["message"], error

    invalid(client.patch(f"{ORGS}/stats", json={"name": "renamed"}), "name")
    invalid(client.patch(f"{ORGS}/stats", json={"title": "t" * 201}), "title")
    invalid(client.patch(f"{ORGS}/stats", json={"kind": "bank"}), "kind")
    invalid(client.patch(f"{ORGS}/stats", json={"description": "a\x00b"}), "description")

    assert json_of(client.get(f"{ORGS}/stats")) == before
    assert [o["name"] for o in json_of(client.get(ORGS))["data"]] == ["a" * 63, "stats"]
