"""DCAT-AP 3 over HTTP: ``/catalog.ttl|.jsonld|.rdf`` (paged) and ``/catalog/ORG/NAME.ttl|.jsonld|.rdf``.

``/catalog`` and ``/catalog/ORG/NAME`` (the identifiers used inside the documents) answer with a 303
to the document in the format the ``Accept`` header asks for (Turtle by default; a browser asking for
HTML is sent to the portal page).

These paths are read by harvesters, not people: errors come in the native API's JSON shape, whatever
the portal does for its own pages.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from datavalley.api.deps import RuntimeDep, reject_nul
from datavalley.errors import DataValleyError, InvalidInput, NotFound
from datavalley.interop import dcat
from datavalley.interop.urls import Urls, base_url

router = APIRouter(tags=["DCAT-AP"])

_ACCEPT = (
    ("text/turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdf"),
)


def _extension(ext: str) -> str:
    if ext not in dcat.SERIALIZERS:
        raise NotFound(f"no catalog format `.{ext}`; use .ttl (Turtle), .jsonld (JSON-LD) or .rdf (RDF/XML)")
    return ext


def _wanted(request: Request) -> str | None:
    """The extension the Accept header asks for; None for HTML."""
    accept = request.headers.get("accept", "")
    for media_type, ext in _ACCEPT:
        if media_type in accept:
            return ext
    return None if "text/html" in accept else "ttl"


def _number(request: Request, name: str, default: int, high: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.strip().isdigit() or not 1 <= int(text) <= high:
        raise InvalidInput.for_field(name, f"give a whole number from 1 to {high}, not `{text}`")
    return int(text)


def _answer(request: Request, extension: str, build: Callable[[], bytes]) -> Response:
    """The document, or the error in the native JSON shape."""
    try:
        reject_nul(request)
        body = build()
    except DataValleyError as exc:
        return JSONResponse(exc.to_dict(), status_code=exc.status)
    return Response(body, media_type=dcat.SERIALIZERS.get(extension, ("", "text/plain"))[1])


@router.get("/catalog", include_in_schema=False)
def catalog_redirect(request: Request) -> RedirectResponse:
    ext = _wanted(request)
    target = f"{base_url(request)}/catalog.{ext}" if ext else f"{base_url(request)}/search"
    return RedirectResponse(target, status_code=303)


@router.get(
    "/catalog.{ext}",
    summary="The public catalog as DCAT-AP 3 (Turtle, JSON-LD or RDF/XML), one page",
    description="`ext` is `ttl`, `jsonld` or `rdf`. Query: `page` (from 1) and `page_size` (1 to "
    f"{dcat.MAX_PAGE_SIZE}, default {dcat.DEFAULT_PAGE_SIZE}); datasets come oldest first. Each page "
    "carries Hydra paging links (`hydra:next`, `hydra:last`, ...).",
    response_class=Response,
)
def catalog_page(request: Request, rt: RuntimeDep, ext: str) -> Response:
    def build() -> bytes:
        extension = _extension(ext)
        page = _number(request, "page", 1, 1_000_000)
        page_size = _number(request, "page_size", dcat.DEFAULT_PAGE_SIZE, dcat.MAX_PAGE_SIZE)
        with rt.session() as session:
            return dcat.catalog_document(
                session, Urls(base_url(request)), extension=extension, page=page, page_size=page_size
            )

    return _answer(request, ext, build)


@router.get(
    "/catalog/{org}/{name}.{ext}",
    summary="One public dataset as DCAT-AP 3 (Turtle, JSON-LD or RDF/XML)",
    response_class=Response,
)
def dataset_document(request: Request, rt: RuntimeDep, org: str, name: str, ext: str) -> Response:
    def build() -> bytes:
        extension = _extension(ext)
        with rt.session() as session:
            return dcat.dataset_document(session, Urls(base_url(request)), org, name, extension=extension)

    return _answer(request, ext, build)


@router.get("/catalog/{org}/{name}", include_in_schema=False)
def dataset_redirect(request: Request, org: str, name: str) -> RedirectResponse:
    ext = _wanted(request)
    urls = Urls(base_url(request))
    target = f"{urls.dataset(org, name)}.{ext}" if ext else urls.landing_page(org, name)
    return RedirectResponse(target, status_code=303)
