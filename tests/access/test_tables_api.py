"""Tables over HTTP under the sharing rules: who lists and reads them, who loads and changes them."""

from __future__ import annotations

import pytest

from tests.api.expect import API, error_of, json_of
from tests.query.tables import PEOPLE_CSV, load_table

TABLE = f"{API}/datasets/stats/people/tables/people"


@pytest.fixture
def people(client, runtime, tmp_path):
    """``stats/people`` with the table ``people``: published, shared with every organization, not public."""
    load_table(runtime, tmp_path, "people", PEOPLE_CSV)
    body = {"sharing": "unconditional", "state": "published"}
    json_of(client.patch(f"{API}/datasets/stats/people", json=body))
    return client


def test_reading_tables_follows_the_sharing_class(people, client_as):
    anonymous, outsider = client_as(None), client_as("olga")
    reader, member = client_as("otto", other="member"), client_as("mei", stats="member")
    for path in (f"{API}/datasets/stats/people/tables", TABLE, f"{TABLE}/rows"):
        error_of(anonymous.get(path), 404)  # not public: to anonymous callers it does not exist
    assert json_of(outsider.get(f"{API}/datasets/stats/people/tables"))["count"] == 1
    assert json_of(outsider.get(TABLE))["row_count"] == 6  # the metadata is visible, to ask for it
    assert "belongs to none" in error_of(outsider.get(f"{TABLE}/rows"), 403)["message"]
    for caller in (reader, member, people):
        assert json_of(caller.get(f"{TABLE}/rows"))["count"] == 6

    json_of(people.patch(f"{API}/datasets/stats/people", json={"sharing": "none"}))
    error_of(reader.get(f"{TABLE}/rows"), 404)
    error_of(reader.get(f"{TABLE}/rows", params={"format": "csv"}), 404)
    assert json_of(member.get(f"{TABLE}/rows"))["count"] == 6


def test_only_editors_load_and_change_tables(people, client_as):
    editor, member = client_as("eddie", stats="editor"), client_as("mei", stats="member")
    outsider, anonymous = client_as("otto", other="editor"), client_as(None)
    header = PEOPLE_CSV.splitlines()[0]
    more = f"{header}\n7,七,,,,,,\n".encode()
    upload = f"{API}/datasets/stats/people/ingest?filename=p.csv&table=people&mode=append"
    changes = [
        ("post", upload, {"content": more}),
        ("post", f"{API}/datasets/stats/people/ingest/url", {"json": {"url": "https://example.org/x.csv"}}),
        ("post", f"{TABLE}/rollback", {"json": {"to_version": 0}}),
        ("patch", TABLE, {"json": {"title": "人口"}}),
        ("patch", f"{TABLE}/columns/name", {"json": {"tags": []}}),
        ("delete", TABLE, {}),
    ]
    for caller, status in ((member, 403), (outsider, 403), (anonymous, 404)):
        for method, path, kwargs in changes:
            error = error_of(getattr(caller, method)(path, **kwargs), status)
            if status == 403:
                assert "editor role in organization `stats`" in error["message"], (method, path)
    assert json_of(people.get(TABLE))["version"] == 0  # nothing happened

    loaded = json_of(editor.post(upload, content=more), 201)["data"][0]
    assert loaded["row_count"] == 7
    assert json_of(editor.patch(f"{TABLE}/columns/name", json={"tags": ["name"]}))["tags"] == ["name"]
    assert json_of(editor.post(f"{TABLE}/rollback", json={"to_version": 0}))["row_count"] == 6
    versions = json_of(editor.get(TABLE))["versions"]
    assert {v["user"] for v in versions if v["version"] > 0} == {"eddie"}  # the history says who
    assert editor.delete(TABLE).status_code == 204
