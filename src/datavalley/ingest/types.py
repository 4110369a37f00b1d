"""Column types: the names users write in ``--schema``, DuckDB's types, and Delta-compatible forms."""

from __future__ import annotations

import json
import re
from pathlib import Path

from datavalley.errors import InvalidInput

#: what users may write in a schema file → DuckDB type
USER_TYPES = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "varchar": "VARCHAR",
    "int": "BIGINT",
    "int64": "BIGINT",
    "bigint": "BIGINT",
    "long": "BIGINT",
    "integer": "INTEGER",
    "int32": "INTEGER",
    "int16": "SMALLINT",
    "smallint": "SMALLINT",
    "float": "DOUBLE",
    "double": "DOUBLE",
    "float64": "DOUBLE",
    "float32": "FLOAT",
    "real": "FLOAT",
    "bool": "BOOLEAN",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "datetime": "TIMESTAMP",
    "timestamptz": "TIMESTAMPTZ",
}
_DECIMAL = re.compile(r"^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$")

#: DuckDB types Delta Lake cannot hold as they are → what they are stored as
STORED_AS = {
    "HUGEINT": "DECIMAL(38,0)",
    "UHUGEINT": "DECIMAL(38,0)",
    "UBIGINT": "DECIMAL(20,0)",
    "UINTEGER": "BIGINT",
    "USMALLINT": "INTEGER",
    "UTINYINT": "SMALLINT",
    "TIME": "VARCHAR",
    "TIME WITH TIME ZONE": "VARCHAR",
    "INTERVAL": "VARCHAR",
    "UUID": "VARCHAR",
    "JSON": "VARCHAR",
    "BIT": "VARCHAR",
    "TIMESTAMP_NS": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_S": "TIMESTAMP",
    "NULL": "VARCHAR",
}


def duckdb_type(user_type: str, *, column: str) -> str:
    """A type from a schema file as DuckDB's type name."""
    key = user_type.strip().lower()
    if key in USER_TYPES:
        return USER_TYPES[key]
    if m := _DECIMAL.match(key):
        precision, scale = int(m.group(1)), int(m.group(2))
        if not 1 <= precision <= 38 or scale > precision:
            raise InvalidInput.for_field(
                "schema", f"column `{column}`: decimal({precision},{scale}) is out of range"
            )
        return f"DECIMAL({precision},{scale})"
    raise InvalidInput.for_field(
        "schema",
        f"column `{column}`: unknown type `{user_type}`; use one of {', '.join(sorted(set(USER_TYPES)))} "
        "or decimal(p,s)",
    )


def read_schema_file(path: Path) -> dict[str, str]:
    """``--schema FILE``: a JSON object ``{"column": "type"}``, or lines ``column: type``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput.for_field("schema", f"cannot read {path}: {exc.strerror}") from None
    mapping: dict[str, str]
    if text.lstrip().startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput.for_field("schema", f"{path.name} line {exc.lineno}: {exc.msg}") from None
        loaded = loaded.get("columns", loaded) if isinstance(loaded, dict) else loaded
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise InvalidInput.for_field(
                "schema", f'{path.name} must map column names to types: {{"code": "string"}}'
            )
        mapping = loaded
    else:
        mapping = {}
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            name, sep, kind = line.rpartition(":")
            if not sep or not name.strip():
                raise InvalidInput.for_field("schema", f"{path.name} line {number}: write `column: type`")
            mapping[name.strip()] = kind.strip()
    return {name: duckdb_type(kind, column=name) for name, kind in mapping.items()}


#: DuckDB types Delta Lake holds as they are (nested types are kept too)
DELTA_NATIVE = {
    "BOOLEAN",
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "FLOAT",
    "DOUBLE",
    "VARCHAR",
    "DATE",
    "TIMESTAMP",
    "TIMESTAMPTZ",
    "TIMESTAMP WITH TIME ZONE",
    "BLOB",
}


def stored_type(duck_type: str) -> str:
    """The DuckDB type a column is converted to before it goes into Delta; anything exotic becomes text."""
    upper = duck_type.upper()
    if upper in STORED_AS:
        return STORED_AS[upper]
    if upper in DELTA_NATIVE or upper.startswith(("DECIMAL", "STRUCT", "MAP")) or upper.endswith("[]"):
        return duck_type
    return "VARCHAR"


#: Delta's primitive types → the DuckDB type that is stored as each (to append to an existing table)
_OF_DELTA = {
    "boolean": "BOOLEAN",
    "byte": "TINYINT",
    "short": "SMALLINT",
    "integer": "INTEGER",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "string": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMPTZ",
    "timestamp_ntz": "TIMESTAMP",
    "binary": "BLOB",
}
_DELTA_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def duckdb_type_of_delta(delta_type: object) -> str:
    """The DuckDB type a column of this Delta type is loaded as; nested types are loaded as text.

    >>> duckdb_type_of_delta(PrimitiveType("timestamp_ntz"))  # doctest: +SKIP
    'TIMESTAMP'
    """
    name = str(getattr(delta_type, "type", ""))
    if name in _OF_DELTA:
        return _OF_DELTA[name]
    if m := _DELTA_DECIMAL.match(name):
        return f"DECIMAL({m.group(1)},{m.group(2)})"
    return "VARCHAR"
