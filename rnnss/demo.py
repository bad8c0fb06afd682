"""The built-in tour: a default model and a readable report of what rnnss can show about it."""

from __future__ import annotations

import io as _io
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from . import _validate as v
from .datafiles import atomic_write
from .discretize import euler_max_step
from .linear import (
    LinearRNN,
    eigenmodes,
    fixed_point,
    impulse_response,
    simulate,
    spectral_norm,
    transient_growth,
    unroll,
)

__all__ = ["default_model", "demo_report", "write_demo"]


def default_model() -> LinearRNN:
    r"""The demo network: a damped oscillator feeding a slow leaky integrator, sampled at 50 Hz.

    ``n = 3`` hidden units, ``p = 1`` input, ``m = 2`` noisy outputs, ``dt = 0.02`` s (a 50 Hz
    sampling interval). Units 1-2 rotate by 22.5 degrees per step with modulus 0.9 (a resonator,
    ``W = alpha A`` with ``A`` a rotation); unit 3 integrates unit 1 with leak 0.98, a one-way
    coupling that makes ``W`` non-normal (transient growth although every mode decays).

    Returns
    -------
    LinearRNN
        The model used by ``rnnss demo`` and the examples.
    """
    th = np.pi / 8
    W = np.array(
        [
            [0.9 * np.cos(th), -0.9 * np.sin(th), 0.0],
            [0.9 * np.sin(th), 0.9 * np.cos(th), 0.0],
            [0.5, 0.0, 0.98],
        ]
    )
    return LinearRNN(
        W=W,
        U=[[1.0], [0.0], [0.0]],
        b=[0.0, 0.0, 0.02],
        V=[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        Q=np.diag([0.1, 0.1, 0.01]),
        R=np.diag([0.5, 0.2]),
        P0=np.eye(3),
        dt=0.02,
    )


def _core(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    modes = eigenmodes(rnn)
    out(f"Model: {rnn!r}")
    out(f"  spectral radius {modes.modulus[0]:.4f}, spectral norm {spectral_norm(rnn):.4f}")
    out(f"Eigenmodes of W (dt = {rnn.dt:g} s, so time constants and periods are in seconds):")
    out("\n".join("  " + line for line in str(modes).splitlines()))
    tg = transient_growth(rnn)
    out(
        f"Transient growth: max_k ||W^k||_2 = {tg.peak:.3f} at k = {tg.peak_step} although every mode decays "
        "(W is non-normal)"
    )
    irf = impulse_response(rnn, 6)[:, :, 0]
    out("Impulse response V W^k U, k = 0..5 (rows: lag, columns: outputs):")
    with np.printoptions(precision=4, suppress=True):
        out("\n".join("  " + line for line in str(irf).splitlines()))
    x = np.ones(1)
    out(f"Fixed point under constant input x = 1: h* = {np.array2string(fixed_point(rnn, x), precision=4)}")
    xs = np.random.default_rng(0).standard_normal((200, 1))
    gap = np.max(np.abs(unroll(rnn, xs) - simulate(rnn, x=xs, noise=False).h[-1]))
    out(f"Unrolled sum  h_T = sum_i W^i (U x_(T-i) + b) + W^T h_0  vs recursion, T = 200: max |diff| = {gap:.1e}")
    J = (rnn.W - np.eye(3)) / rnn.dt
    out(
        f"Read as forward Euler of dh/dt = J h with J = (W - I)/dt: stable for dt < {euler_max_step(J):.4g} s "
        f"(here dt = {rnn.dt:g} s)"
    )


def _structure(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    import scipy.linalg

    from .linear import markov_parameters
    from .realization import minimal_realization
    from .steering import reconstruct_state, steer
    from .structure import controllability_matrix, numerical_rank, pbh_test, structure_report

    out("Can an input steer h anywhere (controllability)? Can y = V h reveal h (observability)?")
    out("\n".join("  " + line for line in str(structure_report(rnn)).splitlines()))
    target, N = np.linspace(1.0, -1.0, rnn.n_hidden), 2 * rnn.n_hidden
    res = steer(rnn, target, N)
    miss = np.linalg.norm(simulate(rnn, x=res.inputs, noise=False).h[-1] - target)
    out(
        f"Minimum-energy steering to {np.array2string(target, precision=2)} in {N} steps: energy {res.energy:.4g}; "
        f"simulated h_N misses by {miss:.1e}"
    )
    x = np.random.default_rng(1).standard_normal((40, rnn.n_inputs))
    traj = simulate(rnn, x=x, noise=False)
    rec = reconstruct_state(rnn, traj.y, x)
    out(
        f"Hidden state read back from noiseless outputs: rank {rec.rank}/{rnn.n_hidden}, "
        f"max error {np.max(np.abs(rec.states - traj.h)):.1e}"
    )
    bank = LinearRNN(W=np.diag(np.linspace(0.05, 0.95, 20)), U=np.ones((20, 1)))
    out(
        f"20 leaky integrators, one input: Kalman-matrix rank {numerical_rank(controllability_matrix(bank)).rank}/20 "
        f"in floating point, yet PBH says controllable = {bool(pbh_test(bank).controllable.all())}"
    )
    pad = LinearRNN(
        W=scipy.linalg.block_diag(rnn.W, 0.5),
        U=np.vstack([rnn.U, np.zeros((1, rnn.n_inputs))]),
        V=np.hstack([rnn.V, np.ones((rnn.n_outputs, 1))]),
    )
    small = minimal_realization(pad)
    gap = np.max(np.abs(markov_parameters(small, 100) - markov_parameters(pad, 100)))
    out(
        f"Padded with an unreachable unit (n = {pad.n_hidden}): minimal "
        f"realisation n = {small.n_hidden}, Markov parameters differ by {gap:.1e}"
    )


def _kalman(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    from .kalman import steady_state, verify_kalman_equivalence

    ss = steady_state(rnn)
    out(
        "Steady-state Kalman gain K (n x m) from the DARE, filter "
        f"RNN W_f = (I - K V) W with radius {ss.filter_radius:.4f}:"
    )
    with np.printoptions(precision=4, suppress=True):
        out("\n".join("  " + line for line in str(ss.gain).splitlines()))
    gen = np.random.default_rng(1)
    x = gen.standard_normal((2000, rnn.n_inputs))
    y = simulate(rnn, x=x, rng=gen).y
    report = verify_kalman_equivalence(rnn, y, x)
    out("\n".join("  " + line for line in str(report).splitlines()))


def _mse(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    from .mse import mse_ratio, mse_ratio_mc

    r = mse_ratio(rnn)
    out(
        f"Smoother (bidirectional RNN) MSE / filter (causal RNN) MSE = {r.total:.4f} "
        f"(filter MSE {r.filter_mse:.4f}, smoother MSE {r.smoother_mse:.4f})"
    )
    out("  per hidden unit: " + ", ".join(f"h{i + 1} {val:.4f}" for i, val in enumerate(r.per_unit)))
    mc = mse_ratio_mc(rnn, steps=500, n_runs=200, rng=0)
    lo, hi = mc.ci
    out(
        f"  Monte Carlo, {mc.n_runs} runs x T = {mc.T}: ratio {mc.ratio:.4f}, 95% CI [{lo:.4f}, {hi:.4f}] "
        f"({'contains' if mc.contains_analytic else 'MISSES'} the analytic value)"
    )


def _dynamics(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    from .cells import ElmanCell, LSTMCell, NoisyCell
    from .dynamics import fixed_points, linearize, lyapunov_exponents, tanh_bifurcation
    from .memory import jacobian_products, time_constant
    from .nonlinear_filters import unscented_kalman_filter
    from .simulation import simulate as simulate_any

    cell = ElmanCell(W=[[1.6, 0.5], [0.5, 1.1]], b=[0.05, -0.02])
    fp = fixed_points(cell, n_starts=50, rng=0)
    out(f"Fixed points of h = tanh(W h + b), W = [[1.6, 0.5], [0.5, 1.1]]: {fp!r}")
    for pt in fp.where("stable"):
        out(
            f"  stable at {np.round(pt, 4)}: perturbation half-life "
            f"{eigenmodes(linearize(cell, pt)).half_life[0]:.3f} steps"
        )
    bif = tanh_bifurcation([0.5, 2.0], [0.0, 0.6])
    out(
        f"tanh neuron h = tanh(w h + b): stable states for (w = 0.5, 2) x (b = 0, 0.6) = {bif.n_stable.tolist()}; "
        f"fold at b_c(2) = {bif.saddle_node_bias()[1]:.4f}"
    )
    W0 = np.random.default_rng(1).standard_normal((30, 30)) / np.sqrt(30)
    lam = [
        lyapunov_exponents(
            ElmanCell(g * W0), steps=1000, h0=np.full(30, 0.5), discard=200, n_exponents=1, rng=0
        ).max_exponent
        for g in (0.5, 3.0)
    ]
    out(
        f"Largest Lyapunov exponent of h = tanh(g W h): {lam[0]:+.3f} (g "
        f"= 0.5, contracting), {lam[1]:+.3f} (g = 3, chaotic) per step"
    )
    out(f"BPTT: ||dh_60/dh_0|| = {jacobian_products(ElmanCell(0.95 * np.eye(3)), steps=60).norms[60]:.4f} (= 0.95^60)")
    b = np.zeros(8)
    b[2:4] = np.log(99.0)  # forget gates sigma(b_f) = 0.99
    lstm = jacobian_products(LSTMCell(np.zeros((8, 2)), b=b), steps=499, h0=np.ones(4))
    out(
        f"Adding problem, 499 steps: RNN 0.90^499 = {0.9**499:.2e}; "
        f"LSTM cell path with f = 0.99: {lstm.products[-1][2, 2]:.2e}"
    )
    out(f"Forget gate f = 0.95 at dt = 0.02 s: tau = {time_constant(0.95, 0.02):.3f} s")
    model = NoisyCell(ElmanCell(W=[[1.2, 0.2], [0.2, 0.9]]), Q=0.04, R=0.02, V=[[1.0, 0.5]], P0=0.5)
    traj = simulate_any(model, 400, rng=5)
    err = unscented_kalman_filter(model, traj.y).filtered_means - traj.h
    out(
        "UKF on a noisy bistable network, one output: state RMSE "
        f"{np.sqrt(np.mean(err**2)):.3f} (state std {traj.h.std():.3f})"
    )


def _varma(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    from .fit import fit_linear_rnn
    from .kalman import kalman_filter
    from .linear import markov_parameters, with_stationary_prior
    from .varma_rnn import autocovariances, innovation_responses, rnn_to_varma, varma_loglik

    rnn = with_stationary_prior(rnn)
    varma = rnn_to_varma(rnn)
    x = np.random.default_rng(0).standard_normal((2000, 1))
    y = simulate(rnn, x=x, rng=1).y
    ll = kalman_filter(rnn, y, x).loglik
    gap = [np.max(np.abs(f(varma, 8) - f(rnn, 8))) for f in (autocovariances, innovation_responses)]
    out(f"VARMA image (final-equation form): {varma!r}")
    out(
        f"  same autocovariances ({gap[0]:.1e}), psi weights ({gap[1]:.1e}) and log-likelihood on 2000 steps "
        f"({abs(varma_loglik(varma, y, x) - ll):.1e})"
    )
    fit = fit_linear_rnn(y, 3, x, standard_errors=False)
    err = np.max(np.abs(markov_parameters(fit.rnn, 10) - markov_parameters(rnn, 10)))
    out(
        f"Exact-ML fit of a 3-unit linear RNN to those 2000 steps: loglik {fit.loglik:.2f} vs {ll:.2f} at the "
        f"true weights, {fit.n_iter} BFGS iterations on the exact score"
    )
    out(f"  Markov parameters V W^k U recovered to {err:.3f}; the hidden basis itself is not identified")


def _frequency(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    from .frequency import frequency_response, h2_norm, hinf_norm, poles, transmission_zeros
    from .snr import snr_gain, snr_gain_mc
    from .spectra import Sinusoid, WhiteNoise, power_spectrum, response_covariance

    hz = lambda w: w / (2 * np.pi * rnn.dt)  # noqa: E731  rad/sample -> cycles per unit of dt
    lam = poles(rnn)
    w0 = float(np.max(np.abs(np.angle(lam))))  # the oscillator's resonance
    zeros = np.round(transmission_zeros(rnn), 12) + 0
    out(f"Poles {np.array2string(lam, precision=4)}; transmission zeros (x -> y) {np.array2string(zeros, precision=4)}")
    mag = frequency_response(rnn, [0.0, w0, np.pi]).magnitude[:, :, 0]
    out(
        f"|H(e^iw)| per output at DC, {hz(w0):.3g} Hz and Nyquist "
        f"{hz(np.pi):g} Hz: {np.array2string(mag.T, precision=3)}"
    )
    hinf = hinf_norm(rnn)
    out(f"H2 norm {h2_norm(rnn):.4f}; H-infinity norm {float(hinf):.4f} at {hz(hinf.omega):.3g} Hz")
    K = 4096  # periodic trapezoid rule: exact for a rational spectrum up to rho^K
    S = power_spectrum(rnn, 2 * np.pi * np.arange(K) / K, WhiteNoise(1.0))
    gap = np.max(np.abs(S.density.mean(axis=0).real - response_covariance(rnn, WhiteNoise(1.0))))
    out(f"Parseval: output covariance from the Lyapunov equation vs integral of the PSD: max |diff| = {gap:.1e}")
    sig, noise = Sinusoid(w0, 1.0), WhiteNoise(1.0)
    g = snr_gain(rnn, sig, noise, target="hidden")
    mc = snr_gain_mc(rnn, sig, noise, steps=10_000, n_runs=40, target="hidden", rng=0)
    out(
        f"A {hz(w0):.3g} Hz tone in white noise: SNR {g.input_snr:.2f} at the input -> {g.output_snr:.2f} in h "
        f"(gain {g.gain:.3f} = {g.gain_db:+.2f} dB, Q counted as noise)"
    )
    out(
        f"  simulated gain {mc.gain:.3f} +- {mc.standard_error:.3f} "
        f"({mc.n_runs} runs x T = {mc.T}; z = {mc.z_score:+.2f})"
    )


def _casino():
    from .hmm import HMM

    return HMM(pi=[0.5, 0.5], A=[[0.95, 0.05], [0.1, 0.9]], B=[[1 / 6] * 6, [0.1] * 5 + [0.5]])


def _hmm(rnn: LinearRNN, out: Callable[[str], None]) -> None:
    from .hmm import belief_rnn, hmm_loglik, hmm_to_rnn, viterbi
    from .interop import to_hmmlearn

    casino = _casino()
    cell = hmm_to_rnn(casino)  # one-hot state; logits W = (ln A)^T, V = (ln B)^T, ln pi
    out(f"Dishonest casino (fair / loaded die) as a one-hot softmax RNN, W = (ln A)^T = {np.round(cell.W, 4).tolist()}")
    draw = cell.sample(10_000, rng=0)  # the RNN generates the rolls
    run = belief_rnn(casino).run(draw.y)
    routes = {
        "HMM forward, scaled": hmm_loglik(casino, draw.y),
        "HMM forward, log space": hmm_loglik(casino, draw.y, method="log"),
        "softmax RNN, state summed out": cell.loglik(draw.y),
        "belief-state RNN, forward": run.loglik,
        "belief-state RNN, backward": run.backward_loglik,
    }
    try:
        routes["hmmlearn score"] = to_hmmlearn(casino).score(draw.y.reshape(-1, 1))
    except ImportError:  # hmmlearn is a test dependency only
        pass
    for name, value in routes.items():
        out(f"  log p(10000 rolls) by {name:30s} {value:.9f}   rel. diff {abs(value / run.loglik - 1):.1e}")
    right = lambda guess: f"{np.mean(guess == draw.states):.1%}"  # noqa: E731
    out(
        f"Which die? filtered (forward RNN) right {right(run.filtered.argmax(1))}, smoothed (bidirectional "
        f"RNN) {right(run.posteriors.argmax(1))}, Viterbi {right(viterbi(casino, draw.y).path)} of the rolls"
    )


SECTIONS: list[tuple[str, Callable[[LinearRNN, Callable[[str], None]], None]]] = [
    ("The linear RNN", _core),
    ("Controllability and observability: steering and reading the hidden state", _structure),
    ("Kalman filter = linear RNN, RTS smoother = bidirectional linear RNN", _kalman),
    ("What the backward direction buys: filter vs smoother MSE", _mse),
    ("A linear RNN is a VARMA model; fitting one is system identification", _varma),
    ("The RNN as an LTI filter: frequency response, spectra, SNR", _frequency),
    ("An HMM is a softmax RNN with a one-hot state: identical likelihoods", _hmm),
    ("Nonlinear cells as dynamical systems", _dynamics),
]


def _figures(rnn: LinearRNN, outdir: Path) -> list[Path]:
    """The demo's figures as PNG files in ``outdir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .dynamics import tanh_bifurcation
    from .kalman import verify_kalman_equivalence
    from .mse import mse_ratio_sweep
    from .plot import plot_bifurcation, plot_bode, plot_equivalence, plot_mse_ratio_sweep

    paths = []

    def save(fig: object, name: str) -> None:
        path = outdir / name
        with atomic_write(path, "wb") as fh:
            fig.savefig(fh, format="png", dpi=120)
        plt.close(fig)
        paths.append(path)

    gen = np.random.default_rng(1)
    x = gen.standard_normal((600, rnn.n_inputs))
    y = simulate(rnn, x=x, rng=gen).y
    save(plot_equivalence(verify_kalman_equivalence(rnn, y, x, peers=False)), "kalman_equivalence.png")
    sweep = mse_ratio_sweep(rnn, noise_ratio=np.logspace(-3, 3, 37), radius=[0.5, 0.9, rnn.spectral_radius])
    save(plot_mse_ratio_sweep(sweep), "mse_ratio_sweep.png")
    save(plot_bode(rnn, hz=True), "bode.png")
    save(
        plot_bifurcation(tanh_bifurcation(np.linspace(0.0, 3.0, 121), np.linspace(-1.0, 1.0, 81))),
        "tanh_bifurcation.png",
    )
    return paths


def write_demo(outdir: str | Path | None = "rnnss-demo", *, figures: bool = True, stream: IO[str] | None = None) -> str:
    """Run the demo: print the report, and write it with its figures to ``outdir``.

    Parameters
    ----------
    outdir : str or path, optional
        Folder for ``report.txt`` and the PNG figures (created if needed); None writes nothing.
    figures : bool, default True
        Also draw the figures.
    stream : text stream, optional
        Where to print the report (default: nothing is printed).

    Returns
    -------
    str
        The report text.
    """
    figures = v.as_bool("figures", figures)
    if outdir is not None:  # before the long computation: a bad folder fails at once
        out = Path(outdir)
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(f"outdir {str(out)!r} exists and is not a folder")
        out.mkdir(parents=True, exist_ok=True)
    rnn = default_model()
    text = demo_report(rnn)
    if stream is not None:
        stream.write(text)
    if outdir is not None:
        with atomic_write(out / "report.txt", "w") as fh:
            fh.write(text)
        written = [out / "report.txt"] + (_figures(rnn, out) if figures else [])
        if stream is not None:
            stream.write(f"\nwritten to {out}/: " + ", ".join(p.name for p in written) + "\n")
    return text


def demo_report(rnn: LinearRNN | None = None) -> str:
    """The text of the demo report, one section per capability.

    Parameters
    ----------
    rnn : LinearRNN, optional
        The model to describe (default :func:`default_model`).

    Returns
    -------
    str
        The report.
    """
    rnn = default_model() if rnn is None else rnn
    buf = _io.StringIO()

    def out(line: str) -> None:
        buf.write(line + "\n")

    out("rnnss demo: a recurrent network read as a state-space system")
    for title, section in SECTIONS:
        out("")
        out(f"== {title} " + "=" * max(0, 70 - len(title)))
        section(rnn, out)
    return buf.getvalue()
