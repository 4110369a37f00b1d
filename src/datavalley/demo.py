"""Synthetic sample data for ``make demo``: a fictional province, Yunling (云岭省), and its departments.

Everything here is invented; names of real places and bodies are avoided on purpose. Besides the catalog
and its tables, :func:`load_demo_access` adds three demo users (a consumer, a provider and the data
authority, with passwords meant for the demo only), a grant, a pending request and a month of synthetic
reads in the audit log, so that every page of the portal has something to show.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.catalog import service
from datavalley.catalog.models import Dataset, Organization
from datavalley.catalog.schemas import DatasetCreate, OrganizationCreate
from datavalley.runtime import Runtime

ORGANIZATIONS = [
    OrganizationCreate(
        name="bigdata_bureau",
        title="云岭省大数据发展管理局 Yunling Big Data Bureau",
        description="The data authority: runs the platform, reviews sharing requests, audits reads.",
        kind="department",
    ),
    OrganizationCreate(
        name="stats_bureau",
        title="云岭省统计局 Yunling Statistics Bureau",
        description="Official statistics of the province: population, economy, prices.",
        kind="department",
    ),
    OrganizationCreate(
        name="health_commission",
        title="云岭省卫生健康委员会 Yunling Health Commission",
        description="Hospitals, public health, births and vaccination records.",
        kind="department",
    ),
    OrganizationCreate(
        name="rural_revitalization",
        title="云岭省乡村振兴局 Yunling Rural Revitalization Office",
        description="Poverty monitoring and relief programmes in rural counties.",
        kind="department",
    ),
    OrganizationCreate(
        name="qingshan_prefecture",
        title="青山州人民政府 Qingshan Prefecture",
        description="A prefecture of Yunling: counties, townships and local services.",
        kind="prefecture",
    ),
    OrganizationCreate(
        name="valley_ecommerce",
        title="山谷电商有限公司 Valley E-commerce Ltd.",
        description="A rural e-commerce platform selling county produce.",
        kind="enterprise",
    ),
]

DATASETS: list[tuple[str, DatasetCreate]] = [
    (
        "rural_revitalization",
        DatasetCreate(
            name="poverty_monitoring",
            title="贫困人口动态监测 Dynamic monitoring of people at risk of poverty",
            description="Households monitored for falling back into poverty, by county and year: "
            "income per person, risk category, assistance measures.",
            tags=["poverty", "扶贫", "county", "income"],
            themes=["soci", "econ"],
            license="CC-BY-4.0",
            update_frequency="monthly",
            contact_name="Monitoring Office 监测处",
            contact_email="monitoring@rural.yunling.example",
            spatial="云岭省 Yunling Province",
            temporal_start=date(2016, 1, 1),
            temporal_end=date(2025, 12, 31),
            sharing="conditional",
            state="published",
        ),
    ),
    (
        "stats_bureau",
        DatasetCreate(
            name="county_indicators",
            title="县域经济社会指标 County economic and social indicators",
            description="GDP, population, urbanisation rate and disposable income for each county, yearly.",
            tags=["gdp", "population", "county", "统计"],
            themes=["econ", "regi"],
            license="CC-BY-4.0",
            update_frequency="annual",
            contact_name="Statistics Bureau open data desk",
            contact_email="opendata@stats.yunling.example",
            spatial="云岭省 Yunling Province",
            temporal_start=date(2010, 1, 1),
            temporal_end=date(2025, 12, 31),
            sharing="unconditional",
            public=True,
            state="published",
        ),
    ),
    (
        "health_commission",
        DatasetCreate(
            name="hospital_visits",
            title="医院门诊就诊记录 Hospital outpatient visits",
            description="Outpatient visits with the patient's resident ID number (masked when shared), "
            "diagnosis group and hospital.",
            tags=["health", "hospital", "医疗"],
            themes=["heal"],
            license="proprietary",
            update_frequency="daily",
            contact_name="Health Information Centre",
            contact_email="hic@health.yunling.example",
            spatial="云岭省 Yunling Province",
            sharing="conditional",
            state="published",
        ),
    ),
    (
        "health_commission",
        DatasetCreate(
            name="vaccination_points",
            title="疫苗接种点 Vaccination points",
            description="Addresses and opening hours of vaccination points in every county.",
            tags=["health", "vaccination", "疫苗"],
            themes=["heal"],
            license="CC-BY-4.0",
            update_frequency="weekly",
            spatial="云岭省 Yunling Province",
            sharing="unconditional",
            public=True,
            state="published",
        ),
    ),
    (
        "valley_ecommerce",
        DatasetCreate(
            name="rural_ecommerce_turnover",
            title="农村电商交易额 Rural e-commerce turnover",
            description="Monthly online sales of county produce: tea, chillies, kiwi fruit, by county.",
            tags=["e-commerce", "电商", "agriculture", "county"],
            themes=["econ", "agri"],
            license="CC-BY-4.0",
            update_frequency="monthly",
            spatial="青山州 Qingshan Prefecture",
            temporal_start=date(2019, 1, 1),
            sharing="unconditional",
            state="published",
        ),
    ),
    (
        "bigdata_bureau",
        DatasetCreate(
            name="data_centres",
            title="数据中心资源目录 Data-centre inventory",
            description="Sites, racks, servers, power usage effectiveness (PUE) and energy sources of the "
            "province's data centres.",
            tags=["data centre", "energy", "pue", "数据中心"],
            themes=["tech", "ener"],
            license="CC-BY-4.0",
            update_frequency="quarterly",
            sharing="unconditional",
            public=True,
            state="published",
        ),
    ),
    (
        "qingshan_prefecture",
        DatasetCreate(
            name="household_registry",
            title="户籍人口登记 Household registration",
            description="Registered residents of the prefecture. Never shared outside the prefecture.",
            tags=["population", "户籍"],
            themes=["soci"],
            update_frequency="daily",
            spatial="青山州 Qingshan Prefecture",
            sharing="none",
            state="published",
        ),
    ),
]


@dataclass
class DemoCounts:
    organizations: int = 0
    datasets: int = 0
    tables: int = 0


def load_demo(session: Session) -> DemoCounts:
    """Create whatever of the sample catalog is missing; existing entries are left as they are."""
    counts = DemoCounts()
    existing_orgs = set(session.scalars(select(Organization.name)))
    for org in ORGANIZATIONS:
        if org.name not in existing_orgs:
            service.create_organization(session, org)
            counts.organizations += 1
    existing = {
        (o, d) for o, d in session.execute(select(Organization.name, Dataset.name).join(Dataset.organization))
    }
    for org_name, dataset in DATASETS:
        if (org_name, dataset.name) not in existing:
            service.create_dataset(session, org_name, dataset)
            counts.datasets += 1
    return counts


def load_demo_tables(rt: Runtime) -> int:
    """Load the synthetic tables that are missing; returns how many were created."""
    from datavalley.catalog.models import Table
    from datavalley.catalog.tables import ColumnUpdate, dataset_record, update_column
    from datavalley.demo_tables import DEMO_TABLES, write_csv
    from datavalley.ingest.load import IngestRequest, ingest

    workdir = rt.settings.home / "tmp" / "demo"
    workdir.mkdir(parents=True, exist_ok=True)
    created = 0
    for seed, (org, dataset, table, generate, tags) in enumerate(DEMO_TABLES):
        with rt.session() as session:
            ds = dataset_record(session, org, dataset)
            exists = session.scalar(select(Table.id).where(Table.dataset_id == ds.id, Table.name == table))
        if exists is not None:
            continue
        path = write_csv(workdir / f"{table}.csv", generate(random.Random(seed)))
        ingest(rt, IngestRequest(source=str(path), dataset=f"{org}/{dataset}", table=table, user="demo"))
        with rt.session() as session:
            for column, column_tags in tags.items():
                update_column(
                    session, rt.settings, org, dataset, table, column, ColumnUpdate(tags=column_tags)
                )
        path.unlink()
        created += 1
    return created


@dataclass(frozen=True)
class DemoUser:
    name: str
    display_name: str
    #: for the demo only: printed by ``datavalley demo`` and written in the README
    password: str
    role: str
    roles: dict[str, str]
    platform_admin: bool = False


DEMO_USERS = [
    DemoUser("consumer", "王芳 Wang Fang", "consumer-demo", "consumer", {"qingshan_prefecture": "member"}),
    DemoUser("provider", "陈静 Chen Jing", "provider-demo", "provider", {"health_commission": "editor"}),
    DemoUser(
        "authority", "赵磊 Zhao Lei", "authority-demo", "data authority", {"bigdata_bureau": "admin"}, True
    ),
]

#: the consumer's request that waits for the authority's review
PENDING_REQUEST = {
    "dataset": "health_commission/hospital_visits",
    "tables": {"visits": None},
    "purpose": "门诊就诊趋势分析，用于青山州卫生规划 Outpatient trends by county for Qingshan's health plan",
    "days": 180,
}
#: a grant the authority gave directly: Qingshan reads the poverty monitoring of its own three counties
DEMO_GRANT = {
    "dataset": "rural_revitalization/poverty_monitoring",
    "organization": "qingshan_prefecture",
    "tables": {"households_by_county": {"row_filter": "xian_dai_ma IN (520101, 520102, 520103)"}},
    "purpose": "青山州返贫监测 Monitoring the prefecture's own counties",
    "days": 365,
}
#: tables the synthetic reads are spread over, with a weight each; and who reads
READ_TABLES = [
    ("stats_bureau/county_indicators/indicators", 6),
    ("health_commission/vaccination_points/points", 4),
    ("valley_ecommerce/rural_ecommerce_turnover/monthly_turnover", 3),
    ("bigdata_bureau/data_centres/sites", 2),
    ("rural_revitalization/poverty_monitoring/households_by_county", 2),
]
#: datasets anyone may read (the others are read by the consumer only)
PUBLIC_DEMO = {"county_indicators", "vaccination_points", "data_centres"}
READ_DAYS = 30
SYNTHETIC_PATH = "demo"


@dataclass
class DemoAccessCounts:
    users: int = 0
    grants: int = 0
    requests: int = 0
    reads: int = 0


def load_demo_access(rt: Runtime) -> DemoAccessCounts:
    """Add the demo users, the grant, the pending request and the synthetic reads that are missing.

    Deterministic (fixed seeds): only the moments move with the day it runs. Safe to repeat.
    """
    from datavalley.access import accounts, grants, requests
    from datavalley.access.accounts import UserCreate
    from datavalley.access.models import User
    from datavalley.access.policy import AUTHORITY
    from datavalley.access.sharing_models import AccessRequest, AuditEntry, Grant

    counts = DemoAccessCounts()
    with rt.session() as session:
        for user in DEMO_USERS:
            if session.scalar(select(User.id).where(User.name == user.name)) is None:
                accounts.create_user(
                    session,
                    UserCreate(
                        name=user.name,
                        display_name=user.display_name,
                        password=user.password,
                        platform_admin=user.platform_admin,
                    ),
                )
                for org, role in user.roles.items():
                    accounts.set_membership(session, org, user.name, role)
                counts.users += 1
        if session.scalar(select(Grant.id).where(Grant.grantee_name == DEMO_GRANT["organization"])) is None:
            grants.create_grant(
                session, rt.settings, AUTHORITY, grants.GrantCreate.model_validate(DEMO_GRANT)
            )
            counts.grants += 1
        if session.scalar(select(AccessRequest.id).where(AccessRequest.requester == "consumer")) is None:
            consumer = accounts.caller_named(session, "consumer")
            requests.open_request(
                session, rt.settings, consumer, requests.RequestCreate.model_validate(PENDING_REQUEST)
            )
            counts.requests += 1
    with rt.session() as session:
        if session.scalar(select(AuditEntry.id).where(AuditEntry.action == SYNTHETIC_PATH).limit(1)) is None:
            counts.reads = _synthetic_reads(session)
    return counts


def _synthetic_reads(session: Session) -> int:
    """A month of invented reads (action ``demo`` in the audit log), oldest first, for the dashboard."""
    from datetime import timedelta

    from datavalley.access.accounts import caller_named
    from datavalley.access.audit import record_read
    from datavalley.access.policy import ANONYMOUS
    from datavalley.db.base import utcnow

    rng = random.Random(2024)
    readers = [ANONYMOUS] + [caller_named(session, u.name) for u in DEMO_USERS]
    tables = [t for t, weight in READ_TABLES for _ in range(weight)]
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=READ_DAYS)
    moments = sorted(
        start + timedelta(days=day, minutes=rng.randrange(8 * 60, 20 * 60))
        for day in range(READ_DAYS)
        for _ in range(rng.randrange(2, 5 + day // 3))
    )
    for at in moments:
        table = rng.choice(tables)
        reader = rng.choice(readers) if table.split("/")[1] in PUBLIC_DEMO else readers[1]
        record_read(
            session, caller=reader, path=SYNTHETIC_PATH, table_ref=table, rows=rng.randrange(25, 1000), now=at
        )
    return len(moments)
