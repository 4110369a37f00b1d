"""What an HTTP response must look like to a client: the resource on success, one error shape on failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

API = "/api/v1"


def json_of(response: httpx.Response, status: int = 200) -> Any:
    """The JSON document of a successful response."""
    assert response.status_code == status, response.text
    return response.json()


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The ``error`` object of a failed response, after checking it has exactly the API's error shape.

    ``{"error": {"status": <the HTTP status>, "code": str, "message": str, "details": [{"field", "message"}]}}``
    """
    assert response.status_code == status, f"expected {status}, got {response.status_code}: {response.text}"
    assert response.headers["content-type"] == "application/json", response.headers["content-type"]
    body = response.json()
    assert isinstance(body, dict) and list(body) == ["error"], body
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"status", "code", "message", "details"}, error
    assert type(error["status"]) is int and error["status"] == status, error
    assert isinstance(error["code"], str) and error["code"], error
    assert isinstance(error["message"], str) and error["message"].strip(), error
    assert isinstance(error["details"], list), error
    for detail in error["details"]:
        assert isinstance(detail, dict) and set(detail) == {"field", "message"}, detail
        assert isinstance(detail["field"], str) and detail["field"], detail
        assert isinstance(detail["message"], str) and detail["message"].strip(), detail
    assert "Traceback" not in response.text
    return error


def invalid(response: httpx.Response, field: str) -> dict[str, Any]:
    """A 422 whose details name ``field``."""
    error = error_of(response, 422)
    fields = [d["field"] for d in error["details"]]
    assert field in fields, f"expected `{field}` among the fields {fields}: {error['message']}"
    return error


def names(response: httpx.Response) -> list[str]:
    """The dataset names of a list or search result, in order."""
    return [d["name"] for d in json_of(response)["data"]]


def when(timestamp: str) -> datetime:
    """A timestamp of the API as a datetime (the text of two timestamps does not sort reliably)."""
    return datetime.fromisoformat(timestamp)


def facet(result: dict[str, Any], name: str) -> dict[str, int]:
    """One facet of a search result as ``{value: count}``."""
    return {f["value"]: f["count"] for f in result["facets"][name]}


def still_serving(client: Any) -> None:
    """The server answers normally after whatever went before."""
    assert json_of(client.get(f"{API}/health"))["status"] == "ok"
