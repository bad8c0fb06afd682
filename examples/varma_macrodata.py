"""VARMA-equivalent linear RNNs fitted by exact maximum likelihood on US macro data, against statsmodels VARMAX.

Run:  python examples/varma_macrodata.py [--quick] [--outdir DIR]

Data: statsmodels' bundled ``macrodata`` (quarterly, 1959Q1-2009Q3); the series are quarterly growth rates in
percent, ``100 * diff(log(x))``, of real GDP, real consumption and real investment (202 x 3). For each order
the script fits the VARMA(p, q) by rnnss (``fit_varma_rnn``: exact likelihood through the VARMA's linear-RNN
realisation, BFGS with the exact score) and by statsmodels (``VARMAX(...).fit()`` with its defaults), and prints
both maximised log-likelihoods and wall-clock times; both use the same exact likelihood (stationary
initialisation), checked by evaluating statsmodels' ``loglike`` at the rnnss estimate. Then it fits linear RNNs
with 2 and 3 hidden units (``fit_linear_rnn``) and compares them by AIC/BIC. Figures: the psi weights (responses
to one-standard-deviation innovations) of the fitted models, and log-likelihood against fit time.
"""

import argparse
import pathlib
import time
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from statsmodels.tsa.statespace.varmax import VARMAX  # noqa: E402

from rnnss import (
    fit_linear_rnn,
    fit_varma_rnn,
    from_statsmodels,
    innovation_responses,
    rnn_to_varma,
    to_statsmodels_params,
)

NAMES = ["realgdp", "realcons", "realinv"]


def load_growth() -> np.ndarray:
    """Quarterly growth rates in percent, 100 * diff(log(level)), shape (202, 3)."""
    data = sm.datasets.macrodata.load_pandas().data
    return 100 * np.diff(np.log(data[NAMES].to_numpy()), axis=0)


