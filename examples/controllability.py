"""Can we steer the hidden state of an RNN, can we read it? Controllability, observability and model reduction.

Run:  python examples/controllability.py [--quick] [--outdir DIR]

On the demo network (a damped oscillator feeding a leaky integrator) this script
  1. prints the structure report (controllable? observable? with margins),
  2. steers the hidden state to a target with the minimum-energy input and checks it by simulation,
     and plots the trajectory and the energy-versus-horizon trade-off,
  3. reads the hidden state back from the outputs (exactly without noise, by least squares with noise),
  4. shows a bank of 20 leaky integrators whose Kalman matrix is numerically rank deficient although PBH
     and the staircase (and exact rational arithmetic) say it is controllable,
  5. removes redundant units from a padded network with minimal_realization (Markov parameters unchanged),
  6. reduces the leaky bank by balanced truncation and compares the error bound 2 * sum(tail HSV) with the
     measured H-infinity and Hankel errors.
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import scipy.linalg  # noqa: E402

import rnnss  # noqa: E402
from rnnss import (  # noqa: E402
    balanced_truncation,
    controllability_matrix,
    controllability_staircase,
    hankel_singular_values,
    minimal_realization,
    numerical_rank,
    pbh_test,
    reconstruct_state,
    steer,
    structure_report,
)
from rnnss.demo import default_model  # noqa: E402


def frequency_response(rnn, omegas):
    """H(e^{iw}) = V (I - W e^{-iw})^{-1} U: the x -> y map (rnnss timing: input acts in its own step)."""
    n = rnn.n_hidden
    return np.stack([rnn.V @ np.linalg.solve(np.eye(n) - rnn.W * np.exp(-1j * w), rnn.U) for w in omegas])


def hinf_error(a, b, omegas):
    diff = frequency_response(a, omegas) - frequency_response(b, omegas)
    return float(np.max(np.linalg.norm(diff, 2, axis=(1, 2))))


def hankel_error(a, b):
    """Hankel norm of G_a - G_b: the largest Hankel singular value of the difference system."""
    diff = rnnss.LinearRNN(W=scipy.linalg.block_diag(a.W, b.W), U=np.vstack([a.U, b.U]), V=np.hstack([a.V, -b.V]))
    return float(hankel_singular_values(diff)[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser frequency grid, fewer horizons")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    omegas = np.linspace(0, np.pi, 300 if args.quick else 4000)
    rng = np.random.default_rng(0)

    # 1. Is the network controllable, is it observable? Answered with margins.
    rnn = default_model()
    print(structure_report(rnn))

    # 2. Steering: the minimum-energy input that puts h at a target after N steps (biases included).
    target = np.array([1.0, -0.5, 2.0])
    N = 12
    res = steer(rnn, target, N)
    sim = rnnss.simulate(rnn, x=res.inputs, noise=False)
    print(
        f"\nSteer h from h0 = {rnn.h0} to {target} in {N} steps: energy {res.energy:.4g}, "
        f"simulated h_N = {np.array2string(sim.h[-1], precision=6)}, miss {np.linalg.norm(sim.h[-1] - target):.1e}"
    )
    horizons = np.arange(3, 16 if args.quick else 41)
    energies = [steer(rnn, target, k).energy for k in horizons]
    print(
        f"Energy needed: {energies[0]:.4g} in {horizons[0]} steps, {energies[-1]:.4g} in {horizons[-1]} steps "
        "(a longer horizon lets the dynamics do more of the work)"
    )
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    t = np.arange(0, N + 1)
    h = np.vstack([rnn.h0, sim.h])
    for i in range(3):
        axes[0].plot(t, h[:, i], marker="o", ms=3, label=f"$h_{i + 1}$")
        axes[0].axhline(target[i], color=f"C{i}", ls=":", lw=1)
    axes[0].set_xlabel("step t")
    axes[0].set_title("steered hidden state (dotted: target)")
    axes[0].legend(fontsize=8)
    axes[1].step(np.arange(1, N + 1), res.inputs[:, 0], where="mid")
    axes[1].set_xlabel("step t")
    axes[1].set_title(f"minimum-energy input (energy {res.energy:.3g})")
    axes[2].semilogy(horizons, energies, marker=".")
    axes[2].set_xlabel("horizon N [steps]")
    axes[2].set_title("energy to reach the target")
    fig.tight_layout()
    fig.savefig(out / "steering.png", dpi=120)
    plt.close(fig)

    # 3. Reading the hidden state back from the outputs y = V h + d (and the known inputs).
    x = rng.standard_normal((30, 1))
    truth = rnnss.simulate(rnn, x=x, noise=False)
    rec = reconstruct_state(rnn, truth.y, x)
    print(
        f"\nReconstruct h from noiseless y: rank {rec.rank}/{rnn.n_hidden}, condition {rec.condition:.3g}, "
        f"max |h - h_hat| = {np.max(np.abs(rec.states - truth.h)):.1e}"
    )
    noisy = truth.y + 0.01 * rng.standard_normal(truth.y.shape)
    rec_noisy = reconstruct_state(rnn, noisy, x)
    print(
        f"  with output noise of std 0.01: max |h - h_hat| = {np.max(np.abs(rec_noisy.states - truth.h)):.3g} "
        f"(least squares; the Kalman smoother is the optimal tool for noisy data)"
    )

    # 4. Why PBH and not the rank of the Kalman matrix.
    bank = rnnss.LinearRNN(W=np.diag(np.linspace(0.05, 0.95, 20)), U=np.ones((20, 1)), V=np.ones((1, 20)) / 20)
    kal = numerical_rank(controllability_matrix(bank))
    pbh = pbh_test(bank)
    print(
        f"\n20 leaky integrators, one input: Kalman-matrix rank {kal.rank}/20 in floating point, but PBH says "
        f"controllable={pbh.controllable.all()} (smallest margin {pbh.controllability_margin.min():.2g}) and the "
        f"staircase finds dimension {controllability_staircase(bank).dim}"
    )

    # 5. A padded network: two extra units that the input never reaches or the output never reads.
    W = scipy.linalg.block_diag(rnn.W, 0.7, 0.3)
    W[3, 0] = 0.4  # unit 4 listens to unit 1 but nobody reads it
    padded = rnnss.LinearRNN(W=W, U=np.vstack([rnn.U, [[0.0], [0.0]]]), V=np.hstack([rnn.V, [[0.0, 0.5], [0.0, 0.0]]]))
    small = minimal_realization(padded)
    diff = np.max(np.abs(rnnss.markov_parameters(small, 200) - rnnss.markov_parameters(padded, 200)))
    print(
        f"\nPadded network with n = {padded.n_hidden}: minimal realisation has n = {small.n_hidden}; "
        f"max |Markov parameter difference| over 200 lags = {diff:.1e}"
    )

    # 6. Balanced truncation of the leaky bank, with the a-priori bound.
    hsv = hankel_singular_values(bank)
    orders = np.arange(1, 7 if args.quick else 11)
    bounds, hinf, hank = [], [], []
    for k in orders:
        bt = balanced_truncation(bank, int(k))
        bounds.append(bt.error_bound)
        hinf.append(hinf_error(bank, bt.rnn, omegas))
        hank.append(hankel_error(bank, bt.rnn))
    print("\nBalanced truncation of the 20-unit bank (sigma_{k+1} <= Hankel err <= H-inf err <= 2 sum tail):")
    for k, b, e, hk in zip(orders, bounds, hinf, hank):
        print(f"  order {k:2d}: sigma_k+1 {hsv[k]:.3e}  Hankel {hk:.3e}  H-inf {e:.3e}  bound {b:.3e}")
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    ax.semilogy(np.arange(1, 21), hsv, "k.", label="Hankel singular values $\\sigma_i$")
    ax.semilogy(orders, bounds, "C3-", label="bound $2\\sum_{i>k}\\sigma_i$")
    ax.semilogy(orders, hinf, "C0o-", ms=4, label="measured $\\|G - G_k\\|_\\infty$")
    ax.semilogy(orders, hank, "C2s--", ms=3, label="measured Hankel norm")
    ax.set_xlabel("order k")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_title("balanced truncation of 20 leaky integrators")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "balanced_truncation.png", dpi=120)
    plt.close(fig)
    print(f"\nfigures written to {out}/")


if __name__ == "__main__":
    main()
