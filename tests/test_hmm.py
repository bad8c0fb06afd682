"""Tests of rnnss.hmm: HMM algorithms, the HMM <-> softmax-RNN converters, the belief-state RNN.

References: brute-force enumeration of every hidden path (likelihood, posteriors, Viterbi), hmmlearn
(score, predict_proba, decode) on identical parameters, extended-precision arithmetic, closed forms,
scipy.stats (chi-square and Kolmogorov-Smirnov tests of the samplers, Gaussian densities).
"""

import dataclasses
import itertools
import math
import sys

import numpy as np
import pytest
import scipy.stats
from hmmlearn import hmm as hl
from hypothesis import given
from hypothesis import strategies as st

import rnnss
from rnnss import (
    HMM,
    BeliefCell,
    DimensionError,
    GaussianHMM,
    IllConditionedError,
    NumericalError,
    OneHotSoftmaxCell,
    belief_rnn,
    emission_loglik,
    from_hmmlearn,
    hmm_backward,
    hmm_forward,
    hmm_loglik,
    hmm_smoother,
    hmm_to_rnn,
    rnn_to_hmm,
    run_belief_rnn,
    simulate,
    to_hmmlearn,
    viterbi,
)
from rnnss.cells import numerical_jacobian, scan

# -- models and independent references ------------------------------------------------------------


def random_hmm(seed, K=3, M=4, zeros=0.0):
    """A random categorical HMM; ``zeros`` is the chance of a structural zero (each row keeps one entry)."""
    rng = np.random.default_rng(seed)

    def rows(n, m):
        P = rng.dirichlet(np.ones(m), n) if n else rng.dirichlet(np.ones(m))
        mask = rng.random(P.shape) < zeros
        keep = rng.integers(m, size=P.shape[:-1])
        np.put_along_axis(mask, keep[..., None], False, axis=-1)
        P = np.where(mask, 0.0, P)
        return P / P.sum(axis=-1, keepdims=True)

    return HMM(pi=rows(0, K), A=rows(K, K), B=rows(K, M))


def random_gaussian_hmm(seed, K=3, d=2):
    rng = np.random.default_rng(seed)
    L = rng.standard_normal((K, d, d)) * 0.5
    covs = L @ np.swapaxes(L, 1, 2) + 0.3 * np.eye(d)
    return GaussianHMM(
        pi=rng.dirichlet(np.ones(K)),
        A=rng.dirichlet(np.ones(K) * 2, K),
        means=2 * rng.standard_normal((K, d)),
        covs=covs,
    )


def emission_probs(hmm, y):
    """p(y_t | z_t = k), shape (T, K), computed directly (B, or scipy.stats for Gaussians)."""
    if isinstance(hmm, HMM):
        return hmm.B[:, np.asarray(y)].T
    y = np.asarray(y, float).reshape(len(y), -1)
    return np.column_stack(
        [scipy.stats.multivariate_normal(hmm.means[k], hmm.covs[k]).pdf(y).reshape(-1) for k in range(hmm.n_states)]
    )


def brute_force(hmm, y):
    """Enumerate all K^T paths: likelihood, posteriors, the best path with its joint probability, second best."""
    E = emission_probs(hmm, y)
    T, K = E.shape
    paths = np.array(list(itertools.product(range(K), repeat=T)))
    p = (
        hmm.pi[paths[:, 0]]
        * np.prod(hmm.A[paths[:, :-1], paths[:, 1:]], axis=1)
        * np.prod(E[np.arange(T), paths], axis=1)
    )
    total = p.sum()
    post = np.array([[p[paths[:, t] == k].sum() for k in range(K)] for t in range(T)]) / total if total > 0 else None
    order = np.argsort(p)[::-1]
    return total, post, paths[order[0]], p[order[0]], p[order[1]] if len(p) > 1 else 0.0


def hmmlearn_model(hmm, implementation="log"):
    """hmmlearn on the same parameters, set attribute by attribute (independently of to_hmmlearn)."""
    if isinstance(hmm, HMM):
        m = hl.CategoricalHMM(
            n_components=hmm.n_states, n_features=hmm.n_symbols, init_params="", implementation=implementation
        )
        m.emissionprob_ = np.array(hmm.B)
    else:
        m = hl.GaussianHMM(
            n_components=hmm.n_states, covariance_type="full", init_params="", implementation=implementation
        )
        m.n_features = hmm.n_outputs
        m.means_, m.covars_ = np.array(hmm.means), np.array(hmm.covs)
    m.startprob_, m.transmat_ = np.array(hmm.pi), np.array(hmm.A)
    return m


def column(y):
    y = np.asarray(y)
    return y.reshape(-1, 1) if y.ndim == 1 else y


def every_loglik(hmm, y):
    """The log-likelihood by each rnnss route."""
    out = {"scaled": hmm_loglik(hmm, y), "log": hmm_loglik(hmm, y, method="log")}
    run = belief_rnn(hmm).run(y)
    out.update(belief=run.loglik, belief_backward=run.backward_loglik)
    if isinstance(hmm, HMM):
        out["softmax_rnn"] = hmm_to_rnn(hmm).loglik(y)
    return out


CASINO = HMM(pi=[0.5, 0.5], A=[[0.95, 0.05], [0.1, 0.9]], B=[[1 / 6] * 6, [0.1] * 5 + [0.5]])

# A left-to-right chain with structural zeros in pi, A and B (state 2 absorbs, state 0 never emits 2).
SPARSE = HMM(
    pi=[1.0, 0.0, 0.0],
    A=[[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.0, 0.0, 1.0]],
    B=[[0.7, 0.3, 0.0], [0.1, 0.6, 0.3], [0.0, 0.2, 0.8]],
)

