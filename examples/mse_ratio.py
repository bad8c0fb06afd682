"""Job 3: how much does the backward direction buy? Filter vs smoother MSE, analytic and Monte Carlo.

Run:  python examples/mse_ratio.py [--quick] [--outdir DIR]
Prints the steady-state smoother/filter MSE ratio of the demo model (total and per hidden unit), checks it
by Monte Carlo with a confidence interval, reproduces the AR(1) closed form, and saves the sweep of the
ratio against Q/R and |lambda|.
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

import rnnss  # noqa: E402
from rnnss.demo import default_model  # noqa: E402
from rnnss.plot import plot_mse_ratio_sweep  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer Monte Carlo runs")
    parser.add_argument("--outdir", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)

    rnn = default_model()
    analytic = rnnss.mse_ratio(rnn)
    print(analytic)
    mc = rnnss.mse_ratio_mc(rnn, steps=300 if args.quick else 2000, n_runs=50 if args.quick else 400, rng=0)
    print(mc)
    print(f"analytic ratio inside the Monte Carlo {mc.confidence:.0%} interval: {mc.contains_analytic}")

    # The scalar AR(1) + noise closed form against the Riccati solution.
    for a, q, r in [(0.5, 1.0, 1.0), (0.9, 1.0, 1.0), (0.99, 0.01, 1.0)]:
        closed = rnnss.ar1_mse_ratio(a, q, r).total
        riccati = rnnss.mse_ratio(rnnss.LinearRNN(W=a, Q=q, R=r)).total
        print(f"AR(1) a={a}, q={q}, r={r}: closed form {closed:.10f}, Riccati {riccati:.10f}")

    sweep = rnnss.mse_ratio_sweep(
        noise_ratio=np.logspace(-4, 3, 15 if args.quick else 60), radius=[0.0, 0.5, 0.9, 0.99]
    )
    print(sweep)
    fig = plot_mse_ratio_sweep(sweep)
    fig.savefig(out / "mse_ratio_sweep.png", dpi=120)
    print(f"figure written to {out / 'mse_ratio_sweep.png'}")


if __name__ == "__main__":
    main()
