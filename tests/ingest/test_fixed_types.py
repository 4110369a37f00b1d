"""Fixed column types (the table appended to, ``--schema``) never round, cut or clamp a value.

DuckDB's own conversion would store ``2.5`` as 3 in an integer column, ``1.999`` as 2.00 in
``decimal(12,2)`` and drop the time of a timestamp loaded into a date: such a value stops the load
(naming it and the column), or is rejected with ``--on-error skip``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datavalley.errors import InvalidInput


def _refused(loader, path, value: str | None, column: str, **options) -> None:
    """The load fails naming the value (converted with a change), or the line (no such value)."""
    with pytest.raises(InvalidInput) as raised:
        loader.load(path, **options)
    message = raised.value.message
    if value is None:
        assert f"{path.name} line 2: column `{column}` must be" in message
    else:
        assert f"`{value}` does not fit column `{column}`" in message and path.name in message
    assert "--on-error skip" in message


@pytest.mark.parametrize(
    ("first", "second", "value", "column"),
    [
        ("id\n1\n", "id\n2.5\n", "2.5", "id"),  # rounded
        ("id\n1\n", "id\n1e3\n", "1e3", "id"),  # an exponent: not how the column writes numbers
        ("id\n1\n", "id\n99999999999999999999\n", None, "id"),  # out of range: named by its line
        ("id\n1\n", "id\nabc\n", None, "id"),  # no number at all: the same
        ("day\n2024-01-01\n", "day\n2024-01-02 12:34:56\n", "2024-01-02 12:34:56", "day"),  # time cut off
    ],
)
def test_an_append_that_would_change_a_value_is_refused_and_the_table_kept(
    loader, first, second, value, column
):
    loader.load(loader.write("t.csv", first))
    _refused(loader, loader.write("u.csv", second), value, column, table="t", mode="append")
    assert loader.detail("t").version == 0


def test_values_a_fixed_type_holds_as_they_are_load(loader):
    loader.load(loader.write("t.csv", "id,day\n1,2024-01-01\n"))
    loader.load(
        loader.write("u.csv", "id,day\n+2,2024-01-02 00:00:00\n 3 ,2024-01-03\n4.00,\n"),
        table="t",
        mode="append",
    )
    assert sorted(loader.column("t", "id")) == [1, 2, 3, 4]
    assert loader.types("t") == {"id": "int64", "day": "date32[day]"}


def test_a_decimal_schema_keeps_its_scale_exactly(loader, tmp_path):
    schema = {"amount": "DECIMAL(12,2)"}
    loader.load(loader.write("t.csv", "amount\n12.30\n1.5\n-0.25\n7\n.5\n"), schema=schema)
    assert loader.column("t", "amount") == [Decimal(x) for x in ("12.30", "1.50", "-0.25", "7.00", "0.50")]
    _refused(loader, loader.write("u.csv", "amount\n12.345\n"), "12.345", "amount", schema=schema, table="u")
    _refused(loader, loader.write("v.csv", "amount\n1.999\n"), "1.999", "amount", table="t", mode="append")
    _refused(
        loader,
        loader.write("w.csv", "amount\n12345678901.5\n"),
        None,  # out of the type's range: DuckDB names the line
        "amount",
        table="t",
        mode="append",
    )


def test_skip_leaves_out_the_rows_that_would_change_and_says_why(loader):
    loader.load(loader.write("t.csv", "id,day\n1,2024-01-01\n"))
    result = loader.load(
        loader.write("u.csv", "id,day\n2,2024-01-02\n2.5,2024-01-03\n3,2024-01-04 08:00\n4,2024-01-05\n"),
        table="t",
        mode="append",
        on_error="skip",
    )
    assert (result.rows_written, result.rows_rejected) == (2, 2)
    assert sorted(loader.column("t", "id")) == [1, 2, 4]
    reasons = Path(result.rejects_file).read_text(encoding="utf-8")
    assert "`2.5` does not fit" in reasons and "`2024-01-04 08:00` does not fit" in reasons


def test_typed_formats_are_checked_too(loader):
    loader.load(loader.write("n.ndjson", '{"id": 1}\n'))
    _refused(loader, loader.write("m.ndjson", '{"id": 2.5}\n'), "2.5", "id", table="n", mode="append")
    loader.load(loader.write("m2.ndjson", '{"id": 2.0}\n'), table="n", mode="append")
    whole, half = loader.dir / "whole.parquet", loader.dir / "half.parquet"
    pq.write_table(pa.table({"id": [3.0, 4.0, 1e16]}), whole)  # 1e16: a whole double, whatever its text
    pq.write_table(pa.table({"id": [7.5]}), half)
    loader.load(whole, table="n", mode="append")
    _refused(loader, half, "7.5", "id", table="n", mode="append")
    assert sorted(loader.column("n", "id")) == [1, 2, 3, 4, 10**16]


def test_skip_counts_a_row_once_whatever_number_of_its_values_do_not_fit(loader):
    loader.load(loader.write("t.csv", "a,b\n1,2\n"))
    result = loader.load(
        loader.write("u.csv", "a,b\n1.5,2.5\n3,4\n"), table="t", mode="append", on_error="skip"
    )
    assert (result.rows_written, result.rows_rejected) == (1, 1)
    assert loader.detail("t").versions[0].rows_rejected == 1


def test_an_upsert_refuses_rows_without_a_key(loader):
    loader.load(loader.write("t.csv", "id,v\n1,a\n"))
    with pytest.raises(InvalidInput, match=r"1 row\(s\) of the file have no value in key column\(s\) `id`"):
        loader.load(loader.write("u.csv", "id,v\n,b\n2,c\n"), table="t", mode="upsert", key=["id"])
    assert loader.detail("t").version == 0


def test_a_short_row_is_one_reject_not_one_per_missing_column(loader):
    result = loader.load(loader.write("t.csv", "id,name,city\n1,a,x\n2\n3,c,z\n"), on_error="skip")
    assert (result.rows_written, result.rows_rejected) == (2, 1)
