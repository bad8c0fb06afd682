"""Every script in examples/ runs (in --quick mode) and writes what it promises."""

import pathlib
import subprocess
import sys

import pytest

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    out = subprocess.run(
        [sys.executable, str(script), "--quick", "--outdir", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        # the checkout's own rnnss, not whichever one is installed (a worktree tests its own code)
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(EXAMPLES[0].parents[1])},
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert list((tmp_path / "out").glob("*.png")), "the example should save its figures"
