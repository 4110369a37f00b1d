"""Type guards: which text a guessed number type keeps, and which makes the column wider.

The first tests run the guards' SQL on single values (fast, no metadata store); the last one loads a
file whose odd values all come after DuckDB's sniffing sample, end to end.
"""

from __future__ import annotations

import math
import random
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from datavalley.ingest import guards
from datavalley.ingest.readers import SourceColumn

WIDEN = "widen"


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    guards.install(con)
    yield con
    con.close()


NEEDS_EXACT = "needs the exact test"


def _guard(con, value: str | None, kind: str, *, exact: bool = True):
    """The stored value, or ("widen", to) when the value does not fit the guessed type."""
    con.execute("CREATE OR REPLACE TEMP TABLE t AS SELECT CAST(? AS VARCHAR) AS a", [value])
    sql = guards.guarded_select([SourceColumn("a", kind)], ["a"], "t", exact=exact)
    try:
        return con.execute(sql).fetchall()[0][0]
    except duckdb.Error as exc:
        if not exact and guards.NEEDS_EXACT in str(exc):
            return NEEDS_EXACT
        found = guards.WIDEN.search(str(exc))
        assert found, str(exc)
        return (WIDEN, found.group(2))


def _guard_as_loads_do(con, value: str | None, kind: str):
    """Without the exact test first, and with it only when a value asks for it."""
    first = _guard(con, value, kind, exact=False)
    return (_guard(con, value, kind), True) if first == NEEDS_EXACT else (first, False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        ("-12", -12),
        ("0", 0),
        ("-0", 0),  # the same integer
        (" 7", 7),  # padding is not data
        ("7 ", 7),
        (None, None),
        ("9223372036854775807", 9223372036854775807),
        ("12345678901234567", 12345678901234567),
        ("+5", (WIDEN, "varchar")),  # a sign that would be dropped
        ("007", (WIDEN, "varchar")),  # a code with leading zeros
        ("-007", (WIDEN, "varchar")),
        (" 007", (WIDEN, "varchar")),
        ("0x1F", (WIDEN, "varchar")),  # DuckDB reads hexadecimal as a number
        ("1_000", (WIDEN, "varchar")),  # ... and digits with underscores
        ("2023_01", (WIDEN, "varchar")),
        ("52010119900101123X", (WIDEN, "varchar")),  # an ID number ending in X
        ("", (WIDEN, "varchar")),  # an empty string is not NULL
        ("1e3", (WIDEN, "double")),
        ("1.5", (WIDEN, "double")),  # DuckDB would round it to 2
        ("1.0", (WIDEN, "double")),
        ("NaN", (WIDEN, "double")),
        ("9223372036854775808", (WIDEN, "hugeint")),  # a bigger integer stays an integer
        ("123456789012345678901234", (WIDEN, "hugeint")),
        ("1" * 40, (WIDEN, "varchar")),  # beyond any integer type: text, never a rounded double
    ],
)
def test_integer_guard(con, text, expected):
    assert _guard(con, text, "BIGINT") == expected
    value, asked = _guard_as_loads_do(con, text, "BIGINT")
    assert value == expected
    # only a decimal whose digits must be compared with the double asks for the exact test
    assert asked == (text in ("1e3", "1.5", "1.0"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21168.23", 21168.23),
        ("0.04", 0.04),
        ("0.10", 0.1),  # trailing zeros: the same number
        ("17", 17.0),
        (".5", 0.5),
        ("5.", 5.0),
        ("1e3", 1000.0),
        ("1E-5", 1e-05),
        (" 1.5", 1.5),
        ("0.30000000000000004", 0.30000000000000004),  # 17 digits a double gives back exactly
        ("1.2345678901234568e+16", 1.2345678901234568e16),
        ("123456789012345", 123456789012345.0),  # 15 digits always fit
        ("5e-324", 5e-324),
        ("-inf", -math.inf),
        ("Infinity", math.inf),
        (None, None),
        ("0.12345678901234567", (WIDEN, "varchar")),  # 17 digits that a double does not keep
        ("0.12345678901234567890", (WIDEN, "varchar")),
        ("9007199254740993", (WIDEN, "varchar")),  # 2**53 + 1
        ("1e400", (WIDEN, "varchar")),  # overflow to infinity
        ("1e-400", (WIDEN, "varchar")),  # underflow to zero
        ("007.5", (WIDEN, "varchar")),
        ("00.5", (WIDEN, "varchar")),
        ("+1.5", (WIDEN, "varchar")),
        ("+inf", (WIDEN, "varchar")),
        ("1_000.5", (WIDEN, "varchar")),
        ("n/a", (WIDEN, "varchar")),
    ],
)
def test_double_guard(con, text, expected):
    assert _guard(con, text, "DOUBLE") == expected
    value, asked = _guard_as_loads_do(con, text, "DOUBLE")
    assert value == expected
    cheap = text is None or (
        len(text) <= 15 and text[0] not in " +." and text[-1] != "." and "e" not in text.lower()
    )
    decided_without = text in ("-inf", "Infinity", "1e400", "007.5", "00.5", "+1.5", "+inf", "1_000.5", "n/a")
    assert asked == (not cheap and not decided_without)


