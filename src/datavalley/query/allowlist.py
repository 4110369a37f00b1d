"""What user SQL may contain — functions, types, units and syntax, each named on a list — and the checker.

:class:`Checker` walks a sqlglot tree and accepts it only if every node is on one of these lists;
nothing is accepted because it is missing from a denylist. :mod:`datavalley.query.sql` holds the
public interface (``check_query``, ``render_query``, ``check_predicate``) and re-exports the errors
and :class:`TableRef` defined here. Functions are listed by
their DuckDB names. sqlglot parses many of them into a class of its own (``lower(x)`` → ``exp.Lower``,
``string_agg`` → ``exp.GroupConcat``) and the rest into ``exp.Anonymous``; :func:`function_classes`
finds out which class each listed name becomes, by parsing it, so the two views always agree.

Left out on purpose (and so refused): everything that reads files or URLs (``read_*``, ``glob``,
``parquet_*``, ``sniff_csv``), looks at settings, variables, the catalog or the session
(``current_setting``, ``getvariable``, ``duckdb_*``, ``pragma_*``, ``current_database``,
``current_schema(s)``, ``current_query``, ``version``, ``txid_current``), runs other SQL or tables
(``query``, ``query_table``, ``json_execute_serialized_sql``), changes state (``nextval``, ``setval``,
``setseed``), sleeps or writes logs (``sleep_ms``, ``pg_sleep``, ``write_log``, ``error``), calls a
function by name (``list_aggregate``, ``invoke``), and lambdas with the list functions that take them.
``random`` is allowed: it reveals nothing. Hashes (``md5``, ``sha256``, ``hash``) are
allowed: masks are applied beneath the query, so hashing a masked column hashes the masked value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import sqlglot
from sqlglot import exp

from datavalley.catalog.vocabulary import slug_problem
from datavalley.errors import BadRequest, ErrorDetail

DIALECT = "duckdb"
RELATION_PREFIX = "__dv_"  # names the engine gives relations; users may not write them
RELATION_RE = re.compile(r"__dv_[a-z0-9_]+")
PARAM_RE = re.compile(r"[a-z][a-z0-9_]*")
WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SCALAR_FUNCTIONS: frozenset[str] = _words(
    # text
    "ascii bit_length char_length character_length chr concat concat_ws contains "
    "damerau_levenshtein ends_with format hamming instr jaccard jaro_similarity "
    "jaro_winkler_similarity lcase left length levenshtein lower lpad ltrim md5 nfc_normalize "
    "octet_length position prefix printf regexp_extract regexp_extract_all regexp_full_match "
    "regexp_matches regexp_replace regexp_split_to_array repeat replace reverse right rpad rtrim "
    "sha1 sha256 hash split_part starts_with str_split string_split strip_accents strlen strpos "
    "substr substring suffix to_base64 to_hex hex translate trim ucase unicode upper url_decode "
    "url_encode "
    # numbers
    "abs acos asin atan atan2 bit_count cbrt ceil ceiling cos cot degrees even exp factorial "
    "floor gamma gcd greatest isfinite isinf isnan lcm least ln log log10 log2 mod pi pow power "
    "radians random round sign sin sqrt tan trunc "
    # dates and times
    "age century current_date current_timestamp date_add date_diff date_part date_sub date_trunc "
    "datediff datepart datesub datetrunc day dayname dayofmonth dayofweek dayofyear decade epoch "
    "epoch_ms hour isodow isoyear julian last_day make_date make_time make_timestamp microsecond "
    "millisecond minute month monthname now quarter second strftime strptime time_bucket "
    "to_centuries to_days to_decades to_hours to_microseconds to_milliseconds to_minutes "
    "to_months to_seconds to_timestamp to_weeks to_years today try_strptime week weekday "
    "weekofyear year yearweek "
    # conditions and types
    "coalesce ifnull nullif if typeof "
    # lists and structs (no lambdas)
    "array_contains array_extract array_length array_slice cardinality flatten len list_contains "
    "list_distinct list_element list_extract list_has list_slice list_sort list_value "
    "struct_extract unnest"
)

AGGREGATE_FUNCTIONS: frozenset[str] = _words(
    "any_value approx_count_distinct approx_quantile arbitrary arg_max arg_min argmax argmin "
    "array_agg avg bit_and bit_or bit_xor bool_and bool_or corr count count_if countif covar_pop "
    "covar_samp entropy favg first fsum group_concat histogram kurtosis last list listagg mad max "
    "max_by mean median min min_by mode product quantile quantile_cont quantile_disc regr_avgx "
    "regr_avgy regr_count regr_intercept regr_r2 regr_slope regr_sxx regr_sxy regr_syy skewness "
    "stddev stddev_pop stddev_samp string_agg sum var_pop var_samp variance"
)

WINDOW_FUNCTIONS: frozenset[str] = _words(
    "cume_dist dense_rank first_value lag last_value lead nth_value ntile percent_rank rank row_number"
)

ALL_FUNCTIONS = SCALAR_FUNCTIONS | AGGREGATE_FUNCTIONS | WINDOW_FUNCTIONS

#: Function-like syntax that has no plain ``name(args)`` form to probe, by kind.
SCALAR_SYNTAX: frozenset[type[exp.Expression]] = frozenset(
    {
        exp.Cast,
        exp.TryCast,
        exp.Case,
        exp.If,
        exp.Extract,
        exp.CurrentDate,
        exp.CurrentTimestamp,
        exp.Trim,
        exp.Substring,
        exp.StrPosition,
        exp.Explode,
        exp.Unnest,
        exp.DateTrunc,  # date_trunc on a DATE (on anything else it is exp.TimestampTrunc)
    }
)
AGGREGATE_SYNTAX: frozenset[type[exp.Expression]] = frozenset({exp.PercentileCont, exp.PercentileDisc})

#: Types a value may be cast to (sqlglot's names); lists of them (``INTEGER[]``) too.
CAST_TYPES: frozenset[str] = _words(
    "BOOLEAN TINYINT SMALLINT INT BIGINT HUGEINT UTINYINT USMALLINT UINT UBIGINT UHUGEINT FLOAT "
    "DOUBLE DECIMAL VARCHAR TEXT CHAR NCHAR NVARCHAR DATE TIME TIMETZ TIMESTAMP TIMESTAMPTZ "
    "INT128 UINT128 BPCHAR TIMESTAMPNTZ TIMESTAMPLTZ TIMESTAMP_S TIMESTAMP_MS TIMESTAMP_NS DATETIME INTERVAL UUID BLOB VARBINARY BINARY ARRAY LIST"
)

#: Words that may stand bare: date/time units (``EXTRACT(YEAR FROM d)``, ``INTERVAL 1 DAY``) and ``ALL``.
UNIT_WORDS: frozenset[str] = _words(
    "year years month months day days hour hours minute minutes second seconds millisecond "
    "milliseconds microsecond microseconds week weeks quarter quarters decade decades century "
    "centuries millennium millennia dow doy isodow isoyear yearweek epoch julian era timezone "
    "timezone_hour timezone_minute dayofweek dayofyear dayofmonth weekday weekofyear y yr yrs mon "
    "mons d h hr hrs m min mins s sec secs ms msec us usec all"
)
#: Units DuckDB reads in ``INTERVAL 2 <unit>`` (others it would take for an alias: ``INTERVAL '2' hr``).
INTERVAL_UNITS: frozenset[str] = _words(
    "year years month months day days hour hours minute minutes second seconds millisecond "
    "milliseconds microsecond microseconds week weeks quarter quarters decade decades century "
    "centuries millennium millennia"
)

#: Collations (``x COLLATE nocase``): harmless comparison rules.
COLLATIONS: frozenset[str] = _words("nocase noaccent nfc binary c posix")

#: Catalog and schema names DuckDB keeps for itself; never an organization.
SYSTEM_SCHEMAS: frozenset[str] = _words(
    "information_schema pg_catalog main temp system memory sqlite_master sqlite_schema "
    "sqlite_temp_master duckdb"
)

#: Bare names of DuckDB's system views and tables, for a clearer refusal.
SYSTEM_TABLES: frozenset[str] = _words(
    "sqlite_master sqlite_schema sqlite_temp_master sqlite_temp_schema duckdb_tables duckdb_columns "
    "duckdb_views duckdb_settings duckdb_functions duckdb_databases duckdb_schemas duckdb_secrets "
    "duckdb_extensions duckdb_indexes duckdb_types duckdb_constraints duckdb_dependencies "
    "duckdb_keywords duckdb_sequences pg_tables pg_class pg_namespace pg_attribute pg_proc "
    "pg_settings pg_database pg_views pg_type tables columns schemata"
)

_PROBE_ARGS = ("", "x", "x, y", "x, y, z", "x, y, z, w")
_NOT_FUNCTIONS = (
    exp.Anonymous,
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Star,
    exp.Var,
    exp.Boolean,
    exp.Null,
)


@cache
def function_classes() -> dict[type[exp.Expression], str]:
    """Each sqlglot class a listed function parses into, with its kind: scalar, aggregate or window.

    >>> function_classes()[exp.Lower]
    'scalar'
    """
    kinds: dict[type[exp.Expression], str] = {}
    for kind, names in (
        ("window", WINDOW_FUNCTIONS),
        ("aggregate", AGGREGATE_FUNCTIONS),
        ("scalar", SCALAR_FUNCTIONS),
    ):
        for name in sorted(names):
            for args in _PROBE_ARGS:
                try:
                    tree = sqlglot.parse_one(f"SELECT {name}({args})", read=DIALECT)
                except sqlglot.errors.SqlglotError:
                    continue
                if not isinstance(tree, exp.Select):
                    continue
                # the call and whatever sqlglot builds around it (any_value → IgnoreNulls(AnyValue))
                for node in tree.expressions[0].walk():
                    if not isinstance(node, _NOT_FUNCTIONS):
                        kinds.setdefault(type(node), kind)
    for cls in SCALAR_SYNTAX:
        kinds.setdefault(cls, "scalar")
    for cls in AGGREGATE_SYNTAX:
        kinds.setdefault(cls, "aggregate")
    for cls in list(kinds):
        if issubclass(cls, exp.AggFunc) and kinds[cls] == "scalar":
            kinds[cls] = "aggregate"
    return kinds


#: names DuckDB reads as a function (its session's user, schema, catalog) when no column has them,
#: quoted or not: a bare column by one of these names is refused, a qualified one (``t.user``) is fine
SPECIAL_NAMES = frozenset(
    {"user", "current_user", "session_user", "current_role", "current_schema", "current_catalog"}
)


def function_kind(node: exp.Expression) -> str | None:
    """``scalar``, ``aggregate`` or ``window`` if the function call ``node`` is allowed, else None."""
    if type(node) is exp.Anonymous:
        name = node.name.lower()
        if name in WINDOW_FUNCTIONS:
            return "window"
        if name in AGGREGATE_FUNCTIONS:
            return "aggregate"
        return "scalar" if name in SCALAR_FUNCTIONS else None
    return function_classes().get(type(node))


# --------------------------------------------------------------------------------------------------
# syntax


def _classes(names: str) -> frozenset[type[exp.Expression]]:
    return frozenset(getattr(exp, name) for name in names.split())


#: Why each kind of statement other than SELECT is refused, by its first word.
STATEMENT_REASONS: dict[str, str] = {
    **dict.fromkeys(
        ("INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE"),
        "it changes data; queries here only read",
    ),
    **dict.fromkeys(
        ("CREATE", "DROP", "ALTER", "TRUNCATE", "COMMENT", "GRANT", "REVOKE"),
        "it changes the database's structure; queries here only read",
    ),
    "COPY": "it reads or writes files",
    "ATTACH": "it opens another database",
    "DETACH": "it closes a database",
    "INSTALL": "it installs extensions",
    "LOAD": "it loads extensions",
    "FORCE": "it installs extensions or writes checkpoints",
    "UPDATE_EXTENSIONS": "it installs extensions",
    "PRAGMA": "it reads or changes engine settings",
    "SET": "it changes engine settings",
    "RESET": "it changes engine settings",
    "CALL": "it calls table functions",
    "EXPORT": "it writes files",
    "IMPORT": "it reads files",
    "CHECKPOINT": "it writes the database",
    "VACUUM": "it writes the database",
    "ANALYZE": "it writes statistics",
    "USE": "it changes the current catalog",
    "DESCRIBE": "it reads the catalog; SELECT the columns you need instead",
    "DESC": "it reads the catalog; SELECT the columns you need instead",
    "SHOW": "it reads the catalog; browse tables in the catalog instead",
    "SUMMARIZE": "it is not supported; use aggregates such as count, min, max, avg",
    "TABLE": "it is not supported; write SELECT * FROM ...",
    "PREPARE": "prepared statements are managed by DataValley; use :name parameters",
    "EXECUTE": "prepared statements are managed by DataValley; use :name parameters",
    "DEALLOCATE": "prepared statements are managed by DataValley",
    **dict.fromkeys(
        ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "TRANSACTION"),
        "transactions are managed by DataValley",
    ),
}

#: Syntax accepted as it is (each child is checked in turn).
STRUCTURE = _classes(
    "Select Union Intersect Except Subquery Values Tuple From Join Lateral Where Group Having "
    "Qualify Order Ordered Limit Offset Distinct With CTE TableAlias Alias Column Identifier Star "
    "Literal Boolean Null Paren Neg Not And Or Add Sub Mul Div IntDiv Mod Pow DPipe BitwiseAnd "
    "BitwiseOr BitwiseXor BitwiseNot BitwiseLeftShift BitwiseRightShift EQ NEQ GT GTE LT LTE "
    "NullSafeEQ NullSafeNEQ Is Like ILike Glob SimilarTo RegexpLike Escape In Between Case If "
    "Interval Exists Any All Window WindowSpec Filter WithinGroup IgnoreNulls RespectNulls Bracket "
    "Slice Array Struct PropertyEQ Rollup Cube GroupingSets DataTypeParam Collate"
)
#: Syntax accepted after a check of its own (``_Checker.check_<name>`` in sql.py).
CHECKED = _classes("Table Placeholder Dot DataType Var Version HistoricalData")
#: What a query may be.
QUERY_ROOTS = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery, exp.Values)
#: The only clauses these nodes may carry; anything else they can hold is refused.
ALLOWED_ARGS: dict[type[exp.Expression], frozenset[str]] = {
    exp.Select: _words(
        "with_ expressions distinct from_ laterals joins where group having qualify windows "
        "order limit offset"
    ),
    exp.Table: _words("this alias db catalog version when joins"),
    exp.Join: _words("this on side kind using method"),
    exp.Subquery: _words("this alias with_ order limit offset"),
    **dict.fromkeys(
        (exp.Union, exp.Intersect, exp.Except),
        _words("with_ this expression distinct by_name order limit offset"),
    ),
}
#: Why a clause outside ALLOWED_ARGS is refused (default: "`<clause>` clauses are not supported").
ARG_REFUSALS = {
    "sample": "sampling (USING SAMPLE / TABLESAMPLE) is not supported",
    "into": "SELECT ... INTO would write a table; queries here only read",
    "locks": "row locks (FOR UPDATE / FOR SHARE) are not supported",
}
#: Syntax refused with a message of its own.
SPECIAL_REFUSALS: dict[type[exp.Expression], str] = {
    exp.Lambda: "lambda functions (`x -> ...`) are not allowed",
    exp.Columns: "COLUMNS(...) is not allowed: name the columns, or use * EXCLUDE (...) / * REPLACE (...)",
    exp.Pivot: "PIVOT and UNPIVOT are not supported: use GROUP BY with CASE or FILTER",
    exp.TableSample: "sampling (USING SAMPLE / TABLESAMPLE) is not supported",
    exp.Into: "SELECT ... INTO would write a table; queries here only read",
    exp.Kwarg: "named function arguments (`name := value`) are not allowed",
    exp.RawString: "dollar-quoted strings are not allowed: write strings in single quotes",
    exp.ByteString: "escape strings (E'...') are not allowed: write strings in single quotes",
    exp.HexString: "hex strings are not allowed: write strings in single quotes",
    exp.BitString: "bit strings are not allowed: write strings in single quotes",
    exp.National: "N'...' strings are not allowed: write strings in single quotes",
    exp.UnicodeString: "U&'...' strings are not allowed: write strings in single quotes",
    exp.Lock: "row locks (FOR UPDATE / FOR SHARE) are not supported",
    exp.JSONExtract: "JSON extraction (json_extract, ->, ->>) is not supported",
    exp.JSONExtractScalar: "JSON extraction (json_extract_string, ->, ->>) is not supported",
}


_FUNCTION_HINT = "only the scalar, aggregate and window functions listed in docs/query.md may be used"
_TABLE_HINT = (
    "name tables org.dataset.table (or org.dataset when the dataset has one table), "
    "or a CTE defined with WITH"
)


# --------------------------------------------------------------------------------------------------
# errors and table references


class SqlError(BadRequest):
    """A query that cannot be run: a syntax error, or a part that is not allowed.

    ``line`` and ``column`` (1-based) point at the problem, ``text`` is the offending text.
    """

    code = "sql_refused"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        text: str | None = None,
    ) -> None:
        where = f"line {line}, column {column}" if line is not None else None
        detail = f"{where}: {message}" if where else message
        super().__init__(message, details=[ErrorDetail("sql", detail)])
        self.line = line
        self.column = column
        self.text = text


class SqlSyntaxError(SqlError):
    """The text is not SQL that can be parsed."""

    code = "sql_syntax"


class SqlRefused(SqlError):
    """Valid SQL that uses something not on the"""

    code = "sql_refused"


@dataclass(frozen=True)
class TableRef:
    """A table as the query names it: ``("org", "dataset", "table")`` or ``("org", "dataset")``.

    Equal (and hashing equal) when the names and the version or timestamp are; the position is
    only for messages.
    """

    parts: tuple[str, ...]
    version: int | None = None
    timestamp: str | None = None
    line: int | None = field(default=None, compare=False)
    column: int | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """``org.dataset.table`` with the time travel clause, as a user would write it."""
        text = ".".join(self.parts)
        if self.version is not None:
            return f"{text} FOR VERSION AS OF {self.version}"
        if self.timestamp is not None:
            return f"{text} FOR TIMESTAMP AS OF '{self.timestamp}'"
        return text


# --------------------------------------------------------------------------------------------------
# positions


def line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def start_of(node: exp.Expression) -> int | None:
    """Offset of the leftmost token of ``node`` that sqlglot kept a position for."""
    starts = [n.meta["start"] for n in node.walk() if "start" in n.meta]
    return min(starts) if starts else None


def snippet(node: exp.Expression, limit: int = 60) -> str:
    try:
        text = node.sql(DIALECT, comments=False, unsupported_level=sqlglot.ErrorLevel.IGNORE)
    except Exception:  # generating a message must never fail
        text = type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------
# the checker


class Checker:
    """Walks a parsed tree and refuses the first node that is not on an

    ``relations``: when checking rendered SQL, the single-part names the engine registered.
    ``predicate``: a row filter — scalar functions over columns, nothing else.
    """

    def __init__(
        self,
        text: str,
        *,
        relations: frozenset[str] = frozenset(),
        predicate: bool = False,
        param_offsets: Mapping[str, int] | None = None,
    ) -> None:
        self.text = text
        self.relations = relations
        self.predicate = predicate
        self.param_offsets = param_offsets or {}
        self.found: list[tuple[int, TableRef]] = []  # (offset, reference) of each table read
        self.ref_of: dict[int, TableRef] = {}  # id(exp.Table) -> reference

    def refuse(self, node: exp.Expression, message: str, *, offset: int | None = None) -> SqlRefused:
        start = offset
        at: exp.Expression | None = node
        while start is None and at is not None:  # some nodes (types, placeholders) carry no position
            start, at = start_of(at), at.parent
        if start is None:
            return SqlRefused(message, text=snippet(node))
        line, col = line_col(self.text, start)
        what, _, why = message.partition(": ")
        located = f"{what} (line {line}, column {col})" + (f": {why}" if why else "")
        return SqlRefused(located, line=line, column=col, text=snippet(node))

    def check(self, tree: exp.Expression) -> None:
        for node in tree.walk():
            self.check_node(node)

    def check_node(self, node: exp.Expression) -> None:
        cls = type(node)
        allowed_args = ALLOWED_ARGS.get(cls)
        if allowed_args is not None:
            for key, value in node.args.items():
                if value not in (None, False, []) and key not in allowed_args:
                    why = ARG_REFUSALS.get(key, f"`{key.rstrip('_')}` clauses are not supported")
                    raise self.refuse(node, why)
        if cls in CHECKED:
            getattr(self, f"check_{cls.__name__.lower()}")(node)
        elif cls in STRUCTURE:
            self.check_structure(node)
        elif cls in SPECIAL_REFUSALS:
            raise self.refuse(node, SPECIAL_REFUSALS[cls])
        elif isinstance(node, exp.Func):
            self.check_function(node)
        else:
            raise self.refuse(
                node, f"`{snippet(node)}` is not allowed: see docs/query.md for the SQL accepted"
            )

    def check_structure(self, node: exp.Expression) -> None:
        if self.predicate and isinstance(
            node, exp.Query | exp.Subquery | exp.Star | exp.Window | exp.Exists | exp.Values
        ):
            raise self.refuse(
                node,
                f"`{snippet(node)}` is not allowed in a row filter: "
                "write one condition over the table's columns",
            )
        if isinstance(node, exp.With) and node.args.get("recursive"):
            raise self.refuse(node, "WITH RECURSIVE is not supported: CTEs may not refer to themselves")
        if (
            isinstance(node, exp.Identifier)
            and not self.relations
            and node.name.lower().startswith(RELATION_PREFIX)
        ):
            raise self.refuse(
                node,
                f"the name `{node.name}` is reserved: names starting with `{RELATION_PREFIX}` are"
                " DataValley's own",
            )
        if (
            isinstance(node, exp.Column)
            and not self.predicate  # a row filter's columns are checked against the table's own
            and not node.table
            and node.name.lower() in SPECIAL_NAMES
        ):
            raise self.refuse(
                node,
                f"a bare `{node.name}` is not allowed: where no column has that name, DuckDB reads it as "
                f"its own `{node.name.lower()}` function; name the column with its table, as `t.{node.name}`",
            )
        if isinstance(node, exp.PropertyEQ) and not isinstance(node.parent, exp.Struct):
            raise self.refuse(node, "named function arguments (`name := value`) are not allowed")
        if isinstance(node, exp.Collate):
            target = node.expression
            name = target.name.lower() if isinstance(target, exp.Var | exp.Literal | exp.Column) else ""
            if name not in COLLATIONS:
                raise self.refuse(
                    node, f"collation `{snippet(target)}` is not allowed: use NOCASE or NOACCENT"
                )

    def check_function(self, node: exp.Func) -> None:
        kind = function_kind(node)
        name = self.function_name(node)
        if kind is None:
            raise self.refuse(node, f"function `{name}` is not allowed: {_FUNCTION_HINT}")
        if self.predicate and kind != "scalar":
            raise self.refuse(
                node, f"{kind} function `{name}` is not allowed in a row filter: use scalar functions only"
            )

    def function_name(self, node: exp.Expression) -> str:
        if isinstance(node, exp.Anonymous):
            return node.name.lower()
        start, end = node.meta.get("start"), node.meta.get("end")
        if isinstance(start, int) and isinstance(end, int):
            written = self.text[start : end + 1].strip('"').lower()
            if WORD_RE.fullmatch(written):
                return written
        return node.sql_name().lower() if isinstance(node, exp.Func) else type(node).__name__.lower()

    def check_placeholder(self, node: exp.Placeholder) -> None:
        name = node.name
        offset = self.param_offsets.get(name.lower())
        if self.predicate:
            raise self.refuse(node, "parameters are not allowed in a row filter", offset=offset)
        if not name or not PARAM_RE.fullmatch(name.lower()):
            raise self.refuse(node, f"parameter `{snippet(node)}` is not allowed: name parameters `:name`")
        node.set("this", name.lower())

    def check_dot(self, node: exp.Dot) -> None:
        if not isinstance(node.expression, exp.Identifier) or isinstance(node.this, exp.Literal):
            inner = node.expression
            if isinstance(inner, exp.Func):
                raise self.refuse(
                    node,
                    f"function `{self.function_name(inner)}` is not allowed here: "
                    "call functions by their plain name, as in lower(x), not x.lower() or schema.f(x)",
                )
            raise self.refuse(node, f"`{snippet(node)}` is not allowed: see docs/query.md")

    def check_datatype(self, node: exp.DataType) -> None:
        kind = node.this.name if hasattr(node.this, "name") else str(node.this)
        if kind.upper() not in CAST_TYPES:
            raise self.refuse(
                node,
                f"type `{snippet(node)}` is not allowed: cast to a number, text, date, time, "
                "timestamp, interval, boolean, uuid or blob type",
            )

    def check_var(self, node: exp.Var) -> None:
        parent = node.parent
        if isinstance(parent, exp.Collate):
            return  # checked with the collation
        if node.name.lower() not in UNIT_WORDS:
            raise self.refuse(node, f"`{node.name}` is not allowed here: see docs/query.md")
        if isinstance(parent, exp.Interval) and node.name.lower() not in INTERVAL_UNITS:
            raise self.refuse(
                node,
                f"interval unit `{node.name}` is not allowed: use year, quarter, month, week, day, "
                "hour, minute, second, millisecond or microsecond",
            )

    def check_version(self, node: exp.Version) -> None:
        if not isinstance(node.parent, exp.Table):
            raise self.refuse(node, f"`{snippet(node)}` is not allowed: see docs/query.md")

    def check_historicaldata(self, node: exp.HistoricalData) -> None:
        self.check_version(node)  # type: ignore[arg-type]

    # -- tables -------------------------------------------------------------------------------------

    def check_table(self, node: exp.Table) -> None:
        if self.predicate:
            raise self.refuse(node, "tables are not allowed in a row filter")
        target = node.this
        if not isinstance(target, exp.Identifier | exp.Dot):
            name = self.function_name(target) if isinstance(target, exp.Func) else snippet(target)
            raise self.refuse(
                node,
                f"table function `{name}` is not allowed: FROM takes tables, not functions; {_TABLE_HINT}",
            )
        parts = node.parts
        if not all(isinstance(p, exp.Identifier) for p in parts):
            raise self.refuse(node, f"`{snippet(node)}` is not a table name: {_TABLE_HINT}")
        names = [p.name.lower() for p in parts]
        written = ".".join(p.name for p in parts)
        if len(parts) == 1:
            self.check_single_name(node, parts[0], names[0])
            return
        if len(parts) > 3:
            raise self.refuse(node, f"`{written}` has {len(parts)} parts: {_TABLE_HINT}")
        if names[0] in SYSTEM_SCHEMAS:
            raise self.refuse(
                node,
                f"`{written}` is in DuckDB's own catalog (`{names[0]}`), which cannot be queried: "
                "only DataValley tables can",
            )
        for part, name in zip(parts, names, strict=True):
            if problem := slug_problem(name):
                raise self.refuse(part, f"`{part.name}` in `{written}` is not a valid name: it {problem}")
        version, timestamp = self.time_travel(node)
        start = start_of(node)
        line, col = line_col(self.text, start) if start is not None else (None, None)
        ref = TableRef(tuple(names), version, timestamp, line, col)
        self.ref_of[id(node)] = ref
        self.found.append((start if start is not None else 0, ref))

    @property
    def tables(self) -> list[TableRef]:
        """The distinct references, in order of appearance in the text."""
        ordered: list[TableRef] = []
        for _, ref in sorted(self.found, key=lambda item: item[0]):
            if ref not in ordered:
                ordered.append(ref)
        return ordered

    def check_single_name(self, node: exp.Table, ident: exp.Identifier, name: str) -> None:
        if self.relations and name in self.relations:
            return
        start = ident.meta.get("start")
        if isinstance(start, int) and self.text[start : start + 1] == "'":
            raise self.refuse(
                node,
                f"`'{ident.name}'` is not allowed: a quoted string in FROM would be read as a file; "
                f"{_TABLE_HINT}",
            )
        if not cte_visible(node, name):
            if name in SYSTEM_TABLES or name.startswith(("duckdb_", "pragma_", "sqlite_")):
                reason = "it is part of DuckDB's own catalog, which cannot be queried"
            else:
                reason = "it is neither a DataValley table nor a CTE defined before it"
            raise self.refuse(node, f"table `{ident.name}` is not allowed: {reason}; {_TABLE_HINT}")
        if node.args.get("version") or node.args.get("when"):
            raise self.refuse(node, f"time travel applies to tables, not to the CTE `{ident.name}`")

    def time_travel(self, node: exp.Table) -> tuple[int | None, str | None]:
        clause = node.args.get("version") or node.args.get("when")
        if clause is None:
            return None, None
        if isinstance(clause, exp.Version):
            kind = str(clause.name).upper()
            ok = str(clause.text("kind")).upper() == "AS OF"
        else:  # AT (VERSION => 3), DuckDB's own spelling
            kind = str(clause.text("kind")).upper()
            ok = str(clause.name).upper() == "AT"
        value = clause.expression
        if not ok or kind not in ("VERSION", "TIMESTAMP"):
            raise self.refuse(
                clause,
                f"`{snippet(clause)}` is not supported: use FOR VERSION AS OF n "
                "or FOR TIMESTAMP AS OF '2026-01-01T00:00:00Z'",
            )
        if kind == "VERSION":
            if isinstance(value, exp.Literal) and not value.is_string and value.this.isdigit():
                return int(value.this), None
            raise self.refuse(
                clause, f"`{snippet(clause)}` is not allowed: the version is a whole number (0, 1, 2, …)"
            )
        if isinstance(value, exp.Cast) and isinstance(value.this, exp.Literal):
            value = value.this  # TIMESTAMP '2026-01-01'
        if isinstance(value, exp.Literal) and value.is_string:
            try:
                datetime.fromisoformat(value.this)
            except ValueError:
                pass
            else:
                return None, value.this
        raise self.refuse(
            clause,
            f"`{snippet(clause)}` is not allowed: the timestamp is ISO 8601 text in quotes, "
            "as in '2026-01-01' or '2026-01-01T08:00:00+08:00'",
        )


def cte_visible(node: exp.Expression, name: str) -> bool:
    """Whether a CTE called ``name`` is defined where ``node`` stands (non-recursive scoping)."""
    prev: exp.Expression = node
    cur = node.parent
    while cur is not None:
        if isinstance(cur, exp.With):
            ctes = cur.expressions
            idx = next((i for i, c in enumerate(ctes) if c is prev), len(ctes))
            if any(c.alias_or_name.lower() == name for c in ctes[:idx]):
                return True
        else:
            with_ = cur.args.get("with_")
            if (
                isinstance(with_, exp.With)
                and with_ is not prev
                and any(c.alias_or_name.lower() == name for c in with_.expressions)
            ):
                return True
        prev, cur = cur, cur.parent
    return False
