"""Reading other catalogs: a CKAN site's Action API or a DCAT catalog (Turtle, JSON-LD, RDF/XML; Hydra
pages followed), each turned into the same :class:`RemoteDataset` records.

Every address fetched — the source, each next page, each redirect — passes the same SSRF guard as
ingest from a URL (``DATAVALLEY_INGEST_ALLOW_PRIVATE_URLS`` lets loopback and private addresses through).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import httpx
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS

from datavalley.api.routes.ingest import check_public_url
from datavalley.catalog.vocabulary import THEMES
from datavalley.errors import BadRequest, DataValleyError
from datavalley.interop.dcat import FREQUENCIES, HYDRA, LICENCES, VCARD

MAX_DOCUMENT = 64 << 20
MAX_PAGES = 1000
MAX_REDIRECTS = 5
#: download formats we can load, by the names sources give them
LOADABLE = {
    "csv": "csv",
    "text/csv": "csv",
    "json": "json",
    "application/json": "json",
    "ndjson": "json",
    "jsonl": "json",
    "application/x-ndjson": "json",
    "parquet": "parquet",
    "application/vnd.apache.parquet": "parquet",
}
#: when a table is offered in several formats, the one taken (Parquet keeps the column types)
PREFERENCE = ("parquet", "csv", "json")


class HarvestError(DataValleyError):
    """The source cannot be read: unreachable, refused, or not a catalog."""

    status = 502
    code = "harvest_failed"


@dataclass
class RemoteTable:
    name: str  # a name suggestion (the local name is made from it)
    url: str
    format: str  # csv | json | parquet
    modified: str | None = None


@dataclass
class RemoteDataset:
    remote_id: str
    organization: str  # a name suggestion
    organization_title: str
    organization_kind: str | None
    name: str  # a name suggestion
    modified: str | None
    fields: dict[str, Any]  # DatasetCreate fields (title, description, tags, ...)
    tables: list[RemoteTable] = field(default_factory=list)


# --- fetching -------------------------------------------------------------------------------------


def fetch(url: str, *, allow_private: bool, accept: str = "*/*") -> httpx.Response:
    """GET ``url``, following redirects only to addresses the guard allows; the whole body is read."""
    with httpx.Client(timeout=60, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            check_public_url(url, allow_private=allow_private)
            try:
                response = client.get(url, headers={"accept": accept, "user-agent": "DataValley harvester"})
            except httpx.HTTPError as exc:
                raise HarvestError(f"cannot reach {url}: {exc}") from None
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code >= 400:
                raise HarvestError(f"{url} answered HTTP {response.status_code}")
            if len(response.content) > MAX_DOCUMENT:
                raise HarvestError(f"{url} sent more than {MAX_DOCUMENT >> 20} MB of metadata")
            return response
    raise HarvestError(f"{url} redirects more than {MAX_REDIRECTS} times")


def download(url: str, target: Path, *, allow_private: bool) -> Path:
    """Stream a table download to ``target``, through the same guard on every hop."""
    with httpx.Client(timeout=300, follow_redirects=False) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            check_public_url(url, allow_private=allow_private)
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code >= 400:
                        raise HarvestError(f"{url} answered HTTP {response.status_code}")
                    with target.open("wb") as out:
                        for chunk in response.iter_bytes(1 << 20):
                            out.write(chunk)
                    return target
            except httpx.HTTPError as exc:
                raise HarvestError(f"cannot download {url}: {exc}") from None
    raise HarvestError(f"{url} redirects more than {MAX_REDIRECTS} times")


# --- CKAN -----------------------------------------------------------------------------------------


def ckan_base(url: str) -> str:
    """The site's root from whatever the user gave (``.../api/3/action`` and the like are cut off)."""
    url = url.strip().rstrip("/")
    for tail in ("/api/3/action", "/api/action", "/api/3", "/api"):
        if url.endswith(tail):
            return url[: -len(tail)]
    return url


def _ckan_call(base: str, action: str, params: dict[str, Any], *, allow_private: bool) -> Any:
    address = str(httpx.URL(f"{base}/api/3/action/{action}", params=params))
    response = fetch(address, allow_private=allow_private, accept="application/json")
    try:
        body = response.json()
    except ValueError:
        raise HarvestError(f"{base} is not a CKAN site: {action} did not answer JSON") from None
    if not isinstance(body, dict) or not body.get("success"):
        raise HarvestError(
            f"{base}: {action} failed: {body.get('error') if isinstance(body, dict) else body}"
        )
    return body["result"]


def _extras(package: dict[str, Any]) -> dict[str, str]:
    return {
        str(e.get("key")): str(e.get("value"))
        for e in package.get("extras") or []
        if isinstance(e, dict) and e.get("value") not in (None, "")
    }


