# Queries that check_query accepts: `query` or `query ==> the SQL render_query gives` (tables become
# __dv_t0, __dv_t1, ... in order of first appearance). One case a line; \n is a newline.

# --- tables, aliases, qualified columns ---------------------------------------------------------------
SELECT * FROM org.ds.t ==> SELECT * FROM "__dv_t0" AS "t"
select * from ORG.DS.T ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM "org"."ds"."t" ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds ==> SELECT * FROM "__dv_t0" AS "ds"
FROM org.ds.t ==> SELECT * FROM "__dv_t0" AS "t"
FROM org.ds.t SELECT a ==> SELECT "a" FROM "__dv_t0" AS "t"
SELECT x.a FROM org.ds.t AS x ==> SELECT "x"."a" FROM "__dv_t0" AS "x"
SELECT x.a FROM org.ds.t x ==> SELECT "x"."a" FROM "__dv_t0" AS "x"
SELECT t.a, ds.t.b, org.ds.t.c FROM org.ds.t ==> SELECT "t"."a", "t"."b", "t"."c" FROM "__dv_t0" AS "t"
SELECT ds.c, org.ds.d FROM org.ds ==> SELECT "ds"."c", "ds"."d" FROM "__dv_t0" AS "ds"
SELECT t.* FROM org.ds.t ==> SELECT "t".* FROM "__dv_t0" AS "t"
SELECT x, y FROM org.ds.t AS v(x, y) ==> SELECT "x", "y" FROM "__dv_t0" AS "v"("x", "y")
SELECT a.x, b.y FROM org.one.t a JOIN org.two.t b ON a.id = b.id ==> SELECT "a"."x", "b"."y" FROM "__dv_t0" AS "a" JOIN "__dv_t1" AS "b" ON "a"."id" = "b"."id"
SELECT one.t.x, two.t.y FROM org.one.t, org.two.t ==> SELECT "t"."x", "t"."y" FROM "__dv_t0" AS "t", "__dv_t1" AS "t"
SELECT * FROM org.ds.t a JOIN org.ds.t b ON a.id = b.parent ==> SELECT * FROM "__dv_t0" AS "a" JOIN "__dv_t0" AS "b" ON "a"."id" = "b"."parent"
SELECT * FROM a_org.b_ds.c_table_2 ==> SELECT * FROM "__dv_t0" AS "c_table_2"
SELECT * FROM other.main.secrets ==> SELECT * FROM "__dv_t0" AS "secrets"

# --- time travel -------------------------------------------------------------------------------------
SELECT * FROM org.ds.t FOR VERSION AS OF 3 ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t VERSION AS OF 3 ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t FOR TIMESTAMP AS OF '2026-01-01T00:00:00Z' ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t TIMESTAMP AS OF '2026-01-01' ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t FOR TIMESTAMP AS OF TIMESTAMP '2026-01-01 08:00:00' ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t FOR SYSTEM_TIME AS OF '2026-01-01' ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t AT (VERSION => 2) ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t FOR VERSION AS OF 3 AS old ==> SELECT * FROM "__dv_t0" AS "old"
SELECT n.a - o.a FROM org.ds.t FOR VERSION AS OF 1 AS o JOIN org.ds.t AS n ON o.id = n.id ==> SELECT "n"."a" - "o"."a" FROM "__dv_t0" AS "o" JOIN "__dv_t1" AS "n" ON "o"."id" = "n"."id"

