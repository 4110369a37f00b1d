"""User SQL: parse it (sqlglot), accept it only if every part is on an allowlist, and rewrite it for DuckDB.

::

    check_query(text)  ->  CheckedQuery(tree, tables=[TableRef...], params=[...], explain)
                              │   the caller resolves each TableRef to a relation it registered
    render_query(checked, {TableRef: "__dv_t0", ...})  ->  DuckDB SQL that reads only those relations

The accepted language is documented in docs/query.md ("SQL that is accepted"). In short: one SELECT
(CTEs, joins, subqueries, set operations, window functions, VALUES), tables named ``org.dataset.table``
or ``org.dataset`` (optionally ``FOR VERSION AS OF n`` / ``FOR TIMESTAMP AS OF '...'``), functions from
:mod:`datavalley.query.allowlist`, casts to plain types, and ``:name`` parameters. Everything else is
refused with the position of the first part that is not allowed.

Safety does not rest on the checker alone. :func:`render_query` emits SQL generated from the checked
tree (never the user's text): comments are dropped, every identifier is quoted (so ``user`` or
``current_schema`` can only be a column, never DuckDB's parameterless function), and the output is
parsed and checked once more before it is returned.
"""

from __future__ import annotations

import difflib
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ErrorLevel
from sqlglot.tokens import Token, TokenType

from datavalley.errors import InvalidInput
from datavalley.query import allowlist
from datavalley.query.allowlist import (
    DIALECT,
    PARAM_RE,
    RELATION_PREFIX,
    RELATION_RE,
    WORD_RE,
    Checker,
    SqlError,
    SqlRefused,
    SqlSyntaxError,
    TableRef,
    line_col,
    snippet,
)

__all__ = [
    "CheckedQuery",
    "SqlError",
    "SqlRefused",
    "SqlSyntaxError",
    "TableRef",
    "check_predicate",
    "check_query",
    "render_predicate",
    "render_query",
]

MAX_SQL_CHARS = 100_000
MAX_TOKENS = 10_000  # words, numbers, strings and symbols: keeps checking under a second or so
MAX_NESTING = 100  # brackets inside brackets
MAX_DEPTH = 500  # levels of the parsed tree (DuckDB itself stops at 1000)

_ALLOWED_STARTS = {"SELECT", "WITH", "FROM", "VALUES", "("}


@dataclass
class CheckedQuery:
    """A query that passed :func:`check_query`."""

    sql: str
    tree: exp.Expression
    tables: list[TableRef]
    params: list[str]
    explain: bool = False
    #: the rewritten DuckDB SQL, with relation ``{slot}{i}`` for ``tables[i]`` (see render_query)
    template: str = field(default="", repr=False)
    slot: str = field(default="", repr=False)


# --------------------------------------------------------------------------------------------------
# tokens: statement kind, one statement, nesting, parameters, EXPLAIN


@dataclass
class _Scan:
    text: str  # the text to parse: EXPLAIN blanked out, :name turned into $name (same length)
    explain: bool
    params: list[str]
    param_offsets: dict[str, int]


def _tokenize(text: str) -> list[Token]:
    try:
        return DuckDB().tokenize(text)
    except sqlglot.errors.TokenError:
        offset = _unterminated(text)
        line, col = line_col(text, offset)
        raise SqlSyntaxError(
            f"unterminated string, quoted name or comment starting at line {line}, column {col}",
            line=line,
            column=col,
            text=text[offset : offset + 20],
        ) from None


