"""The ``rnnss`` command line: the demo tour and the library's main jobs from the shell."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .datafiles import TABLE_SUFFIXES, atomic_write, check_output_path, read_table, write_table
from .exceptions import FileFormatError

__all__ = [
    "main",
    "read_array",
    "write_array",
    "EXIT_OK",
    "EXIT_CHECK_FAILED",
    "EXIT_USAGE",
    "EXIT_INTERNAL",
    "EXIT_INCONCLUSIVE",
]

#: Exit codes of the ``rnnss`` command.
EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INCONCLUSIVE = 0, 1, 2, 3, 4


class UsageError(Exception):
    """A user error reported as one line with exit code 2 (no traceback)."""


# -- files ------------------------------------------------------------------------------------------

_MODEL_SUFFIXES = (".json", ".npz")


def read_array(path: str | os.PathLike, what: str = "data", *, index_col: int | str | None = None) -> np.ndarray:
    """Read a table of shape ``(T, dim)`` from CSV or ``.npy``; see :func:`rnnss.read_table` for the rules.

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str
        How messages name the file.
    index_col : int or str, optional
        An index column to drop (``--index-col``).

    Returns
    -------
    ndarray, shape (T, dim)
        One row per time step, NaN where a value is missing.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    FileFormatError
        If the file cannot be read as a table without losing or shifting a value.
    """
    return read_table(path, what=what, index_col=index_col)


def write_array(path: str | os.PathLike, arr: np.ndarray, header: Sequence[str] | None = None) -> None:
    """Write a table to ``.csv`` (full precision, ``nan`` = missing) or ``.npy`` atomically: :func:`rnnss.write_table`.

    Parameters
    ----------
    path : str or path-like
        Destination ending in ``.csv`` or ``.npy``.
    arr : ndarray, shape (T, dim)
        The table.
    header : sequence of str, optional
        Column names for CSV.
    """
    write_table(path, arr, header=header)


def _load_model(path: str, kind: type | None = None, what: str = "MODEL") -> Any:
    from .io import load

    if not Path(path).exists():
        raise UsageError(f"{what} file {path!r} does not exist")
    model = load(path)
    if kind is not None and not isinstance(model, kind):
        raise UsageError(f"{what} file {path!r} holds a {type(model).__name__}; this command needs a {kind.__name__}")
    return model


def _figure_suffixes() -> tuple[str, ...]:
    from matplotlib.backend_bases import FigureCanvasBase

    return tuple("." + ext for ext in FigureCanvasBase.get_supported_filetypes())


def _check_outputs(args: argparse.Namespace, **kinds: str) -> None:
    """Check every output path of a command before it computes anything (``kinds``: option -> table/model/figure)."""
    for dest, kind in kinds.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        suffixes = {"table": TABLE_SUFFIXES, "model": _MODEL_SUFFIXES, "figure": None}[kind]
        if kind == "figure":
            suffixes = _figure_suffixes()
        check_output_path(value, suffixes=suffixes, what="--" + dest.replace("_", "-"))


def _save_figure(fig: Any, path: str | None) -> None:
    if path:
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format=Path(path).suffix.lower().lstrip("."), dpi=120)
        print(f"figure written to {path}")


# -- subcommands --------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import write_demo

    write_demo(args.outdir, figures=not args.no_figures, stream=sys.stdout)
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from .linear import LinearRNN, simulate

    _check_outputs(args, output="table", states="table")
    rnn = _load_model(args.model, LinearRNN)
    x = read_array(args.inputs, "inputs", index_col=args.index_col) if args.inputs else None
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

    _check_outputs(args, plot="figure")
    rnn = _load_model(args.model, LinearRNN)
    y = read_array(args.data, "DATA", index_col=args.index_col)
    x = read_array(args.inputs, "inputs", index_col=args.index_col) if args.inputs else None
    report = verify_kalman_equivalence(rnn, y, x, tol=args.tol, peers=not args.no_peers)
    print(report)
    if args.plot:
        from .plot import plot_equivalence

        _save_figure(plot_equivalence(report), args.plot)
    if report.status == "inconclusive":
        return EXIT_INCONCLUSIVE
    return EXIT_OK if report.passed else EXIT_CHECK_FAILED


def _cmd_mse_ratio(args: argparse.Namespace) -> int:
    from .linear import LinearRNN
    from .mse import mse_ratio, mse_ratio_mc, mse_ratio_sweep

    _check_outputs(args, plot="figure")
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
    _check_outputs(args, output="model", varma_output="model")
    y = read_array(args.data, "DATA", index_col=args.index_col)
    x = read_array(args.inputs, "inputs", index_col=args.index_col) if args.inputs else None
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

    _check_outputs(args, posteriors="table")
    model = _load_model(args.model)
    if not isinstance(model, (HMM, OneHotSoftmaxCell)) and type(model).__name__ != "GaussianHMM":
        raise UsageError(
            f"MODEL file {args.model!r} holds a {type(model).__name__}; hmm-check needs an HMM, GaussianHMM or "
            "OneHotSoftmaxCell"
        )
    data = read_array(args.data, "DATA", index_col=args.index_col)
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


# -- arguments --------------------------------------------------------------------------------------


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}; got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _real(text: str, low: float, high: float, closed_high: bool, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}; got {text!r}") from None
    if not (low <= value and (value <= high if closed_high else value < high)) or value != value:
        raise argparse.ArgumentTypeError(f"must be {what}; got {text}")
    return value


def _fraction(text: str) -> float:
    """A fraction in [0, 1): the share of entries to blank out (1 would blank everything)."""
    return _real(text, 0.0, 1.0, False, "a fraction in [0, 1)")


def _tolerance(text: str) -> float:
    value = _real(text, 0.0, float("inf"), False, "a positive finite number")
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number; got {text}")
    return value


def _column(text: str) -> int | str:
    """A column given by 0-based position or by its name in the header."""
    return int(text) if text.strip().lstrip("+").isdigit() else text


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit code 2) that point to ``--help``."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


_EXIT_CODES = (
    "exit codes: 0 success; 1 a check ran and failed; 2 bad usage or input (one line on stderr); 3 an internal "
    "error, i.e. a bug in rnnss (one line; rerun with --debug for the traceback); 4 a check could not decide "
    "(kalman-check: the record is shorter than the transient of the steady-state RNN forms)."
)
_INDEX_HELP = "drop this column (0-based number or header name) of CSV inputs: the index column pandas writes"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-parser per subcommand.

    Returns
    -------
    argparse.ArgumentParser
        The parser of the ``rnnss`` command.
    """
    from ._version import __version__

    parser = _Parser(
        prog="rnnss",
        description="Recurrent neural networks as state-space systems. Models are .json/.npz files written by "
        "rnnss.save; data are CSV (header optional; an empty field, nan or NA = missing) or .npy, one row per "
        "time step.",
        epilog=_EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"rnnss {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of any error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    seed_help = "random seed, an integer >= 0 (default 0)"

    def add(name: str, help: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=description, epilog=_EXIT_CODES)
        # SUPPRESS keeps a --debug given before the command from being reset by the sub-parser's default.
        p.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of any error"
        )
        return p

    p = add(
        "demo",
        help="tour of what rnnss shows about a built-in model",
        description="Print a report on the built-in model and write it, with PNG figures, to a folder.",
    )
    p.add_argument("--outdir", default="rnnss-demo", help="folder for report.txt and the figures (default: rnnss-demo)")
    p.add_argument("--no-figures", action="store_true", help="only print the report")
    p.set_defaults(func=_cmd_demo)

    p = add(
        "simulate",
        help="simulate outputs of a linear RNN to a CSV/NPY file",
        description="Simulate y (and optionally h) from a LinearRNN model file.",
    )
    p.add_argument("model", metavar="MODEL", help="LinearRNN model file (.json or .npz)")
    p.add_argument(
        "--steps", type=_int_at_least(1), default=1000, help="number of steps when the model has no inputs (>= 1)"
    )
    p.add_argument("--inputs", metavar="FILE", help="input sequence x (CSV/NPY), one row per step")
    p.add_argument("--index-col", type=_column, metavar="COL", help=_INDEX_HELP)
    p.add_argument("--seed", type=_int_at_least(0), default=0, help=seed_help)
    p.add_argument(
        "--missing",
        type=_fraction,
        default=0.0,
        help="fraction in [0, 1) of the entries of y to blank out as missing (default 0)",
    )
    p.add_argument("--output", "-o", required=True, help="where to write y (.csv or .npy)")
    p.add_argument("--states", metavar="FILE", help="also write the hidden states h (.csv or .npy)")
    p.set_defaults(func=_cmd_simulate)

    p = add(
        "kalman-check",
        help="verify that the Kalman filter/smoother are linear RNNs on data",
        description="Run the exact filter and smoother, the filter RNN and smoother RNN, and the peers "
        "(statsmodels, filterpy) on the data; print the equivalence report. Exit code 1 if it fails.",
    )
    p.add_argument("model", metavar="MODEL", help="LinearRNN model file")
    p.add_argument("data", metavar="DATA", help="observations y, shape (T, m), complete (no missing values)")
    p.add_argument("--inputs", metavar="FILE", help="inputs x, shape (T, p)")
    p.add_argument("--index-col", type=_column, metavar="COL", help=_INDEX_HELP)
    p.add_argument("--tol", type=_tolerance, default=1e-10, help="relative tolerance, > 0 (default 1e-10)")
    p.add_argument("--no-peers", action="store_true", help="skip the statsmodels/filterpy comparison")
    p.add_argument("--plot", metavar="FIG", help="save the transient-decay figure (.png, .pdf, .svg, ...)")
    p.set_defaults(func=_cmd_kalman_check)

    p = add(
        "mse-ratio",
        help="smoother vs filter MSE ratio, analytic and Monte Carlo",
        description="Steady-state smoother/filter MSE ratio of a LinearRNN; with --monte-carlo N also a "
        "simulation estimate with a 95% confidence interval.",
    )
    p.add_argument("model", metavar="MODEL", help="LinearRNN model file")
    p.add_argument("--monte-carlo", type=_int_at_least(1), metavar="N", help="number of simulated runs")
    p.add_argument("--T", type=_int_at_least(1), default=1000, help="length of each simulated run (default 1000)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, help=seed_help)
    p.add_argument("--plot", metavar="FIG", help="save the sweep of the ratio against Q/R and |lambda|")
    p.set_defaults(func=_cmd_mse_ratio)

    p = add(
        "fit",
        help="fit a VARMA-equivalent linear RNN to data by exact maximum likelihood",
        description="Fit a linear RNN with N hidden units (--states N), or the RNN whose VARMA(p, q) "
        "image is the ML estimate (--varma P Q), to a multivariate series (NaN = missing). Prints the "
        "fit report and writes the fitted LinearRNN.",
    )
    p.add_argument("data", metavar="DATA", help="observations y, shape (T, m)")
    p.add_argument("--states", type=_int_at_least(1), metavar="N", help="hidden units of the linear RNN (>= 1)")
    p.add_argument("--varma", type=_int_at_least(0), nargs=2, metavar=("P", "Q"), help="VARMA orders (>= 0)")
    p.add_argument("--inputs", metavar="FILE", help="exogenous inputs x, shape (T, p)")
    p.add_argument("--index-col", type=_column, metavar="COL", help=_INDEX_HELP)
    p.add_argument(
        "--trend", choices=["c", "n"], default="c", help="VARMA intercept: 'c' constant (default) or 'n' none"
    )
    p.add_argument("--no-std-errors", action="store_true", help="skip the standard errors (faster)")
    p.add_argument("--output", "-o", required=True, help="where to write the fitted LinearRNN (.json or .npz)")
    p.add_argument(
        "--varma-output", metavar="FILE", help="also write the fitted VARMA (or the RNN's VARMA image), .json or .npz"
    )
    p.set_defaults(func=_cmd_fit)

    p = add(
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
    p.add_argument("--index-col", type=_column, metavar="COL", help=_INDEX_HELP)
    p.add_argument("--tol", type=_tolerance, default=1e-10, help="relative tolerance, > 0 (default 1e-10)")
    p.add_argument("--posteriors", metavar="FILE", help="write the smoothed state posteriors (T, K), .csv or .npy")
    p.set_defaults(func=_cmd_hmm_check)
    return parser


def _input_error(exc: BaseException) -> bool:
    """Whether ``exc`` reports bad input (exit 2) rather than a bug in rnnss (exit 3).

    Bad input: a usage error, a file that cannot be read or written, any exception type rnnss defines
    (``FileFormatError``, ``DimensionError``, ``NotStableError``, ...), or a ``ValueError``/``TypeError`` that
    rnnss raised on purpose -- the raising line is a ``raise`` statement in an rnnss module, whose message is
    written for the user (the argument checks of ``_validate``, a model's validation, a function's checks
    of its data). A ``ValueError`` that leaks from NumPy/SciPy or that Python raises inside rnnss code (a
    failed unpacking, say), and every other exception type, is a bug.
    """
    if isinstance(exc, (UsageError, FileFormatError, OSError)):
        return True
    if type(exc).__module__ == "rnnss.exceptions":
        return True
    if not isinstance(exc, (ValueError, TypeError)):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return False
    filename = os.path.normcase(tb.tb_frame.f_code.co_filename)
    if not filename.startswith(os.path.dirname(os.path.normcase(__file__)) + os.sep):
        return False
    return _is_raise_statement(filename, tb.tb_lineno)


def _is_raise_statement(filename: str, lineno: int) -> bool:
    """Whether line ``lineno`` of ``filename`` lies in a ``raise`` statement."""
    import ast

    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):  # pragma: no cover - the module was just running
        return False
    return any(
        isinstance(node, ast.Raise) and node.lineno <= lineno <= (node.end_lineno or node.lineno)
        for node in ast.walk(tree)
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnss`` console script; returns the exit code.

    Exit codes: 0 success; 1 a check ran and failed; 2 bad usage or bad input (one line on stderr, no
    traceback); 3 an internal error, a bug in rnnss (one line; ``--debug`` shows the traceback).

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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version (0) and usage errors (2)
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_USAGE
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print(f"rnnss {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        message = " ".join(str(exc).split())
        if _input_error(exc):
            print(f"rnnss {args.command}: error: {message}", file=sys.stderr)
            return EXIT_USAGE
        hint = "" if args.debug else "; run with --debug for the traceback"
        print(
            f"rnnss {args.command}: internal error (a bug in rnnss): {type(exc).__name__}: {message}{hint}",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