# -- construction and validation -------------------------------------------------------------------


def test_hmm_holds_read_only_copies_and_reports_zeros():
    A = np.array([[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.0, 0.0, 1.0]])
    hmm = dataclasses.replace(SPARSE, A=A)
    A[0, 0] = 0.0
    assert hmm.A[0, 0] == 0.6 and (hmm.n_states, hmm.n_symbols) == (3, 3)
    with pytest.raises(ValueError, match="read-only"):
        hmm.B[0, 0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        hmm.pi = np.ones(3) / 3
    assert repr(hmm) == "HMM(K=3 states, M=3 symbols; zeros: pi 2, A 4, B 2)"
    assert "A =" in hmm.summary() and hmm == SPARSE and hmm != CASINO


def test_rows_within_tolerance_are_rescaled_exact_rows_kept_bit_for_bit():
    A = np.array([[0.3, 0.7], [1 / 3, 2 / 3 + 1e-9]])  # row 1 off by 1e-9: rescaled; row 0 sums to 1 exactly
    hmm = HMM(pi=[0.1, 0.9], A=A, B=[[1.0], [1.0]])
    np.testing.assert_array_equal(hmm.A[0], A[0])
    assert abs(hmm.A[1].sum() - 1.0) < 1e-15
    assert HMM(pi=hmm.pi, A=hmm.A, B=hmm.B) == hmm  # validating again changes nothing (save/load, replace)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(pi=[0.5, 0.6]), ValueError, r"pi must sum to one \(within 1e-08\); got sum 1.1"),
        (dict(pi=[1.2, -0.2]), ValueError, r"pi must hold probabilities \(non-negative\); got pi\[1\] = -0.2"),
        (
            dict(A=[[0.5, 0.5], [0.5, 0.4]]),
            ValueError,
            r"A must be row-stochastic: every row sums to one \(within 1e-08\); row 1 sums to 0.9",
        ),
        (
            dict(A=[[1.1, -0.1], [0.5, 0.5]]),
            ValueError,
            r"A must hold probabilities \(non-negative\); got A\[0, 1\] = -0.1",
        ),
        (dict(B=[[0.5, 0.5], [0.7, 0.2]]), ValueError, r"B must be row-stochastic.*row 1 sums to 0.9"),
        (
            dict(B=[[0.5, np.nan], [0.5, 0.5]]),
            ValueError,
            r"B must be finite; got non-finite value .*nan.* at index \(0, 1\)",
        ),
        (dict(A=[[np.inf, 0.0], [0.5, 0.5]]), ValueError, r"A must be finite"),
        (dict(A=np.eye(3)), DimensionError, r"A must have shape \(2, 2\); got shape \(3, 3\)"),
        (dict(A=[0.5, 0.5]), DimensionError, r"A must have shape \(2, 2\); got shape \(2,\)"),
        (dict(B=np.ones((3, 1))), DimensionError, r"B must have shape \(2, \?\); got shape \(3, 1\)"),
        (dict(B=np.ones((2, 0))), DimensionError, r"B must hold at least one symbol"),
        (dict(pi=[[0.5, 0.5]]), DimensionError, r"pi must have shape \(\?,\); got shape \(1, 2\)"),
        (dict(pi=[]), DimensionError, r"pi must hold at least one state"),
        (dict(pi="ab"), TypeError, r"pi must be an array of real numbers"),
        (dict(B=[["a", "b"], ["c", "d"]]), TypeError, r"B must be an array of real numbers"),
    ],
)
def test_malformed_hmm_rejected_naming_the_argument(kwargs, exc, match):
    args = dict(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]]) | kwargs
    with pytest.raises(exc, match=match):
        HMM(**args)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(means=np.zeros((3, 1))), DimensionError, r"means must have shape \(2, \?\); got shape \(3, 1\)"),
        (dict(covs=np.ones((2, 1))), DimensionError, r"covs must have shape \(2, 1, 1\); got shape \(2, 1\)"),
        (
            dict(covs=[[[1.0]], [[-1.0]]]),
            ValueError,
            r"covs\[1\] must be symmetric positive semi-definite .* min eigenvalue -1",
        ),
        (
            dict(means=np.zeros((2, 2)), covs=[np.eye(2), [[1.0, 0.5], [0.0, 1.0]]]),
            ValueError,
            r"covs\[1\] must be symmetric.*non-symmetric",
        ),
        (dict(covs=[[[1.0]], [[0.0]]]), ValueError, r"covs\[1\] must be positive definite"),
        (dict(means=[[0.0], [np.nan]]), ValueError, r"means must be finite"),
        (dict(means=np.zeros((2, 0))), DimensionError, r"means must have at least one column"),
    ],
)
def test_malformed_gaussian_hmm_rejected(kwargs, exc, match):
    args = dict(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], means=[[0.0], [1.0]], covs=[[[1.0]], [[2.0]]]) | kwargs
    with pytest.raises(exc, match=match):
        GaussianHMM(**args)


def test_ill_conditioned_covariance_reports_condition_number():
    with pytest.raises(IllConditionedError, match=r"covs\[0\] is ill-conditioned \(condition number 1e\+13") as info:
        GaussianHMM(pi=[1.0], A=[[1.0]], means=[[0.0, 0.0]], covs=[np.diag([1.0, 1e-13])])
    assert info.value.condition_number == pytest.approx(1e13)