def _unterminated(text: str) -> int:
    """Where an unterminated quote or comment starts (only to point at it in the message)."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            end = text.find(ch, i + 1)
            while end != -1 and end + 1 < n and text[end + 1] == ch:
                end = text.find(ch, end + 2)
            if end == -1:
                return i
            i = end + 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end == -1 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                return i
            i = end + 2
        elif text.startswith("$$", i):
            end = text.find("$$", i + 2)
            if end == -1:
                return i
            i = end + 2
        else:
            i += 1
    return 0


def _refuse_token(text: str, token: Token, message: str, cls: type[SqlError] = SqlRefused) -> SqlError:
    line, col = line_col(text, token.start)
    return cls(f"{message} (line {line}, column {col})", line=line, column=col, text=token.text)


def _scan(sql: str) -> _Scan:
    if not isinstance(sql, str):
        raise SqlSyntaxError("the query must be text")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"the query is {len(sql):,} characters long; at most {MAX_SQL_CHARS:,} are accepted")
    if "\x00" in sql:
        line, col = line_col(sql, sql.index("\x00"))
        raise SqlSyntaxError(
            f"the query contains a NUL character (line {line}, column {col})", line=line, column=col
        )
    text = sql
    tokens = _tokenize(text)
    if len(tokens) > MAX_TOKENS:
        raise SqlRefused(
            f"the query has {len(tokens):,} words, values and symbols; at most {MAX_TOKENS:,} are "
            "accepted: pass long lists of values as a table, or split the query"
        )
    if not tokens or all(t.token_type == TokenType.SEMICOLON for t in tokens):
        raise SqlSyntaxError("the query is empty: write a SELECT statement")
    explain = False
    first = tokens[0]
    if first.text.upper() == "EXPLAIN":
        explain = True
        text = text[: first.start] + " " * (first.end + 1 - first.start) + text[first.end + 1 :]
        tokens = _tokenize(text)
        if not tokens:
            raise _refuse_token(sql, first, "EXPLAIN needs a SELECT statement after it", SqlSyntaxError)
        first = tokens[0]
        if first.text.upper() in ("ANALYZE", "ANALYSE"):
            raise _refuse_token(sql, first, "EXPLAIN ANALYZE is not supported: use EXPLAIN SELECT ...")
    keyword = first.text.upper()
    if keyword not in _ALLOWED_STARTS:
        reason = allowlist.STATEMENT_REASONS.get(keyword, "only SELECT queries are accepted")
        shown = keyword if WORD_RE.fullmatch(keyword) else first.text
        if first.token_type == TokenType.VAR and keyword not in allowlist.STATEMENT_REASONS:
            # a word SQL does not know at all: most likely a typo
            raise _refuse_token(
                sql,
                first,
                f"`{shown}` does not start a query: a query starts with SELECT, WITH, VALUES, FROM or "
                "EXPLAIN (check the spelling)",
                SqlSyntaxError,
            )
        raise _refuse_token(sql, first, f"`{shown}` statements are not allowed: {reason}")

    depth = 0
    params: list[str] = []
    offsets: dict[str, int] = {}
    chars = list(text)
    semicolon: Token | None = None
    for i, tok in enumerate(tokens):
        kind = tok.token_type
        if semicolon is not None and kind != TokenType.SEMICOLON:
            raise _refuse_token(
                sql,
                tok,
                "only one statement is allowed, but a second one starts here; "
                "remove everything after the first `;`",
            )
        if kind == TokenType.SEMICOLON:
            semicolon = tok
        elif kind in (TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE):
            depth += 1
            if depth > MAX_NESTING:
                raise _refuse_token(
                    sql, tok, f"the query is nested too deeply (more than {MAX_NESTING} brackets)"
                )
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE):
            depth -= 1
        elif kind == TokenType.PLACEHOLDER or (kind == TokenType.PARAMETER):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            shown = tok.text + (nxt.text if nxt is not None and nxt.start == tok.end + 1 else "")
            raise _refuse_token(sql, tok, f"parameter `{shown}` is not allowed: name parameters `:name`")
        elif kind == TokenType.COLON:
            name = _param_name(tokens, i)
            if name is None:
                continue
            nxt = tokens[i + 1]
            if not PARAM_RE.fullmatch(name.lower()):
                raise _refuse_token(
                    sql,
                    tok,
                    f"parameter `:{nxt.text}` is not allowed: parameter names are letters, "
                    "digits and _, starting with a letter (`:name`)",
                )
            name = name.lower()
            chars[tok.start] = "$"
            if name not in offsets:
                offsets[name] = tok.start
                params.append(name)
    return _Scan("".join(chars), explain, params, offsets)


def _param_name(tokens: list[Token], i: int) -> str | None:
    """The name if the colon at ``tokens[i]`` starts a ``:name`` parameter.

    ``:name`` needs the name right after the colon, and the colon not glued to the word before it:
    ``a:b`` is DuckDB's ``alias: expression`` and ``x[1:n]`` a slice.
    """
    colon = tokens[i]
    if i + 1 >= len(tokens):
        return None
    nxt = tokens[i + 1]
    if nxt.start != colon.end + 1 or nxt.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
        return None
    if i > 0:
        prev = tokens[i - 1]
        glued = prev.end + 1 == colon.start
        if (
            glued
            and prev.token_type
            not in (
                TokenType.L_PAREN,
                TokenType.L_BRACKET,
                TokenType.COMMA,
            )
            and (WORD_RE.fullmatch(prev.text) or prev.token_type in _CLOSERS)
        ):
            return None
    if nxt.token_type == TokenType.NUMBER:
        return nxt.text  # `:1` — refused by the caller with a clear message
    return nxt.text if WORD_RE.fullmatch(nxt.text) else None


_CLOSERS = (TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.NUMBER, TokenType.STRING)


# --------------------------------------------------------------------------------------------------
# parsing


def _parse(sql: str, text: str) -> exp.Expression:
    try:
        trees = [t for t in sqlglot.parse(text, read=DIALECT) if t is not None]
    except sqlglot.errors.ParseError as e:
        raise _syntax_error(sql, e) from None
    except sqlglot.errors.TokenError:
        raise SqlSyntaxError("the query could not be read: check quotes and comments") from None
    except RecursionError:
        raise SqlRefused("the query is nested too deeply to be checked") from None
    except Exception as e:  # sqlglot may fail in other ways on odd input; never let it escape
        raise SqlSyntaxError(f"the query could not be parsed: {type(e).__name__}") from None
    if len(trees) != 1:
        raise SqlRefused("only one statement is allowed")
    return trees[0]


def _syntax_error(sql: str, error: sqlglot.errors.ParseError) -> SqlSyntaxError:
    info: dict[str, Any] = error.errors[0] if error.errors else {}
    line, col = info.get("line"), info.get("col")
    highlight = str(info.get("highlight") or "")
    description = str(info.get("description") or "invalid syntax")
    description = description.replace("Invalid expression / Unexpected token", "unexpected text")
    if description.startswith("Required keyword:"):  # sqlglot's own words, naming its classes
        description = "something is missing here: the clause or expression is not finished"
    if isinstance(line, int) and isinstance(col, int):
        if highlight and "\n" not in highlight and col >= len(highlight):
            col = col - len(highlight) + 1  # sqlglot points at the last character of the token
        near = f" near `{highlight}`" if highlight else ""
        return SqlSyntaxError(
            f"syntax error{near} (line {line}, column {col}): {description}",
            line=line,
            column=col,
            text=highlight or None,
        )
    return SqlSyntaxError(f"syntax error: {description}")


def _depth(tree: exp.Expression) -> int:
    """Levels of nesting, a chain like ``a OR b OR c`` or ``1 + 2 + 3`` counting once (sqlglot
    handles those chains without recursion; everything else recurses once a level or more)."""
    deepest = 0
    stack: list[tuple[exp.Expression, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            return deepest
        for child in node.iter_expressions():
            chained = type(child) is type(node) and isinstance(node, exp.Binary)
            stack.append((child, depth if chained else depth + 1))
    return deepest


# --------------------------------------------------------------------------------------------------
# public API


def check_query(sql: str) -> CheckedQuery:
    """Parse ``sql`` and accept it only if every part is allowed; raise :class:`SqlError` otherwise.

    >>> q = check_query("SELECT county, sum(pop) FROM stats.census.people WHERE year = :year GROUP BY 1")
    >>> q.tables[0].parts, q.params
    (('stats', 'census', 'people'), ['year'])
    """
    scan = _scan(sql)
    tree = _parse(sql, scan.text)
    if not isinstance(tree, allowlist.QUERY_ROOTS):
        keyword = tree.key.upper()
        reason = allowlist.STATEMENT_REASONS.get(keyword, "only SELECT queries are accepted")
        raise SqlRefused(f"`{keyword}` statements are not allowed: {reason}")
    if _depth(tree) > MAX_DEPTH:
        raise SqlRefused(f"the query is nested too deeply (more than {MAX_DEPTH} levels)")
    checker = Checker(sql, param_offsets=scan.param_offsets)
    try:
        checker.check(tree)
        tables = checker.tables
        # the rewriting, once, with a placeholder relation per table; render_query fills in names
        slot = f"{RELATION_PREFIX}{secrets.token_hex(8)}_"  # unguessable, so no literal holds it
        template = _rewrite(tree, checker.ref_of, {ref: f"{slot}{i}" for i, ref in enumerate(tables)})
    except RecursionError:
        raise SqlRefused("the query is nested too deeply to be checked") from None
    return CheckedQuery(
        sql=sql,
        tree=tree,
        tables=tables,
        params=scan.params,
        explain=scan.explain,
        template=template,
        slot=slot,
    )


def render_query(checked: CheckedQuery, sources: Mapping[TableRef, str]) -> str:
    """DuckDB SQL for ``checked`` in which each table reads the relation ``sources`` names for it.

    A table keeps the user's alias, or else is aliased by its last name part, so ``t.col`` and
    ``ds.t.col`` keep working. ``:name`` becomes ``$name``. The EXPLAIN prefix is left out.

    >>> q = check_query("SELECT t.a FROM stats.census.t WHERE b = :b")
    >>> render_query(q, {q.tables[0]: "__dv_t0"})
    'SELECT "t"."a" FROM "__dv_t0" AS "t" WHERE "b" = $b'
    """
    if not checked.template:  # made by hand rather than by check_query
        checked = check_query(checked.sql)
    sql = checked.template
    for i, ref in enumerate(checked.tables):
        if ref not in sources:
            raise KeyError(f"no relation given for table {ref.name}")
        name = sources[ref]
        if not RELATION_RE.fullmatch(name):
            raise ValueError(f"relation name {name!r} must be `{RELATION_PREFIX}` + letters and digits")
        # the template was rewritten and checked again by check_query; only the relation names change
        sql = sql.replace(f'"{checked.slot}{i}"', f'"{name}"')
    return sql


def _rewrite(tree: exp.Expression, refs: Mapping[int, TableRef], sources: Mapping[TableRef, str]) -> str:
    """Generate DuckDB SQL from a copy of a checked tree with tables replaced, and check it again."""
    copy = tree.copy()
    # the copy has the same shape: pair its nodes with the checked ones to find its table references
    pairs = list(zip(tree.walk(), copy.walk(), strict=True))
    refs = {id(new): refs[id(old)] for old, new in pairs if id(old) in refs}
    _name_projections(copy, {id(new): old for old, new in pairs})
    aliases: dict[int, str] = {}
    replacements: list[tuple[exp.Table, exp.Table]] = []
    for node in copy.find_all(exp.Table):
        ref = refs.get(id(node))
        if ref is None:
            continue  # a CTE
        alias = node.args.get("alias")
        if alias is None or not alias.name:
            columns = alias.args.get("columns") if alias is not None else None
            alias = exp.TableAlias(this=exp.to_identifier(ref.parts[-1]), columns=columns)
        aliases[id(node)] = alias.name.lower()
        new = exp.Table(this=exp.to_identifier(sources[ref], quoted=True), alias=alias.copy())
        replacements.append((node, new))
    for column in list(copy.find_all(exp.Column)):
        _requalify(column, refs, aliases)
    for old, new in replacements:
        old.replace(new)
    sql = _generate(copy)
    _recheck(sql, frozenset(name.lower() for name in sources.values()))
    return sql


def _name_projections(copy: exp.Expression, originals: Mapping[int, exp.Expression]) -> None:
    """Name every unnamed result column that reads a table after the caller's own SQL for it.

    The engine names an unaliased expression after its text as it runs, and what runs is the
    rewritten query: a subquery in the select list (``SELECT (SELECT count(*) FROM t)``, ``EXISTS``,
    ``x IN (SELECT …)``, ``ARRAY(SELECT …)``) would be named after the private relation that stands for
    ``t`` — its files and the read plan's view. So each such projection, in every SELECT (a star above
    it passes the name on), gets an alias: the expression as the caller wrote it.
    """
    for select in list(copy.find_all(exp.Select)):
        for i, projection in enumerate(select.expressions):
            if isinstance(projection, exp.Alias | exp.Column | exp.Star):
                continue
            if not any(isinstance(node, exp.Query | exp.Table) for node in projection.walk()):
                continue
            original = originals.get(id(projection), projection)
            name = original.sql(DIALECT, comments=False)
            select.expressions[i] = exp.alias_(projection, exp.to_identifier(name, quoted=True), copy=False)
            select.expressions[i].parent = select


def _generate(tree: exp.Expression) -> str:
    """DuckDB SQL for ``tree``: every identifier quoted, no comments, and an error rather than a
    silent change of meaning where sqlglot cannot express something in DuckDB."""
    try:
        return tree.sql(
            DIALECT, identify=True, comments=False, unsupported_level=ErrorLevel.RAISE, copy=False
        )
    except sqlglot.errors.UnsupportedError as e:
        raise SqlRefused(f"the query uses something DuckDB cannot run as written: {e}") from None


def _requalify(column: exp.Column, refs: Mapping[int, TableRef], aliases: Mapping[int, str]) -> None:
    """``ds.t.col`` / ``org.ds.t.col`` → ``t.col`` when it names an unaliased table in scope."""
    qualifier = [p.name.lower() for p in column.parts[:-1]]
    if len(qualifier) < 2:
        return
    scope = column.parent
    while scope is not None:
        if isinstance(scope, exp.Select):
            for table in _scope_tables(scope):
                ref = refs.get(id(table))
                if ref is None or table.args.get("alias"):
                    continue
                if tuple(qualifier) == ref.parts[-len(qualifier) :]:
                    column.set("catalog", None)
                    column.set("db", None)
                    column.set("table", exp.to_identifier(aliases[id(table)]))
                    return
        scope = scope.parent


def _scope_tables(select: exp.Select) -> Iterator[exp.Table]:
    from_ = select.args.get("from_")
    items = [from_.this] if isinstance(from_, exp.From) else []
    items += [j.this for j in select.args.get("joins") or []]
    for item in items:
        if isinstance(item, exp.Table):
            yield item


def _recheck(sql: str, relations: frozenset[str]) -> None:
    """Parse the rendered SQL and check it again: a bug in rewriting must fail closed."""
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
        Checker(sql, relations=relations).check(tree)
        if _generate(tree) != sql:
            raise ValueError("rendering is not stable")
    except SqlError as e:
        # sqlglot rewrote an allowed construct into one that is not on the allowlist: fail closed
        raise SqlRefused(f"the query could not be rewritten safely: {e.message}") from None
    except (sqlglot.errors.SqlglotError, ValueError, RecursionError):
        # the parser read the text in a way it cannot write back (lenient parsing of broken SQL)
        raise SqlSyntaxError(
            "the query could not be read unambiguously: check its syntax (a misspelt keyword, "
            "a missing comma or parenthesis)"
        ) from None


def check_predicate(text: str, columns: Sequence[str], *, field_name: str = "row_filter") -> exp.Expression:
    """A grant's row filter: one condition over ``columns`` with allowed scalar functions only.

    Raises :class:`~datavalley.errors.InvalidInput` (422) naming the problem.

    >>> render_predicate(check_predicate("County = 'Zunyi' AND year >= 2020", ["county", "year"]))
    '"county" = \\'Zunyi\\' AND "year" >= 2020'
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput.for_field(
            field_name, "the row filter is empty: write a condition such as `county = 'Zunyi'`"
        )
    try:
        return _check_predicate(text, columns)
    except SqlError as e:
        raise InvalidInput.for_field(field_name, e.message) from None
    except RecursionError:
        raise InvalidInput.for_field(field_name, "the row filter is nested too deeply") from None


