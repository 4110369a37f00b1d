"""``datavalley org create|list|show|update|delete`` as a user runs them."""

from __future__ import annotations

from tests.cli.expect import error_line, json_of, ok


def test_create_then_show_and_list(initialised):
    cli = initialised
    created = cli(
        "org",
        "create",
        "qingshan",
        "--title",
        "青山州人民政府",
        "--description",
        "Counties and townships of Qingshan",
        "--kind",
        "prefecture",
    )
    assert "created organization qingshan" in ok(created)
    org = json_of(cli("org", "create", "valley_shop", "--kind", "enterprise", "--json"))
    assert (org["name"], org["title"], org["kind"], org["dataset_count"]) == (
        "valley_shop",
        "valley_shop",  # the title defaults to the name
        "enterprise",
        0,
    )

    shown = ok(cli("org", "show", "qingshan"))
    for text in (
        "organization qingshan",
        "青山州人民政府",
        "prefecture",
        "Counties and townships of Qingshan",
    ):
        assert text in shown
    detail = json_of(cli("org", "show", "qingshan", "--json"))
    assert (
        detail["title"] == "青山州人民政府" and detail["description"] == "Counties and townships of Qingshan"
    )

    listed = ok(cli("org", "list"))
    assert "2 organization(s)" in listed
    for text in ("qingshan", "青山州人民政府", "valley_shop", "enterprise"):
        assert text in listed
    orgs = json_of(cli("org", "list", "--json"))
    assert orgs["count"] == 2
    assert [o["name"] for o in orgs["data"]] == ["qingshan", "valley_shop"]


def test_plain_create_is_a_department(initialised):
    cli = initialised
    ok(cli("org", "create", "stats"))
    org = json_of(cli("org", "show", "stats", "--json"))
    assert (org["title"], org["kind"], org["description"]) == ("stats", "department", "")


def test_list_counts_datasets(initialised):
    cli = initialised
    ok(cli("org", "create", "stats"))
    ok(cli("org", "create", "health"))
    ok(cli("dataset", "create", "stats/gdp"))
    ok(cli("dataset", "create", "stats/census"))
    counts = {o["name"]: o["dataset_count"] for o in json_of(cli("org", "list", "--json"))["data"]}
    assert counts == {"health": 0, "stats": 2}
    assert json_of(cli("org", "show", "stats", "--json"))["dataset_count"] == 2


def test_update_changes_only_what_is_given(initialised):
    cli = initialised
    ok(cli("org", "create", "stats", "--title", "Statistics", "--description", "Official figures"))
    before = json_of(cli("org", "show", "stats", "--json"))

    shown = ok(cli("org", "update", "stats", "--title", "云岭省统计局"))
    assert "云岭省统计局" in shown and "Official figures" in shown
    after = json_of(cli("org", "show", "stats", "--json"))
    assert after["title"] == "云岭省统计局"
    assert (after["description"], after["kind"], after["created"]) == (
        before["description"],
        before["kind"],
        before["created"],
    )

    after = json_of(cli("org", "update", "stats", "--kind", "other", "--description", "", "--json"))
    assert (after["title"], after["kind"], after["description"]) == ("云岭省统计局", "other", "")


def test_delete_is_refused_while_the_organization_has_datasets(initialised):
    cli = initialised
    ok(cli("org", "create", "stats"))
    ok(cli("dataset", "create", "stats/gdp"))

    line = error_line(cli("org", "delete", "stats"))
    assert "`stats` still has 1 dataset(s)" in line
    assert json_of(cli("org", "show", "stats", "--json"))["dataset_count"] == 1

    ok(cli("dataset", "delete", "stats/gdp", "--yes"))
    assert "deleted organization stats" in ok(cli("org", "delete", "stats"))
    assert "organization `stats` does not exist" in error_line(cli("org", "show", "stats"))
    assert json_of(cli("org", "list", "--json"))["count"] == 0
