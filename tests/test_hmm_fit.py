"""Tests of rnnss.fit_hmm and rnnss.select_hmm_order (rnnss/hmm/fit.py).

References: hmmlearn's Baum-Welch run one iteration at a time from identical parameters (its monitored
log-likelihood per iteration), hmmlearn's parameter counts and ``aic``/``bic``, closed forms (one state:
the symbol frequencies; Gaussian: the sample mean and covariance), the true parameters of simulated data
(dishonest casino), and the exact likelihood routes of the fitted model (softmax and belief-state RNNs).
"""

import logging
import pathlib

import numpy as np
import pytest
import threadpoolctl
from hmmlearn import hmm as hl

import rnnss
from rnnss import HMM, GaussianHMM, fit_hmm, select_hmm_order
from rnnss.hmm import fit as fit_module

logging.getLogger("hmmlearn").setLevel(logging.ERROR)


def rnnss_examples(name):
    return pathlib.Path(__file__).resolve().parents[1] / "examples" / "data" / name


def casino_model():
    return HMM(pi=[0.5, 0.5], A=[[0.95, 0.05], [0.1, 0.9]], B=[[1 / 6] * 6, [0.1] * 5 + [0.5]])


def hmmlearn_history(model, X, lengths, n):
    """hmmlearn's log-likelihood of the starting parameters and after each of n EM iterations."""
    out = []
    # hmmlearn's Gaussian densities call a triangular solve per state, which a multi-threaded BLAS runs
    # very slowly on small problems when the cores are busy: one thread.
    with threadpoolctl.threadpool_limits(1):
        for _ in range(n + 1):
            model.fit(X, lengths)  # n_iter=1: score the current parameters (E-step), then one M-step
            out.append(model.monitor_.history[-1])
    return np.array(out)


# -- hmmlearn's iterates ---------------------------------------------------------------------------


def test_categorical_em_follows_hmmlearn_iterates_on_ragged_sequences():
    rng = np.random.default_rng(0)
    true = HMM(
        pi=[0.6, 0.3, 0.1], A=[[0.8, 0.15, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], B=rng.dirichlet(np.ones(5), 3)
    )
    seqs = [true.sample(n, rng=i).y for i, n in enumerate([300, 50, 1, 700])]
    init = HMM(pi=rng.dirichlet(np.ones(3)), A=rng.dirichlet(np.ones(3), 3), B=rng.dirichlet(np.ones(5), 3))
    n = 40
    fit = fit_hmm(seqs, 3, init=init, tol=0.0, max_iter=n)
    assert fit.status == "max_iter" and not fit.converged and fit.n_iter == n
    for impl in ("scaling", "log"):
        m = hl.CategoricalHMM(n_components=3, n_features=5, init_params="", n_iter=1, implementation=impl)
        m.startprob_, m.transmat_, m.emissionprob_ = np.array(init.pi), np.array(init.A), np.array(init.B)
        ref = hmmlearn_history(m, np.concatenate(seqs).reshape(-1, 1), [len(s) for s in seqs], n)
        np.testing.assert_allclose(fit.loglik_history, ref, rtol=0, atol=1e-8)
    # ... and lands on hmmlearn's parameters (after its n-th M-step, hmmlearn is one iteration ahead: redo n)
    m = hl.CategoricalHMM(n_components=3, n_features=5, init_params="", n_iter=n, tol=-np.inf)
    m.startprob_, m.transmat_, m.emissionprob_ = np.array(init.pi), np.array(init.A), np.array(init.B)
    m.fit(np.concatenate(seqs).reshape(-1, 1), [len(s) for s in seqs])
    np.testing.assert_allclose(fit.model.A, m.transmat_, atol=1e-10)
    np.testing.assert_allclose(fit.model.B, m.emissionprob_, atol=1e-10)
    np.testing.assert_allclose(fit.model.pi, m.startprob_, atol=1e-10)


@pytest.mark.parametrize("cov_type", ["full", "diag"])
def test_gaussian_em_follows_hmmlearn_iterates(cov_type):
    covs = [np.eye(2), [[1.0, 0.5], [0.5, 2.0]] if cov_type == "full" else np.diag([1.0, 2.0])]
    g = GaussianHMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], means=[[0.0, 0.0], [2.0, 1.0]], covs=covs)
    ys = [g.sample(n, rng=i).y for i, n in enumerate([400, 30, 1, 250])]
    init = GaussianHMM(
        pi=[0.3, 0.7], A=[[0.6, 0.4], [0.3, 0.7]], means=[[0.5, 0.5], [1.0, 0.0]], covs=[2 * np.eye(2), np.eye(2)]
    )
    n = 40
    fit = fit_hmm(ys, 2, emission="gaussian", covariance_type=cov_type, init=init, tol=0.0, max_iter=n)
    m = hl.GaussianHMM(n_components=2, covariance_type=cov_type, init_params="", n_iter=1, covars_prior=0.0)
    m.n_features = 2
    m.startprob_, m.transmat_, m.means_ = np.array(init.pi), np.array(init.A), np.array(init.means)
    m.covars_ = np.array(init.covs) if cov_type == "full" else np.array([np.diag(c) for c in init.covs])
    ref = hmmlearn_history(m, np.concatenate(ys), [len(y) for y in ys], n)
    np.testing.assert_allclose(fit.loglik_history, ref, rtol=0, atol=1e-8)
    if cov_type == "diag":
        assert np.all(fit.model.covs[:, 0, 1] == 0.0)


