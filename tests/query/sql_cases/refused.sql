# Statements that check_query refuses: `query ==> part of the message` (one case a line; \n and \r are
# a newline and a carriage return).
# "[syntax] " before the message: the error code is sql_syntax; otherwise sql_refused.

# --- reaching files ----------------------------------------------------------------------------------
SELECT * FROM 'x.csv' ==> `'x.csv'` is not allowed (line 1, column 15): a quoted string in FROM would be read as a file
SELECT * FROM '/etc/passwd' ==> a quoted string in FROM would be read as a file
FROM 'data/*.parquet' ==> a quoted string in FROM would be read as a file
SELECT * FROM org.ds.t JOIN 'secrets.csv' s ON true ==> a quoted string in FROM would be read as a file
SELECT * FROM read_csv('x.csv') ==> table function `read_csv` is not allowed (line 1, column 15)
SELECT * FROM read_csv_auto('x.csv') ==> table function `read_csv_auto` is not allowed
SELECT * FROM read_parquet('s3://bucket/x.parquet') ==> table function `read_parquet` is not allowed
SELECT * FROM read_json('x.json') ==> table function `read_json` is not allowed
SELECT * FROM read_json_auto('x.json') ==> table function `read_json_auto` is not allowed
SELECT * FROM read_ndjson_objects('x') ==> table function `read_ndjson_objects` is not allowed
SELECT * FROM read_text('/etc/passwd') ==> table function `read_text` is not allowed
SELECT * FROM read_blob('/etc/passwd') ==> table function `read_blob` is not allowed
SELECT * FROM glob('/home/*') ==> table function `glob` is not allowed
SELECT * FROM parquet_metadata('x.parquet') ==> table function `parquet_metadata` is not allowed
SELECT * FROM parquet_scan('x.parquet') ==> table function `parquet_scan` is not allowed
SELECT * FROM sniff_csv('x.csv') ==> table function `sniff_csv` is not allowed
SELECT * FROM delta_scan('/data/t') ==> table function `delta_scan` is not allowed
SELECT * FROM iceberg_scan('/data/t') ==> table function `iceberg_scan` is not allowed
SELECT * FROM read_duckdb('other.db') ==> table function `read_duckdb` is not allowed
SELECT read_text('/etc/passwd') ==> function `read_text` is not allowed (line 1, column 8)
SELECT content FROM read_text('/etc/passwd') ==> table function `read_text` is not allowed
SELECT * FROM org.ds.t WHERE a IN (SELECT content FROM read_text('/etc/passwd')) ==> table function `read_text` is not allowed
SELECT '/etc/passwd'::regclass ==> type `regclass` is not allowed
COPY (SELECT 1) TO '/tmp/x.csv' ==> `COPY` statements are not allowed: it reads or writes files
COPY org.ds.t FROM '/tmp/x.csv' ==> `COPY` statements are not allowed
EXPORT DATABASE '/tmp/x' ==> `EXPORT` statements are not allowed: it writes files
IMPORT DATABASE '/tmp/x' ==> `IMPORT` statements are not allowed
ATTACH '/tmp/other.db' AS other ==> `ATTACH` statements are not allowed: it opens another database
DETACH other ==> `DETACH` statements are not allowed
INSTALL httpfs ==> `INSTALL` statements are not allowed: it installs extensions
LOAD httpfs ==> `LOAD` statements are not allowed: it loads extensions
FORCE INSTALL httpfs ==> `FORCE` statements are not allowed
SELECT * FROM memory.main.t ==> is in DuckDB's own catalog (`memory`)

