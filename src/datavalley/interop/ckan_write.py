"""CKAN actions that change or query more: ``package_create``, ``package_update`` / ``package_patch``
for editors (write actions: POST only, see ``ckan_routes``), and ``datastore_search_sql`` through the SQL
service (its allowlist, read plans and audit).

Field mapping of a package: ``name`` (``ORG--NAME``, or a plain name with ``owner_org``; ``-`` becomes
``_``), ``title``, ``notes`` → description, ``tags`` ([{"name": ...}] or names), ``groups`` → themes
(EU codes), ``license_id`` → license, ``maintainer`` / ``maintainer_email`` → contact, ``private``
(false makes the dataset public — only for ``unconditional`` sharing), ``state`` (``draft`` or
``active`` → published), and ``extras`` keys ``sharing``, ``update_frequency``, ``spatial_text``,
``temporal_start``, ``temporal_end``. ``package_update`` changes only the fields given (as CKAN's
``package_patch``); resources are tables and are loaded through the ingest, not through these actions.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from pydantic import ValidationError
from sqlglot import exp

from datavalley.access.policy import check_dataset_editable, check_may_edit, visible_datasets
from datavalley.catalog import service
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.schemas import DatasetCreate, DatasetUpdate
from datavalley.errors import ErrorDetail, InvalidInput
from datavalley.interop import ckan_params as p
from datavalley.interop.ckan_actions import (
    Context,
    _packages,
    find_organization,
    find_package,
    read_action,
    write_action,
)
from datavalley.interop.ckan_datastore import _ckan_type
from datavalley.interop.ckan_model import derived_id, split_package_name

_EXTRAS = ("sharing", "update_frequency", "spatial_text", "temporal_start", "temporal_end")
_FIELD_NAMES = {"description": "notes", "license": "license_id", "contact_name": "maintainer"}


def _fields(params: dict[str, Any]) -> dict[str, Any]:
    """Our dataset fields from a CKAN package dict (only those present)."""
    out: dict[str, Any] = {}
    simple = {
        "title": "title",
        "notes": "description",
        "license_id": "license",
        "maintainer": "contact_name",
        "maintainer_email": "contact_email",
    }
    for theirs, ours in simple.items():
        if theirs in params:
            out[ours] = params[theirs]
    if "tags" in params:
        out["tags"] = _names(params, "tags")
    if "groups" in params:
        out["themes"] = _names(params, "groups")
    extras = p.json_value(params, "extras") or []
    if isinstance(extras, list):
        for extra in extras:
            if isinstance(extra, dict) and extra.get("key") in _EXTRAS:
                key = "spatial" if extra["key"] == "spatial_text" else extra["key"]
                out[key] = extra.get("value")
    if "private" in params:
        out["public"] = not p.boolean(params, "private", True)
    if "state" in params:
        state = p.text(params, "state")
        if state not in ("draft", "active"):
            raise p.invalid("state", "use `draft` or `active`")
        out["state"] = "published" if state == "active" else "draft"
    return out


def _names(params: dict[str, Any], key: str) -> Any:
    """``[{"name": "a"}, ...]``, ``["a", ...]`` (a JSON list, or a repeated form key) or one name."""
    given = p.json_value(params, key) or []
    if isinstance(given, str):
        given = [given]
    if not isinstance(given, list):
        return given  # the schema names what is wrong with it
    return [v.get("name") if isinstance(v, dict) else v for v in given]


def _validation(exc: ValidationError) -> InvalidInput:
    details = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "package"
        details.append(
            ErrorDetail(_FIELD_NAMES.get(field, field), str(err["msg"]).removeprefix("Value error, "))
        )
    return InvalidInput("; ".join(f"`{d.field}`: {d.message}" for d in details), details=details)


def _target(params: dict[str, Any], session: Any) -> tuple[str, str]:
    name = p.text(params, "name", required=True) or ""
    parts = split_package_name(name)
    owner = p.text(params, "owner_org")
    org = find_organization(session, owner).name if owner else (parts[0] if parts else None)
    if org is None:
        raise p.invalid("owner_org", "Missing value (or name the package ORG--NAME)")
    if parts and parts[0] != org:
        raise p.invalid("name", f"`{name}` belongs to organization `{parts[0]}`, not `{org}`")
    return org, (parts[1] if parts else name.replace("-", "_"))


@write_action
def package_create(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Create a dataset (editors of its organization): ``name``, ``owner_org`` and the package fields."""
    with ctx.rt.session() as session:
        org, name = _target(params, session)
        check_may_edit(ctx.caller, org, "creating a dataset")
        try:
            data = DatasetCreate.model_validate({"name": name, **_fields(params)})
        except ValidationError as exc:
            raise _validation(exc) from None
        created = service.create_dataset(session, org, data)
        ds = find_package(session, ctx.caller, f"{org}/{created.name}")
        return _packages(ctx, session, [ds])[0]


