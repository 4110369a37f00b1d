"""``/api/v1/datasets``: create, show, change and delete; the rules on sharing, state and bad input."""

from __future__ import annotations

import pytest

from tests.api.expect import API, error_of, invalid, json_of, still_serving, when

DATASETS = f"{API}/datasets"

FULL = {
    "organization": "stats",
    "name": "county_gdp",
    "title": "  各县地区生产总值  ",
    "description": "Gross domestic product by county, 2016-2025",
    "tags": ["Economy", "  GDP  per   county ", "economy"],
    "themes": ["ECON", "regi"],
    "license": "CC-BY-4.0",
    "update_frequency": "annual",
    "contact_name": "王芳",
    "contact_email": "wang.fang@stats.example.cn",
    "spatial": "青山省",
    "temporal_start": "2016-01-01",
    "temporal_end": "2025-12-31",
    "sharing": "unconditional",
    "public": True,
    "state": "published",
}


@pytest.fixture
def stats(client):
    """A client whose store has the organization ``stats`` and nothing else."""
    json_of(client.post(f"{API}/organizations", json={"name": "stats"}), 201)
    return client


def count(client) -> int:
    return json_of(client.get(DATASETS, params={"limit": 0}))["count"]


def test_dataset_round_trip(stats):
    created = json_of(stats.post(DATASETS, json=FULL), 201)
    assert created["organization"] == "stats" and created["name"] == "county_gdp"
    assert created["title"] == "各县地区生产总值"  # surrounding blanks dropped
    assert created["tags"] == ["economy", "gdp per county"]  # lower-cased, blanks squeezed, no repeats
    assert created["themes"] == ["econ", "regi"]
    for key in ["description", "license", "update_frequency", "contact_name", "contact_email", "spatial"]:
        assert created[key] == FULL[key], key
    assert (created["temporal_start"], created["temporal_end"]) == ("2016-01-01", "2025-12-31")
    assert (created["sharing"], created["public"], created["state"]) == ("unconditional", True, "published")
    assert json_of(stats.get(f"{DATASETS}/stats/county_gdp")) == created
    assert json_of(stats.get(f"{API}/organizations/stats"))["dataset_count"] == 1

    bare = json_of(stats.post(DATASETS, json={"organization": "stats", "name": "bare"}), 201)
    assert bare["title"] == "bare" and bare["description"] == "" and bare["tags"] == bare["themes"] == []
    assert (bare["sharing"], bare["public"], bare["state"]) == ("conditional", False, "draft")
    assert bare["update_frequency"] == "unknown" and bare["temporal_start"] is None

    json_of(stats.post(f"{API}/organizations", json={"name": "other"}), 201)
    same_name = json_of(stats.post(DATASETS, json={"organization": "other", "name": "bare"}), 201)
    assert same_name["organization"] == "other"  # names are unique per organization only
    assert count(stats) == 3


def test_update_changes_only_the_fields_given(stats):
    created = json_of(stats.post(DATASETS, json=FULL), 201)
    url = f"{DATASETS}/stats/county_gdp"
    changed = json_of(stats.patch(url, json={"description": "按县统计", "tags": ["GDP"], "themes": []}))
    assert changed["description"] == "按县统计" and changed["tags"] == ["gdp"] and changed["themes"] == []
    untouched = {k: v for k, v in created.items() if k not in {"description", "tags", "themes", "modified"}}
    assert {k: changed[k] for k in untouched} == untouched
    assert when(changed["modified"]) > when(created["modified"])

    cleared = json_of(stats.patch(url, json={"license": None, "contact_email": None, "temporal_start": None}))
    assert [cleared[k] for k in ["license", "contact_email", "temporal_start"]] == [None, None, None]
    assert json_of(stats.get(url)) == cleared


