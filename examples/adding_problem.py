"""Train a tanh RNN, an LSTM and a GRU on the adding problem as the gap grows, then look inside what they learnt.

Run:  python examples/adding_problem.py [--quick] [--outdir DIR]
For each sequence length T the three cells (same number of units, same Adam settings, exact BPTT gradients)
learn to output the sum of the two marked values of a sequence; a constant guess scores the baseline MSE
1/6. The tanh RNN fails once the first marker lies tens of steps back, the gated cells do not. Then, for the
networks trained at the longest T: the forget-gate retention f of the LSTM as time constants tau = -1/ln f
(steps), the decay of the Jacobian products d s_T / d s_{T-k} that carry the gradient, the Lyapunov spectrum
of the driven network and its fixed points at rest. Saves five figures.
"""

import argparse
import functools
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rnnss  # noqa: E402
from rnnss.plot import plot_gradient_norms, plot_lyapunov, plot_training  # noqa: E402


def save(fig, path):
    fig.savefig(path, dpi=110)
    plt.close(fig)


def make_cell(kind, n, T, seed):
    if kind == "tanh RNN":
        return rnnss.random_cell("elman", n, 2, rng=seed)
    if kind == "LSTM":
        # chrono initialisation (Tallec & Ollivier 2018): forget-gate time constants spread up to T steps
        return rnnss.random_cell("lstm", n, 2, chrono=max(T, 3), rng=seed)
    return rnnss.random_cell("gru", n, 2, rng=seed)


def retention(cell, xs):
    """Per-unit median over steps and sequences of the fraction of memory kept per step.

    LSTM: the forget gate f of c_t = f c_{t-1} + i g. GRU (rnnss's convention): 1 - z of h_t = (1 - z) h + z h~.
    """
    states = rnnss.scan(cell, xs)
    prev = np.concatenate([np.zeros((xs.shape[0], 1, cell.state_size)), states[:, :-1]], axis=1)
    gates = cell.gates(xs.reshape(-1, 2), prev.reshape(-1, cell.state_size))
    keep = gates["f"] if isinstance(cell, rnnss.LSTMCell) else 1.0 - gates["z"]
    return np.median(keep, axis=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short sequences, few iterations")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    quick = args.quick

    lengths = (5, 20) if quick else (5, 10, 25, 50, 100, 200)
    n = 6 if quick else 16
    settings = dict(
        steps=40 if quick else 1000,
        batch_size=32,
        learning_rate=0.01,
        clip=1.0,
        validation=64 if quick else 256,
        eval_every=10 if quick else 50,
        rng=0,
    )
    kinds = ("tanh RNN", "LSTM", "GRU")

    # 1. Validation MSE against the gap T, relative to the 1/6 of a constant guess.
    print(f"1. Adding problem, {n} units, Adam ({settings['steps']} iterations of 32 sequences), exact BPTT")
    print(f"   baseline (best constant guess): MSE = Var(u1 + u2) = 1/6 = {1 / 6:.4f}")
    print(f"   {'T':>5s}" + "".join(f"{k:>12s}" for k in kinds) + "   (validation MSE / baseline)")
    results = {}
    for T in lengths:
        task = functools.partial(rnnss.adding_problem, T=T)
        row = []
        for kind in kinds:
            res = rnnss.train(make_cell(kind, n, T, seed=1), task, **settings)
            results[kind, T] = res
            row.append(res.relative_loss)
        print(f"   {T:5d}" + "".join(f"{r:12.3f}" for r in row))
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, kind in enumerate(kinds):
        ax.semilogy(lengths, [results[kind, T].relative_loss for T in lengths], "o-", color=f"C{i}", label=kind)
    ax.axhline(1.0, color="k", ls="--", lw=0.8, label="constant guess")
    ax.set_xlabel("sequence length T")
    ax.set_ylabel("validation MSE / baseline 1/6")
    ax.set_title(f"adding problem, {n} units, same training budget")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, out / "mse_vs_length.png")

    T = lengths[-1]
    trained = {kind: results[kind, T] for kind in kinds}
    save(plot_training(trained), out / "training_curves.png")
    print(f"\n   the three runs at T = {T}:")
    for kind in kinds:
        print("   " + trained[kind].summary().replace("\n", "\n   "))

    # 2. What the gates learnt: retention per step and its time constant tau = -1 / ln f (in steps).
    probe = rnnss.adding_problem(64, T, rng=99)
    print(f"\n2. Learnt memory time constants at T = {T} (median gate value over the validation sequences)")
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    for i, kind in enumerate(("LSTM", "GRU")):
        keep = np.clip(retention(trained[kind].cell, probe.x), 1e-12, 1.0)
        tau = np.sort(rnnss.time_constant(keep))[::-1]
        label = "forget gate f" if kind == "LSTM" else "1 - update gate z"
        print(f"   {kind} ({label}): tau = " + ", ".join(f"{t:.3g}" for t in tau[:6]) + " ... steps")
        ax.semilogy(np.arange(1, tau.size + 1), tau, "o-", color=f"C{i + 1}", label=f"{kind}: {label}")
    ax.axhline(T, color="k", ls="--", lw=0.8, label=f"T = {T}")
    ax.set_xlabel("unit (sorted)")
    ax.set_ylabel(r"$\tau = -1 / \ln f$ [steps]")
    ax.set_title("learnt memory time constants")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, out / "time_constants.png")

    # 3. The gradient path: ||d s_T / d s_{T-k}|| along one adding sequence.
    x = probe.x[0]
    flows = {kind: rnnss.jacobian_products(trained[kind].cell, x, store_products=False) for kind in kinds}
    print(f"\n3. Jacobian products along one sequence of T = {T}: ||d s_T / d s_{{T-k}}||_2")
    lags = (T // 4, T // 2, T)
    for kind, flow in flows.items():
        print(f"   {kind:9s} " + "   ".join(f"k = {k}: {flow.norms[k]:.3g}" for k in lags))
    save(plot_gradient_norms(flows, bounds=False), out / "gradient_norms.png")

    # 4. Lyapunov spectra of the trained networks driven by adding-problem inputs (markers included).
    long_x = rnnss.adding_problem(1, 400 if quick else 4000, rng=7).x[0]
    spectra = {kind: rnnss.lyapunov_exponents(trained[kind].cell, long_x, discard=50, n_exponents=4) for kind in kinds}
    print("\n4. Leading Lyapunov exponents [1/step] driven by adding-problem inputs (0: marginal memory)")
    for kind, spec in spectra.items():
        exps = ", ".join(f"{e:.4f}" for e in spec.exponents)
        print(f"   {kind:9s} {exps}   (e-folding of the slowest direction: {-1 / spec.exponents[0]:.3g} steps)")
    save(plot_lyapunov(spectra), out / "lyapunov.png")

    # 5. Fixed points at rest (value 0.5, no marker) and their slowest mode.
    rest = np.array([0.5, 0.0])
    print("\n5. Fixed points of the trained networks under the input (0.5, no marker)")
    for kind in kinds:
        cell = trained[kind].cell
        fp = rnnss.fixed_points(cell, rest, n_starts=16 if quick else 64, rng=0)
        if len(fp) == 0:
            print(f"   {kind:9s} none found")
            continue
        i = int(np.argmax(fp.basin_counts))
        print(
            f"   {kind:9s} {fp!r}\n   {'':9s} most-reached point: spectral radius {fp.spectral_radius[i]:.4f}, "
            f"slowest mode half-life {fp.half_life[i]:.4g} steps ({fp.stability[i]})"
        )


if __name__ == "__main__":
    main()
