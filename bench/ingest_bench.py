"""Ingest benchmark: ``datavalley ingest`` against DuckDB and sqlite-utils, side by side in one run.

Targets (ratios measured in the same run, not absolute times)::

    1. TPC-H lineitem SF1 CSV: `datavalley ingest` (whole CLI process) within 1.5x of DuckDB alone
       converting the same CSV to Parquet (fresh python process, threads=2).
    2. 1,000,000-row slice of that file: `datavalley ingest` at least 50x faster than
       `sqlite-utils insert DB lineitem slice.csv --csv`.
    3. Peak RSS of the ingest process for SF1 under 1.5 GiB.
    4. Peak RSS bounded whatever the file size: SF5 (5x the data) must not take 5x the SF1 peak.

Every measured command runs as its own child process, timed end to end (wall clock, Python start-up
included) and reaped with ``os.wait4``, whose rusage is that one child's own peak RSS (``ru_maxrss``).
Its CPU time (user + system, all threads) is kept too: unlike wall time it barely moves when the
machine is shared. Every ``datavalley`` measurement gets a fresh, empty ``DATAVALLEY_HOME``. Input
files are read once before measuring so that every command sees them in the page cache. With
``--repeat N`` the contenders run interleaved (a, b, a, b ...); times shown are medians, and a ratio
is the median over repeats of run i against the baseline's run i.

Run: ``make bench`` or ``.venv/bin/python -m bench.ingest_bench [--skip-big] [--repeat N]``.
Results: printed as a table and written to ``bench/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin folder (sys.executable is not resolved on purpose)
SLICE_ROWS = 1_000_000
WARM_UP_ROWS = 10_000  # the untimed first run of each contender (see warm_up)
SF1_CSV_BYTES = 765_864_690  # lineitem.csv at scale factor 1, for the generation progress bar
MIB = 1024 * 1024

# targets
INGEST_VS_DUCKDB_MAX = 1.5
SQLITE_UTILS_SPEEDUP_MIN = 50.0
SF1_PEAK_RSS_MAX_MIB = 1536.0  # 1.5 GiB
BIG_RSS_RATIO_MAX = 5.0

DUCKDB_PARQUET = """
import sys
import duckdb

csv, out = sys.argv[1], sys.argv[2]
con = duckdb.connect(config={"threads": 2})
con.execute("COPY (SELECT * FROM read_csv(?)) TO '" + out.replace("'", "''") + "' (FORMAT parquet)", [csv])
con.close()
"""

console = Console(width=None if sys.stdout.isatty() else 150)


# --- running one measured process ---------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float
    rows: int | None
    returncode: int
    cpu_seconds: float = 0.0  # user + system time of the child (all its threads)
    load_average: float | None = None  # 1-minute load average when the run started (shared machine?)
    detail: dict = field(default_factory=dict)


def measure(cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run ``cmd`` as a child process: wall seconds and that child's own peak RSS (from ``wait4``)."""
    load = load_average()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    # Linux reports ru_maxrss in KiB, macOS in bytes
    rss = usage.ru_maxrss / MIB if sys.platform == "darwin" else usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    run = Run(round(seconds, 3), round(rss, 1), None, proc.returncode, round(cpu, 3), load and load[0])
    if proc.returncode != 0:
        run.detail["stderr"] = stderr[-4000:]
        run.detail["stdout"] = stdout[-2000:]
    else:
        run.detail["stdout"] = stdout
    return run


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any DATAVALLEY_* setting (so the embedded store is used), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATAVALLEY_")}
    env.update(extra)
    return env


def tool(name: str) -> str:
    """An executable from this venv, else from PATH."""
    local = BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"`{name}` is not installed; run `make bench` (installs the `bench` extra)")
    return found


# --- the contenders -----------------------------------------------------------------------------


def run_duckdb_parquet(csv: Path, work: Path) -> Run:
    with tempfile.TemporaryDirectory(dir=work, prefix="duckdb-") as tmp:
        out = Path(tmp) / "lineitem.parquet"
        run = measure([sys.executable, "-c", DUCKDB_PARQUET, str(csv), str(out)], env=clean_env())
        if run.returncode == 0:
            import pyarrow.parquet as pq

            run.rows = pq.read_metadata(out).num_rows
            run.detail["output_bytes"] = out.stat().st_size
        run.detail.pop("stdout", None)
        return run


