"""Reading rows: every filter, type errors, sort, keyset pages to the end, pinned versions, formats."""

from __future__ import annotations

import base64
import io
import json
import random
from datetime import date, datetime

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from datavalley.catalog.tables import TableLocation
from datavalley.errors import InvalidInput, NotFound
from datavalley.query import formats, rows
from datavalley.query.rows import read_rows, stream_rows
from tests.query.tables import PEOPLE_CSV, csv_text, load_table


@pytest.fixture
def people(runtime, tmp_path):
    return load_table(runtime, tmp_path, "people", PEOPLE_CSV)


def ids(page) -> list[int]:
    return [r["id"] for r in page.rows]


def every_row(location, *, limit, **options) -> list[dict]:
    """Follow ``next`` from the first page to the last."""
    out, after, pages = [], None, 0
    while True:
        page = read_rows(location, limit=limit, after=after, **options)
        out += page.rows
        pages += 1
        assert len(page.rows) <= limit and pages < 100_000
        if page.next is None:
            return out
        after = page.next


def test_page_shape_types_and_limits(people):
    page = read_rows(people, sort=["id"])
    assert [(c.name, c.type) for c in page.columns] == [
        ("id", "int64"),
        ("name", "string"),
        ("city", "string"),
        ("score", "double"),
        ("born", "date32[day]"),
        ("active", "bool"),
        ("code", "string"),
        ("seen", "timestamp[us]"),
    ]
    assert page.count == 6 and page.next is None and page.version == 0
    assert page.rows[0] == {
        "id": 1,
        "name": "张三",
        "city": "贵阳",
        "score": 88.5,
        "born": "1990-01-02",
        "active": True,
        "code": "007",
        "seen": "2024-01-02T10:00:00.000000",
    }
    assert page.rows[3]["score"] is None and page.rows[3]["seen"] is None
    assert isinstance(page.rows[1]["score"], float)  # 92.0 stays a float
    cities = read_rows(people, sort=["id"], columns=["id", "city"])
    assert cities.rows[2] == {"id": 3, "city": ""}  # empty text is not a missing value
    assert cities.rows[3] == {"id": 4, "city": None}
    with pytest.raises(InvalidInput):
        read_rows(people, limit=0)
    with pytest.raises(InvalidInput):
        read_rows(people, limit=rows.MAX_PAGE_ROWS + 1)
    with pytest.raises(InvalidInput, match="more than once"):
        read_rows(people, columns=["id", "id"])


FILTER_CASES = [  # filters → ids of the rows they keep
    ([("city", "贵阳")], [1]),
    ([("city", "")], [3]),
    ([("city__eq", "遵义")], [2]),
    ([("city__ne", "贵阳")], [2, 3, 4, 5, 6]),  # a missing city is "not 贵阳" too
    ([("city__isnull", "true")], [4]),
    ([("city__isnull", "false")], [1, 2, 3, 5, 6]),
    ([("score__gt", "88.5")], [2, 5]),
    ([("score__gte", "88.5")], [1, 2, 5]),
    ([("score__lt", "70.25")], [6]),
    ([("score__lte", "70.25")], [3, 6]),
    ([("id__in", "1,3,5")], [1, 3, 5]),
    ([("code__in", "007,100")], [1, 4, 5]),
    ([("city__in", '贵阳,"say ""hi"""')], [1, 6]),
    ([("name__contains", "三")], [1]),
    ([("city__contains", 'say "hi"')], [6]),
    ([("name__startswith", "O'")], [6]),
    ([("name__gte", "O")], [1, 2, 3, 4, 6]),  # a string range filter pushed into the Arrow scan
    ([("name__lt", "张")], [5, 6]),
    ([("born__gte", "1990-01-01")], [1, 4, 5]),
    ([("seen__lt", "2024-01-02T10:00:01")], [1, 6]),
    ([("seen", "2024-01-03 11:30")], [2]),
    ([("active", "true")], [1, 3, 6]),
    ([("active", "0")], [2, 4]),
    ([("id", "+3")], [3]),
    ([("score__gte", "70"), ("active", "true")], [1, 3]),
    ([("id__gte", "2"), ("id__lte", "4")], [2, 3, 4]),
    ([("code", "7")], []),  # codes keep their leading zeros
]


