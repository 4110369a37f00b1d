# Queries whose rewritten SQL must give exactly the rows DuckDB gives for the text as written:
# proof that rewriting (sqlglot, DuckDB dialect) keeps the meaning of every allowed function.
# {data} is (VALUES (1, 'a', 2.0), (2, 'b', NULL), (3, 'b', 5.0), (4, 'c', 7.5)) AS v(x, s, y).

SELECT lower('AbC')
SELECT upper('abc')
SELECT lcase('A')
SELECT ucase('a')
SELECT length('héllo')
SELECT strlen('héllo')
SELECT char_length('ab')
SELECT octet_length('ab'::blob)
SELECT bit_length('a')
SELECT trim('  a  ')
SELECT trim('xxaxx', 'x')
SELECT trim(both 'x' from 'xxaxx')
SELECT ltrim('  a')
SELECT rtrim('a  ')
SELECT ltrim('xxa', 'x')
SELECT substr('abcdef', 2, 3)
SELECT substring('abcdef', 2)
SELECT substring('abcdef' from 2 for 3)
SELECT left('abcdef', 2)
SELECT right('abcdef', 2)
SELECT lpad('7', 3, '0')
SELECT rpad('7', 3, '0')
SELECT concat('a', NULL, 'b')
SELECT concat_ws('-', 'a', 'b')
SELECT 'a' || 'b'
SELECT 'a' || NULL
SELECT replace('abc', 'b', 'x')
SELECT translate('abc', 'ab', 'xy')
SELECT reverse('abc')
SELECT repeat('ab', 3)
SELECT position('b' in 'abc')
SELECT strpos('abc', 'c')
SELECT instr('abc', 'b')
SELECT contains('abc', 'b')
SELECT starts_with('abc', 'a')
SELECT ends_with('abc', 'c')
SELECT prefix('abc', 'ab')
SELECT suffix('abc', 'bc')
SELECT split_part('a,b,c', ',', 2)
SELECT string_split('a,b', ',')
SELECT str_split('a,b', ',')
SELECT regexp_matches('abc', 'b')
SELECT regexp_matches('ABC', 'b', 'i')
SELECT regexp_full_match('abc', 'a.c')
SELECT regexp_replace('a1b2', '\d', '#')
SELECT regexp_replace('a1b2', '\d', '#', 'g')
SELECT regexp_extract('a12b', '(\d+)', 1)
SELECT regexp_extract('a12b', '\d')
SELECT regexp_extract_all('a1b2', '\d')
SELECT regexp_split_to_array('a1b', '\d')
SELECT format('{} {}', 1, 'x')
SELECT printf('%05d', 42)
SELECT ascii('A')
SELECT chr(65)
SELECT unicode('A')
SELECT strip_accents('héllo')
SELECT nfc_normalize('é')
SELECT levenshtein('kitten', 'sitting')
SELECT damerau_levenshtein('ab', 'ba')
SELECT hamming('abc', 'abd')
SELECT jaccard('abc', 'abd')
SELECT jaro_similarity('abc', 'abd')
SELECT jaro_winkler_similarity('abc', 'abd')
SELECT md5('a')
SELECT sha1('a')
SELECT sha256('a')
SELECT hash('a')
SELECT to_base64('a'::blob)
SELECT hex('a')
SELECT to_hex(255)
SELECT url_encode('a b')
SELECT url_decode('a%20b')
SELECT abs(-2)
SELECT sign(-2)
SELECT round(2.567, 2)
SELECT round(2.5)
SELECT trunc(2.7)
SELECT ceil(2.1)
SELECT ceiling(2.1)
SELECT floor(2.9)
SELECT even(3)
SELECT sqrt(16)
SELECT cbrt(27)
SELECT exp(1)
SELECT ln(10)
SELECT log(100)
SELECT log2(8)
SELECT log10(1000)
SELECT log(2, 8)
SELECT pow(2, 10)
SELECT power(2, 10)
SELECT 2 ** 10
SELECT mod(7, 3)
SELECT 7 % 3
SELECT 7 // 2
SELECT 7 / 2
SELECT gcd(12, 18)
SELECT lcm(4, 6)
SELECT factorial(5)
SELECT gamma(5)
SELECT pi()
SELECT degrees(pi())
SELECT radians(180)
SELECT sin(1)
SELECT cos(1)
SELECT tan(1)
SELECT cot(1)
SELECT asin(1)
SELECT acos(1)
SELECT atan(1)
SELECT atan2(1, 2)
SELECT greatest(1, 5, 3)
SELECT least(1, 5, 3)
SELECT isnan('nan'::double)
SELECT isinf('inf'::double)
SELECT isfinite(1.0)
SELECT bit_count(7)
SELECT date_trunc('month', DATE '2026-03-15')
SELECT date_part('year', DATE '2026-03-15')
SELECT extract(year from DATE '2026-03-15')
SELECT extract(dow from DATE '2026-03-15')
SELECT date_diff('day', DATE '2026-01-01', DATE '2026-03-01')
SELECT datediff('month', DATE '2026-01-01', DATE '2026-03-01')
SELECT date_add(DATE '2026-01-31', INTERVAL 1 MONTH)
SELECT date_sub('day', DATE '2026-01-01', DATE '2026-01-10')
SELECT age(TIMESTAMP '2026-01-01', TIMESTAMP '2025-01-01')
SELECT strftime(DATE '2026-03-15', '%Y/%m')
SELECT strptime('2026-03-15', '%Y-%m-%d')
SELECT try_strptime('x', '%Y')
SELECT to_timestamp(0)
SELECT epoch(TIMESTAMP '2026-01-01')
SELECT epoch_ms(TIMESTAMP '2026-01-01')
SELECT epoch_ms(0)
SELECT make_date(2026, 3, 15)
SELECT make_time(1, 2, 3.5)
SELECT make_timestamp(2026, 1, 2, 3, 4, 5.5)
SELECT time_bucket(INTERVAL '1 hour', TIMESTAMP '2026-01-01 10:30:00')
SELECT last_day(DATE '2026-02-10')
SELECT year(DATE '2026-03-15')
SELECT quarter(DATE '2026-03-15')
SELECT month(DATE '2026-03-15')
SELECT week(DATE '2026-03-15')
SELECT weekofyear(DATE '2026-03-15')
SELECT yearweek(DATE '2026-03-15')
SELECT day(DATE '2026-03-15')
SELECT dayofmonth(DATE '2026-03-15')
SELECT dayofweek(DATE '2026-03-15')
SELECT dayofyear(DATE '2026-03-15')
SELECT isodow(DATE '2026-03-15')
SELECT isoyear(DATE '2026-03-15')
SELECT weekday(DATE '2026-03-15')
SELECT dayname(DATE '2026-03-15')
SELECT monthname(DATE '2026-03-15')
SELECT hour(TIMESTAMP '2026-01-01 10:30:45.123')
SELECT minute(TIMESTAMP '2026-01-01 10:30:45.123')
SELECT second(TIMESTAMP '2026-01-01 10:30:45.123')
SELECT millisecond(TIMESTAMP '2026-01-01 10:30:45.123')
SELECT microsecond(TIMESTAMP '2026-01-01 10:30:45.123')
SELECT century(DATE '2026-01-01')
SELECT decade(DATE '2026-01-01')
SELECT julian(DATE '2026-01-01')
SELECT to_years(2)
SELECT to_months(2)
SELECT to_days(2)
SELECT to_hours(2)
SELECT to_minutes(2)
SELECT to_seconds(2)
SELECT to_weeks(2)
SELECT to_decades(1)
SELECT to_centuries(1)
SELECT to_milliseconds(2)
SELECT to_microseconds(2)
SELECT DATE '2026-01-01' + INTERVAL 7 DAYS
SELECT INTERVAL '2 hours'
SELECT coalesce(NULL, 2)
SELECT ifnull(NULL, 3)
SELECT nullif(1, 1)
SELECT if(1 > 0, 'y', 'n')
SELECT typeof(1)
SELECT CASE WHEN 1 > 0 THEN 'a' ELSE 'b' END
SELECT 1 IS DISTINCT FROM NULL
SELECT CAST('1' AS INTEGER)
SELECT TRY_CAST('x' AS INTEGER)
SELECT '12.345'::DECIMAL(5, 2)
SELECT '2026-01-01'::DATE
SELECT 1::VARCHAR
SELECT [1,2]::VARCHAR[]
SELECT list_value(1, 2)
SELECT len([1, 2, 3])
SELECT array_length([1, 2])
SELECT cardinality([1, 2])
SELECT list_contains([1, 2], 2)
SELECT list_has([1], 1)
SELECT array_contains([1], 1)
SELECT list_distinct([1, 1, 2])
SELECT list_sort([3, 1, 2])
SELECT list_extract([1, 2], 2)
SELECT list_element([1, 2], 1)
SELECT array_extract([1, 2], 1)
SELECT list_slice([1, 2, 3], 2, 3)
SELECT array_slice([1, 2, 3], 1, 2)
SELECT flatten([[1], [2]])
SELECT struct_extract({'a': 1}, 'a')
SELECT [1, 2, 3][2]
SELECT [1, 2, 3][2:3]
SELECT {'a': 1}.a
SELECT 'abc' LIKE 'a%'
SELECT 'abc' ILIKE 'A%'
SELECT 'abc' GLOB 'a*'
SELECT 'abc' SIMILAR TO 'a.c'
SELECT 'abc' ~ 'b'
SELECT 'a%' LIKE 'a!%' ESCAPE '!'