def run_datavalley_ingest(csv: Path, work: Path) -> Run:
    with tempfile.TemporaryDirectory(dir=work, prefix="datavalley-") as tmp:
        home = Path(tmp) / "home"
        env = clean_env(DATAVALLEY_HOME=str(home))
        cli = tool("datavalley")
        for setup in (["init"], ["org", "create", "bench"], ["dataset", "create", "bench/tpch"]):
            subprocess.run([cli, *setup], env=env, check=True, capture_output=True)
        run = measure(
            [cli, "ingest", str(csv), "--dataset", "bench/tpch", "--table", "lineitem", "--quiet", "--json"],
            env=env,
        )
        if run.returncode == 0:
            result = json.loads(run.detail.pop("stdout"))[0]
            run.rows = int(result["rows_written"])
            run.detail["row_count"] = int(result["row_count"])
            run.detail["ingest_seconds"] = float(result["seconds"])  # the load itself, as ingest() saw it
            run.detail["outside_ingest_seconds"] = round(run.seconds - float(result["seconds"]), 3)
            run.detail["output_bytes"] = sum(f.stat().st_size for f in home.rglob("*.parquet"))
        return run


def run_sqlite_utils(csv: Path, work: Path) -> Run:
    with tempfile.TemporaryDirectory(dir=work, prefix="sqlite-utils-") as tmp:
        db = Path(tmp) / "bench.db"
        run = measure(
            [tool("sqlite-utils"), "insert", str(db), "lineitem", str(csv), "--csv"], env=clean_env()
        )
        if run.returncode == 0:
            with sqlite3.connect(db) as con:
                run.rows = con.execute("SELECT count(*) FROM lineitem").fetchone()[0]
            run.detail["output_bytes"] = db.stat().st_size
        run.detail.pop("stdout", None)
        return run


CONTENDERS = {
    "duckdb": ("duckdb CSV→Parquet", run_duckdb_parquet),
    "datavalley": ("datavalley ingest", run_datavalley_ingest),
    "sqlite-utils": ("sqlite-utils insert", run_sqlite_utils),
}


# --- data ---------------------------------------------------------------------------------------


def lineitem_csv(data_dir: Path, scale: int | float) -> Path:
    """``DATA/sf{scale}/lineitem.csv``, generated with tpchgen-cli if missing."""
    label = f"{scale:g}"
    path = data_dir / f"sf{label}" / "lineitem.csv"
    legacy = data_dir / "lineitem.csv"  # where an SF1 file was put by hand before this script existed
    if not path.exists() and scale == 1 and legacy.exists() and legacy.stat().st_size == SF1_CSV_BYTES:
        return legacy
    if path.exists():
        return path
    partial = data_dir / f"sf{label}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    target = partial / "lineitem.csv"
    cmd = [tool("tpchgen-cli"), "csv", "-s", label, "--tables=lineitem", f"--output-dir={partial}"]
    expected = int(SF1_CSV_BYTES * float(scale))
    with _bytes_progress() as progress:
        task = progress.add_task(f"generating lineitem SF{label} (tpchgen-cli)", total=expected)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while proc.poll() is None:
            progress.update(task, completed=target.stat().st_size if target.exists() else 0)
            time.sleep(0.2)
        stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.returncode != 0 or not target.exists():
            raise SystemExit(f"tpchgen-cli failed ({proc.returncode}): {stderr.strip()}")
        size = target.stat().st_size
        progress.update(task, total=size, completed=size)
    path.parent.mkdir(parents=True, exist_ok=True)
    target.replace(path)
    shutil.rmtree(partial, ignore_errors=True)
    return path


def head_slice(source: Path, rows: int) -> Path:
    """The header and the first ``rows`` data lines of ``source``, beside it."""
    path = source.parent / f"{source.stem}-{rows}.csv"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    status = console.status(f"writing the {rows:,}-row slice of {source.name}")
    with status, source.open("rb") as src, partial.open("wb") as out:
        for i, line in enumerate(src):
            if i > rows:
                break
            out.write(line)
    partial.replace(path)
    return path


