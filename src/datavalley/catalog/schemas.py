"""What the catalog takes in and gives out: ``*Create`` / ``*Update`` / ``*Public`` models."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from datavalley.catalog.vocabulary import (
    SLUG_MAX,
    THEMES,
    DatasetState,
    OrganizationKind,
    SharingClass,
    UpdateFrequency,
    slug_problem,
)


def _check_slug(value: str) -> str:
    problem = slug_problem(value)
    if problem:
        raise ValueError(f"`{value}` {problem}")
    return value


def _check_theme(value: str) -> str:
    value = value.strip().lower()
    if value not in THEMES:
        raise ValueError(f"unknown theme `{value}`; use one of: {', '.join(THEMES)}")
    return value


def _clean_tag(value: str) -> str:
    value = " ".join(value.split()).lower()
    if not value:
        raise ValueError("a tag cannot be empty")
    if "," in value:
        raise ValueError(f"tag `{value}` contains a comma; give tags as a list")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_email(value: str | None) -> str | None:
    if value is not None and not _EMAIL.match(value):
        raise ValueError(f"`{value}` is not an e-mail address")
    return value


Slug = Annotated[str, StringConstraints(min_length=1, max_length=SLUG_MAX), AfterValidator(_check_slug)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=20_000)]
Tag = Annotated[str, StringConstraints(max_length=64), AfterValidator(_clean_tag)]
Theme = Annotated[str, AfterValidator(_check_theme)]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_unique)]
Themes = Annotated[list[Theme], Field(max_length=len(THEMES)), AfterValidator(_unique)]
Email = Annotated[str | None, StringConstraints(max_length=254), AfterValidator(_check_email)]
ShortText = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=200)]
License = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=100)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL cannot store NUL in text; refuse it here, naming the field, on every store."""
        if any(isinstance(v, str) and "\x00" in v for v in (value if isinstance(value, list) else [value])):
            raise ValueError("must not contain a NUL character")
        return value


# --- organizations -----------------------------------------------------------------------------


class OrganizationCreate(_Input):
    name: Slug
    title: Title | None = Field(default=None, description="display name; defaults to the name")
    description: Description = ""
    kind: OrganizationKind = "department"


class OrganizationUpdate(_Input):
    title: Title | None = None
    description: Description | None = None
    kind: OrganizationKind | None = None


class OrganizationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    title: str
    description: str
    kind: OrganizationKind
    dataset_count: int = 0
    created: datetime
    modified: datetime


class OrganizationsPublic(BaseModel):
    data: list[OrganizationPublic]
    count: int


# --- datasets ----------------------------------------------------------------------------------


class _DatasetFields(_Input):
    """Fields a provider sets on a dataset; shared by create and update."""

    description: Description | None = None
    tags: Tags | None = None
    themes: Themes | None = None
    license: License = None
    update_frequency: UpdateFrequency | None = None
    contact_name: ShortText = None
    contact_email: Email = None
    spatial: ShortText = Field(default=None, description="spatial coverage, e.g. a province or county")
    temporal_start: date | None = Field(default=None, description="first day the data covers")
    temporal_end: date | None = Field(default=None, description="last day the data covers")
    sharing: SharingClass | None = None
    public: bool | None = None
    state: DatasetState | None = None

    @field_validator("temporal_end", mode="after")
    @classmethod
    def _temporal_order(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("temporal_start")  # validated first: it is declared first
        if start and end and start > end:
            raise ValueError(f"temporal_start {start} is after temporal_end {end}")
        return end


class DatasetCreate(_DatasetFields):
    name: Slug
    title: Title | None = Field(default=None, description="display title; defaults to the name")
    description: Description = ""
    tags: Tags = Field(default_factory=list)
    themes: Themes = Field(default_factory=list)
    update_frequency: UpdateFrequency = "unknown"
    sharing: SharingClass = "conditional"
    public: bool = False
    state: DatasetState = "draft"


class DatasetUpdate(_DatasetFields):
    title: Title | None = None


class DatasetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    organization: str = Field(validation_alias="organization_name")
    name: str
    title: str
    description: str
    tags: list[str]
    themes: list[str]
    license: str | None
    update_frequency: UpdateFrequency
    contact_name: str | None
    contact_email: str | None
    spatial: str | None
    temporal_start: date | None
    temporal_end: date | None
    sharing: SharingClass
    public: bool
    state: DatasetState
    created: datetime
    modified: datetime

    @property
    def ref(self) -> str:
        """``org/name``, the way paths and the CLI address a dataset."""
        return f"{self.organization}/{self.name}"


class FacetValue(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    organization: list[FacetValue] = Field(default_factory=list)
    tags: list[FacetValue] = Field(default_factory=list)
    themes: list[FacetValue] = Field(default_factory=list)
    sharing: list[FacetValue] = Field(default_factory=list)
    public: list[FacetValue] = Field(default_factory=list)
    state: list[FacetValue] = Field(default_factory=list)


class DatasetsPublic(BaseModel):
    data: list[DatasetPublic]
    count: int = Field(description="how many datasets match, across all pages")
    limit: int
    offset: int
    facets: Facets = Field(default_factory=Facets)


def fields_set(model: BaseModel) -> dict[str, Any]:
    """The fields a caller actually gave (an update changes only those)."""
    return {name: getattr(model, name) for name in model.model_fields_set}
