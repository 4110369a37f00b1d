"""The catalog service: organizations and datasets. The API, the portal and the CLI all call this."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller, visible_datasets
from datavalley.catalog.models import Dataset, DatasetTag, DatasetTheme, Organization
from datavalley.catalog.schemas import (
    DatasetCreate,
    DatasetPublic,
    DatasetUpdate,
    OrganizationCreate,
    OrganizationPublic,
    OrganizationsPublic,
    OrganizationUpdate,
    fields_set,
)
from datavalley.catalog.search_index import reindex_dataset, unindex_dataset
from datavalley.catalog.vocabulary import STATE_TRANSITIONS, slug_problem
from datavalley.db.base import utcnow
from datavalley.errors import Conflict, InvalidInput, NotFound

# --- organizations -----------------------------------------------------------------------------


def _organization(session: Session, name: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.name == name))
    if org is None:
        raise NotFound(f"organization `{name}` does not exist; `datavalley org list` shows them")
    return org


def _organization_public(
    session: Session, org: Organization, caller: Caller | None = None
) -> OrganizationPublic:
    """The organization with the number of its datasets ``caller`` may see (None: every dataset)."""
    count = (
        session.scalar(
            select(func.count()).where(Dataset.organization_id == org.id, visible_datasets(caller))
        )
        or 0
    )
    return OrganizationPublic.model_validate(org).model_copy(update={"dataset_count": count})


def create_organization(session: Session, data: OrganizationCreate) -> OrganizationPublic:
    if session.scalar(select(Organization.id).where(Organization.name == data.name)) is not None:
        raise Conflict(f"organization `{data.name}` already exists; choose another name")
    now = utcnow()
    org = Organization(
        name=data.name,
        title=data.title or data.name,
        description=data.description,
        kind=data.kind,
        created=now,
        modified=now,
    )
    session.add(org)
    _flush(session, f"organization `{data.name}` already exists; choose another name")
    return _organization_public(session, org)


def get_organization(session: Session, name: str, *, caller: Caller | None = None) -> OrganizationPublic:
    return _organization_public(session, _organization(session, name), caller)


def list_organizations(
    session: Session,
    *,
    limit: int = 100,
    offset: int = 0,
    kind: str | None = None,
    caller: Caller | None = None,
) -> OrganizationsPublic:
    counts = (
        select(Dataset.organization_id, func.count().label("n"))
        .where(visible_datasets(caller))
        .group_by(Dataset.organization_id)
        .subquery()
    )
    stmt = select(Organization, func.coalesce(counts.c.n, 0)).outerjoin(
        counts, counts.c.organization_id == Organization.id
    )
    total = select(func.count()).select_from(Organization)
    if kind:
        stmt = stmt.where(Organization.kind == kind)
        total = total.where(Organization.kind == kind)
    rows = session.execute(stmt.order_by(Organization.name).limit(limit).offset(offset)).all()
    data = [OrganizationPublic.model_validate(org).model_copy(update={"dataset_count": n}) for org, n in rows]
    return OrganizationsPublic(data=data, count=session.scalar(total) or 0)


def update_organization(
    session: Session, name: str, data: OrganizationUpdate, *, caller: Caller | None = None
) -> OrganizationPublic:
    org = _organization(session, name)
    changes = {k: v for k, v in fields_set(data).items() if v is not None}
    for key, value in changes.items():
        setattr(org, key, value)
    if changes:
        org.modified = utcnow()
    session.flush()
    return _organization_public(session, org, caller)


def delete_organization(session: Session, name: str) -> None:
    org = _organization(session, name)
    count = session.scalar(select(func.count()).where(Dataset.organization_id == org.id)) or 0
    if count:
        raise Conflict(
            f"organization `{name}` still has {count} dataset(s); delete them first "
            f"(`datavalley dataset list --org {name}`)"
        )
    session.delete(org)
    session.flush()


# --- datasets ----------------------------------------------------------------------------------


def parse_dataset_ref(ref: str) -> tuple[str, str]:
    """Split ``org/dataset`` into its two names, naming what is wrong if it is not one.

    >>> parse_dataset_ref("health/births")
    ('health', 'births')
    """
    parts = ref.strip().strip("/").split("/")
    if len(parts) != 2:
        raise InvalidInput.for_field("dataset", f"`{ref}` is not of the form ORG/DATASET")
    for part, label in zip(parts, ("organization", "dataset"), strict=True):
        problem = slug_problem(part)
        if problem:
            raise InvalidInput.for_field("dataset", f"{label} name `{part}` {problem}")
    return parts[0], parts[1]


def _dataset(session: Session, org_name: str, name: str) -> Dataset:
    org = _organization(session, org_name)
    dataset = session.scalar(select(Dataset).where(Dataset.organization_id == org.id, Dataset.name == name))
    if dataset is None:
        raise NotFound(
            f"dataset `{org_name}/{name}` does not exist; "
            f"`datavalley dataset list --org {org_name}` shows its datasets"
        )
    return dataset


def _check_public(sharing: str, public: bool) -> None:
    if public and sharing != "unconditional":
        raise InvalidInput.for_field(
            "public",
            f"only an `unconditional` dataset can be public; this one is `{sharing}` "
            "(set sharing to unconditional, or leave public false)",
        )


def _set_tags(dataset: Dataset, tags: list[str]) -> None:
    dataset.tag_rows = [DatasetTag(tag=tag, position=i) for i, tag in enumerate(tags)]


def _set_themes(dataset: Dataset, themes: list[str]) -> None:
    dataset.theme_rows = [DatasetTheme(theme=theme) for theme in themes]


def create_dataset(session: Session, org_name: str, data: DatasetCreate) -> DatasetPublic:
    org = _organization(session, org_name)
    taken = f"dataset `{org_name}/{data.name}` already exists; choose another name"
    exists = select(Dataset.id).where(Dataset.organization_id == org.id, Dataset.name == data.name)
    if session.scalar(exists) is not None:
        raise Conflict(taken)
    _check_public(data.sharing, data.public)
    now = utcnow()
    values: dict[str, Any] = data.model_dump(exclude={"tags", "themes", "title"})
    dataset = Dataset(organization=org, title=data.title or data.name, created=now, modified=now, **values)
    _set_tags(dataset, data.tags)
    _set_themes(dataset, data.themes)
    session.add(dataset)
    _flush(session, taken)
    reindex_dataset(session, dataset)
    session.flush()
    return DatasetPublic.model_validate(dataset)


def get_dataset(session: Session, org_name: str, name: str) -> DatasetPublic:
    return DatasetPublic.model_validate(_dataset(session, org_name, name))


def update_dataset(session: Session, org_name: str, name: str, data: DatasetUpdate) -> DatasetPublic:
    dataset = _dataset(session, org_name, name)
    changes = fields_set(data)
    for required in ("title", "sharing", "public", "state", "update_frequency", "description"):
        if required in changes and changes[required] is None:
            raise InvalidInput.for_field(required, "cannot be null")
    sharing = changes.get("sharing", dataset.sharing)
    public = changes.get("public", dataset.public)
    if "sharing" in changes and sharing != "unconditional" and "public" not in changes:
        public = False  # narrowing the sharing class withdraws the dataset from the public
        changes["public"] = False
    _check_public(sharing, public)
    if "state" in changes and changes["state"] not in STATE_TRANSITIONS[dataset.state]:
        raise Conflict(
            f"dataset `{org_name}/{name}` is {dataset.state}; it cannot become {changes['state']} "
            f"(allowed: {', '.join(sorted(STATE_TRANSITIONS[dataset.state]))})"
        )
    start = changes.get("temporal_start", dataset.temporal_start)
    end = changes.get("temporal_end", dataset.temporal_end)
    if start and end and start > end:
        raise InvalidInput.for_field("temporal_end", f"{end} is before temporal_start {start}")
    if "tags" in changes:
        _set_tags(dataset, changes.pop("tags") or [])
    if "themes" in changes:
        _set_themes(dataset, changes.pop("themes") or [])
    for key, value in changes.items():
        setattr(dataset, key, value)
    dataset.modified = utcnow()
    session.flush()
    reindex_dataset(session, dataset)
    session.flush()
    session.refresh(dataset)
    return DatasetPublic.model_validate(dataset)


def delete_dataset(session: Session, org_name: str, name: str) -> None:
    dataset = _dataset(session, org_name, name)
    unindex_dataset(session, dataset.id)
    session.delete(dataset)
    session.flush()


def _flush(session: Session, conflict_message: str) -> None:
    """Flush, turning a unique-constraint race into the same 409 the pre-check gives."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(conflict_message) from None