def test_filters(people):
    for filters, expected in FILTER_CASES:
        page = read_rows(people, filters=filters, sort=["id"])
        assert (filters, ids(page), page.count) == (filters, expected, len(expected))


BAD_VALUES = [  # param, value → words the message must hold
    ("id", "abc", ["`id`", "whole numbers", "`abc`"]),
    ("id__gt", "1.5", ["`id`", "`1.5`"]),
    ("id", "", ["`id`", "id__isnull=true"]),
    ("score", "ten", ["`score`", "numbers", "`ten`"]),
    ("born", "2024-13-01", ["`born`", "dates", "`2024-13-01`"]),
    ("active", "maybe", ["`active`", "true or false", "`maybe`"]),
    ("seen__gt", "yesterday", ["`seen`", "timestamps", "`yesterday`"]),
    ("id__in", "1,x", ["`id`", "`x`"]),
    ("score__contains", "1", ["works on text", "`score`"]),
    ("city__isnull", "perhaps", ["`true` or `false`"]),
    ("name__like", "x", ["unknown filter `__like`", "__startswith"]),
]


def test_bad_filter_values_name_column_and_value(people):
    for param, value, words in BAD_VALUES:
        with pytest.raises(InvalidInput) as caught:
            read_rows(people, filters=[(param, value)])
        assert caught.value.status == 422
        assert caught.value.details[0].field == param
        assert [w for w in words if w not in caught.value.message] == [], caught.value.message


UNKNOWN_COLUMNS = [  # read options → field named in the error, the suggestion
    ({"filters": [("nmae", "x")]}, "nmae", "`name`"),
    ({"filters": [("scroe__gt", "1")]}, "scroe__gt", "`score`"),
    ({"filters": [("limt", "5")]}, "limt", "`limit`"),  # a misspelt parameter, not a column
    ({"sort": ["-scroe"]}, "sort", "`score`"),
    ({"columns": ["id", "naem"]}, "columns", "`name`"),
]


def test_unknown_column_suggests_the_closest(people):
    for options, field, suggestion in UNKNOWN_COLUMNS:
        with pytest.raises(InvalidInput) as caught:
            read_rows(people, **options)
        assert caught.value.details[0].field == field
        assert f"did you mean {suggestion}?" in caught.value.message
        assert "Its columns: id, name, city" in caught.value.message


SORTS = [  # sort → ids in order
    (["id"], [1, 2, 3, 4, 5, 6]),
    (["-id"], [6, 5, 4, 3, 2, 1]),
    (["-score", "name"], [5, 2, 1, 3, 6, 4]),  # nulls last; ties broken by name
    (["score", "-name"], [6, 3, 1, 2, 5, 4]),
    (["active", "-born"], [4, 2, 1, 6, 3, 5]),
    (["code", "-id"], [5, 1, 2, 4, 6, 3]),
]


def test_sort_multi_column(people):
    for sort, expected in SORTS:
        assert (sort, ids(read_rows(people, sort=sort))) == (sort, expected)
        # the same order a row or a few per page, through nulls and descending keys
        for limit in (2, 5):
            assert (sort, [r["id"] for r in every_row(people, sort=sort, limit=limit)]) == (sort, expected)


def test_page_through_25000_rows_each_once_in_order(runtime, tmp_path):
    numbers = list(range(25_000))
    random.Random(7).shuffle(numbers)
    text = csv_text(["n", "grp", "label"], ((n, n % 10, f"标签{n % 37}") for n in numbers))
    where = load_table(runtime, tmp_path, "big", text)
    got = every_row(where, sort=["grp", "-label"], limit=250)
    expected = sorted(numbers)
    expected.sort(key=lambda n: f"标签{n % 37}", reverse=True)
    expected.sort(key=lambda n: n % 10)
    assert [r["n"] for r in got] == expected
    first = read_rows(where, limit=100, filters=[("grp__in", "3,4")])
    assert first.count == 5_000
    assert len(every_row(where, limit=999, filters=[("grp__in", "3,4")])) == 5_000


