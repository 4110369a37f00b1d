"""A rich progress bar for long loads: bytes read and rows written."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datavalley.cli.output import err_console

if TYPE_CHECKING:
    from rich.progress import Progress


class LoadProgress:
    """Implements ``datavalley.ingest.load.Progress`` on stderr (so ``--json`` output stays clean)."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: Any = None

    def start(self, name: str, total_bytes: int) -> None:
        if not self.enabled:
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[rows]:>12} rows"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(name, total=total_bytes or None, rows="…")

    def advance(self, *, bytes_read: int, rows_written: int | None) -> None:
        """``rows_written`` None: not known until the files are written (shown as …)."""
        if self._progress is not None and self._task is not None:
            rows = "…" if rows_written is None else f"{rows_written:,}"
            self._progress.update(self._task, completed=bytes_read, rows=rows)

    def finish(self) -> None:
        if self._progress is not None and self._task is not None:
            task = self._progress.tasks[0]
            self._progress.update(self._task, completed=task.total or task.completed)
            self._progress.stop()
        self._progress = None
        self._task = None
