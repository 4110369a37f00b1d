"""Fixtures of the CLI tests: a store that ``datavalley init`` has prepared."""

from __future__ import annotations

import pytest


@pytest.fixture
def initialised(cli):
    """The ``cli`` runner, after ``datavalley init``."""
    result = cli("init")
    assert result.exit_code == 0, result.output
    return cli