SELECT count(*) FROM {data}
SELECT count(x) FROM {data}
SELECT count(DISTINCT x) FROM {data}
SELECT sum(x) FROM {data}
SELECT avg(x) FROM {data}
SELECT mean(x) FROM {data}
SELECT min(x) FROM {data}
SELECT max(x) FROM {data}
SELECT median(x) FROM {data}
SELECT mode(x) FROM {data}
SELECT quantile(x, 0.5) FROM {data}
SELECT quantile_cont(x, 0.25) FROM {data}
SELECT quantile_disc(x, 0.25) FROM {data}
SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM {data}
SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM {data}
SELECT approx_count_distinct(x) FROM {data}
SELECT stddev(x) FROM {data}
SELECT stddev_samp(x) FROM {data}
SELECT stddev_pop(x) FROM {data}
SELECT variance(x) FROM {data}
SELECT var_samp(x) FROM {data}
SELECT var_pop(x) FROM {data}
SELECT string_agg(s, ',') FROM {data}
SELECT string_agg(s, ',' ORDER BY s DESC) FROM {data}
SELECT group_concat(s, ',') FROM {data}
SELECT listagg(s, ',') FROM {data}
SELECT list(x) FROM {data}
SELECT array_agg(x ORDER BY x DESC) FROM {data}
SELECT histogram(s) FROM {data}
SELECT bool_and(x > 0) FROM {data}
SELECT bool_or(x > 2) FROM {data}
SELECT bit_and(x) FROM {data}
SELECT bit_or(x) FROM {data}
SELECT bit_xor(x) FROM {data}
SELECT arg_min(s, x) FROM {data}
SELECT argmin(s, x) FROM {data}
SELECT min_by(s, x) FROM {data}
SELECT arg_max(s, x) FROM {data}
SELECT argmax(s, x) FROM {data}
SELECT max_by(s, x) FROM {data}
SELECT any_value(x) FROM {data}
SELECT arbitrary(x) FROM {data}
SELECT first(x) FROM {data}
SELECT last(x) FROM {data}
SELECT count_if(x > 1) FROM {data}
SELECT countif(x > 1) FROM {data}
SELECT product(x) FROM {data}
SELECT fsum(x) FROM {data}
SELECT favg(x) FROM {data}
SELECT entropy(x) FROM {data}
SELECT kurtosis(x) FROM {data}
SELECT skewness(x) FROM {data}
SELECT mad(x) FROM {data}
SELECT corr(x, y) FROM {data}
SELECT covar_pop(x, y) FROM {data}
SELECT covar_samp(x, y) FROM {data}
SELECT regr_slope(y, x) FROM {data}
SELECT regr_intercept(y, x) FROM {data}
SELECT regr_r2(y, x) FROM {data}
SELECT regr_count(y, x) FROM {data}
SELECT regr_avgx(y, x) FROM {data}
SELECT regr_avgy(y, x) FROM {data}
SELECT regr_sxx(y, x) FROM {data}
SELECT regr_syy(y, x) FROM {data}
SELECT regr_sxy(y, x) FROM {data}
SELECT count(*) FILTER (WHERE x > 1) FROM {data}
SELECT sum(x) FILTER (WHERE x > 2) FROM {data}

