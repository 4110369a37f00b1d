"""The ``datavalley`` console script: start quickly, run one command, leave quickly.

A command's own work is often a fraction of a second, so the process around it matters:

- Start-up imports build some hundred thousand long-lived objects and no garbage, yet they trigger the
  cyclic garbage collector dozens of times (~0.07 s). It is off while the command's modules load,
  and on again, with everything loaded so far frozen out of its way, before the command runs.
- Once the command is done, tearing the interpreter down module by module takes 0.1–0.3 s (DuckDB,
  deltalake, SQLAlchemy). The process instead flushes its output, runs the ``atexit`` handlers, and
  ends with ``os._exit``. Every command finishes its own writes (files are closed, transactions
  committed, temporary folders removed) before it returns, so nothing is left to the teardown.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys


def run() -> None:
    """Run the command line named in ``sys.argv`` and exit with its status."""
    gc.disable()
    try:
        from datavalley.cli.main import app
    finally:
        gc.freeze()
        gc.enable()
    try:
        app(prog_name="datavalley")
        status = 0
    except SystemExit as exc:
        status = _status(exc.code)
    _leave(status)


def _status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _leave(status: int) -> None:
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):  # the reader went away (`| head`): nothing more to say
        status = status or 1
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stderr.flush()
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: leave the ordinary way
        sys.exit(status)
    run_exit_handlers()
    os._exit(status)
