"""The catalog as DCAT-AP 3: an RDF graph of the datasets the anonymous public may see.

Mapping (our field → DCAT-AP term):

=======================  ====================================================================================
catalog                  ``dcat:Catalog``: ``dct:title``, ``dct:description``, ``dct:publisher`` (the data
                         authority, ``foaf:Agent``), ``foaf:homepage``, ``dcat:themeTaxonomy`` (EU data
                         themes), ``dct:modified``, ``dcat:dataset``
organization             ``foaf:Agent`` at ``/organizations/ORG``: ``foaf:name``, ``dct:type`` from the ADMS
                         publisher types (department → RegionalAuthority, prefecture → LocalAuthority,
                         enterprise → Company)
dataset                  ``dcat:Dataset`` at ``/catalog/ORG/NAME``: ``dct:title``, ``dct:description``,
                         ``dct:identifier`` (``ORG/NAME``), ``dcat:keyword`` (tags), ``dcat:theme`` (EU data
                         theme), ``dct:publisher``, ``dcat:contactPoint`` (``vcard:Kind``), ``dct:spatial``
                         (``dct:Location``), ``dct:temporal`` (``dct:PeriodOfTime`` with ``dcat:startDate`` /
                         ``dcat:endDate``), ``dct:accrualPeriodicity`` (EU frequency), ``dct:issued`` /
                         ``dct:modified``, ``dcat:landingPage`` (the portal page), ``dct:accessRights``
table × format           ``dcat:Distribution`` (CSV, JSON lines, Parquet): ``dcat:accessURL`` (the rows API),
                         ``dcat:downloadURL`` (the rows API's download in that format), ``dct:format`` (EU
                         file type), ``dcat:mediaType`` (IANA), ``dct:license``, ``dct:modified``
no tables                ``dcat:Distribution`` ``…/ORG/NAME#landing-page``: ``dcat:accessURL`` (the portal
                         page), ``dct:format`` HTML, ``dct:license`` (DCAT-AP has no licence on a dataset:
                         the licence goes on a distribution, here the landing page one)
license                  ``dct:license``: the EU licence authority table where the name is known there
                         (``CC-BY-4.0`` → ``licence/CC_BY_4_0``), otherwise a ``dct:LicenseDocument`` node
                         labelled with the name
=======================  ====================================================================================

Each vocabulary concept used is described in the graph too (``skos:inScheme`` and a label), so the
document validates against the DCAT-AP controlled-vocabulary shapes without fetching anything.

Paging: a catalog page carries Hydra paging terms on the page's own address —
``hydra:PartialCollectionView`` with ``hydra:first/last/next/previous`` (Hydra Core) and, for older
harvesters such as ckanext-dcat, ``hydra:PagedCollection`` with ``hydra:firstPage/lastPage/nextPage/
previousPage``, plus ``hydra:totalItems`` and ``hydra:itemsPerPage``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datavalley.access.policy import ANONYMOUS, check_dataset_visible, visible_datasets
from datavalley.catalog.models import Dataset, Organization, Table
from datavalley.catalog.vocabulary import THEMES
from datavalley.interop.finder import find_datasets, tables_by_dataset
from datavalley.interop.urls import InteropSettings, Urls, interop_settings

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
THEME_SCHEME = URIRef(EU + "data-theme")
FREQUENCY_SCHEME = URIRef(EU + "frequency")
FILE_TYPE_SCHEME = URIRef(EU + "file-type")
LICENCE_SCHEME = URIRef(EU + "licence")
ACCESS_RIGHT_SCHEME = URIRef(EU + "access-right")
PUBLISHER_TYPE_SCHEME = URIRef("http://purl.org/adms/publishertype/1.0")
AVAILABILITY_SCHEME = URIRef(EU + "planned-availability")
DCATAP = Namespace("http://data.europa.eu/r5r/")
IANA = "https://www.iana.org/assignments/media-types/"
SCHEME_TITLES: dict[URIRef, str] = {
    THEME_SCHEME: "Data theme",
    FREQUENCY_SCHEME: "Frequency",
    FILE_TYPE_SCHEME: "File type",
    LICENCE_SCHEME: "Licence",
    ACCESS_RIGHT_SCHEME: "Access right",
    PUBLISHER_TYPE_SCHEME: "Publisher type",
    AVAILABILITY_SCHEME: "Planned availability",
}

RdfFormat = Literal["ttl", "jsonld", "rdf"]
#: extension → (rdflib serializer, media type)
SERIALIZERS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),  # pretty-xml drops shared blank nodes (rdflib 7.6)
}
#: our update frequency → EU frequency authority table
FREQUENCIES: dict[str, tuple[str, str]] = {
    "continuous": ("CONT", "continuous"),
    "hourly": ("HOURLY", "hourly"),
    "daily": ("DAILY", "daily"),
    "weekly": ("WEEKLY", "weekly"),
    "monthly": ("MONTHLY", "monthly"),
    "quarterly": ("QUARTERLY", "quarterly"),
    "biannual": ("BIANNUAL", "semiannual"),
    "annual": ("ANNUAL", "annual"),
    "irregular": ("IRREG", "irregular"),
    "never": ("NEVER", "never"),
    "unknown": ("UNKNOWN", "unknown"),
}
#: licence names people write → EU licence authority table
LICENCES: dict[str, str] = {
    "cc-by-4.0": "CC_BY_4_0",
    "cc-by": "CC_BY_4_0",
    "cc-by-sa-4.0": "CC_BYSA_4_0",
    "cc-by-nc-4.0": "CC_BYNC_4_0",
    "cc-by-nd-4.0": "CC_BYND_4_0",
    "cc0": "CC0",
    "cc0-1.0": "CC0",
    "odbl": "ODC_BL",
    "odbl-1.0": "ODC_BL",
    "odc-by": "ODC_BY",
    "odc-by-1.0": "ODC_BY",
    "pddl": "ODC_PDDL",
    "pddl-1.0": "ODC_PDDL",
}
PUBLISHER_TYPES: dict[str, str] = {
    "department": "RegionalAuthority",
    "prefecture": "LocalAuthority",
    "enterprise": "Company",
}


@dataclass(frozen=True)
class DistributionFormat:
    """One download format of a table: its rows-API format and vocabulary entries."""

    key: str  # our short name, in distribution addresses
    api_format: str  # ``?format=`` of the rows API
    file_type: str  # EU file-type code
    media_type: str | None  # IANA media type, where one is registered
    label: str


FORMATS: tuple[DistributionFormat, ...] = (
    DistributionFormat("csv", "csv", "CSV", "text/csv", "CSV"),
    DistributionFormat("json", "ndjson", "JSON", None, "JSON lines"),
    DistributionFormat("parquet", "parquet", "PARQUET", "application/vnd.apache.parquet", "Parquet"),
)

#: the distribution of a dataset without tables: its page in the portal
LANDING_PAGE = DistributionFormat("html", "", "HTML", "text/html", "web page")
LANDING_PAGE_NOTE = "The dataset's page in the portal; the dataset has no tables to download yet."


@dataclass(frozen=True)
class Paging:
    page: int
    page_size: int
    total: int
    extension: str

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.page_size))


class CatalogGraph:
    """Builds one DCAT-AP graph; add datasets, then serialize."""

    def __init__(self, urls: Urls, about: InteropSettings) -> None:
        self.urls = urls
        self.about = about
        self.g = Graph()
        for prefix, ns in (
            ("dcat", DCAT),
            ("dct", DCTERMS),
            ("foaf", FOAF),
            ("vcard", VCARD),
            ("skos", SKOS),
            ("hydra", HYDRA),
            ("adms", ADMS),
            ("dcatap", DCATAP),
        ):
            self.g.bind(prefix, ns)
        self._concepts: set[URIRef] = set()

    # --- vocabulary ---------------------------------------------------------------------------

    def _concept(self, iri: URIRef, scheme: URIRef, label: str, *classes: URIRef) -> URIRef:
        if iri not in self._concepts:
            self._concepts.add(iri)
            g = self.g
            g.add((iri, RDF.type, SKOS.Concept))
            for cls in classes:
                g.add((iri, RDF.type, cls))
            g.add((iri, SKOS.inScheme, scheme))
            g.add((iri, SKOS.prefLabel, RdfLiteral(label, lang="en")))
            self._scheme(scheme)
        return iri

    def _scheme(self, scheme: URIRef) -> URIRef:
        self.g.add((scheme, RDF.type, SKOS.ConceptScheme))
        self.g.add((scheme, DCTERMS.title, RdfLiteral(SCHEME_TITLES[scheme], lang="en")))
        return scheme

    def _theme(self, code: str) -> URIRef:
        iri = URIRef(f"{THEME_SCHEME}/{code.upper()}")
        return self._concept(iri, THEME_SCHEME, THEMES.get(code, code))

    def _frequency(self, value: str) -> URIRef:
        code, label = FREQUENCIES.get(value, FREQUENCIES["unknown"])
        return self._concept(URIRef(f"{FREQUENCY_SCHEME}/{code}"), FREQUENCY_SCHEME, label, DCTERMS.Frequency)

    def _license(self, name: str) -> URIRef | BNode:
        code = LICENCES.get(name.strip().lower())
        if code:
            iri = URIRef(f"{LICENCE_SCHEME}/{code}")
            self._concept(iri, LICENCE_SCHEME, name, DCTERMS.LicenseDocument)
            return iri
        node = BNode()
        self.g.add((node, RDF.type, DCTERMS.LicenseDocument))
        self.g.add((node, RDFS.label, RdfLiteral(name)))
        return node

    def _format(self, fmt: DistributionFormat) -> URIRef:
        iri = URIRef(f"{FILE_TYPE_SCHEME}/{fmt.file_type}")
        return self._concept(iri, FILE_TYPE_SCHEME, fmt.file_type, DCTERMS.MediaTypeOrExtent)

    def _media_type(self, media_type: str) -> URIRef:
        iri = URIRef(IANA + media_type)
        self.g.add((iri, RDF.type, DCTERMS.MediaType))
        return iri

    def _document(self, url: str) -> URIRef:
        iri = URIRef(url)
        self.g.add((iri, RDF.type, FOAF.Document))
        return iri

    # --- agents -------------------------------------------------------------------------------

    def authority(self) -> URIRef:
        agent = URIRef(f"{self.urls.base}/#publisher")
        self.g.add((agent, RDF.type, FOAF.Agent))
        self.g.add((agent, FOAF.name, RdfLiteral(self.about.catalog_publisher)))
        return agent

    def organization(self, org: Organization) -> URIRef:
        agent = URIRef(self.urls.organization(org.name))
        g = self.g
        g.add((agent, RDF.type, FOAF.Agent))
        g.add((agent, FOAF.name, RdfLiteral(org.title)))
        g.add((agent, DCTERMS.identifier, RdfLiteral(org.name)))
        if org.kind in PUBLISHER_TYPES:
            kind = PUBLISHER_TYPES[org.kind]
            concept = URIRef(f"http://purl.org/adms/publishertype/{kind}")
            g.add((agent, DCTERMS.type, self._concept(concept, PUBLISHER_TYPE_SCHEME, kind)))
        return agent

    # --- catalog ------------------------------------------------------------------------------

    def catalog(self, datasets: Sequence[URIRef], *, modified: datetime | None) -> URIRef:
        g = self.g
        catalog = URIRef(self.urls.catalog())
        g.add((catalog, RDF.type, DCAT.Catalog))
        g.add((catalog, DCTERMS.title, RdfLiteral(self.about.catalog_title)))
        g.add((catalog, DCTERMS.description, RdfLiteral(self.about.catalog_description)))
        g.add((catalog, DCTERMS.publisher, self.authority()))
        g.add((catalog, FOAF.homepage, self._document(self.urls.base + "/")))
        g.add((catalog, DCAT.themeTaxonomy, self._scheme(THEME_SCHEME)))
        if modified is not None:
            g.add((catalog, DCTERMS.modified, _datetime(modified)))
        for dataset in datasets:
            g.add((catalog, DCAT.dataset, dataset))
        return catalog

    def paging(self, paging: Paging) -> None:
        g, urls = self.g, self.urls
        size = paging.page_size

        def page_url(n: int) -> URIRef:
            return URIRef(urls.catalog_page(paging.extension, n, size))

        view = page_url(paging.page)
        g.add((view, RDF.type, HYDRA.PartialCollectionView))
        g.add((view, RDF.type, HYDRA.PagedCollection))
        g.add((view, HYDRA.totalItems, RdfLiteral(paging.total, datatype=XSD.integer)))
        g.add((view, HYDRA.itemsPerPage, RdfLiteral(size, datatype=XSD.integer)))
        links = [(HYDRA.first, HYDRA.firstPage, 1), (HYDRA.last, HYDRA.lastPage, paging.last)]
        if paging.page < paging.last:
            links.append((HYDRA.next, HYDRA.nextPage, paging.page + 1))
        if paging.page > 1:
            links.append((HYDRA.previous, HYDRA.previousPage, min(paging.page - 1, paging.last)))
        for current, legacy, number in links:
            g.add((view, current, page_url(number)))
            g.add((view, legacy, page_url(number)))
        g.add((URIRef(urls.catalog()), HYDRA.view, view))

    # --- datasets -----------------------------------------------------------------------------

    def dataset(self, ds: Dataset, tables: Sequence[Table], *, public: bool) -> URIRef:
        g, urls = self.g, self.urls
        org = ds.organization
        node = URIRef(urls.dataset(org.name, ds.name))
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, DCTERMS.title, RdfLiteral(ds.title)))
        g.add((node, DCTERMS.description, RdfLiteral(ds.description.strip() or ds.title)))
        g.add((node, DCTERMS.identifier, RdfLiteral(f"{org.name}/{ds.name}")))
        for tag in ds.tags:
            g.add((node, DCAT.keyword, RdfLiteral(tag)))
        for theme in ds.themes:
            g.add((node, DCAT.theme, self._theme(theme)))
        g.add((node, DCTERMS.publisher, self.organization(org)))
        contact = BNode()  # without a named contact, the publishing organization is the contact
        g.add((node, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, VCARD.Kind))
        g.add((contact, VCARD.fn, RdfLiteral(ds.contact_name or org.title)))
        if ds.contact_email:
            g.add((contact, VCARD.hasEmail, URIRef(f"mailto:{ds.contact_email}")))
        else:
            g.add((contact, VCARD.hasURL, URIRef(urls.organization(org.name))))
        if ds.spatial:
            place = BNode()
            g.add((node, DCTERMS.spatial, place))
            g.add((place, RDF.type, DCTERMS.Location))
            g.add((place, SKOS.prefLabel, RdfLiteral(ds.spatial)))
        if ds.temporal_start or ds.temporal_end:
            period = BNode()
            g.add((node, DCTERMS.temporal, period))
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            if ds.temporal_start:
                g.add((period, DCAT.startDate, _date(ds.temporal_start)))
            if ds.temporal_end:
                g.add((period, DCAT.endDate, _date(ds.temporal_end)))
        g.add((node, DCTERMS.accrualPeriodicity, self._frequency(ds.update_frequency)))
        g.add((node, DCTERMS.issued, _datetime(ds.created)))
        g.add((node, DCTERMS.modified, _datetime(ds.modified)))
        g.add((node, DCAT.landingPage, self._document(urls.landing_page(org.name, ds.name))))
        if public:
            right = URIRef(f"{ACCESS_RIGHT_SCHEME}/PUBLIC")
            label = "public"
            g.add(
                (
                    node,
                    DCTERMS.accessRights,
                    self._concept(right, ACCESS_RIGHT_SCHEME, label, DCTERMS.RightsStatement),
                )
            )
        license_node = self._license(ds.license) if ds.license else None
        for table in tables:
            for fmt in FORMATS:
                g.add((node, DCAT.distribution, self._distribution(ds, table, fmt, license_node)))
        if not tables:
            g.add((node, DCAT.distribution, self._landing_distribution(ds, license_node)))
        return node

    def _landing_distribution(self, ds: Dataset, license_node: URIRef | BNode | None) -> URIRef:
        """A dataset without tables: one distribution, its portal page, carrying the licence.

        DCAT-AP 3 has no licence on ``dcat:Dataset``, only on ``dcat:Distribution``, and tells a
        dataset reachable only through its landing page to repeat that page as a distribution's
        ``dcat:accessURL``. Harvesters (ckanext-dcat, ours) take a dataset's licence from its
        distributions; ours loads no table from it (HTML is no table format).
        """
        g, urls = self.g, self.urls
        org = ds.organization.name
        page = urls.landing_page(org, ds.name)
        node = URIRef(f"{urls.dataset(org, ds.name)}#landing-page")
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, RdfLiteral(f"{ds.title} ({LANDING_PAGE.label})")))
        g.add((node, DCTERMS.description, RdfLiteral(LANDING_PAGE_NOTE)))
        g.add((node, DCAT.accessURL, URIRef(page)))
        g.add((node, DCTERMS.format, self._format(LANDING_PAGE)))
        g.add((node, DCAT.mediaType, self._media_type(LANDING_PAGE.media_type or "text/html")))
        if license_node is not None:
            g.add((node, DCTERMS.license, license_node))
        g.add((node, DCTERMS.issued, _datetime(ds.created)))
        g.add((node, DCTERMS.modified, _datetime(ds.modified)))
        return node

    def _distribution(
        self, ds: Dataset, table: Table, fmt: DistributionFormat, license_node: URIRef | BNode | None
    ) -> URIRef:
        g, urls = self.g, self.urls
        org = ds.organization.name
        node = URIRef(urls.distribution(org, ds.name, table.name, fmt.key))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, RdfLiteral(f"{table.title or table.name} ({fmt.label})")))
        if table.description:
            g.add((node, DCTERMS.description, RdfLiteral(table.description)))
        g.add((node, DCTERMS.identifier, RdfLiteral(f"{org}/{ds.name}/{table.name}")))
        g.add((node, DCAT.accessURL, URIRef(urls.rows(org, ds.name, table.name))))
        g.add((node, DCAT.downloadURL, URIRef(urls.rows(org, ds.name, table.name, fmt.api_format))))
        g.add((node, DCTERMS.format, self._format(fmt)))
        if fmt.media_type:
            g.add((node, DCAT.mediaType, self._media_type(fmt.media_type)))
        if license_node is not None:
            g.add((node, DCTERMS.license, license_node))
        stable = URIRef(f"{AVAILABILITY_SCHEME}/STABLE")  # kept: old versions stay readable too
        g.add((node, DCATAP.availability, self._concept(stable, AVAILABILITY_SCHEME, "stable")))
        g.add((node, DCTERMS.issued, _datetime(table.created)))
        g.add((node, DCTERMS.modified, _datetime(table.modified)))
        return node

    # --- output -------------------------------------------------------------------------------

    def serialize(self, extension: str) -> bytes:
        serializer, _media = SERIALIZERS[extension]
        if serializer == "json-ld":
            context = {prefix: str(ns) for prefix, ns in self.g.namespaces() if prefix}
            return self.g.serialize(format="json-ld", context=context, auto_compact=True).encode()
        out = self.g.serialize(format=serializer, encoding="utf-8")
        return out if isinstance(out, bytes) else out.encode()


def _datetime(value: datetime) -> RdfLiteral:
    return RdfLiteral(value.isoformat(), datatype=XSD.dateTime)


def _date(value: date) -> RdfLiteral:
    return RdfLiteral(value.isoformat(), datatype=XSD.date)


# --- the service ----------------------------------------------------------------------------------

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


def catalog_document(
    session: Session, urls: Urls, *, extension: str, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> bytes:
    """One page of the public catalog (what ``ANONYMOUS`` may see), oldest datasets first.

    Pages stay stable while datasets are added: new ones come last.
    """
    offset = (page - 1) * page_size
    found = find_datasets(
        session, ANONYMOUS, sort=[("metadata_created", False)], limit=page_size, offset=offset
    )
    tables = tables_by_dataset(session, [d.id for d in found.datasets])
    graph = CatalogGraph(urls, interop_settings())
    nodes = [graph.dataset(d, tables[d.id], public=d.public) for d in found.datasets]
    newest = session.scalar(select(func.max(Dataset.modified)).where(visible_datasets(ANONYMOUS)))
    graph.catalog(nodes, modified=newest)
    graph.paging(Paging(page=page, page_size=page_size, total=found.count, extension=extension))
    return graph.serialize(extension)


def dataset_document(session: Session, urls: Urls, org: str, name: str, *, extension: str) -> bytes:
    """One public dataset with its distributions; 404 for what the anonymous public may not see."""
    ds = check_dataset_visible(session, ANONYMOUS, org, name)
    graph = CatalogGraph(urls, interop_settings())
    graph.dataset(ds, tables_by_dataset(session, [ds.id])[ds.id], public=ds.public)
    return graph.serialize(extension)
