"""The console script: whole output, right exit status, garbage collection on while a command runs."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points

import pytest

from datavalley.cli import entry, main
from tests.factories import make_dataset, make_org


def _run(*args: str, settings, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATAVALLEY_HOME": str(settings.home),
        "DATAVALLEY_DATABASE_URL": settings.database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "datavalley.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        input=stdin,
    )


def test_the_console_script_is_the_quick_entry():
    (script,) = entry_points(group="console_scripts", name="datavalley")
    assert script.value == "datavalley.cli.entry:run"


def test_a_command_prints_all_its_output_and_exits_0(runtime, settings, tmp_path):
    path = tmp_path / "wide.csv"
    columns = [f"column_number_{i}" for i in range(600)]  # a long JSON answer: more than a pipe buffer
    path.write_text(",".join(columns) + "\n" + ",".join(str(i) for i in range(600)) + "\n")
    assert _run("org", "create", "stats", settings=settings).returncode == 0
    assert _run("dataset", "create", "stats/wide", settings=settings).returncode == 0
    done = _run("ingest", str(path), "--dataset", "stats/wide", "--json", settings=settings)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout) > 65_536
    (result,) = json.loads(done.stdout)
    assert result["rows_written"] == 1 and len(result["columns"]) == 600


def test_an_error_exits_2_with_one_line_and_no_traceback(runtime, settings, tmp_path):
    with runtime.session() as s:
        make_org(s, "stats")
        make_dataset(s, "stats/people")
    done = _run("ingest", str(tmp_path / "missing.csv"), "--dataset", "stats/people", settings=settings)
    assert done.returncode == 2
    assert done.stderr.startswith("error:") and "Traceback" not in done.stderr


def test_a_reader_that_goes_away_gets_no_traceback(settings):
    env = {**os.environ, "DATAVALLEY_HOME": str(settings.home)}
    done = subprocess.run(
        f"{sys.executable} -m datavalley.cli.main --help | head -c 10",
        shell=True,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


class _Exited(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (2, 2), ("a message", 1)])
def test_run_collects_garbage_during_the_command_and_leaves_with_its_status(monkeypatch, code, status):
    seen = {}

    def command(prog_name: str) -> None:
        seen["gc"] = gc.isenabled()
        raise SystemExit(code)

    def leave(value: int) -> None:
        raise _Exited(value)

    handlers: list[str] = []
    monkeypatch.setattr(main, "app", command)
    monkeypatch.setattr(entry.os, "_exit", leave)
    monkeypatch.setattr(entry.atexit, "_run_exitfuncs", lambda: handlers.append("ran"))
    with pytest.raises(_Exited) as left:
        entry.run()
    assert left.value.status == status
    assert seen["gc"] is True and gc.isenabled()
    assert handlers == ["ran"]
