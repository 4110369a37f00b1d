"""The SQL safety core: what check_query accepts and refuses, how render_query rewrites, row filters.

Most cases live in sql_cases/accepted.sql and sql_cases/refused.sql, one a line.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from datavalley.errors import InvalidInput
from datavalley.query import allowlist
from datavalley.query.sql import (
    SqlError,
    SqlRefused,
    TableRef,
    check_predicate,
    check_query,
    render_predicate,
    render_query,
)

CASES = Path(__file__).parent / "sql_cases"


def _load(name: str) -> list[tuple[str, str | None]]:
    cases = []
    for raw in (CASES / name).read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        query, sep, expected = raw.partition(" ==> ")
        cases.append((query.replace("\\n", "\n").replace("\\r", "\r"), expected if sep else None))
    return cases


ACCEPTED = _load("accepted.sql")
REFUSED = _load("refused.sql")


def _sources(checked) -> dict[TableRef, str]:
    return {ref: f"__dv_t{i}" for i, ref in enumerate(checked.tables)}


def test_there_are_enough_cases():
    assert len(ACCEPTED) + len(REFUSED) >= 300


_DUCKDB = duckdb.connect(config={"enable_external_access": False})
#: names DuckDB's parser gives allowed syntax (count(*), LIKE ... ESCAPE, {'k': v}, unnest in FROM)
_DUCKDB_SYNTAX = {"count_star", "like_escape", "not_like_escape", "ilike_escape", "not_ilike_escape"}
_DUCKDB_SYNTAX |= {"struct_pack", "unnest", "row"}  # row: `IN ()`


def _duckdb_audit(sql: str, tree: exp.Expression) -> None:
    """What DuckDB's own parser sees in the rendered SQL: only allowed functions, only the relations."""
    parsed = json.loads(_DUCKDB.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0])
    if parsed.get("error"):
        return  # DuckDB cannot parse it, so it cannot run (sqlglot is laxer, e.g. `SELECT FROM t`)
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    stack: list = [parsed]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        stack.extend(node.values())
        name = node.get("function_name")
        if name is not None:
            operator = not re.fullmatch(r"[a-z_][a-z0-9_]*", name)
            assert operator or name in allowlist.ALL_FUNCTIONS | _DUCKDB_SYNTAX, (name, sql)
            assert not node.get("schema") and not node.get("catalog"), sql
        if node.get("type") == "TABLE_FUNCTION":
            assert node["function"]["function_name"] == "unnest", sql
        if node.get("type") == "BASE_TABLE":
            assert not node["schema_name"] and not node["catalog_name"], sql
            table = node["table_name"].lower()
            assert table.startswith("__dv_") or table in ctes, (table, sql)


@pytest.mark.parametrize(("query", "expected"), ACCEPTED, ids=[q[:60] for q, _ in ACCEPTED])
def test_accepted(query, expected):
    checked = check_query(query)
    rendered = render_query(checked, _sources(checked))
    if expected is not None:
        assert rendered == expected
    _duckdb_audit(rendered, checked.tree)


def test_mangled_queries_fail_cleanly():
    """Cut and shuffled versions of every case: a SqlError or a rendering DuckDB agrees is safe."""
    rng = random.Random(4)
    queries = [q for q, _ in ACCEPTED + REFUSED]
    attempts = [q[:cut] for q in queries for cut in range(1, len(q), 17)]
    for q in queries:
        for _ in range(2):
            words = q.split(" ")
            i, j = rng.randrange(len(words)), rng.randrange(len(words))
            words[i], words[j] = words[j], words[i]
            words.insert(rng.randrange(len(words)), rng.choice(rng.choice(queries).split(" ")))
            attempts.append(" ".join(words))
    for attempt in attempts:
        try:
            checked = check_query(attempt)
            rendered = render_query(checked, _sources(checked))
        except SqlError:
            continue
        _duckdb_audit(rendered, checked.tree)


@pytest.mark.parametrize(("query", "expected"), REFUSED, ids=[q[:60] for q, _ in REFUSED])
def test_refused(query, expected):
    with pytest.raises(SqlError) as caught:
        check_query(query)
    error = caught.value
    fragment = expected or ""
    if fragment.startswith("[syntax]"):
        assert error.code == "sql_syntax", error.message
        fragment = fragment.removeprefix("[syntax]").strip()
    else:
        assert error.code == "sql_refused", error.message
    assert fragment in error.message
    assert "sqlglot" not in error.message and "<class" not in error.message  # no parser internals
    assert error.status == 400
    body = error.to_dict()["error"]
    assert body["code"] == error.code and body["details"][0]["field"] == "sql"


