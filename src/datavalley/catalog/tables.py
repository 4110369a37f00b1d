"""The tables of datasets: where each lives, its columns' labels, descriptions and tags, its versions.

The data itself and its history live in the Delta table; this service joins them with the catalog.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from datavalley.catalog.models import Dataset, Organization, Table, TableColumn
from datavalley.catalog.vocabulary import COLUMN_TAGS, slug_problem
from datavalley.config import Settings
from datavalley.db.base import utcnow
from datavalley.errors import Conflict, InvalidInput, NotFound
from datavalley.storage import delta
from datavalley.storage.sites import table_uri


class ColumnPublic(BaseModel):
    name: str = Field(description="SQL-friendly name used in queries and the API")
    label: str = Field(description="the column's original heading in the source file")
    type: str = Field(description="Arrow type of the column")
    nullable: bool = True
    description: str = ""
    tags: list[str] = Field(default_factory=list)


class TableVersionPublic(BaseModel):
    version: int
    timestamp: datetime
    operation: str
    mode: str | None
    user: str | None
    source: str | None
    rows_written: int | None
    rows_rejected: int | None


class TablePublic(BaseModel):
    organization: str
    dataset: str
    name: str
    title: str
    description: str
    site: str
    version: int
    row_count: int = Field(description="exact, from the table's metadata")
    size_bytes: int
    columns: list[ColumnPublic]
    created: datetime
    modified: datetime

    @property
    def ref(self) -> str:
        return f"{self.organization}/{self.dataset}/{self.name}"


class TableDetail(TablePublic):
    versions: list[TableVersionPublic]


class TableUpdate(BaseModel):
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)


class ColumnUpdate(BaseModel):
    description: str | None = Field(default=None, max_length=20_000)
    tags: list[str] | None = Field(default=None, max_length=20)


@dataclass(frozen=True)
class TableLocation:
    """Everything a reader needs to open a table's data."""

    organization: str
    dataset: str
    name: str
    site: str
    uri: str

    @property
    def ref(self) -> str:
        return f"{self.organization}/{self.dataset}/{self.name}"


def parse_table_ref(ref: str) -> tuple[str, str, str]:
    """``org/dataset/table`` → its three names.

    >>> parse_table_ref("health/births/by_county")
    ('health', 'births', 'by_county')
    """
    parts = ref.strip().strip("/").split("/")
    if len(parts) != 3:
        raise InvalidInput.for_field("table", f"`{ref}` is not of the form ORG/DATASET/TABLE")
    for part in parts:
        if problem := slug_problem(part):
            raise InvalidInput.for_field("table", f"`{part}` {problem}")
    return parts[0], parts[1], parts[2]


def dataset_record(session: Session, org: str, dataset: str) -> Dataset:
    found = session.scalar(
        select(Dataset).join(Organization).where(Organization.name == org, Dataset.name == dataset)
    )
    if found is None:
        if session.scalar(select(Organization.id).where(Organization.name == org)) is None:
            raise NotFound(f"organization `{org}` does not exist")
        raise NotFound(f"dataset `{org}/{dataset}` does not exist")
    return found


def table_record(session: Session, org: str, dataset: str, name: str) -> Table:
    ds = dataset_record(session, org, dataset)
    found = session.scalar(select(Table).where(Table.dataset_id == ds.id, Table.name == name))
    if found is None:
        names = session.scalars(
            select(Table.name).where(Table.dataset_id == ds.id).order_by(Table.name)
        ).all()
        known = f"its tables: {', '.join(names)}" if names else "it has no tables yet"
        raise NotFound(f"table `{org}/{dataset}/{name}` does not exist; {known}")
    return found


def locate(settings: Settings, table: Table) -> TableLocation:
    return TableLocation(
        organization=table.dataset.organization.name,
        dataset=table.dataset.name,
        name=table.name,
        site=table.site,
        uri=table_uri(settings, table.site, table.path),
    )


def locate_table(session: Session, settings: Settings, org: str, dataset: str, name: str) -> TableLocation:
    return locate(settings, table_record(session, org, dataset, name))


def _describe(settings: Settings, table: Table, *, version: int | None, with_versions: bool) -> TableDetail:
    where = locate(settings, table)
    import pyarrow as pa  # not at import time: `ingest` does without it

    dt = delta.open_delta(where.uri, version=version, name=f"table `{where.ref}`")
    schema = pa.schema(dt.schema())
    notes = {c.name: c for c in table.columns}
    columns = [
        ColumnPublic(
            name=f.name,
            label=(notes[f.name].label if f.name in notes else "") or f.name,
            type=str(f.type),
            nullable=f.nullable,
            description=notes[f.name].description if f.name in notes else "",
            tags=list(notes[f.name].tags) if f.name in notes else [],
        )
        for f in schema
    ]
    versions = [TableVersionPublic(**v.__dict__) for v in delta.history(dt)] if with_versions else []
    return TableDetail(
        organization=where.organization,
        dataset=where.dataset,
        name=table.name,
        title=table.title or table.name,
        description=table.description,
        site=table.site,
        version=dt.version(),
        row_count=delta.row_count(dt),
        size_bytes=delta.size_bytes(dt),
        columns=columns,
        created=table.created,
        modified=table.modified,
        versions=versions,
    )