# --- settings, variables, environment ------------------------------------------------------------------
SELECT current_setting('threads') ==> function `current_setting` is not allowed (line 1, column 8)
SELECT * FROM duckdb_settings() ==> table function `duckdb_settings` is not allowed
SELECT * FROM duckdb_settings ==> table `duckdb_settings` is not allowed (line 1, column 15): it is part of DuckDB's own catalog
SELECT getenv('HOME') ==> function `getenv` is not allowed
SELECT GETENV('AWS_SECRET_ACCESS_KEY') ==> function `getenv` is not allowed
SELECT getvariable('x') ==> function `getvariable` is not allowed
SELECT version() ==> function `version` is not allowed
SELECT current_database() ==> function `current_database` is not allowed
SELECT current_schema() ==> function `current_schema` is not allowed
SELECT current_schema ==> a bare `current_schema` is not allowed
SELECT "user" FROM org.ds.t ==> a bare `user` is not allowed
SELECT id FROM org.ds.t WHERE current_role = 'x' ==> a bare `current_role` is not allowed
SELECT current_catalog ==> `current_catalog` is not allowed
SELECT session_user ==> `session_user` is not allowed
SELECT current_schemas(true) ==> function `current_schemas` is not allowed
SELECT current_query() ==> function `current_query` is not allowed
SELECT current_user() ==> is not allowed
SELECT session_user, current_catalog ==> function `session_user` is not allowed
SELECT current_catalog ==> function `current_catalog` is not allowed
SELECT current_user ==> function `current_user` is not allowed
SELECT txid_current() ==> function `txid_current` is not allowed
SELECT nextval('seq') ==> function `nextval` is not allowed
SELECT currval('seq') ==> function `currval` is not allowed
SELECT setseed(0.5) ==> function `setseed` is not allowed
SELECT sleep_ms(100000) ==> function `sleep_ms` is not allowed
SELECT pg_sleep(100) ==> function `pg_sleep` is not allowed
SELECT write_log('x') ==> function `write_log` is not allowed
SELECT error('boom') ==> function `error` is not allowed
SELECT * FROM pragma_version() ==> table function `pragma_version` is not allowed
SELECT * FROM pragma_table_info('t') ==> table function `pragma_table_info` is not allowed
SET threads = 64 ==> `SET` statements are not allowed: it changes engine settings
SET enable_external_access = true ==> `SET` statements are not allowed
RESET threads ==> `RESET` statements are not allowed
PRAGMA version ==> `PRAGMA` statements are not allowed
PRAGMA enable_profiling ==> `PRAGMA` statements are not allowed
CALL pragma_version() ==> `CALL` statements are not allowed
CHECKPOINT ==> `CHECKPOINT` statements are not allowed
VACUUM ==> `VACUUM` statements are not allowed
USE memory ==> `USE` statements are not allowed

# --- metadata and the catalog -------------------------------------------------------------------------
SELECT * FROM information_schema.tables ==> `information_schema.tables` is in DuckDB's own catalog (`information_schema`), which cannot be queried (line 1, column 15)
SELECT * FROM information_schema.columns WHERE table_name = 't' ==> DuckDB's own catalog
SELECT * FROM pg_catalog.pg_tables ==> DuckDB's own catalog (`pg_catalog`)
SELECT * FROM system.main.duckdb_tables ==> DuckDB's own catalog (`system`)
SELECT * FROM main.t ==> DuckDB's own catalog (`main`)
SELECT * FROM temp.main.t ==> DuckDB's own catalog (`temp`)
SELECT * FROM sqlite_master ==> table `sqlite_master` is not allowed (line 1, column 15): it is part of DuckDB's own catalog
SELECT * FROM duckdb_tables() ==> table function `duckdb_tables` is not allowed
SELECT * FROM duckdb_columns() ==> table function `duckdb_columns` is not allowed
SELECT * FROM duckdb_databases() ==> table function `duckdb_databases` is not allowed
SELECT * FROM duckdb_secrets() ==> table function `duckdb_secrets` is not allowed
SELECT * FROM duckdb_functions() ==> table function `duckdb_functions` is not allowed
SELECT * FROM pg_tables ==> table `pg_tables` is not allowed
DESCRIBE org.ds.t ==> `DESCRIBE` statements are not allowed
DESCRIBE SELECT 1 ==> `DESCRIBE` statements are not allowed
SHOW TABLES ==> `SHOW` statements are not allowed
SHOW ALL TABLES ==> `SHOW` statements are not allowed
SUMMARIZE org.ds.t ==> `SUMMARIZE` statements are not allowed
TABLE org.ds.t ==> `TABLE` statements are not allowed: it is not supported; write SELECT * FROM ...

