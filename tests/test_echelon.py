"""Tests of the echelon form: Kronecker indices, the minimal identified VARMA image of a linear RNN, and its fit."""

import numpy as np
import pytest
import scipy.linalg

import rnnss
from rnnss import (
    VARMA,
    DimensionError,
    LinearRNN,
    NotStableError,
    NumericalError,
    autocovariances,
    echelon_form,
    echelon_structure,
    innovation_responses,
    kronecker_candidates,
    kronecker_indices,
    rnn_to_varma,
    varma_identification,
    varma_loglik,
    varma_standard_form,
    varma_to_rnn,
)

# -- references ----------------------------------------------------------------------------------------------


def _relerr(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


def _hankel_indices(model, depth):
    """Brute force (small, well-conditioned systems only): scan the rows (k, i) of the Hankel matrix of the
    psi weights, [Psi_{k+1}[i], Psi_{k+2}[i], ...], in the Kronecker order; p_i is the number of rows of output
    i that raise the rank before the first that does not (Hannan and Deistler 1988, Sec. 2.5)."""
    psi = innovation_responses(model, 2 * depth + 2)
    m = psi.shape[1]
    rows, idx, alive = [], [None] * m, set(range(m))
    for k in range(depth):
        for i in range(m):
            if i not in alive:
                continue
            row = np.concatenate([psi[k + 1 + j][i] for j in range(depth)])
            trial = np.array(rows + [row])
            s = np.linalg.svd(trial, compute_uv=False)
            if s[-1] > 1e-8 * s[0]:
                rows.append(row)
            else:
                idx[i] = k
                alive.discard(i)
    return tuple(depth if p is None else p for p in idx)


def _hankel_ar(model, idx, depth=12):
    """Brute force: the echelon AR rows by least squares on Hankel rows -- row (p_i, i) on the rows (k, j),
    k < p_j, that precede it; A_l[i, j] is the coefficient of (p_i - l, j), and -A_0[i, j] that of (p_i, j)."""
    psi = innovation_responses(model, 2 * depth + 2)
    m, p = len(idx), max(idx)

    def row(k, i):
        return np.concatenate([psi[k + 1 + j][i] for j in range(depth)])

    a0, ar = np.eye(m), np.zeros((p, m, m))
    for i in range(m):
        basis = [(k, j) for k in range(p + 1) for j in range(m) if k < idx[j] and (k, j) < (idx[i], i)]
        if not basis:
            continue
        X = np.array([row(k, j) for k, j in basis]).T
        coef = np.linalg.lstsq(X, row(idx[i], i), rcond=None)[0]
        for (k, j), c in zip(basis, coef, strict=True):
            if k == idx[i]:
                a0[i, j] = -c
            else:
                ar[idx[i] - k - 1, i, j] = c
    return a0, ar


def _random_echelon(idx, seed, radius=0.6):
    """A random stationary, invertible echelon-form VARMA with the given Kronecker indices."""
    st = echelon_structure(idx)
    g = np.random.default_rng(seed)
    m, p = st.n_outputs, st.order
    for _ in range(200):
        a0 = np.eye(m)
        a0[st.a0_free] = g.normal(0, 0.5, st.a0_free.sum())
        ar, ma = np.zeros((p, m, m)), np.zeros((p, m, m))
        ar[st.ar_free] = g.normal(0, 0.4, st.ar_free.sum())
        ma[st.ma_free] = g.normal(0, 0.4, st.ma_free.sum())
        A = g.standard_normal((m, m))
        v = VARMA(
            ar=ar,
            ma=ma,
            sigma=A @ A.T / m + 0.5 * np.eye(m),
            intercept=g.standard_normal(m),
            a0=a0,
            kronecker_indices=idx,
        )
        if v.ar_radius < radius and v.ma_radius < radius:
            return v
    raise AssertionError("no stationary invertible draw")


# -- the echelon structure (Lütkepohl's rules) -----------------------------------------------------------------


def test_structure_matches_lutkepohl_bivariate_examples():
    """Reference: Lütkepohl (2005), New Introduction to Multiple Time Series Analysis, Sec. 12.1.2, and
    Lütkepohl and Poskitt (1996, JBES 14, 69-79): row k of A(L) and M(L) has degree p_k; A_0 = M_0 is lower
    triangular with unit diagonal; off-diagonal (k, i) of A(L) is free at the last p_ki = min(p_k + 1, p_i)
    (k > i) or min(p_k, p_i) (k < i) lags up to p_k. The patterns below are written out from those rules."""
    # (p1, p2) = (1, 0): y_2 is a contemporaneous combination of y_1 plus noise.
    s = echelon_structure((1, 0))
    np.testing.assert_array_equal(s.pij, [[1, 0], [1, 0]])
    np.testing.assert_array_equal(s.a0_free, [[0, 0], [1, 0]])  # A_0 = [[1, 0], [*, 1]]
    np.testing.assert_array_equal(s.ar_free[0], [[1, 0], [0, 0]])  # A_1 = [[*, 0], [0, 0]]
    np.testing.assert_array_equal(s.ma_free[0], [[1, 1], [0, 0]])  # M_1 = [[*, *], [0, 0]]
    # (p1, p2) = (2, 1): p_12 = min(2, 1) = 1 (lag 2 only), p_21 = min(1 + 1, 2) = 2 (lags 0 and 1).
    s = echelon_structure((2, 1))
    np.testing.assert_array_equal(s.pij, [[2, 1], [2, 1]])
    np.testing.assert_array_equal(s.a0_free, [[0, 0], [1, 0]])
    np.testing.assert_array_equal(s.ar_free[0], [[1, 0], [1, 1]])  # A_1 = [[*, 0], [*, *]]
    np.testing.assert_array_equal(s.ar_free[1], [[1, 1], [0, 0]])  # A_2 = [[*, *], [0, 0]]
    np.testing.assert_array_equal(s.ma_free[0], [[1, 1], [1, 1]])
    np.testing.assert_array_equal(s.ma_free[1], [[1, 1], [0, 0]])
    assert (s.order, s.degree, s.n_coefficients) == (2, 3, 6 + 6)
    # Lütkepohl's trivariate (1, 2, 1): A_0[3, 2] free (p_2 > p_3); row 2 has A_1 = [0, *, 0], A_2 full.
    s = echelon_structure((1, 2, 1))
    np.testing.assert_array_equal(s.a0_free, [[0, 0, 0], [0, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(s.ar_free[0], [[1, 1, 1], [0, 1, 0], [1, 1, 1]])
    np.testing.assert_array_equal(s.ar_free[1], [[0, 0, 0], [1, 1, 1], [0, 0, 0]])
    assert "A_0 =\n  1 0 0\n  0 1 0\n  0 * 1" in s.summary()


def test_structure_counts_and_candidates():
    """Brute force: n_params counts the free entries of the patterns; equal indices give the full VARMA(p, p)."""
    for st in kronecker_candidates(3, 2, trend=True, n_inputs=1):
        free = st.a0_free.sum() + st.ar_free.sum() + st.ma_free.sum()
        assert free == st.n_coefficients
        assert st.n_params == free + 6 + 3 + 3
        assert st.is_standard == (len(set(st.kronecker_indices)) == 1)
    full = echelon_structure((2, 2, 2), trend=False)
    assert full.n_params == 9 * 4 + 6 and full.is_standard and not full.a0_free.any()
    cands = kronecker_candidates(2, 2, max_degree=2)
    assert [c.kronecker_indices for c in cands] == [(0, 0), (0, 1), (1, 0), (0, 2), (1, 1), (2, 0)]
    assert len(kronecker_candidates(3, 2)) == 27
    with pytest.raises(ValueError, match="max_index"):
        kronecker_candidates(2, -1)
    with pytest.raises(TypeError, match="kronecker_indices"):
        echelon_structure(2)
    with pytest.raises(ValueError, match=r"kronecker_indices\[1\]"):
        echelon_structure((1, -1))


# -- the VARMA record in echelon form -----------------------------------------------------------------------


def test_echelon_varma_validation_names_the_offending_entry():
    ok = _random_echelon((1, 0), 1)
    with pytest.raises(ValueError, match=r"ar\[0\]\[1, 1\] \(lag 1\) must be 0 in the echelon form"):
        VARMA(ar=[[[0.5, 0.0], [0.0, 0.3]]], ma=ok.ma, sigma=ok.sigma, a0=ok.a0, kronecker_indices=(1, 0))
    with pytest.raises(ValueError, match=r"a0\[0, 1\] must be 0"):
        VARMA(ar=ok.ar, ma=ok.ma, sigma=ok.sigma, a0=[[1.0, 0.2], [0.0, 1.0]], kronecker_indices=(1, 0))
    with pytest.raises(ValueError, match=r"a0\[1, 1\] must be 1"):
        VARMA(ar=ok.ar, ma=ok.ma, sigma=ok.sigma, a0=[[1.0, 0.0], [0.0, 2.0]], kronecker_indices=(1, 0))
    with pytest.raises(ValueError, match=r"ma\[0\]\[1, 0\]"):
        VARMA(ar=ok.ar, ma=[np.ones((2, 2))], sigma=ok.sigma, a0=ok.a0, kronecker_indices=(1, 0))
    with pytest.raises(DimensionError, match=r"p = q = max index = 1; got p = 2"):
        VARMA(ar=[ok.ar[0], np.zeros((2, 2))], ma=ok.ma, sigma=ok.sigma, a0=ok.a0, kronecker_indices=(1, 0))
    with pytest.raises(DimensionError, match="one entry per output, m = 2"):
        VARMA(ar=ok.ar, ma=ok.ma, sigma=ok.sigma, kronecker_indices=(1, 0, 0))
    with pytest.raises(ValueError, match=r"exog\[1\]\[1, 0\] must be 0"):
        VARMA(
            ar=ok.ar,
            ma=ok.ma,
            sigma=ok.sigma,
            a0=ok.a0,
            exog=[np.ones((2, 1)), np.ones((2, 1))],
            kronecker_indices=(1, 0),
        )
    with pytest.raises(ValueError, match="a0 must be non-singular"):
        VARMA(ar=[], ma=[], sigma=np.eye(2), a0=np.ones((2, 2)))
    with pytest.raises(DimensionError, match=r"a0 must have shape \(2, 2\)"):
        VARMA(ar=[], ma=[], sigma=np.eye(2), a0=np.eye(3))


def test_a0_is_handled_exactly_by_every_operation(tmp_path):
    """Reference: the standard form A_0^{-1}(...) of the same process, computed by hand, through every operation."""
    ech = _random_echelon((2, 1), 3)
    a0i = np.linalg.inv(ech.a0)
    std = VARMA(
        ar=[a0i @ A for A in ech.ar], ma=[a0i @ M for M in ech.ma], sigma=ech.sigma, intercept=a0i @ ech.intercept
    )
    assert varma_standard_form(ech).p == 2 and not varma_standard_form(ech).has_a0
    np.testing.assert_allclose(ech.mean(), std.mean(), rtol=1e-13)
    assert ech.ar_radius == pytest.approx(std.ar_radius, rel=1e-12)
    assert ech.ma_radius == pytest.approx(std.ma_radius, rel=1e-12)
    np.testing.assert_allclose(innovation_responses(ech, 12), innovation_responses(std, 12), atol=1e-13)
    np.testing.assert_allclose(autocovariances(ech, 8), autocovariances(std, 8), rtol=1e-11, atol=1e-13)
    y = rnnss.simulate(ech, 60, rng=2).y
    assert varma_loglik(ech, y) == pytest.approx(varma_loglik(std, y), rel=1e-12)
    # a general (not echelon) leading matrix
    gen = VARMA(ar=std.ar, ma=std.ma, sigma=std.sigma, a0=[[2.0, 0.3], [0.1, 1.5]], intercept=[1.0, 0.5])
    np.testing.assert_allclose(autocovariances(gen, 4), autocovariances(varma_standard_form(gen), 4), rtol=1e-12)
    for fmt in ("json", "npz"):
        rnnss.save(ech, tmp_path / f"e.{fmt}")
        back = rnnss.load(tmp_path / f"e.{fmt}")
        assert back == ech and back.kronecker_indices == (2, 1) and back.a0[1, 0] == ech.a0[1, 0]
    assert "A_0 =" in ech.summary() and "Kronecker indices (2, 1)" in repr(ech)
    assert ech != std and VARMA(ar=[], ma=[], sigma=1.0) == VARMA(ar=[], ma=[], sigma=1.0, a0=1.0)


def test_statsmodels_refuses_a0_and_accepts_the_standard_form():
    """statsmodels VARMAX cannot hold A_0: a clear error, and the standard form is the same likelihood there."""
    from statsmodels.tsa.statespace.varmax import VARMAX

    ech = _random_echelon((1, 0), 4)
    with pytest.raises(ValueError, match="no leading matrix A_0.*varma_standard_form"):
        rnnss.to_statsmodels_params(ech)
    std = varma_standard_form(ech)
    y = rnnss.simulate(ech, 80, rng=5).y
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = VARMAX(y, order=(1, 1), trend="c").loglike(rnnss.to_statsmodels_params(std))
    assert varma_loglik(ech, y) == pytest.approx(ref, rel=1e-9)


def test_echelon_realisation_closed_form_and_dimension():
    """Closed form: ARMA(1, 1) in echelon form; h_t = [y_t; E(y_{t+1} | y_<=t)], W = [[0, 1], [0, phi]],
    noise loading [1; phi + theta]. In general m + sum p_i units, and the prior is the stationary one."""
    arma = VARMA(ar=[0.5], ma=[0.4], sigma=2.0, intercept=[1.0], kronecker_indices=(1,))
    rnn = varma_to_rnn(arma)
    np.testing.assert_array_equal(rnn.W, [[0.0, 1.0], [0.0, 0.5]])
    np.testing.assert_allclose(rnn.Q, 2.0 * np.outer([1.0, 0.9], [1.0, 0.9]))
    np.testing.assert_array_equal(rnn.b, [0.0, 1.0])
    np.testing.assert_allclose(rnn.h0, [2.0, 2.0])
    for idx in [(2, 1), (1, 0), (0, 2, 1)]:
        ech = _random_echelon(idx, 7)
        rnn = varma_to_rnn(ech)
        assert rnn.n_hidden == sum(idx) + len(idx) and not np.any(rnn.R)
        np.testing.assert_allclose(rnn.P0, rnnss.stationary_covariance(rnn), rtol=1e-10, atol=1e-12)
    white = VARMA(ar=[], ma=[], sigma=np.eye(2), kronecker_indices=(0, 0))
    assert varma_to_rnn(white).n_hidden == 2


# -- Kronecker indices and the echelon image of a linear RNN ----------------------------------------------------


@pytest.mark.parametrize("n, m, seed", [(3, 1, 0), (4, 2, 1), (5, 2, 2), (5, 3, 3), (6, 4, 4)])
def test_kronecker_indices_and_ar_match_the_hankel_brute_force(n, m, seed):
    """Reference: row dependencies of the Hankel matrix of psi weights by SVD, and the echelon AR coefficients by
    least squares on its rows (small well-conditioned systems, where that brute force is reliable)."""
    rnn = rnnss.random_rnn(n, m, radius=0.7, rng=seed)
    ki = kronecker_indices(rnn)
    assert ki.indices == _hankel_indices(rnn, n + 1)
    assert ki.degree == n and ki.margin > 1e3
    ech = echelon_form(rnn)
    a0, ar = _hankel_ar(rnn, ki.indices)
    np.testing.assert_allclose(ech.a0, a0, atol=1e-8)
    np.testing.assert_allclose(np.asarray(ech.ar), ar, atol=1e-8)
    # generic indices: the first n mod m outputs get one more
    assert sorted(ki.indices, reverse=True) == list(ki.indices) and max(ki.indices) - min(ki.indices) <= 1


@pytest.mark.parametrize(
    "n, m, seed",
    [
        (1, 1, 1),
        (9, 1, 2),
        (24, 1, 3),
        (2, 2, 4),
        (7, 2, 5),
        (16, 2, 6),
        (9, 4, 7),
        (16, 4, 8),
        (8, 8, 9),
        (13, 8, 10),
        (64, 8, 11),
        (64, 1, 12),
        (64, 4, 13),
    ],
)
def test_round_trip_on_random_rnns_with_near_unit_roots(n, m, seed):
    """References: the RNN's own autocovariances (Lyapunov solve on W) and Kalman log-likelihood (stationary prior)
    on data simulated from it. Random stable W scaled to spectral radius 0.999; the image has the minimal order."""
    rnn = rnnss.with_stationary_prior(rnnss.random_rnn(n, m, radius=0.999, bias=True, rng=seed))
    ech = rnn_to_varma(rnn, form="echelon")
    assert sum(ech.kronecker_indices) == n and ech.p == max(ech.kronecker_indices)
    assert ech.is_stationary and ech.is_invertible
    assert _relerr(autocovariances(ech, 40), autocovariances(rnn, 40)) < 1e-9
    np.testing.assert_allclose(ech.mean(), rnn.d + rnn.V @ rnnss.fixed_point(rnn), rtol=1e-9)
    y = rnnss.simulate(rnn, 200, rng=seed).y
    ll = rnnss.kalman_filter(rnn, y).loglik
    assert abs(varma_loglik(ech, y) - ll) < 1e-9 * abs(ll)


def test_univariate_echelon_is_the_final_equation_arma():
    """Reference: for m = 1 the final-equation form (characteristic polynomial of W, powers V W^k K) is the unique
    ARMA(n, n) of a minimal RNN, so both forms coincide; the index is (n,)."""
    rnn = rnnss.random_rnn(5, 1, radius=0.9, rng=21)
    ech, fin = rnn_to_varma(rnn, form="echelon"), rnn_to_varma(rnn)
    assert ech.kronecker_indices == (5,) and not ech.has_a0
    np.testing.assert_allclose(np.asarray(ech.ar), np.asarray(fin.ar), atol=1e-11)
    np.testing.assert_allclose(np.asarray(ech.ma), np.asarray(fin.ma), atol=1e-10)
    np.testing.assert_allclose(ech.sigma, fin.sigma, rtol=1e-13)


def test_slow_mode_two_output_rnn_where_the_final_form_fails():
    """The issue's case: 2 outputs, 8 slow modes (|lambda| in 0.9..0.999). The final-equation VARMA(8, 8) breaks
    down; the echelon VARMA(4, 4) matches the RNN's autocovariances and likelihood."""
    g = np.random.default_rng(82)
    blocks = []
    for _ in range(4):
        r, th = g.uniform(0.9, 0.999), g.uniform(0, np.pi / 10)
        blocks.append(r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]))
    rot = np.linalg.qr(g.standard_normal((8, 8)))[0]
    W = rot @ scipy.linalg.block_diag(*blocks) @ rot.T
    rnn = LinearRNN(W=W, V=g.standard_normal((2, 8)) / np.sqrt(8), Q=0.01 * np.eye(8), R=0.1 * np.eye(2))
    rnn = rnnss.with_stationary_prior(rnn)
    ech = rnn_to_varma(rnn, form="echelon")
    assert ech.kronecker_indices == (4, 4)
    assert _relerr(autocovariances(ech, 60), autocovariances(rnn, 60)) < 1e-8
    y = rnnss.simulate(rnn, 300, rng=1).y
    ll = rnnss.kalman_filter(rnn, y).loglik
    assert abs(varma_loglik(ech, y) - ll) < 1e-10 * abs(ll)
    try:  # what the echelon form fixes: the final-equation image is wrong in the second digit, or fails
        err_final = _relerr(autocovariances(rnn_to_varma(rnn), 60), autocovariances(rnn, 60))
    except (NumericalError, ValueError, NotStableError):
        err_final = np.inf
    assert err_final > 1e-3


# -- degenerate cases -------------------------------------------------------------------------------------------


def test_zero_kronecker_index_white_noise_and_contemporaneous_outputs():
    """Closed forms. (a) An output that reads no state is white noise: index 0, A_0 row = e_i, M row = 0.
    (b) An output that is 0.5 x another's signal plus noise: index 0 with A_0[2, 1] fixed by the innovations."""
    rnn = LinearRNN(W=[[0.8, 0.1], [0.0, 0.5]], V=[[1.0, 0.5], [0.0, 0.0]], Q=np.eye(2), R=np.diag([1.0, 2.0]))
    ech = echelon_form(rnn)
    assert ech.kronecker_indices == (2, 0)
    np.testing.assert_array_equal(ech.a0, np.eye(2))
    assert not np.any(np.asarray(ech.ma)[:, 1]) and not np.any(np.asarray(ech.ar)[:, 1])
    np.testing.assert_allclose(ech.sigma[1], [0.0, 2.0], atol=1e-12)
    rnn2 = LinearRNN(W=0.9, V=[[1.0], [0.5]], Q=1.0, R=np.eye(2))
    ech2 = echelon_form(rnn2)
    assert ech2.kronecker_indices == (1, 0)
    # y_2 - 0.5 y_1 = e_2 - 0.5 e_1 (row 2 of A_0 y = A_0 e), so A_0[1, 0] = -0.5 exactly
    assert ech2.a0[1, 0] == pytest.approx(-0.5, abs=1e-12)
    assert _relerr(autocovariances(ech2, 10), autocovariances(rnn2, 10)) < 1e-12
    # (c) a VARMA with singular Sigma whose two outputs are equal: y_2 - y_1 = 0, so A_0[1, 0] = -1, index 0
    same = VARMA(ar=[0.5 * np.eye(2)], ma=[0.3 * np.eye(2)], sigma=np.ones((2, 2)))
    ech3 = echelon_form(same)
    assert ech3.kronecker_indices == (1, 0) and ech3.a0[1, 0] == pytest.approx(-1.0, abs=1e-12)
    np.testing.assert_allclose(autocovariances(ech3, 5), autocovariances(same, 5), atol=1e-14)


def test_non_minimal_rnns_give_the_minimal_order():
    """Reference: rnnss.minimal_realization(preserve="distribution") plus the Kalman gain: duplicated units, an
    unobservable mode and a mode without noise are all dropped, and the process is unchanged."""
    base = rnnss.random_rnn(3, 2, radius=0.95, rng=31)
    n = 3
    W = np.zeros((6, 6))
    W[:3, :3] = base.W
    W[3, 3], W[4, 4], W[5, 5] = 0.7, 0.6, 0.0  # unobservable, noise-free, dead (W = 0)
    V = np.hstack([base.V, np.zeros((2, 1)), base.V[:, :1] * 0.3, base.V[:, 1:2]])
    Q = np.zeros((6, 6))
    Q[:3, :3] = base.Q
    Q[3, 3], Q[5, 5] = 1.0, 0.5
    rnn = rnnss.with_stationary_prior(LinearRNN(W=W, V=V, Q=Q, R=base.R))
    ki = kronecker_indices(rnn)
    assert ki.degree == n and ki.n_states == 6 and ki.reachable < 6
    ech = echelon_form(rnn)
    assert sum(ech.kronecker_indices) == n
    assert _relerr(autocovariances(ech, 20), autocovariances(rnn, 20)) < 1e-11
    # W = 0 everywhere: white noise, all indices zero
    white = echelon_form(LinearRNN(W=np.zeros((3, 3)), V=np.ones((2, 3)), Q=np.eye(3), R=np.eye(2)))
    assert white.kronecker_indices == (0, 0) and white.p == 0
    np.testing.assert_allclose(white.sigma, 3.0 + np.eye(2), rtol=1e-12)


def test_r_zero_realisations_and_echelon_round_trips_are_exact():
    """Uniqueness of the echelon form: echelon -> standard form -> its R = 0 observer realisation -> echelon
    recovers the same coefficients, from the VARMA directly and through the Kalman filter of the realisation."""
    for idx, seed in [((1, 0), 1), ((2, 1), 2), ((1, 2, 1), 3), ((0, 2), 4), ((2, 0, 1), 5)]:
        ech = _random_echelon(idx, seed)
        for model in (varma_standard_form(ech), varma_to_rnn(varma_standard_form(ech)), varma_to_rnn(ech)):
            back = echelon_form(model)
            assert back.kronecker_indices == idx
            np.testing.assert_allclose(back.a0, ech.a0, atol=1e-9)
            np.testing.assert_allclose(np.asarray(back.ar), np.asarray(ech.ar), atol=1e-9)
            np.testing.assert_allclose(np.asarray(back.ma), np.asarray(ech.ma), atol=1e-9)
            np.testing.assert_allclose(back.intercept, ech.intercept, atol=1e-9)
            np.testing.assert_allclose(back.sigma, ech.sigma, atol=1e-9)


def test_indices_do_not_depend_on_output_units_and_inputs_are_carried():
    """Scaling an output by 1e4 changes no index; with inputs the exogenous polynomial B(L) = A(L) Xi(L) reproduces
    the input responses V W^k U (reference: rnnss.impulse_response)."""
    rnn = rnnss.random_rnn(5, 2, 2, radius=0.9, bias=True, rng=41)
    scaled = LinearRNN(
        W=rnn.W,
        U=rnn.U,
        b=rnn.b,
        V=np.diag([1e4, 1.0]) @ rnn.V,
        d=rnn.d,
        Q=rnn.Q,
        R=np.diag([1e4, 1.0]) @ rnn.R @ np.diag([1e4, 1.0]),
    )
    assert kronecker_indices(scaled).indices == kronecker_indices(rnn).indices == (3, 2)
    ech = echelon_form(rnn)
    assert len(ech.exog) == ech.p + 1
    np.testing.assert_allclose(
        rnnss.impulse_response(varma_to_rnn(ech), 15), rnnss.impulse_response(rnn, 15), atol=1e-11
    )
    x = np.random.default_rng(1).standard_normal((50, 2))
    y = rnnss.simulate(rnnss.with_stationary_prior(rnn), x=x, rng=2).y
    ll = rnnss.kalman_filter(rnnss.with_stationary_prior(rnn), y, x).loglik
    assert varma_loglik(ech, y, x) == pytest.approx(ll, rel=1e-10)


def test_echelon_form_of_standard_varmas_with_distributed_lag_inputs():
    """Reference: the standard VARMA's own realisation (observer form): the same input responses, autocovariances
    and mean; a white-noise VARMA(0, 0) has all indices 0 and keeps its intercept."""
    g = np.random.default_rng(5)
    for p, q, lags in [(2, 1, 3), (1, 2, 1), (0, 1, 2)]:
        ar = [0.3 * g.standard_normal((2, 2)) for _ in range(p)]
        ma = [0.3 * g.standard_normal((2, 2)) for _ in range(q)]
        v = VARMA(
            ar=ar, ma=ma, sigma=np.eye(2) + 0.3, intercept=g.standard_normal(2), exog=g.standard_normal((lags, 2, 1))
        )
        e = echelon_form(v)
        assert sum(e.kronecker_indices) == 2 * max(p, q)
        np.testing.assert_allclose(
            rnnss.impulse_response(varma_to_rnn(e), 12), rnnss.impulse_response(varma_to_rnn(v), 12), atol=1e-13
        )
        np.testing.assert_allclose(autocovariances(e, 8), autocovariances(v, 8), rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(e.mean(), v.mean(), rtol=1e-13)
    white = echelon_form(VARMA(ar=[], ma=[], sigma=np.eye(2), intercept=[1.0, 2.0]))
    assert white.kronecker_indices == (0, 0) and white.intercept.tolist() == [1.0, 2.0]


def test_errors_and_record():
    with pytest.raises(TypeError, match="LinearRNN or rnnss.VARMA"):
        kronecker_indices("rnn")
    with pytest.raises(ValueError, match="form must be one of"):
        rnn_to_varma(rnnss.random_rnn(2, 1, rng=0), form="canonical")
    with pytest.raises(rnnss.NotDetectableError):
        echelon_form(LinearRNN(W=[[1.2, 0.0], [0.0, 0.5]], V=[[0.0, 1.0]], Q=np.eye(2), R=1.0))
    with pytest.raises(NotStableError, match="bias"):
        echelon_form(LinearRNN(W=1.05, b=[1.0], Q=1.0, R=1.0))
    with pytest.raises(NumericalError, match="innovation covariance"):
        echelon_form(LinearRNN(W=[[0.5, 0.0], [0.0, 0.3]], V=[[1.0, 0.0], [1.0, 0.0]], Q=np.eye(2)))
    # an unstable, detectable network without bias: an integrated process has an echelon form too
    walk = echelon_form(LinearRNN(W=1.0, Q=1.0, R=1.0))
    assert walk.kronecker_indices == (1,) and walk.ar[0][0, 0] == pytest.approx(1.0) and not walk.is_stationary
    ki = kronecker_indices(rnnss.random_rnn(4, 2, rng=3))
    assert ki.margins.shape == (2,) and ki.structure.kronecker_indices == ki.indices
    assert "p_0 = 2" in ki.summary() and "McMillan degree 4" in repr(ki)


# -- identification ----------------------------------------------------------------------------------------------


def test_identification_report():
    """Lütkepohl (2005, Sec. 12.1): echelon forms are identified; unrestricted multivariate VARMA(p, q) only under
    Hannan's conditions (left coprime, [A_p, M_q] of full rank), which fail when an equation has lower orders."""
    r = varma_identification(1, 1, 3)
    assert not r.identified and "Hannan" in r.reason and r.n_params == 3 + 18 + 6
    assert varma_identification(2, 0, 3).identified and varma_identification(1, 1, 1).identified
    e = varma_identification(kronecker_indices=(2, 1), trend=False)
    assert e.identified and (e.p, e.q, e.m, e.n_params) == (2, 2, 2, 12 + 3)
    # at a model: a VARMA(1, 1) with [A_1, M_1] of rank 1 is not identified
    bad = VARMA(ar=[np.diag([0.5, 0.0])], ma=[np.diag([0.3, 0.0])], sigma=np.eye(2))
    rb = varma_identification(varma=bad)
    assert not rb.identified and "rank [A_p, M_q] = 1" in rb.reason and rb.model_indices.indices == (1, 0)
    good = varma_standard_form(_random_echelon((1, 1), 2))
    assert varma_identification(varma=good).identified
    # a common factor: (1 - 0.5 L) y = (1 - 0.5 L) e is white noise
    cf = VARMA(ar=[0.5], ma=[-0.5], sigma=1.0)
    rc = varma_identification(varma=cf)
    assert not rc.identified and "common left factor" in rc.reason
    # an echelon model whose own indices are lower than declared
    low = VARMA(ar=[[[0.5, 0.0], [0.0, 0.0]]], ma=[np.zeros((2, 2))], sigma=np.eye(2), kronecker_indices=(1, 1))
    rl = varma_identification(varma=low)
    assert not rl.identified and rl.model_indices.indices == (1, 0)
    assert varma_identification(varma=_random_echelon((1, 0), 1)).identified
    with pytest.raises(TypeError, match="give p, q and m"):
        varma_identification(1, 1)
    with pytest.raises(ValueError, match="does not match the Kronecker indices"):
        varma_identification(p=1, kronecker_indices=(2, 1))
    assert "identified" in e.summary()


# -- estimation in echelon form ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def macro():
    """US quarterly growth rates of real GDP, consumption and investment, 1959Q2-2009Q3 (202 x 3), as shipped."""
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "data" / "macro_growth.csv"
    return np.loadtxt(path, delimiter=",", skiprows=1)


def test_echelon_fit_with_equal_indices_is_the_unrestricted_varma11_fit(macro):
    """Reference: the unrestricted VARMA(1, 1) fit (log-likelihood -798.6644, checked against statsmodels in
    test_fit.py). With indices (1, 1, 1) the echelon form *is* VARMA(1, 1) (A_0 = I, all entries free), so both
    fits, from their own Hannan-Rissanen starts, must reach the same maximum. Tolerance: BFGS stops at a gradient
    of -loglik / n_obs below gtol = 1e-6, which puts the estimate within about n_obs * gtol * H^{-1} of the maximum
    -- measured 1e-6 standard errors; we allow 1e-3 standard errors and 1e-6 in the log-likelihood."""
    ref = rnnss.fit_varma_rnn(macro, 1, 1, standard_errors=False)
    fit = rnnss.fit_varma_rnn(macro, kronecker_indices=(1, 1, 1))
    assert fit.converged and fit.varma.kronecker_indices == (1, 1, 1) and fit.n_params == ref.n_params == 27
    assert fit.loglik == pytest.approx(-798.6644, abs=1e-3)
    assert abs(fit.loglik - ref.loglik) < 1e-6
    se = fit.std_errors
    for name in ("ar", "ma", "sigma", "intercept"):
        diff = np.abs(np.asarray(getattr(fit.varma, name)) - np.asarray(getattr(ref.varma, name)))
        assert np.all(diff <= 1e-3 * se[name]), name
    assert not np.any(se["a0"])  # A_0 = I is fixed: standard error exactly 0


def test_echelon_fit_returns_the_same_parameters_from_ten_starts(macro):
    """Identification: with Kronecker indices (1, 0, 0) (15 free parameters; output 2 and 3 are contemporaneous
    combinations of output 1's prediction plus noise) the likelihood has an isolated maximum. Ten starts -- the
    echelon Hannan-Rissanen start and nine random perturbations of it (N(0, 0.15^2) on every free standardised
    coefficient) -- end at the same point. Tolerance: with gtol = 1e-8 the estimates agree to 1e-6 (measured
    4e-8) on the standardised scale, the log-likelihoods to 1e-8; the information matrix is non-singular
    (standard errors exist) and the fixed entries have standard error 0."""
    from rnnss.fit.echelon import EchelonMap, echelon_start
    from rnnss.fit.params import prepare

    idx = (1, 0, 0)
    st = echelon_structure(idx)
    data, _, _ = prepare(macro, None, center=True)
    pm = EchelonMap(st, 0, True)
    theta_hr = pm.pack(echelon_start(data, st, True))
    g = np.random.default_rng(0)
    thetas, lls = [], []
    for s in range(10):
        theta = theta_hr.copy()
        if s:
            theta[: theta.size - 6] += g.normal(0, 0.15, theta.size - 6)  # not Sigma's Cholesky factor
        start = pm.to_original(pm.unpack(theta), data)
        assert start.is_stationary and start.is_invertible
        fit = rnnss.fit_varma_rnn(macro, kronecker_indices=idx, start=start, gtol=1e-8, standard_errors=s == 0)
        assert fit.converged
        thetas.append(pm.pack(pm.to_standard(fit.varma, data)))
        lls.append(fit.loglik)
        if s == 0:
            se = fit.std_errors
            assert se is not None and fit.n_params == st.n_params == 15
            assert not np.any(se["a0"][~st.a0_free]) and np.all(se["a0"][st.a0_free] > 0)
            assert not np.any(se["ar"][~st.ar_free]) and np.all(se["ar"][st.ar_free] > 0)
    spread = np.max(np.ptp(np.array(thetas), axis=0))
    assert spread < 1e-6 and np.ptp(lls) < 1e-8
    assert lls[0] == pytest.approx(-817.6773, abs=1e-3)


def test_echelon_fit_recovers_a_simulated_model_with_inputs():
    """Reference: the true echelon model with indices (1, 0) and an exogenous input: the fit's log-likelihood is at
    least the truth's, and the free coefficients are within 4 standard errors of the true ones."""
    true = _random_echelon((1, 0), 11)
    true = VARMA(
        ar=true.ar,
        ma=true.ma,
        sigma=true.sigma,
        intercept=true.intercept,
        a0=true.a0,
        exog=[[0.5], [-0.3]],
        kronecker_indices=(1, 0),
    )
    x = np.random.default_rng(3).standard_normal((600, 1))
    y = rnnss.simulate(true, x=x, rng=4).y
    fit = rnnss.fit_varma_rnn(y, x=x, kronecker_indices=(1, 0))
    assert fit.converged and fit.loglik >= varma_loglik(true, y, x) - 1e-8
    st = echelon_structure((1, 0))
    se = fit.std_errors
    assert abs(fit.varma.a0[1, 0] - true.a0[1, 0]) < 4 * se["a0"][1, 0]
    free = st.ar_free[0]
    assert np.all(np.abs(fit.varma.ar[0] - true.ar[0])[free] < 4 * se["ar"][0][free])
    assert np.all(np.abs(fit.varma.exog[0] - true.exog[0]) < 4 * se["exog"])
    assert fit.loglik == pytest.approx(rnnss.kalman_filter(fit.rnn, y, x).loglik, abs=1e-9)
    assert fit.rnn.n_hidden == 3  # y_t and the one-dimensional predictor state


def test_echelon_fit_options_and_errors(macro):
    short = macro[:60, :2]
    nofit = rnnss.fit_varma_rnn(short, kronecker_indices=(1, 0), trend="n", standard_errors=False)
    assert not np.any(nofit.varma.intercept) and nofit.n_params == echelon_structure((1, 0), trend=False).n_params
    with pytest.raises(ValueError, match=r"p = 2 contradicts kronecker_indices=\(1, 0\)"):
        rnnss.fit_varma_rnn(short, 2, kronecker_indices=(1, 0))
    with pytest.raises(DimensionError, match="one entry per output, m = 2"):
        rnnss.fit_varma_rnn(short, kronecker_indices=(1, 0, 0))
    with pytest.raises(DimensionError, match="echelon-form VARMA with Kronecker indices"):
        rnnss.fit_varma_rnn(short, kronecker_indices=(1, 0), start=VARMA(ar=[0.5 * np.eye(2)], ma=[], sigma=np.eye(2)))
    with pytest.raises(NotStableError):
        unstable = VARMA(
            ar=[[[1.2, 0.0], [0.0, 0.0]]], ma=[np.zeros((2, 2))], sigma=np.eye(2), kronecker_indices=(1, 0)
        )
        rnnss.fit_varma_rnn(short, kronecker_indices=(1, 0), start=unstable)
    with pytest.raises(ValueError, match="more data"):
        rnnss.fit_varma_rnn(short[:8], kronecker_indices=(2, 2))
    with pytest.raises(TypeError, match="needs the orders p and q, or kronecker_indices"):
        rnnss.fit_varma_rnn(short)