# --- CTEs and their scope ----------------------------------------------------------------------------
WITH c AS (SELECT * FROM org.ds.t) SELECT * FROM c ==> WITH "c" AS (SELECT * FROM "__dv_t0" AS "t") SELECT * FROM "c"
WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a) SELECT * FROM b ==> WITH "a" AS (SELECT 1 AS "x"), "b" AS (SELECT "x" FROM "a") SELECT * FROM "b"
WITH c AS (SELECT 1 AS x) SELECT * FROM c UNION ALL SELECT * FROM c ==> WITH "c" AS (SELECT 1 AS "x") SELECT * FROM "c" UNION ALL SELECT * FROM "c"
WITH t AS (SELECT 1 AS x) SELECT t.x FROM t ==> WITH "t" AS (SELECT 1 AS "x") SELECT "t"."x" FROM "t"
WITH t AS (SELECT * FROM org.ds.t) SELECT * FROM t JOIN org.ds.u ON t.a = u.a ==> WITH "t" AS (SELECT * FROM "__dv_t0" AS "t") SELECT * FROM "t" JOIN "__dv_t1" AS "u" ON "t"."a" = "u"."a"
SELECT * FROM (WITH c AS (SELECT 1 AS x) SELECT * FROM c) s ==> SELECT * FROM (WITH "c" AS (SELECT 1 AS "x") SELECT * FROM "c") AS "s"
WITH c AS (SELECT 1 AS x) SELECT * FROM (SELECT * FROM c) s ==> WITH "c" AS (SELECT 1 AS "x") SELECT * FROM (SELECT * FROM "c") AS "s"
WITH c(x, y) AS (VALUES (1, 2)) SELECT x + y FROM c ==> WITH "c"("x", "y") AS (SELECT * FROM (VALUES (1, 2)) AS "_values") SELECT "x" + "y" FROM "c"
WITH "My CTE" AS (SELECT 1 AS x) SELECT * FROM "My CTE" ==> WITH "My CTE" AS (SELECT 1 AS "x") SELECT * FROM "My CTE"

# --- joins of all kinds ------------------------------------------------------------------------------
SELECT * FROM org.ds.a LEFT JOIN org.ds.b USING (id) ==> SELECT * FROM "__dv_t0" AS "a" LEFT JOIN "__dv_t1" AS "b" USING ("id")
SELECT * FROM org.ds.a RIGHT OUTER JOIN org.ds.b ON a.id = b.id
SELECT * FROM org.ds.a FULL OUTER JOIN org.ds.b ON a.id = b.id
SELECT * FROM org.ds.a CROSS JOIN org.ds.b
SELECT * FROM org.ds.a NATURAL JOIN org.ds.b
SELECT * FROM org.ds.a SEMI JOIN org.ds.b ON a.id = b.id
SELECT * FROM org.ds.a ANTI JOIN org.ds.b ON a.id = b.id
SELECT * FROM org.ds.a ASOF JOIN org.ds.b ON a.id = b.id AND a.ts >= b.ts
SELECT * FROM org.ds.a, org.ds.b WHERE a.id = b.id
SELECT * FROM org.ds.a, LATERAL (SELECT a.x + 1 AS y) l

# --- subqueries ----------------------------------------------------------------------------------------
SELECT * FROM (SELECT a FROM org.ds.t) s WHERE s.a > 1
SELECT (SELECT max(a) FROM org.ds.t) AS m
SELECT * FROM org.ds.t WHERE a IN (SELECT a FROM org.ds.u)
SELECT * FROM org.ds.t WHERE EXISTS (SELECT 1 FROM org.ds.u WHERE u.a = t.a)
SELECT * FROM org.ds.t WHERE a = ANY (SELECT a FROM org.ds.u)
SELECT * FROM org.ds.t WHERE a > ALL (SELECT a FROM org.ds.u)
(SELECT 1) UNION (SELECT 2)

# --- set operations ------------------------------------------------------------------------------------
SELECT a FROM org.ds.t UNION SELECT a FROM org.ds.u
SELECT a FROM org.ds.t UNION ALL SELECT a FROM org.ds.u ORDER BY 1 LIMIT 5
SELECT a FROM org.ds.t INTERSECT SELECT a FROM org.ds.u
SELECT a FROM org.ds.t INTERSECT ALL SELECT a FROM org.ds.u
SELECT a FROM org.ds.t EXCEPT SELECT a FROM org.ds.u
SELECT a FROM org.ds.t EXCEPT ALL SELECT a FROM org.ds.u
SELECT * FROM org.ds.t UNION ALL BY NAME SELECT * FROM org.ds.u