@pytest.mark.parametrize(
    "y, exc, match",
    [
        ([0, 1.5, 1], ValueError, r"y must hold integer symbols in \[0, 2\); got y\[1\] = 1.5"),
        ([0, 2], ValueError, r"y must hold symbols in \[0, 2\) \(the model has 2 symbols\); got y\[1\] = 2"),
        ([-1, 0], ValueError, r"got y\[0\] = -1"),
        ([0.0, np.nan], ValueError, r"y must hold integer symbols .* got y\[1\] = nan"),
        ([True, False], TypeError, r"y must hold integer symbols in \[0, 2\); got dtype bool"),
        ("01", TypeError, r"y must be a sequence of integer symbols; got str"),
        (["a", "b"], TypeError, r"got dtype <U1"),
        ([], ValueError, r"y must hold at least one time step"),
        (np.zeros((4, 1), int), DimensionError, r"shape \(T,\); got shape \(4, 1\): .* y.ravel\(\)"),
        ([[0, 1], [1, 5]], ValueError, r"y\[1\] must hold symbols in \[0, 2\) .* got y\[1\]\[1\] = 5"),
        ([[0, 1], 1], TypeError, r"y mixes symbols and sequences"),
    ],
)
def test_bad_observations_rejected(y, exc, match):
    with pytest.raises(exc, match=match):
        hmm_loglik(HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]]), y)


def test_integral_floats_accepted_as_symbols():
    assert hmm_loglik(CASINO, np.array([5.0, 0.0])) == hmm_loglik(CASINO, [5, 0])


def test_gaussian_observations_shapes():
    g = random_gaussian_hmm(3, K=2, d=2)
    y = simulate(g, 6, rng=1).y
    with pytest.raises(DimensionError, match=r"y must have shape \(T, 2\) or \(batch, T, 2\); got shape \(6, 3\)"):
        hmm_loglik(g, np.hstack([y, y[:, :1]]))
    with pytest.raises(ValueError, match="y must be finite"):
        hmm_loglik(g, np.where(np.arange(12).reshape(6, 2) == 3, np.nan, y))
    one = hmm_loglik(g, y)
    np.testing.assert_array_equal(hmm_loglik(g, [y, y[:3]]), [one, hmm_loglik(g, y[:3])])
    np.testing.assert_array_equal(hmm_loglik(g, np.stack([y, y])), [one, one])
    assert hmm_loglik(g, y.tolist()) == one  # a list of observation rows is one sequence


@pytest.mark.parametrize("fn", [hmm_forward, hmm_backward, hmm_smoother, hmm_loglik])
def test_unknown_method_and_wrong_model_rejected(fn):
    with pytest.raises(ValueError, match=r"method must be one of 'scaled', 'log'; got 'fast'"):
        fn(CASINO, [0, 1], method="fast")
    with pytest.raises(TypeError, match="hmm must be a rnnss.HMM or rnnss.GaussianHMM; got LinearRNN"):
        fn(rnnss.LinearRNN(W=0.5), [0, 1])


def test_single_sequence_functions_refuse_many():
    for fn in (hmm_forward, hmm_smoother, viterbi, emission_loglik):
        with pytest.raises(DimensionError, match="y must be one sequence here; got 2 sequences"):
            fn(CASINO, [[0, 1], [2]])


# -- likelihood: every route agrees with brute force and hmmlearn ---------------------------------


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("zeros", [0.0, 0.3])
def test_loglik_all_routes_equal_brute_force_and_hmmlearn(seed, zeros):
    """K = 3, T = 6: scaled, log, softmax RNN, belief RNN (both directions), hmmlearn (both implementations)."""
    hmm = random_hmm(seed, zeros=zeros)
    y = simulate(hmm, 6, rng=seed).y
    ref = math.log(brute_force(hmm, y)[0])
    for name, value in every_loglik(hmm, y).items():
        assert value == pytest.approx(ref, rel=1e-13, abs=0), name
    for impl in ("log", "scaling"):
        assert hmmlearn_model(hmm, impl).score(column(y)) == pytest.approx(ref, rel=1e-13)


def test_loglik_gaussian_equals_brute_force_and_hmmlearn():
    g = random_gaussian_hmm(0)
    y = simulate(g, 5, rng=2).y
    ref = math.log(brute_force(g, y)[0])
    for name, value in every_loglik(g, y).items():
        assert value == pytest.approx(ref, rel=1e-12), name
    assert hmmlearn_model(g).score(y) == pytest.approx(ref, rel=1e-12)
    logpdf = [scipy.stats.multivariate_normal(g.means[k], g.covs[k]).logpdf(y) for k in range(3)]
    np.testing.assert_allclose(emission_loglik(g, y), np.column_stack(logpdf), rtol=1e-13)


def test_casino_worked_example_closed_form():
    """Three sixes then a one, by hand: alpha recursion on the 2-state casino."""
    alpha = np.array([0.5 / 6, 0.5 * 0.5])
    for y in (5, 5, 0):
        alpha = (alpha @ CASINO.A) * CASINO.B[:, y]
    assert hmm_loglik(CASINO, [5, 5, 5, 0]) == pytest.approx(math.log(alpha.sum()), rel=1e-15)


def test_length_one_sequence_closed_form():
    for y in range(6):
        joint = CASINO.pi * CASINO.B[:, y]
        for value in every_loglik(CASINO, [y]).values():
            assert value == pytest.approx(math.log(joint.sum()), rel=1e-15)
        np.testing.assert_allclose(hmm_smoother(CASINO, [y]).posteriors[0], joint / joint.sum(), rtol=1e-15)
        assert viterbi(CASINO, [y]).path[0] == np.argmax(joint)
        np.testing.assert_array_equal(hmm_backward(CASINO, [y]).log_beta, [[0.0, 0.0]])


