"""CSV ingest: types that never lose data, encodings, bad input, atomic versions, load modes."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from datavalley.errors import Conflict, InvalidInput, NotFound
from datavalley.ingest.load import IngestRequest, ingest

SAMPLE_ROWS = 25_000  # more than DuckDB's 20,480-row sniffing sample: the tricky value comes after it


def test_first_load_creates_a_table_with_inferred_types(loader):
    path = loader.write(
        "counties.csv",
        "county,code,population,income,surveyed,updated,active\n"
        "青山县,0012,120000,10234.5,2024-01-31,2024-02-01 08:30:00,true\n"
        "云岭县,0013,98000,9876.25,2024-02-29,2024-03-01 09:00:00,false\n",
    )
    result = loader.load(path)
    assert (result.table, result.version, result.mode, result.rows_written) == (
        "stats/people/counties",
        0,
        "create",
        2,
    )
    assert loader.types("counties") == {
        "county": "string",
        "code": "string",  # leading zeros: text
        "population": "int64",
        "income": "double",
        "surveyed": "date32[day]",
        "updated": "timestamp[us]",
        "active": "bool",
    }
    assert loader.column("counties", "code") == ["0012", "0013"]


def test_id_numbers_stay_exact_even_when_an_x_comes_late(loader):
    ids = [str(110101199001010000 + i) for i in range(SAMPLE_ROWS)] + [
        "52010119900101123X",
        "000001199001011234",
    ]
    path = loader.write("ids.csv", "id_number,n\n" + "".join(f"{v},{i}\n" for i, v in enumerate(ids)))
    loader.load(path)
    assert loader.types("ids")["id_number"] == "string"
    assert loader.column("ids", "id_number") == ids


def test_leading_zero_after_the_sample_keeps_the_column_text(loader):
    codes = [str(i + 1) for i in range(SAMPLE_ROWS)] + ["007"]
    loader.load(loader.write("codes.csv", "code\n" + "\n".join(codes) + "\n"))
    assert loader.types("codes")["code"] == "string"
    assert loader.column("codes", "code")[-1] == "007"


def test_a_late_decimal_widens_an_integer_column_without_rounding(loader):
    values = [str(i) for i in range(SAMPLE_ROWS)] + ["1.5"]
    loader.load(loader.write("vals.csv", "v\n" + "\n".join(values) + "\n"))
    assert loader.types("vals")["v"] == "double"
    assert loader.column("vals", "v")[-1] == 1.5


def test_a_late_word_widens_a_date_column_to_text(loader):
    values = ["2024-01-01"] * SAMPLE_ROWS + ["unknown"]
    loader.load(loader.write("dates.csv", "d\n" + "\n".join(values) + "\n"))
    assert loader.types("dates")["d"] == "string"
    assert loader.column("dates", "d")[-1] == "unknown"


def test_big_integers_stay_exact(loader):
    path = loader.write(
        "big.csv",
        "int64_edge,beyond_int64,beyond_decimal\n"
        "9223372036854775807,123456789012345678901234,1234567890123456789012345678901234567890123\n"
        "1,2,3\n",
    )
    loader.load(path)
    types = loader.types("big")
    assert types["int64_edge"] == "int64"
    assert loader.column("big", "int64_edge")[0] == 9223372036854775807
    assert str(loader.column("big", "beyond_int64")[0]) == "123456789012345678901234"
    assert [str(v) for v in loader.column("big", "beyond_decimal")] == [
        "1234567890123456789012345678901234567890123",
        "3",
    ]


def test_precise_decimals_are_not_squeezed_into_doubles(loader):
    loader.load(loader.write("precise.csv", "x\n0.12345678901234567890\n1.5\n"))
    assert loader.column("precise", "x")[0] in ("0.12345678901234567890",)


def test_empty_and_null_are_kept_apart(loader):
    loader.load(loader.write("blanks.csv", 'name,note\na,""\nb,\n'))
    assert loader.column("blanks", "note") == ["", None]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gbk", b""), ("gb18030", b""), ("utf-16", b"")],
)
def test_encodings_are_detected(loader, encoding, prefix):
    text = "县名,人口,备注\n青山县,120000,山区\n云岭县,98000,贫困县\n"
    path = loader.write(f"counties_{encoding}.csv", prefix + text.encode(encoding))
    result = loader.load(path, table="counties")
    detail = loader.detail("counties")
    assert [c.label for c in detail.columns] == ["县名", "人口", "备注"]
    assert [c.name for c in detail.columns] == ["xian_ming", "ren_kou", "bei_zhu"]
    assert loader.column("counties", "xian_ming") == ["青山县", "云岭县"]
    assert loader.column("counties", "ren_kou") == [120000, 98000]
    assert result.row_count == 2


def test_gbk_can_be_forced(loader):
    path = loader.write("gbk.csv", "名称\n贫困\n", encoding="gbk")
    loader.load(path, encoding="GBK")
    assert loader.column("gbk", "ming_cheng") == ["贫困"]


def test_a_forced_wrong_encoding_names_the_line(loader):
    path = loader.write("wrong.csv", "名称,代码\n贫困,1\n", encoding="gbk")
    with pytest.raises(InvalidInput, match="line") as info:
        loader.load(path, encoding="utf-8")
    assert "--encoding" in info.value.message
    with pytest.raises(NotFound):
        loader.detail("wrong")


def test_utf16_forced_on_a_file_without_a_byte_order_mark_is_a_clear_error(loader):
    path = loader.write("plain.csv", "id,name\n1,a\n")
    with pytest.raises(InvalidInput, match="cannot be read as utf-16") as info:
        loader.load(path, encoding="utf-16")
    assert "--encoding" in info.value.message
    with pytest.raises(NotFound):
        loader.detail("plain")


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
def test_delimiters_are_sniffed(loader, delimiter):
    path = loader.write(
        "d.tsv", delimiter.join(["a", "b", "c"]) + "\n" + delimiter.join(["1", "x,y", "3"]) + "\n"
    )
    loader.load(path, table="delims")
    assert loader.column("delims", "b") == ["x,y"]


def test_ragged_rows_fail_naming_the_line_and_load_nothing(loader):
    path = loader.write("ragged.csv", "a,b\n1,x\n2,y,extra\n3,z\n")
    with pytest.raises(InvalidInput, match=r"ragged\.csv line 3.*number of fields"):
        loader.load(path)
    with pytest.raises(NotFound):
        loader.detail("ragged")


def test_skip_mode_loads_the_rest_and_writes_rejects(loader):
    path = loader.write("ragged.csv", "a,b\n1,x\n2,y,extra\n3,z\n4\n")
    result = loader.load(path, on_error="skip")
    assert (result.rows_written, result.rows_rejected) == (2, 2)
    rejects = Path(result.rejects_file).read_text(encoding="utf-8")
    assert "2,y,extra" in rejects and "line" in rejects.splitlines()[0]
    assert loader.column("ragged", "a") == [1, 3]


def test_unterminated_quote_names_the_line(loader):
    path = loader.write("quote.csv", 'a,b\n1,x\n2,"y\n3,z\n')
    with pytest.raises(InvalidInput, match=r"quote\.csv line 3.*quote"):
        loader.load(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("binary.csv", bytes(range(256)) * 40, "binary"),
        ("empty.csv", b"", "empty"),
        ("missing.csv", None, "no such file"),
    ],
)
def test_unreadable_files(loader, name, content, message):
    path = loader.write(name, content) if content is not None else loader.dir / name
    with pytest.raises(InvalidInput, match=message):
        loader.load(path)


def test_unknown_dataset_is_not_found(loader):
    path = loader.write("x.csv", "a\n1\n")
    with pytest.raises(NotFound, match="stats/nope"):
        ingest(loader.rt, IngestRequest(source=str(path), dataset="stats/nope"))


def test_every_load_is_a_new_version_and_old_ones_stay_readable(loader):
    path = loader.write("t.csv", "id,v\n1,a\n2,b\n")
    loader.load(path)
    loader.load(loader.write("t2.csv", "id,v\n3,c\n"), table="t", mode="append")
    loader.load(loader.write("t3.csv", "id,v,w\n9,z,new\n"), table="t", mode="overwrite")
    detail = loader.detail("t")
    assert detail.version == 2 and detail.row_count == 1
    assert [(v.version, v.mode, v.rows_written, v.source) for v in detail.versions] == [
        (2, "overwrite", 1, "t3.csv"),
        (1, "append", 1, "t2.csv"),
        (0, "create", 2, "t.csv"),
    ]
    assert all(v.user for v in detail.versions)
    assert loader.detail("t", version=1).row_count == 3
    assert sorted(loader.data("t", version=1).column("v").to_pylist()) == ["a", "b", "c"]
    assert [c.name for c in detail.columns] == ["id", "v", "w"]


def test_create_refuses_an_existing_table(loader):
    path = loader.write("t.csv", "id\n1\n")
    loader.load(path)
    with pytest.raises(Conflict, match="already exists"):
        loader.load(path)
    assert loader.detail("t").version == 0


def test_append_with_a_changed_type_fails_naming_the_column_and_keeps_the_version(loader):
    loader.load(loader.write("t.csv", "id,amount\n1,10\n2,20\n"))
    with pytest.raises(InvalidInput, match=r"line 2.*amount"):
        loader.load(loader.write("t2.csv", "id,amount\n3,lots\n"), table="t", mode="append")
    detail = loader.detail("t")
    assert (detail.version, detail.row_count) == (0, 2)


def test_append_with_other_columns_fails(loader):
    loader.load(loader.write("t.csv", "id,amount\n1,10\n"))
    with pytest.raises(InvalidInput, match="`extra`"):
        loader.load(loader.write("t2.csv", "id,amount,extra\n3,1,x\n"), table="t", mode="append")


def test_append_keeps_text_codes_text(loader):
    loader.load(loader.write("t.csv", "code\n0012\n"))
    loader.load(loader.write("t2.csv", "code\n13\n"), table="t", mode="append")
    assert sorted(loader.column("t", "code")) == ["0012", "13"]


def test_upsert_updates_and_inserts_by_key(loader):
    loader.load(loader.write("t.csv", "id,v\n1,a\n2,b\n"))
    result = loader.load(loader.write("u.csv", "id,v\n2,B\n3,c\n"), table="t", mode="upsert", key=["id"])
    assert (result.rows_written, result.row_count) == (2, 3)
    rows = sorted(zip(loader.column("t", "id"), loader.column("t", "v"), strict=True))
    assert rows == [(1, "a"), (2, "B"), (3, "c")]


def test_upsert_key_problems(loader):
    loader.load(loader.write("t.csv", "id,v\n1,a\n"))
    with pytest.raises(InvalidInput, match="needs --key"):
        loader.load(loader.write("u.csv", "id,v\n1,b\n"), table="t", mode="upsert")
    with pytest.raises(InvalidInput, match="`nope` is not in the file"):
        loader.load(loader.write("u.csv", "id,v\n1,b\n"), table="t", mode="upsert", key=["nope"])
    with pytest.raises(InvalidInput, match="same key"):
        loader.load(loader.write("u.csv", "id,v\n1,b\n1,c\n"), table="t", mode="upsert", key=["id"])
    assert loader.detail("t").version == 0


def test_schema_fixes_types(loader):
    path = loader.write("t.csv", "zip,amount\n550001,10\n550002,20\n")
    loader.load(path, schema={"zip": "VARCHAR", "amount": "DECIMAL(10,2)"})
    assert loader.types("t") == {"zip": "string", "amount": "decimal128(10, 2)"}


def test_schema_naming_an_unknown_column_is_refused(loader):
    with pytest.raises(InvalidInput, match="`nope`"):
        loader.load(loader.write("t.csv", "a\n1\n"), schema={"nope": "VARCHAR"})


def test_gzip_and_zip(loader, tmp_path):
    import gzip
    import zipfile

    gz = tmp_path / "县.csv.gz"
    gz.write_bytes(gzip.compress(b"a,b\n1,x\n"))
    assert loader.load(gz).table == "stats/people/xian"
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("first.csv", "a\n1\n2\n")
        z.writestr("second.csv", "b\nx\n")
    results = ingest(loader.rt, IngestRequest(source=str(archive), dataset="stats/people"))
    assert sorted((r.table, r.row_count) for r in results) == [
        ("stats/people/first", 2),
        ("stats/people/second", 1),
    ]


def test_rollback_makes_an_old_version_current(loader):
    from datavalley.catalog.tables import rollback_table

    loader.load(loader.write("t.csv", "id\n1\n"))
    loader.load(loader.write("t2.csv", "id\n2\n3\n"), table="t", mode="overwrite")
    with loader.rt.session() as s:
        detail = rollback_table(s, loader.rt.settings, "stats", "people", "t", to_version=0)
    assert (detail.version, detail.row_count) == (2, 1)
    assert (detail.versions[0].mode, detail.versions[0].rows_written) == ("rollback", 1)
    with pytest.raises(InvalidInput), loader.rt.session() as s:
        rollback_table(s, loader.rt.settings, "stats", "people", "t", to_version=7)


def test_column_notes(loader):
    from datavalley.catalog.tables import ColumnUpdate, update_column

    loader.load(loader.write("t.csv", "身份证号码,phone\n52010119900101123X,13800000000\n"))
    with loader.rt.session() as s:
        update_column(
            s,
            loader.rt.settings,
            "stats",
            "people",
            "t",
            "shen_fen_zheng_hao_ma",
            ColumnUpdate(description="resident ID", tags=["id_number"]),
        )
        with pytest.raises(InvalidInput, match="unknown column tag"):
            update_column(
                s, loader.rt.settings, "stats", "people", "t", "phone", ColumnUpdate(tags=["secret"])
            )
        with pytest.raises(NotFound, match="no column `nope`"):
            update_column(s, loader.rt.settings, "stats", "people", "t", "nope", ColumnUpdate(tags=[]))
    column = loader.detail("t").columns[0]
    assert (column.label, column.description, column.tags) == ("身份证号码", "resident ID", ["id_number"])
    # notes survive an append
    loader.load(
        loader.write("t2.csv", "身份证号码,phone\n520101199001011234,13900000000\n"), table="t", mode="append"
    )
    assert loader.detail("t").columns[0].tags == ["id_number"]
