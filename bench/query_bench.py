"""Query benchmark: SQL through ``POST /api/v1/query`` against DuckDB alone on the same data, in one run.

Targets (ratios measured in the same run, not absolute times)::

    1. TPC-H Q1 and Q6 over lineitem SF1 through POST /api/v1/query (a real server on loopback, HTTP,
       JSON answer) within 1.3x of DuckDB alone running the same SQL over the same Parquet files
       (the Delta table's current files, read with read_parquet, threads=2).
    2. A selective filter on a key (l_orderkey = K) over SF1 answers through the API in well under
       100 ms; the same filter written so that it cannot be pushed into the scan (CAST(l_orderkey AS VARCHAR) = 'K': no min/max can skip it)
       is timed beside it, and the engine's plan is printed: pushdown is why the first is fast.

The table is loaded once with ``datavalley ingest`` into ``bench/data/query_home`` (kept between runs,
reloaded if its row count is wrong), published as open data so anonymous callers may query it. The
server runs as its own process (``datavalley serve``). Each query runs once to warm up, then
``--repeat`` times, interleaved with its baseline; times are medians.

Run: ``make bench-query`` or ``.venv/bin/python -m bench.query_bench [--repeat N]``.
Results: printed as a table and written to ``bench/results/query.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx
from rich.console import Console
from rich.table import Table

from bench.ingest_bench import lineitem_csv

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOME = ROOT / "bench" / "data" / "query_home"
SF1_ROWS = 6_001_215
API_VS_DUCKDB_MAX = 1.3
SELECTIVE_MAX_MS = 100.0
THREADS = 2

Q1 = """
SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
       sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
       avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc,
       count(*) AS count_order
FROM {table}
WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL 90 DAY
GROUP BY l_returnflag, l_linestatus
ORDER BY l_returnflag, l_linestatus"""

Q6 = """
SELECT sum(l_extendedprice * l_discount) AS revenue
FROM {table}
WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24"""

KEY = 3_000_001
SELECTIVE = "SELECT * FROM {table} WHERE l_orderkey = " + str(KEY)
NO_PUSHDOWN = "SELECT * FROM {table} WHERE CAST(l_orderkey AS VARCHAR) = '" + str(KEY) + "'"
TABLE = "bench.tpch.lineitem"

console = Console()


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("DATAVALLEY_")}
    out["DATAVALLEY_HOME"] = str(HOME)
    out["DATAVALLEY_QUERY__THREADS"] = str(THREADS)
    return out


def dv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "datavalley"), *args], env=env(), capture_output=True, text=True)


def prepare(csv: Path) -> list[str]:
    """The loaded table's current Parquet files (loading it first if needed)."""
    shown = dv("table", "show", "bench/tpch/lineitem", "--json")
    if shown.returncode != 0 or json.loads(shown.stdout)["row_count"] != SF1_ROWS:
        console.print("loading lineitem SF1 into the benchmark home (once) …")
        subprocess.run(["rm", "-rf", str(HOME)], check=True)
        for cmd in (
            ["init"],
            ["org", "create", "bench"],
            [
                "dataset",
                "create",
                "bench/tpch",
                "--sharing",
                "unconditional",
                "--public",
                "--state",
                "published",
            ],
            ["ingest", str(csv), "--dataset", "bench/tpch", "--table", "lineitem", "--quiet"],
        ):
            done = dv(*cmd)
            if done.returncode != 0:
                raise SystemExit(f"datavalley {' '.join(cmd)} failed: {done.stderr or done.stdout}")
    from deltalake import DeltaTable

    detail = json.loads(dv("table", "show", "bench/tpch/lineitem", "--json").stdout)
    site = HOME / "sites" / detail["site"]  # the benchmark home holds this one table
    return [
        uri.removeprefix("file://")
        for uri in DeltaTable(str(next(site.rglob("_delta_log")).parent)).file_uris()
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "datavalley"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start")


def timed_api(client: httpx.Client, url: str, sql: str) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post(f"{url}/api/v1/query", json={"sql": sql})
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"query failed ({response.status_code}): {response.text}")
    return elapsed, response.json()


