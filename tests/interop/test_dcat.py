"""The DCAT-AP 3 catalog: valid against the DCAT-AP 3.0.1 SHACL shapes, public datasets only, paged."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS

from datavalley.api.app import create_app
from datavalley.interop.dcat import HYDRA
from tests.interop.catalog import HIDDEN, PUBLIC, build_catalog

SHAPES_DIR = Path(__file__).parent / "data" / "dcat-ap-3.0.1"
SHAPE_FILES = (
    "dcat-ap-SHACL.ttl",
    "shapes.ttl",
    "shapes_recommended.ttl",
    "range.ttl",
    "mdr-vocabularies.shape.ttl",
)
BASE = "http://testserver"
_shapes: Graph | None = None


def shapes() -> Graph:
    """Every shape file in one graph (none imports anything: validation stays offline)."""
    global _shapes
    if _shapes is None:
        _shapes = Graph()
        for name in SHAPE_FILES:
            _shapes.parse(SHAPES_DIR / name, format="turtle")
    return _shapes


def violations(data: Graph) -> list[str]:
    """Results of severity Violation (warnings, e.g. "publisher not in the EU corporate-body table",
    are advice for EU institutions and allowed)."""
    _conforms, report, _text = pyshacl.validate(
        data, shacl_graph=shapes(), allow_warnings=True, inference="none", advanced=False
    )
    sh = "http://www.w3.org/ns/shacl#"
    out = []
    top = report.value(predicate=RDF.type, object=URIRef(sh + "ValidationReport"), any=False)
    for result in report.objects(top, URIRef(sh + "result")):  # not the details of a warning
        if report.value(result, URIRef(sh + "resultSeverity")) == URIRef(sh + "Violation"):
            out.append(
                f"{report.value(result, URIRef(sh + 'focusNode'))} "
                f"{report.value(result, URIRef(sh + 'resultPath'))}: "
                f"{report.value(result, URIRef(sh + 'resultMessage'))}"
            )
    return out


@pytest.fixture
def web(settings, runtime, tmp_path):
    build_catalog(runtime, tmp_path)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def graph_of(response, fmt: str = "turtle") -> Graph:
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.content, format=fmt)


def dataset_ids(g: Graph) -> set[str]:
    return {str(g.value(d, DCTERMS.identifier)) for d in g.subjects(RDF.type, DCAT.Dataset)}


def test_catalog_is_valid_dcat_ap_and_shows_only_public_datasets(web):
    response = web.get("/catalog.ttl")
    assert response.headers["content-type"].startswith("text/turtle")
    g = graph_of(response)
    assert violations(g) == []
    assert dataset_ids(g) == set(PUBLIC)
    for hidden in HIDDEN:  # not even a mention of drafts, conditional, unshared, non-public datasets
        assert hidden.split("/")[1].encode() not in response.content
    assert b"visits" not in response.content  # the table of a conditional dataset

    catalog = URIRef(f"{BASE}/catalog")
    assert (catalog, RDF.type, DCAT.Catalog) in g
    assert len(list(g.objects(catalog, DCAT.dataset))) == len(PUBLIC)

    gdp = URIRef(f"{BASE}/catalog/stats/county_gdp")
    eu = "http://publications.europa.eu/resource/authority/"
    assert (gdp, DCAT.theme, URIRef(eu + "data-theme/ECON")) in g
    assert (gdp, DCTERMS.accrualPeriodicity, URIRef(eu + "frequency/ANNUAL")) in g
    assert {str(k) for k in g.objects(gdp, DCAT.keyword)} == {"gdp", "county", "统计"}
    assert (gdp, DCAT.landingPage, URIRef(f"{BASE}/datasets/stats/county_gdp")) in g
    period = g.value(gdp, DCTERMS.temporal)
    assert str(g.value(period, DCAT.startDate)) == "2010-01-01"
    assert str(g.value(period, DCAT.endDate)) == "2024-12-31"
    downloads = {str(g.value(d, DCAT.downloadURL)) for d in g.objects(gdp, DCAT.distribution)}
    rows = f"{BASE}/api/v1/datasets/stats/county_gdp/tables/gdp/rows"
    assert downloads == {f"{rows}?format=csv", f"{rows}?format=ndjson", f"{rows}?format=parquet"}
    licences = {g.value(d, DCTERMS.license) for d in g.objects(gdp, DCAT.distribution)}
    assert licences == {URIRef(eu + "licence/CC_BY_4_0")}


def test_download_urls_serve_the_rows(web):
    g = graph_of(web.get("/catalog.ttl"))
    gdp = URIRef(f"{BASE}/catalog/stats/county_gdp")
    for dist in g.objects(gdp, DCAT.distribution):
        url = str(g.value(dist, DCAT.downloadURL)).removeprefix(BASE)
        response = web.get(url)
        assert response.status_code == 200 and response.content
        if url.endswith("csv"):
            assert "观山湖区" in response.text


def without_paging(g: Graph) -> Graph:
    """The graph less its paging links (they name the page's own format)."""
    out = Graph()
    for s, p, o in g:
        if not any("?page=" in str(term) for term in (s, o)):
            out.add((s, p, o))
    return out


def test_the_three_serializations_say_the_same(web):
    turtle = without_paging(graph_of(web.get("/catalog.ttl")))
    jsonld = web.get("/catalog.jsonld")
    assert jsonld.headers["content-type"].startswith("application/ld+json")
    rdfxml = web.get("/catalog.rdf")
    assert rdfxml.headers["content-type"].startswith("application/rdf+xml")
    assert isomorphic(turtle, without_paging(graph_of(jsonld, "json-ld")))
    assert isomorphic(turtle, without_paging(graph_of(rdfxml, "xml")))
    assert len(turtle) > 100


def test_paging_with_hydra_links(web):
    first = graph_of(web.get("/catalog.ttl?page=1&page_size=2"))
    assert violations(first) == []
    page1 = URIRef(f"{BASE}/catalog.ttl?page=1&page_size=2")
    page2 = URIRef(f"{BASE}/catalog.ttl?page=2&page_size=2")
    assert first.value(page1, HYDRA.next) == page2 and first.value(page1, HYDRA.nextPage) == page2
    assert first.value(page1, HYDRA.last) == page2
    assert int(first.value(page1, HYDRA.totalItems)) == len(PUBLIC)
    second = graph_of(web.get("/catalog.ttl?page=2&page_size=2"))
    assert second.value(page2, HYDRA.previous) == page1 and second.value(page2, HYDRA.next) is None
    assert dataset_ids(first) | dataset_ids(second) == set(PUBLIC)
    assert len(dataset_ids(first)) == 2 and len(dataset_ids(second)) == 1
    beyond = graph_of(web.get("/catalog.ttl?page=9&page_size=2"))
    assert dataset_ids(beyond) == set() and violations(beyond) == []
    for bad in ("page=0", "page_size=1001", "page=x"):
        assert web.get(f"/catalog.ttl?{bad}").json()["error"]["status"] == 422


def test_one_dataset_document(web):
    for ext, fmt in (("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "xml")):
        g = graph_of(web.get(f"/catalog/health/clinics.{ext}"), fmt)
        assert dataset_ids(g) == {"health/clinics"}
        assert violations(g) == []
    # a licence outside the EU table is described by its name
    g = graph_of(web.get("/catalog/health/clinics.ttl"))
    licences = set(g.objects(None, DCTERMS.license))
    assert len(licences) == 1 and str(g.value(licences.pop(), RDFS.label)) == "proprietary"


def test_hidden_datasets_answer_like_missing_ones(web):
    for ref in HIDDEN:
        response = web.get(f"/catalog/{ref}.ttl")
        assert response.status_code == 404, ref
        assert response.json()["error"]["message"] == f"dataset `{ref}` does not exist"
    assert web.get("/catalog/nobody/nothing.ttl").status_code == 404
    wrong = web.get("/catalog/health/clinics.csv")
    assert wrong.status_code == 404 and ".ttl" in wrong.json()["error"]["message"]
    assert web.get("/catalog.exe").status_code == 404


def test_identifiers_redirect_by_accept_header(web):
    r = web.get("/catalog/health/clinics", headers={"accept": "application/ld+json"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{BASE}/catalog/health/clinics.jsonld"
    r = web.get("/catalog", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303
    r = web.get("/catalog", follow_redirects=False)
    assert r.headers["location"] == f"{BASE}/catalog.ttl"


def test_public_url_setting_is_the_base(web, monkeypatch):
    monkeypatch.setenv("DATAVALLEY_PUBLIC_URL", "https://data.yunling.example/")
    g = graph_of(web.get("/catalog.ttl"))
    assert (URIRef("https://data.yunling.example/catalog"), RDF.type, DCAT.Catalog) in g
    assert "testserver" not in web.get("/catalog.ttl").text
