"""Regenerate the sample files in examples/data/ (the tests check the shipped files equal this script's output).

Run:  python examples/data/make_sample_data.py [OUTDIR]
Writes demo_model.json (the built-in demo LinearRNN), demo_x.csv (inputs) and demo_y.csv (its outputs,
complete), demo_y_missing.csv (the same with 5% of entries missing), casino_hmm.json (the dishonest
casino HMM) and casino_rolls.csv (2000 rolls it generated, die faces 0..5).
"""

import pathlib
import sys

import numpy as np

import rnnss
from rnnss.cli import write_array
from rnnss.demo import _casino, default_model


def main(outdir):
    out = pathlib.Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rnn = default_model()
    rnnss.save(rnn, out / "demo_model.json")
    gen = np.random.default_rng(2026)
    x = gen.standard_normal((500, rnn.n_inputs))
    y = rnnss.simulate(rnn, x=x, rng=gen).y
    write_array(out / "demo_x.csv", x, ["x1"])
    write_array(out / "demo_y.csv", y, ["y1", "y2"])
    y_missing = y.copy()
    y_missing[gen.random(y.shape) < 0.05] = np.nan
    write_array(out / "demo_y_missing.csv", y_missing, ["y1", "y2"])
    casino = _casino()
    rnnss.save(casino, out / "casino_hmm.json")
    rolls = rnnss.simulate(casino, 2000, rng=gen).y
    (out / "casino_rolls.csv").write_text("roll\n" + "\n".join(str(int(r)) for r in rolls) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
