"""Reading CKAN action parameters: numbers and JSON that may come as text (GET) or as values (POST),
Solr-style ``q`` / ``fq`` filters, and ``sort`` strings.

A query-string key given several times arrives as a list (as CKAN reads it): list parameters
(:func:`string_list`, :func:`text_list`) take it; a one-value parameter refuses it by name
(:func:`single`) instead of keeping one of the values.

Errors are CKAN's: a bad parameter is a ``Validation Error`` naming it; a filter we cannot answer is a
``Search Query Error`` (never silently dropped: an ignored filter would widen the answer).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from datavalley.errors import BadRequest, ErrorDetail, InvalidInput
from datavalley.interop.ckan_model import derived_id, split_package_name
from datavalley.interop.finder import DatasetFilter, SortField


class SearchQueryError(BadRequest):
    """CKAN's "Search Query Error": the ``q``/``fq``/``sort`` cannot be understood."""


def invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"`{field}`: {message}", details=[ErrorDetail(field, message)])


ONE_VALUE = "takes one value, not several: give it once"


def single(params: dict[str, Any], name: str) -> Any:
    """The value of a one-value parameter; a list (a repeated query key, or a JSON list) is refused."""
    value = params.get(name)
    if isinstance(value, list):
        raise invalid(name, ONE_VALUE)
    return value


