"""Job 1: verify numerically that the Kalman filter is a linear RNN and the RTS smoother a bidirectional one.

Run:  python examples/kalman_equivalence.py [--quick] [--outdir DIR]
Simulates data from the demo model, runs the exact time-varying filter and smoother, the filter RNN and
the smoother RNN as plain linear RNNs, and statsmodels and filterpy on the same data; prints the
equivalence report and saves the transient's decay curve.
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import rnnss  # noqa: E402
from rnnss.demo import default_model  # noqa: E402
from rnnss.plot import plot_equivalence  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a shorter series")
    parser.add_argument("--outdir", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    T = 400 if args.quick else 5000

    rnn = default_model()
    gen = np.random.default_rng(0)
    x = gen.standard_normal((T, rnn.n_inputs))
    y = rnnss.simulate(rnn, x=x, rng=gen).y

    # The filter RNN is an ordinary LinearRNN driven by [x_t; y_t].
    filt = rnnss.kalman_rnn(rnn)
    print("filter RNN:", filt)
    print("its recurrent matrix W_f = (I - K V) W:\n", np.round(filt.W, 4))
    m_rnn = rnnss.simulate(filt, x=np.hstack([x, y]), noise=False).h
    m_exact = rnnss.kalman_filter(rnn, y, x, steady_tol=None).filtered_means
    print(f"filter RNN vs exact filter at the last step: {np.max(np.abs(m_rnn[-1] - m_exact[-1])):.2e}")

    report = rnnss.verify_kalman_equivalence(rnn, y, x)
    print(report)
    fig = plot_equivalence(report)
    fig.savefig(out / "kalman_equivalence.png", dpi=120)
    print(f"figure written to {out / 'kalman_equivalence.png'}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
