"""Linear RNN <-> VARMA at realistic sizes: Kronecker indices, the minimal identified echelon form, and its fit.

Run:  python examples/echelon_varma.py [--quick] [--outdir DIR]

Part 1 takes 2-output linear RNNs with slow modes (eigenvalues r e^{i theta}, r in 0.9..0.999, small theta: the
regime of modern linear-RNN layers) of growing size n, and converts each to a VARMA twice: the final-equation
form VARMA(n, n) of ``rnn_to_varma`` and the echelon form of ``rnn_to_varma(rnn, form="echelon")``. For both it
prints the relative error of the autocovariances (40 lags) and of the Kalman log-likelihood on simulated data
against the RNN itself. Part 2 fits echelon forms to the US macro growth data (examples/data/macro_growth.csv):
every Kronecker-index vector with entries <= 1 from ``kronecker_candidates`` (AIC/BIC), and the chosen one from
several starts, which all return the same estimate because the echelon form is identified. Figures: the
accuracy of both forms against n, and the information criteria with the multi-start estimates.
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

import rnnss  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parent / "data" / "macro_growth.csv"
NAMES = ["realgdp", "realcons", "realinv"]


def slow_rnn(n: int, seed: int) -> rnnss.LinearRNN:
    """Two outputs, n/2 slow rotations r e^{+-i theta} (r in 0.9..0.999, theta < pi/10) in a random basis."""
    g = np.random.default_rng(seed)
    blocks = []
    for _ in range(n // 2):
        r, th = g.uniform(0.9, 0.999), g.uniform(0.0, np.pi / 10)
        blocks.append(r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]))
    rot = np.linalg.qr(g.standard_normal((n, n)))[0]
    W = rot @ scipy.linalg.block_diag(*blocks) @ rot.T
    rnn = rnnss.LinearRNN(W=W, V=g.standard_normal((2, n)) / np.sqrt(n), Q=0.01 * np.eye(n), R=0.1 * np.eye(2))
    return rnnss.with_stationary_prior(rnn)


def errors(rnn: rnnss.LinearRNN, varma: rnnss.VARMA, y: np.ndarray) -> tuple[float, float]:
    """Relative errors of the autocovariances (lags 0..40) and of the exact log-likelihood; inf if it fails."""
    ref = rnnss.autocovariances(rnn, 40)
    ll = rnnss.kalman_filter(rnn, y).loglik
    try:
        acov = float(np.max(np.abs(rnnss.autocovariances(varma, 40) - ref)) / np.max(np.abs(ref)))
        lik = abs(rnnss.varma_loglik(varma, y) - ll) / abs(ll)
    except (rnnss.NumericalError, rnnss.NotStableError, ValueError):
        return np.inf, np.inf
    return acov, lik


def part1(sizes, out):
    print("Part 1: slow-mode 2-output RNNs -> VARMA; relative errors against the RNN (autocovariances | loglik)")
    print(f"{'n':>3} {'final VARMA(n, n)':>26} | {'echelon':>40}")
    rows = []
    for n in sizes:
        rnn = slow_rnn(n, 10 + n)
        y = rnnss.simulate(rnn, 300, rng=1).y
        try:
            final = rnnss.rnn_to_varma(rnn)
            fe = errors(rnn, final, y)
        except (rnnss.NumericalError, ValueError):
            fe = (np.inf, np.inf)
        ki = rnnss.kronecker_indices(rnn)
        ech = rnnss.rnn_to_varma(rnn, form="echelon")
        ee = errors(rnn, ech, y)
        rows.append((n, fe, ee))
        desc = f"indices {ki.indices}, margin {ki.margin:.1e}"
        print(f"{n:>3} {fe[0]:12.1e} | {fe[1]:10.1e}  | {ee[0]:9.1e} | {ee[1]:9.1e}  {desc}")
    n8 = slow_rnn(8, 18)
    print("\nThe n = 8 network's echelon form (VARMA(4, 4), McMillan degree 8):")
    print(rnnss.kronecker_indices(n8).summary())

    fig, ax = plt.subplots(figsize=(5.8, 3.6))
    ns = [r[0] for r in rows]
    cap = 10.0  # failures are drawn at the top of the axis
    for k, (label, style) in enumerate([("autocovariances", "-"), ("log-likelihood", "--")]):
        ax.plot(ns, [min(r[1][k], cap) for r in rows], "o" + style, color="C3", label=f"final form: {label}")
        ax.plot(ns, [min(r[2][k], cap) for r in rows], "s" + style, color="C0", label=f"echelon form: {label}")
    ax.axhline(1e-9, color="0.6", lw=0.8, ls=":")
    ax.set_yscale("log")
    ax.set_ylim(1e-17, 1e2)
    ax.set_xlabel("hidden units n (2 outputs, slow modes)")
    ax.set_ylabel("relative error vs the RNN")
    ax.set_title("RNN -> VARMA: final-equation vs echelon form (failures at the top)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "accuracy_vs_n.png", dpi=120)
    plt.close(fig)


def se_free_min(se, st) -> float:
    """The smallest standard error of a free coefficient."""
    return float(min(se["a0"][st.a0_free].min(initial=np.inf), se["ar"][st.ar_free].min(), se["ma"][st.ma_free].min()))


def part2(quick, out):
    y = np.loadtxt(DATA, delimiter=",", skiprows=1)
    print(f"\nPart 2: echelon-form fits to {y.shape[0]} quarters of {', '.join(NAMES)} growth")
    cands = [c for c in rnnss.kronecker_candidates(3, 1) if c.degree >= 1]
    if quick:
        cands = cands[:3]
    print(f"{'indices':>10} {'params':>6} {'loglik':>11} {'AIC':>9} {'BIC':>9}  converged")
    table = []
    for c in cands:
        fit = rnnss.fit_varma_rnn(y, kronecker_indices=c.kronecker_indices, standard_errors=False)
        table.append((c.kronecker_indices, fit))
        print(
            f"{str(c.kronecker_indices):>10} {fit.n_params:>6} {fit.loglik:11.4f} {fit.aic:9.2f} {fit.bic:9.2f}  "
            f"{fit.converged}"
        )
    best = min(table, key=lambda t: t[1].bic)
    idx = best[0]
    print(f"BIC chooses {idx}; the identification report:")
    print(rnnss.varma_identification(kronecker_indices=idx).summary())
    print(rnnss.varma_identification(1, 1, 3).summary())

    # Several starts: the Hannan-Rissanen start and random perturbations of the estimate (same indices).
    st = rnnss.echelon_structure(idx)
    g = np.random.default_rng(1)
    base = best[1].varma
    estimates, lls = [], []
    n_starts = 3 if quick else 10
    for s in range(n_starts):
        start = None
        while s:
            a0, ar, ma = base.a0.copy(), np.array(base.ar), np.array(base.ma)
            a0[st.a0_free] += g.normal(0, 0.2, st.a0_free.sum())
            ar[st.ar_free] += g.normal(0, 0.2, st.ar_free.sum())
            ma[st.ma_free] += g.normal(0, 0.2, st.ma_free.sum())
            start = rnnss.VARMA(ar=ar, ma=ma, sigma=base.sigma, intercept=base.intercept, a0=a0, kronecker_indices=idx)
            if start.is_stationary and start.is_invertible:
                break
        fit = rnnss.fit_varma_rnn(y, kronecker_indices=idx, start=start, gtol=1e-8, standard_errors=s == 0)
        if s == 0:
            se = fit.std_errors
        free = np.concatenate(
            [fit.varma.a0[st.a0_free], np.array(fit.varma.ar)[st.ar_free], np.array(fit.varma.ma)[st.ma_free]]
        )
        estimates.append(free)
        lls.append(fit.loglik)
        print(f"  start {s}: loglik {fit.loglik:.8f}, {fit.n_iter} iterations, converged {fit.converged}")
    E, lls = np.array(estimates), np.array(lls)
    top = lls > lls.max() - 1e-6
    print(
        f"{top.sum()} of {n_starts} starts reach the maximum {lls.max():.6f}; their estimates differ by at most "
        f"{np.max(np.ptp(E[top], axis=0)):.1e} (standard errors {se_free_min(se, st):.1e} and up)"
    )
    if not top.all():
        print(
            "  (the others stopped at lower stationary points: VARMA likelihoods have several local maxima, often "
            "near the boundary of invertibility -- identification removes flat directions, not local maxima)"
        )
    E = E[top]
    se_free = np.concatenate([se["a0"][st.a0_free], se["ar"][st.ar_free], se["ma"][st.ma_free]])

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    labels = [str(t[0]) for t in table]
    ax1.plot(labels, [t[1].aic for t in table], "o-", label="AIC")
    ax1.plot(labels, [t[1].bic for t in table], "s-", label="BIC")
    ax1.set_xlabel("Kronecker indices")
    ax1.tick_params(axis="x", rotation=45, labelsize=7)
    ax1.legend(fontsize=8)
    ax1.set_title("echelon forms with indices <= 1", fontsize=9)
    xs = np.arange(E.shape[1])
    ax2.errorbar(xs, E[0], yerr=2 * se_free, fmt="none", ecolor="0.7", label="+-2 s.e.")
    for s in range(len(E)):
        ax2.plot(xs, E[s], "o", ms=8 - 0.5 * s, mfc="none", label=f"{len(E)} starts" if s == 0 else None)
    ax2.set_xlabel("free coefficient (A_0, A_1, M_1)")
    ax2.set_title(f"indices {idx}: one estimate from {len(E)} starts", fontsize=9)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "macro_echelon_fits.png", dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sizes, candidates and starts")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    part1([2, 4, 8] if args.quick else [2, 4, 6, 8, 10, 12, 16], out)
    part2(args.quick, out)
    print(f"\nfigures written to {out}/")


if __name__ == "__main__":
    main()
