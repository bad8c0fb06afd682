"""Nonlinear cells as dynamical systems: fixed points, the tanh bifurcation, Lyapunov spectra, gradient decay.

Run:  python examples/dynamics_gallery.py [--quick] [--outdir DIR]
Finds and classifies the fixed points of a two-unit tanh network, maps the bistable region of the tanh
neuron h = tanh(w h + b), measures the Lyapunov spectrum of random tanh networks across the gain (the
edge of chaos), compares how the BPTT gradient decays in a tanh RNN and an LSTM, and tracks a noisy
bistable network's hidden state with the extended and unscented Kalman filters. Saves five figures.
"""

import argparse
import math
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rnnss  # noqa: E402
from rnnss import (  # noqa: E402
    ElmanCell,
    NoisyCell,
    extended_kalman_filter,
    fixed_points,
    jacobian_products,
    linearize,
    lyapunov_exponents,
    random_cell,
    simulate,
    tanh_bifurcation,
    time_constant,
    unscented_kalman_filter,
)
from rnnss.plot import plot_bifurcation, plot_gradient_norms, plot_lyapunov, plot_phase_portrait  # noqa: E402


def save(fig, path):
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller networks and shorter runs")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    quick = args.quick

    # 1. Fixed points of a two-unit tanh network with a small bias, and their linearisations.
    cell = ElmanCell(W=[[1.6, 0.5], [0.5, 1.1]], b=[0.05, -0.02])
    fp = fixed_points(cell, n_starts=100, rng=0)
    print("1. Fixed points of h = tanh(W h + b)")
    print(fp.summary())
    for pt in fp.where("stable"):
        modes = rnnss.eigenmodes(linearize(cell, pt))
        print(f"   stable point {np.round(pt, 4)}: slowest perturbation half-life {modes.half_life[0]:.3f} steps")
    save(plot_phase_portrait(cell, fixed=fp, grid=15 if quick else 25), out / "fixed_points.png")

    # 2. The tanh neuron h = tanh(w h + b): pitchfork at w = 1, folds at |b| = b_c(w).
    nw, nb = (61, 41) if quick else (301, 201)
    bif = tanh_bifurcation(np.linspace(0.0, 3.0, nw), np.linspace(-1.0, 1.0, nb))
    print("\n2. Bifurcation of h = tanh(w h + b)")
    print(f"   {bif!r}")
    bc2 = float(tanh_bifurcation(2.0, 0.0).saddle_node_bias()[0])
    print(f"   w = 2 stores a bit for |b| < b_c(2) = sqrt(2) - artanh(sqrt(1/2)) = {bc2:.4f}")
    save(plot_bifurcation(bif), out / "bifurcation.png")

    # 3. Lyapunov spectrum of random autonomous tanh networks h = tanh(g W h), W ~ N(0, 1/n).
    n = 20 if quick else 60
    T = 300 if quick else 3000
    W0 = np.random.default_rng(1).standard_normal((n, n)) / np.sqrt(n)
    h0 = np.random.default_rng(2).uniform(-1, 1, n)
    print(f"\n3. Largest Lyapunov exponent of h = tanh(g W h), n = {n}, {T} steps")
    spectra = {}
    for g in (0.5, 0.9, 1.5, 3.0):
        spec = lyapunov_exponents(ElmanCell(g * W0), steps=T, h0=h0, discard=T // 5, n_exponents=3, rng=0)
        spectra[f"g = {g}"] = spec
        lam = spec.max_exponent
        regime = "chaotic" if lam > 0.01 else "contracting" if lam < -0.01 else "near the edge of chaos"
        print(f"   g = {g:3.1f}: lambda_1 = {spec.max_exponent:+.4f} per step ({regime})")
    save(plot_lyapunov(spectra), out / "lyapunov.png")

    # 4. Gradient decay: a tanh RNN against an LSTM whose forget gates sit at sigma(4.6) = 0.99.
    n, T = (8, 100) if quick else (32, 300)
    x = np.random.default_rng(3).standard_normal((T, 2))
    tanh_rnn = random_cell("elman", n, 2, gain=1.0, rng=4)
    lstm = random_cell("lstm", n, 2, forget_bias=4.6, gain=0.1, rng=4)
    flows = {
        "tanh RNN": jacobian_products(tanh_rnn, x, store_products=False),
        "LSTM, f = 0.99": jacobian_products(lstm, x, store_products=False),
    }
    print(f"\n4. ||d s_T / d s_(T-k)||_2 over T = {T} steps")
    for label, flow in flows.items():
        print(f"   {label}: {flow.norms[T]:.3g} after {T} steps, geometric rate {flow.rate:.4f} per step")
    print("   (the LSTM's cell-state path multiplies by f ~ 0.99 per step; gate feedback can tip it just above 1)")
    print(
        f"   the vanishing-gradient arithmetic: 0.95^60 = {0.95**60:.3f}; adding problem "
        f"0.90^499 = {0.90**499:.2e} vs 0.99^499 = {0.99**499:.2e}"
    )
    print(f"   forget gate f = 0.95 at dt = 0.02 s remembers for tau = {time_constant(0.95, 0.02):.3f} s")
    save(plot_gradient_norms(flows, bounds=False), out / "gradient_norms.png")

    # 5. Hidden state of a noisy bistable network from one noisy output: EKF and UKF.
    model = NoisyCell(ElmanCell(W=[[1.2, 0.2], [0.2, 0.9]]), Q=0.04 * np.eye(2), R=0.02, V=[[1.0, 0.5]], P0=0.5)
    traj = simulate(model, 150 if quick else 600, rng=5)
    ekf = extended_kalman_filter(model, traj.y)
    ukf = unscented_kalman_filter(model, traj.y)
    rmse = {k: math.sqrt(np.mean((r.filtered_means - traj.h) ** 2)) for k, r in (("EKF", ekf), ("UKF", ukf))}
    print("\n5. Filtering h_t = tanh(W h_(t-1)) + eta from y_t = h_1 + 0.5 h_2 + eps")
    print(f"   RMSE of the hidden state: EKF {rmse['EKF']:.4f}, UKF {rmse['UKF']:.4f} (state std {traj.h.std():.3f})")
    print(f"   log-likelihood: EKF {ekf.loglik:.2f}, UKF {ukf.loglik:.2f}")
    fig, ax = plt.subplots(figsize=(7, 3.2))
    t = np.arange(1, len(traj.h) + 1)
    ax.plot(t, traj.h[:, 0], "k", lw=1, label="true $h_1$")
    ax.plot(t, ukf.filtered_means[:, 0], "C1", lw=1, label="UKF")
    sd = np.sqrt(ukf.filtered_covs[:, 0, 0])
    ax.fill_between(t, ukf.filtered_means[:, 0] - 2 * sd, ukf.filtered_means[:, 0] + 2 * sd, color="C1", alpha=0.25)
    ax.plot(t, ekf.filtered_means[:, 0], "C0--", lw=1, label="EKF")
    ax.set_xlabel("t [steps]")
    ax.legend(fontsize=8, loc="lower right")
    # Count switches with hysteresis (|h_1| > 0.5 on each side), so jitter around 0 is not counted.
    side = np.sign(traj.h[:, 0])[np.abs(traj.h[:, 0]) > 0.5]
    switches = int(np.sum(side[1:] != side[:-1]))
    print(f"   the noise kicks the state between the two attractors {switches} times")
    ax.set_title("a bistable network switching under noise, seen through one noisy output")
    fig.tight_layout()
    save(fig, out / "nonlinear_filtering.png")
    print(f"\nfigures written to {out}/")


if __name__ == "__main__":
    main()
