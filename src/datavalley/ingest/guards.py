"""Type guards: the SQL that turns inferred numbers into typed columns without losing anything.

DuckDB infers column types from a sample. A number column whose type was *inferred* (not fixed by
``--schema`` or by the table appended to) is therefore read as text and converted here, value by value,
with a check that the conversion keeps everything the text says. A value that fails aborts the scan
with ``datavalley:widen:<column>:<type>``; the load then widens that column and reads again.

What is kept, per inferred type (see ``docs/ingest.md``):

- integer: the text must be the integer's own digits (``-?(0|[1-9][0-9]*)``), or that padded with
  spaces; ``-0`` is 0. Leading zeros (``007``), a ``+``, an exponent (``1e3``), a decimal point, a
  ``_`` or hexadecimal make the column a double when the value is one without loss, else text. A
  whole number beyond the type's range makes it a wider integer (HUGEINT, stored as DECIMAL(38,0)),
  and text beyond that.
- double: the text must name the very number the double holds, once printed back (the shortest form
  that reads back as the same double): ``21168.23``, ``0.30000000000000004``, ``1e-5``, ``.5``,
  ``1.50`` and ``nan`` / ``inf`` / ``infinity`` (any case) are fine; ``0.12345678901234567890``
  (more digits than a double holds), ``1e400`` (overflow), ``1e-400`` (underflow), leading zeros and a
  ``+`` make the column text.

Cost matters: the checks run on every value of a file of any size. Each guard is one ``CASE`` whose
first branch is a cheap test that nearly every value passes and that never accepts a lossy value:

- integers: the round trip ``CAST(i AS VARCHAR) = v`` (about 15 ns a value);
- doubles: at most 15 characters of plain decimal (``-?(0|[1-9][0-9]*)(\\.[0-9]+)?``): at most 15
  significant digits, which a double always gives back exactly (about 30 ns a value).

Values that fail the cheap test (padding, ``-0``, exponents, more digits, words) go to an exact but
slower test (``double_exact``, a Python function DuckDB calls for those values only); only a value
that fails that too stops the scan. The converted value is computed once, in
an inner SELECT, so that each branch reuses it (DuckDB does not share sub-expressions inside ``CASE``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Literal

from datavalley.ingest.readers import INTEGER_TYPES, SourceColumn, guarded, sql_ident, sql_string, strict
from datavalley.ingest.types import stored_type

WidenTo = Literal["hugeint", "double", "varchar"]
#: what a widened column becomes, as a DuckDB type
WIDENED_TYPE: dict[str, str] = {"hugeint": "HUGEINT", "double": "DOUBLE", "varchar": "VARCHAR"}
WIDEN = re.compile(r"datavalley:widen:(\d+):(hugeint|double|varchar)")
#: a value of a fixed column would lose something in its type (see ``strict_guard``)
LOSSY = re.compile(r"datavalley:lossy:(\d+)")
#: a value needs the exact test (a scan made without it stops with this message)
NEEDS_EXACT = "datavalley:exact"
_NEEDS_EXACT = f"error('{NEEDS_EXACT}')"

#: an integer as its own digits, maybe padded with spaces (``-0`` too: it is 0)
_WHOLE = r"\s*-?(0|[1-9][0-9]*)\s*"
#: a plain decimal as a double gives it back (with at most 15 characters: at most 15 digits)
_PLAIN = r"-?(0|[1-9][0-9]*)(\.[0-9]+)?"
#: any decimal without leading zeros or a plus sign, maybe with an exponent, maybe padded
_DECIMAL = r"\s*-?(0|[1-9][0-9]*)?(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*"
_WORDS = r"\s*(nan|-?inf|-?infinity)\s*"
_DECIMAL_TYPE = re.compile(r"DECIMAL\(([0-9]+),([0-9]+)\)")
#: a value a fixed whole-number column holds as it is (``strict_guard``): ``7``, ``+7``, `` 7``, ``7.00``
_WHOLE_NUMBER = r"\s*[-+]?[0-9]+(\.0*)?\s*"

_SPACE = "[\t\n\f\r ]"  # what \\s means in DuckDB's regular expressions (RE2)
_DECIMAL_TEXT = re.compile(_DECIMAL.replace("\\s", _SPACE))
_WORDS_TEXT = re.compile(_WORDS.replace("\\s", _SPACE), re.IGNORECASE)


def double_exact(text: str, value: float) -> bool:
    """Does the double ``value`` (``TRY_CAST(text AS DOUBLE)``) hold exactly the number ``text`` says?

    True for ``nan`` / ``inf`` / ``infinity`` words, and for a decimal without leading zeros or a plus
    sign (maybe padded, maybe with an exponent) whose value equals the double printed back in its
    shortest form: ``1.50``, ``1e-5``, ``0.30000000000000004`` are exact; ``0.1234567890123456789``
    (more digits than a double holds), ``1e400`` and ``1e-400`` are not.

    >>> double_exact("1.50", 1.5), double_exact("0.12345678901234567890", 0.12345678901234568)
    (True, False)
    """
    if _WORDS_TEXT.fullmatch(text):
        return True
    if not math.isfinite(value) or not _DECIMAL_TEXT.fullmatch(text):
        return False
    try:
        return Decimal(text.strip(" \t\n\f\r")) == Decimal(repr(value))
    except InvalidOperation:
        return False


def install(con: object) -> None:
    """Define the exact test on a DuckDB connection, for guards made with ``exact=True``.

    The exact test runs only for the rare values that fail a guard's cheap first test, so it is a
    Python function: as SQL it was a tree of regular expressions that DuckDB inlines into every
    column's guard, and binding a file of 600 columns took seconds. Defining it imports numpy (DuckDB
    needs it for Python functions, ~0.09 s), which is why a load asks for it only once a value needs it.
    """
    con.create_function(  # type: ignore[attr-defined]
        "dv_double_exact", double_exact, ["VARCHAR", "DOUBLE"], "BOOLEAN", side_effects=False
    )


def guarded_select(
    columns: Sequence[SourceColumn],
    names: Sequence[str],
    scan: str,
    *,
    exact: bool = True,
    skip: bool = False,
) -> str:
    """``SELECT`` every column under its SQL name from ``scan`` (columns named by label), converted.

    Guarded columns arrive as text and are converted with checks; the others are cast to the type
    they are stored as when that differs (see ``types.stored_type``). Without ``exact``, a value that
    would need the exact test stops the scan with ``datavalley:exact`` instead (the load then runs
    again with it, after :func:`install`): most files never need it. A value a fixed column cannot
    hold without loss stops the scan with ``datavalley:lossy:<index>``; with ``skip``, its row is left
    out instead (:func:`lossy_rows` lists them).
    """
    outer: list[str] = []
    for i, (column, name) in enumerate(zip(columns, names, strict=True)):
        v, x = sql_ident(f"v{i}"), sql_ident(f"x{i}")
        kind = column.type.upper()
        if guarded(column):
            guard = (
                _integer_guard(v, x, i, kind, exact=exact)
                if kind in INTEGER_TYPES
                else _double_guard(v, x, i, exact=exact)
            )
            outer.append(f"{guard} AS {sql_ident(name)}")
        elif strict(column) and skip:  # the WHERE below keeps only rows whose values fit: no check twice
            outer.append(f"TRY_CAST({v} AS {stored_type(column.type)}) AS {sql_ident(name)}")
        elif strict(column):
            outer.append(f"{strict_guard(v, i, column)} AS {sql_ident(name)}")
        else:
            target = stored_type(kind)
            expr = v if target == kind else f"CAST({v} AS {target})"
            outer.append(f"{expr} AS {sql_ident(name)}")
    sql = f"SELECT {', '.join(outer)} FROM ({_inner(columns, scan)})"
    checks = _strict_checks(columns) if skip else {}
    if checks:
        sql += " WHERE " + " AND ".join(checks.values())
    return sql


def _inner(columns: Sequence[SourceColumn], scan: str) -> str:
    """Each column as ``v<i>`` (and guarded ones converted once, as ``x<i>``)."""
    inner: list[str] = []
    for i, column in enumerate(columns):
        label = sql_ident(column.label)
        v, x = sql_ident(f"v{i}"), sql_ident(f"x{i}")
        kind = column.type.upper()
        if guarded(column):
            convert = "DOUBLE" if kind not in INTEGER_TYPES else kind
            inner.append(f"{label} AS {v}, TRY_CAST({label} AS {convert}) AS {x}")
        else:
            inner.append(f"{label} AS {v}")
    return f"SELECT {', '.join(inner)} FROM {scan}"


def _strict_checks(columns: Sequence[SourceColumn]) -> dict[int, str]:
    """Column index → SQL: its value is missing or fits the column's type without loss."""
    return {
        i: f"({sql_ident(f'v{i}')} IS NULL OR {_lossless(sql_ident(f'v{i}'), c)})"
        for i, c in enumerate(columns)
        if strict(c)
    }