SELECT row_number() OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT rank() OVER (ORDER BY s) FROM {data} ORDER BY x
SELECT dense_rank() OVER (ORDER BY s) FROM {data} ORDER BY x
SELECT ntile(2) OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT percent_rank() OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT cume_dist() OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT lag(x) OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT lag(x, 2, 0) OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT lead(x) OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT first_value(x) OVER (ORDER BY x DESC) FROM {data} ORDER BY x
SELECT last_value(x) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM {data} ORDER BY x
SELECT nth_value(x, 2) OVER (ORDER BY x) FROM {data} ORDER BY x
SELECT sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM {data} ORDER BY x
SELECT last_value(y IGNORE NULLS) OVER (ORDER BY x) FROM {data} ORDER BY x

SELECT INTERVAL 2 HOURS, INTERVAL '3' DAY, INTERVAL 1 YEAR, INTERVAL 2 WEEKS
SELECT extract(dow FROM DATE '2026-03-15'), extract(doy FROM DATE '2026-03-15'), date_part('isodow', DATE '2026-03-15')
SELECT s, count(*) FROM {data} GROUP BY ALL ORDER BY ALL
SELECT * FROM {data} QUALIFY row_number() OVER (PARTITION BY s ORDER BY x DESC) = 1 ORDER BY x
SELECT DISTINCT ON (s) s, x FROM {data} ORDER BY s, x DESC
SELECT * EXCLUDE (y) REPLACE (upper(s) AS s) FROM {data} ORDER BY x
SELECT unnest([1, 2, 3]) AS n
SELECT * FROM unnest([1, 2]) AS u(n)
WITH c(a, b) AS (VALUES (1, 2)) SELECT a + b FROM c
SELECT x FROM {data} WHERE x IN (SELECT x FROM {data} WHERE y > 3) ORDER BY x
SELECT x FROM {data} UNION ALL BY NAME SELECT x FROM {data} ORDER BY x
SELECT 'it''s', 'back\slash', '贵州', '' IS NULL
