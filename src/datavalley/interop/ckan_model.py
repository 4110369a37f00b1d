"""Our catalog in CKAN's words: packages (datasets), resources (tables), organizations, tags, groups.

Names and identifiers
    CKAN names are unique across the site; ours are unique within an organization. A package's
    ``name`` is therefore ``ORG--DATASET`` (our names never hold ``-``), and its ``id`` a UUID derived
    from ``ORG/DATASET`` (stable: the same dataset always has the same id). ``package_show`` accepts
    either, and ``ORG/DATASET`` too. Resources (one per table) and organizations get derived UUIDs
    the same way. Themes appear as CKAN groups named by their EU code (``econ``, ``heal``...).

A resource's ``format`` comes from :func:`datavalley.interop.finder.table_resources` (the definition the
``res_format`` facet and filter read too): each table is one resource, its CSV download, so ``url`` is the
table's CSV download from the rows API; ``datastore_active`` is true for every table, so
``datastore_search`` reads its rows.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.vocabulary import THEMES
from datavalley.interop.urls import Urls

_NAMESPACE = uuid.UUID("6f6e1c9e-6a55-4d1e-9a0e-64617461766c")  # fixed: ids stay the same everywhere
OPEN_LICENSES = {"cc-by-4.0", "cc-by", "cc-by-sa-4.0", "cc0", "cc0-1.0", "odbl", "odbl-1.0", "odc-by", "pddl"}
#: a resource format → (its mimetype, the rows API's ``format=`` that downloads it)
RESOURCE_FORMATS = {
    "CSV": ("text/csv", "csv"),
    "JSON": ("application/x-ndjson", "ndjson"),
    "Parquet": ("application/vnd.apache.parquet", "parquet"),
}
#: our lifecycle state → CKAN's ``state``
STATES = {"draft": "draft", "published": "active", "deprecated": "active"}


def derived_id(kind: str, key: str) -> str:
    """>>> derived_id("dataset", "stats/gdp") == derived_id("dataset", "stats/gdp")
    True
    """
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{key}"))


def package_name(org: str, dataset: str) -> str:
    return f"{org}--{dataset}"


def split_package_name(value: str) -> tuple[str, str] | None:
    """``ORG--DATASET`` or ``ORG/DATASET`` → the two names; None for anything else."""
    for separator in ("--", "/"):
        org, sep, name = value.partition(separator)
        if sep and org and name and separator not in name:
            return org, name
    return None


def ckan_time(value: datetime | None) -> str | None:
    """CKAN writes timestamps in UTC without a zone: ``2024-05-01T08:30:00.123456``."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat()


def organization_dict(org: Organization, *, package_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": derived_id("organization", org.name),
        "name": org.name,
        "title": org.title,
        "display_name": org.title,
        "description": org.description,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "created": ckan_time(org.created),
        "datavalley_kind": org.kind,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_dict(theme: str) -> dict[str, Any]:
    title = THEMES.get(theme, theme)
    return {
        "id": derived_id("group", theme),
        "name": theme,
        "title": title,
        "display_name": title,
        "description": "EU data theme",
        "image_display_url": "",
    }


def tag_dict(tag: str) -> dict[str, Any]:
    return {
        "id": derived_id("tag", tag),
        "name": tag,
        "display_name": tag,
        "state": "active",
        "vocabulary_id": None,
    }


def resource_dict(ds: Dataset, table: Table, urls: Urls, position: int, fmt: str) -> dict[str, Any]:
    """The resource of ``table`` in format ``fmt`` (from :func:`~datavalley.interop.finder.resources_by_dataset`)."""
    org = ds.organization.name
    ref = f"{org}/{ds.name}/{table.name}"
    mimetype, download = RESOURCE_FORMATS[fmt]
    return {
        "id": derived_id("resource", ref),
        "package_id": derived_id("dataset", f"{org}/{ds.name}"),
        "name": table.title or table.name,
        "description": table.description,
        "url": urls.rows(org, ds.name, table.name, download),
        "format": fmt,
        "mimetype": mimetype,
        "datastore_active": True,
        "url_type": "datastore",
        "state": "active",
        "position": position,
        "created": ckan_time(table.created),
        "last_modified": ckan_time(table.modified),
        "metadata_modified": ckan_time(table.modified),
        "datavalley_table": ref,
        "datavalley_downloads": {
            "csv": urls.rows(org, ds.name, table.name, "csv"),
            "json": urls.rows(org, ds.name, table.name, "ndjson"),
            "parquet": urls.rows(org, ds.name, table.name, "parquet"),
        },
    }


def package_dict(ds: Dataset, resources: list[tuple[Table, str]], urls: Urls) -> dict[str, Any]:
    """A package; ``resources`` are its tables with their formats, as ``resources_by_dataset`` gives them."""
    org = ds.organization
    ref = f"{org.name}/{ds.name}"
    extras = {
        "datavalley_ref": ref,
        "sharing": ds.sharing,
        "lifecycle_state": ds.state,
        "update_frequency": ds.update_frequency,
        "spatial_text": ds.spatial,
        "temporal_start": ds.temporal_start.isoformat() if ds.temporal_start else None,
        "temporal_end": ds.temporal_end.isoformat() if ds.temporal_end else None,
        "themes": ",".join(ds.themes),
    }
    resource_dicts = [resource_dict(ds, t, urls, i, fmt) for i, (t, fmt) in enumerate(resources)]
    return {
        "id": derived_id("dataset", ref),
        "name": package_name(org.name, ds.name),
        "title": ds.title,
        "notes": ds.description,
        "url": urls.landing_page(org.name, ds.name),
        "author": org.title,
        "author_email": None,
        "maintainer": ds.contact_name,
        "maintainer_email": ds.contact_email,
        "license_id": ds.license,
        "license_title": ds.license,
        "isopen": (ds.license or "").lower() in OPEN_LICENSES,
        "version": None,
        "state": STATES.get(ds.state, "active"),
        "private": not ds.public,
        "type": "dataset",
        "metadata_created": ckan_time(ds.created),
        "metadata_modified": ckan_time(ds.modified),
        "owner_org": derived_id("organization", org.name),
        "organization": organization_dict(org),
        "tags": [tag_dict(t) for t in ds.tags],
        "num_tags": len(ds.tags),
        "groups": [group_dict(t) for t in ds.themes],
        "resources": resource_dicts,
        "num_resources": len(resource_dicts),
        "extras": [{"key": k, "value": v} for k, v in extras.items() if v not in (None, "")],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }
