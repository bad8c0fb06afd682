"""Fitting the dishonest casino from its rolls: Baum-Welch EM, the truth recovered, the fit as an RNN.

Run:  python examples/fit_hmm.py [--quick] [--outdir DIR]
Loads the casino HMM (fair die / loaded die, examples/data/casino_hmm.json), lets it roll 10,000 times,
and forgets it. rnnss.fit_hmm then estimates a two-state HMM from the rolls alone (Baum-Welch EM from
random starts, on the compiled forward-backward recursions), the fitted states are matched to the true
ones (the labels of a fitted HMM are arbitrary), and the estimates are compared with the truth. The
fitted model is converted to the one-hot softmax RNN and to the belief-state RNN, which reproduce its
log-likelihood; BIC over 1..4 states picks two. Saves two figures: the probability of the loaded die
(fitted model against the truth) with the true loaded stretches shaded, and the EM log-likelihood curve
of every restart.
"""

import argparse
import pathlib
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rnnss  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parent / "data"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rolls and restarts")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    T, restarts = (2000, 2) if args.quick else (10_000, 5)

    truth = rnnss.load(DATA / "casino_hmm.json")
    draw = truth.sample(T, rng=2026)
    rolls, loaded_truth = draw.y, draw.states == 1
    print(f"the casino rolled {T} times; the loaded die was in play {loaded_truth.mean():.0%} of the time\n")

    t0 = time.perf_counter()
    fit = rnnss.fit_hmm(rolls, 2, n_restarts=restarts, rng=0)
    print(fit.summary())
    print(f"({time.perf_counter() - t0:.2f} s)\n")

    # Label switching: the fitted state that favours a six is the loaded die.
    order = [1, 0] if fit.model.B[0, 5] > fit.model.B[1, 5] else [0, 1]
    A, B = fit.model.A[np.ix_(order, order)], fit.model.B[order]
    with np.printoptions(precision=3, suppress=True):
        print("transition matrix A (rows: fair, loaded)   fitted vs true")
        for i in range(2):
            print(f"  {A[i]}   {truth.A[i]}")
        print("emission matrix B (faces 1..6)")
        for i, name in enumerate(("fair  ", "loaded")):
            print(f"  {name} fitted {B[i]}\n         true   {truth.B[i]}")
    print(f"largest error: A {np.abs(A - truth.A).max():.3f}, B {np.abs(B - truth.B).max():.3f}")
    ll_true = rnnss.hmm_loglik(truth, rolls)
    print(f"log-likelihood of the rolls: fitted {fit.loglik:.4f} >= true parameters {ll_true:.4f}\n")

    # The fitted HMM is an RNN: its softmax form and its belief-state form have its likelihood.
    cell = rnnss.hmm_to_rnn(fit.model)
    run = rnnss.belief_rnn(fit.model).run(rolls)
    routes = {
        "EM (fit.loglik)": fit.loglik,
        "one-hot softmax RNN": cell.loglik(rolls),
        "belief-state RNN, forward": run.loglik,
        "belief-state RNN, backward": run.backward_loglik,
    }
    for name, value in routes.items():
        print(f"  log p(rolls) by {name:28s} {value: .10f}   diff {abs(value - fit.loglik):.1e}")

    states = [1, 2, 3, 4] if not args.quick else [1, 2, 3]
    sel = rnnss.select_hmm_order(rolls, n_states=states, n_restarts=max(2, restarts - 2), rng=1, tol=1e-7, max_iter=500)
    print("\n" + sel.summary())

    # Figure 1: p(loaded | all rolls) under the fitted and the true model, with the true loaded stretches.
    n = min(600, T)
    post_fit = run.posteriors[:n, order[1]]
    post_true = rnnss.hmm_smoother(truth, rolls[:n]).posteriors[:, 1]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.fill_between(np.arange(n), 0, loaded_truth[:n], step="mid", color="0.85", label="loaded die in play (truth)")
    ax.plot(post_true, color="C0", lw=1.2, label="smoothed p(loaded), true model")
    ax.plot(post_fit, color="C3", lw=1.0, ls="--", label="smoothed p(loaded), fitted model")
    ax.set(xlabel="roll", ylabel="probability", ylim=(-0.02, 1.02), title="The fitted HMM finds the loaded die")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "casino_posteriors.png", dpi=120)
    plt.close(fig)

    # Figure 2: EM climbs: distance below the best log-likelihood found, per iteration, every restart.
    best = max(r.loglik for r in fit.restarts)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for r in fit.restarts:
        gap = np.maximum(best - r.loglik_history, 1e-6)  # the returned run ends at 0: drawn at 1e-6
        mark = ", returned" if r.index == fit.best_restart else ""
        ax.plot(np.arange(1, len(gap) + 1), gap, lw=1.2, label=f"restart {r.index} ({r.status}{mark})")
    ax.axhline(best - ll_true, color="k", ls=":", lw=1, label="true parameters")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="EM iteration + 1",
        ylabel="best log-likelihood minus log-likelihood",
        title=f"Baum-Welch from {restarts} random starts",
    )
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "em_loglik.png", dpi=120)
    plt.close(fig)
    print(f"\nfigures written to {out}/")


if __name__ == "__main__":
    main()
