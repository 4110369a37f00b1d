"""Settings: one class, read from ``DATAVALLEY_*`` environment variables.

Nested settings use ``__`` as the separator, e.g. ``DATAVALLEY_SERVER__PORT=9000``.

>>> Settings(home="/tmp/dv").database_url
'sqlite:////tmp/dv/datavalley.db'
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServerSettings(BaseModel):
    """Where ``datavalley serve`` listens by default."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class QuerySettings(BaseModel):
    """Limits of one SQL query (``DATAVALLEY_QUERY__*``): it is interrupted when its time is up."""

    engine: str = Field(default="duckdb", description="query engine: duckdb")
    timeout_seconds: float = Field(default=60.0, gt=0, le=86_400)
    memory_limit: str = Field(default="2GB", description="DuckDB memory limit shared by running queries")
    threads: int | None = Field(default=None, ge=1, le=256, description="default: the machine's cores")


class AuthSettings(BaseModel):
    """Logins, portal sessions, API tokens and the failed-login limit (``DATAVALLEY_AUTH__*``)."""

    session_hours: float = Field(default=12, gt=0, le=24 * 30, description="a portal login lasts this long")
    cookie_secure: bool = Field(
        default=True, description="send the session cookie over HTTPS only (browsers exempt localhost)"
    )
    token_days: int = Field(default=90, ge=1, le=3650, description="default lifetime of a new API token")
    login_window_seconds: int = Field(
        default=900, ge=1, description="failed logins count against the limits for this long"
    )
    login_max_failures_per_user: int = Field(default=5, ge=1, description="per user name, in the window")
    login_max_failures_per_address: int = Field(
        default=20, ge=1, description="per client address, in the window"
    )


class Settings(BaseSettings):
    """Everything DataValley reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="DATAVALLEY_", env_nested_delimiter="__", extra="ignore")

    home: Path = Field(default=Path(".datavalley"), description="folder holding the embedded store")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the metadata store; default: SQLite file in the home folder",
    )
    server: ServerSettings = Field(default_factory=ServerSettings)
    query: QuerySettings = Field(default_factory=QuerySettings)
    admin_user: str | None = Field(
        default=None, description="name of the first platform admin `datavalley init` creates (default admin)"
    )
    admin_password: SecretStr | None = Field(
        default=None, description="its password; default: a random one, printed once"
    )
    auth: AuthSettings = Field(default_factory=AuthSettings)
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
