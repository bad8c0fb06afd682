"""Tests of the compiled HMM recursions (rnnss/hmm/_kernels.py): one source, two engines, every route.

References: the NumPy engine (the same kernel source run uncompiled, primitives vectorised), brute-force
enumeration of all hidden paths (pairwise posteriors, likelihoods with underflowing terms, in log space),
hmmlearn's E-step statistics on identical parameters, and the one-sequence-at-a-time results for ragged
batches.
"""

import itertools
import logging

import numpy as np
import pytest
import scipy.special
import scipy.stats

import rnnss
from rnnss import HMM, GaussianHMM
from rnnss.hmm import _kernels

logging.getLogger("hmmlearn").setLevel(logging.ERROR)

ENGINES = ("numba", "numpy")
METHODS = ("scaled", "log")


def random_hmm(seed, K=3, M=4, zeros=0.0):
    rng = np.random.default_rng(seed)

    def rows(shape):
        P = rng.dirichlet(np.ones(shape[-1]), shape[:-1] or None)
        mask = rng.random(P.shape) < zeros
        np.put_along_axis(mask, rng.integers(shape[-1], size=P.shape[:-1])[..., None], False, axis=-1)
        P = np.where(mask, 0.0, P)
        return P / P.sum(axis=-1, keepdims=True)

    return HMM(pi=rows((K,)), A=rows((K, K)), B=rows((K, M)))


def random_gaussian_hmm(seed, K=3, d=2):
    rng = np.random.default_rng(seed)
    L = rng.standard_normal((K, d, d)) * 0.5
    return GaussianHMM(
        pi=rng.dirichlet(np.ones(K)),
        A=rng.dirichlet(np.ones(K) * 2, K),
        means=2 * rng.standard_normal((K, d)),
        covs=L @ np.swapaxes(L, 1, 2) + 0.3 * np.eye(d),
    )


MODELS = [
    pytest.param(lambda: random_hmm(1, K=4, M=5, zeros=0.3), id="categorical-zeros"),
    pytest.param(lambda: random_hmm(6, K=9, M=3, zeros=0.3), id="categorical-K9"),
    pytest.param(lambda: random_hmm(2, K=1, M=3), id="categorical-K1"),
    pytest.param(lambda: random_gaussian_hmm(3), id="gaussian"),
]