def lossy_rows(columns: Sequence[SourceColumn], scan: str, *, limit: int | None = None) -> str | None:
    """SQL: the rows (the first ``limit``) with a value that its fixed column's type would change, one
    row each, as (label of the first such column, its value as text); ``None`` when no column is checked."""
    checks = _strict_checks(columns)
    if not checks:
        return None
    label = " ".join(f"WHEN NOT {check} THEN {sql_string(columns[i].label)}" for i, check in checks.items())
    value = " ".join(
        f"WHEN NOT {check} THEN CAST({sql_ident(f'v{i}')} AS VARCHAR)" for i, check in checks.items()
    )
    sql = (
        f"SELECT CASE {label} END AS label, CASE {value} END AS value FROM ({_inner(columns, scan)}) "
        f"WHERE NOT ({' AND '.join(checks.values())})"
    )
    return sql if limit is None else f"{sql} LIMIT {int(limit)}"


def strict_guard(v: str, index: int, column: SourceColumn) -> str:
    """SQL: ``v`` as the fixed column's type, or stop with ``datavalley:lossy:<index>`` when the value
    is not one the type holds as it is (``2.5`` for an integer, ``1.999`` for ``decimal(12,2)``, a
    time of day for a date, a value out of range, text that is no number)."""
    target = stored_type(column.type)
    return (
        f"CASE WHEN {v} IS NULL THEN NULL WHEN {_lossless(v, column)} THEN CAST({v} AS {target}) "
        f"ELSE error({sql_string(f'datavalley:lossy:{index}')}) END"
    )


