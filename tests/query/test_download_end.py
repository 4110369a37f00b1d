"""A download that fails after its response has started ends clearly (``formats.ended``)."""

from __future__ import annotations

import json

import pytest

from datavalley.query.engine import QueryTimeout
from datavalley.query.formats import ended


def _cut_after_one_chunk():
    yield b'{"n":1}\n'
    raise QueryTimeout("the query ran longer than 0.3 s; filter or aggregate more")


def test_ndjson_ends_with_an_error_line_in_the_apis_error_shape():
    lines = b"".join(ended(_cut_after_one_chunk(), "ndjson")).decode().splitlines()
    assert lines[0] == '{"n":1}'
    error = json.loads(lines[-1])["error"]
    assert error["code"] == QueryTimeout.code and "longer than 0.3 s" in error["message"]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "arrow"])
def test_other_formats_end_the_transfer_cut(fmt):
    chunks = ended(_cut_after_one_chunk(), fmt)
    assert next(chunks) == b'{"n":1}\n'
    with pytest.raises(QueryTimeout):
        next(chunks)