def test_covariance_prior_is_hmmlearns_covars_prior_and_its_objective_never_decreases():
    g = GaussianHMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], means=[[0.0], [3.0]], covs=[[[1.0]], [[0.5]]])
    y = g.sample(300, rng=1).y
    init = GaussianHMM(pi=[0.5, 0.5], A=[[0.7, 0.3], [0.3, 0.7]], means=[[1.0], [2.0]], covs=[[[1.0]], [[1.0]]])
    fit = fit_hmm(y, 2, emission="gaussian", covariance_type="diag", init=init, tol=0.0, max_iter=25,
                  covariance_prior=0.5)  # fmt: skip
    m = hl.GaussianHMM(n_components=2, covariance_type="diag", init_params="", n_iter=1, covars_prior=0.5)
    m.n_features = 1
    m.startprob_, m.transmat_, m.means_, m.covars_ = init.pi.copy(), init.A.copy(), init.means.copy(), np.ones((2, 1))
    np.testing.assert_allclose(fit.loglik_history, hmmlearn_history(m, y, [len(y)], 25), rtol=0, atol=1e-8)
    assert np.all(np.diff(fit.objective_history) >= 0)
    assert np.all(fit.objective_history < fit.loglik_history)  # the penalty -psi/2 sum tr(Sigma^-1) < 0


# -- monotone, honest, reproducible ---------------------------------------------------------------


@pytest.mark.parametrize("emission", ["categorical", "gaussian"])
def test_likelihood_never_decreases_and_converged_means_small_gain(emission):
    if emission == "categorical":
        data = [casino_model().sample(n, rng=n).y for n in (500, 80, 3)]
    else:
        g = GaussianHMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], means=[[0.0], [2.5]], covs=[[[1.0]], [[0.5]]])
        data = [g.sample(n, rng=n).y for n in (500, 80, 3)]
    fit = fit_hmm(data, 2, emission=emission, n_restarts=3, rng=4, tol=1e-10, max_iter=2000)
    for run in fit.restarts:
        assert run.status in ("converged", "max_iter"), run.message
    h = fit.loglik_history
    assert np.all(np.diff(h) >= 0.0)
    assert fit.converged and h[-1] - h[-2] <= 1e-10 * (1 + abs(h[-1]))
    assert fit.loglik == h[fit.n_iter] == pytest.approx(rnnss.hmm_loglik(fit.model, data).sum(), rel=1e-13)
    assert fit.loglik == max(r.loglik for r in fit.restarts)


