"""A dataset's licence survives DCAT export → harvest, also without tables (issue #13, item 9).

DCAT-AP 3.0.1 puts ``dct:license`` on distributions, not datasets; a dataset without tables had no
distribution, so its licence was left out and ``datavalley harvest dcat`` created it without one. It
now gets one distribution, its landing page, which carries the licence.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS

from datavalley.api.app import create_app
from datavalley.catalog import service
from datavalley.config import Settings
from datavalley.interop.harvest import harvest
from datavalley.runtime import open_runtime
from tests.factories import make_dataset, make_org
from tests.interop.catalog import load_csv
from tests.interop.server import serving
from tests.interop.test_dcat import BASE, violations

EU_LICENCE = "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0"
#: dataset → its licence at the source (one in the EU table, one only named, one with a table)
LICENCES = {"empty_cc": "CC-BY-4.0", "empty_named": "贵州省政府数据开放许可", "with_table": "CC-BY-4.0"}


def _source_catalog(rt, tmp_path) -> None:
    with rt.session() as s:
        make_org(s, "open", title="Open data office", kind="department")
        for name, licence in LICENCES.items():
            make_dataset(
                s,
                f"open/{name}",
                title=f"Dataset {name}",
                license=licence,
                sharing="unconditional",
                public=True,
                state="published",
            )
        make_dataset(
            s, "open/empty_none", title="No licence", sharing="unconditional", public=True, state="published"
        )
    load_csv(rt, tmp_path, "open/with_table", "t", "a,b\n1,x\n")


@pytest.fixture
def source(tmp_path):
    rt = open_runtime(Settings(home=tmp_path / "source", database_url=""))
    rt.initialise()
    _source_catalog(rt, tmp_path)
    yield rt
    rt.close()


def test_a_dataset_without_tables_exports_its_licence_on_a_landing_page_distribution(source):
    with TestClient(create_app(source.settings), raise_server_exceptions=False) as web:
        response = web.get("/catalog.ttl")
        assert response.status_code == 200, response.text
        g = Graph().parse(data=response.content, format="turtle")
        single = Graph().parse(data=web.get("/catalog/open/empty_cc.ttl").content, format="turtle")
    assert violations(g) == [] and violations(single) == []

    dataset = URIRef(f"{BASE}/catalog/open/empty_cc")
    assert g.value(dataset, DCTERMS.license) is None  # not a DCAT-AP dataset property
    (dist,) = g.objects(dataset, DCAT.distribution)
    assert (dist, RDF.type, DCAT.Distribution) in g
    assert g.value(dist, DCAT.accessURL) == URIRef(f"{BASE}/datasets/open/empty_cc")
    assert g.value(dist, DCAT.downloadURL) is None
    assert g.value(dist, DCTERMS.license) == URIRef(EU_LICENCE)

    named = g.value(
        next(g.objects(URIRef(f"{BASE}/catalog/open/empty_named"), DCAT.distribution)), DCTERMS.license
    )
    assert str(g.value(named, RDFS.label)) == "贵州省政府数据开放许可"
    # no licence: the landing page is still the dataset's distribution, without one
    (bare,) = g.objects(URIRef(f"{BASE}/catalog/open/empty_none"), DCAT.distribution)
    assert g.value(bare, DCTERMS.license) is None
    # a dataset with a table keeps its three downloads, and no landing page distribution
    with_table = set(g.objects(URIRef(f"{BASE}/catalog/open/with_table"), DCAT.distribution))
    assert len(with_table) == 3 and all(g.value(d, DCAT.downloadURL) for d in with_table)


@pytest.mark.slow
def test_export_then_harvest_keeps_the_licence_of_datasets_with_and_without_tables(source, runtime):
    runtime.settings.ingest_allow_private_urls = True  # the source is served on loopback
    with serving(source) as url:
        report = harvest(runtime, "dcat", f"{url}/catalog.ttl", organization="mirror")
    assert sorted(report.created) == [
        "mirror/empty_cc",
        "mirror/empty_named",
        "mirror/empty_none",
        "mirror/with_table",
    ]
    assert report.tables_loaded == ["mirror/with_table/t"]  # the landing page is no table
    with runtime.session() as s:
        for name, licence in LICENCES.items():
            assert service.get_dataset(s, "mirror", name).license == licence, name
        assert not service.get_dataset(s, "mirror", "empty_none").license
