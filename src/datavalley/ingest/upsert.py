"""Upserts written by DuckDB: the files an upsert touches are rewritten as one file, in one commit.

``deltalake``'s MERGE writes its files from DataFusion's view types (``string_view``,
``list<string_view>``) while every other load writes ``string``: a table whose history held an upsert
then mixed physical types for one column, and pyarrow has no comparison kernels for views, so every
text filter on it failed. So an upsert is written the way every flat load is (``ingest.staging``):

1. the typed, guarded scan is staged as a Parquet file by DuckDB (``COPY … RETURN_STATS``), and its
   keys are checked: each row has one, no key comes twice;
2. DuckDB finds the table's files holding a row whose key the input has (a semi join on the key);
3. those files' rows are written again as one new file (``staging.write_staged``), each row an input
   row matches with that input row's values, followed by the input rows that match none; with no
   file touched, the staged input itself is that file;
4. one Delta commit removes the touched files and adds the new one.

A row of the table matches an input row when every key column is equal (a null never matches), as in
``MERGE … ON t.k = s.k … WHEN MATCHED UPDATE SET * WHEN NOT MATCHED INSERT *``. The rows written,
as the history counts them, are the input's rows.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
from deltalake import CommitProperties, DeltaTable
from deltalake.transaction import RemoveAction

from datavalley.errors import InvalidInput
from datavalley.ingest import staging
from datavalley.ingest.readers import sql_ident, sql_string
from datavalley.ingest.types import duckdb_type_of_delta

#: reader features that leave a table's Parquet files readable as they are (types only, or the log)
PLAIN_READER_FEATURES = frozenset({"timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"})


def _files(paths: Sequence[Path | str]) -> str:
    return "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"


def check_keys(con: duckdb.DuckDBPyConnection, staged: Path, key: Sequence[str]) -> None:
    """Every input row has a value in each key column, and no key comes twice."""
    source = f"read_parquet({sql_string(str(staged))})"
    keys = ", ".join(sql_ident(k) for k in key)
    missing = " OR ".join(f"{sql_ident(k)} IS NULL" for k in key)
    empty = con.execute(f"SELECT count(*) FROM {source} WHERE {missing}").fetchone()[0]  # type: ignore[index]
    if empty:
        raise InvalidInput.for_field(
            "key",
            f"{empty} row(s) of the file have no value in key column(s) {', '.join(f'`{k}`' for k in key)}; "
            "an upsert matches rows by their key, so every row needs one",
        )
    dupes = con.execute(
        f"SELECT {keys}, count(*) FROM {source} GROUP BY ALL HAVING count(*) > 1 LIMIT 1"
    ).fetchall()
    if dupes:
        shown = ", ".join(f"{k} = {v}" for k, v in zip(key, dupes[0][:-1], strict=True))
        raise InvalidInput.for_field(
            "key",
            f"the file has {dupes[0][-1]} rows with the same key ({shown}); an upsert key must be unique",
        )


def table_files(table: DeltaTable, uri: str, name: str) -> dict[str, str]:
    """The version's data files, absolute path → the path its log entry names (to remove it by)."""
    protocol = table.protocol()
    unknown = set(protocol.reader_features or ()) - PLAIN_READER_FEATURES
    if table.metadata().partition_columns or unknown:
        raise InvalidInput.for_field(
            "mode",
            f"{name} is partitioned or uses Delta features ({', '.join(sorted(unknown)) or 'partitions'}) "
            "that an upsert cannot rewrite; load with --mode overwrite or append",
        )
    paths = table.get_add_actions(flatten=True).column("path").to_pylist()
    return {str(Path(uri) / urllib.parse.unquote(path)): path for path in paths}


def touched_files(
    con: duckdb.DuckDBPyConnection, files: Sequence[str], staged: Path, key: Sequence[str]
) -> list[str]:
    """The table files that hold a row whose key the staged input has."""
    if not files:
        return []
    on = " AND ".join(f"t.{sql_ident(k)} = s.{sql_ident(k)}" for k in key)
    rows = con.execute(
        f"SELECT DISTINCT t.filename FROM read_parquet({_files(files)}, filename = true, union_by_name = true) t "
        f"SEMI JOIN read_parquet({sql_string(str(staged))}) s ON {on}"
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def merged_select(columns: Sequence[str], touched: Sequence[str], staged: Path, key: Sequence[str]) -> str:
    """The new file's rows: the touched files' rows the input leaves alone, the rows it updates (each
    matching row takes the input row's values, as MERGE's ``UPDATE SET *``), and the rows it inserts."""
    on = " AND ".join(f"t.{sql_ident(k)} = s.{sql_ident(k)}" for k in key)
    target = f"read_parquet({_files(touched)}, union_by_name = true) t"
    source = f"read_parquet({sql_string(str(staged))}) s"

    def of(alias: str) -> str:
        return ", ".join(f"{alias}.{sql_ident(c)}" for c in columns)

    return (
        f"SELECT {of('t')} FROM {target} ANTI JOIN {source} ON {on} "
        f"UNION ALL SELECT {of('s')} FROM {target} JOIN {source} ON {on} "
        f"UNION ALL SELECT {of('s')} FROM {source} ANTI JOIN {target} ON {on}"
    )


def upsert_staged(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    uri: str,
    *,
    key: Sequence[str],
    folder: Path,
    row_group_rows: int,
    commit: Callable[[int], CommitProperties],
    name: str,
    on_progress: Callable[[float], None] | None = None,
    end_check: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Upsert the rows of ``sql`` into the table at ``uri`` on ``key``; (new version, rows written).

    ``commit`` makes the commit's properties from the number of rows written. ``end_check`` runs
    once the input is staged (the reader's rejects). DuckDB errors are raised as they are.
    """
    table = DeltaTable(uri)
    files = table_files(table, uri, name)
    staged = staging.write_staged(
        con, sql, folder / "input", row_group_rows=row_group_rows, on_progress=on_progress
    )
    if end_check is not None:
        end_check()
    if len(staged) != 1:  # write_staged writes one file (in the input's order)
        raise RuntimeError(f"staging wrote {len(staged)} files")
    source = staged[0].path
    check_keys(con, source, key)
    touched = touched_files(con, list(files), source, key)
    schema = table.schema()
    columns = [f.name for f in schema.fields]
    if touched:
        written = staging.write_staged(
            con,
            merged_select(columns, touched, source, key),
            folder / "merged",
            row_group_rows=row_group_rows,
        )
    else:
        written = staged
    types = {f.name: duckdb_type_of_delta(f.type) for f in schema.fields}
    now = int(time.time() * 1000)
    removes = [RemoveAction(path=files[f], data_change=True, deletion_timestamp=now) for f in touched]
    version = staging.commit_staged(
        uri,
        written,
        schema=schema,
        types=types,
        mode="append",
        commit=commit(staged[0].rows),
        name=name,
        removes=removes,
        table=table,
    )
    return version, staged[0].rows
