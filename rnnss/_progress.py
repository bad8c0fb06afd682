"""A minimal text progress bar for long computations (fits, Monte Carlo runs), written to stderr."""

from __future__ import annotations

import sys
import time
from typing import IO, Any


class Progress:
    """Report progress of ``total`` units of work on one self-overwriting stderr line.

    ``show=None`` shows the bar only when stderr is a terminal, so scripts, tests and CI logs stay clean;
    ``show=True`` forces it, ``show=False`` silences it. Redraws at most every 0.2 s.

    Use as a context manager::

        with Progress(total=200, desc="fit") as bar:
            for i in range(200):
                ...
                bar.update(1, info=f"loglik {ll:.3f}")
    """

    def __init__(self, total: int | None, desc: str = "", *, show: bool | None = None, stream: IO[str] | None = None):
        self.total, self.desc, self.count = total, desc, 0
        self.stream = stream if stream is not None else sys.stderr
        self.show = bool(show) if show is not None else bool(getattr(self.stream, "isatty", lambda: False)())
        self._start = time.perf_counter()
        self._last = 0.0
        self._info = ""

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, n: int = 1, *, info: str = "") -> None:
        """Advance by ``n`` units; ``info`` is shown after the counter (e.g. the current log-likelihood)."""
        self.count += n
        self._info = info or self._info
        now = time.perf_counter()
        if self.show and (now - self._last > 0.2 or (self.total is not None and self.count >= self.total)):
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        elapsed = now - self._start
        if self.total:
            frac = min(self.count / self.total, 1.0)
            bar = "#" * int(24 * frac) + "-" * (24 - int(24 * frac))
            head = f"{self.desc} [{bar}] {self.count}/{self.total}"
        else:
            head = f"{self.desc} {self.count}"
        self.stream.write(f"\r{head} {elapsed:6.1f}s {self._info}"[:160].ljust(80))
        self.stream.flush()

    def close(self) -> None:
        """Finish the line (only if anything was drawn)."""
        if self.show:
            self._draw(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
            self.show = False
