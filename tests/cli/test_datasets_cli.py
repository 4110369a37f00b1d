"""``datavalley dataset create|list|show|update|delete`` as a user runs them."""

from __future__ import annotations

import pytest

from tests.cli.expect import error_line, json_of, ok, refs
from tests.factories import make_org


@pytest.fixture
def orgs(runtime, cli):
    """Two organizations without datasets; the CLI runner."""
    with runtime.session() as s:
        make_org(s, "rural", title="乡村振兴局")
        make_org(s, "stats", title="统计局")
    return cli


EVERY_OPTION = (
    "--title", "贫困人口动态监测",
    "--description", "Households monitored for falling back into poverty",
    "--tags", "poverty, 扶贫,county",
    "--themes", "soci,econ",
    "--license", "CC-BY-4.0",
    "--sharing", "unconditional",
    "--public",
    "--state", "published",
    "--update-frequency", "monthly",
    "--contact-name", "Monitoring Office 监测处",
    "--contact-email", "monitoring@rural.example",
    "--spatial", "云岭省",
    "--temporal-start", "2016-01-01",
    "--temporal-end", "2025-12-31",
)  # fmt: skip


def test_create_with_every_option_then_show(orgs):
    cli = orgs
    created = json_of(cli("dataset", "create", "rural/poverty", *EVERY_OPTION, "--json"))
    expected = {
        "organization": "rural",
        "name": "poverty",
        "title": "贫困人口动态监测",
        "description": "Households monitored for falling back into poverty",
        "tags": ["poverty", "扶贫", "county"],
        "license": "CC-BY-4.0",
        "sharing": "unconditional",
        "public": True,
        "state": "published",
        "update_frequency": "monthly",
        "contact_name": "Monitoring Office 监测处",
        "contact_email": "monitoring@rural.example",
        "spatial": "云岭省",
        "temporal_start": "2016-01-01",
        "temporal_end": "2025-12-31",
    }
    assert {k: created[k] for k in expected} == expected
    assert sorted(created["themes"]) == ["econ", "soci"]
    shown = json_of(cli("dataset", "show", "rural/poverty", "--json"))
    assert {k: shown[k] for k in expected} == expected
    assert shown["themes"] == ["econ", "soci"]  # themes are a set, kept in alphabetical order

    page = ok(cli("dataset", "show", "rural/poverty"))
    for text in (
        "dataset rural/poverty",
        "贫困人口动态监测",
        "Households monitored for falling back into poverty",
        "poverty, 扶贫, county",
        "econ, soci",
        "CC-BY-4.0",
        "unconditional",
        "published",
        "monthly",
        "Monitoring Office 监测处 monitoring@rural.example",
        "云岭省",
        "2016-01-01 – 2025-12-31",
    ):
        assert text in page, text


def test_plain_create_is_a_conditional_draft(orgs):
    cli = orgs
    assert "created dataset stats/gdp (draft)" in ok(cli("dataset", "create", "stats/gdp"))
    d = json_of(cli("dataset", "show", "stats/gdp", "--json"))
    assert (d["title"], d["state"], d["sharing"], d["public"], d["tags"], d["themes"]) == (
        "gdp",
        "draft",
        "conditional",
        False,
        [],
        [],
    )
    page = ok(cli("dataset", "show", "stats/gdp"))
    assert "draft" in page and "conditional" in page


def test_list_all_and_by_organization(orgs):
    cli = orgs
    ok(cli("dataset", "create", "stats/gdp", "--title", "County GDP"))
    ok(cli("dataset", "create", "stats/census", "--title", "人口普查"))
    ok(cli("dataset", "create", "rural/poverty", "--title", "贫困人口动态监测"))

    assert refs(cli("dataset", "list", "--json")) == ["stats/census", "stats/gdp", "rural/poverty"]
    everything = json_of(cli("dataset", "list", "--json"))
    assert everything["count"] == 3

    listed = ok(cli("dataset", "list"))
    assert "3 dataset(s)" in listed
    for text in ("stats/gdp", "County GDP", "stats/census", "人口普查", "rural/poverty", "贫困人口动态监测"):
        assert text in listed

    assert refs(cli("dataset", "list", "--org", "stats", "--json")) == ["stats/census", "stats/gdp"]
    only_rural = ok(cli("dataset", "list", "--org", "rural"))
    assert "1 dataset(s)" in only_rural and "rural/poverty" in only_rural and "stats/gdp" not in only_rural


