"""Boolean flags, enumerated options and seeds of every public function are type-checked at entry.

A flag given as the string ``"False"`` (or ``1``, ``"yes"``) must raise ``TypeError`` naming the argument,
not be read as true; an unknown option value must raise ``ValueError`` naming the argument; a negative
seed must name ``rng`` rather than surface NumPy's unnamed message.
"""

import inspect

import numpy as np
import pytest

import rnnss
import rnnss.plot as rplot
from rnnss import demo

RNN = rnnss.random_rnn(2, 1, 1, rng=0)
X = np.zeros((12, 1))
Y = rnnss.simulate(RNN, x=X, rng=0).y
HMM = rnnss.HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.7, 0.3], [0.1, 0.9]])
CELL = rnnss.ElmanCell(W=[[0.5]], U=[[1.0]])
VARMA = rnnss.VARMA(ar=[[[0.5]]], ma=[], sigma=[[1.0]], intercept=[0.1])
RNN_NOISY = rnnss.random_rnn(2, 1, rng=1)
TASK = rnnss.adding_problem(2, T=4, rng=0)
TCELL = rnnss.random_cell("elman", 3, 2, rng=0)
READOUT = rnnss.LinearReadout(np.ones((1, 3)))


def _control_sys():
    return rnnss.to_statespace(RNN)


def _dlti():
    return rnnss.to_dlti(RNN)


def _flow():
    return rnnss.jacobian_products(CELL, np.zeros((3, 1)))


