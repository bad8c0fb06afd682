"""The ``rnnss`` console script, run for real in a subprocess."""

import shutil
import subprocess
import sys

import pytest


def _rnnss(*args, cwd=None):
    exe = shutil.which("rnnss")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "rnnss.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd)


def test_demo_runs_and_reports_the_core(tmp_path):
    out = _rnnss("demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for needle in ("Eigenmodes of W", "Transient growth", "Impulse response", "Fixed point", "forward Euler"):
        assert needle in out.stdout


def test_no_command_is_usage_error():
    out = _rnnss()
    assert out.returncode == 2


def test_unknown_command_is_usage_error():
    out = _rnnss("frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr
    assert "Traceback" not in out.stderr


def test_version():
    out = _rnnss("--version")
    assert out.returncode == 0 and out.stdout.startswith("rnnss ")