def test_same_rng_same_fit_and_restarts_table():
    y = casino_model().sample(400, rng=3).y
    a, b = fit_hmm(y, 2, n_restarts=3, rng=11), fit_hmm(y, 2, n_restarts=3, rng=11)
    assert a.model == b.model and np.array_equal(a.loglik_history, b.loglik_history)
    assert len(a.restarts) == 3 and [r.index for r in a.restarts] == [0, 1, 2]
    assert a.restarts[a.best_restart].loglik == a.loglik
    text = a.summary()
    assert "restart" in text and f"{a.loglik:.6f}" in text and "free parameters" in text
    assert "HMMFitReport(HMM(K=2" in repr(a) and "HMMRestart(0:" in repr(a.restarts[0])


def test_a_decrease_is_never_reported_as_converged(monkeypatch):
    """An M-step that lowers the likelihood (injected) stops the run and returns the parameters before it."""
    y = casino_model().sample(300, rng=0).y
    real = fit_module._mstep
    calls = []

    def worse(model, *args):
        calls.append(1)
        params = real(model, *args)
        if len(calls) == 3:  # the third M-step goes back to uniform emissions
            params["B"] = np.full_like(params["B"], 1 / 6)
        return params

    monkeypatch.setattr(fit_module, "_mstep", worse)
    fit = fit_hmm(y, 2, init=casino_model(), tol=0.0, max_iter=50)
    assert fit.status == "decrease" and not fit.converged and "fell by" in fit.message
    assert fit.n_iter == 2 and len(fit.loglik_history) == 4 and fit.loglik_history[3] < fit.loglik_history[2]
    assert fit.loglik == fit.loglik_history[2] == pytest.approx(rnnss.hmm_loglik(fit.model, y), rel=1e-14)


def test_nan_parameters_are_never_reported_as_converged(monkeypatch):
    y = casino_model().sample(300, rng=0).y
    real = fit_module._mstep

    def nan(model, *args):
        params = real(model, *args)
        params["A"] = params["A"] * np.nan
        return params

    monkeypatch.setattr(fit_module, "_mstep", nan)
    fit = fit_hmm(y, 2, init=casino_model(), tol=0.0, max_iter=50)
    assert fit.status == "not_finite" and not fit.converged and fit.n_iter == 0 and "non-finite" in fit.message
    assert fit.model == casino_model()


def test_collapsing_covariance_stops_as_singular_and_the_prior_prevents_it():
    """One observation far from the rest: a state that takes it alone gets a zero covariance."""
    y = np.concatenate([np.random.default_rng(0).standard_normal(200), [50.0]])
    init = GaussianHMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.9, 0.1]], means=[[0.0], [50.0]], covs=[[[1.0]], [[1.0]]])
    fit = fit_hmm(y, 2, emission="gaussian", init=init, max_iter=50)
    assert fit.status == "singular" and not fit.converged and "covariance_prior" in fit.message
    assert fit.loglik == pytest.approx(rnnss.hmm_loglik(fit.model, y), rel=1e-14)
    ok = fit_hmm(y, 2, emission="gaussian", init=init, max_iter=500, covariance_prior=1e-3)
    assert ok.status == "converged" and ok.model.covs[1, 0, 0] == pytest.approx(1e-3, rel=1e-3)


def test_max_iter_message_and_zero_iterations():
    y = casino_model().sample(200, rng=0).y
    fit = fit_hmm(y, 2, init=casino_model(), max_iter=0)
    assert fit.status == "max_iter" and fit.n_iter == 0 and "max_iter = 0" in fit.message
    assert fit.model == casino_model() and fit.loglik == rnnss.hmm_loglik(casino_model(), y)


# -- the dishonest casino ---------------------------------------------------------------------------