def varmax(y, order, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # VARMAX warns that VARMA(p, q > 0) is not generically identified
        return VARMAX(y, order=order, trend="c", **kw)


def fit_statsmodels(y, order):
    mod = varmax(y, order)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning when its default maxiter=50 is reached
        res = mod.fit(disp=False)
    return res, time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer model orders")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    y = load_growth()
    print(f"data: {y.shape[0]} quarters of 100 x log-growth of {', '.join(NAMES)}; means {np.round(y.mean(axis=0), 3)}")

    # Warm-ups, so neither timing includes one-off costs: numba compiles the rnnss kernel on first use
    # (cached on disk afterwards); statsmodels builds its Cython filter on the first model.
    fit_varma_rnn(y[:40], 1, 0, standard_errors=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        varmax(y[:40], (1, 0)).fit(disp=False, maxiter=2)

    orders = [(1, 0), (1, 1)] if args.quick else [(1, 0), (2, 0), (1, 1), (2, 1)]
    print("\nVARMA(p, q), exact maximum likelihood (rnnss includes standard errors; so does statsmodels)")
    print(
        f"{'order':>8} {'rnnss loglik':>14} {'time':>8} {'conv':>5} | {'statsmodels':>14} {'time':>8} {'conv':>5} | "
        f"{'sm loglike at rnnss est.':>24}"
    )
    rows, fits = [], {}
    for order in orders:
        fit = fit_varma_rnn(y, *order)
        res, t_sm = fit_statsmodels(y, order)
        same = varmax(y, order, enforce_invertibility=False).loglike(to_statsmodels_params(fit.varma))
        conv_sm = bool(res.mle_retvals.get("converged", False))
        print(
            f"{str(order):>8} {fit.loglik:14.4f} {fit.elapsed:7.3f}s {str(fit.converged):>5} | {res.llf:14.4f} "
            f"{t_sm:7.3f}s {str(conv_sm):>5} | {same:24.6f}"
        )
        rows.append((order, fit.loglik, fit.elapsed, res.llf, t_sm))
        fits[order] = (fit, res)
    best = max(rows, key=lambda r: r[1])
    print(
        f"largest log-likelihood difference rnnss - statsmodels: {max(r[1] - r[3] for r in rows):.4f}; "
        f"total time rnnss {sum(r[2] for r in rows):.2f} s vs statsmodels {sum(r[4] for r in rows):.2f} s"
    )
    fit11 = fits[(1, 1)][0]
    print(
        f"VARMA(1, 1) estimate: AR radius {fit11.varma.ar_radius:.4f}, MA radius {fit11.varma.ma_radius:.6f} "
        "(statsmodels enforces invertibility by default and so stays inside the unit circle; the supremum of the "
        "likelihood is approached at its boundary)"
    )

    print("\nLinear RNNs h_t = W h_{t-1} + eta_t, y_t = V h_t + d + eps_t fitted by exact ML (fit_linear_rnn)")
    rnn_fits = {}
    for n in (2,) if args.quick else (2, 3):
        f = fit_linear_rnn(y, n)
        image = rnn_to_varma(f.rnn)
        rnn_fits[n] = f
        print(
            f"  n = {n}: loglik {f.loglik:.4f}, {f.n_params} parameters, AIC {f.aic:.2f}, BIC {f.bic:.2f}, "
            f"{f.elapsed:.2f} s, {'converged' if f.converged else 'NOT converged'}; "
            f"VARMA image: VARMA({image.p}, {image.q})"
        )
    for order, (fit, _) in fits.items():
        print(f"  VARMA{order}: AIC {fit.aic:.2f}, BIC {fit.bic:.2f}")

    # Figure 1: psi weights scaled to one-standard-deviation innovations, rnnss vs statsmodels VARMA(1, 1).
    K = 13
    psi_ours = innovation_responses(fit11.varma, K) * np.sqrt(np.diag(fit11.varma.sigma))
    sm_varma = from_statsmodels(fits[(1, 1)][1])
    psi_sm = innovation_responses(sm_varma, K) * np.sqrt(np.diag(sm_varma.sigma))
    f_rnn = rnn_fits[max(rnn_fits)]
    S = rnn_to_varma(f_rnn.rnn).sigma
    psi_rnn = innovation_responses(f_rnn.rnn, K) * np.sqrt(np.diag(S))
    fig, axes = plt.subplots(3, 3, figsize=(8, 6.5), sharex=True)
    for i in range(3):
        for j in range(3):
            ax = axes[i, j]
            ax.axhline(0, color="0.8", lw=0.8)
            ax.plot(psi_ours[:, i, j], "o-", ms=3, label=f"rnnss VARMA(1,1), loglik {fit11.loglik:.1f}")
            ax.plot(psi_sm[:, i, j], "s--", ms=3, label=f"statsmodels VARMA(1,1), loglik {fits[(1, 1)][1].llf:.1f}")
            ax.plot(psi_rnn[:, i, j], ":", label=f"linear RNN n={f_rnn.rnn.n_hidden}, loglik {f_rnn.loglik:.1f}")
            if i == 0:
                ax.set_title(f"shock to {NAMES[j]}", fontsize=9)
            if j == 0:
                ax.set_ylabel(NAMES[i], fontsize=9)
    axes[0, 0].legend(fontsize=6)
    for ax in axes[-1]:
        ax.set_xlabel("quarters")
    fig.suptitle("psi weights (response to a 1-sd innovation, % growth)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "psi_weights.png", dpi=120)
    plt.close(fig)

    # Figure 2: log-likelihood reached against wall-clock time.
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for order, ll, t, ll_sm, t_sm in rows:
        ax.plot([t_sm, t], [ll_sm, ll], color="0.7", lw=0.8)
        ax.plot(t, ll, "o", color="C0")
        ax.plot(t_sm, ll_sm, "s", color="C1")
        ax.annotate(f"VARMA{order}", (t, ll), fontsize=7, xytext=(4, -3), textcoords="offset points")
    ax.plot([], [], "o", color="C0", label="rnnss fit_varma_rnn")
    ax.plot([], [], "s", color="C1", label="statsmodels VARMAX.fit()")
    ax.set_xscale("log")
    ax.set_xlabel("fit time [s]")
    ax.set_ylabel("maximised log-likelihood")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "loglik_vs_time.png", dpi=120)
    plt.close(fig)
    print(f"\nbest rnnss fit: VARMA{best[0]}; figures written to {out}/")


if __name__ == "__main__":
    main()