# --- grouping, ordering, paging ------------------------------------------------------------------------
SELECT county, count(*) AS n FROM org.ds.t GROUP BY county HAVING count(*) > 1 ORDER BY n DESC
SELECT county, sum(pop) FROM org.ds.t GROUP BY ALL ORDER BY ALL
SELECT county, year, sum(pop) FROM org.ds.t GROUP BY ROLLUP (county, year)
SELECT county, year, sum(pop) FROM org.ds.t GROUP BY CUBE (county, year)
SELECT county, year, sum(pop) FROM org.ds.t GROUP BY GROUPING SETS ((county), (year), ())
SELECT * FROM org.ds.t ORDER BY a DESC NULLS LAST, b ASC NULLS FIRST LIMIT 10 OFFSET 20
SELECT DISTINCT county FROM org.ds.t
SELECT DISTINCT ON (county) county, year FROM org.ds.t ORDER BY county, year DESC
SELECT * FROM org.ds.t QUALIFY row_number() OVER (PARTITION BY county ORDER BY year DESC) = 1

# --- window functions ----------------------------------------------------------------------------------
SELECT row_number() OVER (), rank() OVER (ORDER BY a), dense_rank() OVER (ORDER BY a) FROM org.ds.t
SELECT ntile(4) OVER (ORDER BY a), percent_rank() OVER (ORDER BY a), cume_dist() OVER (ORDER BY a) FROM org.ds.t
SELECT lag(a) OVER w, lead(a, 2, 0) OVER w FROM org.ds.t WINDOW w AS (PARTITION BY b ORDER BY c)
SELECT first_value(a) OVER (ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM org.ds.t
SELECT last_value(a IGNORE NULLS) OVER (ORDER BY b), nth_value(a, 2) OVER (ORDER BY b) FROM org.ds.t
SELECT sum(a) OVER (PARTITION BY b ORDER BY c RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM org.ds.t
SELECT avg(a) OVER (ORDER BY d RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW) FROM org.ds.t

# --- aggregates ----------------------------------------------------------------------------------------
SELECT count(*), count(a), count(DISTINCT a), sum(a), avg(a), min(a), max(a) FROM org.ds.t
SELECT median(a), mode(a), quantile_cont(a, 0.9), quantile_disc(a, 0.5), stddev(a), variance(a) FROM org.ds.t
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM org.ds.t
SELECT string_agg(name, ', ' ORDER BY name), list(a), array_agg(a) FROM org.ds.t
SELECT approx_count_distinct(a), bool_and(b), bool_or(b), arg_min(a, b), arg_max(a, b) FROM org.ds.t
SELECT count(*) FILTER (WHERE a > 1), sum(a) FILTER (WHERE b) FROM org.ds.t
SELECT corr(a, b), covar_pop(a, b), regr_slope(a, b), any_value(a), first(a), last(a) FROM org.ds.t
SELECT min_by(a, b), max_by(a, b), count_if(a > 1), product(a), entropy(a), histogram(a) FROM org.ds.t

# --- scalar functions ----------------------------------------------------------------------------------
SELECT lower(a), upper(a), trim(a), ltrim(a), rtrim(a), length(a), substr(a, 1, 2), substring(a, 2) FROM org.ds.t
SELECT concat(a, b), a || b, concat_ws('-', a, b), replace(a, 'x', 'y'), left(a, 2), right(a, 2) FROM org.ds.t
SELECT regexp_matches(a, '^1'), regexp_replace(a, '\d', '#', 'g'), regexp_extract(a, '(\d+)', 1) FROM org.ds.t
SELECT starts_with(a, 'x'), contains(a, 'y'), strpos(a, 'z'), split_part(a, ',', 1), lpad(a, 5, '0') FROM org.ds.t
SELECT trim(BOTH 'x' FROM a), substring(a FROM 2 FOR 3), position('a' IN b) FROM org.ds.t
SELECT md5(a), sha256(a), hash(a), typeof(a), levenshtein(a, b) FROM org.ds.t
SELECT round(a, 2), abs(a), ceil(a), floor(a), sqrt(a), ln(a), log(a), log10(a), exp(a), power(a, 2) FROM org.ds.t
SELECT a % 3, a // 2, a / 2, -a, a ** 2, greatest(a, b), least(a, b), sign(a), pi() FROM org.ds.t
SELECT coalesce(a, 0), nullif(a, 0), ifnull(a, 1), if(a > 1, 'big', 'small') FROM org.ds.t
SELECT CASE WHEN a > 1 THEN 'big' WHEN a = 1 THEN 'one' ELSE 'small' END FROM org.ds.t
SELECT CASE a WHEN 1 THEN 'one' ELSE 'other' END FROM org.ds.t
SELECT random() < 0.5 FROM org.ds.t

# --- dates and times -----------------------------------------------------------------------------------
SELECT date_trunc('month', d), date_part('year', d), extract(year FROM d), year(d), month(d), day(d) FROM org.ds.t
SELECT strftime(d, '%Y-%m'), strptime('2026-01-02', '%Y-%m-%d'), make_date(2026, 1, 2) FROM org.ds.t
SELECT d + INTERVAL 1 DAY, d - INTERVAL '2 hours', date_diff('day', d, current_date) FROM org.ds.t
SELECT current_date, current_timestamp, now(), today(), age(d), last_day(d), dayname(d) FROM org.ds.t
SELECT * FROM org.ds.t WHERE d >= DATE '2024-01-01' AND ts < TIMESTAMP '2025-01-01 00:00:00'
SELECT epoch(ts), time_bucket(INTERVAL '1 hour', ts), quarter(d), week(d), dayofweek(d) FROM org.ds.t

# --- literals, casts, predicates -----------------------------------------------------------------------
SELECT 1, 1.5, 'text', TRUE, FALSE, NULL, 1e3, -2
SELECT CAST(a AS INTEGER), TRY_CAST(a AS DOUBLE), a::VARCHAR, a::DECIMAL(18, 2), a::DATE, a::TIMESTAMP FROM org.ds.t
SELECT a::BIGINT[], CAST(a AS BOOLEAN), a::UUID, a::BLOB, a::INTERVAL, a::TIMESTAMPTZ, a::HUGEINT FROM org.ds.t
SELECT * FROM org.ds.t WHERE a LIKE 'x%' AND b ILIKE '%Y' AND c NOT LIKE '%z' ESCAPE '!'
SELECT * FROM org.ds.t WHERE a IN (1, 2, 3) AND b NOT IN ('x') AND c BETWEEN 1 AND 10
SELECT * FROM org.ds.t WHERE a IS NULL OR b IS NOT NULL OR c IS DISTINCT FROM d
SELECT * FROM org.ds.t WHERE a SIMILAR TO 'x.*' OR a GLOB 'x*' OR a ~ '^x'
SELECT * FROM org.ds.t WHERE NOT (a = 1 OR b <> 2) AND c != 3 AND d <= 4 AND e >= 5
SELECT a COLLATE NOCASE FROM org.ds.t ORDER BY 1
SELECT 'it''s', 'a;b', '-- not a comment', '/* nor this */', '"quoted"' ==> SELECT 'it''s', 'a;b', '-- not a comment', '/* nor this */', '"quoted"'
SELECT 'back\slash', '贵州', '' ==> SELECT 'back\slash', '贵州', ''
SELECT "weird ""name""", "select", t."user", t."current_schema" FROM org.ds.t ==> SELECT "weird ""name""", "select", "t"."user", "t"."current_schema" FROM "__dv_t0" AS "t"
SELECT t.user, t.current_role, x.current_schema FROM org.ds.t, org.ds.u x ==> SELECT "t"."user", "t"."current_role", "x"."current_schema" FROM "__dv_t0" AS "t", "__dv_t1" AS "x"

# --- lists, structs, unnest ----------------------------------------------------------------------------
SELECT [1, 2, 3], [1, 2][1], {'k': 1, 'v': 'x'}, list_value(1, 2), len([1]), list_contains([1], 1)
SELECT unnest([1, 2, 3]) AS x
SELECT * FROM unnest([1, 2]) AS u(x)
SELECT s.k, (s).v FROM (SELECT {'k': 1, 'v': 2} AS s) sub
SELECT a[1:2] FROM org.ds.t
SELECT * EXCLUDE (a, b) FROM org.ds.t
SELECT * REPLACE (lower(a) AS a) FROM org.ds.t

# --- VALUES --------------------------------------------------------------------------------------------
VALUES (1, 'a'), (2, 'b')
SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(id, name)

# --- parameters ----------------------------------------------------------------------------------------
SELECT * FROM org.ds.t WHERE a = :a AND b > :b_2 ==> SELECT * FROM "__dv_t0" AS "t" WHERE "a" = $a AND "b" > $b_2
SELECT :x ==> SELECT $x
SELECT :Year, :year ==> SELECT $year, $year
SELECT * FROM org.ds.t WHERE d BETWEEN :from AND :to LIMIT :limit ==> SELECT * FROM "__dv_t0" AS "t" WHERE "d" BETWEEN $from AND $to LIMIT $limit
SELECT lower(:name), ':not_a_param' ==> SELECT LOWER($name), ':not_a_param'
SELECT a::INT, a[1:2], x: 1 FROM org.ds.t ==> SELECT CAST("a" AS INT), "a"[1:2], 1 AS "x" FROM "__dv_t0" AS "t"

# --- comments, EXPLAIN, layout -------------------------------------------------------------------------
SELECT 1 -- trailing comment ==> SELECT 1
SELECT /* inline */ 1 ==> SELECT 1
-- leading comment\nSELECT 1 ==> SELECT 1
SELECT 1; ==> SELECT 1
SELECT 1 -- */ ; DROP TABLE t ==> SELECT 1
SELECT 1 /* ; DROP TABLE t; */ ==> SELECT 1
SELECT\n  a\nFROM\n  org.ds.t\nWHERE b = 1 ==> SELECT "a" FROM "__dv_t0" AS "t" WHERE "b" = 1
EXPLAIN SELECT * FROM org.ds.t ==> SELECT * FROM "__dv_t0" AS "t"
explain select count(*) from org.ds.t where a = :a ==> SELECT COUNT(*) FROM "__dv_t0" AS "t" WHERE "a" = $a

# --- found while hardening ----------------------------------------------------------------------------
SELECT * FROM org.ds.t AS "x""; DROP TABLE y; --" ==> SELECT * FROM "__dv_t0" AS "x""; DROP TABLE y; --"
SELECT * FROM org . ds . t ==> SELECT * FROM "__dv_t0" AS "t"
SELECT :x::INT, a FROM org.ds.t ORDER BY :col ==> SELECT CAST($x AS INT), "a" FROM "__dv_t0" AS "t" ORDER BY $col
EXPLAIN /* c */ SELECT 1 ==> SELECT 1
SELECT a[:n] FROM org.ds.t ==> SELECT "a"[$n] FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.t AT (TIMESTAMP => '2026-01-01') ==> SELECT * FROM "__dv_t0" AS "t"
SELECT * FROM org.ds.a POSITIONAL JOIN org.ds.b ==> SELECT * FROM "__dv_t0" AS "a" POSITIONAL JOIN "__dv_t1" AS "b"
WITH c AS MATERIALIZED (SELECT 1 AS x) SELECT * FROM c
SELECT * FROM org.ds.t t1 JOIN LATERAL (SELECT * FROM org.ds.u WHERE u.a = t1.a) x ON true