# --- other tables and SQL through functions -----------------------------------------------------------
SELECT * FROM query('SELECT * FROM secrets') ==> table function `query` is not allowed
SELECT * FROM query_table('secrets') ==> table function `query_table` is not allowed
SELECT * FROM query_table(['a', 'b']) ==> table function `query_table` is not allowed
SELECT * FROM json_execute_serialized_sql('x') ==> table function `json_execute_serialized_sql` is not allowed
SELECT json_serialize_sql('SELECT 1') ==> function `json_serialize_sql` is not allowed
SELECT list_aggregate([1, 2], 'min') ==> function `list_aggregate` is not allowed
SELECT * FROM range(10) ==> table function `range` is not allowed
SELECT * FROM generate_series(1, 10) ==> table function `generate_series` is not allowed
SELECT * FROM org.ds.t, range(3) ==> table function `range` is not allowed
SELECT * FROM secrets ==> table `secrets` is not allowed (line 1, column 15): it is neither a DataValley table nor a CTE defined before it
SELECT * FROM "__dv_t0" ==> table `__dv_t0` is not allowed
SELECT * FROM org.ds.t AS __dv_t1 ==> the name `__dv_t1` is reserved
WITH __dv_t0 AS (SELECT 1) SELECT * FROM org.ds.t ==> the name `__dv_t0` is reserved
SELECT * FROM a.b.c.d ==> `a.b.c.d` has 4 parts
SELECT * FROM "Org-Name".ds.t ==> `Org-Name` in `Org-Name.ds.t` is not a valid name
SELECT * FROM org."ds.t" ==> `ds.t` in `org.ds.t` is not a valid name
SELECT * FROM org.ds.t FOR VERSION AS OF -1 ==> the version is a whole number
SELECT * FROM org.ds.t FOR VERSION AS OF 'latest' ==> the version is a whole number
SELECT * FROM org.ds.t FOR VERSION AS OF :v ==> the version is a whole number
SELECT * FROM org.ds.t FOR TIMESTAMP AS OF 'yesterday' ==> the timestamp is ISO 8601 text in quotes
SELECT * FROM org.ds.t FOR TIMESTAMP AS OF now() ==> the timestamp is ISO 8601 text in quotes
WITH c AS (SELECT 1) SELECT * FROM c FOR VERSION AS OF 1 ==> time travel applies to tables, not to the CTE `c`

# --- changing data or structure -----------------------------------------------------------------------
INSERT INTO org.ds.t VALUES (1) ==> `INSERT` statements are not allowed: it changes data; queries here only read (line 1, column 1)
UPDATE org.ds.t SET a = 1 ==> `UPDATE` statements are not allowed
DELETE FROM org.ds.t ==> `DELETE` statements are not allowed
MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE ==> `MERGE` statements are not allowed
CREATE TABLE x AS SELECT 1 ==> `CREATE` statements are not allowed: it changes the database's structure
CREATE MACRO m(x) AS x + 1 ==> `CREATE` statements are not allowed
CREATE SECRET (TYPE s3, KEY_ID 'x') ==> `CREATE` statements are not allowed
DROP TABLE org.ds.t ==> `DROP` statements are not allowed
ALTER TABLE t ADD COLUMN b INT ==> `ALTER` statements are not allowed
TRUNCATE org.ds.t ==> `TRUNCATE` statements are not allowed
BEGIN TRANSACTION ==> `BEGIN` statements are not allowed: transactions are managed by DataValley
PREPARE p AS SELECT 1 ==> `PREPARE` statements are not allowed
WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x ==> `INSERT` statements are not allowed
SELECT * INTO newtable FROM org.ds.t ==> SELECT ... INTO would write a table
EXPLAIN ANALYZE SELECT 1 ==> EXPLAIN ANALYZE is not supported
EXPLAIN DELETE FROM t ==> `DELETE` statements are not allowed

