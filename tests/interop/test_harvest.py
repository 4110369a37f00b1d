"""Harvesting from a second DataValley served on loopback, through its CKAN API and its DCAT catalog:
the first run brings the public datasets and their tables, the second changes nothing, a change at the
source is taken on the next run — and nothing but that change."""

from __future__ import annotations

import json

import pytest

from datavalley.catalog import service
from datavalley.catalog.schemas import DatasetUpdate
from datavalley.catalog.tables import describe_table
from datavalley.config import Settings
from datavalley.errors import InvalidInput
from datavalley.ingest.load import IngestRequest, ingest
from datavalley.interop.harvest import harvest
from datavalley.runtime import open_runtime
from tests.interop.catalog import PUBLIC, build_catalog
from tests.interop.server import serving

pytestmark = pytest.mark.slow


@pytest.fixture
def source(tmp_path):
    """Another DataValley (its own home and SQLite store) with the test catalog, served on loopback."""
    rt = open_runtime(Settings(home=tmp_path / "source", database_url=""))
    rt.initialise()
    build_catalog(rt, tmp_path)
    with serving(rt) as url:
        yield rt, url
    rt.close()


def state_of(rt, refs) -> dict[str, tuple]:
    """What a user would notice changing: each dataset's title and modified time, each table's version."""
    out = {}
    with rt.session() as s:
        for ref in refs:
            org, name = ref.split("/")
            ds = service.get_dataset(s, org, name)
            out[ref] = (ds.title, ds.modified)
            for table in ("gdp", "clinics"):
                try:
                    detail = describe_table(s, rt.settings, org, name, table)
                except Exception:
                    continue
                out[f"{ref}/{table}"] = (detail.version, detail.row_count)
    return out


def test_loopback_sources_are_refused_unless_allowed(runtime, source):
    _rt, url = source
    with pytest.raises(InvalidInput, match="private or local address"):
        harvest(runtime, "ckan", url)


def test_harvest_ckan_twice_then_a_change(runtime, source, tmp_path):
    src, url = source
    runtime.settings.ingest_allow_private_urls = True
    first = harvest(runtime, "ckan", url)
    assert sorted(first.created) == sorted(PUBLIC) and first.skipped == []
    assert sorted(first.tables_loaded) == ["health/clinics/clinics", "stats/county_gdp/gdp"]
    with runtime.session() as s:
        gdp = service.get_dataset(s, "stats", "county_gdp")
        org = service.get_organization(s, "stats")
    assert gdp.title == "县域GDP County GDP" and gdp.tags == ["gdp", "county", "统计"]
    assert gdp.themes == ["econ", "regi"] and gdp.update_frequency == "annual"
    assert (gdp.temporal_start.isoformat(), gdp.contact_email) == ("2010-01-01", "open@stats.example")
    assert gdp.public and gdp.sharing == "unconditional" and gdp.state == "published"
    assert org.title == "统计局 Statistics Bureau"
    before = state_of(runtime, PUBLIC)
    assert before["stats/county_gdp/gdp"] == (0, 3)

    second = harvest(runtime, "ckan", url)
    assert second.created == second.updated == second.tables_loaded == []
    assert sorted(second.unchanged) == sorted(PUBLIC)
    assert state_of(runtime, PUBLIC) == before

    with src.session() as s:  # the source changes one dataset's metadata and another's table
        service.update_dataset(s, "stats", "county_gdp", DatasetUpdate(title="County GDP, revised"))
    extra = tmp_path / "more.csv"
    extra.write_text("name,county,beds\nNew Clinic,南明区,5\n", encoding="utf-8")
    ingest(src, IngestRequest(source=str(extra), dataset="health/clinics", table="clinics", mode="append"))

    third = harvest(runtime, "ckan", url)
    assert sorted(third.updated) == ["health/clinics", "stats/county_gdp"]
    assert third.tables_loaded == ["health/clinics/clinics"]
    after = state_of(runtime, PUBLIC)
    assert after["stats/county_gdp"][0] == "County GDP, revised"
    assert after["stats/county_gdp/gdp"] == before["stats/county_gdp/gdp"]  # not loaded again
    assert after["health/clinics/clinics"] == (1, 3)  # a new version with the new row
    assert after["health/clinics"] == before["health/clinics"]  # its metadata did not change
    assert after["shop/prices"] == before["shop/prices"]


def test_harvest_dcat_with_the_cli_twice(runtime, source, cli, monkeypatch):
    _src, url = source
    monkeypatch.setenv("DATAVALLEY_INGEST_ALLOW_PRIVATE_URLS", "true")
    catalog = f"{url}/catalog.ttl?page_size=2"  # two pages: the Hydra `next` link is followed
    done = cli("harvest", "dcat", catalog, "--org", "mirror", "--json")
    assert done.exit_code == 0, done.output
    first = json.loads(done.output)
    mirrored = sorted(f"mirror/{ref.split('/')[1]}" for ref in PUBLIC)
    assert sorted(first["created"]) == mirrored and first["skipped"] == []
    assert sorted(first["tables_loaded"]) == ["mirror/clinics/clinics", "mirror/county_gdp/gdp"]
    with runtime.session() as s:
        gdp = service.get_dataset(s, "mirror", "county_gdp")
        detail = describe_table(s, runtime.settings, "mirror", "county_gdp", "gdp")
    assert gdp.title == "县域GDP County GDP" and gdp.license == "CC-BY-4.0"
    assert gdp.themes == ["econ", "regi"] and gdp.spatial == "云岭省 Yunling"
    assert detail.row_count == 3
    assert {c.name: c.type for c in detail.columns}["year"] == "int64"  # Parquet kept the types
    before = state_of(runtime, mirrored)

    again = json.loads(cli("harvest", "dcat", catalog, "--org", "mirror", "--json").output)
    assert again["created"] == again["updated"] == again["tables_loaded"] == []
    assert sorted(again["unchanged"]) == mirrored
    assert state_of(runtime, mirrored) == before

    text = cli("harvest", "dcat", f"{url}/catalog/nobody/nothing.ttl")
    assert text.exit_code != 0 and "404" in text.output
