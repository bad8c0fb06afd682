"""Takens on the Lorenz system: delay embedding, false nearest neighbours, and a fitted model's states against them.

Run:  python examples/lorenz_embedding.py [--quick] [--outdir DIR]
Generates the Lorenz x series (scipy's solve_ivp), measures its largest Lyapunov exponent from the variational
equations, finds the embedding dimension by false nearest neighbours (Kennel et al. 1992), reconstructs the attractor
from three delays, fits a 3-unit linear RNN to the series and compares its Kalman-filtered states with the delay
vectors (canonical correlations, R^2), next to the true state (x, y, z). Saves two figures.
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rnnss  # noqa: E402


def save(fig, path):
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter series and fewer starts")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    quick = args.quick

    # 1. Data: 60 (quick: 30) time units of the Lorenz system sampled every 0.01, after a transient of 20.
    lorenz = rnnss.Lorenz()
    dt = 0.01
    T = 3000 if quick else 6000
    states = rnnss.simulate_flow(lorenz, T, dt=dt, discard=20.0, rng=0, rtol=1e-9, atol=1e-9)
    x = states[:, 0]
    print(f"1. {lorenz!r}: {T} samples every {dt} time units")

    # 2. The largest Lyapunov exponent from the flow (variational equations), several starts at once.
    n_starts, duration = (4, 20.0) if quick else (16, 40.0)
    spec = rnnss.flow_lyapunov_exponents(
        lorenz, duration=duration, discard=10.0, n_starts=n_starts, rng=1, rtol=1e-7, atol=1e-7
    )
    print(f"2. Lyapunov exponents {np.round(spec.exponents, 3)} per time unit ({n_starts} starts x {duration:g})")
    print(f"   literature (Sprott 2003): 0.9056, 0, -14.5723; sum = -(sigma + 1 + beta) = {-(10 + 1 + 8 / 3):.4f}")

    # 3. False nearest neighbours for three lags.
    dims = np.arange(1, 7)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    print("3. False nearest neighbours of the x series (Rtol = 15, Atol = 2)")
    for lag in (5, 10, 17):
        fnn = rnnss.false_nearest_neighbors(x, dims=dims, lag=lag)
        print(f"   lag {lag * dt:.2f}: " + ", ".join(f"d={d}: {f:.2%}" for d, f in zip(fnn.dims, fnn.fraction)))
        ax.semilogy(fnn.dims, np.maximum(fnn.fraction, 1e-4), "o-", label=f"lag {lag * dt:.2f}")
    ax.axhline(0.01, color="k", lw=0.8, ls=":")
    ax.text(5.9, 0.012, "1%", ha="right", fontsize=8)
    ax.set(xlabel="embedding dimension d", ylabel="false-neighbour fraction (floored at 1e-4)")
    ax.set_title("Lorenz x: three delays embed the attractor")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, out / "fnn.png")

    # 4. A 3-unit linear RNN fitted to the x series (every 5th sample), its filtered states against the delays.
    lag = 17
    xs = x[::5]
    method = "subspace" if quick else "mle"
    fit = rnnss.fit_linear_rnn(xs, 3, method=method, standard_errors=False)
    filtered = rnnss.kalman_filter(fit.rnn, xs).filtered_means
    geo_true = rnnss.compare_geometry(states[::5], xs, dim=3, lag=2)
    geo_true2 = rnnss.compare_geometry(states[::5], xs, dim=3, lag=2, degree=2)
    with np.printoptions(precision=4, suppress=True):
        print(
            f"4. A 3-unit linear RNN fitted to x every 0.05 ({method}), "
            f"loglik {fit.loglik:.1f}: its filtered states against delay vectors of x at the same times"
        )
        for dim in (3, 20):
            geo = rnnss.compare_geometry(filtered, xs, dim=dim, lag=1)
            print(
                f"   {dim:2d} delays of 0.05: canonical correlations {geo.canonical_correlations}, "
                f"R^2 of the states from the delays {geo.r2_states_from_delays}"
            )
        print(
            f"   true state (x, y, z) against 3 delays of 0.1: canonical correlations {geo_true.canonical_correlations}"
        )
        print(
            f"   R^2 of (x, y, z) from the delays: linear {geo_true.r2_states_from_delays}, "
            f"quadratic {geo_true2.r2_states_from_delays} (z is even in the delays of x: a curved map)"
        )

    # Figure: the attractor, its delay reconstruction, and the fitted model's state trajectory.
    E = rnnss.delay_embedding(x, 3, lag)
    fig = plt.figure(figsize=(11, 3.8))
    panels = [
        (states, ("x", "y", "z"), "the Lorenz attractor"),
        (E, ("$x_t$", f"$x_{{t-{lag * dt:g}}}$", f"$x_{{t-{2 * lag * dt:g}}}$"), "delay reconstruction from x"),
        (filtered, ("$h_1$", "$h_2$", "$h_3$"), "filtered states of a fitted linear RNN"),
    ]
    for i, (P, labels, title) in enumerate(panels):
        ax = fig.add_subplot(1, 3, i + 1, projection="3d")
        ax.set_box_aspect(None, zoom=0.85)  # room for the z label
        ax.plot(P[:, 0], P[:, 1], P[:, 2], lw=0.4)
        ax.set_xlabel(labels[0], fontsize=8)
        ax.set_ylabel(labels[1], fontsize=8)
        ax.set_zlabel(labels[2], fontsize=8)
        ax.tick_params(labelsize=6)
        ax.set_title(title, fontsize=9)
    fig.subplots_adjust(left=0.0, right=0.97, top=0.93, bottom=0.03, wspace=0.08)
    save(fig, out / "reconstruction.png")
    print(f"\nfigures written to {out}/")


if __name__ == "__main__":
    main()