_WHERE = "SELECT 1 WHERE "


def _check_predicate(text: str, columns: Sequence[str]) -> exp.Expression:
    try:
        scan = _scan(_WHERE + text)
        tree = _parse(scan.text, scan.text)
    except SqlError as e:
        raise SqlRefused(_shift_message(e, len(_WHERE)).replace("statement", "condition")) from None
    if scan.params:
        raise SqlRefused("parameters are not allowed in a row filter")
    where = tree.args.get("where") if isinstance(tree, exp.Select) else None
    extra = {k for k, v in tree.args.items() if v and k not in ("expressions", "where")}
    if where is None or extra:
        raise SqlRefused("the row filter must be a single condition, such as `county = 'Zunyi'`")
    if _depth(tree) > MAX_DEPTH:
        raise SqlRefused(f"the row filter is nested too deeply (more than {MAX_DEPTH} levels)")
    expr = where.this
    try:
        Checker(scan.text, predicate=True).check(expr)
    except SqlError as e:
        raise SqlRefused(_shift_message(e, len(_WHERE))) from None
    if not _is_condition(expr):
        raise SqlRefused(
            f"`{snippet(expr)}` is not a condition: write a comparison such as `county = 'Zunyi'`"
        )
    known = {c.lower(): c for c in columns}
    for column in expr.find_all(exp.Column):
        if len(column.parts) > 1:
            raise SqlRefused(f"`{snippet(column)}`: name columns without a table, as in `{column.name}`")
        actual = known.get(column.name.lower())
        if actual is None:
            close = difflib.get_close_matches(column.name.lower(), list(known), n=1)
            hint = f"; did you mean `{known[close[0]]}`?" if close else f"; columns are {', '.join(columns)}"
            raise SqlRefused(f"unknown column `{column.name}`{hint}")
        column.set("this", exp.to_identifier(actual, quoted=True))
    expr = expr.copy()
    expr.parent = None
    # what render_predicate will give, read back and checked again, as for queries
    sql = _generate(expr.copy())
    again = _parse(_WHERE + sql, _WHERE + sql)
    Checker(_WHERE + sql, predicate=True).check(again.args["where"].this)
    if _generate(again.args["where"].this) != sql:
        raise SqlSyntaxError("the row filter could not be read unambiguously: check its syntax")
    return expr


