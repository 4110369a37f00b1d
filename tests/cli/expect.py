"""What a CLI result must look like to a user: JSON on success, one ``error: ...`` line on failure."""

from __future__ import annotations

import json
from typing import Any

from click.testing import Result


def json_of(result: Result) -> Any:
    """The JSON document a successful ``--json`` command printed on stdout."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ok(result: Result) -> str:
    """What a successful command showed the user."""
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def error_line(result: Result) -> str:
    """The single ``error: ...`` line of a failed command (on stderr, nothing on stdout, no traceback)."""
    assert result.exit_code != 0, f"expected a failure, got exit code 0:\n{result.output}"
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("error: "), lines[0]
    assert result.stdout.strip() == "", result.stdout
    return lines[0]


def refs(result: Result) -> list[str]:
    """``org/name`` of each dataset in a ``--json`` listing or search result, in order."""
    return [f"{d['organization']}/{d['name']}" for d in json_of(result)["data"]]
