"""Loading data over HTTP: a streamed upload, or a URL for the server to fetch.

``POST /api/v1/datasets/{org}/{dataset}/ingest`` takes ``multipart/form-data`` (the file in a part named
``file``) or the raw file as the body (``--data-binary @file``, name it with ``?filename=``). Options are
query parameters. Large files are spooled to disk while they arrive; nothing is held whole in memory.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
import socket
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from datavalley.access.policy import check_dataset_editable
from datavalley.api.deps import CallerDep, RuntimeDep
from datavalley.errors import BadRequest, DataValleyError, InvalidInput
from datavalley.ingest.load import IngestRequest, IngestResult, OnError, WriteMode, ingest
from datavalley.runtime import Runtime

router = APIRouter(prefix="/datasets/{org}/{dataset}", tags=["ingest"])
CHUNK = 1 << 20


class IngestResultPublic(BaseModel):
    table: str = Field(description="ORG/DATASET/TABLE")
    version: int
    mode: str
    rows_written: int
    rows_rejected: int
    rejects_file: str | None = Field(
        description="where the rejected rows and their reasons were saved, relative to the server's home "
        "(DATAVALLEY_HOME): the operator finds them there; no server path is shown"
    )
    row_count: int
    columns: list[dict[str, str]]
    seconds: float
    source: str


def _public(rt: Runtime, result: IngestResult) -> IngestResultPublic:
    fields = asdict(result)
    if result.rejects_file:
        path = Path(result.rejects_file)
        fields["rejects_file"] = (
            str(path.relative_to(rt.settings.home)) if path.is_relative_to(rt.settings.home) else path.name
        )
    return IngestResultPublic(**fields)


class IngestResultsPublic(BaseModel):
    data: list[IngestResultPublic]
    count: int


class IngestFromUrl(BaseModel):
    url: str = Field(max_length=2000, description="http(s) URL of the file")
    table: str | None = None
    mode: WriteMode = "create"
    key: list[str] = Field(default_factory=list)
    encoding: str | None = None
    on_error: OnError = "fail"
    sheet: str | None = None


#: a command-line option in a message (``--on-error skip``), said as the HTTP parameter it is here
_OPTION = re.compile(r"--([a-z][a-z-]*)(?: ([a-z0-9][a-z0-9_-]*))?")


def _as_parameters(text: str) -> str:
    return _OPTION.sub(lambda m: f"`{m.group(1).replace('-', '_')}={m.group(2) or '…'}`", text)


def _ingest(rt: Runtime, request: IngestRequest) -> list[IngestResult]:
    """``ingest``, its errors worded for an HTTP caller (parameters, not command-line options)."""
    try:
        return ingest(rt, request)
    except DataValleyError as exc:
        exc.reword(_as_parameters)
        raise


def _key_list(key: str | None) -> list[str]:
    return [k.strip() for k in (key or "").split(",") if k.strip()]


async def _receive(request: Request, workdir: Path, filename: str | None) -> tuple[Path, str]:
    """Write the uploaded file into ``workdir``; return its path and the name the client gave it."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=20)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput.for_field("file", "the multipart body needs a file part named `file`")
        name = Path(filename or upload.filename or "upload").name
        target = workdir / name
        with target.open("wb") as out:
            while chunk := await upload.read(CHUNK):
                out.write(chunk)
        await upload.close()
        return target, name
    if not filename:
        raise InvalidInput.for_field(
            "filename", "name the uploaded file with ?filename=data.csv (or send multipart/form-data)"
        )
    name = Path(filename).name
    target = workdir / name
    size = 0
    with target.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            out.write(chunk)
    if size == 0:
        raise InvalidInput.for_field("file", "the request body is empty; send the file's bytes")
    return target, name


@router.post(
    "/ingest", response_model=IngestResultsPublic, status_code=201, summary="Upload a file into a table"
)
async def upload_file(
    request: Request,
    rt: RuntimeDep,
    caller: CallerDep,
    org: str,
    dataset: str,
    table: Annotated[str | None, Query(description="table name; default: the file's name")] = None,
    mode: WriteMode = "create",
    key: Annotated[str | None, Query(description="key column(s) for upsert, comma-separated")] = None,
    encoding: str | None = None,
    on_error: OnError = "fail",
    sheet: str | None = None,
    filename: Annotated[str | None, Query(description="name of a raw (non-multipart) upload")] = None,
) -> IngestResultsPublic:
    def check() -> None:
        with rt.session() as session:  # 404 / 403 before the body is read
            check_dataset_editable(session, caller, org, dataset, "loading data")

    await run_in_threadpool(check)
    workdir = rt.settings.home / "tmp" / f"upload-{uuid.uuid4().hex[:12]}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        path, name = await _receive(request, workdir, filename)
        ingest_request = IngestRequest(
            source=str(path),
            source_name=name,
            dataset=f"{org}/{dataset}",
            table=table,
            mode=mode,
            key=_key_list(key),
            encoding=encoding,
            on_error=on_error,
            sheet=sheet,
            user=caller.name,
        )
        results = await run_in_threadpool(_ingest, rt, ingest_request)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    data = [_public(rt, r) for r in results]
    return IngestResultsPublic(data=data, count=len(data))


def check_public_url(url: str, *, allow_private: bool) -> None:
    """Refuse URLs the server should not fetch for a caller: other schemes, and private addresses."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInput.for_field("url", f"`{url}` is not an http(s) URL")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        raise InvalidInput.for_field("url", f"host `{parsed.hostname}` cannot be resolved") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise InvalidInput.for_field(
                "url", f"`{parsed.hostname}` is a private or local address; the server does not fetch those"
            )


@router.post(
    "/ingest/url", response_model=IngestResultsPublic, status_code=201, summary="Load a file from a URL"
)
def ingest_url(
    rt: RuntimeDep, caller: CallerDep, org: str, dataset: str, body: IngestFromUrl
) -> IngestResultsPublic:
    with rt.session() as session:
        check_dataset_editable(session, caller, org, dataset, "loading data")
    check_public_url(body.url, allow_private=rt.settings.ingest_allow_private_urls)
    if not body.url:
        raise BadRequest("give the url to load from")
    results = _ingest(
        rt,
        IngestRequest(
            source=body.url,
            dataset=f"{org}/{dataset}",
            table=body.table,
            mode=body.mode,
            key=body.key,
            encoding=body.encoding,
            on_error=body.on_error,
            sheet=body.sheet,
            user=caller.name,
        ),
    )
    data = [_public(rt, r) for r in results]
    return IngestResultsPublic(data=data, count=len(data))
