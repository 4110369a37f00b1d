"""CKAN ``datastore_search`` filters answer on tables written by every write path (issue #13, item 6).

``filters`` ({"county": "南明区"}, a list, null) and ``q`` ({"county": "明"}) go through the rows API's
reader; a table whose history holds an upsert made it fail with a 500 before.
"""

from __future__ import annotations

import ckanapi
import pytest

from tests.interop.server import serving
from tests.query.write_paths import RECIPES, build

A = "/api/3/action"

#: datastore_search arguments → the ids of the rows they select from ``write_paths.ROWS``
SEARCHES: list[tuple[dict, list[int]]] = [
    ({"filters": {"county": "南明区"}}, [1]),
    ({"filters": {"county": ["南明区", "云岩区"]}}, [1, 2]),
    ({"filters": {"county": None}}, [4]),
    ({"filters": {"county": "云岩区", "year": 2023}}, [2]),
    ({"filters": {"county": ["花溪区"], "year": [2023, 2024]}}, [3]),
    ({"q": {"county": "明"}}, [1]),
    ({"filters": {"county": "nowhere"}}, []),
]


def _resource_id(call, table: str) -> str:
    package = call("package_show", id="stats--paths")
    return next(r["id"] for r in package["resources"] if r["name"] == table)


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_datastore_filters_on_every_write_path(client, runtime, tmp_path, recipe):
    build(runtime, tmp_path, recipe)

    def call(name: str, **args):
        response = client.post(f"{A}/{name}", json=args)
        assert response.status_code == 200, (args, response.text)
        return response.json()["result"]

    resource = _resource_id(call, recipe)
    for args, ids in SEARCHES:
        found = call("datastore_search", resource_id=resource, sort="id asc", **args)
        assert [r["id"] for r in found["records"]] == ids, args
        assert found["total"] == len(ids), args


@pytest.mark.parametrize("recipe", ["upsert", "legacy_upsert"])
def test_ckanapi_filters_a_table_with_an_upsert(runtime, tmp_path, recipe):
    """The stock client, over HTTP, as anonymous: the dataset is open data."""
    build(runtime, tmp_path, recipe)
    with serving(runtime) as url:
        remote = ckanapi.RemoteCKAN(url)
        resource = _resource_id(lambda name, **a: getattr(remote.action, name)(**a), recipe)
        for args, ids in SEARCHES:
            found = remote.action.datastore_search(resource_id=resource, sort="id asc", **args)
            assert [r["id"] for r in found["records"]] == ids, args