_CONDITIONS = (
    exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ, exp.NullSafeNEQ, exp.And,
    exp.Or, exp.Not, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike, exp.Glob, exp.SimilarTo,
    exp.RegexpLike, exp.Boolean, exp.StartsWith, exp.EndsWith, exp.Contains, exp.RegexpFullMatch,
    exp.IsNan, exp.IsInf,
)  # fmt: skip


def _is_condition(expr: exp.Expression) -> bool:
    while isinstance(expr, exp.Paren):
        expr = expr.this
    if isinstance(expr, exp.Column):
        return True  # a boolean column; its type is checked when the filter runs
    if isinstance(expr, exp.Anonymous):
        return expr.name.lower() in ("regexp_matches", "isfinite", "prefix", "suffix", "list_contains")
    return isinstance(expr, _CONDITIONS)


def _shift_message(error: SqlError, offset: int) -> str:
    """The message of an error found in ``SELECT 1 WHERE <filter>``, with positions in the filter."""
    message = error.message
    if error.line == 1 and error.column is not None:
        message = message.replace(f"line 1, column {error.column}", f"column {max(1, error.column - offset)}")
    return message


def render_predicate(expr: exp.Expression, *, column_sql: Callable[[str], str] | None = None) -> str:
    """DuckDB SQL for a predicate from :func:`check_predicate`.

    ``column_sql`` gives the SQL for each column (by its name), e.g. a qualified reference; by default
    the quoted name.
    """
    tree = expr.copy()
    if column_sql is not None:
        for column in list(tree.find_all(exp.Column)):
            column.replace(exp.Paren(this=exp.Var(this=column_sql(column.name))))
    return _generate(tree)
