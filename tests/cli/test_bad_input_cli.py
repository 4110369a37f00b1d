"""Bad input: one ``error: ...`` line on stderr naming the problem, a non-zero exit, nothing half-done."""

from __future__ import annotations

from typing import Any

import pytest

from datavalley.catalog import service
from datavalley.catalog.search import SearchQuery, search_datasets
from tests.cli.expect import error_line
from tests.factories import make_dataset, make_org

#: (arguments, what the error line must say)
CASES: list[tuple[list[str], list[str]]] = [
    # names already taken
    (["org", "create", "stats"], ["organization `stats` already exists"]),
    (["dataset", "create", "stats/gdp"], ["dataset `stats/gdp` already exists"]),
    # things that do not exist
    (["org", "show", "nope"], ["organization `nope` does not exist"]),
    (["org", "update", "nope", "--title", "Nope"], ["organization `nope` does not exist"]),
    (["org", "delete", "nope"], ["organization `nope` does not exist"]),
    (["dataset", "create", "nope/gdp"], ["organization `nope` does not exist"]),
    (["dataset", "list", "--org", "nope"], ["organization `nope` does not exist"]),
    (["dataset", "show", "stats/nope"], ["dataset `stats/nope` does not exist"]),
    (["dataset", "update", "stats/nope", "--title", "Nope"], ["dataset `stats/nope` does not exist"]),
    (["dataset", "delete", "stats/nope", "--yes"], ["dataset `stats/nope` does not exist"]),
    # names that are not slugs, references that are not ORG/NAME
    (["org", "create", "Stats"], ["`Stats`", "must match [a-z][a-z0-9_]*"]),
    (["org", "create", "water-works"], ["`water-works`", "must match"]),
    (["dataset", "create", "Stats/gdp"], ["organization name `Stats`", "must match"]),
    (["dataset", "create", "stats/GDP"], ["dataset name `GDP`", "must match"]),
    (["dataset", "create", "a/b/c"], ["`a/b/c` is not of the form ORG/DATASET"]),
    (["dataset", "show", "a/b/c"], ["`a/b/c` is not of the form ORG/DATASET"]),
    (["dataset", "create", "gdp"], ["`gdp` is not of the form ORG/DATASET"]),
    # open data must be unconditionally shareable
    (["dataset", "create", "stats/new", "--public"], ["only an `unconditional` dataset can be public"]),
    (
        ["dataset", "create", "stats/new", "--sharing", "none", "--public"],
        ["only an `unconditional` dataset can be public", "`none`"],
    ),
    (["dataset", "update", "stats/gdp", "--public"], ["only an `unconditional` dataset can be public"]),
    # values outside their closed sets
    (["dataset", "create", "stats/new", "--themes", "soci,space"], ["unknown theme `space`", "soci"]),
    (["dataset", "update", "stats/gdp", "--themes", "money"], ["unknown theme `money`"]),
    (["dataset", "create", "stats/new", "--sharing", "open"], ["--sharing", "'unconditional'"]),
    (["dataset", "update", "stats/gdp", "--sharing", "everyone"], ["--sharing", "'conditional'"]),
    (["dataset", "create", "stats/new", "--state", "final"], ["--state", "'published'"]),
    (["dataset", "create", "stats/new", "--update-frequency", "often"], ["--update-frequency", "'monthly'"]),
    (["org", "create", "new", "--kind", "ministry"], ["--kind", "'department'"]),
    # malformed values
    (["dataset", "create", "stats/new", "--contact-email", "nobody"], ["`nobody` is not an e-mail address"]),
    (["dataset", "update", "stats/gdp", "--contact-email", "a@b"], ["`a@b` is not an e-mail address"]),
    (
        ["dataset", "create", "stats/new", "--temporal-start", "2020-05-01", "--temporal-end", "2020-01-01"],
        ["2020-05-01", "2020-01-01"],
    ),
    (["dataset", "update", "stats/gdp", "--temporal-end", "1999-12-31"], ["1999-12-31", "2000-01-01"]),
    (["org", "update", "stats", "--title", "  "], ["--title"]),
    # the state forbids it
    (["org", "delete", "stats"], ["`stats` still has 1 dataset(s)"]),
]


@pytest.fixture
def catalog(runtime):
    with runtime.session() as s:
        make_org(s, "stats", title="统计局")
        make_org(s, "water")
        make_dataset(s, "stats/gdp", title="County GDP", temporal_start="2000-01-01")
    return runtime


def _everything(runtime) -> dict[str, Any]:
    with runtime.session() as s:
        return {
            "organizations": service.list_organizations(s).model_dump(),
            "datasets": search_datasets(s, SearchQuery(sort="name", limit=1000)).model_dump(),
        }


def test_each_bad_input_is_one_line_naming_the_problem(catalog, cli):
    before = _everything(catalog)
    for args, needles in CASES:
        line = error_line(cli(*args))
        for needle in needles:
            assert needle in line, (args, line)
        assert _everything(catalog) == before, f"`datavalley {' '.join(args)}` changed the catalog"
