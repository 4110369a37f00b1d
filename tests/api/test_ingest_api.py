"""Loading over HTTP: multipart and raw uploads, from a URL, and changing tables."""

from __future__ import annotations

import http.server
import threading
from functools import partial

import pytest
from fastapi.testclient import TestClient

from datavalley.api.app import create_app
from tests.conftest import ADMIN, bearer


@pytest.fixture
def ds(client):
    assert client.post("/api/v1/organizations", json={"name": "stats"}).status_code == 201
    assert (
        client.post("/api/v1/datasets", json={"organization": "stats", "name": "people"}).status_code == 201
    )
    return client


def test_multipart_upload(ds):
    body = "县名,人口\n青山县,120000\n".encode("gbk")
    r = ds.post("/api/v1/datasets/stats/people/ingest", files={"file": ("人口统计.csv", body, "text/csv")})
    assert r.status_code == 201, r.text
    loaded = r.json()["data"][0]
    assert loaded["table"] == "stats/people/ren_kou_tong_ji"
    assert loaded["row_count"] == 1 and loaded["source"] == "人口统计.csv"
    assert [c["label"] for c in loaded["columns"]] == ["县名", "人口"]


def test_raw_upload_with_options(ds):
    r = ds.post("/api/v1/datasets/stats/people/ingest?filename=t.csv&table=t", content=b"id,v\n1,a\n")
    assert r.status_code == 201
    r = ds.post(
        "/api/v1/datasets/stats/people/ingest?filename=t.csv&table=t&mode=upsert&key=id",
        content=b"id,v\n1,b\n2,c\n",
    )
    assert r.status_code == 201 and r.json()["data"][0]["row_count"] == 2
    detail = ds.get("/api/v1/datasets/stats/people/tables/t")
    if detail.status_code == 200:  # the tables read routes
        assert detail.json()["row_count"] == 2


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/v1/datasets/stats/people/ingest?filename=x.csv", b"a,b\n1,2,3\n", 422, "source"),
        ("/api/v1/datasets/stats/people/ingest", b"a\n1\n", 422, "filename"),
        ("/api/v1/datasets/stats/people/ingest?filename=x.csv", b"", 422, "file"),
        ("/api/v1/datasets/stats/nope/ingest?filename=x.csv", b"a\n1\n", 404, None),
        ("/api/v1/datasets/stats/people/ingest?filename=x.csv&mode=sideways", b"a\n1\n", 422, "mode"),
    ],
)
def test_bad_uploads(ds, path, body, status, field):
    r = ds.post(path, content=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["status"] == status
    if field:
        assert error["details"][0]["field"] == field
    assert ds.get("/api/v1/health").status_code == 200


def test_table_changes(ds):
    ds.post("/api/v1/datasets/stats/people/ingest?filename=t.csv", content=b"id,v\n1,a\n")
    ds.post("/api/v1/datasets/stats/people/ingest?filename=t.csv&mode=overwrite", content=b"id,v\n1,a\n2,b\n")
    r = ds.post("/api/v1/datasets/stats/people/tables/t/rollback", json={"to_version": 0})
    assert r.status_code == 200 and (r.json()["version"], r.json()["row_count"]) == (2, 1)
    r = ds.patch(
        "/api/v1/datasets/stats/people/tables/t/columns/v", json={"tags": ["name"], "description": "姓名"}
    )
    assert r.status_code == 200 and r.json()["tags"] == ["name"]
    r = ds.patch("/api/v1/datasets/stats/people/tables/t/columns/v", json={"tags": ["nonsense"]})
    assert r.status_code == 422
    r = ds.patch("/api/v1/datasets/stats/people/tables/t", json={"title": "人口表"})
    assert r.status_code == 200 and r.json()["title"] == "人口表"
    assert ds.delete("/api/v1/datasets/stats/people/tables/t").status_code == 204
    assert (
        ds.post("/api/v1/datasets/stats/people/tables/t/rollback", json={"to_version": 0}).status_code == 404
    )


def test_deleting_a_dataset_removes_its_files(ds, settings):
    ds.post("/api/v1/datasets/stats/people/ingest?filename=t.csv", content=b"id\n1\n")
    site = settings.sites_dir / "local" / "stats" / "people"
    assert any(site.iterdir())
    assert ds.delete("/api/v1/datasets/stats/people").status_code == 204
    assert not site.exists() or not any(site.iterdir())


def test_private_urls_are_refused_by_default(ds):
    r = ds.post("/api/v1/datasets/stats/people/ingest/url", json={"url": "http://127.0.0.1:9/x.csv"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "url"
    r = ds.post("/api/v1/datasets/stats/people/ingest/url", json={"url": "file:///etc/passwd"})
    assert r.status_code == 422


@pytest.fixture
def file_server(tmp_path):
    (tmp_path / "served").mkdir()
    (tmp_path / "served" / "counties.csv").write_text("county,code\n青山县,0012\n", encoding="utf-8")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_ingest_from_url(settings, file_server):
    allowed = settings.model_copy(update={"ingest_allow_private_urls": True})
    app = create_app(allowed)
    with TestClient(app, raise_server_exceptions=False) as c:
        c.headers.update(bearer(app, ADMIN, platform_admin=True))
        c.post("/api/v1/organizations", json={"name": "stats"})
        c.post("/api/v1/datasets", json={"organization": "stats", "name": "people"})
        r = c.post("/api/v1/datasets/stats/people/ingest/url", json={"url": f"{file_server}/counties.csv"})
        assert r.status_code == 201, r.text
        assert r.json()["data"][0]["table"] == "stats/people/counties"
        r = c.post("/api/v1/datasets/stats/people/ingest/url", json={"url": f"{file_server}/missing.csv"})
        assert r.status_code == 422 and "404" in r.json()["error"]["message"]


def test_upload_errors_name_http_parameters_not_command_line_options(ds):
    r = ds.post("/api/v1/datasets/stats/people/ingest?filename=x.csv", content=b"a,b\n1,2,3\n")
    error = r.json()["error"]
    assert (
        r.status_code == 422
        and "`on_error=skip`" in error["message"]
        and "--on-error" not in error["message"]
    )
    assert "`on_error=skip`" in error["details"][0]["message"]
    ds.post("/api/v1/datasets/stats/people/ingest?filename=y.csv", content=b"a\n1\n")
    again = ds.post("/api/v1/datasets/stats/people/ingest?filename=y.csv", content=b"a\n1\n").json()["error"]
    assert "--mode" not in again["message"] and "`mode=append`" in again["message"]


def test_rejected_rows_are_named_by_a_file_under_the_home_not_a_server_path(ds, settings):
    """The checked client fails the test if the answer holds the home folder; the file is really there."""
    r = ds.post(
        "/api/v1/datasets/stats/people/ingest?filename=x.csv&on_error=skip", content=b"a,b\n1,2\n3,4,5\n6,7\n"
    )
    assert r.status_code == 201, r.text
    loaded = r.json()["data"][0]
    assert loaded["rows_written"] == 2 and loaded["rows_rejected"] == 1
    assert loaded["rejects_file"].startswith("rejects/")
    assert (settings.home / loaded["rejects_file"]).is_file()
