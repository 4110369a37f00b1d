"""Search: Chinese and English full text, filters, facets over all matches, sorting, paging."""

from __future__ import annotations

import pytest

from datavalley.catalog import service
from datavalley.catalog.schemas import DatasetUpdate
from datavalley.catalog.search import SORT_KEYS, SearchQuery, search_datasets
from tests.factories import make_dataset, make_org


@pytest.fixture
def catalog(runtime):
    with runtime.session() as s:
        make_org(s, "rural")
        make_org(s, "stats")
        make_dataset(
            s,
            "rural/poverty",
            title="贫困人口动态监测",
            tags=["poverty", "扶贫"],
            themes=["soci"],
            description="Households at risk of poverty",
            state="published",
        )
        make_dataset(
            s,
            "stats/gdp",
            title="County GDP",
            description="Statistics of the economy by county",
            tags=["economy", "county"],
            themes=["econ"],
            sharing="unconditional",
            public=True,
            state="published",
        )
        make_dataset(
            s,
            "stats/population",
            title="人口普查 Census",
            description="Population by county and age",
            tags=["county", "population"],
            themes=["soci"],
            sharing="unconditional",
        )
    return runtime


def find(rt, **kw):
    with rt.session() as s:
        return search_datasets(s, SearchQuery(**kw))


def names(result):
    return [d.name for d in result.data]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("贫困", ["poverty"]),  # a two-character word inside a title without spaces
        ("动态监测", ["poverty"]),
        ("人口", ["poverty", "population"]),
        ("扶贫", ["poverty"]),  # a tag
        ("statistical", ["gdp"]),  # English by stem: statistics ~ statistical
        ("household", ["poverty"]),
        ("county economy", ["gdp"]),  # every word must match
        ("COUNTY", ["gdp", "population"]),
        ("nothing-like-this", []),
        ("!!!", []),
    ],
)
def test_full_text(catalog, q, expected):
    assert sorted(names(find(catalog, q=q))) == sorted(expected)


def test_search_follows_updates(catalog):
    with catalog.session() as s:
        service.update_dataset(s, "stats", "gdp", DatasetUpdate(description="地区生产总值"))
    assert names(find(catalog, q="生产")) == ["gdp"]
    assert names(find(catalog, q="statistics")) == []


def test_relevance_puts_the_better_match_first(catalog):
    with catalog.session() as s:
        make_dataset(s, "stats/county_list", title="County county county", description="county")
    assert names(find(catalog, q="county"))[0] == "county_list"


def test_filters(catalog):
    assert sorted(names(find(catalog, organization=["stats"]))) == ["gdp", "population"]
    assert sorted(names(find(catalog, organization=["stats", "rural"]))) == ["gdp", "population", "poverty"]
    assert names(find(catalog, tags=["county", "economy"])) == ["gdp"]  # all tags
    assert sorted(names(find(catalog, themes=["soci"]))) == ["population", "poverty"]
    assert names(find(catalog, sharing=["conditional"])) == ["poverty"]
    assert names(find(catalog, public=True)) == ["gdp"]
    assert names(find(catalog, state=["draft"])) == ["population"]
    assert names(find(catalog, q="人口", organization=["stats"])) == ["population"]


def test_facets_count_every_match_not_just_the_page(catalog):
    result = find(catalog, limit=1)
    assert result.count == 3 and len(result.data) == 1
    facets = {f.value: f.count for f in result.facets.organization}
    assert facets == {"stats": 2, "rural": 1}
    assert {f.value: f.count for f in result.facets.tags}["county"] == 2
    assert {f.value: f.count for f in result.facets.themes} == {"soci": 2, "econ": 1}
    assert {f.value: f.count for f in result.facets.sharing} == {"unconditional": 2, "conditional": 1}
    assert {f.value: f.count for f in result.facets.public} == {"false": 2, "true": 1}
    assert {f.value: f.count for f in result.facets.state} == {"published": 2, "draft": 1}


def test_facets_follow_the_query(catalog):
    result = find(catalog, q="county")
    assert {f.value: f.count for f in result.facets.organization} == {"stats": 2}


def test_paging_reaches_every_dataset_once(catalog):
    seen = []
    for offset in range(0, 4):
        page = find(catalog, sort="name", limit=1, offset=offset)
        assert page.count == 3
        seen += names(page)
    assert seen == ["gdp", "population", "poverty"]


@pytest.mark.parametrize("sort", SORT_KEYS)
def test_every_sort_key(catalog, sort):
    result = find(catalog, sort=sort)
    assert result.count == 3
    if sort in ("name", "-name"):
        expected = sorted(names(result), reverse=sort.startswith("-"))
        assert names(result) == expected