def timed_duckdb(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, list]:
    started = time.perf_counter()
    rows = con.sql(sql).fetchall()
    return time.perf_counter() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per query (default 5)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    files = prepare(lineitem_csv(ROOT / "bench" / "data", 1))
    con = duckdb.connect(config={"threads": THREADS})
    con.execute(f"CREATE VIEW lineitem AS SELECT * FROM read_parquet({files!r})")
    proc, url = start_server()
    results: dict[str, dict] = {}
    try:
        with httpx.Client(timeout=300) as client:
            cases = [
                ("Q1", Q1),
                ("Q6", Q6),
                ("selective key", SELECTIVE),
                ("same filter, not pushable", NO_PUSHDOWN),
            ]
            for name, template in cases:
                api_sql, duck_sql = template.format(table=TABLE), template.format(table="lineitem")
                _, api_answer = timed_api(client, url, api_sql)  # warm-up, and the answers must agree
                _, duck_answer = timed_duckdb(con, duck_sql)
                if len(api_answer["rows"]) != len(duck_answer):
                    raise SystemExit(
                        f"{name}: the API returned {len(api_answer['rows'])} rows, DuckDB {len(duck_answer)}"
                    )
                api_times, duck_times = [], []
                for _ in range(args.repeat):
                    api_times.append(timed_api(client, url, api_sql)[0])
                    duck_times.append(timed_duckdb(con, duck_sql)[0])
                results[name] = {
                    "api_s": statistics.median(api_times),
                    "duckdb_s": statistics.median(duck_times),
                    "ratio": statistics.median(a / d for a, d in zip(api_times, duck_times, strict=True)),
                    "rows": len(duck_answer),
                    "api_runs": api_times,
                    "duckdb_runs": duck_times,
                }
            explain = client.post(
                f"{url}/api/v1/query", json={"sql": "EXPLAIN " + SELECTIVE.format(table=TABLE)}
            ).json()
            plan = "\n".join(str(v) for row in explain["rows"] for v in row)
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    table = Table(
        title=f"Query benchmark (lineitem SF1, {args.repeat} runs each, medians, load {os.getloadavg()[0]:.2f})"
    )
    for col in ("query", "API s", "DuckDB alone s", "ratio", "rows", "target", "pass"):
        table.add_column(col)
    missed = False
    for name, r in results.items():
        target, ok = "", None
        if name in ("Q1", "Q6"):
            target, ok = f"≤ {API_VS_DUCKDB_MAX}x", r["ratio"] <= API_VS_DUCKDB_MAX
        elif name == "selective key":
            target, ok = f"< {SELECTIVE_MAX_MS:.0f} ms", r["api_s"] * 1000 < SELECTIVE_MAX_MS
        missed |= ok is False
        table.add_row(
            name,
            f"{r['api_s']:.3f}",
            f"{r['duckdb_s']:.3f}",
            f"{r['ratio']:.2f}x",
            str(r["rows"]),
            target,
            "" if ok is None else ("PASS" if ok else "FAIL"),
        )
    console.print(table)
    pushdown = results["same filter, not pushable"]["api_s"] / results["selective key"]["api_s"]
    console.print(
        f"pushdown: the pushable filter answers {pushdown:.0f}x faster than the same filter unpushed"
    )
    scan = [line for line in plan.splitlines() if "Filters" in line or "l_orderkey" in line]
    console.print("engine plan of the selective query (scan node):\n" + "\n".join(scan[:6]))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "query.json").write_text(
        json.dumps(
            {"results": results, "pushdown_speedup": pushdown, "plan": plan, "load": os.getloadavg()},
            indent=2,
        )
    )
    return 1 if (missed and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