def integer(params: dict[str, Any], name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
    """A whole number; above ``high`` it is capped (as CKAN caps ``rows``), below ``low`` refused."""
    value = single(params, name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(name, "Invalid integer")
    text = str(value).strip()
    if not re.fullmatch(r"-?\d{1,18}", text):
        raise invalid(name, "Invalid integer")
    number = int(text)
    if number < low:
        raise invalid(name, f"Must be a natural number of at least {low}")
    return min(number, high) if high is not None else number


def boolean(params: dict[str, Any], name: str, default: bool) -> bool:
    value = single(params, name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise invalid(name, f"`{value}` is not true or false")


def json_value(params: dict[str, Any], name: str) -> Any:
    """A list or object given as itself (POST) or as JSON text (GET)."""
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value  # a plain word: the caller decides whether that is fine
    return value


def text(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = single(params, name)
    if value is None or value == "":
        if required:
            raise invalid(name, "Missing value")
        return None
    if not isinstance(value, str | int):
        raise invalid(name, "must be a string")
    return str(value)


def string_list(params: dict[str, Any], name: str) -> list[str]:
    """A list given as a JSON list, a single string, or comma-separated text."""
    value = json_value(params, name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise invalid(name, "must be a list of strings")


def text_list(params: dict[str, Any], name: str) -> list[str]:
    """A list of texts that may hold commas (``fq_list``): a list, a JSON list, or one text."""
    value = params.get(name)
    if isinstance(value, str) and value.lstrip().startswith("["):
        value = json_value(params, name)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v for v in value if v.strip()]
    raise invalid(name, "must be a list of strings")


# --- q and fq -----------------------------------------------------------------------------------

_TERM = re.compile(
    r'(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):(?P<value>"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\([^)]*\)|[^\s()]+)'
)
FQ_FIELDS = (
    "organization",
    "owner_org",
    "tags",
    "groups",
    "name",
    "license_id",
    "res_format",
    "metadata_modified",
    "metadata_created",
    "capacity",
    "dataset_type",
    "type",
    "state",
)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _alternatives(value: str) -> list[str]:
    if value.startswith("(") and value.endswith(")"):
        parts = re.split(r"\s+OR\s+", value[1:-1].strip())
        return [_unquote(p.strip()) for p in parts if p.strip()]
    return [_unquote(value)]


def _moment(text: str, *, field: str) -> datetime | None:
    text = text.strip()
    if text == "*":
        return None
    now = datetime.now(UTC)
    math = re.fullmatch(r"NOW(?:([+-])(\d{1,6})(DAY|DAYS|HOUR|HOURS|MINUTE|MINUTES))?(?:/DAY)?", text)
    if math:
        if not math.group(1):
            return now
        unit = {"D": "days", "H": "hours", "M": "minutes"}[math.group(3)[0]]
        delta = timedelta(**{unit: int(math.group(2))})
        return now + delta if math.group(1) == "+" else now - delta
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SearchQueryError(
            f"{field}: `{text}` is not a date; write [2024-01-01T00:00:00Z TO NOW] (ISO 8601, *, NOW, NOW-7DAYS)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date_range(field: str, value: str) -> tuple[datetime | None, datetime | None]:
    match = re.fullmatch(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]", value)
    if not match:
        raise SearchQueryError(
            f"{field}: write a range as [FROM TO UNTIL], e.g. [2024-01-01T00:00:00Z TO NOW]"
        )
    return _moment(match.group(1), field=field), _moment(match.group(2), field=field)


def _apply(where: DatasetFilter, sign: str, field: str, raw: str, org_ids: dict[str, str]) -> None:
    negative = sign == "-"
    values = _alternatives(raw)
    several = len(values) > 1
    if field in ("metadata_modified", "metadata_created"):
        if negative:
            raise SearchQueryError(f"-{field} (excluding a range) is not supported")
        bounds = _date_range(field, raw)
        setattr(where, field.removeprefix("metadata_"), bounds)
        return
    if field in ("organization", "owner_org"):
        names = [org_ids.get(v, v) for v in values] if field == "owner_org" else values
        (where.not_organizations if negative else where.organizations).extend(names)
        return
    if several or (negative and field != "tags"):
        raise SearchQueryError(
            f"{field}: only `organization` takes several values (a OR b) or a `-`; filter on one value"
        )
    value = values[0]
    if field == "tags":
        (where.not_tags if negative else where.tags).append(value.lower())
    elif field == "groups":
        where.themes.append(value.lower())
    elif field == "name":
        parts = split_package_name(value)
        if parts is None:
            where.nothing = True
        else:
            where.names.append("/".join(parts))
    elif field == "license_id":
        where.licenses.append(value)
    elif field == "res_format":
        where.res_formats.append(value)
    elif field == "capacity":
        where.public = {"public": True, "private": False}.get(value.lower())
        if where.public is None:
            raise SearchQueryError("capacity: write capacity:public or capacity:private")
    elif field in ("dataset_type", "type"):
        if value != "dataset":
            where.nothing = True
    elif field == "state":
        if value not in ("active", "draft"):
            where.nothing = True
    else:
        raise SearchQueryError(f"cannot filter on `{field}`; fq takes {', '.join(FQ_FIELDS)}")


def parse_query(q: str | None, fq: str | None, org_names: list[str]) -> DatasetFilter:
    """``q`` (words, maybe with ``field:value`` terms) and ``fq`` (``field:value`` terms) → a filter."""
    where = DatasetFilter()
    org_ids = {derived_id("organization", name): name for name in org_names}
    words: list[str] = []
    for source, is_fq in ((q or "", False), (fq or "", True)):
        rest = source
        for match in _TERM.finditer(source):
            if match.group("field") == "*" or match.group(0) == "*:*":
                continue
            _apply(where, match.group("sign"), match.group("field"), match.group("value"), org_ids)
        rest = _TERM.sub(" ", source).replace("*:*", " ")
        leftover = [w for w in rest.split() if w not in ("AND", "+", "&&")]
        if is_fq and leftover:
            if "OR" in leftover:
                raise SearchQueryError("fq: OR between filters is not supported; use field:(a OR b)")
            raise SearchQueryError(f"fq: `{' '.join(leftover)}` is not of the form field:value")
        words.extend(w for w in leftover if w not in ("OR", "*"))
    where.q = " ".join(words) or None
    return where


# --- sort ---------------------------------------------------------------------------------------

_SORT_FIELDS: dict[str, SortField] = {
    "score": "score",
    "relevance": "score",
    "name": "ref",
    "title": "title",
    "title_string": "title",
    "metadata_modified": "metadata_modified",
    "metadata_created": "metadata_created",
}


def parse_sort(value: str | None) -> list[tuple[SortField, bool]]:
    """``"score desc, metadata_modified desc"`` → ``[("score", True), ("metadata_modified", True)]``."""
    if not value or not value.strip():
        return []
    keys: list[tuple[SortField, bool]] = []
    for part in value.split(","):
        words = part.split()
        if not words:
            continue
        field, direction = words[0], (words[1].lower() if len(words) > 1 else "asc")
        if field not in _SORT_FIELDS or direction not in ("asc", "desc") or len(words) > 2:
            raise SearchQueryError(
                f"cannot sort by `{part.strip()}`; use {', '.join(_SORT_FIELDS)} with asc or desc"
            )
        keys.append((_SORT_FIELDS[field], direction == "desc"))
    return keys
