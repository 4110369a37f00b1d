"""Where input comes from: a local path or a URL, maybe gzip- or zip-compressed; what format it is."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from datavalley.errors import InvalidInput

#: file extension → format name (the key of the reader registry)
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".psv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
}


@dataclass(frozen=True)
class SourceFile:
    """One input file on local disk, ready to read."""

    path: Path
    name: str  # the name the user knows it by (for messages and the default table name)
    format: str

    @property
    def stem(self) -> str:
        name = self.name
        for ext in (".gz", ".zip"):
            name = name.removesuffix(ext)
        return Path(name).stem


def is_url(value: str) -> bool:
    return urlparse(value).scheme in {"http", "https"}


def download(url: str, workdir: Path, *, on_bytes: object = None) -> Path:
    """Stream ``url`` to a file in ``workdir``; nothing is held whole in memory."""
    import httpx  # only URLs need it: kept off every command's start-up

    name = Path(unquote(urlparse(url).path)).name or "download"
    target = workdir / name
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=60) as response:
            if response.status_code >= 400:
                raise InvalidInput.for_field("source", f"{url} answered HTTP {response.status_code}")
            with target.open("wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
                    if callable(on_bytes):
                        on_bytes(len(chunk))
    except httpx.HTTPError as exc:
        raise InvalidInput.for_field("source", f"cannot download {url}: {exc}") from None
    return target


def sniff_format(path: Path, name: str) -> str:
    """The format of a file, from its extension, else from its first bytes."""
    suffix = Path(name.removesuffix(".gz")).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    with path.open("rb") as f:
        head = f.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "xlsx" if b"[Content_Types].xml" in head or b"xl/" in head else "zip"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith(b"{"):
        return "ndjson"
    return "csv"


def unpack(path: Path, name: str, workdir: Path) -> list[SourceFile]:
    """The data files inside ``path``: itself, its gunzipped copy, or each data file of a zip."""
    if not path.exists():
        raise InvalidInput.for_field("source", f"{name}: no such file")
    if path.is_dir():
        raise InvalidInput.for_field("source", f"{name} is a folder; give a file")
    with path.open("rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        inner_name = name[:-3] if name.endswith(".gz") else name + ".out"
        target = workdir / Path(inner_name).name
        try:
            with gzip.open(path, "rb") as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, 1 << 22)
        except (OSError, EOFError) as exc:
            raise InvalidInput.for_field("source", f"{name} is not a readable gzip file: {exc}") from None
        return unpack(target, inner_name, workdir)
    if magic == b"PK\x03\x04" and not name.lower().endswith(".xlsx"):
        if sniff_format(path, name) == "xlsx":
            return [SourceFile(path, name, "xlsx")]
        return _unzip(path, name, workdir)
    return [SourceFile(path, name, sniff_format(path, name))]


def _unzip(path: Path, name: str, workdir: Path) -> list[SourceFile]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise InvalidInput.for_field("source", f"{name} is not a readable zip file: {exc}") from None
    out: list[SourceFile] = []
    with archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir() and not Path(m.filename).name.startswith(".") and "__MACOSX" not in m.filename
        ]
        if not members:
            raise InvalidInput.for_field("source", f"{name} holds no files")
        for i, member in enumerate(members):
            member_name = Path(member.filename).name
            target = workdir / f"zip{i}_{member_name}"
            with archive.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            out.extend(unpack(target, member_name, workdir))
    return out