# --- more than one statement, comment tricks ----------------------------------------------------------
SELECT 1; SELECT 2 ==> only one statement is allowed, but a second one starts here; remove everything after the first `;` (line 1, column 11)
SELECT 1; DROP TABLE org.ds.t ==> only one statement is allowed
SELECT 1;\nATTACH 'x.db' ==> only one statement is allowed, but a second one starts here; remove everything after the first `;` (line 2, column 1)
SELECT 1 /* harmless */; COPY (SELECT 1) TO 'x' ==> only one statement is allowed
SELECT 1 -- comment\n; INSTALL httpfs ==> only one statement is allowed
/* SELECT */ DROP TABLE t ==> `DROP` statements are not allowed
-- just a comment\nPRAGMA version ==> `PRAGMA` statements are not allowed
SELECT 'a;b'; SELECT 2 ==> only one statement is allowed
SELECT /*+ hint */ getenv('x') ==> function `getenv` is not allowed
SELECT 1 /* unterminated ==> [syntax] unterminated string, quoted name or comment starting at line 1, column 10
-- only a comment ==> [syntax] the query is empty
; ==> [syntax] the query is empty

# --- case and quoting tricks --------------------------------------------------------------------------
SELECT "READ_CSV"('x.csv') ==> function `read_csv` is not allowed
SELECT Read_Csv('x.csv') ==> function `read_csv` is not allowed
SELECT * FROM "read_text"('/etc/passwd') ==> table function `read_text` is not allowed
SELECT * FROM Read_Text('/etc/passwd') ==> table function `read_text` is not allowed
SELECT "GetEnv"('HOME') ==> function `getenv` is not allowed
SELECT main.getenv('HOME') ==> function `getenv` is not allowed here
SELECT system.main.current_setting('threads') ==> function `current_setting` is not allowed here
SELECT 'HOME'.getenv() ==> function `getenv` is not allowed here
SELECT a.lower() FROM org.ds.t ==> call functions by their plain name
SELECT * FROM INFORMATION_SCHEMA.TABLES ==> DuckDB's own catalog (`information_schema`)
SELECT * FROM "information_schema"."tables" ==> DuckDB's own catalog (`information_schema`)
SeLeCt * FrOm ReAd_CsV('x') ==> table function `read_csv` is not allowed

# --- nested inside CTEs, subqueries, set operations, windows, ORDER BY, CASE, arguments ---------------
WITH x AS (SELECT getenv('HOME') AS h) SELECT * FROM x ==> function `getenv` is not allowed (line 1, column 19)
WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x ==> table function `read_csv` is not allowed
WITH x AS (SELECT 1), y AS (SELECT * FROM 'x.csv') SELECT * FROM y ==> a quoted string in FROM would be read as a file
WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a ==> table `b` is not allowed (line 1, column 26): it is neither a DataValley table nor a CTE defined before it
WITH a AS (SELECT * FROM a) SELECT * FROM a ==> table `a` is not allowed
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r ==> WITH RECURSIVE is not supported
SELECT (SELECT current_setting('x')) ==> function `current_setting` is not allowed
SELECT * FROM (SELECT * FROM duckdb_settings()) s ==> table function `duckdb_settings` is not allowed
SELECT * FROM org.ds.t WHERE EXISTS (SELECT 1 FROM duckdb_tables()) ==> table function `duckdb_tables` is not allowed
SELECT 1 UNION ALL SELECT getenv('HOME') ==> function `getenv` is not allowed
SELECT a FROM org.ds.t EXCEPT SELECT content FROM read_text('x') ==> table function `read_text` is not allowed
SELECT 1 INTERSECT SELECT * FROM 'x.csv' ==> a quoted string in FROM would be read as a file
SELECT row_number() OVER (ORDER BY getenv('X')) FROM org.ds.t ==> function `getenv` is not allowed
SELECT sum(a) OVER (PARTITION BY current_setting('x')) FROM org.ds.t ==> function `current_setting` is not allowed
SELECT * FROM org.ds.t ORDER BY getenv('HOME') ==> function `getenv` is not allowed
SELECT * FROM org.ds.t ORDER BY (SELECT 1 FROM read_text('x')) ==> table function `read_text` is not allowed
SELECT CASE WHEN a > 1 THEN getenv('HOME') ELSE 'x' END FROM org.ds.t ==> function `getenv` is not allowed
SELECT lower(getenv('HOME')) ==> function `getenv` is not allowed
SELECT coalesce(NULL, current_setting('x')) ==> function `current_setting` is not allowed
SELECT count(*) FILTER (WHERE getenv('x') = '') FROM org.ds.t ==> function `getenv` is not allowed
SELECT * FROM org.ds.t LIMIT (SELECT count(*) FROM duckdb_tables()) ==> table function `duckdb_tables` is not allowed
SELECT * FROM org.ds.t GROUP BY getenv('x') ==> function `getenv` is not allowed
SELECT * FROM org.ds.t HAVING current_setting('x') = '1' ==> function `current_setting` is not allowed
SELECT * FROM org.ds.t QUALIFY getvariable('x') = 1 ==> function `getvariable` is not allowed
SELECT * FROM org.ds.t a JOIN org.ds.u b ON getenv('x') = b.c ==> function `getenv` is not allowed
SELECT * FROM org.ds.t, LATERAL (SELECT * FROM read_csv('x')) ==> table function `read_csv` is not allowed
SELECT * FROM (VALUES (getenv('HOME'))) v(x) ==> function `getenv` is not allowed
SELECT * EXCLUDE (a) REPLACE (getenv('x') AS b) FROM org.ds.t ==> function `getenv` is not allowed
SELECT a IN (SELECT * FROM query('select 1')) FROM org.ds.t ==> table function `query` is not allowed
SELECT [getenv('x')] ==> function `getenv` is not allowed
SELECT {'k': current_setting('x')} ==> function `current_setting` is not allowed

# --- syntax DataValley leaves out ---------------------------------------------------------------------
SELECT list_transform([1, 2], x -> x + 1) ==> function `list_transform` is not allowed
SELECT list_value(x -> x + 1) ==> lambda functions (`x -> ...`) are not allowed
SELECT COLUMNS('a.*') FROM org.ds.t ==> COLUMNS(...) is not allowed
PIVOT org.ds.t ON year USING sum(pop) ==> `PIVOT` statements are not allowed
SELECT * FROM org.ds.t USING SAMPLE 10 ==> sampling (USING SAMPLE / TABLESAMPLE) is not supported
SELECT * FROM org.ds.t TABLESAMPLE 10 ==> sampling (USING SAMPLE / TABLESAMPLE) is not supported
SELECT $$abc$$ ==> dollar-quoted strings are not allowed
SELECT e'\\x41' ==> escape strings (E'...') are not allowed
SELECT x'41' ==> [syntax] syntax error
SELECT a->>'x' FROM org.ds.t ==> JSON extraction (json_extract_string, ->, ->>) is not supported
SELECT json_extract(a, '$.x') FROM org.ds.t ==> JSON extraction (json_extract, ->, ->>) is not supported
SELECT strptime('2020', format := '%Y') ==> named function arguments
SELECT a::json FROM org.ds.t ==> type `JSON` is not allowed
SELECT a::struct(x int) FROM org.ds.t ==> type `STRUCT(x INT)` is not allowed
SELECT a::map(varchar, int) FROM org.ds.t ==> is not allowed
SELECT CAST(a AS regclass) FROM org.ds.t ==> type `regclass` is not allowed
SELECT a COLLATE de FROM org.ds.t ==> collation `de` is not allowed
SELECT * FROM org.ds.t FOR UPDATE ==> row locks (FOR UPDATE / FOR SHARE) are not supported

# --- parameters ---------------------------------------------------------------------------------------
SELECT ? ==> parameter `?` is not allowed: name parameters `:name` (line 1, column 8)
SELECT * FROM org.ds.t WHERE a = $1 ==> parameter `$1` is not allowed: name parameters `:name` (line 1, column 34)
SELECT * FROM org.ds.t WHERE a = $name ==> parameter `$name` is not allowed: name parameters `:name`
SELECT * FROM org.ds.t WHERE a = :1 ==> parameter `:1` is not allowed
SELECT * FROM org.ds.t WHERE a = :_x ==> parameter `:_x` is not allowed

# --- syntax errors and limits -------------------------------------------------------------------------
SELECT * FROM org.ds.t WHERE ==> [syntax] syntax error
SELECT * FROM org.ds.t WHERE ==> [syntax] the clause or expression is not finished
SELECT * FROM org.ds.t ORDER BY ==> [syntax] something is missing here
SELECT 1 + ==> [syntax] something is missing here
SELECT 'unterminated ==> [syntax] unterminated string, quoted name or comment starting at line 1, column 8
SELECT "unterminated ==> [syntax] unterminated string
SELECT * FROM org.ds.t WHERE a = (1 ==> [syntax]
SELEC 1 ==> [syntax] `SELEC` does not start a query: a query starts with SELECT, WITH, VALUES, FROM or EXPLAIN (check the spelling)
HELLO ==> [syntax] `HELLO` does not start a query
SELECT uuid() ==> function `uuid` is not allowed
SELECT s.k FROM (SELCT {'k': 1} AS s) ub ==> [syntax] the query could not be read unambiguously
SELECT * FROM unnest([1, 2]) AS (x) ==> [syntax] the query could not be read unambiguously

# --- found while hardening ----------------------------------------------------------------------------
SELECT "read_csv"/**/('x') ==> function `read_csv` is not allowed
SELECT * FROM read_csv --\n('x') ==> table function `read_csv` is not allowed
SELECT read/**/_csv('x') ==> [syntax] syntax error
SELECT 1\r\nFROM org.ds.t\r\nWHERE getenv('x') = '' ==> function `getenv` is not allowed (line 3, column 7)
SELECT ｒｅａｄ_csv('x') ==> function `ｒｅａｄ_csv` is not allowed
SELECT INTERVAL 2 hr ==> interval unit `HR` is not allowed
SELECT * FROM org.ds.t WHERE a = 'x' COLLATE "de" ==> collation `"de"` is not allowed
SELECT regexp_replace(a, 'x', 'y', b) FROM org.ds.t ==> the query uses something DuckDB cannot run as written
SELECT strptime(a, fmt := '%Y') FROM org.ds.t ==> named function arguments
