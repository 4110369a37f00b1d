"""Catalog tables: organizations, datasets, their tags and themes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from datavalley.db.base import Base, UTCDateTime, utcnow


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="department")
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    datasets: Mapped[list[Dataset]] = relationship(back_populates="organization")


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_datasets_org_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    license: Mapped[str | None] = mapped_column(String(100))
    update_frequency: Mapped[str] = mapped_column(String(20), default="unknown")
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    spatial: Mapped[str | None] = mapped_column(String(200))
    temporal_start: Mapped[date | None] = mapped_column(Date)
    temporal_end: Mapped[date | None] = mapped_column(Date)
    sharing: Mapped[str] = mapped_column(String(20), default="conditional", index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: title, description and tags prepared for full-text search (CJK split into bigrams)
    search_text: Mapped[str] = mapped_column(Text, default="")

    organization: Mapped[Organization] = relationship(back_populates="datasets", lazy="joined")
    tag_rows: Mapped[list[DatasetTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DatasetTag.position"
    )
    theme_rows: Mapped[list[DatasetTheme]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DatasetTheme.theme"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def themes(self) -> list[str]:
        return [row.theme for row in self.theme_rows]

    @property
    def organization_name(self) -> str:
        return self.organization.name


class DatasetTag(Base):
    __tablename__ = "dataset_tags"
    __table_args__ = (Index("ix_dataset_tags_tag", "tag"),)

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class DatasetTheme(Base):
    __tablename__ = "dataset_themes"
    __table_args__ = (Index("ix_dataset_themes_theme", "theme"),)

    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    theme: Mapped[str] = mapped_column(String(20), primary_key=True)


class Table(Base):
    """A versioned table of a dataset: a Delta Lake table at ``path`` on ``site``."""

    __tablename__ = "tables"
    __table_args__ = (UniqueConstraint("dataset_id", "name", name="uq_tables_dataset_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(63))
    title: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: the site (data centre) holding the primary copy; replicas come with the sites service
    site: Mapped[str] = mapped_column(String(63), default="local")
    #: location of the Delta table relative to the site's root
    path: Mapped[str] = mapped_column(String(500))
    created: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="joined")
    columns: Mapped[list[TableColumn]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="TableColumn.position"
    )


class TableColumn(Base):
    """What a provider says about a column: its original label, a description, sensitivity tags."""

    __tablename__ = "table_columns"

    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(63), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
