"""Signed, expiring URLs for the data files DataValley hands to Delta Sharing recipients.

A URL is ``{base}/delta-sharing/files/{file}?expires={unix seconds}&signature={hex}`` where ``file`` is
the URL-safe base64 of a small JSON object naming the file (the table, version, recipient and the
file within the table version or the filtered copy) and ``signature`` is HMAC-SHA256 over
``file.expires`` with the server's secret. Changing any character of ``file`` or ``expires`` breaks the
signature, so a URL opens that one file until that time and nothing else. The secret is
``DATAVALLEY_SHARING_URL_SECRET`` when set (several API processes must share it), else a random one
made once in ``<home>/sharing/url-secret`` (mode 0600).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from datavalley.config import Settings
from datavalley.errors import Forbidden

MAX_FILE_ID = 2000


class SharingSettings(BaseSettings):
    """Delta Sharing knobs (``DATAVALLEY_SHARING_*`` variables)."""

    model_config = SettingsConfigDict(env_prefix="DATAVALLEY_SHARING_", extra="ignore")

    url_secret: SecretStr | None = Field(
        default=None, description="key of the file URL signatures; default: a random one in the home folder"
    )
    url_seconds: int = Field(default=900, ge=10, le=7 * 86_400, description="how long a file URL works")
    cache_days: float = Field(default=7, gt=0, description="filtered copies unused for this long are deleted")


def sharing_settings() -> SharingSettings:
    return SharingSettings()


def url_secret(settings: Settings) -> bytes:
    """The signing key: from the settings, else made once in the home folder."""
    configured = sharing_settings().url_secret
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value().encode()
    path = settings.home / "sharing" / "url-secret"
    with contextlib.suppress(FileNotFoundError):
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return _read_secret(path)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(32))
    return _read_secret(path)


def _read_secret(path: Path) -> bytes:
    for _ in range(50):  # a process that just created the file may not have written it yet
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.01)
    raise FileNotFoundError(path)


def _signature(secret: bytes, file_id: str, expires: int) -> str:
    return hmac.new(secret, f"{file_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def sign(secret: bytes, payload: dict[str, Any], *, expires: int) -> tuple[str, str]:
    """``(file, query string)`` of a URL for ``payload`` until ``expires`` (unix seconds)."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    file_id = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return file_id, f"expires={expires}&signature={_signature(secret, file_id, expires)}"


def verify(secret: bytes, file_id: str, expires: str | None, signature: str | None) -> dict[str, Any]:
    """The payload of a signed file URL; 403 if the signature is wrong or the URL has expired."""
    if not expires or not signature or len(file_id) > MAX_FILE_ID or not expires.isdigit():
        raise Forbidden("this file URL is not signed; query the table again for fresh URLs")
    if not hmac.compare_digest(_signature(secret, file_id, int(expires)), signature):
        raise Forbidden("this file URL's signature does not match; query the table again for fresh URLs")
    if int(expires) <= time.time():
        raise Forbidden("this file URL has expired; query the table again for fresh URLs")
    try:
        payload = json.loads(base64.urlsafe_b64decode(file_id + "=" * (-len(file_id) % 4)))
    except (binascii.Error, ValueError):
        raise Forbidden("this file URL names no file") from None
    if not isinstance(payload, dict):
        raise Forbidden("this file URL names no file")
    return payload