def close(a, b, tol=1e-12):
    """Equal -inf/NaN patterns and finite entries within ``tol`` relative to max(1, |b|)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b))
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    f = np.isfinite(b)
    assert np.all(np.abs(a[f] - b[f]) <= tol * np.maximum(1.0, np.abs(b[f])))


# -- the two engines run one source -----------------------------------------------------------------


def test_numpy_engine_runs_the_kernels_code_objects():
    """One definition: each NumPy kernel is the very code object numba compiles, with NumPy primitives."""
    for name in ("forward_scaled", "forward_log", "backward_scaled", "backward_log", "viterbi"):
        code = getattr(_kernels.NUMPY, name).__code__
        assert code is getattr(_kernels.NUMBA, name).py_func.__code__  # K >= 8
        assert code is getattr(_kernels.NUMBA_SMALL_K, name).py_func.__code__  # K < 8: products as dot products
        assert getattr(_kernels.NUMPY, name).__globals__["mtv"] is _kernels.NUMPY_PRIMITIVES["mtv"]


@pytest.mark.parametrize("make", MODELS)
@pytest.mark.parametrize("method", METHODS)
def test_engines_agree_on_every_output(make, method):
    """numba and NumPy engines agree to 1e-12 on filtering, backward, smoothing, transitions, likelihood."""
    hmm = make()
    y = hmm.sample(120, rng=5).y
    fw = {e: rnnss.hmm_forward(hmm, y, method=method, engine=e) for e in ENGINES}
    for field in ("filtered", "predicted", "log_alpha", "log_normalizers", "loglik"):
        close(getattr(fw["numba"], field), getattr(fw["numpy"], field))
    bw = {e: rnnss.hmm_backward(hmm, y, method=method, engine=e) for e in ENGINES}
    close(bw["numba"].log_beta, bw["numpy"].log_beta)
    sm = {e: rnnss.hmm_smoother(hmm, y, method=method, engine=e) for e in ENGINES}
    close(sm["numba"].posteriors, sm["numpy"].posteriors)
    close(sm["numba"].expected_transitions, sm["numpy"].expected_transitions)
    seqs = [hmm.sample(n, rng=n).y for n in (1, 7, 30)]
    close(rnnss.hmm_loglik(hmm, seqs, method=method, engine="numba"), rnnss.hmm_loglik(hmm, seqs, method=method))
    close(rnnss.hmm_loglik(hmm, seqs, method=method, engine="numpy"), rnnss.hmm_loglik(hmm, seqs, method=method))


@pytest.mark.parametrize("make", MODELS)
def test_engines_agree_on_viterbi_belief_rnn_and_softmax_rnn(make):
    hmm = make()
    y = hmm.sample(150, rng=2).y
    a, b = (rnnss.viterbi(hmm, y, engine=e) for e in ENGINES)
    np.testing.assert_array_equal(a.path, b.path)
    close(a.loglik, b.loglik)
    ra, rb = (rnnss.run_belief_rnn(rnnss.belief_rnn(hmm), y, engine=e) for e in ENGINES)
    for field in ("filtered", "backward", "posteriors", "log_normalizers", "loglik", "backward_loglik"):
        close(getattr(ra, field), getattr(rb, field))
    if isinstance(hmm, HMM):
        cell = rnnss.hmm_to_rnn(hmm)
        close(cell.loglik(y, engine="numba"), cell.loglik(y, engine="numpy"))


def test_numpy_engine_emits_no_warnings_on_impossible_and_zero_inputs():
    hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    with np.errstate(all="raise"):
        assert rnnss.hmm_loglik(hmm, [1, 0], engine="numpy") == -np.inf
        assert rnnss.hmm_loglik(hmm, [1, 0], method="log", engine="numpy") == -np.inf
        rnnss.hmm_backward(hmm, [1, 0], engine="numpy")


def test_unknown_engine_and_missing_numba(monkeypatch):
    hmm = random_hmm(0)
    with pytest.raises(ValueError, match=r"engine must be one of \('auto', 'numba', 'numpy'\); got 'gpu'"):
        rnnss.hmm_loglik(hmm, [0, 1], engine="gpu")
    monkeypatch.setattr("rnnss._engine.AVAILABLE", False)
    with pytest.raises(ImportError, match="engine='numba' needs numba"):
        rnnss.viterbi(hmm, [0, 1], engine="numba")
    # "auto" without numba is the NumPy engine: the same numbers.
    assert rnnss.hmm_loglik(hmm, [0, 1, 3]) == rnnss.hmm_loglik(hmm, [0, 1, 3], engine="numpy")


# -- ragged batches ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("method", METHODS)
def test_ragged_batch_equals_one_sequence_at_a_time_and_hmmlearn(engine, method):
    """Packed sequences of lengths 1..50 give each sequence's own likelihood (and hmmlearn's sum)."""
    hmm = random_hmm(7, zeros=0.2)
    seqs = [hmm.sample(n, rng=n).y for n in (1, 50, 2, 1, 17)]
    batch = rnnss.hmm_loglik(hmm, seqs, method=method, engine=engine)
    each = [rnnss.hmm_loglik(hmm, s, method=method, engine=engine) for s in seqs]
    np.testing.assert_array_equal(batch, each)
    m = rnnss.to_hmmlearn(hmm)
    ref = m.score(np.concatenate(seqs).reshape(-1, 1), lengths=[len(s) for s in seqs])
    assert batch.sum() == pytest.approx(ref, rel=1e-12)


# -- expected transitions: the E-step of Baum-Welch -------------------------------------------------


def brute_force_pairs(hmm, y):
    """sum_t p(z_t = i, z_t+1 = j | y) by enumerating all K^T paths."""
    K, T = hmm.n_states, len(y)
    E = hmm.B[:, np.asarray(y)].T if isinstance(hmm, HMM) else np.exp(rnnss.emission_loglik(hmm, y))
    out = np.zeros((K, K))
    total = 0.0
    for z in itertools.product(range(K), repeat=T):
        p = hmm.pi[z[0]] * np.prod([hmm.A[a, b] for a, b in zip(z, z[1:])]) * np.prod(E[np.arange(T), list(z)])
        total += p
        for a, b in zip(z, z[1:]):
            out[a, b] += p
    return out / total


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("engine", ENGINES)
def test_expected_transitions_vs_brute_force_and_hmmlearn(method, engine):
    hmm = random_hmm(4, K=3, M=3, zeros=0.25)
    y = hmm.sample(7, rng=1).y
    sm = rnnss.hmm_smoother(hmm, y, method=method, engine=engine)
    np.testing.assert_allclose(sm.expected_transitions, brute_force_pairs(hmm, y), atol=1e-14)
    assert np.all(sm.expected_transitions[hmm.A == 0] == 0)  # structural zeros exactly
    assert sm.expected_transitions.sum() == pytest.approx(len(y) - 1, rel=1e-14)
    m = rnnss.to_hmmlearn(hmm)
    stats, _ = m._do_estep(y.reshape(-1, 1), np.array([len(y)]))
    np.testing.assert_allclose(sm.expected_transitions, stats["trans"], atol=1e-13)


def test_expected_transitions_gaussian_and_length_one():
    g = random_gaussian_hmm(5, K=2, d=1)
    y = g.sample(6, rng=0).y
    np.testing.assert_allclose(rnnss.hmm_smoother(g, y).expected_transitions, brute_force_pairs(g, y), atol=1e-14)
    one = rnnss.hmm_smoother(g, y[:1])
    np.testing.assert_array_equal(one.expected_transitions, np.zeros((2, 2)))
    np.testing.assert_allclose(one.posteriors.sum(), 1.0, rtol=1e-15)


# -- impossible observations, underflow, and the log-space fallbacks ----------------------------------

IMPOSSIBLE = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0, 0.0], [0.2, 0.8, 0.0]])


@pytest.mark.parametrize("engine", ENGINES)
def test_impossible_symbol_gives_minus_inf_never_nan_on_every_route(engine):
    """Symbol 2 has probability zero in every state: -inf by every route, alone or inside a batch."""
    y = [0, 1, 2, 0]
    for method in METHODS:
        assert rnnss.hmm_loglik(IMPOSSIBLE, y, method=method, engine=engine) == -np.inf
        lls = rnnss.hmm_loglik(IMPOSSIBLE, [y, [0, 1], [2]], method=method, engine=engine)
        assert lls[0] == -np.inf and np.isfinite(lls[1]) and lls[2] == -np.inf
        f = rnnss.hmm_forward(IMPOSSIBLE, y, method=method, engine=engine)
        assert f.loglik == -np.inf and f.log_normalizers[2] == -np.inf and np.isneginf(f.log_alpha[2]).all()
    run = rnnss.belief_rnn(IMPOSSIBLE).run(y, engine=engine)
    assert run.loglik == -np.inf and run.backward_loglik == -np.inf
    assert rnnss.hmm_to_rnn(IMPOSSIBLE).loglik(y, engine=engine) == -np.inf
    with pytest.raises(ValueError, match=r"impossible at step 2"):
        rnnss.viterbi(IMPOSSIBLE, y, engine=engine)


def log_brute_force(hmm, y):
    """log p(y), log posteriors and log pairwise sums by enumerating all paths in log space."""
    ell = rnnss.emission_loglik(hmm, y)
    T, K = ell.shape
    with np.errstate(divide="ignore"):
        la, lp = np.log(hmm.A), np.log(hmm.pi)
    paths = list(itertools.product(range(K), repeat=T))
    lj = np.array(
        [lp[z[0]] + sum(la[a, b] for a, b in zip(z, z[1:])) + ell[np.arange(T), list(z)].sum() for z in paths]
    )
    total = scipy.special.logsumexp(lj)
    post = np.array(
        [[np.exp(scipy.special.logsumexp(lj[[z[t] == k for z in paths]]) - total) for k in range(K)] for t in range(T)]
    )
    return total, post


@pytest.mark.parametrize("engine", ENGINES)
def test_log_space_fallback_keeps_a_state_reachable_only_through_an_underflowing_one(engine):
    """State 2 is reached only from state 1, whose filtered probability is e^-800 after y_1 = 0.

    exp(-800) underflows, so the fast column sum is 0 and the exact per-column log-sum-exp must take over
    (forward), likewise the backward row and the pairwise posterior (Z_t underflows). Reference: the sum
    over all 9 paths in log space. The scaled recursion cannot represent e^-800 and says so.
    """
    hmm = GaussianHMM(
        pi=[0.5, 0.5, 0.0],
        A=[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]],
        means=[[0.0], [40.0], [100.0]],
        covs=np.ones((3, 1, 1)),
    )
    y = [0.0, 100.0]
    total, post = log_brute_force(hmm, y)
    assert total == pytest.approx(np.log(0.5) + 2 * scipy.stats.norm.logpdf(0.0) - 800.0, rel=1e-15)
    assert rnnss.hmm_loglik(hmm, y, method="log", engine=engine) == pytest.approx(total, rel=1e-14)
    sm = rnnss.hmm_smoother(hmm, y, method="log", engine=engine)
    np.testing.assert_allclose(sm.posteriors, post, atol=1e-15)
    np.testing.assert_allclose(sm.expected_transitions, [[0, 0, 0], [0, 0, 1.0], [0, 0, 0]], atol=1e-15)
    lb = rnnss.hmm_backward(hmm, y, method="log", engine=engine).log_beta
    assert lb[0, 1] == pytest.approx(scipy.stats.norm.logpdf(0.0), rel=1e-14)  # beta_1(1) = p(y_2 | z_2 = 2)
    with pytest.raises(rnnss.NumericalError, match="underflowed at step 1 .* use method='log'"):
        rnnss.hmm_loglik(hmm, y, engine=engine)


def test_log_space_forward_with_tiny_transition_probability_matches_brute_force():
    """A transition of probability 1e-280 (below the fast path's 1e-250 threshold) is kept exactly."""
    hmm = HMM(pi=[1.0, 0.0], A=[[1 - 1e-280, 1e-280], [0.0, 1.0]], B=[[1.0, 0.0], [0.0, 1.0]])
    y = [0, 0, 1, 1]
    total, post = log_brute_force(hmm, y)
    for engine in ENGINES:
        assert rnnss.hmm_loglik(hmm, y, method="log", engine=engine) == pytest.approx(total, rel=1e-15)
        assert rnnss.hmm_loglik(hmm, y, engine=engine) == pytest.approx(total, rel=1e-15)
        np.testing.assert_allclose(rnnss.hmm_smoother(hmm, y, method="log", engine=engine).posteriors, post, atol=0)
