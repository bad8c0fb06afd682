"""The ``rnnss`` command line: the demo tour and the library's main jobs from the shell."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "read_array", "write_array"]


class UsageError(Exception):
    """A user error reported as one line with exit code 2 (no traceback)."""


# -- files ------------------------------------------------------------------------------------------


def read_array(path: str | os.PathLike, what: str = "data") -> np.ndarray:
    """Read a 2-D float array from ``.npy`` or CSV (header optional, empty or ``nan``/``NA`` = missing).

    Parameters
    ----------
    path : str or path-like
        The file; ``.npy`` is read with NumPy, anything else as comma-separated text.
    what : str
        Name used in error messages.

    Returns
    -------
    ndarray, shape (T, dim)
        One row per time step (a single column is returned as ``(T, 1)``).

    Raises
    ------
    UsageError
        If the file is missing, empty, ragged or holds non-numeric fields.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{what} file {str(path)!r} does not exist")
    if path.suffix.lower() == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise UsageError(f"{what} file {str(path)!r} is not a readable .npy array: {exc}") from None
    else:
        lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        if not lines:
            raise UsageError(f"{what} file {str(path)!r} is empty")
        rows = [ln.split(",") for ln in lines]

        def numeric(field: str) -> bool:
            field = field.strip()
            if field.lower() in ("", "nan", "na", "null"):
                return True
            try:
                float(field)
            except ValueError:
                return False
            return True

        if not all(numeric(f) for f in rows[0]):  # a header row
            rows = rows[1:]
        if not rows:
            raise UsageError(f"{what} file {str(path)!r} has a header but no data")
        width = len(rows[0])
        values = []
        for i, row in enumerate(rows):
            if len(row) != width:
                raise UsageError(f"{what} file {str(path)!r}: row {i + 1} has {len(row)} fields, expected {width}")
            try:
                values.append([np.nan if f.strip().lower() in ("", "nan", "na", "null") else float(f) for f in row])
            except ValueError:
                raise UsageError(f"{what} file {str(path)!r}: row {i + 1} has a non-numeric field") from None
        arr = np.array(values, dtype=float)
    arr = np.asarray(arr, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise UsageError(f"{what} in {str(path)!r} must be a table of shape (T, dim); got shape {arr.shape}")
    return arr


def write_array(path: str | os.PathLike, arr: np.ndarray, header: Sequence[str] | None = None) -> None:
    """Write a 2-D array as ``.npy`` or CSV (full precision, ``nan`` for missing).

    Parameters
    ----------
    path : str or path-like
        Destination; ``.npy`` is binary, anything else CSV.
    arr : ndarray, shape (T, dim)
        The table.
    header : sequence of str, optional
        Column names for CSV.
    """
    path = Path(path)
    arr = np.asarray(arr, dtype=float).reshape(len(arr), -1)
    if path.suffix.lower() == ".npy":
        np.save(path, arr)
        return
    with open(path, "w") as fh:
        if header is not None:
            fh.write(",".join(header) + "\n")
        for row in arr:
            fh.write(",".join(repr(float(v)) for v in row) + "\n")


def _load_model(path: str, kind: type | None = None, what: str = "MODEL") -> Any:
    from .io import load

    if not Path(path).exists():
        raise UsageError(f"{what} file {path!r} does not exist")
    model = load(path)
    if kind is not None and not isinstance(model, kind):
        raise UsageError(f"{what} file {path!r} holds a {type(model).__name__}; this command needs a {kind.__name__}")
    return model


def _save_figure(fig: Any, path: str | None) -> None:
    if path:
        fig.savefig(path, dpi=120)
        print(f"figure written to {path}")


# -- subcommands --------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import write_demo

    write_demo(args.outdir, figures=not args.no_figures, stream=sys.stdout)
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from .linear import LinearRNN, simulate

    rnn = _load_model(args.model, LinearRNN)
    x = read_array(args.inputs, "inputs") if args.inputs else None
    if x is None and rnn.n_inputs:
        raise UsageError(f"the model has {rnn.n_inputs} inputs: pass them with --inputs FILE")
    traj = simulate(rnn, None if x is not None else args.steps, x, rng=args.seed)
    y = traj.y.copy()
    if args.missing:
        y[np.random.default_rng(args.seed + 1).random(y.shape) < args.missing] = np.nan
    write_array(args.output, y, [f"y{i + 1}" for i in range(y.shape[1])])
    if args.states:
        write_array(args.states, traj.h, [f"h{i + 1}" for i in range(traj.h.shape[1])])
    print(f"simulated {y.shape[0]} steps of {y.shape[1]} outputs -> {args.output}")
    return 0


def _cmd_kalman_check(args: argparse.Namespace) -> int:
    from .kalman import verify_kalman_equivalence
    from .linear import LinearRNN

    rnn = _load_model(args.model, LinearRNN)
    y = read_array(args.data, "DATA")
    x = read_array(args.inputs, "inputs") if args.inputs else None
    report = verify_kalman_equivalence(rnn, y, x, tol=args.tol, peers=not args.no_peers)
    print(report)
    if args.plot:
        from .plot import plot_equivalence

        _save_figure(plot_equivalence(report), args.plot)
    return 0 if report.passed else 1


def _cmd_mse_ratio(args: argparse.Namespace) -> int:
    from .linear import LinearRNN
    from .mse import mse_ratio, mse_ratio_mc, mse_ratio_sweep

    rnn = _load_model(args.model, LinearRNN)
    res = mse_ratio(rnn)
    print(f"analytic steady-state smoother/filter MSE ratio: {res.total:.6f}")
    print(
        f"  filter MSE {res.filter_mse:.6g}, smoother MSE "
        f"{res.smoother_mse:.6g}, one-step predictor MSE {res.predictor_mse:.6g}"
    )
    print("  per hidden unit: " + ", ".join(f"h{i + 1} {r:.6f}" for i, r in enumerate(res.per_unit)))
    if args.monte_carlo:
        mc = mse_ratio_mc(rnn, steps=args.T, n_runs=args.monte_carlo, rng=args.seed, progress=None)
        lo, hi = mc.ci
        print(
            f"Monte Carlo ({mc.n_runs} runs x T = {mc.T}, window "
            f"{mc.window[0]}..{mc.window[1]}): ratio {mc.ratio:.6f}, "
            f"{mc.confidence:.0%} CI [{lo:.6f}, {hi:.6f}] -> analytic "
            f"value {'inside' if mc.contains_analytic else 'OUTSIDE'}"
        )
        print(
            f"  filter MSE {mc.filter_mse:.6g} +- {mc.filter_mse_se:.2g}, "
            f"smoother MSE {mc.smoother_mse:.6g} +- {mc.smoother_mse_se:.2g}"
        )
    if args.plot:
        from .plot import plot_mse_ratio_sweep

        rho = rnn.spectral_radius
        radii = sorted({round(r, 6) for r in (0.5, 0.9, 0.99, rho) if r < 1})
        sweep = mse_ratio_sweep(rnn, noise_ratio=np.logspace(-3, 3, 49), radius=radii)
        _save_figure(plot_mse_ratio_sweep(sweep), args.plot)
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from .fit import fit_linear_rnn, fit_varma_rnn
    from .io import save

    if (args.states is None) == (args.varma is None):
        raise UsageError("give exactly one of --states N (a linear RNN with N hidden units) and --varma P Q")
    y = read_array(args.data, "DATA")
    x = read_array(args.inputs, "inputs") if args.inputs else None
    if args.states is not None:
        report = fit_linear_rnn(y, args.states, x, standard_errors=not args.no_std_errors)
    else:
        p, q = args.varma
        report = fit_varma_rnn(y, p, q, x, trend=args.trend, standard_errors=not args.no_std_errors)
    print(report.summary())
    save(report.rnn, args.output)
    print(f"fitted LinearRNN written to {args.output}")
    if args.varma_output:
        from .varma_rnn import rnn_to_varma

        save(report.varma if report.varma is not None else rnn_to_varma(report.rnn), args.varma_output)
        print(f"its VARMA image written to {args.varma_output}")
    return 0


def _cmd_hmm_check(args: argparse.Namespace) -> int:
    from .hmm import HMM, OneHotSoftmaxCell, verify_hmm_equivalence

    model = _load_model(args.model)
    if not isinstance(model, (HMM, OneHotSoftmaxCell)) and type(model).__name__ != "GaussianHMM":
        raise UsageError(
            f"MODEL file {args.model!r} holds a {type(model).__name__}; hmm-check needs an HMM, GaussianHMM or "
            "OneHotSoftmaxCell"
        )
    data = read_array(args.data, "DATA")
    categorical = isinstance(model, (HMM, OneHotSoftmaxCell))
    if categorical and data.shape[1] != 1:
        raise UsageError(
            f"DATA for a categorical HMM must be one column of integer symbols; got {data.shape[1]} columns"
        )
    report = verify_hmm_equivalence(model, data[:, 0] if categorical else data, tol=args.tol)
    print(report)
    if args.posteriors:
        post = report.posteriors
        write_array(args.posteriors, post, [f"p_state{k}" for k in range(post.shape[1])])
        print(f"smoothed posteriors written to {args.posteriors}")
    return 0 if report.passed else 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per subcommand."""
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="rnnss",
        description="Recurrent neural networks as state-space systems. Models are .json/.npz files written by "
        "rnnss.save; data are CSV (header optional, empty or nan = missing) or .npy, one row per time step.",
    )
    parser.add_argument("--version", action="version", version=f"rnnss {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "demo",
        help="tour of what rnnss shows about a built-in model",
        description="Print a report on the built-in model and write it, with PNG figures, to a folder.",
    )
    p.add_argument("--outdir", default="rnnss-demo", help="folder for report.txt and the figures (default: rnnss-demo)")
    p.add_argument("--no-figures", action="store_true", help="only print the report")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "simulate",
        help="simulate outputs of a linear RNN to a CSV/NPY file",
        description="Simulate y (and optionally h) from a LinearRNN model file.",
    )
    p.add_argument("model", metavar="MODEL", help="LinearRNN model file (.json or .npz)")
    p.add_argument("--steps", type=int, default=1000, help="number of steps when the model has no inputs")
    p.add_argument("--inputs", metavar="FILE", help="input sequence x (CSV/NPY), one row per step")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--missing", type=float, default=0.0, help="fraction of entries of y to blank out as missing")
    p.add_argument("--output", "-o", required=True, help="where to write y (CSV or .npy)")
    p.add_argument("--states", metavar="FILE", help="also write the hidden states h")
    p.set_defaults(func=_cmd_simulate)

    p = sub.add_parser(
        "kalman-check",
        help="verify that the Kalman filter/smoother are linear RNNs on data",
        description="Run the exact filter and smoother, the filter RNN and smoother RNN, and the peers "
        "(statsmodels, filterpy) on the data; print the equivalence report. Exit code 1 if it fails.",
    )
    p.add_argument("model", metavar="MODEL", help="LinearRNN model file")
    p.add_argument("data", metavar="DATA", help="observations y, shape (T, m), complete (no missing values)")
    p.add_argument("--inputs", metavar="FILE", help="inputs x, shape (T, p)")
    p.add_argument("--tol", type=float, default=1e-10, help="relative tolerance (default 1e-10)")
    p.add_argument("--no-peers", action="store_true", help="skip the statsmodels/filterpy comparison")
    p.add_argument("--plot", metavar="PNG", help="save the transient-decay figure")
    p.set_defaults(func=_cmd_kalman_check)

    p = sub.add_parser(
        "mse-ratio",
        help="smoother vs filter MSE ratio, analytic and Monte Carlo",
        description="Steady-state smoother/filter MSE ratio of a LinearRNN; with --monte-carlo N also a "
        "simulation estimate with a 95%% confidence interval.",
    )
    p.add_argument("model", metavar="MODEL", help="LinearRNN model file")
    p.add_argument("--monte-carlo", type=int, metavar="N", help="number of simulated runs")
    p.add_argument("--T", type=int, default=1000, help="length of each simulated run (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--plot", metavar="PNG", help="save the sweep of the ratio against Q/R and |lambda|")
    p.set_defaults(func=_cmd_mse_ratio)

    p = sub.add_parser(
        "fit",
        help="fit a VARMA-equivalent linear RNN to data by exact maximum likelihood",
        description="Fit a linear RNN with N hidden units (--states N), or the RNN whose VARMA(p, q) "
        "image is the ML estimate (--varma P Q), to a multivariate series (NaN = missing). Prints the "
        "fit report and writes the fitted LinearRNN.",
    )
    p.add_argument("data", metavar="DATA", help="observations y, shape (T, m)")
    p.add_argument("--states", type=int, metavar="N", help="hidden units of the linear RNN")
    p.add_argument("--varma", type=int, nargs=2, metavar=("P", "Q"), help="VARMA orders")
    p.add_argument("--inputs", metavar="FILE", help="exogenous inputs x, shape (T, p)")
    p.add_argument(
        "--trend", choices=["c", "n"], default="c", help="VARMA intercept: 'c' constant (default) or 'n' none"
    )
    p.add_argument("--no-std-errors", action="store_true", help="skip the standard errors (faster)")
    p.add_argument("--output", "-o", required=True, help="where to write the fitted LinearRNN (.json or .npz)")
    p.add_argument("--varma-output", metavar="FILE", help="also write the fitted VARMA (or the RNN's VARMA image)")
    p.set_defaults(func=_cmd_fit)

    p = sub.add_parser(
        "hmm-check",
        help="check that an HMM and its RNN forms give identical likelihoods",
        description="Compute log p(y) by the HMM forward recursions, the one-hot softmax RNN, the "
        "belief-state RNN (both directions), hmmlearn and, for short data, brute force over all paths. "
        "Exit code 1 if they differ by more than --tol.",
    )
    p.add_argument("model", metavar="MODEL", help="HMM, GaussianHMM or OneHotSoftmaxCell model file")
    p.add_argument(
        "data", metavar="DATA", help="observations: one column of integer symbols (or (T, d) for a GaussianHMM)"
    )
    p.add_argument("--tol", type=float, default=1e-10, help="relative tolerance (default 1e-10)")
    p.add_argument("--posteriors", metavar="FILE", help="write the smoothed state posteriors (T, K)")
    p.set_defaults(func=_cmd_hmm_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnss`` console script; returns the exit code.

    Exit codes: 0 success, 1 a check ran and failed, 2 bad usage or bad input (one line on stderr, no
    traceback).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except (UsageError, ValueError, TypeError, OSError, ImportError) as exc:
        message = " ".join(str(exc).split())
        print(f"rnnss {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
