"""Settings: one class, read from ``DATAVALLEY_*`` environment variables.

Nested settings use ``__`` as the separator, e.g. ``DATAVALLEY_SERVER__PORT=9000``.

>>> Settings(home="/tmp/dv").database_url
'sqlite:////tmp/dv/datavalley.db'
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServerSettings(BaseModel):
    """Where ``datavalley serve`` listens by default."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class Settings(BaseSettings):
    """Everything DataValley reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="DATAVALLEY_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default=Path(".datavalley"), description="folder holding the embedded store")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the metadata store; default: SQLite file in the home folder",
    )
    server: ServerSettings = Field(default_factory=ServerSettings)
    ingest_allow_private_urls: bool = Field(
        default=False,
        description="let ingest-from-URL fetch loopback and private-network addresses (off: SSRF guard)",
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="time zone whose days the working-day deadlines count"
    )
    holidays: Annotated[list[date], NoDecode] = Field(
        default_factory=list,
        description="holidays (comma-separated ISO dates) skipped by working-day deadlines; "
        "also read from holidays.txt in the home folder",
    )
    workdays: Annotated[list[date], NoDecode] = Field(
        default_factory=list, description="weekend days that are working days (comma-separated ISO dates)"
    )

    @field_validator("holidays", "workdays", mode="before")
    @classmethod
    def _date_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'datavalley.db'}"
        return self

    @property
    def sites_dir(self) -> Path:
        """Folder of the embedded sites (data centres), one sub-folder per site."""
        return self.home / "sites"


def get_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with keyword overrides on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
