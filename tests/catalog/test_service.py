"""The catalog service on both stores: organizations, datasets, lifecycle and sharing rules."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select, text

from datavalley.catalog import service
from datavalley.catalog.models import Dataset, DatasetTag
from datavalley.catalog.schemas import DatasetCreate, DatasetUpdate, OrganizationCreate, OrganizationUpdate
from datavalley.errors import Conflict, InvalidInput, NotFound
from tests.factories import make_dataset, make_org


def test_organization_round_trip(runtime):
    with runtime.session() as s:
        make_org(s, "health", title="卫生健康委员会", kind="department", description="hospitals")
    with runtime.session() as s:
        org = service.get_organization(s, "health")
        assert (org.title, org.kind, org.dataset_count) == ("卫生健康委员会", "department", 0)
        assert org.created.tzinfo is not None
        updated = service.update_organization(s, "health", OrganizationUpdate(kind="other"))
        assert updated.kind == "other" and updated.title == "卫生健康委员会"
        assert updated.modified >= org.modified


def test_title_defaults_to_name(runtime):
    with runtime.session() as s:
        assert make_org(s, "plain").title == "plain"
        assert make_dataset(s, "plain/things").title == "things"


def test_duplicate_organization_is_a_conflict_naming_it(runtime):
    with runtime.session() as s:
        make_org(s, "stats")
    with pytest.raises(Conflict, match="`stats` already exists"), runtime.session() as s:
        make_org(s, "stats")


@pytest.mark.parametrize(
    "name",
    ["Stats", "1stats", "_stats", "stats-bureau", "统计", "a" * 64, ""],
)
def test_bad_slugs_are_refused(name):
    with pytest.raises(ValidationError) as info:
        OrganizationCreate(name=name)
    assert info.value.errors()[0]["loc"] == ("name",)


def test_longest_slug_is_accepted(runtime):
    with runtime.session() as s:
        assert make_org(s, "a" * 63).name == "a" * 63


def test_dataset_names_are_unique_per_organization_only(runtime):
    with runtime.session() as s:
        make_org(s, "a")
        make_org(s, "b")
        make_dataset(s, "a/births")
        make_dataset(s, "b/births")
        with pytest.raises(Conflict, match="`a/births` already exists"):
            make_dataset(s, "a/births")


def test_unknown_names_are_not_found(runtime):
    with runtime.session() as s:
        make_org(s, "a")
        with pytest.raises(NotFound, match="organization `nope`"):
            service.get_organization(s, "nope")
        with pytest.raises(NotFound, match="dataset `a/nope`"):
            service.get_dataset(s, "a", "nope")
        with pytest.raises(NotFound, match="organization `nope`"):
            make_dataset(s, "nope/x")


def test_full_metadata_is_kept(runtime):
    with runtime.session() as s:
        make_org(s, "rural")
        make_dataset(
            s,
            "rural/poverty",
            title="贫困人口动态监测",
            description="监测 households",
            tags=["Poverty", "扶贫", "poverty"],
            themes=["soci", "ECON"],
            license="CC-BY-4.0",
            update_frequency="monthly",
            contact_name="监测处",
            contact_email="m@rural.example",
            spatial="云岭省",
            temporal_start=date(2016, 1, 1),
            temporal_end=date(2025, 12, 31),
            sharing="unconditional",
            public=True,
            state="published",
        )
    with runtime.session() as s:
        d = service.get_dataset(s, "rural", "poverty")
    assert d.tags == ["poverty", "扶贫"]  # normalised, duplicates dropped, order kept
    assert d.themes == ["econ", "soci"]
    assert (d.temporal_start, d.temporal_end) == (date(2016, 1, 1), date(2025, 12, 31))
    assert (d.sharing, d.public, d.state, d.update_frequency) == (
        "unconditional",
        True,
        "published",
        "monthly",
    )
    assert (d.contact_name, d.contact_email, d.spatial, d.license) == (
        "监测处",
        "m@rural.example",
        "云岭省",
        "CC-BY-4.0",
    )


@pytest.mark.parametrize("sharing", ["conditional", "none"])
def test_public_needs_unconditional(runtime, sharing):
    with runtime.session() as s:
        make_org(s, "a")
        with pytest.raises(InvalidInput) as info:
            make_dataset(s, "a/x", sharing=sharing, public=True)
        assert info.value.details[0].field == "public"
    with runtime.session() as s:
        assert s.scalar(select(func.count()).select_from(Dataset)) == 0


def test_narrowing_sharing_withdraws_public(runtime):
    with runtime.session() as s:
        make_org(s, "a")
        make_dataset(s, "a/x", sharing="unconditional", public=True)
        d = service.update_dataset(s, "a", "x", DatasetUpdate(sharing="conditional"))
        assert (d.sharing, d.public) == ("conditional", False)
        with pytest.raises(InvalidInput, match="public"):
            service.update_dataset(s, "a", "x", DatasetUpdate(public=True))


def test_update_changes_only_given_fields(runtime):
    with runtime.session() as s:
        make_org(s, "a")
        make_dataset(s, "a/x", title="Old", description="keep me", tags=["t1"], themes=["heal"])
        d = service.update_dataset(s, "a", "x", DatasetUpdate(title="New", tags=["t2", "t3"]))
    assert (d.title, d.description, d.tags, d.themes) == ("New", "keep me", ["t2", "t3"], ["heal"])
    with runtime.session() as s:
        tags = s.scalars(select(DatasetTag.tag).order_by(DatasetTag.position)).all()
    assert tags == ["t2", "t3"]


def test_lifecycle(runtime):
    with runtime.session() as s:
        make_org(s, "a")
        assert make_dataset(s, "a/x").state == "draft"
        assert service.update_dataset(s, "a", "x", DatasetUpdate(state="published")).state == "published"
        with pytest.raises(Conflict, match="cannot become draft"):
            service.update_dataset(s, "a", "x", DatasetUpdate(state="draft"))
        assert service.update_dataset(s, "a", "x", DatasetUpdate(state="deprecated")).state == "deprecated"
        assert service.update_dataset(s, "a", "x", DatasetUpdate(state="published")).state == "published"


def test_temporal_order_checked_on_create_and_update(runtime):
    with pytest.raises(ValidationError, match="after temporal_end"):
        DatasetCreate(name="x", temporal_start=date(2020, 1, 2), temporal_end=date(2020, 1, 1))
    with runtime.session() as s:
        make_org(s, "a")
        make_dataset(s, "a/x", temporal_start=date(2020, 1, 1))
        with pytest.raises(InvalidInput, match="temporal_start"):
            service.update_dataset(s, "a", "x", DatasetUpdate(temporal_end=date(2019, 1, 1)))


def test_delete_organization_refused_while_it_has_datasets(runtime):
    with runtime.session() as s:
        make_org(s, "a")
        make_dataset(s, "a/x", tags=["t"])
        with pytest.raises(Conflict, match="still has 1 dataset"):
            service.delete_organization(s, "a")
        service.delete_dataset(s, "a", "x")
        service.delete_organization(s, "a")
    with runtime.session() as s:
        assert s.scalar(select(func.count()).select_from(DatasetTag)) == 0
        with pytest.raises(NotFound):
            service.get_organization(s, "a")


def test_deleted_dataset_leaves_the_search_index(runtime):
    with runtime.session() as s:
        make_org(s, "a")
        make_dataset(s, "a/x", title="unique words")
        service.delete_dataset(s, "a", "x")
        if s.get_bind().dialect.name == "sqlite":
            assert s.scalar(text("SELECT count(*) FROM dataset_search")) == 0


def test_dataset_refs():
    assert service.parse_dataset_ref("a/b") == ("a", "b")
    for bad in ["a", "a/b/c", "A/b", "a/B", "/"]:
        with pytest.raises(InvalidInput):
            service.parse_dataset_ref(bad)
