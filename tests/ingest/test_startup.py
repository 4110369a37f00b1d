"""CLI start-up stays cheap: optional heavy modules load only for the inputs that need them.

Not a timed test: it checks which modules a process has loaded, which does not depend on how busy the
machine is. Each module named here costs 0.03-0.3 s of start-up on every command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from datavalley.db import migrate

#: loaded only for non-ASCII headings, Excel files, URLs, non-UTF-8 text, migrations, upserts; pyarrow
#: (and numpy) only for nested columns, upserts and `table show`, numpy also for numbers that need the
#: exact test; the web framework only for `serve` and the commands that build URLs
OPTIONAL = (
    "pypinyin",
    "openpyxl",
    "httpx",
    "charset_normalizer",
    "alembic",
    "pandas",
    "pyarrow",
    "numpy",
    "fastapi",
    "starlette",
)


def _loaded(code: str, env: dict[str, str] | None = None) -> list[str]:
    probe = (
        f"{code}\nimport sys, json\nprint(json.dumps(sorted(m for m in {OPTIONAL!r} if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_optional_module():
    assert _loaded("import datavalley.cli.main") == []


def _loaded_by_ingest(path, settings) -> list[str]:
    """The optional modules a ``datavalley ingest PATH`` process loads."""
    env = {
        **os.environ,
        "DATAVALLEY_HOME": str(settings.home),
        "DATAVALLEY_DATABASE_URL": settings.database_url,
    }
    run = (
        "from datavalley.cli.main import app\n"
        f"app(['ingest', {str(path)!r}, '--dataset', 'stats/people', '--quiet'], standalone_mode=False)"
    )
    return _loaded(run, env)


def test_an_ascii_csv_ingest_loads_no_optional_module(loader, settings):
    path = loader.write("plain.csv", "code,amount\n0012,10.5\n0013,11\n")
    assert _loaded_by_ingest(path, settings) == []
    assert loader.column("plain", "code") == ["0012", "0013"]


def test_numbers_that_need_the_exact_test_load_it(loader, settings):
    path = loader.write("padded.csv", "id,amount\n1,2.5\n 2 ,1e-5\n")
    assert "numpy" in _loaded_by_ingest(path, settings)
    assert loader.column("padded", "id") == [1, 2]
    assert loader.column("padded", "amount") == [2.5, 1e-5]


def test_chinese_headings_still_load_pinyin(loader):
    loader.load(loader.write("cn.csv", "县名\n青山县\n"))
    assert [c.name for c in loader.detail("cn").columns] == ["xian_ming"]


def test_the_schema_head_is_found_without_alembic():
    assert migrate.head_revision() == migrate._alembic_head_revision()
