"""Who sees which dataset, through every catalog path of the API: a matrix of callers × datasets × paths.

Organization ``stats`` owns five datasets, one per kind; every caller asks for each through the listing,
the search (with its counts and facets), the dataset page, the table list and the organization's count.
A dataset the caller may not see answers exactly like one that does not exist.
"""

from __future__ import annotations

import pytest

from tests.api.expect import API, error_of, facet, json_of

DATASETS = {
    # name: (sharing, public, state)
    "draft": ("unconditional", True, "draft"),
    "open": ("unconditional", True, "published"),
    "shared": ("unconditional", False, "published"),
    "cond": ("conditional", False, "published"),
    "closed": ("none", False, "published"),
}
EVERY = set(DATASETS)
LOGGED_IN = {"open", "shared", "cond"}
#: caller → the datasets of ``stats`` they see
SEES = {
    "anonymous": {"open"},
    "outsider": LOGGED_IN,
    "member": EVERY,
    "editor": EVERY,
    "other_editor": LOGGED_IN,
    "admin": EVERY,
}


@pytest.fixture
def world(client, client_as):
    json_of(client.post(f"{API}/organizations", json={"name": "stats"}), 201)
    json_of(client.post(f"{API}/organizations", json={"name": "other"}), 201)
    for name, (sharing, public, state) in DATASETS.items():
        body = {
            "organization": "stats",
            "name": name,
            "title": f"{name} river levels",
            "sharing": sharing,
            "public": public,
            "state": state,
            "tags": [name, "water"],
        }
        json_of(client.post(f"{API}/datasets", json=body), 201)
    return {
        "anonymous": client_as(None),
        "outsider": client_as("olga"),
        "member": client_as("mei", stats="member"),
        "editor": client_as("eddie", stats="editor"),
        "other_editor": client_as("otto", other="editor"),
        "admin": client,
    }


def test_each_caller_sees_exactly_what_the_rules_allow(world):
    for who in SEES:
        check_what_is_seen(world[who], SEES[who])


def check_what_is_seen(caller, sees: set[str]) -> None:
    listed = json_of(caller.get(f"{API}/datasets", params={"limit": 100}))
    assert {d["name"] for d in listed["data"]} == sees
    assert listed["count"] == len(sees)

    found = json_of(caller.get(f"{API}/search", params={"q": "river", "limit": 100}))
    assert {d["name"] for d in found["data"]} == sees and found["count"] == len(sees)
    assert facet(found, "organization") == {"stats": len(sees)}
    assert facet(found, "tags") == {"water": len(sees), **{name: 1 for name in sees}}
    assert sum(facet(found, "sharing").values()) == len(sees)
    assert sum(facet(found, "state").values()) == len(sees)
    expected_sharing: dict[str, int] = {}
    for name in sees:
        expected_sharing[DATASETS[name][0]] = expected_sharing.get(DATASETS[name][0], 0) + 1
    assert facet(found, "sharing") == expected_sharing
    for name in EVERY - sees:  # not even by asking for its tag or its class
        assert json_of(caller.get(f"{API}/search", params={"tag": name}))["count"] == 0

    assert json_of(caller.get(f"{API}/organizations/stats"))["dataset_count"] == len(sees)
    orgs = json_of(caller.get(f"{API}/organizations"))["data"]
    assert {o["name"]: o["dataset_count"] for o in orgs} == {"stats": len(sees), "other": 0}

    missing = error_of(caller.get(f"{API}/datasets/stats/nope"), 404)["message"]
    missing_tables = error_of(caller.get(f"{API}/datasets/stats/nope/tables"), 404)["message"]
    for name in EVERY:
        shown = caller.get(f"{API}/datasets/stats/{name}")
        tables = caller.get(f"{API}/datasets/stats/{name}/tables")
        if name in sees:
            assert json_of(shown)["name"] == name
            assert json_of(tables) == {"data": [], "count": 0}
        else:  # hidden: word for word what a dataset that does not exist gets
            assert error_of(shown, 404)["message"] == missing.replace("nope", name)
            assert error_of(tables, 404)["message"] == missing_tables.replace("nope", name)


#: caller → status of PATCH on a dataset they see, for each caller (hidden ones get 404)
CHANGE = {"anonymous": 401, "outsider": 403, "member": 403, "editor": 200, "other_editor": 403, "admin": 200}


def test_only_editors_of_the_owner_change_its_datasets(world):
    for who in CHANGE:
        json_of(world["admin"].post(f"{API}/datasets", json={**OPEN, "name": f"del_{who}"}), 201)
    for who in CHANGE:
        check_changes(world[who], who)


OPEN = {"organization": "stats", "sharing": "unconditional", "public": True, "state": "published"}


def check_changes(caller, who: str) -> None:
    for name in EVERY:
        response = caller.patch(f"{API}/datasets/stats/{name}", json={"description": f"by {who}"})
        if name not in SEES[who]:
            error_of(response, 404)
        elif CHANGE[who] == 200:
            assert json_of(response)["description"] == f"by {who}"
        else:
            error = error_of(response, CHANGE[who])
            assert "editor" in error["message"] and "stats" in error["message"]
    created = caller.post(f"{API}/datasets", json={"organization": "stats", "name": f"new_{who}"})
    assert created.status_code == (201 if CHANGE[who] == 200 else CHANGE[who]), created.text
    deleted = caller.delete(f"{API}/datasets/stats/del_{who}")
    assert deleted.status_code == (204 if CHANGE[who] == 200 else CHANGE[who]), deleted.text


def test_organizations_are_managed_by_the_authority_and_their_admins(world, client_as):
    org_admin = client_as("ada", stats="admin")
    for who in ("anonymous", "outsider", "editor"):
        expected = 401 if who == "anonymous" else 403
        error_of(world[who].post(f"{API}/organizations", json={"name": f"x_{who}"}), expected)
        error_of(world[who].patch(f"{API}/organizations/stats", json={"title": "统计局"}), expected)
        error_of(world[who].delete(f"{API}/organizations/other"), expected)
    assert (
        json_of(org_admin.patch(f"{API}/organizations/stats", json={"title": "统计局"}))["title"] == "统计局"
    )
    error_of(org_admin.patch(f"{API}/organizations/other", json={"title": "x"}), 403)
    error_of(org_admin.delete(f"{API}/organizations/other"), 403)
    json_of(world["admin"].post(f"{API}/organizations", json={"name": "water"}), 201)
    assert world["admin"].delete(f"{API}/organizations/water").status_code == 204
