"""Where DataValley is reached from outside, and the addresses the open protocols hand out.

The base URL is ``DATAVALLEY_PUBLIC_URL`` when set (behind a proxy, the address people use), otherwise
the one the request came in on. Every address in a DCAT document or a CKAN answer is built here, so
they all agree.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class InteropSettings(BaseSettings):
    """What the open protocols say about the platform itself (``DATAVALLEY_*`` variables)."""

    model_config = SettingsConfigDict(env_prefix="DATAVALLEY_", extra="ignore")

    public_url: str = Field(default="", description="base URL people reach the platform at")
    catalog_title: str = Field(default="DataValley open data catalog")
    catalog_description: str = Field(
        default="Open data published by the region's departments, prefectures and companies on DataValley."
    )
    catalog_publisher: str = Field(default="DataValley data authority", description="who runs the platform")


def interop_settings() -> InteropSettings:
    return InteropSettings()


def base_url(request: Request) -> str:
    """``https://data.example.org`` (no trailing slash)."""
    configured = interop_settings().public_url.strip()
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")


class Urls:
    """The addresses of one base URL."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    def catalog(self) -> str:
        return f"{self.base}/catalog"

    def catalog_page(self, extension: str, page: int, page_size: int | None = None) -> str:
        size = f"&page_size={page_size}" if page_size else ""
        return f"{self.base}/catalog.{extension}?page={page}{size}"

    def dataset(self, org: str, name: str) -> str:
        """The dataset's identifier in RDF (``/catalog/ORG/NAME.ttl`` and friends describe it)."""
        return f"{self.base}/catalog/{org}/{name}"

    def landing_page(self, org: str, name: str) -> str:
        return f"{self.base}/datasets/{org}/{name}"

    def organization(self, org: str) -> str:
        return f"{self.base}/organizations/{org}"

    def dataset_api(self, org: str, name: str) -> str:
        return f"{self.base}/api/v1/datasets/{org}/{name}"

    def rows(self, org: str, dataset: str, table: str, fmt: str | None = None) -> str:
        url = f"{self.base}/api/v1/datasets/{org}/{dataset}/tables/{table}/rows"
        return f"{url}?format={quote(fmt)}" if fmt else url

    def distribution(self, org: str, dataset: str, table: str, fmt: str) -> str:
        return f"{self.dataset(org, dataset)}/{table}/{fmt}"

    def ckan_action(self, action: str) -> str:
        return f"{self.base}/api/3/action/{action}"
