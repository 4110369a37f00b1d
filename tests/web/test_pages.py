"""The portal's pages through the in-process client: status, what a visitor reads, escaping, errors."""

from __future__ import annotations

import html
import json
import logging
import re

import pytest
from markupsafe import escape

from datavalley.catalog import service
from datavalley.catalog.tables import ColumnUpdate, update_column
from tests.factories import make_dataset, make_org
from tests.query.tables import PEOPLE_CSV, csv_text, load_table

EVIL = '<script>alert("x")</script>'


def _explorer(page: str) -> dict:
    block = re.search(r'<script type="application/json" id="dv-explorer">(.*?)</script>', page, re.S)
    assert block, "the page hands the explorer its configuration"
    return json.loads(block.group(1))


@pytest.fixture
def catalog(app, client, tmp_path):
    """``stats`` with a public dataset (a table of 6 people, `name` tagged) and a conditional one."""
    rt = app.state.runtime
    with rt.session() as session:
        make_org(session, "stats", title="统计局 Statistics Bureau")
        make_dataset(
            session,
            "stats/people",
            title=f"People {EVIL}",
            description=f"Who lives where. {EVIL}",
            tags=["census", "人口"],
            themes=["soci"],
            sharing="unconditional",
            public=True,
            state="published",
            license="CC-BY-4.0",
        )
        make_dataset(
            session, "stats/incomes", title="Household incomes 收入", sharing="conditional", state="published"
        )
    load_table(rt, tmp_path, "residents", PEOPLE_CSV, dataset="stats/people")
    load_table(
        rt, tmp_path, "households", csv_text(["id", "income"], [(1, 10), (2, 20)]), dataset="stats/incomes"
    )
    with rt.session() as session:
        update_column(
            session,
            rt.settings,
            "stats",
            "people",
            "residents",
            "name",
            ColumnUpdate(tags=["name"], description=f"full name {EVIL}"),
        )
    return rt


def test_home_shows_what_the_visitor_may_see(catalog, client, anonymous):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    counts = dict(re.findall(r'data-stat="(\w+)">([\d,]+)<', page.text))
    assert counts == {"datasets": "2", "tables": "2", "rows": "8", "organizations": "1", "reads": "0"}
    assert "Household incomes" in page.text and "/search?theme=soci" in page.text

    public = anonymous.get("/")  # the conditional dataset is not for the anonymous public
    assert dict(re.findall(r'data-stat="(\w+)">([\d,]+)<', public.text)) == {
        "datasets": "1",
        "tables": "1",
        "rows": "6",
        "organizations": "1",
        "reads": "0",
    }
    assert "Household incomes" not in public.text
    assert (
        "Content-Security-Policy" in public.headers
        and "script-src 'self'" in public.headers["Content-Security-Policy"]
    )


def test_search_facets_and_paging(app, client):
    with app.state.runtime.session() as session:
        make_org(session, "health")
        for i in range(23):
            make_dataset(
                session,
                f"health/clinics_{i:02d}",
                title=f"Clinics {i:02d}",
                tags=["clinic"],
                themes=["heal"] if i % 2 else ["heal", "regi"],
                sharing="unconditional",
                state="published",
            )
    first = client.get("/search", params={"q": "clinics"})
    assert first.status_code == 200
    assert "23 datasets matching" in first.text and "Page 1 of 2" in first.text
    assert 'rel="next"' in first.text and first.text.count('class="card"') == 20
    second = client.get("/search", params={"q": "clinics", "page": "2"})
    assert second.text.count('class="card"') == 3 and 'rel="prev"' in second.text

    narrowed = client.get("/search", params={"q": "clinics", "theme": "regi"})
    assert "12 datasets matching" in narrowed.text
    # the chosen theme is shown as selected and its link takes it away again
    chosen = re.search(r'<a href="([^"]+)" class="facet-link selected"', narrowed.text)
    assert chosen and "theme=regi" not in html.unescape(chosen.group(1))

    # nonsense in the query string narrows nothing and breaks nothing
    odd = client.get("/search", params={"sharing": "bogus", "theme": "nope", "page": "-4", "sort": "x;drop"})
    assert odd.status_code == 200 and "23 datasets" in odd.text
    assert client.get("/search", params={"page": "99999999999999999999"}).status_code == 200
    assert client.get("/search", params={"q": "x" * 5000}).status_code == 200
    nul = client.get("/search", params={"q": "a\x00b"})
    assert nul.status_code == 422 and "text/html" in nul.headers["content-type"]