# (label, call taking the keyword under test, keyword, kind): kind "bool", "optbool" (None allowed) or "enum".
CASES = [
    ("simulate", lambda **k: rnnss.simulate(RNN, x=X, rng=0, **k), "noise", "bool"),
    ("impulse_response", lambda **k: rnnss.impulse_response(RNN, 3, **k), "target", "enum"),
    ("step_response", lambda **k: rnnss.step_response(RNN, 3, **k), "target", "enum"),
    ("random_rnn", lambda **k: rnnss.random_rnn(2, rng=0, **k), "noise", "bool"),
    ("random_rnn", lambda **k: rnnss.random_rnn(2, rng=0, **k), "bias", "bool"),
    ("from_continuous", lambda **k: rnnss.from_continuous([[-1.0]], dt=0.1, **k), "method", "enum"),
    ("to_statespace", lambda **k: rnnss.to_statespace(RNN, **k), "bias_input", "optbool"),
    ("to_dlti", lambda **k: rnnss.to_dlti(RNN, **k), "bias_input", "optbool"),
    ("from_statespace", lambda **k: rnnss.from_statespace(_control_sys(), **k), "bias_input", "bool"),
    ("from_dlti", lambda **k: rnnss.from_dlti(_dlti(), **k), "bias_input", "bool"),
    ("to_statsmodels_params", lambda **k: rnnss.to_statsmodels_params(VARMA, **k), "trend", "enum"),
    ("controllability_matrix", lambda **k: rnnss.controllability_matrix(RNN, **k), "source", "enum"),
    ("pbh_test", lambda **k: rnnss.pbh_test(RNN, **k), "source", "enum"),
    ("controllability_staircase", lambda **k: rnnss.controllability_staircase(RNN, **k), "source", "enum"),
    ("is_controllable", lambda **k: rnnss.is_controllable(RNN, **k), "source", "enum"),
    ("is_stabilizable", lambda **k: rnnss.is_stabilizable(RNN, **k), "source", "enum"),
    ("structure_report", lambda **k: rnnss.structure_report(RNN, **k), "source", "enum"),
    ("controllability_gramian", lambda **k: rnnss.controllability_gramian(RNN, **k), "source", "enum"),
    ("kalman_decomposition", lambda **k: rnnss.kalman_decomposition(RNN, **k), "source", "enum"),
    ("minimal_realization", lambda **k: rnnss.minimal_realization(RNN, **k), "preserve", "enum"),
    ("steer", lambda **k: rnnss.steer(RNN, [0.1, 0.2], 4, **k), "best_effort", "bool"),
    ("kalman_filter", lambda **k: rnnss.kalman_filter(RNN, Y, X, **k), "initialization", "enum"),
    ("echelon_structure", lambda **k: rnnss.echelon_structure((1, 0), **k), "trend", "bool"),
    ("kronecker_candidates", lambda **k: rnnss.kronecker_candidates(2, 1, **k), "trend", "bool"),
    ("varma_identification", lambda **k: rnnss.varma_identification(1, 1, 2, **k), "trend", "bool"),
    ("rnn_to_varma", lambda **k: rnnss.rnn_to_varma(RNN_NOISY, **k), "form", "enum"),
    ("train", lambda **k: rnnss.train(TCELL, TASK, steps=1, **k), "optimizer", "enum"),
    ("train", lambda **k: rnnss.train(TCELL, TASK, steps=1, **k), "engine", "enum"),
    ("train", lambda **k: rnnss.train(TCELL, TASK, steps=1, **k), "progress", "optbool"),
    ("loss_and_grad", lambda **k: rnnss.loss_and_grad(TCELL, READOUT, TASK, **k), "engine", "enum"),
    ("bptt", lambda **k: rnnss.bptt(TCELL, TASK.x, np.ones((2, 4, 3)), **k), "engine", "enum"),
    ("predict", lambda **k: rnnss.predict(TCELL, READOUT, TASK.x, **k), "engine", "enum"),
    ("evaluate_loss", lambda **k: rnnss.evaluate_loss(TCELL, READOUT, TASK, **k), "engine", "enum"),
    ("SequenceData", lambda **k: rnnss.SequenceData(np.zeros((2, 4, 2)), np.ones(2), **k), "loss", "enum"),
    ("SequenceData", lambda **k: rnnss.SequenceData(np.zeros((2, 4, 2)), np.ones(2), **k), "at", "enum"),
    ("copy_task", lambda **k: rnnss.copy_task(2, 2, length=2, **k), "score", "enum"),
    ("hmm_forward", lambda **k: rnnss.hmm_forward(HMM, [0, 1, 1], **k), "engine", "enum"),
    ("hmm_backward", lambda **k: rnnss.hmm_backward(HMM, [0, 1, 1], **k), "engine", "enum"),
    ("hmm_smoother", lambda **k: rnnss.hmm_smoother(HMM, [0, 1, 1], **k), "engine", "enum"),
    ("hmm_loglik", lambda **k: rnnss.hmm_loglik(HMM, [0, 1, 1], **k), "engine", "enum"),
    ("viterbi", lambda **k: rnnss.viterbi(HMM, [0, 1, 1], **k), "engine", "enum"),
    ("run_belief_rnn", lambda **k: rnnss.run_belief_rnn(rnnss.belief_rnn(HMM), [0, 1, 1], **k), "engine", "enum"),
    ("fit_hmm", lambda **k: rnnss.fit_hmm([[0, 1, 1, 0]], 2, max_iter=1, rng=0, **k), "emission", "enum"),
    (
        "fit_hmm",
        lambda **k: rnnss.fit_hmm([[0.1, 1.0, 0.2]], 2, max_iter=1, rng=0, emission="gaussian", **k),
        "covariance_type",
        "enum",
    ),
    ("fit_hmm", lambda **k: rnnss.fit_hmm([[0, 1, 1, 0]], 2, max_iter=1, rng=0, **k), "init", "enum"),
    ("fit_hmm", lambda **k: rnnss.fit_hmm([[0, 1, 1, 0]], 2, max_iter=1, rng=0, **k), "progress", "optbool"),
    ("fit_hmm", lambda **k: rnnss.fit_hmm([[0, 1, 1, 0]], 2, max_iter=1, rng=0, **k), "engine", "enum"),
    (
        "select_hmm_order",
        lambda **k: rnnss.select_hmm_order([[0, 1, 1, 0]], [1], max_iter=1, rng=0, **k),
        "emission",
        "enum",
    ),
    (
        "select_hmm_order",
        lambda **k: rnnss.select_hmm_order([[0.1, 1.0, 0.2]], [1], max_iter=1, rng=0, emission="gaussian", **k),
        "covariance_type",
        "enum",
    ),
    (
        "select_hmm_order",
        lambda **k: rnnss.select_hmm_order([[0, 1, 1, 0]], [1], max_iter=1, rng=0, **k),
        "criterion",
        "enum",
    ),
    (
        "select_hmm_order",
        lambda **k: rnnss.select_hmm_order([[0, 1, 1, 0]], [1], max_iter=1, rng=0, **k),
        "progress",
        "optbool",
    ),
    (
        "select_hmm_order",
        lambda **k: rnnss.select_hmm_order([[0, 1, 1, 0]], [1], max_iter=1, rng=0, **k),
        "engine",
        "enum",
    ),
    ("numerical_jacobian", lambda **k: rnnss.numerical_jacobian(CELL, [0.1], [0.2], **k), "wrt", "enum"),
    ("integrate", lambda **k: rnnss.integrate(rnnss.CTRNN(W=[[0.5]]), [0.0, 1.0], **k), "method", "enum"),
    (
        "flow_lyapunov_exponents",
        lambda **k: rnnss.flow_lyapunov_exponents(rnnss.Lorenz(), duration=0.1, **k),
        "method",
        "enum",
    ),
    ("kalman_filter", lambda **k: rnnss.kalman_filter(RNN, Y, X, **k), "store_covariances", "bool"),
    ("kalman_filter", lambda **k: rnnss.kalman_filter(RNN, Y, X, **k), "engine", "enum"),
    ("rts_smoother", lambda **k: rnnss.rts_smoother(RNN, Y, X, **k), "initialization", "enum"),
    ("rts_smoother", lambda **k: rnnss.rts_smoother(RNN, Y, X, **k), "engine", "enum"),
    ("loglik_gradient", lambda **k: rnnss.loglik_gradient(RNN, Y, X, **k), "initialization", "enum"),
    ("loglik_gradient", lambda **k: rnnss.loglik_gradient(RNN, Y, X, **k), "engine", "enum"),
    ("verify_kalman_equivalence", lambda **k: rnnss.verify_kalman_equivalence(RNN, Y, X, **k), "peers", "bool"),
    ("mse_ratio_mc", lambda **k: rnnss.mse_ratio_mc(RNN, 200, 3, rng=0, **k), "progress", "optbool"),
    ("fit_linear_rnn", lambda **k: rnnss.fit_linear_rnn(Y, 1, X, max_iter=1, **k), "method", "enum"),
    ("fit_linear_rnn", lambda **k: rnnss.fit_linear_rnn(Y, 1, X, max_iter=1, **k), "standard_errors", "bool"),
    ("fit_linear_rnn", lambda **k: rnnss.fit_linear_rnn(Y, 1, X, max_iter=1, **k), "progress", "optbool"),
    ("fit_varma_rnn", lambda **k: rnnss.fit_varma_rnn(Y, 1, 0, max_iter=1, **k), "trend", "enum"),
    ("fit_varma_rnn", lambda **k: rnnss.fit_varma_rnn(Y, 1, 0, max_iter=1, **k), "standard_errors", "bool"),
    ("fit_varma_rnn", lambda **k: rnnss.fit_varma_rnn(Y, 1, 0, max_iter=1, **k), "progress", "optbool"),
    ("frequency_response", lambda **k: rnnss.frequency_response(RNN, [0.1], **k), "target", "enum"),
    ("frequency_response", lambda **k: rnnss.frequency_response(RNN, [0.1], **k), "hz", "bool"),
    ("transmission_zeros", lambda **k: rnnss.transmission_zeros(RNN, **k), "target", "enum"),
    ("h2_norm", lambda **k: rnnss.h2_norm(RNN, **k), "target", "enum"),
    ("hinf_norm", lambda **k: rnnss.hinf_norm(RNN, **k), "target", "enum"),
    ("power_spectrum", lambda **k: rnnss.power_spectrum(RNN, [0.1], **k), "target", "enum"),
    ("power_spectrum", lambda **k: rnnss.power_spectrum(RNN, [0.1], **k), "noise", "bool"),
    ("power_spectrum", lambda **k: rnnss.power_spectrum(RNN, [0.1], **k), "hz", "bool"),
    ("response_covariance", lambda **k: rnnss.response_covariance(RNN, **k), "target", "enum"),
    ("response_covariance", lambda **k: rnnss.response_covariance(RNN, **k), "noise", "bool"),
    (
        "snr_gain",
        lambda **k: rnnss.snr_gain(RNN, rnnss.WhiteNoise(1.0), rnnss.WhiteNoise(1.0), **k),
        "target",
        "enum",
    ),
    (
        "snr_gain",
        lambda **k: rnnss.snr_gain(RNN, rnnss.WhiteNoise(1.0), rnnss.WhiteNoise(1.0), **k),
        "model_noise",
        "bool",
    ),
    (
        "snr_gain_mc",
        lambda **k: rnnss.snr_gain_mc(RNN, rnnss.WhiteNoise(1.0), rnnss.WhiteNoise(1.0), 20, 2, rng=0, **k),
        "target",
        "enum",
    ),
    (
        "snr_gain_mc",
        lambda **k: rnnss.snr_gain_mc(RNN, rnnss.WhiteNoise(1.0), rnnss.WhiteNoise(1.0), 20, 2, rng=0, **k),
        "model_noise",
        "bool",
    ),
    ("resonator", lambda **k: rnnss.resonator(0.5, radius=0.9, **k), "normalize", "bool"),
    (
        "bidirectional_scan",
        lambda **k: rnnss.bidirectional_scan(rnnss.Bidirectional(CELL, CELL), np.zeros((3, 1)), **k),
        "full_state",
        "bool",
    ),
    ("random_cell", lambda **k: rnnss.random_cell("elman", 2, 1, rng=0, **k), "activation", "enum"),
    ("random_cell", lambda **k: rnnss.random_cell("elman", 2, 1, rng=0, **k), "recurrent", "enum"),
    ("random_cell", lambda **k: rnnss.random_cell(n_hidden=2, rng=0, **k), "kind", "enum"),
    ("jacobian_products", lambda **k: rnnss.jacobian_products(CELL, np.zeros((3, 1)), **k), "store_products", "bool"),
    ("BeliefCell", lambda **k: rnnss.BeliefCell(A=HMM.A, pi=HMM.pi, **k), "reverse", "bool"),
    ("hmm_forward", lambda **k: rnnss.hmm_forward(HMM, [0, 1], **k), "method", "enum"),
    ("hmm_backward", lambda **k: rnnss.hmm_backward(HMM, [0, 1], **k), "method", "enum"),
    ("hmm_smoother", lambda **k: rnnss.hmm_smoother(HMM, [0, 1], **k), "method", "enum"),
    ("hmm_loglik", lambda **k: rnnss.hmm_loglik(HMM, [0, 1], **k), "method", "enum"),
    ("verify_hmm_equivalence", lambda **k: rnnss.verify_hmm_equivalence(HMM, [0, 1], **k), "peers", "bool"),
    ("save", lambda **k: rnnss.save(RNN, "unused.json", **k), "fmt", "enum"),
    ("load", lambda **k: rnnss.load("unused.json", **k), "fmt", "enum"),
    ("read_table", lambda **k: rnnss.read_table("unused.csv", **k), "header", "optbool"),
    ("atomic_write", lambda **k: rnnss.atomic_write("unused.txt", **k).__enter__(), "mode", "enum"),
    ("plot_bode", lambda **k: rplot.plot_bode(RNN, **k), "target", "enum"),
    ("plot_bode", lambda **k: rplot.plot_bode(RNN, **k), "hz", "bool"),
    ("plot_bode", lambda **k: rplot.plot_bode(RNN, **k), "db", "bool"),
    ("plot_bode", lambda **k: rplot.plot_bode(RNN, **k), "xscale", "enum"),
    ("plot_pole_zero", lambda **k: rplot.plot_pole_zero(RNN, **k), "target", "enum"),
    ("plot_psd", lambda **k: rplot.plot_psd(RNN, inputs=rnnss.WhiteNoise(1.0), **k), "target", "enum"),
    ("plot_psd", lambda **k: rplot.plot_psd(RNN, inputs=rnnss.WhiteNoise(1.0), **k), "noise", "bool"),
    ("plot_psd", lambda **k: rplot.plot_psd(RNN, inputs=rnnss.WhiteNoise(1.0), **k), "hz", "bool"),
    ("plot_gradient_norms", lambda **k: rplot.plot_gradient_norms(_flow(), **k), "bounds", "bool"),
    ("write_demo", lambda **k: demo.write_demo(None, **k), "figures", "bool"),
]