def test_casino_parameters_recovered_from_10000_rolls():
    truth = rnnss.load(rnnss_examples("casino_hmm.json"))
    rolls = truth.sample(10_000, rng=2026).y
    fit = fit_hmm(rolls, 2, n_restarts=3, rng=0)
    assert fit.converged
    loaded = int(np.argmax(fit.model.B[:, 5]))  # label switching: the loaded die favours a six
    order = [1 - loaded, loaded]
    A = fit.model.A[np.ix_(order, order)]
    B = fit.model.B[order]
    # Standard errors at this size are ~0.01 (transitions) and ~0.01-0.02 (emissions).
    np.testing.assert_allclose(A, truth.A, atol=0.03)
    np.testing.assert_allclose(B, truth.B, atol=0.04)
    # The maximum likelihood is at least the truth's, and the RNN forms of the fit have its likelihood.
    assert fit.loglik >= rnnss.hmm_loglik(truth, rolls)
    assert rnnss.hmm_to_rnn(fit.model).loglik(rolls) == pytest.approx(fit.loglik, rel=1e-13)
    run = rnnss.belief_rnn(fit.model).run(rolls)
    assert run.loglik == pytest.approx(fit.loglik, rel=1e-13)
    assert run.backward_loglik == pytest.approx(fit.loglik, rel=1e-13)


def test_fitted_gaussian_model_has_the_belief_rnns_likelihood():
    g = GaussianHMM(
        pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], means=[[0.0, 0.0], [3.0, 1.0]], covs=np.stack([np.eye(2)] * 2)
    )
    ys = [g.sample(n, rng=n).y for n in (200, 40)]
    fit = fit_hmm(ys, 2, emission="gaussian", n_restarts=2, rng=1)
    total = sum(rnnss.belief_rnn(fit.model).run(y).loglik for y in ys)
    assert total == pytest.approx(fit.loglik, rel=1e-13)


# -- structural zeros ------------------------------------------------------------------------------

LEFT_RIGHT = HMM(
    pi=[1.0, 0.0, 0.0],
    A=[[0.8, 0.2, 0.0], [0.0, 0.9, 0.1], [0.0, 0.0, 1.0]],
    B=[[0.7, 0.3, 0.0, 0.0], [0.1, 0.5, 0.4, 0.0], [0.0, 0.1, 0.3, 0.6]],
)


def test_structural_zeros_stay_exactly_zero_in_every_restart():
    seqs = [LEFT_RIGHT.sample(n, rng=n).y for n in (60, 25, 90)]
    start = HMM(pi=[1.0, 0.0, 0.0], A=[[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 1.0]],
                B=[[0.5, 0.5, 0.0, 0.0], [0.3, 0.4, 0.3, 0.0], [0.0, 0.3, 0.3, 0.4]])  # fmt: skip
    for seed in range(3):  # restart 0 is `start`, the others random with its zero pattern
        fit = fit_hmm(seqs, 3, init=start, n_restarts=3, rng=seed)
        for name in ("pi", "A", "B"):
            zero = getattr(start, name) == 0
            assert np.all(getattr(fit.model, name)[zero] == 0.0), name
    # free parameters: pi 0, A 1 + 1 + 0, B 1 + 2 + 2 (hmmlearn's count would be 2 + 6 + 9)
    assert fit.n_params == 7
    assert fit.loglik == pytest.approx(rnnss.hmm_to_rnn(fit.model).loglik(seqs).sum(), rel=1e-13)


def test_data_impossible_under_init_zeros_is_a_clear_error():
    with pytest.raises(ValueError, match=r"every restart starts with a non-finite log-likelihood: sequence 1 is "
                       r"impossible under the starting parameters \(probability zero at step 0\)"):  # fmt: skip
        fit_hmm([[0, 1], [3, 3]], 3, init=LEFT_RIGHT, n_restarts=2, rng=0)


# -- degenerate inputs -----------------------------------------------------------------------------