def test_update_changes_only_the_options_given(orgs):
    cli = orgs
    ok(cli("dataset", "create", "rural/poverty", *EVERY_OPTION))
    before = json_of(cli("dataset", "show", "rural/poverty", "--json"))

    shown = ok(cli("dataset", "update", "rural/poverty", "--title", "贫困监测 Poverty monitoring"))
    assert "贫困监测 Poverty monitoring" in shown and "CC-BY-4.0" in shown
    after = json_of(cli("dataset", "show", "rural/poverty", "--json"))
    assert after["title"] == "贫困监测 Poverty monitoring"
    unchanged = {k: v for k, v in before.items() if k not in {"title", "modified"}}
    assert {k: after[k] for k in unchanged} == unchanged
    assert after["modified"] > before["modified"]

    after = json_of(
        cli("dataset", "update", "rural/poverty", "--tags", "low income", "--themes", "soci", "--json")
    )
    assert (after["tags"], after["themes"], after["license"]) == (["low income"], ["soci"], "CC-BY-4.0")
    cleared = json_of(cli("dataset", "update", "rural/poverty", "--tags", "", "--json"))
    assert cleared["tags"] == [] and cleared["themes"] == ["soci"]


def test_not_public_and_narrower_sharing_withdraw_open_data(orgs):
    cli = orgs
    ok(cli("dataset", "create", "stats/gdp", "--sharing", "unconditional", "--public"))
    d = json_of(cli("dataset", "update", "stats/gdp", "--not-public", "--json"))
    assert (d["public"], d["sharing"]) == (False, "unconditional")
    assert "public" in ok(cli("dataset", "show", "stats/gdp"))

    ok(cli("dataset", "update", "stats/gdp", "--public"))
    assert json_of(cli("dataset", "show", "stats/gdp", "--json"))["public"] is True
    d = json_of(cli("dataset", "update", "stats/gdp", "--sharing", "conditional", "--json"))
    assert (d["public"], d["sharing"]) == (False, "conditional")


def test_a_published_dataset_cannot_go_back_to_draft(orgs):
    cli = orgs
    ok(cli("dataset", "create", "stats/gdp", "--state", "published"))
    line = error_line(cli("dataset", "update", "stats/gdp", "--state", "draft"))
    assert "cannot become draft" in line
    assert json_of(cli("dataset", "show", "stats/gdp", "--json"))["state"] == "published"
    d = json_of(cli("dataset", "update", "stats/gdp", "--state", "deprecated", "--json"))
    assert d["state"] == "deprecated"


def test_delete_with_yes(orgs):
    cli = orgs
    ok(cli("dataset", "create", "stats/gdp"))
    ok(cli("dataset", "create", "stats/census"))
    assert "deleted dataset stats/gdp" in ok(cli("dataset", "delete", "stats/gdp", "--yes"))
    assert refs(cli("dataset", "list", "--json")) == ["stats/census"]
    assert "dataset `stats/gdp` does not exist" in error_line(cli("dataset", "show", "stats/gdp"))
    assert json_of(cli("org", "show", "stats", "--json"))["dataset_count"] == 1


def test_delete_asks_first_and_no_keeps_the_dataset(orgs):
    cli = orgs
    ok(cli("dataset", "create", "stats/gdp"))

    refused = cli("dataset", "delete", "stats/gdp", input="n\n")
    assert refused.exit_code != 0
    assert "delete dataset stats/gdp?" in refused.output
    assert "deleted" not in refused.output
    assert refs(cli("dataset", "list", "--json")) == ["stats/gdp"]

    confirmed = cli("dataset", "delete", "stats/gdp", input="y\n")
    assert confirmed.exit_code == 0 and "deleted dataset stats/gdp" in confirmed.output
    assert refs(cli("dataset", "list", "--json")) == []
