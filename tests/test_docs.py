"""The documentation site builds offline without warnings (Sphinx, -W)."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    out = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "--keep-going", "-b", "html", str(ROOT / "docs"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    assert (tmp_path / "index.html").exists() and (tmp_path / "api.html").exists()


def test_every_example_is_shown_in_the_docs_with_its_figures():
    page = (ROOT / "docs" / "examples.md").read_text()
    for script in sorted((ROOT / "examples").glob("*.py")):
        assert f"examples/{script.name}" in page, f"{script.name} is missing from docs/examples.md"
        assert list((ROOT / "docs" / "figures" / script.stem).glob("*.png")), (
            f"no figures for {script.name} (run docs/make_figures.py)"
        )