def test_many_sequences_of_different_lengths_match_hmmlearn_sum():
    hmm = random_hmm(5, zeros=0.2)
    seqs = [simulate(hmm, T, rng=T).y for T in (1, 7, 30)]
    each = hmm_loglik(hmm, seqs)
    assert each.shape == (3,)
    np.testing.assert_allclose(each, [hmm_loglik(hmm, s) for s in seqs], rtol=1e-15)
    np.testing.assert_allclose(hmm_loglik(hmm, [s.tolist() for s in seqs], method="log"), each, rtol=1e-13)
    np.testing.assert_allclose(hmm_to_rnn(hmm).loglik(seqs), each, rtol=1e-13)
    score = hmmlearn_model(hmm).score(np.concatenate(seqs).reshape(-1, 1), lengths=[len(s) for s in seqs])
    assert each.sum() == pytest.approx(score, rel=1e-13)


def test_long_sequence_no_underflow_scaled_log_hmmlearn_and_extended_precision():
    """10^5 steps: p(y) ~ e^-130000 underflows any direct product; every route stays exact."""
    hmm = random_hmm(11, zeros=0.2)
    y = simulate(hmm, 100_000, rng=3).y
    scaled, log = hmm_loglik(hmm, y), hmm_loglik(hmm, y, method="log")
    assert np.isfinite(scaled) and scaled < -50_000
    # Independent reference: the scaled recursion in 80-bit extended precision, summed in it too.
    A, B, a = hmm.A.astype(np.longdouble), hmm.B.astype(np.longdouble), hmm.pi.astype(np.longdouble)
    terms = np.empty(len(y), dtype=np.longdouble)
    for t, s in enumerate(y):
        u = (a @ A if t else a) * B[:, s]
        terms[t] = np.log(u.sum())
        a = u / u.sum()
    ref = float(terms.sum())
    assert scaled == pytest.approx(ref, rel=1e-14) and log == pytest.approx(ref, rel=1e-14)
    assert hmmlearn_model(hmm).score(column(y)) == pytest.approx(ref, rel=1e-10)  # hmmlearn drifts ~1e-12
    assert hmm_to_rnn(hmm).loglik(y) == pytest.approx(ref, rel=1e-14)
    run = belief_rnn(hmm).run(y)
    assert run.loglik == pytest.approx(ref, rel=1e-14) and run.backward_loglik == pytest.approx(ref, rel=1e-14)
    sm = hmm_smoother(hmm, y)
    ref_post = hmmlearn_model(hmm, "scaling").predict_proba(column(y))
    np.testing.assert_allclose(sm.posteriors, ref_post, atol=1e-9)
    np.testing.assert_allclose(run.posteriors, sm.posteriors, atol=1e-13)
    vit = viterbi(hmm, y)
    lp, path = hmmlearn_model(hmm).decode(column(y))
    assert vit.loglik == pytest.approx(lp, rel=1e-10)
    joint = lambda z: math.fsum(
        np.log(hmm.pi[z[:1]]).tolist() + np.log(hmm.A[z[:-1], z[1:]]).tolist() + np.log(hmm.B[z, y]).tolist()
    )  # noqa: E731
    # Paths may differ only at exact ties; both must reach the same joint probability.
    assert joint(vit.path) == pytest.approx(vit.loglik, rel=1e-15) and joint(path) == joint(vit.path)


def test_scaled_long_gaussian_sequence_matches_log_and_hmmlearn():
    g = random_gaussian_hmm(4, K=3, d=2)
    y = simulate(g, 20_000, rng=5).y
    scaled = hmm_loglik(g, y)
    assert scaled == pytest.approx(hmm_loglik(g, y, method="log"), rel=1e-14)
    assert scaled == pytest.approx(hmmlearn_model(g).score(y), rel=1e-10)


# -- structural zeros --------------------------------------------------------------------------------


def test_impossible_observation_gives_exactly_minus_inf_everywhere():
    y = [0, 2, 1]  # state 0 (the only start) never emits 2 and cannot be left in one step for state 2 only
    hmm = HMM(
        pi=[1.0, 0.0, 0.0],
        A=[[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.0, 0.0, 1.0]],
        B=[[0.7, 0.3, 0.0], [0.1, 0.9, 0.0], [0.0, 0.2, 0.8]],
    )
    assert brute_force(hmm, y)[0] == 0.0
    for name, value in every_loglik(hmm, y).items():
        assert value == -np.inf, name
    assert hmmlearn_model(hmm).score(column(y)) == -np.inf
    for method in ("scaled", "log"):
        f = hmm_forward(hmm, y, method=method)
        assert f.loglik == -np.inf and f.log_normalizers[1] == -np.inf
        assert np.isnan(f.filtered[1:]).all() and np.isnan(f.log_normalizers[2])
        np.testing.assert_array_equal(f.filtered[0], [1.0, 0.0, 0.0])
        with pytest.raises(ValueError, match="probability zero under the model"):
            hmm_smoother(hmm, y, method=method)
    with pytest.raises(ValueError, match=r"probability zero under the model \(impossible at step 1\)"):
        viterbi(hmm, y)
    lb = hmm_backward(hmm, y, method="log").log_beta  # beta is defined even when p(y) = 0
    np.testing.assert_allclose(hmm_backward(hmm, y).log_beta, lb, rtol=1e-14)  # -inf at the same places
    assert np.isneginf(lb[0, 0]) and np.isfinite(lb[1]).all()


def test_structural_zeros_give_exact_zero_posteriors_and_minus_inf_logs():
    y = [0, 1, 1, 2, 2]
    total, post, *_ = brute_force(SPARSE, y)
    for method in ("scaled", "log"):
        sm = hmm_smoother(SPARSE, y, method=method)
        np.testing.assert_allclose(sm.posteriors, post, atol=1e-15)
        np.testing.assert_array_equal(sm.posteriors == 0, post == 0)  # zero exactly where brute force is zero
        np.testing.assert_array_equal(np.isneginf(sm.forward.log_alpha), sm.forward.filtered == 0)
        assert sm.loglik == pytest.approx(math.log(total), rel=1e-14)
    cell = hmm_to_rnn(SPARSE)
    assert (
        np.isneginf(cell.W).sum() == 4 and np.isneginf(cell.V).sum() == 2 and np.isneginf(cell.init_logits).sum() == 2
    )