def test_one_state_is_the_symbol_frequencies_closed_form():
    seqs = [[0, 1, 1, 3], [1], [3, 3, 1]]
    fit = fit_hmm(seqs, 1, n_symbols=5)
    counts = np.bincount(np.concatenate(seqs), minlength=5)
    np.testing.assert_allclose(fit.model.B[0], counts / counts.sum(), rtol=1e-15)
    assert fit.model.B[0, 2] == 0.0 and fit.model.B[0, 4] == 0.0  # symbols never observed
    seen = counts[counts > 0]
    assert fit.loglik == pytest.approx(np.sum(seen * np.log(seen / seen.sum())), rel=1e-15)
    assert fit.converged and fit.n_params == 4
    assert rnnss.hmm_loglik(fit.model, [2]) == -np.inf  # a symbol never seen is impossible under the MLE


def test_one_state_gaussian_is_the_sample_mean_and_covariance():
    y = np.random.default_rng(1).standard_normal((50, 2)) @ [[1.0, 0.4], [0.0, 0.8]]
    fit = fit_hmm(y, 1, emission="gaussian")
    np.testing.assert_allclose(fit.model.means[0], y.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(fit.model.covs[0], np.cov(y.T, bias=True), rtol=1e-13)


def test_length_one_sequences_only():
    seqs = [[0], [1], [1], [2], [1]]
    fit = fit_hmm(seqs, 2, init=HMM(pi=[0.5, 0.5], A=[[0.7, 0.3], [0.4, 0.6]], B=[[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]]))
    np.testing.assert_array_equal(fit.model.A, [[0.7, 0.3], [0.4, 0.6]])  # no transitions observed: kept
    assert fit.converged
    assert fit.loglik == pytest.approx(rnnss.hmm_loglik(fit.model, seqs).sum(), rel=1e-14)


def test_unused_state_keeps_its_parameters():
    """State 2 can never be entered (pi_2 = 0, A[:, 2] = 0): its rows get no counts and are kept exactly."""
    init = HMM(pi=[0.5, 0.5, 0.0], A=[[0.6, 0.4, 0.0], [0.3, 0.7, 0.0], [0.2, 0.3, 0.5]],
               B=[[0.6, 0.4], [0.2, 0.8], [0.5, 0.5]])  # fmt: skip
    y = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.1, 0.9]], B=[[0.9, 0.1], [0.1, 0.9]]).sample(300, rng=0).y
    fit = fit_hmm(y, 3, init=init, tol=1e-10)
    np.testing.assert_array_equal(fit.model.A[2], init.A[2])
    np.testing.assert_array_equal(fit.model.B[2], init.B[2])
    assert fit.model.pi[2] == 0.0 and np.all(fit.model.A[:, 2][:2] == 0.0)


