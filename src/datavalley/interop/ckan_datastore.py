"""CKAN's ``datastore_search``: a table's rows through the same reader as the native rows API.

The caller's read plan (``datavalley.access.policy.plan_read``: columns, row filter, masks) is handed
to :func:`datavalley.query.rows.read_rows`, which applies it beneath the request, so nothing CKAN
clients ask for can reach hidden rows, columns or values. Every read is written to the audit log
(path ``ckan``).

Mapping: ``filters`` ``{"col": value}`` → ``col=value`` (a list → ``col__in``, null → ``col__isnull``),
``q`` ``{"col": "text"}`` → ``col__contains``, ``fields`` → columns, ``sort`` ``"a asc, b desc"`` →
``a,-b`` (``fields`` and ``sort`` also as lists, e.g. repeated GET keys). ``offset`` is reached by walking the keyset cursor (no row is skipped or repeated; far offsets
cost a read of the rows before them). A ``limit`` above 10,000 is capped at 10,000.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import urlencode

from datavalley.access import audit
from datavalley.access.policy import plan_read
from datavalley.interop import ckan_params as p
from datavalley.interop.ckan_actions import Context, find_resource, read_action
from datavalley.query import rows
from datavalley.query.rows import Filter, RowsPage

RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")


def _ckan_type(arrow_type: str) -> str:
    t = arrow_type.lower()
    if "int" in t and "interval" not in t:
        return "int"
    if t.startswith(("double", "float", "halffloat")):
        return "float"
    if t.startswith("decimal"):
        return "numeric"
    if t.startswith("bool"):
        return "bool"
    if t.startswith("date"):
        return "date"
    if t.startswith("timestamp"):
        return "timestamp"
    if "string" in t:
        return "text"
    return "json"


def _value_text(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise p.invalid("filters", f"the value of `{name}` must be text, a number, true/false or a list of them")


def _filters(params: dict[str, Any]) -> list[Filter]:
    p.single(params, "filters")
    p.single(params, "q")
    given = p.json_value(params, "filters") or {}
    if not isinstance(given, dict):
        raise p.invalid("filters", 'give an object: {"column": value, "other": [value, value]}')
    out = []
    for name, value in given.items():
        if value is None:
            out.append(Filter(name, "isnull", "true"))
        elif isinstance(value, list):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="").writerow([_value_text(name, v) for v in value])
            out.append(Filter(name, "in", buffer.getvalue()))
        else:
            out.append(Filter(name, "eq", _value_text(name, value)))
    query = p.json_value(params, "q")
    if isinstance(query, dict):
        out.extend(Filter(name, "contains", _value_text(name, v)) for name, v in query.items())
    elif query not in (None, ""):
        raise p.invalid(
            "q",
            'full-text search over every column is not supported here; give q as {"column": "text"} '
            "(rows whose column contains the text) or use filters",
        )
    return out


def _sort(params: dict[str, Any]) -> list[str]:
    value = p.json_value(params, "sort")
    parts = value if isinstance(value, list) else str(value or "").split(",")
    keys = []
    for part in parts:
        words = str(part).split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise p.invalid("sort", f"write `column asc` or `column desc`, not `{part}`")
        descending = len(words) == 2 and words[1].lower() == "desc"
        keys.append(("-" if descending else "") + words[0].strip('"'))
    return keys


@read_action
def datastore_search(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Rows of a table: ``resource_id``, ``filters`` ({"col": value}), ``q`` ({"col": "text"}),
    ``fields``, ``sort`` ("col asc, col2 desc"), ``limit`` (default 100, at most 10000), ``offset``,
    ``include_total``, ``records_format`` (objects, lists, csv, tsv)."""
    resource_id = p.text(params, "resource_id", required=True) or ""
    limit = p.integer(params, "limit", rows.DEFAULT_PAGE_ROWS, high=rows.MAX_PAGE_ROWS)
    offset = p.integer(params, "offset", 0)
    include_total = p.boolean(params, "include_total", True)
    records_format = p.text(params, "records_format") or "objects"
    if records_format not in RECORDS_FORMATS:
        raise p.invalid("records_format", f"use one of {', '.join(RECORDS_FORMATS)}")
    fields = [f for f in p.string_list(params, "fields") if f != "_id"]
    filters, sort = _filters(params), _sort(params)
    with ctx.rt.session() as session:
        ds, table = find_resource(session, ctx.caller, resource_id)
        org = ds.organization.name
        plan = plan_read(session, ctx.rt.settings, ctx.caller, org, ds.name, table.name)
    workdir = ctx.rt.settings.home / "tmp" / "duckdb"

    def read(after: str | None, size: int, columns: list[str]) -> RowsPage:
        return rows.read_rows(
            plan.location,
            columns=columns,
            filters=filters,
            sort=sort,
            after=after,
            limit=size,
            workdir=workdir,
            plan=plan,
        )

    after, skipped = None, 0
    page: RowsPage | None = None
    while skipped < offset:  # walk the cursor to the offset, reading one narrow column
        page = read(after, min(offset - skipped, rows.MAX_PAGE_ROWS), fields[:1] or list(plan.columns[:1]))
        skipped += len(page.rows)
        after = page.next
        if after is None:
            break
    if offset and after is None:
        records: list[dict[str, Any]] = []
        head = read(None, 1, fields)
        total, columns = head.count, head.columns
    else:
        page = read(after, max(limit, 1), fields)
        records = page.rows[:limit]
        total, columns = page.count, page.columns
    names = [c.name for c in columns]
    with ctx.rt.session() as session:
        audit.record_read(
            session,
            caller=ctx.caller,
            path="ckan",
            table_ref=plan.location.ref,
            grant_id=plan.grant_id,
            purpose=plan.purpose,
            rows=len(records),
        )
    out: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": [{"id": c.name, "type": _ckan_type(c.type)} for c in columns],
        "records_format": records_format,
        "limit": limit,
        "offset": offset,
        "total_was_estimated": False,
        "_links": _links(ctx, params, offset, limit),
    }
    if include_total:
        out["total"] = total
    if records_format == "objects":
        out["records"] = records
    elif records_format == "lists":
        out["records"] = [[r.get(n) for n in names] for r in records]
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t", lineterminator="\n")
        for r in records:
            writer.writerow(["" if r.get(n) is None else _cell(r.get(n)) for n in names])
        out["records"] = buffer.getvalue()
    return out


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _links(ctx: Context, params: dict[str, Any], offset: int, limit: int) -> dict[str, str]:
    base = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items() if k != "offset"}
    path = "/api/3/action/datastore_search"
    return {
        "start": f"{path}?{urlencode(base)}",
        "next": f"{path}?{urlencode({**base, 'offset': offset + limit})}",
    }