def _iso_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _ckan_tables(package: dict[str, Any]) -> list[RemoteTable]:
    tables = []
    for resource in package.get("resources") or []:
        if not isinstance(resource, dict) or not resource.get("url"):
            continue
        fmt = LOADABLE.get(str(resource.get("format") or "").strip().lower())
        fmt = fmt or LOADABLE.get(str(resource.get("mimetype") or "").strip().lower())
        if fmt is None:
            continue
        downloads = resource.get("datavalley_downloads")
        url = str(resource["url"])
        if isinstance(downloads, dict) and isinstance(downloads.get("parquet"), str):
            url, fmt = downloads["parquet"], "parquet"  # another DataValley: keep the column types
        ref = str(resource.get("datavalley_table") or "")
        name = ref.rsplit("/", 1)[-1] if ref else str(resource.get("name") or resource.get("id") or "data")
        modified = (
            resource.get("last_modified") or resource.get("metadata_modified") or resource.get("created")
        )
        tables.append(
            RemoteTable(name=name, url=url, format=fmt, modified=str(modified) if modified else None)
        )
    return tables


def _ckan_dataset(package: dict[str, Any]) -> RemoteDataset:
    extras = _extras(package)
    org = package.get("organization") or {}
    name = str(package.get("name") or package.get("id"))
    if extras.get("datavalley_ref") and "/" in extras["datavalley_ref"]:
        name = extras["datavalley_ref"].split("/", 1)[1]
    themes = [g.get("name") for g in package.get("groups") or [] if isinstance(g, dict)]
    fields: dict[str, Any] = {
        "title": package.get("title") or name,
        "description": package.get("notes") or "",
        "tags": [t.get("name") for t in package.get("tags") or [] if isinstance(t, dict) and t.get("name")],
        "themes": [t for t in themes if t in THEMES],
        "license": package.get("license_id") or None,
        "contact_name": package.get("maintainer") or package.get("author") or None,
        "contact_email": package.get("maintainer_email") or package.get("author_email") or None,
        "spatial": extras.get("spatial_text"),
        "temporal_start": _iso_date(extras.get("temporal_start")),
        "temporal_end": _iso_date(extras.get("temporal_end")),
    }
    if extras.get("update_frequency") in FREQUENCIES:
        fields["update_frequency"] = extras["update_frequency"]
    return RemoteDataset(
        remote_id=str(package.get("id") or name),
        organization=str(org.get("name") or "harvested"),
        organization_title=str(org.get("title") or org.get("name") or "harvested"),
        organization_kind=org.get("datavalley_kind"),
        name=name,
        modified=package.get("metadata_modified"),
        fields=fields,
        tables=_ckan_tables(package),
    )


def read_ckan(url: str, *, allow_private: bool) -> Iterator[RemoteDataset]:
    """Every dataset the site shows an anonymous caller, page by page (``package_search``)."""
    base = ckan_base(url)
    start = 0
    for _page in range(MAX_PAGES):
        result = _ckan_call(
            base,
            "package_search",
            {"rows": 1000, "start": start, "sort": "name asc"},
            allow_private=allow_private,
        )
        packages = result.get("results") or [] if isinstance(result, dict) else []
        for package in packages:
            if isinstance(package, dict):
                yield _ckan_dataset(package)
        start += len(packages)
        if not packages or start >= int(result.get("count") or 0):
            return


# --- DCAT -----------------------------------------------------------------------------------------

