"""Every filter of the rows API answers on a table written by every write path (issue #13, item 6).

The upsert used to write ``string_view`` files beside the ``string`` files of every other load, and a
text filter on such a table was a 500 ("Function 'greater_equal' has no kernel matching input types
(string_view, string_view)"). Now every path stores one type per column, and tables written before
(the ``legacy_*`` recipes: files of deltalake's MERGE) answer the same filters.
"""

from __future__ import annotations

import pytest

from tests.query.write_paths import DATASET, LEGACY, RECIPES, build, plain, stored_types

#: rows API query → the ids of the rows it selects from ``write_paths.ROWS``
FILTERS: list[tuple[dict[str, str], list[int]]] = [
    ({"county": "南明区"}, [1]),
    ({"county__ne": "南明区"}, [2, 3, 4]),
    ({"county__in": "南明区,云岩区"}, [1, 2]),
    ({"county__in": '"南明区",nowhere'}, [1]),
    ({"county__isnull": "true"}, [4]),
    ({"county__isnull": "false"}, [1, 2, 3]),
    # text compares by code point: 云 (U+4E91) < 南 (U+5357) < 花 (U+82B1)
    ({"county__gt": "云岩区"}, [1, 3]),
    ({"county__gte": "南明区"}, [1, 3]),
    ({"county__lt": "南明区"}, [2]),
    ({"county__lte": "南明区"}, [1, 2]),
    ({"county__contains": "明"}, [1]),
    ({"county__startswith": "花"}, [3]),
    ({"county__gte": "云", "year": "2023"}, [1, 2]),
    ({"id__in": "2,4", "county__isnull": "false"}, [2]),
    ({"year__gte": "2024", "county__lt": "花"}, []),
]


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_every_filter_answers_on_every_write_path(client, runtime, tmp_path, recipe):
    location = build(runtime, tmp_path, recipe)
    if recipe not in LEGACY:
        assert plain(location), stored_types(location)
    url = f"/api/v1/datasets/{DATASET}/tables/{location.name}/rows"
    every = client.get(url, params={"sort": "id", "columns": "id,county,year"})
    assert every.status_code == 200, every.text
    assert [(r["id"], r["county"], r["year"]) for r in every.json()["rows"]] == [
        (1, "南明区", 2023),
        (2, "云岩区", 2023),
        (3, "花溪区", 2024),
        (4, None, 2024),
    ]
    for params, ids in FILTERS:
        page = client.get(url, params={**params, "sort": "id", "columns": "id,county"})
        assert page.status_code == 200, (params, page.text)
        assert [r["id"] for r in page.json()["rows"]] == ids, params
        assert page.json()["count"] == len(ids), params
        download = client.get(url, params={**params, "format": "ndjson", "sort": "-id", "columns": "id"})
        assert download.status_code == 200, (params, download.text)
        assert [int(line.split(":")[1].rstrip("}")) for line in download.text.split()] == ids[::-1], params


def test_paging_by_a_text_key_over_a_table_the_old_upsert_wrote(client, runtime, tmp_path):
    """The keyset cursor compares text keys too: page by page through view and plain files alike."""
    location = build(runtime, tmp_path, "legacy_upsert")
    url = f"/api/v1/datasets/{DATASET}/tables/{location.name}/rows"
    seen, cursor = [], None
    while True:
        params = {"sort": "-county", "limit": "1", "columns": "id", **({"cursor": cursor} if cursor else {})}
        page = client.get(url, params=params)
        assert page.status_code == 200, page.text
        seen += [r["id"] for r in page.json()["rows"]]
        cursor = page.json()["next"]
        if cursor is None:
            break
    assert seen == [3, 1, 2, 4]  # nulls last


@pytest.mark.parametrize("recipe", list(RECIPES))
def test_sql_filters_answer_on_every_write_path(client, runtime, tmp_path, recipe):
    """The SQL console reads the same tables: a text filter there is no 400 ("no kernel") either."""
    location = build(runtime, tmp_path, recipe)
    table = ".".join(f'"{part}"' for part in [*DATASET.split("/"), location.name])
    for where, ids in (
        ("county = '南明区'", [1]),
        ("county >= '南明区'", [1, 3]),
        ("county IN ('南明区', '云岩区')", [1, 2]),
        ("county IS NULL", [4]),
        ("county LIKE '%明%'", [1]),
    ):
        answer = client.post(
            "/api/v1/query", json={"sql": f"SELECT id FROM {table} WHERE {where} ORDER BY id"}
        )
        assert answer.status_code == 200, (where, answer.text)
        assert [row[0] for row in answer.json()["rows"]] == ids, where
