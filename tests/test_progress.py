"""Tests of rnnss._progress: tqdm bars that show on a terminal and stay silent elsewhere."""

import io

from rnnss._progress import progress_bar


class _TTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_on_a_terminal():
    out = _TTY()
    with progress_bar(3, "fit", stream=out) as bar:
        for i in range(3):
            bar.update(1)
            bar.set_postfix_str(f"step {i}")
    text = out.getvalue()
    assert "fit" in text and "3/3" in text and "step 2" in text


def test_progress_silent_off_terminal_and_when_disabled():
    out = io.StringIO()
    with progress_bar(5, "fit", stream=out) as bar:
        bar.update(5)
    assert out.getvalue() == ""
    tty = _TTY()
    with progress_bar(None, "runs", stream=tty, show=False) as bar:
        bar.update(2)
    assert tty.getvalue() == ""


def test_progress_without_total_counts():
    out = _TTY()
    with progress_bar(None, "iterations", stream=out, show=True) as bar:
        bar.update(7)
    assert "iterations" in out.getvalue() and "7" in out.getvalue()