_RDF_FORMATS = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
}
_BY_EXTENSION = {".ttl": "turtle", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml", ".xml": "xml"}
_FREQUENCY_CODES = {code: ours for ours, (code, _label) in FREQUENCIES.items()}
_LICENCE_NAMES = {
    "CC_BY_4_0": "CC-BY-4.0",
    "CC0": "CC0-1.0",
    "CC_BYSA_4_0": "CC-BY-SA-4.0",
    "ODC_BL": "ODbL-1.0",
}
_ACCEPT_RDF = "text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8"


def _parse(response: httpx.Response, url: str) -> Graph:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = _RDF_FORMATS.get(media) or _BY_EXTENSION.get(Path(urlparse(url).path).suffix.lower())
    if fmt is None:
        raise HarvestError(f"{url} is not an RDF document (content type `{media or 'none'}`)")
    try:
        return Graph().parse(data=response.content, format=fmt, publicID=url)
    except Exception as exc:  # rdflib raises many kinds for bad documents
        raise HarvestError(f"{url} is not readable {fmt}: {str(exc)[:200]}") from None


def _text(g: Graph, node: Any, *predicates: URIRef) -> str | None:
    for predicate in predicates:
        values = [v for v in g.objects(node, predicate) if not isinstance(v, URIRef)]
        if values:
            plain = [v for v in values if getattr(v, "language", None) in (None, "zh", "en")]
            return str((plain or values)[0]).strip() or None
    return None


def _tail(iri: Any) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def _licence(g: Graph, node: Any) -> str | None:
    if isinstance(node, URIRef) and "/authority/licence/" in str(node):
        code = _tail(node)
        inverse = {v: k for k, v in LICENCES.items()}
        return _LICENCE_NAMES.get(code) or inverse.get(code, code)
    return _text(g, node, RDFS.label, DCTERMS.title, SKOS.prefLabel) or (
        str(node) if isinstance(node, URIRef) else None
    )


def _dcat_format(g: Graph, dist: Any) -> str | None:
    for value in [*g.objects(dist, DCTERMS.format), *g.objects(dist, DCAT.mediaType)]:
        word = _tail(value).lower() if isinstance(value, URIRef) else str(value).strip().lower()
        media = str(value).lower().split("media-types/")[-1]
        found = LOADABLE.get(word) or LOADABLE.get(media)
        if found:
            return found
    return None


def _dcat_tables(g: Graph, node: Any) -> list[RemoteTable]:
    best: dict[str, RemoteTable] = {}
    for dist in g.objects(node, DCAT.distribution):
        fmt = _dcat_format(g, dist)
        url = g.value(dist, DCAT.downloadURL) or g.value(dist, DCAT.accessURL)
        if fmt is None or url is None:
            continue
        identifier = _text(g, dist, DCTERMS.identifier)
        key = identifier or str(url)
        name = identifier.rsplit("/", 1)[-1] if identifier else (_text(g, dist, DCTERMS.title) or _tail(url))
        modified = _text(g, dist, DCTERMS.modified)
        table = RemoteTable(name=name, url=str(url), format=fmt, modified=modified)
        if key not in best or PREFERENCE.index(fmt) < PREFERENCE.index(best[key].format):
            best[key] = table
    return list(best.values())


def _dcat_dataset(g: Graph, node: Any) -> RemoteDataset:
    identifier = _text(g, node, DCTERMS.identifier)
    publisher = g.value(node, DCTERMS.publisher)
    org_title = (
        _text(g, publisher, FOAF.name, SKOS.prefLabel, RDFS.label) if publisher else None
    ) or "harvested"
    org_name = (_text(g, publisher, DCTERMS.identifier) if publisher else None) or org_title
    if identifier and identifier.count("/") == 1:
        org_name, name = identifier.split("/")
    else:
        name = identifier or _text(g, node, DCTERMS.title) or _tail(node)
    contact = g.value(node, DCAT.contactPoint)
    email = str(g.value(contact, VCARD.hasEmail) or "") if contact is not None else ""
    spatial = g.value(node, DCTERMS.spatial)
    period = g.value(node, DCTERMS.temporal)
    frequency = g.value(node, DCTERMS.accrualPeriodicity)
    licences = [g.value(d, DCTERMS.license) for d in g.objects(node, DCAT.distribution)]
    licence = next(
        (_licence(g, lic) for lic in [g.value(node, DCTERMS.license), *licences] if lic is not None), None
    )
    fields: dict[str, Any] = {
        "title": _text(g, node, DCTERMS.title) or name,
        "description": _text(g, node, DCTERMS.description) or "",
        "tags": sorted(str(k) for k in g.objects(node, DCAT.keyword)),
        "themes": sorted(t for t in (_tail(v).lower() for v in g.objects(node, DCAT.theme)) if t in THEMES),
        "license": licence,
        "contact_name": _text(g, contact, VCARD.fn) if contact is not None else None,
        "contact_email": email.removeprefix("mailto:") or None,
        "spatial": (
            _text(g, spatial, SKOS.prefLabel, RDFS.label, DCTERMS.title) if spatial is not None else None
        )
        or (str(spatial) if isinstance(spatial, URIRef) else None),
        "temporal_start": _iso_date(_text(g, period, DCAT.startDate)) if period is not None else None,
        "temporal_end": _iso_date(_text(g, period, DCAT.endDate)) if period is not None else None,
    }
    if frequency is not None and _tail(frequency) in _FREQUENCY_CODES:
        fields["update_frequency"] = _FREQUENCY_CODES[_tail(frequency)]
    return RemoteDataset(
        remote_id=str(node),
        organization=org_name,
        organization_title=org_title,
        organization_kind=None,
        name=name,
        modified=_text(g, node, DCTERMS.modified),
        fields=fields,
        tables=_dcat_tables(g, node),
    )


def _next_page(g: Graph) -> str | None:
    for predicate in (HYDRA.next, HYDRA.nextPage):
        for value in g.objects(None, predicate):
            return str(value)
    return None


def read_dcat(url: str, *, allow_private: bool) -> Iterator[RemoteDataset]:
    """Every ``dcat:Dataset`` of the catalog at ``url``, following Hydra ``next`` pages."""
    seen: set[str] = set()
    page_url: str | None = url
    for _page in range(MAX_PAGES):
        if page_url is None or page_url in seen:
            return
        seen.add(page_url)
        g = _parse(fetch(page_url, allow_private=allow_private, accept=_ACCEPT_RDF), page_url)
        for node in sorted(g.subjects(RDF.type, DCAT.Dataset), key=str):
            yield _dcat_dataset(g, node)
        page_url = _next_page(g)
    raise BadRequest(f"{url} has more than {MAX_PAGES} pages; harvest stopped")


def fingerprint_of(remote: RemoteDataset) -> str:
    """A hash of everything a harvest takes from the remote dataset."""
    import hashlib

    body = {
        "modified": remote.modified,
        "fields": {k: str(v) if isinstance(v, date) else v for k, v in sorted(remote.fields.items())},
        "tables": [[t.name, t.url, t.format, t.modified] for t in remote.tables],
        "org": [remote.organization, remote.organization_title],
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
