"""Tables for the rows tests, loaded with the real ingest."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from datavalley.catalog.tables import TableLocation, locate_table
from datavalley.errors import Conflict
from datavalley.ingest.load import IngestRequest, ingest
from datavalley.runtime import Runtime
from tests.factories import make_dataset, make_org

PEOPLE_CSV = '''id,name,city,score,born,active,code,seen
1,张三,贵阳,88.5,1990-01-02,true,007,2024-01-02 10:00:00
2,李四,遵义,92,1985-06-30,false,012,2024-01-03 11:30:00
3,王五,"",70.25,,true,,2024-02-01 08:00:00
4,赵六,,,2000-12-31,false,100,
5,Alice,Guiyang,92,1992-03-04,,007,2024-03-04 09:15:30
6,O'Brien,"say ""hi""",55,1970-01-01,true,x1,2024-01-01 00:00:00
'''


def load_table(
    rt: Runtime,
    tmp_path: Path,
    name: str,
    text: str,
    *,
    dataset: str = "stats/people",
    mode: str = "create",
    schema: dict[str, str] | None = None,
) -> TableLocation:
    """Load CSV text into table ``name`` of ``dataset``, creating the organization and dataset if needed."""
    org, ds = dataset.split("/")
    with rt.session() as session:
        with contextlib.suppress(Conflict):
            make_org(session, org)
        with contextlib.suppress(Conflict):
            make_dataset(session, dataset)
    path = tmp_path / f"{name}-{uuid.uuid4().hex[:8]}.csv"
    path.write_text(text, encoding="utf-8")
    request = IngestRequest(source=str(path), dataset=dataset, table=name, mode=mode, schema=schema or {})  # type: ignore[arg-type]
    ingest(rt, request)
    with rt.session() as session:
        return locate_table(session, rt.settings, org, ds, name)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text; ``None`` is written as an empty field (a missing value)."""
    lines = [",".join(header)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"
