"""``GET /api/v1/datasets`` and ``/api/v1/search``: full text, filters, facets, sorting and paging."""

from __future__ import annotations

import pytest

from tests.api.expect import API, facet, invalid, json_of, names, still_serving

ENDPOINTS = [f"{API}/search", f"{API}/datasets"]


@pytest.fixture
def catalog(client):
    """Three organizations and four datasets, in Chinese and English."""
    for org in ["rural", "stats", "health"]:
        json_of(client.post(f"{API}/organizations", json={"name": org}), 201)
    datasets = [
        {
            "organization": "rural",
            "name": "poverty",
            "title": "贫困人口动态监测",
            "description": "Households at risk of poverty",
            "tags": ["poverty", "扶贫"],
            "themes": ["soci"],
            "state": "published",
        },
        {
            "organization": "stats",
            "name": "gdp",
            "title": "County GDP",
            "description": "Statistics of the economy by county",
            "tags": ["economy", "county"],
            "themes": ["econ"],
            "sharing": "unconditional",
            "public": True,
            "state": "published",
        },
        {
            "organization": "stats",
            "name": "population",
            "title": "人口普查 Census",
            "description": "Population by county and age",
            "tags": ["county", "population"],
            "themes": ["soci", "regi"],
            "sharing": "unconditional",
        },
        {
            "organization": "health",
            "name": "clinics",
            "title": "Clinic visits",
            "description": "Visits to the clinics of each county",
            "tags": ["county", "health"],
            "themes": ["heal", "soci"],
            "sharing": "none",
            "state": "published",
        },
    ]
    for dataset in datasets:
        json_of(client.post(f"{API}/datasets", json=dataset), 201)
    json_of(client.patch(f"{API}/datasets/health/clinics", json={"state": "deprecated"}))
    return client


def test_full_text(catalog):
    cases = [
        ("贫困", ["poverty"]),  # a two-character word inside a title without spaces
        ("动态监测", ["poverty"]),
        ("人口", ["population", "poverty"]),
        ("扶贫", ["poverty"]),  # a tag
        ("statistical", ["gdp"]),  # "statistics" in the description, found by its stem
        ("households", ["poverty"]),
        ("visit", ["clinics"]),
        ("county economy", ["gdp"]),  # every word must match
        ("COUNTY", ["clinics", "gdp", "population"]),
        ("census 人口", ["population"]),
        ("nothing-like-this", []),
        ("!!!", []),
        ('"county" OR NEAR(', []),  # the query language of the store is not exposed
    ]
    for q, expected in cases:
        result = json_of(catalog.get(f"{API}/search", params={"q": q}))
        assert sorted(d["name"] for d in result["data"]) == expected, q
        assert result["count"] == len(expected), q
    # the two endpoints are one search
    search, listing = (
        json_of(catalog.get(e, params={"q": "county", "sort": "name", "limit": 2})) for e in ENDPOINTS
    )
    assert search == listing


def test_search_follows_changes(catalog):
    json_of(catalog.patch(f"{API}/datasets/stats/gdp", json={"description": "地区生产总值", "tags": ["gdp"]}))
    assert names(catalog.get(f"{API}/search", params={"q": "生产总值"})) == ["gdp"]
    assert names(catalog.get(f"{API}/search", params={"q": "statistical"})) == []
    assert names(catalog.get(f"{API}/search", params={"q": "economy"})) == []  # the old tag is gone

    assert catalog.delete(f"{API}/datasets/rural/poverty").status_code == 204
    result = json_of(catalog.get(f"{API}/search", params={"q": "人口"}))
    assert names(catalog.get(f"{API}/search", params={"q": "贫困"})) == []
    assert [d["name"] for d in result["data"]] == ["population"] and result["count"] == 1
    assert "rural" not in facet(json_of(catalog.get(f"{API}/search")), "organization")


def test_counts_facets_and_pages_cover_every_match(catalog):
    result = json_of(catalog.get(f"{API}/search", params={"limit": 1}))
    assert result["count"] == 4 and len(result["data"]) == 1
    assert facet(result, "organization") == {"stats": 2, "rural": 1, "health": 1}
    tags = {"county": 3, "poverty": 1, "扶贫": 1, "economy": 1, "population": 1, "health": 1}
    assert facet(result, "tags") == tags
    assert facet(result, "themes") == {"soci": 3, "econ": 1, "regi": 1, "heal": 1}
    assert facet(result, "sharing") == {"unconditional": 2, "conditional": 1, "none": 1}
    assert facet(result, "public") == {"false": 3, "true": 1}
    assert facet(result, "state") == {"published": 2, "draft": 1, "deprecated": 1}
    assert result["facets"]["organization"][0]["value"] == "stats"  # most frequent first

    # facets follow the query and the filters, and still count beyond the page
    matched = json_of(catalog.get(f"{API}/search", params={"q": "county", "limit": 1, "offset": 1}))
    assert matched["count"] == 3 and len(matched["data"]) == 1
    assert facet(matched, "organization") == {"stats": 2, "health": 1}
    assert facet(matched, "state") == {"published": 1, "draft": 1, "deprecated": 1}
    filtered = json_of(catalog.get(f"{API}/datasets", params={"theme": "soci", "limit": 0}))
    assert filtered["count"] == 3 and filtered["data"] == []
    assert facet(filtered, "themes") == {"soci": 3, "regi": 1, "heal": 1}
    assert facet(filtered, "sharing") == {"conditional": 1, "unconditional": 1, "none": 1}

    # paging reaches every dataset once, with the total on every page
    seen = []
    for offset in range(0, 6, 2):
        page = json_of(catalog.get(f"{API}/search", params={"sort": "name", "limit": 2, "offset": offset}))
        assert (page["count"], page["limit"], page["offset"]) == (4, 2, offset)
        seen += [d["name"] for d in page["data"]]
    assert seen == ["clinics", "gdp", "population", "poverty"]

    default = json_of(catalog.get(f"{API}/search"))
    assert (default["count"], default["limit"], default["offset"], len(default["data"])) == (4, 20, 0, 4)
    empty = json_of(catalog.get(f"{API}/search", params={"limit": 0}))
    assert empty["data"] == [] and empty["count"] == 4
    far = json_of(catalog.get(f"{API}/search", params={"offset": 2**63 - 1}))
    assert far["data"] == [] and far["count"] == 4