def _lossless(v: str, column: SourceColumn) -> str:
    """SQL: does ``v`` hold a value of the column's type exactly (nothing rounded, cut or out of range)?

    Text (CSV, JSON, sheets) is checked for its form; a typed value (Parquet) by converting it and
    comparing: a double ``1e16`` is the integer 10000000000000000, ``2.5`` is not an integer.
    """
    kind = column.type
    if column.natural is not None and column.natural.upper() != "VARCHAR":
        return f"(TRY_CAST({v} AS {kind}) IS NOT NULL AND TRY_CAST({v} AS {kind}) = {v})"
    upper = kind.upper()
    fits = f"TRY_CAST({v} AS {kind}) IS NOT NULL"
    if upper == "DATE":
        # a timestamp at midnight names the date; any other time of day would be cut off
        return (
            f"({fits} AND (TRY_CAST({v} AS TIMESTAMP) IS NULL "
            f"OR TRY_CAST({v} AS TIMESTAMP) = CAST(TRY_CAST({v} AS DATE) AS TIMESTAMP)))"
        )
    if m := _DECIMAL_TYPE.fullmatch(upper.replace(" ", "")):
        scale = int(m.group(2))
        fraction = r"(\.0*)?" if scale == 0 else rf"(\.[0-9]{{0,{scale}}}0*)?|\.[0-9]{{1,{scale}}}0*"
        pattern = rf"\s*[-+]?([0-9]+{fraction})\s*"
    else:  # whole numbers: digits, maybe a sign, maybe a point followed by zeros only
        pattern = _WHOLE_NUMBER
    return f"({fits} AND regexp_full_match({v}, {sql_string(pattern)}))"


def _widen(index: int, to: WidenTo) -> str:
    return f"error({sql_string(f'datavalley:widen:{index}:{to}')})"


def _exact_test(v: str, x: str, *, exact: bool) -> str:
    """SQL: does double ``x`` hold exactly the number text ``v`` says? (or: stop, the test is needed)"""
    if exact:
        return f"dv_double_exact({v}, {x})"
    # what the exact test decides without comparing digits is decided here: words are exact, text
    # that is no plain decimal (leading zeros, a plus sign ...) or overflows is not
    return (
        f"({x} IS NOT NULL AND (regexp_full_match({v}, {sql_string(_WORDS)}, 'i') "
        f"OR (isfinite({x}) AND regexp_full_match({v}, {sql_string(_DECIMAL)}) AND {_NEEDS_EXACT})))"
    )


def _integer_guard(v: str, x: str, index: int, kind: str, *, exact: bool) -> str:
    stored = stored_type(kind)
    value = x if stored == kind else f"CAST({x} AS {stored})"
    whole = f"regexp_full_match({v}, {sql_string(_WHOLE)})"
    # a whole number too big for the type: a wider integer if one holds it, else text (never a double)
    bigger = (
        f"WHEN {whole} AND TRY_CAST({v} AS HUGEINT) IS NOT NULL THEN {_widen(index, 'hugeint')} "
        if kind != "HUGEINT"
        else ""
    )
    widen = (
        f"CASE {bigger}"
        f"WHEN NOT {whole} AND {_exact_test(v, f'TRY_CAST({v} AS DOUBLE)', exact=exact)} "
        f"THEN {_widen(index, 'double')} "
        f"ELSE {_widen(index, 'varchar')} END"
    )
    return (
        f"CASE WHEN CAST({x} AS VARCHAR) = {v} THEN {value} "
        f"WHEN {v} IS NULL THEN NULL "
        f"WHEN {x} IS NOT NULL AND {whole} THEN {value} "
        f"ELSE {widen} END"
    )


def _double_guard(v: str, x: str, index: int, *, exact: bool) -> str:
    return (
        f"CASE WHEN strlen({v}) <= 15 AND regexp_full_match({v}, {sql_string(_PLAIN)}) THEN {x} "
        f"WHEN {v} IS NULL THEN NULL "
        f"WHEN {_exact_test(v, x, exact=exact)} THEN {x} "
        f"ELSE {_widen(index, 'varchar')} END"
    )