# --- the interface ------------------------------------------------------------------------------------


def test_tables_are_distinct_in_order_of_appearance_with_positions():
    checked = check_query(
        "SELECT * FROM org.b.t\nJOIN Org.A.T ON true JOIN org.b.t x ON true "
        "JOIN org.b.t FOR VERSION AS OF 2 y ON true"
    )
    assert [r.parts for r in checked.tables] == [("org", "b", "t"), ("org", "a", "t"), ("org", "b", "t")]
    assert [r.version for r in checked.tables] == [None, None, 2]
    first, second = checked.tables[:2]
    assert (first.line, first.column) == (1, 15)
    assert (second.line, second.column) == (2, 6)
    # equal and hashing equal whatever the position, so a mapping built from one query serves all
    assert TableRef(("org", "b", "t")) == first and hash(TableRef(("org", "b", "t"))) == hash(first)
    assert TableRef(("org", "b", "t"), version=2) != first
    assert first.name == "org.b.t" and checked.tables[2].name == "org.b.t FOR VERSION AS OF 2"


def test_time_travel_by_timestamp_keeps_the_text():
    checked = check_query("SELECT * FROM org.ds.t FOR TIMESTAMP AS OF '2026-01-01T08:00:00+08:00'")
    assert checked.tables == [TableRef(("org", "ds", "t"), timestamp="2026-01-01T08:00:00+08:00")]


def test_params_in_order_of_first_use():
    checked = check_query("SELECT :b, :a FROM org.ds.t WHERE x = :b OR y = ':c' OR z = :A")
    assert checked.params == ["b", "a"]


def test_explain_is_reported_and_left_out_of_the_rendering():
    checked = check_query("EXPLAIN SELECT 1")
    assert checked.explain and render_query(checked, {}) == "SELECT 1"
    assert not check_query("SELECT 1").explain


def test_refusal_carries_line_column_and_text():
    with pytest.raises(SqlError) as caught:
        check_query("SELECT a,\n       read_csv('x')\nFROM org.ds.t")
    error = caught.value
    assert (error.line, error.column) == (2, 8)
    assert error.text == "READ_CSV('x')"
    assert error.message.startswith("function `read_csv` is not allowed (line 2, column 8)")
    assert error.details[0].message.startswith("line 2, column 8: ")


def test_syntax_error_points_at_the_token():
    with pytest.raises(SqlError) as caught:
        check_query("SELECT a\nFROM org.ds.t\nWHERE a = = 1")
    assert caught.value.code == "sql_syntax"
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT 1 " + " " * 1_000_000, "characters long; at most 100,000 are accepted"),
        ("SELECT " + "(" * 10_000 + "1" + ")" * 10_000, "at most 10,000 are accepted"),
        ("SELECT " + "(" * 1_000 + "1" + ")" * 1_000, "nested too deeply (more than 100 brackets)"),
        ("SELECT " + "+".join(["1 - 1"] * 600), "nested too deeply (more than 500 levels)"),
        ("SELECT " + ",".join(["1"] * 6_000), "has 12,000 words, values and symbols; at most 10,000"),
        ("SELECT * FROM " + "(SELECT * FROM " * 90 + "org.ds.t" + ") s" * 90, "nested too deeply"),
        ("SELECT " + "lower(" * 99 + "'x'" + ")" * 99, "nested too deeply"),
        ("SELECT 'a\x00b'", "NUL character"),
    ],
    ids=[
        "1MB",
        "10000 parentheses",
        "1000 parentheses",
        "long chain",
        "many tokens",
        "nested subqueries",
        "nested calls",
        "NUL",
    ],
)
def test_pathological_input_gets_a_clear_error(query, message):
    with pytest.raises(SqlError) as caught:
        check_query(query)
    assert message in caught.value.message


def test_wide_but_shallow_queries_are_fine():
    values = ", ".join(str(i) for i in range(2_000))
    check_query(f"SELECT * FROM org.ds.t WHERE a IN ({values})")
    # long chains of one operator are not deep (sqlglot and DuckDB flatten them)
    check_query("SELECT * FROM org.ds.t WHERE " + " OR ".join(f"(a = {i} AND b > 1)" for i in range(300)))
    check_query("SELECT " + " + ".join(["1"] * 2_000))


