"""Excel workbooks (.xlsx): each non-empty sheet, or the one picked with ``--sheet``, becomes a table.

A sheet is streamed once with openpyxl (read-only mode, cached formula results) into a UTF-8 CSV in
the load's working folder, which DuckDB then scans. While streaming, the Excel type of every cell is
noted, so column types come from the cells rather than from guessing at text:

* a column with any cell typed as text in Excel is text: ``'00123`` stays ``00123``;
* whole numbers stay whole (``12``, never ``12.0``); whole and fractional numbers make a DOUBLE;
* dates become DATE, dates with a time of day TIMESTAMP; times of day are kept as text (``08:30:00``);
* error values (``#N/A``, ``#DIV/0!``) are empty: they are no data.

The header is the first non-empty row. Each line of the CSV is the sheet's row of the same number, so
"line 7" in a message is row 7 in Excel. Columns to the right of the header get names of their own.

Tables are named after the sheet when the workbook yields several, or when ``--sheet`` picks one;
a workbook with a single non-empty sheet is named after the file, like any other file.
"""

from __future__ import annotations

import csv
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from datavalley.errors import InvalidInput
from datavalley.ingest.sources import SourceFile

_INT64 = range(-(2**63), 2**63)
_EXACT_WHOLE = 2**53  # whole doubles below this print as integers without losing anything
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass(frozen=True)
class SheetFile(SourceFile):
    """One sheet, written out as CSV; ``table`` names its table, ``columns`` are (label, DuckDB type)."""

    table: str = ""
    columns: tuple[tuple[str, str], ...] = ()
    #: some cell holds a line break (DuckDB then reads the CSV on one thread)
    multiline: bool = False

    @property
    def stem(self) -> str:
        return self.table


def write_sheets(source: SourceFile, *, sheet: str | None, workdir: Path) -> list[SheetFile]:
    """Each non-empty sheet of the workbook (or only ``sheet``) as a CSV file in ``workdir``."""
    book = _open(source)
    try:
        sheets = list(book.worksheets)
        if sheet is not None:
            chosen = [ws for ws in sheets if ws.title == sheet]
            if not chosen:
                raise InvalidInput.for_field(
                    "sheet",
                    f"{source.name} has no sheet `{sheet}`; "
                    f"its sheets: {', '.join(ws.title for ws in sheets) or 'none'}",
                )
            sheets = chosen
        files = []
        for ws in sheets:
            target = workdir / f"sheet-{uuid.uuid4().hex[:8]}.csv"
            written = _write_csv(ws, target)
            if written is None:
                target.unlink(missing_ok=True)
                continue
            files.append((ws.title, target, *written))
    finally:
        book.close()
    if not files:
        if sheet is not None:
            raise InvalidInput.for_field("sheet", f"sheet `{sheet}` of {source.name} is empty")
        raise InvalidInput.for_field("source", f"{source.name} holds no data: every sheet is empty")
    by_sheet = sheet is not None or len(files) > 1
    return [
        SheetFile(
            path,
            f"{source.name} (sheet {title})",
            source.format,
            table=title if by_sheet else source.stem,
            columns=columns,
            multiline=multiline,
        )
        for title, path, columns, multiline in files
    ]


def _open(source: SourceFile) -> Any:
    with source.path.open("rb") as f:
        head = f.read(8)
    if not zipfile.is_zipfile(source.path):
        if head.startswith(_OLE_MAGIC):
            hint = (
                "it is an old Excel 97-2003 (.xls) or password-protected workbook; "
                "open it in Excel or LibreOffice and save it as .xlsx without a password"
            )
        elif b"\x00" not in head:
            hint = "it looks like text; if it is CSV, give it a .csv name"
        else:
            hint = "it is not a zip archive, as .xlsx files are"
        raise InvalidInput.for_field("source", f"{source.name} is not an Excel workbook (.xlsx): {hint}")
    from openpyxl import load_workbook  # only Excel files need it: kept off every command's start-up

    try:
        return load_workbook(source.path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InvalidInput.for_field(
            "source", f"{source.name} cannot be read as an Excel workbook (.xlsx): {exc}"
        ) from None
    except Exception as exc:  # openpyxl raises its own kinds for broken parts
        raise InvalidInput.for_field(
            "source",
            f"{source.name} cannot be read as an Excel workbook (.xlsx): {type(exc).__name__}: {exc}",
        ) from None


def _write_csv(ws: Any, target: Path) -> tuple[tuple[tuple[str, str], ...], bool] | None:
    """Stream one sheet into ``target`` (line n = row n): its columns and whether a cell spans lines,
    or None if the sheet is empty."""
    ws.reset_dimensions()  # some writers record wrong dimensions; read what is really there
    header: list[str] | None = None
    kinds: list[set[str]] = []
    multiline = False
    with target.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        for row in ws.iter_rows():
            cells = [_cell(c) for c in row]
            while cells and cells[-1] is None:
                cells.pop()
            if header is None or not cells:
                f.write("\n")  # the header row and empty rows: a blank line, which DuckDB skips
                if header is None and cells:
                    header = [c[0] if c else "" for c in cells]
                continue
            fields = [c[0] if c else "" for c in cells]
            multiline = multiline or any("\n" in v or "\r" in v for v in fields)
            out.writerow(fields)
            if len(cells) > len(kinds):
                kinds.extend(set() for _ in range(len(cells) - len(kinds)))
            for i, c in enumerate(cells):
                if c:
                    kinds[i].add(c[1])
    if header is None:
        return None
    width = max(len(header), len(kinds))
    kinds.extend(set() for _ in range(width - len(kinds)))
    labels = _labels(header + [""] * (width - len(header)))
    columns = tuple((label, _column_type(k)) for label, k in zip(labels, kinds, strict=True))
    return columns, multiline


def _cell(cell: Any) -> tuple[str, str] | None:
    """A cell as (CSV text, kind), or None when it holds no data."""
    v = cell.value
    if v is None or cell.data_type == "e":
        return None
    if isinstance(v, bool):
        return ("TRUE" if v else "FALSE"), "bool"
    if isinstance(v, int):
        return str(v), "int" if v in _INT64 else "text"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < _EXACT_WHOLE:
            return str(int(v)), "int"
        return repr(v), "float"
    if isinstance(v, datetime):
        from openpyxl.styles.numbers import is_datetime

        if v.time() == time(0) and is_datetime(cell.number_format) != "datetime":
            return v.date().isoformat(), "date"
        return v.isoformat(sep=" "), "timestamp"
    if isinstance(v, date):
        return v.isoformat(), "date"
    if isinstance(v, time):
        return v.isoformat(), "text"
    if isinstance(v, timedelta):
        return str(v), "text"
    text = str(v)
    return (text, "text") if text else None


def _column_type(kinds: set[str]) -> str:
    if not kinds:
        return "VARCHAR"
    if kinds == {"int"}:
        return "BIGINT"
    if kinds <= {"int", "float"}:
        return "DOUBLE"
    if kinds == {"bool"}:
        return "BOOLEAN"
    if kinds == {"date"}:
        return "DATE"
    if kinds <= {"date", "timestamp"}:
        return "TIMESTAMP"
    return "VARCHAR"


def _labels(header: list[str]) -> list[str]:
    """Non-empty, distinct labels (DuckDB names columns case-insensitively)."""
    out: list[str] = []
    taken: set[str] = set()
    for i, raw in enumerate(header, start=1):
        base = raw.strip() or f"column_{i}"
        label, n = base, 1
        while label.lower() in taken:
            n += 1
            label = f"{base}_{n}"
        taken.add(label.lower())
        out.append(label)
    return out