def warm(path: Path) -> int:
    """Read the file once (into the page cache, so every contender starts equal); its data row count."""
    lines = 0
    last = b"\n"
    with _bytes_progress() as progress, path.open("rb") as f:
        task = progress.add_task(
            f"reading {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}",
            total=path.stat().st_size,
        )
        while chunk := f.read(1 << 24):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            progress.advance(task, len(chunk))
    if last != b"\n":
        lines += 1
    return lines - 1  # minus the header


def _bytes_progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


# --- the benchmark ------------------------------------------------------------------------------


@dataclass
class Measurement:
    key: str
    name: str
    contender: str
    input: str
    input_rows: int
    input_bytes: int
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.returncode == 0 and r.rows == self.input_rows for r in self.runs)

    @property
    def seconds(self) -> float | None:
        return round(statistics.median(r.seconds for r in self.runs), 3) if self.ok else None

    @property
    def cpu_seconds(self) -> float | None:
        return round(statistics.median(r.cpu_seconds for r in self.runs), 3) if self.ok else None

    @property
    def peak_rss_mib(self) -> float | None:
        return max(r.peak_rss_mib for r in self.runs) if self.ok else None

    @property
    def rows(self) -> int | None:
        return self.runs[-1].rows if self.runs else None


def paired_ratio(a: Measurement | None, b: Measurement | None) -> float | None:
    """Median over repeats of a.seconds / b.seconds, run i against run i (they ran next to each other)."""
    if a is None or b is None or not a.ok or not b.ok:
        return None
    ratios = [x.seconds / y.seconds for x, y in zip(a.runs, b.runs, strict=True) if y.seconds]
    return round(statistics.median(ratios), 3) if ratios else None


@dataclass
class Target:
    key: str
    description: str
    measurement: str
    baseline: str | None
    value: float | None
    unit: str
    limit: str
    passed: bool | None


def warm_up(contenders: set[str], csv: Path, work: Path) -> None:
    """Run each contender once, unmeasured, on a small file: the first run in a fresh checkout would
    otherwise also pay for reading the libraries from disk.

    The project's bytecode is compiled first, as a wheel install does for every package (the
    contenders' libraries were compiled when pip installed them): an editable install leaves that to
    each run, and with PYTHONDONTWRITEBYTECODE set every run would compile ``src/`` again (~0.1 s).
    """
    compileall.compile_dir(ROOT / "src", quiet=1)
    for name in sorted(contenders):
        with console.status(f"warm-up: {CONTENDERS[name][0]} on {csv.name} …"):
            run = CONTENDERS[name][1](csv, work)
        if run.returncode != 0:
            console.print(
                f"[bold red]failed[/] warm-up {name}: exit {run.returncode}\n{run.detail.get('stderr')}"
            )
        else:
            console.print(f"[dim]warm-up[/] {CONTENDERS[name][0]}: {run.seconds:.2f} s (not measured)")


def run_pairs(measurements: list[Measurement], files: dict[str, Path], work: Path, repeat: int) -> None:
    """Interleave the contenders (a, b, a, b ...) so that drift on the machine hits both alike."""
    total = repeat * len(measurements)
    done = 0
    for r in range(repeat):
        for m in measurements:
            done += 1
            label = f"[{done}/{total}] {m.name}" + (f" (run {r + 1}/{repeat})" if repeat > 1 else "")
            with console.status(f"{label} …"):
                run = CONTENDERS[m.contender][1](files[m.input], work)
            m.runs.append(run)
            if run.returncode != 0:
                console.print(
                    f"[bold red]failed[/] {label}: exit {run.returncode}\n{run.detail.get('stderr')}"
                )
            elif run.rows != m.input_rows:
                console.print(
                    f"[bold red]wrong row count[/] {label}: {run.rows} rows, expected {m.input_rows}"
                )
            else:
                console.print(
                    f"[green]done[/] {label}: {run.seconds:.2f} s (CPU {run.cpu_seconds:.1f} s), "
                    f"peak RSS {run.peak_rss_mib:,.0f} MiB, load {run.load_average}"
                )