def test_delete_dataset(stats):
    json_of(stats.post(DATASETS, json=FULL), 201)
    json_of(stats.post(DATASETS, json={"organization": "stats", "name": "kept", "title": "各县 GDP"}), 201)
    assert stats.delete(f"{DATASETS}/stats/county_gdp").status_code == 204

    assert "`stats/county_gdp`" in error_of(stats.get(f"{DATASETS}/stats/county_gdp"), 404)["message"]
    assert "`stats/county_gdp`" in error_of(stats.delete(f"{DATASETS}/stats/county_gdp"), 404)["message"]
    assert json_of(stats.get(f"{API}/organizations/stats"))["dataset_count"] == 1
    found = json_of(stats.get(f"{API}/search", params={"q": "各县"}))
    assert [d["name"] for d in found["data"]] == ["kept"] and found["count"] == 1
    # the name is free again
    assert json_of(stats.post(DATASETS, json={"organization": "stats", "name": "county_gdp"}), 201)


def test_lifecycle(stats):
    url = f"{DATASETS}/stats/d"
    json_of(stats.post(DATASETS, json={"organization": "stats", "name": "d"}), 201)
    error = error_of(stats.patch(url, json={"state": "deprecated"}), 409)
    assert "`stats/d`" in error["message"] and "draft" in error["message"]
    for state in ["draft", "published", "published", "deprecated", "published", "deprecated"]:
        assert json_of(stats.patch(url, json={"state": state}))["state"] == state
    json_of(stats.patch(url, json={"state": "published"}))

    # a published dataset never returns to draft, and a refused change changes nothing at all
    before = json_of(stats.get(url))
    error = error_of(stats.patch(url, json={"state": "draft", "description": "changed"}), 409)
    assert "`stats/d`" in error["message"] and "published" in error["message"] and "draft" in error["message"]
    assert json_of(stats.get(url)) == before
    invalid(stats.patch(url, json={"state": "archived"}), "state")
    invalid(stats.patch(url, json={"state": None}), "state")
    assert json_of(stats.get(url)) == before


def test_public_needs_unconditional_sharing(stats):
    for sharing in ["conditional", "none"]:
        body = {"organization": "stats", "name": "p", "sharing": sharing, "public": True}
        assert "unconditional" in invalid(stats.post(DATASETS, json=body), "public")["message"]
        invalid(stats.post(DATASETS, json={"organization": "stats", "name": "p", "public": True}), "public")
    assert count(stats) == 0  # nothing half-created

    url = f"{DATASETS}/stats/p"
    json_of(stats.post(DATASETS, json={"organization": "stats", "name": "p"}), 201)
    invalid(stats.patch(url, json={"public": True}), "public")
    assert json_of(stats.get(url))["public"] is False
    opened = json_of(stats.patch(url, json={"sharing": "unconditional", "public": True}))
    assert (opened["sharing"], opened["public"]) == ("unconditional", True)
    assert [d["name"] for d in json_of(stats.get(DATASETS, params={"public": "true"}))["data"]] == ["p"]

    # widening again, or asking for public with a narrower class, is refused and changes nothing
    invalid(stats.patch(url, json={"sharing": "conditional", "public": True}), "public")
    assert json_of(stats.get(url)) == opened

    # narrowing the sharing class withdraws the dataset from the public
    narrowed = json_of(stats.patch(url, json={"sharing": "none"}))
    assert (narrowed["sharing"], narrowed["public"]) == ("none", False)
    assert json_of(stats.get(DATASETS, params={"public": "true"}))["count"] == 0
    still = json_of(stats.patch(url, json={"sharing": "unconditional"}))
    assert (still["sharing"], still["public"]) == ("unconditional", False)  # widening does not publish