def test_not_text_is_refused():
    with pytest.raises(SqlError):
        check_query(None)  # type: ignore[arg-type]


# --- render_query -------------------------------------------------------------------------------------


def test_render_needs_a_relation_for_each_table_and_a_safe_name():
    checked = check_query("SELECT * FROM org.ds.t JOIN org.ds.u USING (id)")
    with pytest.raises(KeyError):
        render_query(checked, {checked.tables[0]: "__dv_t0"})
    for bad in ("t0", '__dv_t0"; DROP', "__dv_"):
        with pytest.raises(ValueError):
            render_query(checked, {ref: bad for ref in checked.tables})


def test_render_leaves_the_checked_query_unchanged():
    checked = check_query("SELECT t.a FROM org.ds.t")
    before = checked.tree.sql()
    render_query(checked, {checked.tables[0]: "__dv_x"})
    assert checked.tree.sql() == before
    assert render_query(checked, {checked.tables[0]: "__dv_y"}) == 'SELECT "t"."a" FROM "__dv_y" AS "t"'


def test_render_changes_only_the_relation_names():
    checked = check_query(
        "SELECT '\"__dv_t0\"' AS a, '__dv_t0' AS b FROM org.ds.t x JOIN org.ds.t y ON x.id < y.id"
    )
    assert render_query(checked, {checked.tables[0]: "__dv_rel"}) == (
        'SELECT \'"__dv_t0"\' AS "a", \'__dv_t0\' AS "b" '
        'FROM "__dv_rel" AS "x" JOIN "__dv_rel" AS "y" ON "x"."id" < "y"."id"'
    )


def test_a_cte_shadowing_a_table_name_stays_a_cte():
    checked = check_query("WITH t AS (SELECT 1 AS a) SELECT t.a FROM t, org.ds.t AS real")
    assert [r.parts for r in checked.tables] == [("org", "ds", "t")]
    assert render_query(checked, _sources(checked)) == (
        'WITH "t" AS (SELECT 1 AS "a") SELECT "t"."a" FROM "t", "__dv_t0" AS "real"'
    )


def test_same_table_at_two_versions_reads_two_relations():
    checked = check_query("SELECT * FROM org.ds.t FOR VERSION AS OF 1 AS a JOIN org.ds.t AS b ON a.id = b.id")
    assert render_query(checked, {checked.tables[0]: "__dv_old", checked.tables[1]: "__dv_new"}) == (
        'SELECT * FROM "__dv_old" AS "a" JOIN "__dv_new" AS "b" ON "a"."id" = "b"."id"'
    )


# --- rendered SQL really runs in DuckDB ---------------------------------------------------------------


@pytest.fixture
def con():
    connection = duckdb.connect(config={"enable_external_access": False})
    people = pa.table(
        {
            "id": [1, 2, 3, 4],
            "county": ["Guiyang", "Zunyi", "Guiyang", None],
            "pop": [10, 20, 30, 40],
            "user": ["u1", "u2", "u3", "u4"],
        }
    )
    counties = pa.table({"county": ["Guiyang", "Zunyi"], "province": ["贵州", "贵州"]})
    old = pa.table({"id": [1, 2], "county": ["Guiyang", "Zunyi"], "pop": [1, 2], "user": ["a", "b"]})
    connection.register("__dv_people", people)
    connection.register("__dv_counties", counties)
    connection.register("__dv_old", old)
    yield connection
    connection.close()


def _run(con, query: str, params: dict | None = None, **versions):
    checked = check_query(query)
    sources = {}
    for ref in checked.tables:
        name = {"people": "__dv_people", "counties": "__dv_counties"}[ref.parts[-1]]
        sources[ref] = "__dv_old" if ref.version == 1 else name
    return con.execute(render_query(checked, sources), params or {}).fetchall()


def test_runs_joins_with_qualified_columns(con):
    rows = _run(
        con,
        "SELECT people.county, stats.counties.province, sum(gz.stats.people.pop) AS pop "
        "FROM gz.stats.people JOIN gz.stats.counties USING (county) "
        "GROUP BY ALL ORDER BY pop DESC",
    )
    assert rows == [("Guiyang", "贵州", 40), ("Zunyi", "贵州", 20)]