def evaluate(by_key: dict[str, Measurement], keys: dict[str, str], scales: tuple[str, str]) -> list[Target]:
    """The four targets; ``keys`` maps a role (main, duckdb_main, slice, sqlite, big) to a measurement."""

    def get(role: str) -> Measurement | None:
        return by_key.get(keys.get(role, ""))

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a is not None and b else None

    main, duck, dv_slice, sqlite, big = (get(r) for r in ("main", "duckdb_main", "slice", "sqlite", "big"))
    sf, big_sf = scales
    targets = []
    if main and duck:
        t = ratio(paired_ratio(main, duck), 1)
        targets.append(
            Target(
                "time_vs_duckdb",
                f"SF{sf} wall time / DuckDB CSV→Parquet wall time",
                main.key,
                duck.key,
                t,
                "x",
                f"≤ {INGEST_VS_DUCKDB_MAX:g}x",
                None if t is None else t <= INGEST_VS_DUCKDB_MAX,
            )
        )
    if dv_slice and sqlite:
        t = ratio(paired_ratio(sqlite, dv_slice), 1)
        targets.append(
            Target(
                "speedup_vs_sqlite_utils",
                "sqlite-utils wall time / ingest wall time",
                dv_slice.key,
                sqlite.key,
                t,
                "x faster",
                f"≥ {SQLITE_UTILS_SPEEDUP_MIN:g}x faster",
                None if t is None else t >= SQLITE_UTILS_SPEEDUP_MIN,
            )
        )
    if main:
        m = main.peak_rss_mib
        targets.append(
            Target(
                "peak_rss",
                f"ingest SF{sf} peak RSS",
                main.key,
                None,
                m,
                "MiB",
                f"< {SF1_PEAK_RSS_MAX_MIB:g} MiB (1.5 GiB)",
                None if m is None else m < SF1_PEAK_RSS_MAX_MIB,
            )
        )
    if main and big:
        t = ratio(big.peak_rss_mib, main.peak_rss_mib)
        targets.append(
            Target(
                "peak_rss_bounded",
                f"ingest peak RSS SF{big_sf} / SF{sf} (data grows {float(big_sf) / float(sf):g}x)",
                big.key,
                main.key,
                t,
                "x",
                f"< {BIG_RSS_RATIO_MAX:g}x",
                None if t is None else t < BIG_RSS_RATIO_MAX,
            )
        )
    return targets


def report(measurements: list[Measurement], targets: list[Target], baselines: dict[str, str]) -> Table:
    """Measurements (time targets beside them), then the memory targets."""
    by_key = {m.key: m for m in measurements}
    table = Table(title="DataValley ingest benchmark")
    table.add_column("measurement")
    for col in ("seconds", "CPU s", "rows", "peak RSS MiB", "ratio vs baseline"):
        table.add_column(col, justify="right")
    table.add_column("target")
    table.add_column("pass/fail", justify="center")
    beside = {t.measurement: t for t in targets if t.key in {"time_vs_duckdb", "speedup_vs_sqlite_utils"}}
    for m in measurements:
        base = by_key.get(baselines.get(m.key, ""))
        ratio = ""
        paired = paired_ratio(m, base)
        if paired is not None and base is not None:
            ratio = f"{paired:.3g}x {base.contender}"
        target = beside.get(m.key)
        if target and target.key == "speedup_vs_sqlite_utils" and target.value is not None:
            ratio += f" ({target.value:.3g}x faster)"
        table.add_row(
            f"{m.name} · {m.input}",
            f"{m.seconds:.2f}" if m.seconds is not None else "[red]failed[/]",
            f"{m.cpu_seconds:.1f}" if m.cpu_seconds is not None else "-",
            f"{m.rows:,}" if m.rows is not None else "-",
            f"{m.peak_rss_mib:,.0f}" if m.peak_rss_mib is not None else "-",
            ratio,
            target.limit if target else "",
            _verdict(target.passed) if target else "",
        )
    table.add_section()
    for t in targets:
        if t in beside.values():
            continue
        rss = f"{t.value:,.0f}" if t.unit == "MiB" and t.value is not None else ""
        ratio = f"{t.value:.2f}x" if t.unit == "x" and t.value is not None else ""
        table.add_row(f"[bold]{t.description}[/]", "", "", "", rss, ratio, t.limit, _verdict(t.passed))
    return table


def _verdict(passed: bool | None) -> str:
    return "[bold green]PASS[/]" if passed else "[bold red]FAIL[/]" if passed is False else "[yellow]n/a[/]"