def test_scaled_underflow_fails_loudly_log_space_succeeds():
    """A predictive probability of ~2e-324 underflows the scaled recursion; the log-space one is exact."""
    hmm = GaussianHMM(
        pi=[0.4, 0.6, 0.0],
        A=[[1.0, 0.0, 5e-324], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        means=[[0.0], [0.0], [100.0]],
        covs=np.ones((3, 1, 1)),
    )
    y = [0.0, 100.0]
    with pytest.raises(NumericalError, match="scaled forward recursion underflowed at step 1 .* use method='log'"):
        hmm_loglik(hmm, y)
    expected = math.log(0.4) + math.log(5e-324) + scipy.stats.norm.logpdf(0.0) + scipy.stats.norm.logpdf(0.0)
    assert hmm_loglik(hmm, y, method="log") == pytest.approx(expected, rel=1e-13)


# -- posteriors, filtering, backward, Viterbi ---------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_posteriors_filtering_and_viterbi_vs_brute_force_and_hmmlearn(seed):
    hmm = random_hmm(seed + 10, zeros=0.25)
    y = simulate(hmm, 6, rng=seed).y
    total, post, best, pbest, psecond = brute_force(hmm, y)
    for method in ("scaled", "log"):
        sm = hmm_smoother(hmm, y, method=method)
        np.testing.assert_allclose(sm.posteriors, post, atol=1e-14)
        filtered = np.array([brute_force(hmm, y[: t + 1])[1][-1] for t in range(len(y))])
        np.testing.assert_allclose(sm.filtered, filtered, atol=1e-14)
        # alpha_t . beta_t = p(y) at every t.
        with np.errstate(invalid="ignore"):
            both = sm.forward.log_alpha + sm.backward.log_beta
        np.testing.assert_allclose(np.log(np.exp(both).sum(axis=1)), math.log(total), rtol=1e-13)
        predicted = np.vstack([hmm.pi, filtered[:-1] @ hmm.A])
        np.testing.assert_allclose(sm.forward.predicted, predicted, atol=1e-14)
        assert math.fsum(sm.forward.log_normalizers) == pytest.approx(math.log(total), rel=1e-14)
    np.testing.assert_allclose(hmmlearn_model(hmm).predict_proba(column(y)), post, atol=1e-13)
    vit = viterbi(hmm, y)
    assert psecond < pbest * (1 - 1e-9)  # a unique best path, so the comparison is well posed
    np.testing.assert_array_equal(vit.path, best)
    assert vit.loglik == pytest.approx(math.log(pbest), rel=1e-14)
    lp, path = hmmlearn_model(hmm).decode(column(y))
    np.testing.assert_array_equal(path, best)
    assert lp == pytest.approx(vit.loglik, rel=1e-13)


def test_gaussian_posteriors_and_viterbi_vs_brute_force_and_hmmlearn():
    g = random_gaussian_hmm(7)
    y = simulate(g, 5, rng=8).y
    total, post, best, pbest, _ = brute_force(g, y)
    np.testing.assert_allclose(hmm_smoother(g, y).posteriors, post, atol=1e-13)
    np.testing.assert_allclose(hmm_smoother(g, y, method="log").posteriors, post, atol=1e-13)
    np.testing.assert_allclose(belief_rnn(g).run(y).posteriors, post, atol=1e-13)
    np.testing.assert_allclose(hmmlearn_model(g).predict_proba(y), post, atol=1e-12)
    vit = viterbi(g, y)
    np.testing.assert_array_equal(vit.path, best)
    np.testing.assert_array_equal(hmmlearn_model(g).decode(y)[1], best)
    assert vit.loglik == pytest.approx(math.log(pbest), rel=1e-13)


def test_backward_log_beta_closed_form_two_steps():
    hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    for method in ("scaled", "log"):
        lb = hmm_backward(hmm, [0, 1, 1], method=method).log_beta
        beta2 = hmm.A @ hmm.B[:, 1]
        np.testing.assert_allclose(np.exp(lb), [hmm.A @ (hmm.B[:, 1] * beta2), beta2, [1.0, 1.0]], rtol=1e-15)


def test_result_reprs():
    sm = hmm_smoother(CASINO, [5, 5, 0])
    assert repr(sm).startswith("HMMSmootherResult(T=3, K=2, loglik=") and "method='scaled'" in repr(sm)
    assert (
        repr(sm.forward).startswith("HMMFilterResult(T=3, K=2")
        and repr(sm.backward) == "HMMBackwardResult(T=3, K=2, method='scaled')"
    )
    assert repr(viterbi(CASINO, [5, 5])).startswith("ViterbiResult(T=2, loglik=-")
    assert repr(simulate(CASINO, 4, batch=2, rng=0)) == "HMMSample(states: shape (2, 4), y: shape (2, 4), K=2)"
    assert repr(belief_rnn(CASINO)).startswith("BeliefRNN(HMM(K=2")


# -- sampling: chi-square goodness of fit -----------------------------------------------------------


def _counts(states, y, K, M):
    first = np.bincount(states[:, 0], minlength=K)
    trans = np.zeros((K, K))
    np.add.at(trans, (states[:, :-1].ravel(), states[:, 1:].ravel()), 1)
    emit = np.zeros((K, M))
    np.add.at(emit, (states.ravel(), y.ravel()), 1)
    return first, trans, emit


def _chi2_pvalue(observed, probs):
    """Goodness of fit over the cells of positive probability; cells of probability zero must be empty."""
    assert observed[probs == 0].sum() == 0
    keep = probs > 0
    if keep.sum() < 2:
        return 1.0
    return scipy.stats.chisquare(observed[keep], observed.sum() * probs[keep]).pvalue


@pytest.mark.parametrize("sampler", ["hmm", "softmax_rnn"])
def test_sampling_frequencies_chi_square(sampler):
    """First states vs pi, transitions vs rows of A, emissions vs rows of B (SPARSE has zeros in all three)."""
    hmm = HMM(pi=[0.2, 0.8, 0.0], A=[[0.6, 0.4, 0.0], [0.0, 0.7, 0.3], [0.5, 0.0, 0.5]], B=SPARSE.B)
    draw = simulate(hmm, 40, batch=3000, rng=12) if sampler == "hmm" else hmm_to_rnn(hmm).sample(40, batch=3000, rng=12)
    first, trans, emit = _counts(draw.states, draw.y, 3, 3)
    pvalues = [_chi2_pvalue(first, hmm.pi)]
    pvalues += [_chi2_pvalue(trans[i], hmm.A[i]) for i in range(3)]
    pvalues += [_chi2_pvalue(emit[i], hmm.B[i]) for i in range(3)]
    assert min(pvalues) > 1e-3, pvalues
    # The test has power: the same counts reject a distribution off by 0.02.
    assert (
        _chi2_pvalue(trans[1], np.array([0.0, 0.68, 0.32])) < 1e-6
        and _chi2_pvalue(emit[2], np.array([0.0, 0.18, 0.82])) < 1e-6
    )
    np.testing.assert_array_equal(draw.h.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(np.argmax(draw.h, axis=-1), draw.states)


def test_sampling_is_reproducible_and_layouts():
    a, b = simulate(CASINO, 50, rng=3), simulate(CASINO, 50, rng=3)
    np.testing.assert_array_equal(a.y, b.y)
    # One chain and a batch take different code paths; the first row of a batch uses the same uniforms.
    np.testing.assert_array_equal(simulate(SPARSE, 60, batch=2, rng=3).states[0], simulate(SPARSE, 60, rng=3).states)
    assert a.states.shape == a.y.shape == (50,)
    cell = hmm_to_rnn(CASINO)
    np.testing.assert_array_equal(cell.sample(20, rng=4).y, cell.sample(20, rng=np.random.default_rng(4)).y)
    g = random_gaussian_hmm(1, K=2, d=3)
    assert simulate(g, 7, batch=2, rng=0).y.shape == (2, 7, 3)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        simulate(CASINO, 0)
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        simulate(CASINO, 3, rng="seed")


def test_gaussian_sampling_whitened_residuals_are_standard_normal():
    """Kolmogorov-Smirnov: L_k^-1 (y - mu_k) ~ N(0, I) given the sampled state, and states follow A."""
    g = random_gaussian_hmm(2, K=2, d=2)
    draw = simulate(g, 200, batch=50, rng=6)
    z = []
    for k in range(2):
        r = draw.y[draw.states == k] - g.means[k]
        z.append(np.linalg.solve(np.linalg.cholesky(g.covs[k]), r.T).ravel())
    assert scipy.stats.kstest(np.concatenate(z), "norm").pvalue > 1e-3
    _, trans, _ = _counts(draw.states, np.zeros_like(draw.states), 2, 1)
    assert min(_chi2_pvalue(trans[i], g.A[i]) for i in range(2)) > 1e-3


# -- HMM <-> softmax RNN --------------------------------------------------------------------------------


def test_hmm_to_rnn_is_the_seeds_log_mapping():
    cell = hmm_to_rnn(SPARSE)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(cell.W, np.log(SPARSE.A).T)
        np.testing.assert_array_equal(cell.V, np.log(SPARSE.B).T)
        np.testing.assert_array_equal(cell.init_logits, np.log(SPARSE.pi))
    for i in range(3):
        h = np.eye(3)[i]  # softmax(W h) with a one-hot h is row i of A; softmax(V h) is row i of B
        logits = cell.W[:, i]
        np.testing.assert_allclose(
            np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum(), SPARSE.A[i], rtol=1e-15
        )
        np.testing.assert_allclose(cell.step(np.zeros(0), h), SPARSE.A[i], rtol=1e-15)
    assert repr(cell) == "OneHotSoftmaxCell(K=3 states, M=3 symbols, -inf logits=8)"
    assert (cell.n_inputs, cell.n_hidden, cell.n_symbols, cell.state_size) == (0, 3, 3, 3)


@pytest.mark.parametrize("seed", range(3))
def test_round_trip_exact_and_zeros_stay_zero(seed):
    hmm = random_hmm(seed, K=4, M=5, zeros=0.3)
    back = rnn_to_hmm(hmm_to_rnn(hmm))
    for name in ("pi", "A", "B"):
        p, q = getattr(hmm, name), getattr(back, name)
        np.testing.assert_array_equal(q == 0, p == 0)
        pos = p > 0
        bound = 4 * np.finfo(float).eps * (1 + np.abs(np.log(p[pos])))  # the rounding of exp(log p)
        assert np.all(np.abs(q[pos] - p[pos]) <= bound * p[pos]), name
    np.testing.assert_array_equal(hmm_to_rnn(back).W == -np.inf, hmm_to_rnn(hmm).W == -np.inf)


def test_unnormalised_logits_are_an_hmm_too():
    """Any logits define an HMM (softmax normalises); converting back gives normalised logits, same model."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 3)) * 3
    W[1, 0] = -np.inf
    cell = OneHotSoftmaxCell(W=W, V=rng.standard_normal((4, 3)), init_logits=[0.0, 5.0, -np.inf])
    hmm = rnn_to_hmm(cell)
    assert hmm.A[0, 1] == 0.0 and hmm.pi[2] == 0.0
    y = cell.sample(6, rng=1).y
    assert cell.loglik(y) == pytest.approx(math.log(brute_force(hmm, y)[0]), rel=1e-13)
    assert hmm_to_rnn(hmm).loglik(y) == pytest.approx(cell.loglik(y), rel=1e-13)


def test_softmax_cell_step_is_the_expected_next_state():
    """scan from the zero state gives the prior marginals p(z_t) = pi A^(t-1) (Chapman-Kolmogorov)."""
    cell = hmm_to_rnn(CASINO)
    marg = scan(cell, np.zeros((5, 0)))
    ref = [CASINO.pi @ np.linalg.matrix_power(CASINO.A, t) for t in range(5)]
    np.testing.assert_allclose(marg, ref, rtol=1e-14)
    np.testing.assert_allclose(cell.step(np.zeros(0), np.zeros(2)), CASINO.pi, rtol=1e-15)
    batch = cell.step(np.zeros((2, 0)), np.eye(2))
    np.testing.assert_allclose(batch, CASINO.A, rtol=1e-15)
    x, h = np.zeros(0), np.array([0.3, 0.7])
    np.testing.assert_allclose(cell.jacobian(x, h), numerical_jacobian(cell, x, h), atol=1e-9)
    assert cell.jacobian(np.zeros((3, 0)), np.ones((3, 2)) / 2).shape == (3, 2, 2)
    assert cell.input_jacobian(x, h).shape == (2, 0)
    assert cell.jacobian_bound == pytest.approx(np.linalg.norm(cell.jacobian(x, h), 2))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            dict(W=[[0.0, np.nan], [0.0, 0.0]]),
            ValueError,
            r"W must hold real logits or -inf .* got nan at index \(0, 1\)",
        ),
        (dict(W=[[0.0, np.inf], [0.0, 0.0]]), ValueError, r"W must hold real logits or -inf .* got inf"),
        (
            dict(W=[[0.0, -np.inf], [0.0, -np.inf]]),
            ValueError,
            r"W column 1 is all -inf: softmax\(W\[:, 1\]\) is undefined",
        ),
        (dict(V=[[-np.inf, 0.0]]), ValueError, r"V column 0 is all -inf"),
        (dict(init_logits=[-np.inf, -np.inf]), ValueError, r"init_logits is all -inf"),
        (
            dict(W=np.zeros((2, 3))),
            DimensionError,
            r"W must be a square matrix with shape \(K, K\); got shape \(2, 3\)",
        ),
        (dict(V=np.zeros((3, 3))), DimensionError, r"V must have shape \(\?, 2\); got shape \(3, 3\)"),
        (dict(init_logits=np.zeros(3)), DimensionError, r"init_logits must have shape \(2,\); got shape \(3,\)"),
    ],
)
def test_malformed_softmax_cell_rejected(kwargs, exc, match):
    args = dict(W=np.zeros((2, 2)), V=np.zeros((3, 2)), init_logits=np.zeros(2)) | kwargs
    with pytest.raises(exc, match=match):
        OneHotSoftmaxCell(**args)


def test_converter_type_errors():
    with pytest.raises(TypeError, match="hmm_to_rnn needs a categorical rnnss.HMM: a GaussianHMM"):
        hmm_to_rnn(random_gaussian_hmm(0))
    with pytest.raises(TypeError, match="hmm must be a rnnss.HMM; got str"):
        hmm_to_rnn("hmm")
    with pytest.raises(TypeError, match="cell must be a rnnss.OneHotSoftmaxCell; got BeliefCell"):
        rnn_to_hmm(belief_rnn(CASINO).forward)


# -- the belief-state RNN ------------------------------------------------------------------------------


def test_belief_cells_driven_by_scan_are_the_filter_and_backward_pass():
    hmm = random_hmm(21, zeros=0.2)
    y = simulate(hmm, 12, rng=2).y
    x = np.eye(hmm.n_symbols)[y]  # one-hot symbols: the cells' input
    pair = belief_rnn(hmm)
    run = run_belief_rnn(pair, y)
    total, post, *_ = brute_force(hmm, y[:8])
    np.testing.assert_allclose(scan(pair.forward, x), run.filtered, atol=1e-15)
    np.testing.assert_allclose(run.filtered, hmm_forward(hmm, y, method="log").filtered, atol=1e-14)
    # Backward: read y_T .. y_2 in reverse from the zero state (beta_T = 1).
    np.testing.assert_allclose(scan(pair.backward, x[:0:-1])[::-1], run.backward[:-1], atol=1e-15)
    beta = np.exp(hmm_backward(hmm, y, method="log").log_beta)
    np.testing.assert_allclose(run.backward, beta / beta.sum(axis=1, keepdims=True), atol=1e-14)
    np.testing.assert_allclose(run.posteriors, hmm_smoother(hmm, y, method="log").posteriors, atol=1e-14)
    np.testing.assert_allclose(run_belief_rnn(pair, y[:8]).posteriors, post, atol=1e-14)
    assert math.fsum(run.log_normalizers) == run.loglik
    assert repr(run).startswith("BeliefRun(T=12, K=3, loglik=")


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("one_hot", [True, False])
def test_belief_cell_jacobians_match_finite_differences(reverse, one_hot):
    hmm = random_hmm(3)
    cell = BeliefCell(hmm.A, hmm.pi, hmm.B if one_hot else None, reverse=reverse)
    x = np.array([0.2, 0.5, 0.2, 0.1]) if one_hot else np.array([0.3, 0.9, 0.5])  # soft evidence: interior point
    state = np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(cell.jacobian(x, state), numerical_jacobian(cell, x, state), atol=1e-8)
    for s in (state, np.zeros(3)):  # the input Jacobian is defined at the start flag too (prior pi or 1)
        np.testing.assert_allclose(cell.input_jacobian(x, s), numerical_jacobian(cell, x, s, wrt="input"), atol=1e-8)
    batched = cell.jacobian(np.stack([x, x]), np.stack([np.zeros(3), state]))
    assert batched.shape == (2, 3, 3) and np.isnan(batched[0]).all() and np.isfinite(batched[1]).all()


def test_belief_cell_validation_and_impossible_step():
    with pytest.raises(ValueError, match="A must be row-stochastic"):
        BeliefCell(A=[[0.5, 0.6], [0.5, 0.5]], pi=[0.5, 0.5])
    with pytest.raises(TypeError, match="reverse must be a bool"):
        BeliefCell(A=np.eye(2), pi=[0.5, 0.5], reverse="yes")
    cell = BeliefCell(A=np.eye(2), pi=[1.0, 0.0], B=[[1.0, 0.0], [0.0, 1.0]])
    assert (cell.n_inputs, cell.n_hidden) == (2, 2) and repr(
        cell
    ) == "BeliefCell(K=2, forward, input: one-hot symbols, M=2)"
    assert np.isnan(cell.step([0.0, 1.0], np.zeros(2))).all()  # state 0 cannot emit symbol 1
    with pytest.raises(ValueError, match="x must be non-negative"):
        cell.step([-1.0, 0.0], np.zeros(2))
    with pytest.raises(TypeError, match="belief must be a rnnss.BeliefRNN"):
        run_belief_rnn(cell, [0, 1])


# -- hmmlearn bridge ---------------------------------------------------------------------------------


def test_hmmlearn_round_trip_exact():
    for model in (SPARSE, random_gaussian_hmm(9)):
        h = to_hmmlearn(model)
        assert isinstance(h, hl.CategoricalHMM if isinstance(model, HMM) else hl.GaussianHMM)
        np.testing.assert_array_equal(h.transmat_, model.A)
        assert from_hmmlearn(h) == model
        assert type(model).from_hmmlearn(h) == model
    with pytest.raises(TypeError, match="which converts to GaussianHMM, not HMM"):
        HMM.from_hmmlearn(to_hmmlearn(random_gaussian_hmm(9)))


def test_from_hmmlearn_reads_a_fitted_diagonal_gaussian_model():
    g = random_gaussian_hmm(1, K=2, d=2)
    y = simulate(g, 300, rng=0).y
    fitted = hl.GaussianHMM(n_components=2, covariance_type="diag", n_iter=5, random_state=0).fit(y)
    ours = from_hmmlearn(fitted)
    assert ours.covs.shape == (2, 2, 2) and np.count_nonzero(ours.covs[:, 0, 1]) == 0
    assert hmm_loglik(ours, y) == pytest.approx(fitted.score(y), rel=1e-12)


def test_from_hmmlearn_errors():
    with pytest.raises(TypeError, match="MultinomialHMM models counts per step"):
        from_hmmlearn(hl.MultinomialHMM(n_components=2))
    with pytest.raises(TypeError, match="got str"):
        from_hmmlearn("model")
    with pytest.raises(ValueError, match="model has no startprob_, transmat_, emissionprob_ yet"):
        from_hmmlearn(hl.CategoricalHMM(n_components=2))


def test_missing_hmmlearn_gives_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "hmmlearn", None)
    with pytest.raises(ImportError, match=r"to_hmmlearn needs the optional package hmmlearn \(pip install hmmlearn\)"):
        to_hmmlearn(CASINO)


# -- files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_models_and_cells_save_and_load_exactly(tmp_path, suffix):
    for i, model in enumerate([SPARSE, random_gaussian_hmm(2), hmm_to_rnn(SPARSE), belief_rnn(SPARSE).backward]):
        path = tmp_path / f"m{i}{suffix}"
        rnnss.save(model, path)
        back = rnnss.load(path)
        assert type(back) is type(model) and back == model


# -- properties over random HMMs ---------------------------------------------------------------------


@given(
    seed=st.integers(0, 2**32 - 1),
    K=st.integers(1, 4),
    M=st.integers(1, 4),
    T=st.integers(1, 5),
    zeros=st.sampled_from([0.0, 0.3, 0.6]),
)
def test_property_every_route_equals_brute_force(seed, K, M, T, zeros):
    hmm = random_hmm(seed, K, M, zeros)
    y = np.random.default_rng(seed + 1).integers(M, size=T)  # arbitrary symbols: some sequences impossible
    total, post, best, pbest, psecond = brute_force(hmm, y)
    ref = math.log(total) if total > 0 else -np.inf
    for name, value in every_loglik(hmm, y).items():
        if total > 0:
            assert value == pytest.approx(ref, rel=1e-12, abs=1e-14), name
        else:
            assert value == -np.inf, name
    if total > 0:
        for method in ("scaled", "log"):
            np.testing.assert_allclose(hmm_smoother(hmm, y, method=method).posteriors, post, atol=1e-12)
        vit = viterbi(hmm, y)
        assert vit.loglik == pytest.approx(math.log(pbest), rel=1e-12, abs=1e-14)
        if psecond < pbest * (1 - 1e-9):
            np.testing.assert_array_equal(vit.path, best)
    rt = rnn_to_hmm(hmm_to_rnn(hmm))
    np.testing.assert_array_equal(rt.A == 0, hmm.A == 0)
    np.testing.assert_allclose(rt.A, hmm.A, rtol=1e-14)