def test_runs_params_ctes_windows_and_set_operations(con):
    rows = _run(
        con,
        "WITH big AS (SELECT * FROM gz.stats.people WHERE pop >= :min) "
        "SELECT id, rank() OVER (ORDER BY pop DESC) FROM big "
        "UNION ALL SELECT id, 0 FROM gz.stats.people WHERE county = :county ORDER BY 1, 2",
        {"min": 30, "county": "Zunyi"},
    )
    assert rows == [(2, 0), (3, 2), (4, 1)]


def test_runs_time_travel_against_its_own_relation(con):
    rows = _run(
        con,
        "SELECT n.id, n.pop - o.pop FROM gz.stats.people FOR VERSION AS OF 1 o "
        "JOIN gz.stats.people n ON o.id = n.id ORDER BY 1",
    )
    assert rows == [(1, 9), (2, 18)]


def test_columns_named_like_duckdbs_session_functions_are_named_with_their_table(con):
    assert _run(con, "SELECT p.user FROM gz.stats.people p ORDER BY id LIMIT 1") == [("u1",)]
    assert _run(con, 'SELECT people."user" FROM gz.stats.people ORDER BY id LIMIT 1') == [("u1",)]
    # bare, DuckDB answers with its own session's user or schema wherever no column has the name
    for name in ("user", '"user"', "current_schema", "current_role", '"current_catalog"'):
        with pytest.raises(SqlRefused, match="name the column with its table"):
            check_query(f"SELECT {name} FROM gz.stats.counties")
    with pytest.raises(SqlRefused, match=r"bare `user` is not allowed \(line 1, column 8\)"):
        check_query("SELECT user")


@pytest.mark.parametrize(
    "literal",
    ["it's", "a;b", "-- x", "/* y */", '"q"', "back\\slash", "$$", "贵州", "\n", "x'); DROP TABLE t; --"],
)
def test_string_literals_round_trip_exactly(con, literal):
    quoted = "'" + literal.replace("'", "''") + "'"
    assert _run(con, f"SELECT {quoted} AS v") == [(literal,)]


def test_explain_of_the_rendering_runs(con):
    checked = check_query("EXPLAIN SELECT county FROM gz.stats.people WHERE pop > 10")
    sql = render_query(checked, {checked.tables[0]: "__dv_people"})
    assert con.execute(f"EXPLAIN {sql}").fetchall()


_DATA = "(VALUES (1, 'a', 2.0), (2, 'b', NULL), (3, 'b', 5.0), (4, 'c', 7.5)) AS v(x, s, y)"
SAME_RESULT = [q.replace("{data}", _DATA) for q, _ in _load("same_result.sql")]


def _result(con, sql: str) -> list[str]:
    try:
        return [str(column) for column in con.sql(sql).to_arrow_table().columns]
    except duckdb.Error as e:
        return [type(e).__name__]


def test_rewriting_keeps_the_meaning_of_every_allowed_function():
    """Each query gives the same rows whether DuckDB runs the text as written or the rewriting."""
    con = duckdb.connect(config={"enable_external_access": False})
    differences = []
    for query in SAME_RESULT:
        rendered = render_query(check_query(query), {})
        expected, got = (_result(con, sql) for sql in (query, rendered))
        if expected != got:
            differences.append(f"{query}\n  as {rendered}\n  {expected} != {got}")
    assert not differences, "\n".join(differences)
    assert len(SAME_RESULT) > 250


# --- the allowlist itself -----------------------------------------------------------------------------


def test_every_listed_function_exists_in_duckdb():
    con = duckdb.connect()
    known = {r[0] for r in con.execute("SELECT DISTINCT function_name FROM duckdb_functions()").fetchall()}
    syntax = {"current_timestamp", "current_date", "coalesce", "ifnull"}
    missing = sorted(allowlist.ALL_FUNCTIONS - known - syntax)
    assert missing == []


