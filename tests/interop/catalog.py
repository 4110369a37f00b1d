"""A small catalog like the demo's: several organizations, datasets of every sharing class, tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from datavalley.ingest.load import IngestRequest, ingest
from datavalley.runtime import Runtime
from tests.factories import make_dataset, make_org

#: what the anonymous public sees (published + public), by ``org/name``
PUBLIC = ("stats/county_gdp", "health/clinics", "shop/prices")
#: datasets that exist but the anonymous public must not see
HIDDEN = ("stats/draft_census", "health/patients", "shop/internal_sales", "qingshan/registry")

GDP_CSV = "county,year,gdp\n观山湖区,2023,1203.5\n南明区,2023,980.25\n云岩区,2024,1102\n"
CLINICS_CSV = "name,county,beds\n仁心诊所,南明区,12\nLakeside Clinic,观山湖区,30\n"


def load_csv(rt: Runtime, tmp_path: Path, ref: str, table: str, text: str) -> None:
    path = tmp_path / f"{ref.replace('/', '_')}_{table}.csv"
    path.write_text(text, encoding="utf-8")
    ingest(rt, IngestRequest(source=str(path), dataset=ref, table=table, user="test"))


def build_catalog(rt: Runtime, tmp_path: Path, *, tables: bool = True) -> None:
    with rt.session() as s:
        make_org(s, "stats", title="统计局 Statistics Bureau", kind="department")
        make_org(s, "health", title="卫健委 Health Commission", kind="department")
        make_org(s, "shop", title="山谷电商 Valley Shop", kind="enterprise")
        make_org(s, "qingshan", title="青山州 Qingshan", kind="prefecture")
        make_dataset(
            s,
            "stats/county_gdp",
            title="县域GDP County GDP",
            description="GDP of every county, yearly.",
            tags=["gdp", "county", "统计"],
            themes=["econ", "regi"],
            license="CC-BY-4.0",
            update_frequency="annual",
            contact_name="Open data desk",
            contact_email="open@stats.example",
            spatial="云岭省 Yunling",
            temporal_start=date(2010, 1, 1),
            temporal_end=date(2024, 12, 31),
            sharing="unconditional",
            public=True,
            state="published",
        )
        make_dataset(
            s,
            "health/clinics",
            title="诊所 Clinics",
            tags=["health", "county"],
            themes=["heal"],
            license="proprietary",
            update_frequency="biannual",
            sharing="unconditional",
            public=True,
            state="published",
        )
        make_dataset(
            s,
            "shop/prices",
            title="Produce prices",
            description="Tea and chilli prices.",
            tags=["prices"],
            sharing="unconditional",
            public=True,
            state="published",
        )
        make_dataset(s, "stats/draft_census", title="Draft census", sharing="unconditional", public=True)
        make_dataset(s, "health/patients", title="Patients", sharing="conditional", state="published")
        make_dataset(s, "shop/internal_sales", title="Sales", sharing="unconditional", state="published")
        make_dataset(s, "qingshan/registry", title="Registry", sharing="none", state="published")
    if tables:
        load_csv(rt, tmp_path, "stats/county_gdp", "gdp", GDP_CSV)
        load_csv(rt, tmp_path, "health/clinics", "clinics", CLINICS_CSV)
        load_csv(rt, tmp_path, "health/patients", "visits", "id,diagnosis\n1,flu\n")
