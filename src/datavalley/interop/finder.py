"""What the open protocols list: the datasets a caller may see, filtered, sorted, paged, with facets.

The CKAN Action API and the DCAT-AP catalog both read the catalog through :func:`find_datasets`. Its
first condition is :func:`datavalley.access.policy.visible_datasets` — the one rule of who sees what —
so a filter can only narrow what the caller already may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import (
    ColumnElement,
    String,
    Subquery,
    and_,
    distinct,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
)
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller, visible_datasets
from datavalley.catalog.models import Dataset, DatasetTag, DatasetTheme, Organization, Table
from datavalley.catalog.search_index import text_matches

FacetField = Literal["organization", "tags", "groups", "license_id", "res_format"]
FACET_FIELDS: tuple[str, ...] = FacetField.__args__  # type: ignore[attr-defined]
SortField = Literal["score", "ref", "name", "title", "metadata_modified", "metadata_created"]


@dataclass
class DatasetFilter:
    """Conditions on datasets, all of which must hold. ``not_*`` lists exclude."""

    q: str | None = None
    organizations: list[str] = field(default_factory=list)  # any of
    not_organizations: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # all of
    not_tags: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)  # all of
    names: list[str] = field(default_factory=list)  # any of, as ``org/name``
    licenses: list[str] = field(default_factory=list)  # any of
    public: bool | None = None
    res_formats: list[str] = field(default_factory=list)  # all of, as CKAN resource formats (any case)
    modified: tuple[datetime | None, datetime | None] | None = None  # inclusive range
    created: tuple[datetime | None, datetime | None] | None = None
    #: a condition no dataset meets (e.g. ``res_format:PDF``)
    nothing: bool = False


@dataclass
class Found:
    datasets: list[Dataset]
    count: int
    facets: dict[str, list[tuple[str, int]]]


def _range(column: object, bounds: tuple[datetime | None, datetime | None]) -> list[ColumnElement[bool]]:
    low, high = bounds
    out = []
    if low is not None:
        out.append(column >= low)  # type: ignore[operator]
    if high is not None:
        out.append(column <= high)  # type: ignore[operator]
    return out


def _conditions(session: Session, caller: Caller | None, where: DatasetFilter) -> tuple[list, object]:
    conditions: list[ColumnElement[bool]] = [visible_datasets(caller)]
    matches = None
    if where.nothing:
        conditions.append(false())
    if where.q and where.q.strip():
        matches = text_matches(session, where.q)
        if matches is None:
            conditions.append(false())
        else:
            conditions.append(Dataset.id.in_(select(matches.c.id)))
    org_ids = select(Organization.id)
    if where.organizations:
        conditions.append(
            Dataset.organization_id.in_(org_ids.where(Organization.name.in_(where.organizations)))
        )
    if where.not_organizations:
        conditions.append(
            not_(Dataset.organization_id.in_(org_ids.where(Organization.name.in_(where.not_organizations))))
        )
    for tag in where.tags:
        conditions.append(
            select(DatasetTag.dataset_id)
            .where(DatasetTag.dataset_id == Dataset.id, DatasetTag.tag == tag)
            .exists()
        )
    for tag in where.not_tags:
        conditions.append(
            ~select(DatasetTag.dataset_id)
            .where(DatasetTag.dataset_id == Dataset.id, DatasetTag.tag == tag)
            .exists()
        )
    for theme in where.themes:
        conditions.append(
            select(DatasetTheme.dataset_id)
            .where(DatasetTheme.dataset_id == Dataset.id, DatasetTheme.theme == theme)
            .exists()
        )
    if where.names:
        pairs = [tuple(n.split("/", 1)) for n in where.names if "/" in n]
        if not pairs:
            conditions.append(false())
        else:
            named = select(Dataset.id).join(Organization, Organization.id == Dataset.organization_id)
            named = named.where(or_(*(and_(Organization.name == o, Dataset.name == d) for o, d in pairs)))
            conditions.append(Dataset.id.in_(named))
    if where.licenses:
        conditions.append(Dataset.license.in_(where.licenses))
    if where.public is not None:
        conditions.append(Dataset.public.is_(where.public))
    if where.res_formats:
        resources = table_resources()
        for fmt in where.res_formats:
            with_format = select(resources.c.dataset_id).where(func.lower(resources.c.format) == fmt.lower())
            conditions.append(Dataset.id.in_(with_format))
    if where.modified:
        conditions.extend(_range(Dataset.modified, where.modified))
    if where.created:
        conditions.extend(_range(Dataset.created, where.created))
    return conditions, matches


def find_datasets(
    session: Session,
    caller: Caller | None,
    where: DatasetFilter | None = None,
    *,
    sort: Sequence[tuple[SortField, bool]] = (),
    limit: int = 20,
    offset: int = 0,
    facets: Iterable[str] = (),
    facet_limit: int = 50,
) -> Found:
    """The page of datasets ``caller`` may see that meet ``where``, their total count and facet counts.

    ``sort`` is a list of ``(field, descending)``; ties are broken by organization and name.
    """
    where = where or DatasetFilter()
    conditions, matches = _conditions(session, caller, where)
    ids = select(Dataset.id).where(*conditions).subquery("hits")
    total = session.scalar(select(func.count()).select_from(ids)) or 0

    page = (
        select(Dataset)
        .join(ids, ids.c.id == Dataset.id)
        .join(Organization, Organization.id == Dataset.organization_id)
    )
    for name, descending in sort or [("score", True), ("metadata_modified", True)]:
        if name == "ref":  # organization, then dataset name
            page = page.order_by(
                Organization.name.desc() if descending else Organization.name,
                Dataset.name.desc() if descending else Dataset.name,
            )
            continue
        if name == "score":
            if matches is not None:
                page = page.outerjoin(matches, matches.c.id == Dataset.id)  # type: ignore[attr-defined]
                page = page.order_by(matches.c.rank.asc() if descending else matches.c.rank.desc())  # type: ignore[attr-defined]
            continue
        column = {
            "name": Dataset.name,
            "title": Dataset.title,
            "metadata_modified": Dataset.modified,
            "metadata_created": Dataset.created,
        }[name]
        page = page.order_by(column.desc() if descending else column.asc())
    page = page.order_by(Organization.name, Dataset.name).limit(limit).offset(offset)
    found = list(session.scalars(page).unique()) if limit else []

    counted: dict[str, list[tuple[str, int]]] = {}
    hit_ids = select(ids.c.id)
    for facet in dict.fromkeys(facets):
        counted[facet] = _facet(session, facet, hit_ids, facet_limit)
    return Found(found, total, counted)


def _facet(session: Session, facet: str, hit_ids: object, limit: int) -> list[tuple[str, int]]:
    n = func.count().label("n")
    if facet == "organization":
        stmt = (
            select(Organization.name, n)
            .join(Dataset, Dataset.organization_id == Organization.id)
            .where(Dataset.id.in_(hit_ids))  # type: ignore[arg-type]
            .group_by(Organization.name)
        )
        key = Organization.name
    elif facet == "tags":
        stmt = select(DatasetTag.tag, n).where(DatasetTag.dataset_id.in_(hit_ids)).group_by(DatasetTag.tag)  # type: ignore[arg-type]
        key = DatasetTag.tag
    elif facet == "groups":
        stmt = (
            select(DatasetTheme.theme, n)
            .where(DatasetTheme.dataset_id.in_(hit_ids))  # type: ignore[arg-type]
            .group_by(DatasetTheme.theme)
        )
        key = DatasetTheme.theme
    elif facet == "license_id":
        stmt = (
            select(Dataset.license, n)
            .where(Dataset.id.in_(hit_ids), Dataset.license.is_not(None))  # type: ignore[arg-type]
            .group_by(Dataset.license)
        )
        key = Dataset.license
    elif facet == "res_format":  # datasets with at least one resource of each format
        resources = table_resources()
        n = func.count(distinct(resources.c.dataset_id)).label("n")
        stmt = (
            select(resources.c.format, n)
            .where(resources.c.dataset_id.in_(hit_ids))  # type: ignore[arg-type]
            .group_by(resources.c.format)
        )
        key = resources.c.format
    else:
        return []
    stmt = stmt.order_by(n.desc(), key)
    if limit >= 0:
        stmt = stmt.limit(limit)
    return [(str(value), int(count)) for value, count in session.execute(stmt)]


def table_resources() -> Subquery:
    """Our tables as CKAN resources, in SQL: one row per resource (``table_id``, ``dataset_id``, ``format``).

    Each table is one resource, its CSV download (the table's other downloads are listed inside that
    resource, not as resources of their own). This is the one definition that the resources of
    ``package_show`` / ``package_search`` (:func:`resources_by_dataset`), the ``res_format`` facet and
    ``fq=res_format:`` read, so the three cannot disagree.
    """
    return select(
        Table.id.label("table_id"),
        Table.dataset_id.label("dataset_id"),
        literal_column("'CSV'", String).label("format"),
    ).subquery("resources")


def resources_by_dataset(session: Session, dataset_ids: Sequence[int]) -> dict[int, list[tuple[Table, str]]]:
    """The resources of these datasets (each table with its resource format), by dataset id, in name order."""
    out: dict[int, list[tuple[Table, str]]] = {i: [] for i in dataset_ids}
    if not dataset_ids:
        return out
    resources = table_resources()
    stmt = (
        select(Table, resources.c.format)
        .join(resources, resources.c.table_id == Table.id)
        .where(Table.dataset_id.in_(list(dataset_ids)))
        .order_by(Table.name)
    )
    for table, fmt in session.execute(stmt):
        out[table.dataset_id].append((table, fmt))
    return out


def tables_by_dataset(session: Session, dataset_ids: Sequence[int]) -> dict[int, list[Table]]:
    """The tables of these datasets, by dataset id, each list in name order."""
    out: dict[int, list[Table]] = {i: [] for i in dataset_ids}
    if not dataset_ids:
        return out
    for table in session.scalars(
        select(Table).where(Table.dataset_id.in_(list(dataset_ids))).order_by(Table.name)
    ):
        out[table.dataset_id].append(table)
    return out


def visible_count_by_org(session: Session, caller: Caller | None) -> dict[str, int]:
    """How many datasets of each organization ``caller`` may see."""
    stmt = (
        select(Organization.name, func.count())
        .join(Dataset, Dataset.organization_id == Organization.id)
        .where(visible_datasets(caller))
        .group_by(Organization.name)
    )
    return {name: int(count) for name, count in session.execute(stmt)}
