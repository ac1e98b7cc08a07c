"""A plain-text progress bar for long commands (no dependency): redrawn in place on a terminal, one line per
tenth otherwise, so logs stay short."""

from __future__ import annotations

from typing import TextIO


class ProgressBar:
    def __init__(self, stream: TextIO, *, label: str, width: int = 30) -> None:
        self.stream = stream
        self.label = label
        self.width = width
        self.interactive = stream.isatty()
        self._last = -1 if self.interactive else 0

    def update(self, done: int, total: int) -> None:
        if total <= 0:
            return
        if self.interactive:
            filled = self.width * done // total
            percent = 100 * done // total
            if percent == self._last and done != total:
                return
            self._last = percent
            bar = "#" * filled + "." * (self.width - filled)
            end = "\n" if done == total else ""
            self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {percent:3d}%{end}")
        else:
            tenth = 10 * done // total
            if tenth == self._last:
                return
            self._last = tenth
            self.stream.write(f"{self.label}: {done}/{total} ({10 * tenth}%)\n")
        self.stream.flush()