def test_generated_sql_calls_only_listed_functions():
    """What sqlglot emits for each allowed function class names only allowed DuckDB functions."""
    allowed = allowlist.ALL_FUNCTIONS | {
        "cast", "try_cast", "extract", "in", "exists", "any", "all", "over", "filter", "values",
        "decimal", "interval", "list", "struct_pack", "array_to_string", "list_has_any", "select",
        "from", "as", "and", "or", "not", "when", "then", "else",
    }  # fmt: skip
    for name in sorted(allowlist.ALL_FUNCTIONS):
        for args in ("x", "x, y", "x, y, z"):
            try:
                tree = sqlglot.parse_one(f"SELECT {name}({args})", read="duckdb")
            except sqlglot.errors.ParseError:
                continue
            sql = tree.sql("duckdb")
            called = {m.lower() for m in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", sql)}
            assert called <= allowed, (name, sql)


def test_function_classes_cover_probe_results():
    kinds = allowlist.function_classes()
    assert kinds[exp.Lower] == "scalar" and kinds[exp.Count] == "aggregate"
    assert kinds[exp.RowNumber] == "window"
    assert exp.ReadCSV not in kinds and exp.CurrentSchema not in kinds


# --- row filters ---------------------------------------------------------------------------------------

COLUMNS = ["county", "year", "pop", "Active", "born"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("county = 'Zunyi'", "\"county\" = 'Zunyi'"),
        ("County = 'Zunyi' AND year >= 2020", '"county" = \'Zunyi\' AND "year" >= 2020'),
        ("county IN ('a', 'b') OR pop IS NULL", "\"county\" IN ('a', 'b') OR \"pop\" IS NULL"),
        ("active", '"Active"'),
        ("NOT active", 'NOT "Active"'),
        ("lower(county) LIKE 'zun%'", "LOWER(\"county\") LIKE 'zun%'"),
        ("starts_with(county, 'Z')", "STARTS_WITH(\"county\", 'Z')"),
        ("year(born) BETWEEN 1990 AND 2000", 'YEAR("born") BETWEEN 1990 AND 2000'),
        ("born > current_date - INTERVAL 18 YEAR", "\"born\" > CURRENT_DATE - INTERVAL '18' YEAR"),
        ("(pop > 1)", '("pop" > 1)'),
    ],
)
def test_predicate_accepted(text, expected):
    assert render_predicate(check_predicate(text, COLUMNS)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("countyy = 'x'", "unknown column `countyy`; did you mean `county`?"),
        ("zzz = 1", "unknown column `zzz`; columns are county, year, pop, Active, born"),
        ("t.county = 'x'", "name columns without a table"),
        ("county IN (SELECT county FROM org.ds.t)", "is not allowed in a row filter"),
        ("EXISTS (SELECT 1)", "is not allowed in a row filter"),
        ("count(*) > 1", "aggregate function `count` is not allowed in a row filter"),
        ("row_number() OVER () = 1", "not allowed in a row filter"),
        ("county = :c", "parameters are not allowed in a row filter"),
        ("getenv('HOME') = county", "function `getenv` is not allowed"),
        ("county = 'x'; DROP TABLE t", "only one condition is allowed"),
        ("county = 'x' UNION SELECT 1", "must be a single condition"),
        ("1 = 1 GROUP BY county", "must be a single condition"),
        ("1 = 1 LIMIT 1", "must be a single condition"),
        ("pop + 1", "is not a condition"),
        ("", "the row filter is empty"),
        ("county = ", "syntax error"),
        ("county = 'x' -- ", None),
    ],
)
def test_predicate_refused(text, message):
    if message is None:
        assert render_predicate(check_predicate(text, COLUMNS)) == "\"county\" = 'x'"
        return
    with pytest.raises(InvalidInput) as caught:
        check_predicate(text, COLUMNS)
    assert message in caught.value.message
    assert caught.value.status == 422
    assert caught.value.details[0].field == "row_filter"


def test_predicate_position_is_within_the_filter():
    with pytest.raises(InvalidInput) as caught:
        check_predicate("county = getenv('X')", COLUMNS)
    assert "(column 10)" in caught.value.message


def test_render_predicate_with_column_sql():
    expr = check_predicate("county = 'x' AND pop > 1", COLUMNS)
    sql = render_predicate(expr, column_sql=lambda name: f'"base"."{name}"')
    assert sql == '("base"."county") = \'x\' AND ("base"."pop") > 1'
    assert render_predicate(expr) == '"county" = \'x\' AND "pop" > 1'  # the checked tree is untouched


def test_predicate_filters_rows_in_duckdb(con):
    expr = check_predicate("county = 'Guiyang' AND pop > 10", ["id", "county", "pop", "user"])
    rows = con.execute(f"SELECT id FROM __dv_people WHERE {render_predicate(expr)}").fetchall()
    assert rows == [(3,)]
