"""Audit benchmark: what recording a read costs, next to the read itself.

Measures, on the embedded store (SQLite) and, when reachable, PostgreSQL:

1. a bare rows read: one page (100 rows) of a 100,000-row table through ``query.rows.read_rows``
   with the caller's read plan, as the rows API does;
2. ``audit.record_read`` in its own unit of work (lock the chain's head, hash, insert, commit), as a
   read path records it after the read;
3. the same appends from 4 threads at once (throughput; the chain must stay intact).

The target: auditing never slows a read noticeably: (2) at most 10% of (1).

Run: ``.venv/bin/python -m bench.audit_bench [--reads N] [--appends N] [--pg URL]``.
Results: printed, and written to ``bench/results/audit.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from datavalley.access.audit import record_read, verify_chain
from datavalley.access.policy import AUTHORITY, Caller, plan_read
from datavalley.config import Settings
from datavalley.runtime import Runtime, open_runtime

CALLER = Caller(user="wang", roles={"health": "member"})
TABLE_ROWS = 100_000


def _load(rt: Runtime, home: Path) -> None:
    import contextlib

    from datavalley.catalog import service
    from datavalley.catalog.schemas import DatasetCreate, OrganizationCreate
    from datavalley.errors import Conflict
    from datavalley.ingest.load import IngestRequest, ingest

    with rt.session() as session:
        with contextlib.suppress(Conflict):
            service.create_organization(session, OrganizationCreate(name="stats"))
        with contextlib.suppress(Conflict):
            service.create_dataset(session, "stats", DatasetCreate(name="people", state="published"))
    csv = home / "people.csv"
    with csv.open("w", encoding="utf-8") as out:
        out.write("id,name,city,score\n")
        for i in range(TABLE_ROWS):
            out.write(f"{i},name{i},city{i % 97},{i % 100}\n")
    ingest(rt, IngestRequest(source=str(csv), dataset="stats/people", table="people"))  # type: ignore[call-arg]


def _timed(fn: Any, n: int) -> list[float]:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def _ms(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "n": len(ordered),
    }


def run_store(name: str, database_url: str | None, *, reads: int, appends: int) -> dict[str, Any]:
    from datavalley.query import rows

    home = Path(tempfile.mkdtemp(prefix="dv-audit-bench-"))
    rt = open_runtime(Settings(home=home, database_url=database_url or ""))
    rt.initialise()
    _load(rt, home)
    with rt.session() as session:
        plan = plan_read(session, rt.settings, AUTHORITY, "stats", "people", "people")

    def read() -> None:
        rows.read_rows(plan.location, limit=100, plan=plan, workdir=home / "tmp")

    def append() -> None:
        with rt.session() as session:
            record_read(
                session,
                caller=CALLER,
                path="rows",
                table_ref="stats/people/people",
                purpose="bench",
                rows=100,
            )

    read(), append()  # warm up
    read_times = _timed(read, reads)
    append_times = _timed(append, appends)
    threads, per_thread = 4, max(appends // 4, 1)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(per_thread):
                append()
        except BaseException as exc:  # reported in the results
            errors.append(exc)

    start = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    with rt.session() as session:
        report = verify_chain(session)
        verify_start = time.perf_counter()
        verify_chain(session)
        verify_s = time.perf_counter() - verify_start
    rt.close()
    result = {
        "store": name,
        "rows_read_page": _ms(read_times),
        "record_read": _ms(append_times),
        "overhead_pct": round(100 * statistics.median(append_times) / statistics.median(read_times), 1),
        "concurrent": {
            "threads": threads,
            "appends": threads * per_thread,
            "per_second": round(threads * per_thread / elapsed),
            "errors": [repr(e) for e in errors],
        },
        "chain_ok": report.ok,
        "entries": report.entries,
        "verify_entries_per_second": round(report.entries / verify_s) if verify_s else None,
    }
    return result


def _pg_url() -> str | None:
    """A fresh schema on the test PostgreSQL, if it answers."""
    try:
        import psycopg

        params = dict(host="127.0.0.1", port=5432, dbname="test", user="postgres", connect_timeout=3)
        schema = f"dvbench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D{schema}"
    except Exception:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument(
        "--pg", default=None, help="PostgreSQL URL (default: a new schema on the test server)"
    )
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    results = [run_store("sqlite", None, reads=args.reads, appends=args.appends)]
    pg = None if args.no_pg else (args.pg or _pg_url())
    if pg:
        results.append(run_store("postgresql", pg, reads=args.reads, appends=args.appends))
    out = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        "table_rows": TABLE_ROWS,
        "results": results,
    }
    for r in results:
        print(
            f"{r['store']:>10}: rows page {r['rows_read_page']['median_ms']} ms, "
            f"record_read {r['record_read']['median_ms']} ms (p95 {r['record_read']['p95_ms']}) "
            f"= {r['overhead_pct']}% of a read; {r['concurrent']['per_second']} appends/s from "
            f"{r['concurrent']['threads']} threads, chain ok: {r['chain_ok']}, "
            f"verify {r['verify_entries_per_second']} entries/s"
        )
    target = Path(__file__).parent / "results" / "audit.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