def _update(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    key = p.text(params, "id") or p.text(params, "name", required=True) or ""
    with ctx.rt.session() as session:
        ds = find_package(session, ctx.caller, key)
        org, name = ds.organization.name, ds.name
        check_dataset_editable(session, ctx.caller, org, name, "changing a dataset")
        try:
            data = DatasetUpdate.model_validate(_fields(params))
        except ValidationError as exc:
            raise _validation(exc) from None
        service.update_dataset(session, org, name, data)
        session.expire_all()
        return _packages(ctx, session, [find_package(session, ctx.caller, f"{org}/{name}")])[0]


@write_action
def package_update(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Change a dataset (editors): ``id`` and the fields to change; fields left out stay as they are."""
    return _update(ctx, params)


@write_action
def package_patch(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Change some fields of a dataset (editors): ``id`` and the fields to change."""
    return _update(ctx, params)


# --- SQL ------------------------------------------------------------------------------------------


def _with_table_names(session: Any, ctx: Context, sql: str) -> str:
    """``FROM "<resource id>"`` (how CKAN clients name tables) → ``FROM org.dataset.table``."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return sql  # the SQL service reports the error with its position
    ids = {
        derived_id("resource", f"{org}/{ds}/{table}"): (org, ds, table)
        for org, ds, table in session.execute(
            Dataset.__table__.join(Organization.__table__)
            .join(Table.__table__)
            .select()
            .with_only_columns(Organization.name, Dataset.name, Table.name)
            .where(visible_datasets(ctx.caller))
        )
    }
    changed = False
    for table in tree.find_all(exp.Table):
        if not table.args.get("db") and table.name in ids:
            org, ds, name = ids[table.name]
            table.set("this", exp.to_identifier(name, quoted=True))
            table.set("db", exp.to_identifier(ds, quoted=True))
            table.set("catalog", exp.to_identifier(org, quoted=True))
            changed = True
    return tree.sql(dialect="duckdb") if changed else sql


@read_action
def datastore_search_sql(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Rows from one SELECT (``sql``) over the tables you may read, named ``org.dataset.table`` or by
    resource id (``"<id>"``); the SQL service's allowlist, read plans, limits and audit apply."""
    from datavalley.query import service as query

    sql = p.text(params, "sql", required=True) or ""
    with ctx.rt.session() as session:
        rewritten = _with_table_names(session, ctx, sql)
        result = query.run_query(
            session,
            ctx.rt.settings,
            ctx.caller,
            query.QueryRequest(sql=rewritten, limit=query.MAX_PAGE_ROWS),
            path="ckan",
        )
    names = [c.name for c in result.columns]
    return {
        "sql": sql,
        "fields": [{"id": c.name, "type": _ckan_type(c.type)} for c in result.columns],
        "records": [dict(zip(names, row, strict=True)) for row in result.rows],
        "records_truncated": result.next is not None,
        "total": result.total_rows,
    }