def test_pages_never_lose_or_repeat_identical_rows(runtime, tmp_path):
    data = [(1, "x")] * 30 + [(2, None)] * 11 + [(1, "y")] * 5 + [(2, "x")] * 40 + [(None, None)] * 3
    random.Random(3).shuffle(data)
    where = load_table(runtime, tmp_path, "dups", csv_text(["a", "b"], data))

    def order(row):
        return (row[0] is None, row[0] or 0, row[1] is None, row[1] or "")

    expected = [{"a": a, "b": b} for a, b in sorted(data, key=order)]
    for limit in (7, 50):  # pages shorter than a run of identical rows, and longer
        assert every_row(where, limit=limit) == expected
    descending = every_row(where, limit=7, sort=["-a"])
    assert [r["a"] for r in descending] == [2] * 51 + [1] * 35 + [None] * 3
    assert sorted(map(str, descending)) == sorted(map(str, expected))


def test_cursor_pins_the_version_across_an_append(runtime, tmp_path):
    where = load_table(runtime, tmp_path, "people", PEOPLE_CSV)
    first = read_rows(where, sort=["id"], limit=2)
    assert ids(first) == [1, 2] and first.count == 6
    more = "id,name,city,score,born,active,code,seen\n0,新人,贵阳,1,2001-01-01,true,001,2024-05-01 00:00:00\n"
    load_table(runtime, tmp_path, "people", more, mode="append")
    later = read_rows(where, sort=["id"], limit=2, after=first.next)
    assert ids(later) == [3, 4] and later.count == 6 and later.version == 0
    rest = read_rows(where, sort=["id"], limit=10, after=later.next)
    assert ids(rest) == [5, 6] and rest.next is None
    fresh = read_rows(where, sort=["id"])
    assert fresh.version == 1 and fresh.count == 7 and ids(fresh)[0] == 0


def test_version_time_travel(runtime, tmp_path):
    where = load_table(runtime, tmp_path, "people", PEOPLE_CSV)
    header = PEOPLE_CSV.splitlines()[0]
    load_table(runtime, tmp_path, "people", f"{header}\n7,七,,,,,,\n", mode="append")
    old = read_rows(where, version=0, sort=["id"])
    assert old.version == 0 and old.count == 6 and ids(old) == [1, 2, 3, 4, 5, 6]
    assert read_rows(where, version=1).count == 7
    assert read_rows(where, version=1, filters=[("city__isnull", "true")]).count == 2
    with pytest.raises(NotFound, match="has no version 9; its versions are 0 to 1"):
        read_rows(where, version=9)
    page = read_rows(where, version=0, limit=2)
    with pytest.raises(InvalidInput, match="the cursor reads version 0"):
        read_rows(where, version=1, after=page.next)
    assert read_rows(where, version=0, after=page.next).version == 0


def test_cursors_only_continue_their_own_read(people):
    page = read_rows(people, limit=2)
    assert page.next
    raw = json.loads(base64.urlsafe_b64decode(page.next + "=" * (-len(page.next) % 4)))
    forged = [
        "nonsense",
        "!!!",
        "e30",  # {}
        _encode({**raw, "d": -1}),
        _encode({**raw, "k": raw["k"][:-1]}),
        _encode({**raw, "k": ["one", *raw["k"][1:]]}),
        _encode({**raw, "v": "0"}),
    ]
    for cursor in forged:
        with pytest.raises(InvalidInput) as caught:
            read_rows(people, limit=2, after=cursor)
        assert caught.value.details[0].field == "cursor", cursor
    assert read_rows(people, after="").count == 6  # empty means: from the start

    page = read_rows(people, limit=2, filters=[("active", "true")])
    with pytest.raises(InvalidInput, match="other filters or sort"):
        read_rows(people, limit=2, after=page.next)
    with pytest.raises(InvalidInput, match="other filters or sort"):
        read_rows(people, limit=2, after=page.next, filters=[("active", "true")], sort=["-id"])
    ok = read_rows(people, limit=2, after=page.next, filters=[("active", "true")], columns=["name"])
    assert [r["name"] for r in ok.rows] == ["O'Brien"]  # another projection is the same read


