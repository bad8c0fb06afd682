"""Progress bars for computations a person waits on (fits, Monte Carlo runs): tqdm on stderr, silent off a terminal."""

from __future__ import annotations

import sys
from typing import IO, Any

from tqdm.auto import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int | None, desc: str, *, show: bool | None = None, stream: IO[str] | None = None) -> Any:
    """A ``tqdm`` bar over ``total`` units of work (``None``: an open-ended counter).

    ``show=None`` shows the bar only when the stream (stderr by default) is a terminal, so scripts, tests and
    CI logs stay clean; ``show=True`` forces it and ``show=False`` silences it. Use it as a context manager,
    calling ``bar.update(n)`` and ``bar.set_postfix_str(info)``.
    """
    stream = sys.stderr if stream is None else stream
    visible = bool(getattr(stream, "isatty", lambda: False)()) if show is None else bool(show)
    return tqdm(total=total, desc=desc, file=stream, disable=not visible, leave=True, dynamic_ncols=True)
