"""A read plan as SQL: the view every read path puts between a caller and a table's raw rows.

``plan_select(plan, schema, raw)`` gives ``SELECT <allowed columns, masked> FROM raw WHERE <row filter>``.
Every reader registers the table's Arrow dataset under a private name, wraps it in this view, and runs
the caller's request over the view only: filters, sorts, joins and aggregates all see masked values
and only the permitted rows, so no request can be phrased to get around the rules. DuckDB still pushes
the caller's filters and projections through the view into the Arrow scan.

Hash masks and their key
    A ``hash`` mask shows HMAC-SHA256 of the value, keyed by the grant's salt. The key never appears in
    SQL text: the view calls a function (:func:`hash_function`) whose name is derived one-way from the
    key, and the engine binds that name to Python code holding the key (:func:`register_functions`).
    So an ``EXPLAIN``, an error or a column name that shows the view's SQL shows a function name, never
    the key; a grantee cannot recompute the hashes of guessed values.

>>> import pyarrow as pa
>>> from datavalley.access.policy import Mask
>>> mask_sql('"phone"', Mask("redact", keep_first=3, keep_last=2), pa.string(), salt="")
'CASE WHEN "phone" IS NULL THEN NULL WHEN length(CAST("phone" AS VARCHAR)) <= 5 THEN repeat(\\'*\\', length(CAST("phone" AS VARCHAR))) ELSE left(CAST("phone" AS VARCHAR), 3) || repeat(\\'*\\', length(CAST("phone" AS VARCHAR)) - 5) || right(CAST("phone" AS VARCHAR), 2) END'
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Mapping

import duckdb
import pyarrow as pa

from datavalley.access.policy import Mask, ReadPlan
from datavalley.errors import DataValleyError


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def mask_sql(col: str, mask: Mask, arrow_type: pa.DataType, *, salt: str) -> str:
    """The SQL expression that shows column ``col`` (already quoted) through ``mask``."""
    if mask.kind == "null":
        return f"CASE WHEN FALSE THEN {col} END"  # NULL of the column's own type
    text = f"CAST({col} AS VARCHAR)"
    if mask.kind == "hash":
        return f"CASE WHEN {col} IS NULL THEN NULL ELSE {hash_function(salt)}({text}) END"
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


HASH_FUNCTION_PREFIX = "__dv_mask_"


def hash_function(salt: str) -> str:
    """The SQL name of the keyed hash of one salt: derived one-way from it, so it gives nothing away."""
    digest = hashlib.sha256(b"datavalley mask function\x00" + salt.encode()).hexdigest()[:24]
    return f"{HASH_FUNCTION_PREFIX}{digest}"


def keyed_hash(salt: str, value: str) -> str:
    """What a ``hash`` mask shows for ``value``: HMAC-SHA256 keyed by the grant's salt, in hex.

    >>> keyed_hash("k", "x") == hmac.new(b"k", b"x", hashlib.sha256).hexdigest()
    True
    """
    return hmac.new(salt.encode(), value.encode(), hashlib.sha256).hexdigest()


def plan_functions(plan: ReadPlan) -> dict[str, str]:
    """The functions the plan's view calls, by name → their key (empty without ``hash`` masks)."""
    if any(mask.kind == "hash" for mask in plan.masks.values()):
        return {hash_function(plan.salt): plan.salt}
    return {}


def _hasher(salt: str) -> Callable[[pa.Array], pa.Array]:
    """:func:`keyed_hash` over an Arrow array: the key is taken once, each value hashes a copy."""
    keyed = hmac.new(salt.encode(), digestmod=hashlib.sha256)

    def one(value: str) -> str:
        h = keyed.copy()
        h.update(value.encode())
        return h.hexdigest()

    def batch(values: pa.Array) -> pa.Array:
        return pa.array([None if v is None else one(v) for v in values.to_pylist()], pa.string())

    return batch


_functions: dict[str, Callable[[pa.Array], pa.Array]] = {}
_functions_lock = threading.Lock()


def register_functions(con: duckdb.DuckDBPyConnection, functions: Mapping[str, str]) -> None:
    """Bind each function a view calls (``plan_functions``) on the connection's database.

    Functions belong to the database, not the connection, and a name stands for one key only, so a
    name already bound is left as it is. DuckDB does not keep the Python function alive once the
    connection that bound it closes, so the process keeps each one (one per grant read).
    """
    for name, salt in functions.items():
        with _functions_lock:
            function = _functions.setdefault(name, _hasher(salt))
        try:
            con.create_function(
                name,
                function,
                [duckdb.sqltype("VARCHAR")],
                duckdb.sqltype("VARCHAR"),
                type="arrow",
                null_handling="special",
                side_effects=False,
            )
        except duckdb.CatalogException:
            continue  # already bound on this database (by an earlier read under the same grant)


def plan_schema(plan: ReadPlan, schema: pa.Schema) -> pa.Schema:
    """The columns and types the plan's view shows for a version of ``schema`` (see plan_select)."""
    fields = []
    for name in schema.names if plan.every_column else plan.columns:
        if name not in schema.names:
            continue
        field = schema.field(name)
        mask = plan.masks.get(name)
        if mask is not None and mask.kind in ("hash", "redact"):
            field = field.with_type(pa.string())
        elif mask is not None and mask.kind == "year":
            field = field.with_type(pa.int64())
        fields.append(field)
    return pa.schema(fields)


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