def test_empty_and_invalid_inputs_are_refused():
    y = [0, 1, 0]
    with pytest.raises(ValueError, match="sequences is empty: fit_hmm needs at least one sequence"):
        fit_hmm([], 2)
    with pytest.raises(ValueError, match="y|sequences"):
        fit_hmm([[0, 1], []], 2)
    with pytest.raises(ValueError, match=r"sequences\[1\] must hold symbols in \[0, 2\)"):
        fit_hmm([[0, 1], [2]], 2, n_symbols=2)
    with pytest.raises(
        ValueError, match=r"sequences\[1\] must hold symbols in \[0, 3\) .* got sequences\[1\]\[0\] = -1"
    ):
        fit_hmm([[0, 2], [-1]], 2)
    with pytest.raises(ValueError, match=r"must hold integer symbols .* got sequences\[0\] = 0.5"):
        fit_hmm([0.5, 1.0], 2)
    with pytest.raises(ValueError, match="n_states must be an integer >= 1"):
        fit_hmm(y, 0)
    with pytest.raises(ValueError, match="emission must be one of 'categorical', 'gaussian'; got 'poisson'"):
        fit_hmm(y, 2, emission="poisson")
    with pytest.raises(ValueError, match="covariance_type must be one of 'full', 'diag'; got 'tied'"):
        fit_hmm(y, 2, covariance_type="tied")
    with pytest.raises(ValueError, match="tol must be"):
        fit_hmm(y, 2, tol=-1.0)
    with pytest.raises(ValueError, match="max_iter must be an integer >= 0"):
        fit_hmm(y, 2, max_iter=-1)
    with pytest.raises(ValueError, match="covariance_prior must be"):
        fit_hmm(y, 2, covariance_prior=-1.0)
    with pytest.raises(ValueError, match="init must be 'random' or an rnnss.HMM / rnnss.GaussianHMM; got 'kmeans'"):
        fit_hmm(y, 2, init="kmeans")
    with pytest.raises(TypeError, match="init must be 'random' or an rnnss.HMM / rnnss.GaussianHMM; got int"):
        fit_hmm(y, 2, init=3)
    with pytest.raises(ValueError, match="init has 2 states but n_states = 3"):
        fit_hmm(y, 3, init=casino_model())
    with pytest.raises(TypeError, match="init must be an rnnss.GaussianHMM for emission='gaussian'; got HMM"):
        fit_hmm([0.5, 1.0], 2, emission="gaussian", init=casino_model())
    with pytest.raises(ValueError, match="init has 6 symbols but n_symbols = 4"):
        fit_hmm(y, 2, init=casino_model(), n_symbols=4)
    with pytest.raises(ValueError, match="n_symbols applies to categorical emissions only"):
        fit_hmm([0.5, 1.0], 2, emission="gaussian", n_symbols=3)
    full = GaussianHMM(pi=[1.0], A=[[1.0]], means=[[0.0, 0.0]], covs=[[[1.0, 0.2], [0.2, 1.0]]])
    with pytest.raises(ValueError, match="covariance_type='diag' needs diagonal ones"):
        fit_hmm(np.zeros((3, 2)), 1, emission="gaussian", covariance_type="diag", init=full)
    with pytest.raises(TypeError, match="progress must be True or False; got 'yes'"):
        fit_hmm(y, 2, progress="yes")
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        fit_hmm(y, 2, rng="seed")
    with pytest.raises(ValueError, match=r"the data's covariance is singular .* set covariance_prior > 0"):
        fit_hmm(np.ones(10), 1, emission="gaussian")
    assert fit_hmm(np.ones(10), 1, emission="gaussian", covariance_prior=0.1).model.covs[0, 0, 0] == 0.01


def test_gaussian_data_layouts():
    rng = np.random.default_rng(0)
    batch = rng.standard_normal((3, 20, 2))
    a = fit_hmm(batch, 2, emission="gaussian", rng=0, max_iter=5)
    b = fit_hmm(list(batch), 2, emission="gaussian", rng=0, max_iter=5)
    assert a.n_sequences == b.n_sequences == 3 and a.loglik == b.loglik
    one = fit_hmm(batch[0][:, 0], 1, emission="gaussian")  # (T,): d = 1
    assert one.model.n_outputs == 1 and one.n_obs == 20
    with pytest.raises(rnnss.DimensionError, match=r"sequences\[1\] must have shape \(T, 2\)"):
        fit_hmm([batch[0], batch[1][:, :1]], 2, emission="gaussian")


# -- criteria and order selection -----------------------------------------------------------------