def machine() -> dict:
    info: dict = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    try:
        with open("/proc/meminfo") as f:
            total_kib = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
        info["memory_gib"] = round(total_kib / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for package in ("datavalley", "duckdb", "deltalake", "pyarrow", "sqlite-utils", "tpchgen-cli"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    info["versions"] = versions
    return info


def source_state() -> dict:
    """Which code was measured: the commit, and whether src/ had uncommitted changes (editable install)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout.strip()

    status = git("status", "--porcelain", "--", "src")
    return {"commit": git("rev-parse", "HEAD"), "src_dirty": bool(status) if status is not None else None}


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1, help="TPC-H scale factor of the main file (default 1)"
    )
    parser.add_argument(
        "--big-scale", type=float, default=5, help="scale factor of the memory check (default 5)"
    )
    parser.add_argument(
        "--skip-big", action="store_true", help="leave out the big file (no memory-bound check)"
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data", help="where the CSVs live")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per measurement; the median time is shown"
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "ingest.json")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    scale_label, big_label = f"{args.scale:g}", f"{args.big_scale:g}"
    if scale_label != "1":
        console.print(f"[yellow]note:[/] the targets are defined for SF1; this run uses SF{scale_label}")

    console.rule("data")
    files = {f"SF{scale_label}": lineitem_csv(data_dir, args.scale)}
    files["1M rows"] = head_slice(files[f"SF{scale_label}"], SLICE_ROWS)
    big = not args.skip_big
    if big:
        files[f"SF{big_label}"] = lineitem_csv(data_dir, args.big_scale)
    rows = {name: warm(path) for name, path in files.items()}

    sf, sl, bg = f"SF{scale_label}", "1M rows", f"SF{big_label}"
    s1, s5 = f"sf{scale_label}", f"sf{big_label}"
    keys = {
        "duckdb_main": f"duckdb_{s1}",
        "main": f"datavalley_{s1}",
        "sqlite": "sqlite_utils_1m",
        "slice": "datavalley_1m",
    }
    plan = [
        (keys["duckdb_main"], "duckdb", sf),
        (keys["main"], "datavalley", sf),
        (keys["sqlite"], "sqlite-utils", sl),
        (keys["slice"], "datavalley", sl),
        ("duckdb_1m", "duckdb", sl),
    ]
    baselines = {
        keys["main"]: keys["duckdb_main"],
        keys["slice"]: keys["sqlite"],
        "duckdb_1m": keys["sqlite"],
    }
    if big:
        keys["big"] = f"datavalley_{s5}"
        plan += [(f"duckdb_{s5}", "duckdb", bg), (keys["big"], "datavalley", bg)]
        baselines[keys["big"]] = f"duckdb_{s5}"
    measurements = [
        Measurement(key, CONTENDERS[c][0], c, inp, rows[inp], files[inp].stat().st_size)
        for key, c, inp in plan
    ]

    console.rule("measurements")
    work = data_dir / "work"  # same disk as the inputs; removed afterwards
    work.mkdir(exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    load_before = load_average()
    try:
        warm_up({m.contender for m in measurements}, head_slice(files[sf], WARM_UP_ROWS), work)
        run_pairs(measurements, files, work, args.repeat)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    by_key = {m.key: m for m in measurements}
    targets = evaluate(by_key, keys, (scale_label, big_label))
    console.rule("results")
    console.print(report(measurements, targets, baselines))

    result = {
        "benchmark": "ingest",
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join(["python -m bench.ingest_bench", *(argv if argv is not None else sys.argv[1:])]),
        "machine": machine(),
        "source": source_state(),
        "load_average": {"before": load_before, "after": load_average()},
        "files": {
            name: {"path": str(path), "rows": rows[name], "bytes": path.stat().st_size}
            for name, path in files.items()
        },
        "measurements": [
            {
                "key": m.key,
                "name": m.name,
                "input": m.input,
                "ok": m.ok,
                "seconds": m.seconds,
                "rows": m.rows,
                "peak_rss_mib": m.peak_rss_mib,
                "baseline": baselines.get(m.key),
                "cpu_seconds": m.cpu_seconds,
                # median over repeats of (this run / the baseline's run next to it)
                "ratio_vs_baseline": paired_ratio(m, by_key.get(baselines.get(m.key, ""))),
                "runs": [asdict(r) for r in m.runs],
            }
            for m in measurements
        ],
        "targets": [asdict(t) for t in targets],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    console.print(f"results written to {args.output}")

    if not all(m.ok for m in measurements):
        return 2
    if args.strict and not all(t.passed for t in targets):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