def _encode(body: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


SQL_IN_NAMES = [
    {"filters": [('"id" OR 1=1', "1")]},
    {"filters": [('id" = 1 OR "id', "1")]},
    {"sort": ["id;DROP TABLE data"]},
    {"sort": ['"id" OR 1=1']},
    {"columns": ['id", name FROM data; --']},
    {"columns": ["*"]},
]
SQL_IN_VALUES = [
    [("name", "' OR '1'='1")],
    [("name", '" OR 1=1 --')],
    [("name__in", "x') OR 1=1 --,y")],
    [("name__contains", "'; DROP TABLE data; --")],
    [("name__startswith", "%")],  # a literal prefix, not a LIKE pattern
]


def test_sql_in_names_is_refused_and_in_values_harmless(people):
    for options in SQL_IN_NAMES:
        with pytest.raises(InvalidInput, match="has no column"):
            read_rows(people, **options)
    for filters in SQL_IN_VALUES:
        page = read_rows(people, filters=filters)
        assert (filters, page.rows, page.count) == (filters, [], 0)
    assert read_rows(people).count == 6


def _all(stream) -> list:
    return list(stream)


def test_downloads_hold_the_same_rows_in_every_format(people):
    page = read_rows(people, sort=["id"])

    ndjson = b"".join(formats.ndjson_chunks(stream_rows(people, sort=["id"]))).decode()
    assert [json.loads(line) for line in ndjson.splitlines()] == page.rows

    text = b"".join(formats.csv_chunks(stream_rows(people, sort=["id"]))).decode("utf-8")
    assert text.splitlines()[0] == '"id","name","city","score","born","active","code","seen"'
    assert '3,"王五","",70.25,,true,,2024-02-01 08:00:00' in text  # "" is empty text, nothing is missing
    assert '4,"赵六",,,2000-12-31,false,"100",' in text
    stream = stream_rows(people, sort=["id"])
    schema = stream.schema
    stream.close()
    back = pcsv.read_csv(
        io.BytesIO(text.encode()),
        convert_options=pcsv.ConvertOptions(
            column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False
        ),
    )
    original = pa.Table.from_pylist(
        [
            {
                **r,
                "born": date.fromisoformat(r["born"]) if r["born"] else None,
                "seen": datetime.fromisoformat(r["seen"]) if r["seen"] else None,
            }
            for r in page.rows
        ],
        schema=schema,
    )
    assert back.to_pylist() == original.to_pylist()

    data = b"".join(formats.parquet_chunks(stream_rows(people, sort=["id"])))
    assert pq.read_table(io.BytesIO(data)).to_pylist() == original.to_pylist()

    stream = stream_rows(people, columns=["name", "score"], filters=[("score__gte", "88")], sort=["-score"])
    assert [c.name for c in stream.columns] == ["name", "score"]
    got = pa.Table.from_batches(_all(stream), stream.schema).to_pylist()
    assert got == [  # ties on score go by the other columns, left to right: id 2 before id 5
        {"name": "李四", "score": 92.0},
        {"name": "Alice", "score": 92.0},
        {"name": "张三", "score": 88.5},
    ]
    limited = stream_rows(people, sort=["id"], limit=2)
    assert pa.Table.from_batches(_all(limited), limited.schema).num_rows == 2


def test_parquet_download_is_written_row_group_by_row_group(runtime, tmp_path, monkeypatch):
    where = load_table(
        runtime, tmp_path, "wide", csv_text(["n", "v"], ((n, f"值{n}") for n in range(20_000)))
    )
    monkeypatch.setattr(rows, "BATCH_ROWS", 2_000)
    monkeypatch.setattr(formats, "PARQUET_ROW_GROUP", 5_000)
    chunks = list(formats.parquet_chunks(stream_rows(where)))
    assert len(chunks) >= 4  # bytes leave as each row group is done, not all at the end
    result = pq.ParquetFile(io.BytesIO(b"".join(chunks)))
    assert result.metadata.num_rows == 20_000 and result.metadata.num_row_groups >= 4
    assert sorted(result.read().column("n").to_pylist()) == list(range(20_000))
    assert DeltaTable(where.uri).version() == 0


def test_text_with_control_characters_is_valid_json(runtime, tmp_path):
    where = load_table(
        runtime, tmp_path, "notes", 'id,note\n1,"line one\nline two\ttab"\n2,"back\\\\slash"\n'
    )
    page = read_rows(where, sort=["id"])
    assert [r["note"] for r in page.rows] == ["line one\nline two\ttab", "back\\\\slash"]
    bell = load_table(runtime, tmp_path, "bell", "id,note\n1,\x07ring\n")
    assert read_rows(bell).rows == [{"id": 1, "note": "\x07ring"}]


def test_floats_decimals_and_utc_times_page_and_filter(runtime, tmp_path):
    text = csv_text(
        ["f", "amount", "at"],
        [
            ("nan", "1.50", "2024-01-02 10:00:00+08:00"),
            ("-0.0", "-0.25", "2024-01-02 01:00:00Z"),
            ("inf", "1.50", None),
            ("0.0", None, "2023-12-31 23:59:59.999999+00:00"),
            ("-inf", "1.50", "2024-01-02 10:00:00+08:00"),
            (None, "2.00", "2024-01-02 10:00:00+08:00"),
            ("2.5", "1.50", "2024-01-02 10:00:00+08:00"),
        ],
    )
    schema = {"f": "DOUBLE", "amount": "DECIMAL(10,2)", "at": "TIMESTAMPTZ"}
    where = load_table(runtime, tmp_path, "odd", text, schema=schema)
    page = read_rows(where, sort=["-f"])
    assert [c.type for c in page.columns] == ["double", "decimal128(10, 2)", "timestamp[us, tz=UTC]"]
    assert page.rows[0] == {"f": None, "amount": "1.50", "at": "2024-01-02T02:00:00.000000Z"}  # NaN first
    # NaN, inf, 2.5, then 0.0 and -0.0 tie (broken by amount), -inf, missing
    assert [r["amount"] for r in page.rows] == ["1.50", "1.50", "1.50", "-0.25", None, "1.50", "2.00"]
    for sort in ([], ["f"], ["-f"], ["amount", "-at"], ["-at", "f"]):
        assert (sort, every_row(where, sort=sort, limit=1)) == (sort, read_rows(where, sort=sort).rows)

    def count(param: str, value: str) -> int:
        return read_rows(where, filters=[(param, value)]).count

    assert count("f__lt", "0") == 1  # -inf; NaN is neither above nor below a number
    assert count("f__gte", "0") == 4  # -0.0, 0.0, 2.5, inf
    assert count("f__ne", "2.5") == 6
    assert count("amount", "1.5") == 4
    assert count("at__gte", "2024-01-02T02:00:00+08:00") == 5
    assert count("at", "2024-01-02T02:00:00") == 4  # a time without offset is UTC
    with pytest.raises(InvalidInput, match="`nan` is not one"):
        count("f", "nan")


def test_partitioned_delta_tables_read_right(tmp_path):
    uri = str(tmp_path / "parts")
    data = {
        "year": [2023, 2024, None, 2024],
        "county": ["青山 县", "x/y", "z", None],
        "v": [1.0, float("nan"), 2.0, 3.0],
    }
    write_deltalake(uri, pa.table(data), partition_by=["year", "county"])
    where = TableLocation("o", "d", "parts", "local", uri)
    assert ids_of(read_rows(where, filters=[("year", "2024")], sort=["v"])) == [3.0, None]
    assert read_rows(where, filters=[("county", "青山 县")]).rows == [
        {"year": 2023, "county": "青山 县", "v": 1.0}
    ]
    assert read_rows(where, filters=[("year__isnull", "true")]).rows[0]["county"] == "z"
    assert read_rows(where, filters=[("v__lte", "3")]).count == 3
    assert every_row(where, sort=["-v"], limit=1) == read_rows(where, sort=["-v"]).rows


def ids_of(page) -> list:
    return [r["v"] for r in page.rows]
