"""Fixtures of the browser tests: one server over a fresh demo store and one Chromium per test module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import chromium, demo_runtime, serve


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    rt = demo_runtime(Path(tmp_path_factory.mktemp("portal")) / "home")
    try:
        with serve(rt) as running:
            yield running
    finally:
        rt.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


@contextlib.contextmanager
def open_tab(browser: Any, *, width: int = 1280, height: int = 900, locale: str = "en-US") -> Iterator[Any]:
    """A fresh browser tab (own cookies) that fails the test on any script error or CSP violation."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and not any(s in msg.text for s in ("404", "403", "400", "401", "422", "409"))
            and problems.append(msg.text)
        ),
    )
    try:
        yield tab
    finally:
        context.close()
    assert not problems, problems


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    with open_tab(browser) as tab:
        yield tab
