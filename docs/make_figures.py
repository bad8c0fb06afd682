"""Regenerate docs/figures/: run every script in examples/ (full, not --quick) with its figures saved there.

Run:  python docs/make_figures.py
The docs page examples.md shows these figures; rerun this after changing an example.
"""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main():
    for script in sorted((ROOT / "examples").glob("*.py")):
        out = ROOT / "docs" / "figures" / script.stem
        out.mkdir(parents=True, exist_ok=True)
        for old in out.glob("*.png"):
            old.unlink()
        print(f"running {script.name} ...", flush=True)
        subprocess.run(
            [sys.executable, str(script), "--outdir", str(out)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
        )


if __name__ == "__main__":
    main()