def test_dataset_page_escapes_and_describes_tables(catalog, client):
    page = client.get("/datasets/stats/people")
    assert page.status_code == 200
    assert EVIL not in page.text  # the title, description and column description are shown as text
    assert str(escape(f"People {EVIL}")) in page.text
    assert "full name &lt;script&gt;" in page.text
    assert "统计局 Statistics Bureau" in page.text and "CC-BY-4.0" in page.text
    assert "6 rows (exact)" in page.text and "Versions (1)" in page.text
    for column in ("id", "name", "city", "score", "born", "seen"):
        assert f"<code>{column}</code>" in page.text
    assert "Person&#39;s name" in page.text or "Person's name" in page.text  # the column's tag, translated
    assert "SELECT * FROM stats.people.residents" in page.text
    assert "/api/v1/datasets/stats/people/tables/residents/rows?format=csv" in page.text
    config = _explorer(page.text)
    assert config["rowsUrl"] == "/api/v1/datasets/stats/people/tables/residents/rows"
    assert config["rowCount"] == 6 and [c["name"] for c in config["columns"]][:3] == ["id", "name", "city"]
    assert client.get("/datasets/stats/people", params={"table": "nope"}).status_code == 200


def test_what_each_caller_may_read(catalog, client, anonymous, outsider):
    # the public reads the public table, with the `name` column masked (as the rows API does)
    public = anonymous.get("/datasets/stats/people")
    assert public.status_code == 200 and "masked: partly hidden" in public.text
    assert [c["masked"] for c in _explorer(public.text)["columns"] if c["name"] == "name"] == [True]
    # a conditional dataset does not exist for the anonymous public: the same 404 as the API
    hidden = anonymous.get("/datasets/stats/incomes")
    assert hidden.status_code == 404 and "Page not found" in hidden.text
    assert anonymous.get("/api/v1/datasets/stats/incomes").status_code == 404
    # a logged-in outsider finds it but may not read its rows, and is told why; no grid is offered
    seen = outsider.get("/datasets/stats/incomes")
    assert seen.status_code == 200 and 'id="no-access"' in seen.text and 'id="dv-explorer"' not in seen.text
    assert "approved request" in seen.text
    # the authority reads everything
    assert 'id="dv-explorer"' in client.get("/datasets/stats/incomes").text


def test_organizations(catalog, client, anonymous):
    listing = client.get("/organizations")
    assert listing.status_code == 200 and "统计局 Statistics Bureau" in listing.text
    assert "2 datasets" in listing.text
    assert "1 datasets" in anonymous.get("/organizations").text  # counts only what the visitor may see
    one = client.get("/organizations/stats")
    assert one.status_code == 200 and "Household incomes" in one.text and "Datasets (2)" in one.text
    assert client.get("/organizations/nobody").status_code == 404


def test_language_choice(catalog, anonymous):
    assert '<html lang="en">' in anonymous.get("/").text
    chinese = anonymous.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-Hans">' in chinese.text and "最新数据集" in chinese.text
    chosen = anonymous.get("/search", params={"lang": "zh"})
    assert "数据集" in chosen.text and chosen.cookies.get("lang") == "zh"
    # the cookie now wins over the browser's language; an unknown ?lang= changes nothing
    anonymous.cookies.set("lang", "zh")
    again = anonymous.get("/datasets/stats/people", params={"lang": "fr"}, headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in again.text and "使用这些数据" in again.text
    assert '<html lang="en">' in anonymous.get("/", params={"lang": "en"}).text


def test_error_pages_are_friendly_and_api_errors_stay_json(catalog, client, monkeypatch, caplog):
    missing = client.get("/no/such/page", headers={"Accept-Language": "zh"})
    assert missing.status_code == 404 and "页面不存在" in missing.text
    assert client.get("/datasets/stats/nothing").status_code == 404
    api = client.get("/api/v1/no/such/route")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert client.post("/search").status_code == 405
    bad_token = client.get("/", headers={"Authorization": "Bearer nonsense"})
    assert bad_token.status_code == 401 and "Please log in" in bad_token.text

    def boom(*_args, **_kwargs):
        raise RuntimeError("boom secret detail")

    monkeypatch.setattr(service, "get_dataset", boom)
    with caplog.at_level(logging.ERROR, logger="datavalley.web"):
        broken = client.get("/datasets/stats/people")
    assert broken.status_code == 500 and "text/html" in broken.headers["content-type"]
    incident = re.search(r"incident ([0-9a-f]{12})", broken.text)
    assert incident and incident.group(1) in caplog.text
    for leak in ("boom", "RuntimeError", "Traceback", 'File "'):
        assert leak not in broken.text
    assert client.get("/api/v1/datasets/stats/people").json()["error"]["code"] == "internal_error"
    assert client.get("/").status_code == 200  # and the server carries on
