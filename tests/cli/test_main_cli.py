"""``datavalley init``, ``--version``, ``demo`` and ``serve``: the commands of the five-minute tour."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from datavalley import __version__
from datavalley.cli.main import app
from tests.cli.expect import error_line, json_of, ok, refs

DATAVALLEY = Path(sys.executable).parent / "datavalley"


def test_version_is_the_installed_one():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"datavalley {__version__}"
    assert __version__ == version("datavalley")


@pytest.mark.parametrize(
    "args", [("org", "list"), ("dataset", "show", "stats/gdp"), ("search", "贫困"), ("demo",)]
)
def test_commands_before_init_say_to_run_init(cli, settings, args):
    line = error_line(cli(*args))
    assert "run `datavalley init` first" in line
    assert str(settings.home) in line
    assert not (settings.home / "datavalley.db").exists()


def test_init_creates_the_home_folder_and_can_be_repeated(cli, settings):
    assert not settings.home.exists()
    first = ok(cli("init"))
    assert settings.home.is_dir()
    assert "ready" in first and str(settings.home) in first
    ok(cli("org", "create", "stats", "--title", "统计局"))

    ok(cli("init"))
    ok(cli("init"))
    orgs = json_of(cli("org", "list", "--json"))
    assert [(o["name"], o["title"]) for o in orgs["data"]] == [("stats", "统计局")]


def _demo_counts(output: str) -> dict[str, int]:
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (organization|dataset|table)\(s\)", output)}


def test_demo_loads_once_and_is_searchable(initialised):
    cli = initialised
    first = _demo_counts(ok(cli("demo")))
    orgs = json_of(cli("org", "list", "--json"))["count"]
    datasets = json_of(cli("dataset", "list", "--json"))["count"]
    assert first["organization"] == orgs > 0
    assert first["dataset"] == datasets > 0

    second = _demo_counts(ok(cli("demo")))
    assert set(second) == {"organization", "dataset", "table"}
    assert set(second.values()) == {0}
    assert json_of(cli("org", "list", "--json"))["count"] == orgs
    assert json_of(cli("dataset", "list", "--json"))["count"] == datasets

    assert "rural_revitalization/poverty_monitoring" in refs(cli("search", "贫困", "--json"))
    shown = ok(cli("search", "贫困"))
    assert "rural_revitalization/poverty_monitoring" in shown and "贫困人口动态监测" in shown


def test_serve_help_lists_host_and_port():
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--host" in result.output and "--port" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_health(base: str, server: subprocess.Popen[bytes], log: Path, deadline_s: float = 30) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"`datavalley serve` exited with {server.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"`datavalley serve` did not answer /api/v1/health within {deadline_s} s:\n{log.read_text()}")


@pytest.mark.slow
def test_serve_then_use_the_api_and_the_cli_on_one_store(cli, settings, tmp_path):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATAVALLEY_HOME": str(settings.home),
        "DATAVALLEY_DATABASE_URL": settings.database_url,
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(DATAVALLEY), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_health(base, server, log)
        water = {"name": "water", "title": "水利厅 Water Resources", "kind": "department"}
        refused = httpx.post(f"{base}/api/v1/organizations", json=water, timeout=10)
        assert refused.status_code == 401, refused.text  # anonymous callers create nothing
        ok(cli("user", "create", "ops", "--admin", "--no-password"))  # the CLI acts as the authority
        token = json_of(cli("token", "create", "deploy", "--user", "ops", "--json"))["token"]
        created = httpx.post(
            f"{base}/api/v1/organizations",
            json=water,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert created.status_code == 201, created.text

        orgs = json_of(cli("org", "list", "--json"))
        assert [(o["name"], o["title"]) for o in orgs["data"]] == [("water", "水利厅 Water Resources")]
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert f"http://127.0.0.1:{port}" in log.read_text()
