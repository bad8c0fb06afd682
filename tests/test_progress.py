"""Tests of rnnss._progress: the stderr progress bar."""

import io

from rnnss._progress import Progress


class _TTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_on_a_terminal_and_finishes_the_line():
    out = _TTY()
    with Progress(3, "fit", stream=out) as bar:
        for i in range(3):
            bar.update(1, info=f"step {i}")
    text = out.getvalue()
    assert "fit [" in text and "3/3" in text and "step 2" in text and text.endswith("\n")


def test_progress_silent_off_terminal_and_when_disabled():
    out = io.StringIO()
    with Progress(5, "fit", stream=out) as bar:
        bar.update(5)
    assert out.getvalue() == ""
    tty = _TTY()
    with Progress(None, "runs", stream=tty, show=False) as bar:
        bar.update(2)
    assert tty.getvalue() == ""


def test_progress_without_total_counts():
    out = _TTY()
    with Progress(None, "iterations", stream=out, show=True) as bar:
        bar.update(7)
    assert "iterations 7" in out.getvalue()
