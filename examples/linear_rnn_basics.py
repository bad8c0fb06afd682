"""Memory, stability and transient growth of a linear RNN, and the Euler-step view of exploding networks.

Run:  python examples/linear_rnn_basics.py [--quick] [--outdir DIR]
Prints the eigenmodes of the demo model, checks the unrolled sum against the recursion and against
python-control, and saves two figures: the transient growth ||W^k|| and an Euler step past its limit.
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")
import control  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rnnss  # noqa: E402
from rnnss.demo import default_model  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter sequences")
    parser.add_argument("--outdir", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = pathlib.Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    T = 100 if args.quick else 2000

    rnn = default_model()
    print(rnn)
    print(rnnss.eigenmodes(rnn))

    # The unrolled sum, the recursion and python-control agree.
    x = np.random.default_rng(0).standard_normal((T, 1))
    traj = rnnss.simulate(rnn, x=x, noise=False)
    u = np.column_stack([np.vstack([x, [[0.0]]]), np.ones(T + 1)])  # u[k] = [x_{k+1}; 1]
    ref = control.forced_response(rnn.to_statespace(), T=rnn.dt * np.arange(T + 1), U=u.T, X0=rnn.h0)
    print(f"recursion vs unrolled sum: {np.max(np.abs(traj.h[-1] - rnnss.unroll(rnn, x))):.2e}")
    print(f"recursion vs python-control forced_response: {np.max(np.abs(traj.h - ref.states[:, 1:].T)):.2e}")

    # Transient growth of a stable, non-normal W.
    tg = rnnss.transient_growth(rnn)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogy(tg.norms, label=r"$\|W^k\|_2$")
    ax.semilogy(rnn.spectral_radius ** np.arange(len(tg.norms)), "--", label=r"$\rho(W)^k$")
    ax.set_xlabel("k [steps]")
    ax.legend()
    ax.set_title(f"transient growth: peak {tg.peak:.2f} at k = {tg.peak_step}")
    fig.tight_layout()
    fig.savefig(out / "transient_growth.png", dpi=120)
    plt.close(fig)

    # A decaying ODE, Euler steps below and above the stability limit.
    J = np.array([[-1.0, 8.0], [-8.0, -1.0]])
    limit = rnnss.euler_max_step(J)
    print(f"Euler stability limit for J: dt < {limit:.4f}")
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for dt in (0.3 * limit, 1.5 * limit):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            step = rnnss.from_continuous(J, dt=dt, method="euler", h0=[1.0, 0.0])
        h = rnnss.simulate(step, int(4 / dt), noise=False).h
        ax.semilogy(
            dt * np.arange(1, len(h) + 1),
            np.linalg.norm(h, axis=1),
            label=f"dt = {dt:.4f} (rho = {step.spectral_radius:.3f})",
        )
    exact = rnnss.from_continuous(J, dt=0.01, h0=[1.0, 0.0])
    h = rnnss.simulate(exact, 400, noise=False).h
    ax.semilogy(0.01 * np.arange(1, 401), np.linalg.norm(h, axis=1), "k:", label="exact (zoh)")
    ax.set_xlabel("time")
    ax.set_ylabel(r"$\|h\|$")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "euler_instability.png", dpi=120)
    plt.close(fig)
    print(f"figures written to {out}/")


if __name__ == "__main__":
    main()
