"""Saved queries published as data APIs: ``GET /api/v1/apis/{org}/{name}?param=value``.

A provider saves one SELECT with ``:name`` placeholders and declares each parameter's type (and
optionally a default). Callers give the values in the query string; each is converted to its declared
type first (a bad value is a 422 naming the parameter), then the query runs through the query service
*with the caller's own rights*: a data API never reads more than its caller could read with SQL.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datavalley.access.policy import Caller, check_may_edit
from datavalley.catalog.models import Organization
from datavalley.catalog.vocabulary import slug_problem
from datavalley.db.base import utcnow
from datavalley.errors import Conflict, InvalidInput, NotFound
from datavalley.query import sql as sqlcheck
from datavalley.query.models import SavedQuery

ParamType = Literal["text", "integer", "number", "boolean", "date", "timestamp"]
PARAM_TYPES: tuple[str, ...] = get_args(ParamType)


#: query-string names a data API call uses itself
RESERVED = ("format", "limit", "cursor")


class ParameterSpec(BaseModel):
    name: str = Field(max_length=63)
    type: ParamType = "text"
    default: str | None = Field(default=None, max_length=1_000, description="used when the caller gives none")
    description: str = Field(default="", max_length=2_000)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if problem := slug_problem(value):
            raise ValueError(problem)
        if value in RESERVED:
            raise ValueError(f"`{value}` is taken by the call itself ({', '.join(RESERVED)}); rename it")
        return value

    @field_validator("default", mode="before")
    @classmethod
    def _default_as_text(cls, value: Any) -> Any:
        """A JSON number or boolean default means the same as its text (``0`` as ``"0"``)."""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | Decimal):
            return str(value)
        return value


class SavedQueryCreate(BaseModel):
    name: str = Field(max_length=63)
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=20_000)
    sql: str = Field(max_length=100_000)
    parameters: list[ParameterSpec] = Field(default_factory=list, max_length=50)
    published: bool = True

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if problem := slug_problem(value):
            raise ValueError(problem)
        return value


class SavedQueryPublic(BaseModel):
    organization: str
    name: str
    title: str
    description: str
    sql: str
    parameters: list[ParameterSpec]
    published: bool
    created_by: str | None
    created: datetime
    modified: datetime
    path: str = Field(description="where the data API answers")


class SavedQueriesPublic(BaseModel):
    data: list[SavedQueryPublic]
    count: int


def _public(q: SavedQuery) -> SavedQueryPublic:
    org = q.organization.name
    return SavedQueryPublic(
        organization=org,
        name=q.name,
        title=q.title or q.name,
        description=q.description,
        sql=q.sql,
        parameters=[ParameterSpec(**p) for p in q.parameters],
        published=q.published,
        created_by=q.created_by,
        created=q.created,
        modified=q.modified,
        path=f"/api/v1/apis/{org}/{q.name}",
    )


def _check_definition(data: SavedQueryCreate) -> sqlcheck.CheckedQuery:
    checked = sqlcheck.check_query(data.sql)
    declared = [p.name for p in data.parameters]
    if len(set(declared)) != len(declared):
        raise InvalidInput.for_field("parameters", "declares a parameter more than once")
    undeclared = [p for p in checked.params if p not in declared]
    if undeclared:
        raise InvalidInput.for_field(
            "parameters",
            f"the SQL uses {', '.join(f'`:{p}`' for p in undeclared)}; declare each with its type",
        )
    unused = [p for p in declared if p not in checked.params]
    if unused:
        raise InvalidInput.for_field(
            "parameters", f"{', '.join(f'`{p}`' for p in unused)} declared but not used by the SQL"
        )
    for spec in data.parameters:
        if spec.default is not None:
            convert_value(spec, spec.default, field="parameters")
    return checked


def _check_tables_visible(session: Session, caller: Caller, checked: sqlcheck.CheckedQuery) -> None:
    """Every table the SQL names is one its author sees: a published definition must not name
    tables hidden from the author (each call still reads under the caller's own rules)."""
    from datavalley.query import service  # the query service builds on this module's models

    known = set(service.visible_table_names(session, caller))
    for ref in checked.tables:
        name = ".".join(ref.parts)
        if name in known or (len(ref.parts) == 2 and any(k.startswith(name + ".") for k in known)):
            continue
        raise service.table_not_found(session, caller, ref, f"table `{name}` does not exist")


def _organization(session: Session, org: str) -> Organization:
    found = session.scalar(select(Organization).where(Organization.name == org))
    if found is None:
        raise NotFound(f"organization `{org}` does not exist")
    return found


def _record(session: Session, caller: Caller, org: str, name: str) -> SavedQuery:
    found = session.scalar(
        select(SavedQuery).join(Organization).where(Organization.name == org, SavedQuery.name == name)
    )
    if found is None or not (found.published or caller.is_member(org) or caller.platform_admin):
        raise NotFound(f"data API `{org}/{name}` does not exist; GET /api/v1/apis lists them")
    return found


def create_saved_query(
    session: Session, caller: Caller, org: str, data: SavedQueryCreate
) -> SavedQueryPublic:
    """Save a query of ``org`` (editors of ``org`` only) and publish it as a data API."""
    organization = _organization(session, org)
    check_may_edit(caller, org, "saving a data API")
    _check_tables_visible(session, caller, _check_definition(data))
    record = SavedQuery(
        organization_id=organization.id,
        name=data.name,
        title=data.title,
        description=data.description,
        sql=data.sql,
        parameters=[p.model_dump() for p in data.parameters],
        published=data.published,
        created_by=caller.user,
        created=utcnow(),
        modified=utcnow(),
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"data API `{org}/{data.name}` already exists; delete it first or pick another name"
        ) from None
    session.refresh(record)
    return _public(record)


def list_saved_queries(session: Session, caller: Caller, *, org: str | None = None) -> SavedQueriesPublic:
    stmt = select(SavedQuery).join(Organization).order_by(Organization.name, SavedQuery.name)
    if org:
        stmt = stmt.where(Organization.name == org)
    found = [
        _public(q)
        for q in session.scalars(stmt)
        if q.published or caller.platform_admin or caller.is_member(q.organization.name)
    ]
    return SavedQueriesPublic(data=found, count=len(found))


def get_saved_query(session: Session, caller: Caller, org: str, name: str) -> SavedQueryPublic:
    return _public(_record(session, caller, org, name))


def delete_saved_query(session: Session, caller: Caller, org: str, name: str) -> None:
    record = _record(session, caller, org, name)
    check_may_edit(caller, org, "deleting a data API")
    session.delete(record)
    session.flush()


def convert_value(spec: ParameterSpec, text: str, *, field: str | None = None) -> Any:
    """A parameter's text as a value of its declared type; 422 naming the parameter if it is not one."""
    value = text.strip() if spec.type != "text" else text
    try:
        if spec.type == "text":
            return value
        if spec.type == "integer":
            return int(value)
        if spec.type == "number":
            number = Decimal(value)
            if not number.is_finite():
                raise ValueError(value)
            return float(number) if "e" in value.lower() or "." in value else int(number)
        if spec.type == "boolean":
            if value.lower() in ("true", "1", "yes"):
                return True
            if value.lower() in ("false", "0", "no"):
                return False
            raise ValueError(value)
        if spec.type == "date":
            return date.fromisoformat(value)
        if spec.type == "timestamp":
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, InvalidOperation):
        pass
    article = "an" if spec.type[0] in "aeiou" else "a"
    raise InvalidInput.for_field(field or spec.name, f"`{text}` is not {article} {spec.type} value")


def call_values(query: SavedQueryPublic, given: dict[str, str]) -> dict[str, Any]:
    """The typed values of a call: the given ones converted, defaults for the rest."""
    specs = {p.name: p for p in query.parameters}
    unknown = sorted(set(given) - set(specs))
    if unknown:
        raise InvalidInput.for_field(
            unknown[0],
            f"data API `{query.organization}/{query.name}` has no parameter `{unknown[0]}`; "
            f"its parameters: {', '.join(specs) or 'none'}",
        )
    values: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in given:
            values[name] = convert_value(spec, given[name])
        elif spec.default is not None:
            values[name] = convert_value(spec, spec.default)
        else:
            raise InvalidInput.for_field(name, f"is required ({spec.type}): add `?{name}=…` to the call")
    return values