@pytest.mark.parametrize("emission, cov_type", [("categorical", "full"), ("gaussian", "full"), ("gaussian", "diag")])
def test_parameter_count_and_criteria_equal_hmmlearns(emission, cov_type):
    if emission == "categorical":
        y = casino_model().sample(500, rng=1).y
        fit = fit_hmm(y, 2, rng=0)
        m = rnnss.to_hmmlearn(fit.model)
        X = y.reshape(-1, 1)
    else:
        g = GaussianHMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], means=[[0.0, 0.0], [3.0, 1.0]],
                        covs=np.stack([np.eye(2)] * 2))  # fmt: skip
        X = g.sample(300, rng=1).y
        fit = fit_hmm(X, 2, emission="gaussian", covariance_type=cov_type, rng=0)
        m = hl.GaussianHMM(n_components=2, covariance_type=cov_type, init_params="")
        m.n_features = 2
        m.startprob_, m.transmat_, m.means_ = fit.model.pi.copy(), fit.model.A.copy(), fit.model.means.copy()
        m.covars_ = fit.model.covs.copy() if cov_type == "full" else np.array([np.diag(c) for c in fit.model.covs])
    assert fit.n_params == sum(m._get_n_fit_scalars_per_param().values())
    assert fit.bic == pytest.approx(m.bic(X), rel=1e-12) and fit.aic == pytest.approx(m.aic(X), rel=1e-12)


def test_select_hmm_order_picks_the_true_number_of_states():
    true = HMM(
        pi=[1 / 3] * 3,
        A=[[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]],
        B=[[0.8, 0.1, 0.1, 0.0], [0.1, 0.8, 0.0, 0.1], [0.0, 0.1, 0.1, 0.8]],
    )
    seqs = [true.sample(n, rng=n).y for n in (1500, 500)]
    sel = select_hmm_order(seqs, n_states=[1, 2, 3, 4], n_restarts=2, rng=0, tol=1e-7, max_iter=300)
    assert sel.best_n_states == 3 and sel.best is sel.fits[2]
    n_obs = 2000
    np.testing.assert_allclose(sel.bic, -2 * sel.loglik + sel.n_params * np.log(n_obs), rtol=1e-14)
    np.testing.assert_array_equal(sel.n_params, [3, 2 + 1 + 2 * 3, 2 + 6 + 3 * 3, 3 + 12 + 4 * 3])
    assert np.all(np.diff(sel.loglik[:3]) > 0)
    assert "chosen: K = 3" in sel.summary() and "best_n_states=3" in repr(sel)
    aic = select_hmm_order(seqs, n_states=[2, 3], criterion="aic", n_restarts=1, rng=0, tol=1e-6)
    assert aic.criterion == "aic" and aic.best_n_states == int(aic.n_states[np.argmin(aic.aic)])


def test_select_hmm_order_rejects_bad_orders():
    with pytest.raises(ValueError, match="n_states must hold at least one number of states"):
        select_hmm_order([0, 1], n_states=[])
    with pytest.raises(ValueError, match=r"n_states must not repeat a value; got \[2, 2\]"):
        select_hmm_order([0, 1], n_states=[2, 2])
    with pytest.raises(ValueError, match="n_states must be an integer >= 1"):
        select_hmm_order([0, 1], n_states=[0, 1])
    with pytest.raises(TypeError, match="n_states must be an iterable of integers"):
        select_hmm_order([0, 1], n_states=3)
    with pytest.raises(ValueError, match="criterion must be one of 'bic', 'aic'"):
        select_hmm_order([0, 1], n_states=[1], criterion="hqic")


# -- progress and engines ------------------------------------------------------------------------


def test_progress_bar_only_when_asked_or_on_a_terminal(capsys):
    y = casino_model().sample(100, rng=0).y
    fit_hmm(y, 2, rng=0, max_iter=3)  # stderr is not a terminal under pytest: silent
    assert capsys.readouterr().err == ""
    fit_hmm(y, 2, rng=0, max_iter=3, n_restarts=2, progress=True)
    err = capsys.readouterr().err
    assert "fit_hmm (K=2)" in err and "/2" in err


def test_numpy_engine_gives_the_same_fit():
    y = casino_model().sample(200, rng=0).y
    a = fit_hmm(y, 2, rng=0, max_iter=20)
    b = fit_hmm(y, 2, rng=0, max_iter=20, engine="numpy")
    np.testing.assert_allclose(a.loglik_history, b.loglik_history, rtol=1e-12)
    np.testing.assert_allclose(a.model.B, b.model.B, atol=1e-12)