def test_filters(catalog):
    def find(**params):
        return sorted(names(catalog.get(f"{API}/datasets", params=params)))

    assert find(organization="stats") == ["gdp", "population"]
    assert find(organization=["stats", "rural"]) == ["gdp", "population", "poverty"]  # any of
    assert find(organization="nowhere") == []
    assert find(tag="county") == ["clinics", "gdp", "population"]
    assert find(tag=["county", "economy"]) == ["gdp"]  # all of
    assert find(tag="County") == ["clinics", "gdp", "population"]  # tags are lower-case
    assert find(tag="扶贫") == ["poverty"]
    assert find(theme="soci") == ["clinics", "population", "poverty"]
    assert find(theme=["soci", "regi"]) == ["population"]
    assert find(sharing="unconditional") == ["gdp", "population"]
    assert find(sharing=["conditional", "none"]) == ["clinics", "poverty"]  # any of
    assert find(public="true") == ["gdp"]
    assert find(public="false") == ["clinics", "population", "poverty"]
    assert find(state="draft") == ["population"]
    assert find(state=["published", "deprecated"]) == ["clinics", "gdp", "poverty"]
    assert find(q="county", organization="stats", state="published") == ["gdp"]
    assert find(q="人口", public="false", tag="county") == ["population"]


def test_every_sort_key(client):
    json_of(client.post(f"{API}/organizations", json={"name": "trees"}), 201)
    # created in this order, with titles in yet another order
    titles = {"alpha": "Aspen", "bravo": "Cedar", "delta": "Dogwood", "charlie": "Birch"}
    for name, title in titles.items():
        body = {"organization": "trees", "name": name, "title": title, "description": "timber"}
        json_of(client.post(f"{API}/datasets", json=body), 201)
    for name in ["alpha", "bravo"]:  # modified later than the others, in this order
        json_of(client.patch(f"{API}/datasets/trees/{name}", json={"description": "timber from the hills"}))

    by_name = ["alpha", "bravo", "charlie", "delta"]
    by_title = ["alpha", "charlie", "bravo", "delta"]
    by_created = ["alpha", "bravo", "delta", "charlie"]
    by_modified = ["delta", "charlie", "alpha", "bravo"]
    expected = {
        "name": by_name,
        "-name": by_name[::-1],
        "title": by_title,
        "-title": by_title[::-1],
        "created": by_created,
        "-created": by_created[::-1],
        "modified": by_modified,
        "-modified": by_modified[::-1],
        "relevance": by_modified[::-1],  # without words to rank by: most recently changed first
    }
    for sort, order in expected.items():
        assert names(client.get(f"{API}/search", params={"sort": sort})) == order, sort
    assert names(client.get(f"{API}/search")) == by_modified[::-1]  # the default without q

    # with words, relevance ranks the better match first, and is the default
    json_of(client.patch(f"{API}/datasets/trees/delta", json={"title": "Dogwood timber", "tags": ["timber"]}))
    assert names(client.get(f"{API}/search", params={"q": "timber", "sort": "relevance"}))[0] == "delta"
    assert names(client.get(f"{API}/search", params={"q": "timber"}))[0] == "delta"
    assert names(client.get(f"{API}/search", params={"q": "timber", "sort": "name"})) == by_name


def test_bad_search_parameters(client):
    cases = [
        ({"sort": "size"}, "sort"),
        ({"limit": -1}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"public": "maybe"}, "public"),
        ({"state": "archived"}, "state.0"),
        ({"sharing": ["none", "everyone"]}, "sharing.1"),
        ({"q": "x" * 501}, "q"),
        ({"q": "a\x00b"}, "q"),
        ({"organization": "a\x00b"}, "organization"),
    ]
    for params, field in cases:
        for endpoint in ENDPOINTS:
            invalid(client.get(endpoint, params=params), field)
    still_serving(client)
