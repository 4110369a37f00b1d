"""``datavalley search``: Chinese and English text, filters, facets, sorting and paging."""

from __future__ import annotations

import pytest

from tests.cli.expect import error_line, json_of, ok, refs
from tests.factories import make_dataset, make_org


@pytest.fixture
def catalog(runtime, cli):
    """Three datasets of two organizations; the CLI runner that searches them."""
    with runtime.session() as s:
        make_org(s, "rural")
        make_org(s, "stats")
        make_dataset(
            s,
            "rural/poverty",
            title="贫困人口动态监测",
            description="Households monitored for falling back into poverty",
            tags=["poverty", "扶贫"],
            themes=["soci"],
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
    return cli


def test_chinese_word_inside_a_title(catalog):
    cli = catalog
    shown = ok(cli("search", "贫困"))
    assert "1–1 of 1 dataset(s) found" in shown
    assert "rural/poverty" in shown and "贫困人口动态监测" in shown
    assert "stats/gdp" not in shown

    found = json_of(cli("search", "贫困", "--json"))
    assert found["count"] == 1
    assert found["data"][0]["title"] == "贫困人口动态监测"


TEXT_CASES = [
    ("动态监测", ["rural/poverty"]),
    ("人口", ["rural/poverty", "stats/population"]),
    ("扶贫", ["rural/poverty"]),  # a tag
    ("monitoring", ["rural/poverty"]),  # the description says "monitored"
    ("statistical", ["stats/gdp"]),  # the description says "Statistics"
    ("county economy", ["stats/gdp"]),  # every word must match
    ("COUNTY", ["stats/gdp", "stats/population"]),
    ("nothing-like-this", []),
]


def test_text(catalog):
    for text, expected in TEXT_CASES:
        assert sorted(refs(catalog("search", text, "--json"))) == expected, text


def test_facets_are_shown_for_every_match(catalog):
    cli = catalog
    shown = ok(cli("search", "county"))
    assert "2 dataset(s) found" in shown
    assert "facets" in shown
    for text in ("organization", "stats (2)", "county (2)", "sharing", "unconditional (2)", "state"):
        assert text in shown, text
    assert "rural (" not in shown

    facets = json_of(cli("search", "--limit", "1", "--json"))["facets"]
    assert {f["value"]: f["count"] for f in facets["organization"]} == {"stats": 2, "rural": 1}
    assert {f["value"]: f["count"] for f in facets["themes"]} == {"soci": 2, "econ": 1}
    assert {f["value"]: f["count"] for f in facets["sharing"]} == {"unconditional": 2, "conditional": 1}
    assert {f["value"]: f["count"] for f in facets["public"]} == {"false": 2, "true": 1}
    assert {f["value"]: f["count"] for f in facets["state"]} == {"published": 2, "draft": 1}


FILTER_CASES = [
    (["--org", "stats"], ["stats/gdp", "stats/population"]),
    (["--org", "stats", "--org", "rural"], ["rural/poverty", "stats/gdp", "stats/population"]),
    (["--tag", "county"], ["stats/gdp", "stats/population"]),
    (["--tag", "county", "--tag", "economy"], ["stats/gdp"]),  # all tags must match
    (["--theme", "soci"], ["rural/poverty", "stats/population"]),
    (["--sharing", "conditional"], ["rural/poverty"]),
    (["--public"], ["stats/gdp"]),
    (["--not-public"], ["rural/poverty", "stats/population"]),
    (["人口", "--org", "stats"], ["stats/population"]),
    (["county", "--sharing", "unconditional", "--public"], ["stats/gdp"]),
    (["--org", "nobody"], []),
]


def test_filters(catalog):
    for args, expected in FILTER_CASES:
        assert sorted(refs(catalog("search", *args, "--json"))) == expected, args


def test_filters_in_the_table(catalog):
    shown = ok(catalog("search", "--theme", "econ"))
    assert "1 dataset(s) found" in shown and "stats/gdp" in shown and "County GDP" in shown
    assert "rural/poverty" not in shown and "stats/population" not in shown


def test_sort_and_pages(catalog):
    cli = catalog
    assert refs(cli("search", "--sort", "name", "--json")) == [
        "stats/gdp",
        "stats/population",
        "rural/poverty",
    ]
    assert refs(cli("search", "--sort", "-name", "--json")) == [
        "rural/poverty",
        "stats/population",
        "stats/gdp",
    ]

    page = json_of(cli("search", "--sort", "name", "--limit", "1", "--offset", "1", "--json"))
    assert (page["count"], page["limit"], page["offset"]) == (3, 1, 1)
    assert [d["name"] for d in page["data"]] == ["population"]

    shown = ok(cli("search", "--sort", "name", "--limit", "2", "--offset", "1"))
    assert "2–3 of 3 dataset(s) found" in shown
    assert "stats/population" in shown and "rural/poverty" in shown and "stats/gdp" not in shown

    beyond = json_of(cli("search", "--limit", "5", "--offset", "10", "--json"))
    assert beyond["count"] == 3 and beyond["data"] == []


def test_nothing_found(catalog):
    shown = ok(catalog("search", "nothing-like-this"))
    assert "0 dataset(s) found" in shown
    assert "facets" not in shown


def test_bad_search_options_are_named(catalog):
    for args in (["--sharing", "open"], ["--sort", "popular"]):
        assert args[0] in error_line(catalog("search", *args)), args
    result = catalog("search", "--limit", "-1")  # a range click checks itself
    assert result.exit_code != 0 and "--limit" in result.stderr and "Traceback" not in result.output