def test_bad_create_is_refused_and_creates_nothing(stats):
    json_of(stats.post(DATASETS, json={"organization": "stats", "name": "taken"}), 201)

    def ds(**fields):
        return {"organization": "stats", "name": "new", **fields}

    cases = [
        # body, status, the field named in details (422) or a text the message contains
        (ds(name="taken"), 409, "`stats/taken`"),
        ({"organization": "nowhere", "name": "new"}, 404, "`nowhere`"),
        (ds(name="New"), 422, "name"),
        (ds(name="new-one"), 422, "name"),
        (ds(name="9lives"), 422, "name"),
        (ds(name="n" * 64), 422, "name"),
        (ds(name="new\n"), 422, "name"),
        (ds(organization="Stats"), 422, "organization"),
        ({"name": "new"}, 422, "organization"),
        ({"organization": "stats"}, 422, "name"),
        (ds(title="t" * 201), 422, "title"),
        (ds(title=""), 422, "title"),
        (ds(description="d" * 20_001), 422, "description"),
        (ds(tags=["t" * 65]), 422, "tags.0"),
        (ds(tags=[f"t{i}" for i in range(51)]), 422, "tags"),
        (ds(tags=["ok", " "]), 422, "tags.1"),
        (ds(tags=["a,b"]), 422, "tags.0"),
        (ds(tags="economy"), 422, "tags"),
        (ds(themes=["econ", "space"]), 422, "themes.1"),
        (ds(contact_email="wang.fang"), 422, "contact_email"),
        (ds(contact_email="wang@fang"), 422, "contact_email"),
        (ds(temporal_start="2025-01-01", temporal_end="2024-12-31"), 422, "temporal_end"),
        (ds(temporal_start="2025-13-01"), 422, "temporal_start"),
        (ds(update_frequency="sometimes"), 422, "update_frequency"),
        (ds(sharing="everyone"), 422, "sharing"),
        (ds(state="archived"), 422, "state"),
        (ds(public="yes"), 422, "public"),
        (ds(license="l" * 101), 422, "license"),
        (ds(spatial="s" * 201), 422, "spatial"),
        (ds(colour="red"), 422, "colour"),
        (ds(title="a\x00b"), 422, "title"),
        (ds(tags=["a\x00b"]), 422, "tags"),
        ([], 422, "body"),
    ]
    for body, status, named in cases:
        error = error_of(stats.post(DATASETS, json=body), status)
        if status == 422:
            assert named in [d["field"] for d in error["details"]], (body, error)
        else:
            assert named in error["message"], (body, error)
        still_serving(stats)
    assert count(stats) == 1  # nothing half-created
    for raw in [b'{"organization": "stats", "name": ', b"organization=stats&name=new", b""]:
        invalid(stats.post(DATASETS, content=raw, headers={"content-type": "application/json"}), "body")
    assert json_of(stats.get(f"{API}/organizations/stats"))["dataset_count"] == 1
    assert json_of(stats.post(DATASETS, json=ds(name="n" * 63)), 201)["name"] == "n" * 63  # the longest name


def test_bad_update_is_refused_and_changes_nothing(stats):
    url = f"{DATASETS}/stats/gdp"
    before = json_of(stats.post(DATASETS, json={**FULL, "name": "gdp"}), 201)
    cases = [
        ({"title": None}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"description": "d" * 20_001}, "description"),
        ({"description": None}, "description"),
        ({"tags": ["t" * 65]}, "tags.0"),
        ({"tags": [f"t{i}" for i in range(51)]}, "tags"),
        ({"themes": ["space"]}, "themes.0"),
        ({"contact_email": "nobody"}, "contact_email"),
        ({"temporal_end": "2015-12-31"}, "temporal_end"),  # before the stored start
        ({"temporal_start": "2026-01-01"}, "temporal_end"),  # after the stored end
        ({"temporal_start": "2021-01-01", "temporal_end": "2020-01-01"}, "temporal_end"),
        ({"sharing": "conditional", "public": True}, "public"),
        ({"sharing": None}, "sharing"),
        ({"public": None}, "public"),
        ({"update_frequency": None}, "update_frequency"),
        ({"name": "renamed"}, "name"),
        ({"organization": "other"}, "organization"),
        ({"spatial": "a\x00b"}, "spatial"),
    ]
    for body, field in cases:
        invalid(stats.patch(url, json=body), field)
        still_serving(stats)
    invalid(stats.patch(url, content=b"{'title': 'x'}", headers={"content-type": "application/json"}), "body")
    assert json_of(stats.get(url)) == before

    assert "`stats/nowhere`" in error_of(stats.patch(f"{DATASETS}/stats/nowhere", json={}), 404)["message"]
    assert "`nowhere`" in error_of(stats.get(f"{DATASETS}/nowhere/gdp"), 404)["message"]
    assert "`nowhere`" in error_of(stats.delete(f"{DATASETS}/nowhere/gdp"), 404)["message"]
    assert count(stats) == 1