def test_double_guard_nan_and_negative_zero(con):
    assert math.isnan(_guard(con, "nan", "DOUBLE"))
    assert math.copysign(1, _guard(con, "-0", "DOUBLE")) == -1


def test_double_guard_keeps_exactly_the_values_a_double_gives_back(con):
    """Against Python's decimals: a value is kept iff its number is the double's, printed back."""
    rng = random.Random(7)
    values: list[str] = []
    for _ in range(3000):
        x = rng.uniform(-1, 1) * 10 ** rng.randint(-320, 308)
        values.append(rng.choice([repr(x), f"{x:.17g}", f"{x:.16g}", f"{x:.15g}", f"{x:.18g}", f"{x:e}"]))
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 22)))
        cut = rng.randint(1, len(digits))
        values.append((digits[:cut].lstrip("0") or "0") + "." + digits[cut:])
    con.register("vals", pa.table({"v": values}))
    kept = con.execute(
        "SELECT v, (strlen(v) <= 15 AND regexp_full_match(v, ?)) OR dv_double_exact(v, TRY_CAST(v AS DOUBLE)) "
        "FROM vals",
        [guards._PLAIN],
    ).fetchall()
    con.unregister("vals")

    def exact(text: str) -> bool:
        x = float(text)
        return math.isfinite(x) and Decimal(text) == Decimal(repr(x))

    wrong = [(v, ok) for v, ok in kept if ok != exact(v)]
    assert not wrong, wrong[:5]
    assert 0.2 < sum(ok for _, ok in kept) / len(kept) < 0.9  # both outcomes were tried


SAMPLE_ROWS = 25_000  # more than DuckDB's 20,480-row sniffing sample


def test_odd_values_after_the_sample_are_kept(loader):
    """Each column meets its odd value only after the sample; the load widens it or keeps it."""
    late = {
        "plus": "+5",
        "exponent": "1e3",
        "padded": " 7",
        "minus_zero": "-0",
        "big": "99999999999999999999",
        "precise": "0.12345678901234567",
        "repr": "0.30000000000000004",
        "inf": "inf",
        "overflow": "1e400",
    }
    floats = {"precise", "repr", "inf", "overflow"}
    header = ",".join(late)
    rows = [",".join(f"{i}.25" if c in floats else str(i + 1) for c in late) for i in range(SAMPLE_ROWS)]
    rows.append(",".join(late.values()))
    loader.load(loader.write("late.csv", header + "\n" + "\n".join(rows) + "\n"))
    assert loader.types("late") == {
        "plus": "string",
        "exponent": "double",
        "padded": "int64",
        "minus_zero": "int64",
        "big": "decimal128(38, 0)",
        "precise": "string",
        "repr": "double",
        "inf": "double",
        "overflow": "string",
    }
    last = {c: loader.column("late", c)[-1] for c in late}
    assert last["plus"] == "+5" and loader.column("late", "plus")[0] == "1"
    assert (last["exponent"], last["padded"], last["minus_zero"]) == (1000.0, 7, 0)
    assert str(last["big"]) == "99999999999999999999"
    assert last["precise"] == "0.12345678901234567" and last["overflow"] == "1e400"
    assert (last["repr"], last["inf"]) == (0.30000000000000004, math.inf)
