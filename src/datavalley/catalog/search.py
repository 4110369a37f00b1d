"""Dataset search: full text, filters, facet counts, sorting and paging — one service for every caller."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller, visible_datasets
from datavalley.catalog.models import Dataset, DatasetTag, DatasetTheme, Organization
from datavalley.catalog.schemas import (
    DatasetPublic,
    DatasetsPublic,
    Facets,
    FacetValue,
)
from datavalley.catalog.search_index import text_matches
from datavalley.catalog.vocabulary import DatasetState, SharingClass

SortKey = Literal[
    "relevance", "name", "-name", "title", "-title", "created", "-created", "modified", "-modified"
]
SORT_KEYS: tuple[str, ...] = SortKey.__args__  # type: ignore[attr-defined]
FACET_LIMIT = 50


class SearchQuery(BaseModel):
    """What a caller asks of the catalog. Several organizations match any; several tags match all."""

    q: str | None = Field(default=None, max_length=500, description="words to find")
    organization: list[str] = Field(default_factory=list, description="any of these organizations")
    tags: list[str] = Field(default_factory=list, description="all of these tags")
    themes: list[str] = Field(default_factory=list, description="all of these themes")
    sharing: list[SharingClass] = Field(default_factory=list, description="any of these classes")
    public: bool | None = None
    state: list[DatasetState] = Field(default_factory=list, description="any of these states")
    sort: SortKey | None = Field(
        default=None, description="relevance when there is a query, otherwise -modified"
    )
    limit: int = Field(default=20, ge=0, le=1000)
    offset: int = Field(default=0, ge=0)

    @field_validator("tags", mode="after")
    @classmethod
    def _lower_tags(cls, values: list[str]) -> list[str]:
        return [" ".join(v.split()).lower() for v in values]


def _filtered(
    session: Session, query: SearchQuery, caller: Caller | None
) -> tuple[Select[tuple[int]], object]:
    """The ids of the matching datasets the caller may see, and the full-text subquery (for ranking)."""
    stmt = select(Dataset.id).where(visible_datasets(caller))
    matches = None
    if query.q and query.q.strip():
        matches = text_matches(session, query.q)
        if matches is None:
            stmt = stmt.where(false())  # only punctuation: nothing can match
        else:
            stmt = stmt.join(matches, matches.c.id == Dataset.id)
    if query.organization:
        stmt = stmt.join(Organization, Organization.id == Dataset.organization_id).where(
            Organization.name.in_(query.organization)
        )
    for tag in query.tags:
        stmt = stmt.where(
            select(DatasetTag.dataset_id)
            .where(DatasetTag.dataset_id == Dataset.id, DatasetTag.tag == tag)
            .exists()
        )
    for theme in query.themes:
        stmt = stmt.where(
            select(DatasetTheme.dataset_id)
            .where(DatasetTheme.dataset_id == Dataset.id, DatasetTheme.theme == theme)
            .exists()
        )
    if query.sharing:
        stmt = stmt.where(Dataset.sharing.in_(query.sharing))
    if query.public is not None:
        stmt = stmt.where(Dataset.public == query.public)
    if query.state:
        stmt = stmt.where(Dataset.state.in_(query.state))
    return stmt, matches


def _facet(session: Session, column: object, ids: object, join: object | None = None) -> list[FacetValue]:
    count = func.count().label("n")
    stmt = select(column, count)
    if join is not None:
        stmt = stmt.select_from(join)
    stmt = stmt.where(ids).group_by(column).order_by(count.desc(), column).limit(FACET_LIMIT)  # type: ignore[arg-type]
    return [
        FacetValue(value=str(v).lower() if isinstance(v, bool) else str(v), count=n)
        for v, n in session.execute(stmt)
    ]


def search_datasets(session: Session, query: SearchQuery, *, caller: Caller | None = None) -> DatasetsPublic:
    """Find datasets: the page asked for, the total count and the facet counts over all matches.

    Only datasets ``caller`` may see are found and counted (``datavalley.access.policy``); ``None``
    is a trusted internal caller that sees everything.
    """
    ids, matches = _filtered(session, query, caller)
    ids_sub = ids.subquery("hits")
    total = session.scalar(select(func.count()).select_from(ids_sub)) or 0

    sort = query.sort or ("relevance" if matches is not None else "-modified")
    page = select(Dataset).join(ids_sub, ids_sub.c.id == Dataset.id)
    if sort == "relevance":
        if matches is not None:
            page = page.join(matches, matches.c.id == Dataset.id).order_by(matches.c.rank)  # type: ignore[attr-defined]
        page = page.order_by(Dataset.modified.desc())
    else:
        column = getattr(Dataset, sort.lstrip("-"))
        page = page.order_by(column.desc() if sort.startswith("-") else column.asc())
    page = page.order_by(Dataset.id).limit(query.limit).offset(query.offset)
    data = [DatasetPublic.model_validate(d) for d in session.scalars(page).unique()]

    in_hits = Dataset.id.in_(select(ids_sub.c.id))
    facets = Facets(
        organization=_facet(
            session,
            Organization.name,
            in_hits,
            join=Organization.__table__.join(Dataset, Dataset.organization_id == Organization.id),
        ),
        tags=_facet(session, DatasetTag.tag, DatasetTag.dataset_id.in_(select(ids_sub.c.id))),
        themes=_facet(session, DatasetTheme.theme, DatasetTheme.dataset_id.in_(select(ids_sub.c.id))),
        sharing=_facet(session, Dataset.sharing, in_hits),
        public=_facet(session, Dataset.public, in_hits),
        state=_facet(session, Dataset.state, in_hits),
    )
    return DatasetsPublic(data=data, count=total, limit=query.limit, offset=query.offset, facets=facets)