def describe_table(
    session: Session, settings: Settings, org: str, dataset: str, name: str, *, version: int | None = None
) -> TableDetail:
    """Schema, exact row count, size and versions of a table (at ``version``, default the newest)."""
    return _describe(settings, table_record(session, org, dataset, name), version=version, with_versions=True)


def list_tables(session: Session, settings: Settings, org: str, dataset: str) -> list[TablePublic]:
    ds = dataset_record(session, org, dataset)
    tables = session.scalars(select(Table).where(Table.dataset_id == ds.id).order_by(Table.name)).all()
    return [
        TablePublic(
            **_describe(settings, t, version=None, with_versions=False).model_dump(exclude={"versions"})
        )
        for t in tables
    ]


def table_history(
    session: Session, settings: Settings, org: str, dataset: str, name: str
) -> list[TableVersionPublic]:
    return describe_table(session, settings, org, dataset, name).versions


def rollback_table(
    session: Session,
    settings: Settings,
    org: str,
    dataset: str,
    name: str,
    *,
    to_version: int,
    user: str | None = None,
) -> TableDetail:
    """Make ``to_version``'s data current again, as a new version (the history is kept)."""
    table = table_record(session, org, dataset, name)
    where = locate(settings, table)
    dt = delta.open_delta(where.uri, name=f"table `{where.ref}`")
    newest = dt.version()
    if to_version < 0 or to_version > newest:
        raise InvalidInput.for_field("to_version", f"table `{where.ref}` has versions 0 to {newest}")
    if to_version == newest:
        raise Conflict(f"table `{where.ref}` is already at version {newest}")
    from deltalake import CommitProperties

    rows = delta.row_count(delta.open_delta(where.uri, version=to_version, name=f"table `{where.ref}`"))
    try:
        dt.restore(
            to_version,
            commit_properties=CommitProperties(
                custom_metadata={
                    delta.COMMIT_MODE: "rollback",
                    delta.COMMIT_USER: user or delta.default_user(),
                    delta.COMMIT_SOURCE: f"version {to_version}",
                    delta.COMMIT_ROWS: str(rows),  # the rows the table holds again, for its history
                }
            ),
        )
    except Exception as exc:  # deltalake raises several kinds; all mean the same to the caller
        raise delta.delta_error(exc, f"rolling back `{where.ref}`") from None
    table.modified = utcnow()
    session.flush()
    return _describe(settings, table, version=None, with_versions=True)


def update_table(
    session: Session, settings: Settings, org: str, dataset: str, name: str, data: TableUpdate
) -> TableDetail:
    table = table_record(session, org, dataset, name)
    if data.title is not None:
        table.title = data.title
    if data.description is not None:
        table.description = data.description
    table.modified = utcnow()
    session.flush()
    return _describe(settings, table, version=None, with_versions=True)


def update_column(
    session: Session, settings: Settings, org: str, dataset: str, name: str, column: str, data: ColumnUpdate
) -> ColumnPublic:
    """Set a column's description and/or sensitivity tags."""
    table = table_record(session, org, dataset, name)
    detail = _describe(settings, table, version=None, with_versions=False)
    by_name = {c.name: c for c in detail.columns}
    if column not in by_name:
        raise NotFound(f"table `{detail.ref}` has no column `{column}`; its columns: {', '.join(by_name)}")
    note = next((c for c in table.columns if c.name == column), None)
    if note is None:
        note = TableColumn(
            name=column, position=list(by_name).index(column), label=by_name[column].label, tags=[]
        )
        table.columns.append(note)
    if data.description is not None:
        note.description = data.description
    if data.tags is not None:
        tags = list(dict.fromkeys(t.strip().lower() for t in data.tags if t.strip()))
        unknown = [t for t in tags if t not in COLUMN_TAGS]
        if unknown:
            raise InvalidInput.for_field(
                "tags", f"unknown column tag `{unknown[0]}`; use any of: {', '.join(COLUMN_TAGS)}"
            )
        note.tags = tags
    table.modified = utcnow()
    session.flush()
    return by_name[column].model_copy(update={"description": note.description, "tags": list(note.tags)})


def delete_table(session: Session, settings: Settings, org: str, dataset: str, name: str) -> TableLocation:
    """Remove the table from the catalog; returns where its files were (the caller removes them)."""
    table = table_record(session, org, dataset, name)
    where = locate(settings, table)
    session.delete(table)
    session.flush()
    return where


def dataset_table_locations(
    session: Session, settings: Settings, org: str, dataset: str
) -> list[TableLocation]:
    """Where every table of a dataset lives (to remove their files after the dataset is deleted)."""
    ds = dataset_record(session, org, dataset)
    return [locate(settings, t) for t in session.scalars(select(Table).where(Table.dataset_id == ds.id))]


def remove_table_files(location: TableLocation) -> None:
    """Delete a table's files from its site (after its catalog entry is gone)."""
    path = Path(location.uri)
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)
