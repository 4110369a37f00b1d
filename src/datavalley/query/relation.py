"""A read plan as SQL: the view every read path puts between a caller and a table's raw rows.

``plan_select(plan, schema, raw)`` gives ``SELECT <allowed columns, masked> FROM raw WHERE <row filter>``.
Every reader registers the table's Arrow dataset under a private name, wraps it in this view, and runs
the caller's request over the view only: filters, sorts, joins and aggregates all see masked values
and only the permitted rows, so no request can be phrased to get around the rules. DuckDB still pushes
the caller's filters and projections through the view into the Arrow scan.

>>> import pyarrow as pa
>>> from datavalley.access.policy import Mask
>>> mask_sql('"phone"', Mask("redact", keep_first=3, keep_last=2), pa.string(), salt="")
'CASE WHEN "phone" IS NULL THEN NULL WHEN length(CAST("phone" AS VARCHAR)) <= 5 THEN repeat(\\'*\\', length(CAST("phone" AS VARCHAR))) ELSE left(CAST("phone" AS VARCHAR), 3) || repeat(\\'*\\', length(CAST("phone" AS VARCHAR)) - 5) || right(CAST("phone" AS VARCHAR), 2) END'
"""

from __future__ import annotations

import pyarrow as pa

from datavalley.access.policy import Mask, ReadPlan
from datavalley.errors import DataValleyError


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def mask_sql(col: str, mask: Mask, arrow_type: pa.DataType, *, salt: str) -> str:
    """The SQL expression that shows column ``col`` (already quoted) through ``mask``."""
    if mask.kind == "null":
        return f"CASE WHEN FALSE THEN {col} END"  # NULL of the column's own type
    text = f"CAST({col} AS VARCHAR)"
    if mask.kind == "hash":
        return f"CASE WHEN {col} IS NULL THEN NULL ELSE sha256({literal(salt)} || {text}) END"
    if mask.kind == "year":
        if pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type):
            return f"year({col})"
        return f"year(TRY_CAST({text} AS DATE))"
    if mask.kind == "redact":
        first, last = max(mask.keep_first, 0), max(mask.keep_last, 0)
        keep = first + last
        return (
            f"CASE WHEN {col} IS NULL THEN NULL "
            f"WHEN length({text}) <= {keep} THEN repeat('*', length({text})) "
            f"ELSE left({text}, {first}) || repeat('*', length({text}) - {keep}) || right({text}, {last}) END"
        )
    raise DataValleyError(f"unknown mask kind `{mask.kind}`")


def plan_select(plan: ReadPlan, schema: pa.Schema, raw: str) -> str:
    """``SELECT`` of the plan's columns (masked where it says) from relation ``raw``, rows filtered."""
    from datavalley.query.sql import check_predicate, render_predicate

    names = set(schema.names)
    parts = []
    # every column of the version read, or the plan's own (a column dropped since is simply not there)
    for name in schema.names if plan.every_column else plan.columns:
        if name not in names:
            continue
        col = quote(name)
        mask = plan.masks.get(name)
        parts.append(
            f"{mask_sql(col, mask, schema.field(name).type, salt=plan.salt)} AS {col}" if mask else col
        )
    if not parts:
        raise DataValleyError(f"none of the columns of table `{plan.location.ref}` may be read")
    sql = f"SELECT {', '.join(parts)} FROM {raw}"
    if plan.row_filter:
        # checked again at every read: what is stored is never trusted to be safe SQL
        sql += f" WHERE ({render_predicate(check_predicate(plan.row_filter, schema.names))}) IS TRUE"
    return sql
