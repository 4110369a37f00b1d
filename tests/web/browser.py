"""A real DataValley server on loopback and headless Chromium driving it (Playwright for Python).

The browser is Debian's ``/usr/bin/chromium`` (``scripts/ensure-browser.sh`` installs it); Playwright only
drives it (``executable_path``), it never downloads a browser of its own.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from datavalley.api.app import create_app
from datavalley.config import Settings
from datavalley.demo import load_demo, load_demo_access, load_demo_tables
from datavalley.runtime import Runtime, open_runtime

CHROMIUM = os.environ.get("DATAVALLEY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM}; run scripts/ensure-browser.sh (make test does)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed; pip install -e '.[dev]'"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    runtime: Runtime


def demo_runtime(home: Path) -> Runtime:
    """A fresh store in ``home`` holding the synthetic demo catalog, its tables (real ingest), the demo users,
    grant, pending request and synthetic reads."""
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'datavalley.db'}")
    rt = open_runtime(settings)
    rt.initialise()
    with rt.session() as session:
        load_demo(session)
    load_demo_tables(rt)
    load_demo_access(rt)
    return rt


@contextlib.contextmanager
def serve(rt: Runtime) -> Iterator[Server]:
    """Run the app with uvicorn on a free loopback port in a thread, until the block ends."""
    port = free_port()
    config = uvicorn.Config(
        create_app(runtime=rt), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield Server(url=f"http://127.0.0.1:{port}", runtime=rt)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """Headless Chromium from Debian, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