BAD_FLAGS = ["False", "yes", 1, 0.0, [True]]


@pytest.mark.parametrize("label, call, name, kind", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_flag_or_option_is_checked_at_entry(label, call, name, kind):
    if kind in ("bool", "optbool"):
        for bad in BAD_FLAGS:
            with pytest.raises(TypeError, match=rf"\b{name}\b"):
                call(**{name: bad})
    else:
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            call(**{name: "no-such-option"})
        with pytest.raises((TypeError, ValueError), match=rf"\b{name}\b"):
            call(**{name: ["list"]})


def test_the_table_covers_every_flag_and_option_of_the_public_api():
    """Every public function's keyword with a bool or str default (or a bool | None one) is in CASES."""
    covered = {(label, name) for label, _, name, _ in CASES}
    missing = []
    objects = [(n, getattr(rnnss, n)) for n in rnnss.__all__] + [
        (n, getattr(rplot, n)) for n in rplot.__all__ if n.startswith("plot_")
    ]
    for label, obj in objects:
        if not callable(obj) or (inspect.isclass(obj) and issubclass(obj, BaseException)):
            continue
        try:
            params = inspect.signature(obj).parameters.values()
        except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
            continue
        for p in params:
            flaglike = isinstance(p.default, bool) or (p.default is None and "bool" in str(p.annotation))
            # ``what`` is a free-text label for messages; a cell's activation is a name or a callable.
            # free-text labels (``what``, a data set's ``name``) and a cell's activation (a name or a callable)
            optionlike = isinstance(p.default, str) and p.name not in ("activation", "what", "name")
            if (flaglike or optionlike) and (label, p.name) not in covered:
                missing.append(f"{label}({p.name}=...)")
    assert not missing, "flags/options without a validation test: " + ", ".join(missing)


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: rnnss.simulate(RNN, x=X, rng=rng),
        lambda rng: rnnss.random_rnn(2, rng=rng),
        lambda rng: rnnss.random_cell("gru", 2, rng=rng),
        lambda rng: HMM.sample(5, rng=rng),
        lambda rng: rnnss.mse_ratio_mc(RNN, 200, 3, rng=rng),
    ],
    ids=["simulate", "random_rnn", "random_cell", "HMM.sample", "mse_ratio_mc"],
)
def test_negative_seed_names_rng(call):
    with pytest.raises(ValueError, match=r"rng must be .*non-negative.*got -1"):
        call(-1)
    with pytest.raises(TypeError, match=r"\brng\b"):
        call("42")
    with pytest.raises(TypeError, match=r"\brng\b"):
        call(1.5)
