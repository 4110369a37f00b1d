"""Harvesting: bring another catalog's open datasets in, and on later runs only what changed.

``harvest(rt, kind, url)`` reads every dataset the source shows an anonymous caller (CKAN Action API
or DCAT catalog, :mod:`datavalley.interop.harvest_sources`) and, per remote dataset:

* unchanged since the last run (same fingerprint of metadata and downloads) → nothing is written;
* new → an organization (the source's, or ``organization=`` for all) and a dataset are created with
  the remote metadata, published, ``unconditional`` and public (it is open data where it comes from);
  every CSV / JSON / Parquet download becomes a table through the real ingest;
* changed → its metadata is updated (sharing class, public flag and lifecycle state stay as set here),
  and only the downloads whose address or modified time changed are loaded again (a new version).

A local dataset of the same name that was not harvested from this source is never touched (reported as
skipped). Datasets that disappeared from the source are reported, not deleted. A dataset whose download
fails keeps its previous state and is tried again on the next run.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select

from datavalley.catalog import service
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.schemas import DatasetCreate, DatasetUpdate, OrganizationCreate
from datavalley.catalog.vocabulary import ORGANIZATION_KINDS, slug_problem
from datavalley.db.base import utcnow
from datavalley.errors import DataValleyError, InvalidInput
from datavalley.ingest.load import IngestRequest, ingest
from datavalley.ingest.names import to_identifier
from datavalley.interop.harvest_models import HarvestRecord
from datavalley.interop.harvest_sources import (
    RemoteDataset,
    RemoteTable,
    download,
    fingerprint_of,
    read_ckan,
    read_dcat,
)
from datavalley.runtime import Runtime

SourceKind = Literal["ckan", "dcat"]
READERS: dict[str, Callable[..., Iterator[RemoteDataset]]] = {"ckan": read_ckan, "dcat": read_dcat}
_SUFFIX = {"csv": ".csv", "parquet": ".parquet", "json": ""}  # JSON: the ingest tells array from lines


@dataclass
class HarvestReport:
    source: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    tables_loaded: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (remote, why)
    gone: list[str] = field(default_factory=list)  # harvested before, no longer at the source


def slug(text: str, fallback: str) -> str:
    """A valid name from anything: ``Open-Data 2024`` → ``open_data_2024``."""
    name = to_identifier(text.replace("--", "_")) or fallback
    if not name[0].isalpha():
        name = f"{fallback}_{name}"
    return name[:63].rstrip("_")


def _dataset_fields(remote: RemoteDataset) -> dict[str, Any]:
    """The remote metadata as valid ``DatasetCreate`` fields: what does not validate is left out."""
    values = {k: v for k, v in remote.fields.items() if v not in (None, "", [])}
    if isinstance(values.get("title"), str):
        values["title"] = values["title"].strip()[:200] or remote.name
    if isinstance(values.get("description"), str):
        values["description"] = values["description"][:20_000]
    for key in ("spatial", "contact_name", "license"):
        if isinstance(values.get(key), str):
            values[key] = values[key].strip()[: 100 if key == "license" else 200]
    if "tags" in values:
        values["tags"] = [t.replace(",", " ").strip()[:64] for t in values["tags"] if t and t.strip()][:50]
    for _attempt in range(len(values) + 1):
        try:
            DatasetCreate.model_validate({"name": "probe", **values})
            return values
        except ValidationError as exc:
            bad = {str(err["loc"][0]) for err in exc.errors() if err.get("loc")}
            if not bad & set(values):
                raise InvalidInput(f"metadata cannot be taken: {exc.errors()[0].get('msg')}") from None
            for key in bad:
                values.pop(key, None)
    return values


def _organization(session: Any, remote: RemoteDataset, target: str | None) -> str:
    name = target or slug(remote.organization, "org")
    if session.scalar(select(Organization.id).where(Organization.name == name)) is None:
        kind = remote.organization_kind if remote.organization_kind in ORGANIZATION_KINDS else "other"
        title = remote.organization_title.strip()[:200] if target is None else name
        service.create_organization(
            session,
            OrganizationCreate(name=name, title=title or name, kind=kind),  # type: ignore[arg-type]
        )
    return name


class Harvester:
    def __init__(self, rt: Runtime, kind: SourceKind, url: str, *, organization: str | None = None) -> None:
        if kind not in READERS:
            raise InvalidInput.for_field("kind", f"harvest `ckan` or `dcat`, not `{kind}`")
        if organization is not None and (problem := slug_problem(organization)):
            raise InvalidInput.for_field("org", f"`{organization}` {problem}")
        self.rt = rt
        self.kind = kind
        self.source = url.strip()
        self.organization = organization
        self.allow_private = rt.settings.ingest_allow_private_urls
        self.report = HarvestReport(source=self.source)

    def run(self, *, on_dataset: Callable[[str, str], None] | None = None) -> HarvestReport:
        seen: set[str] = set()
        for remote in READERS[self.kind](self.source, allow_private=self.allow_private):
            if remote.remote_id in seen:
                continue
            seen.add(remote.remote_id)
            label = f"{remote.organization}/{remote.name}"
            try:
                outcome = self._one(remote)
            except DataValleyError as exc:
                self.report.skipped.append((label, exc.message))
                outcome = "skipped"
            if on_dataset:
                on_dataset(label, outcome)
        with self.rt.session() as session:
            known = session.scalars(select(HarvestRecord).where(HarvestRecord.source == self.source))
            self.report.gone = sorted(r.remote_id for r in known if r.remote_id not in seen)
        return self.report

    def _one(self, remote: RemoteDataset) -> str:
        fingerprint = fingerprint_of(remote)
        with self.rt.session() as session:
            record = session.scalar(
                select(HarvestRecord).where(
                    HarvestRecord.source == self.source, HarvestRecord.remote_id == remote.remote_id
                )
            )
            if record is not None and record.fingerprint == fingerprint:
                ds = session.get(Dataset, record.dataset_id)
                self.report.unchanged.append(f"{ds.organization.name}/{ds.name}" if ds else remote.remote_id)
                return "unchanged"
            values = _dataset_fields(remote)
            if record is None:
                org = _organization(session, remote, self.organization)
                name = slug(remote.name, "dataset")
                exists = session.scalar(
                    select(Dataset.id)
                    .join(Organization)
                    .where(Organization.name == org, Dataset.name == name)
                )
                if exists is not None:
                    raise InvalidInput(
                        f"a local dataset `{org}/{name}` exists that was not harvested from this source; "
                        "it is left as it is"
                    )
                create = DatasetCreate.model_validate(
                    {**values, "name": name, "sharing": "unconditional", "public": True, "state": "published"}
                )
                service.create_dataset(session, org, create)
                known_tables: dict[str, Any] = {}
                outcome = "created"
            else:
                ds = session.get(Dataset, record.dataset_id)
                org, name = ds.organization.name, ds.name
                current = service.get_dataset(session, org, name).model_dump()
                changes = {k: v for k, v in values.items() if current.get(k) != v}
                if changes:  # only a download changed: the metadata stays as it is
                    service.update_dataset(session, org, name, DatasetUpdate.model_validate(changes))
                known_tables = dict(record.tables or {})
                outcome = "updated"
        ref = f"{org}/{name}"
        tables = self._load_tables(ref, remote.tables, known_tables)
        with self.rt.session() as session:
            ds_id = session.scalar(
                select(Dataset.id).join(Organization).where(Organization.name == org, Dataset.name == name)
            )
            if record is None:
                record = HarvestRecord(source=self.source, kind=self.kind, remote_id=remote.remote_id)
                session.add(record)
            else:
                record = session.merge(record)
            record.dataset_id = ds_id
            record.remote_modified = (remote.modified or "")[:100] or None
            record.fingerprint = fingerprint
            record.tables = tables
            record.harvested = utcnow()
        (self.report.created if outcome == "created" else self.report.updated).append(ref)
        return outcome

    def _load_tables(self, ref: str, remotes: list[RemoteTable], known: dict[str, Any]) -> dict[str, Any]:
        """Load the downloads that are new or changed; returns what each local table was loaded from."""
        org, dataset = ref.split("/")
        taken: dict[str, Any] = {}
        by_remote = {v.get("url"): k for k, v in known.items() if isinstance(v, dict)}
        workdir = self.rt.settings.home / "tmp" / f"harvest-{uuid.uuid4().hex[:12]}"
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            for remote in remotes:
                table = by_remote.get(remote.url) or slug(remote.name, "data")
                while table in taken:
                    table = f"{table[:59]}_{len(taken) + 1}"
                entry = {"url": remote.url, "modified": remote.modified, "format": remote.format}
                if known.get(table) == entry and self._table_exists(org, dataset, table):
                    taken[table] = entry
                    continue
                path = download(
                    remote.url, workdir / f"{table}{_SUFFIX[remote.format]}", allow_private=self.allow_private
                )
                mode = "overwrite" if self._table_exists(org, dataset, table) else "create"
                ingest(
                    self.rt,
                    IngestRequest(
                        source=str(path),
                        dataset=ref,
                        table=table,
                        mode=mode,
                        user="harvest",
                        source_name=f"{table}{_SUFFIX[remote.format]}",
                    ),
                )
                self.report.tables_loaded.append(f"{ref}/{table}")
                taken[table] = entry
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return taken

    def _table_exists(self, org: str, dataset: str, table: str) -> bool:
        with self.rt.session() as session:
            return (
                session.scalar(
                    select(Table.id)
                    .join(Dataset, Dataset.id == Table.dataset_id)
                    .join(Organization, Organization.id == Dataset.organization_id)
                    .where(Organization.name == org, Dataset.name == dataset, Table.name == table)
                )
                is not None
            )


def harvest(
    rt: Runtime,
    kind: SourceKind,
    url: str,
    *,
    organization: str | None = None,
    on_dataset: Callable[[str, str], None] | None = None,
) -> HarvestReport:
    """Harvest ``url`` (a CKAN site or a DCAT catalog) into this DataValley; see the module docstring."""
    return Harvester(rt, kind, url, organization=organization).run(on_dataset=on_dataset)
