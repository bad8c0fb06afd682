"""The Kalman core on the degenerate systems rnnss itself produces (VARMA realisations: rank-deficient Q, R = 0),
singular priors, the DAREX benchmark, rigid-body plants with a defective eigenvalue at 1, and low-SNR closed forms.

References: the dense joint-Gaussian posterior of all states given the observed outputs (brute force), a
50-digit mpmath iteration of the Riccati and information recursions, scipy's DARE solver and python-control's
ctrb/obsv ranks.
"""

import json
import pathlib

import control
import mpmath
import numpy as np
import pytest
import scipy.linalg

import rnnss
from rnnss import IllConditionedError, LinearRNN, NumericalError, StructureError

from .conftest import dense_joint, dense_posterior

DATA = pathlib.Path(__file__).resolve().parent / "data"


def _random_varma(seed):
    """A stationary VARMA(p, q) with m outputs (random orders, possibly non-invertible MA)."""
    g = np.random.default_rng(seed)
    m, p, q = int(g.integers(1, 4)), int(g.integers(0, 3)), int(g.integers(0, 3))
    if p == q == 0:
        q = 1
    ar = g.standard_normal((p, m, m)) * 0.4
    while p and rnnss._linalg.companion_radius(ar) >= 0.95:
        ar *= 0.8
    ma = g.standard_normal((q, m, m)) * 0.6
    A = g.standard_normal((m, m))
    return rnnss.VARMA(ar=ar, ma=ma, sigma=A @ A.T + 0.3 * np.eye(m), intercept=g.standard_normal(m))


def _errors(sm, rnn, y, x=None):
    """Largest differences of smoothed means and covariances to the dense posterior, relative to its scale."""
    T, n = y.shape[0], rnn.n_hidden
    xs = np.zeros((T, 0)) if x is None else x
    mh, Ch, my, Cy, Chy = dense_joint(rnn, xs)
    flat = y.reshape(-1)
    keep = ~np.isnan(flat)
    mean, cov = dense_posterior(mh, Ch, my, Cy, Chy, flat, keep)
    scale = max(float(np.max(np.abs(Ch))), 1e-300)
    ref_m = mean[n:].reshape(T, n)
    ref_c = np.stack([cov[(t + 1) * n : (t + 2) * n, (t + 1) * n : (t + 2) * n] for t in range(T)])
    em = float(np.max(np.abs(sm.smoothed_means - ref_m))) / max(float(np.max(np.abs(ref_m))), np.sqrt(scale))
    ec = float(np.max(np.abs(sm.smoothed_covs - ref_c))) / scale
    return em, ec


def test_smoother_equals_the_dense_posterior_on_200_varma_realisations():
    """Brute force: every VARMA realisation (rank-deficient Q, R = 0) smooths exactly, missing data included.

    The RTS form needed P_{t+1|t}^{-1}, which does not exist here: it was off by up to 2.5e-2 in covariances.
    """
    worst_m = worst_c = 0.0
    for seed in range(200):
        varma = _random_varma(seed)
        rnn = rnnss.varma_to_rnn(varma)
        assert not np.any(rnn.R) and np.linalg.matrix_rank(rnn.Q) < rnn.n_hidden or rnn.n_hidden == varma.n_outputs
        y = rnnss.simulate(rnn, 12, rng=seed).y.copy()
        if seed % 3 == 0:
            y[np.random.default_rng(seed).random(y.shape) < 0.2] = np.nan
        em, ec = _errors(rnnss.rts_smoother(rnn, y), rnn, y)
        worst_m, worst_c = max(worst_m, em), max(worst_c, ec)
    assert worst_m <= 1e-9 and worst_c <= 1e-9, (worst_m, worst_c)


@pytest.mark.parametrize("seed", range(3))
def test_engines_agree_on_varma_realisations(seed):
    """The compiled engine and the NumPy reference run one source: results equal to 1e-12."""
    rnn = rnnss.varma_to_rnn(_random_varma(10 + seed))
    y = rnnss.simulate(rnn, 60, rng=seed).y.copy()
    y[5:9] = np.nan
    a = rnnss.rts_smoother(rnn, y, engine="numba", steady_tol=None)
    b = rnnss.rts_smoother(rnn, y, engine="numpy", steady_tol=None)
    for key in ("smoothed_means", "smoothed_covs", "lag_one_covs"):
        np.testing.assert_allclose(getattr(a, key), getattr(b, key), rtol=1e-12, atol=1e-12)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    g = rnnss.loglik_gradient(rnn, y, engine="numba")
    assert g.loglik == pytest.approx(a.loglik, rel=1e-12)


def test_noise_free_outputs_and_singular_prior():
    """R = 0 with a known initial state (P0 = 0) and rank-one Q: exact against the dense posterior."""
    g = np.random.default_rng(5)
    W = g.standard_normal((3, 3))
    W *= 0.8 / np.max(np.abs(np.linalg.eigvals(W)))
    b = g.standard_normal((3, 1))
    rnn = LinearRNN(W=W, V=g.standard_normal((2, 3)), Q=b @ b.T + 0.5 * np.diag([1.0, 0, 0]), R=0.0, P0=0.0)
    rnn = LinearRNN(W=W, V=rnn.V, Q=rnn.Q, R=np.zeros((2, 2)), P0=np.diag([1.0, 0.0, 0.0]))
    y = rnnss.simulate(rnn, 10, rng=2).y
    em, ec = _errors(rnnss.rts_smoother(rnn, y), rnn, y)
    assert em <= 1e-9 and ec <= 1e-9


def test_mse_ratio_of_varma_realisations_is_exact():
    """An invertible VARMA's state is determined by its past outputs: both MSEs are exactly 0, ratio 1, never
    rounding noise of either sign (they printed -9.7e-18 / -9.7e-18); every ratio is <= 1."""
    determined = 0
    for seed in range(200):
        varma = _random_varma(seed)
        try:
            res = rnnss.mse_ratio(rnnss.varma_to_rnn(varma))
        except NumericalError as exc:  # an MA root numerically on the unit circle: refused by name
            assert "unit circle" in str(exc)
            continue
        assert res.total <= 1.0 and np.all(res.per_unit <= 1.0)
        assert np.all(res.filter_mse_per_unit >= 0) and np.all(res.smoother_mse_per_unit >= 0)
        assert res.smoother_mse <= res.filter_mse <= res.predictor_mse
        if varma.q == 0 or varma.is_invertible:
            assert res.determined.all() and res.filter_mse == 0.0 and res.smoother_mse == 0.0
            assert "state determined by past outputs" in repr(res)
            determined += 1
    assert determined > 50


def _mp_mse(rnn, iters=4000):
    """50-digit steady-state filter and smoother MSE per unit by iterating the recursions to convergence."""
    with mpmath.workdps(50):
        W, V, Q, R = (mpmath.matrix(a.tolist()) for a in (rnn.W, rnn.V, rnn.Q, rnn.R))
        n = rnn.n_hidden
        eye = mpmath.eye(n)
        P = Q
        for _ in range(iters):
            F = V * P * V.T + R
            K = P * V.T * mpmath.inverse(F)
            Pf = P - K * V * P
            new = W * Pf * W.T + Q
            if mpmath.mnorm(new - P, 1) < mpmath.mpf(10) ** -45:
                P = new
                break
            P = new
        F = V * P * V.T + R
        Fi = mpmath.inverse(F)
        K = P * V.T * Fi
        Pf = P - K * V * P
        L = W * (eye - K * V)
        N = V.T * Fi * V
        for _ in range(iters):
            new = V.T * Fi * V + L.T * N * L
            if mpmath.mnorm(new - N, 1) < mpmath.mpf(10) ** -45:
                N = new
                break
            N = new
        Ps = P - P * N * P
        return np.array([float(Pf[i, i]) for i in range(n)]), np.array([float(Ps[i, i]) for i in range(n)])


@pytest.mark.parametrize("seed", range(6))
def test_mse_ratio_with_singular_q_matches_a_50_digit_reference(seed):
    """Rank-one Q (it was off by up to 1% through the pseudo-inverse of P): per-unit MSEs to 1e-10 relative."""
    g = np.random.default_rng(100 + seed)
    W = g.standard_normal((3, 3))
    W *= 0.7 / np.max(np.abs(np.linalg.eigvals(W)))
    b = g.standard_normal((3, 1))
    rnn = LinearRNN(W=W, V=g.standard_normal((1, 3)), Q=b @ b.T, R=0.5)
    res = rnnss.mse_ratio(rnn)
    fd, sd = _mp_mse(rnn)
    np.testing.assert_allclose(res.filter_mse_per_unit, fd, rtol=1e-10)
    np.testing.assert_allclose(res.smoother_mse_per_unit, sd, rtol=1e-9, atol=1e-12 * fd.max())


@pytest.mark.parametrize("q", [1e-300, 1e-18, 1e-16, 1e-8, 1.0, 1e8, 1e16, 1e300])
def test_ar1_closed_form_is_cancellation_free(q):
    """700-digit reference of the naive AR(1) formulas (the old form lost 49% at q/r = 1e-16, divided by 0 at 1e-18)."""
    a, r = 0.9, 1.0
    res = rnnss.ar1_mse_ratio(a, q, r)
    with mpmath.workdps(700):  # enough digits for the naive formulas to survive q / r = 1e-300
        a_, q_, r_ = mpmath.mpf(a), mpmath.mpf(q), mpmath.mpf(r)
        beta = r_ * (1 - a_**2) - q_
        P = (-beta + mpmath.sqrt(beta**2 + 4 * q_ * r_)) / 2
        Pf = P * r_ / (P + r_)
        J = a_ * Pf / P
        Ps = (Pf - J**2 * P) / (1 - J**2)
        ref = (float(Pf), float(Ps), float(Ps / Pf))
    assert res.filter_mse == pytest.approx(ref[0], rel=1e-13)
    assert res.smoother_mse == pytest.approx(ref[1], rel=1e-13)
    assert res.total == pytest.approx(ref[2], rel=1e-13)


def _darex():
    return [
        (c["name"], *(np.array(c[k], dtype=float) for k in "ABQR"))
        for c in json.loads((DATA / "darex.json").read_text())
    ]


@pytest.mark.parametrize("name, A, B, Q, R", _darex(), ids=[c[0] for c in _darex()])
def test_darex_steady_state_matches_scipy_or_refuses_by_name(name, A, B, Q, R):
    """The DAREX collection as filter DAREs (W = A^T, V = B^T): the steady predicted covariance equals scipy's
    solution (relative to its norm), or a named rnnss error says why not; never a plausible wrong number and
    no leaked scipy warning."""
    if np.linalg.eigvalsh(Q)[0] < -1e-12 * np.abs(Q).max():  # darex 4: Q is indefinite, not a covariance
        with pytest.raises(ValueError, match="Q must be symmetric positive semi-definite"):
            LinearRNN(W=A.T, V=B.T, Q=Q, R=R)
        return
    rnn = LinearRNN(W=A.T, V=B.T, Q=Q, R=R, P0=np.eye(A.shape[0]))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            ss = rnnss.steady_state(rnn)
        except (NumericalError, IllConditionedError, StructureError) as exc:
            assert str(exc)
            return
    X = scipy.linalg.solve_discrete_are(A, B, Q, R)
    assert np.linalg.norm(ss.predicted_cov - X) <= 1e-7 * max(np.linalg.norm(X), 1.0)
    assert np.all(np.linalg.eigvalsh(ss.smoothed_cov) >= -1e-12 * np.linalg.norm(X))


@pytest.mark.parametrize("name, A, B, Q, R", [c for c in _darex() if c[1].shape[0] <= 9], ids=lambda v: None)
def test_darex_smoother_equals_the_dense_posterior(name, A, B, Q, R):
    """The time-varying smoother on each DAREX system (a singular predicted covariance in case 11, condition
    1.5e27): equal to the dense joint-Gaussian posterior to 1e-9 of its scale."""
    n = A.shape[0]
    if np.linalg.eigvalsh(Q)[0] < -1e-12 * np.abs(Q).max():
        pytest.skip("Q is indefinite (darex 4): not a noise covariance")
    rnn = LinearRNN(W=A.T, V=B.T, Q=Q, R=R, P0=np.eye(n))
    y = rnnss.simulate(rnn, 8, rng=3).y
    try:
        sm = rnnss.rts_smoother(rnn, y)
    except NumericalError:  # an innovation covariance that is exactly singular (R = 0 with a known state)
        assert not np.any(np.linalg.eigvalsh(R) > 0)
        return
    em, ec = _errors(sm, rnn, y)
    assert em <= 1e-9 and ec <= 1e-9, (em, ec)


def _two_mass(k, c, dt, ratio):
    """A free-floating two-mass system (a double eigenvalue at 1 after discretisation: the rigid-body mode)."""
    m1, m2 = 1.0, ratio
    A = np.array([[0, 1, 0, 0], [-k / m1, -c / m1, k / m1, c / m1], [0, 0, 0, 1], [k / m2, c / m2, -k / m2, -c / m2]])
    B = np.array([[0.0], [1 / m1], [0.0], [0.0]])
    return rnnss.from_continuous(
        A, B, dt=dt, C=np.array([[0.0, 0.0, 1.0, 0.0]]), Qc=np.diag([0.0, 1.0, 0.0, 1.0]), R=[[0.01]]
    )


SWEEP = [(k, c, dt, r) for k in (1.0, 10.0, 100.0) for c in (0.0, 0.1, 1.0) for dt in (0.01, 0.1) for r in (0.5, 1, 2)]


@pytest.mark.parametrize("k, c, dt, ratio", SWEEP)
def test_rigid_body_plants_verdicts_agree_with_python_control(k, c, dt, ratio):
    """The PBH verdicts agree with python-control's ctrb/obsv ranks, the structure report agrees with itself, and
    steady_state equals python-control's dlqe (it raised NotDetectableError on 12 of these 54 plants)."""
    rnn = _two_mass(k, c, dt, ratio)
    rc = np.linalg.matrix_rank(control.ctrb(rnn.W, rnn.U))
    ro = np.linalg.matrix_rank(control.obsv(rnn.W, rnn.V))
    assert rnnss.is_controllable(rnn) == (rc == 4) and rnnss.is_observable(rnn) == (ro == 4)
    report = rnnss.structure_report(rnn)
    assert report.controllable == (
        report.staircase_controllable_dim == 4 if hasattr(report, "staircase_controllable_dim") else report.controllable
    )
    assert rnnss.is_detectable(rnn)
    ss = rnnss.steady_state(rnn)
    L, P, E = control.dlqe(rnn.W, np.eye(4), rnn.V, rnn.Q, rnn.R)
    np.testing.assert_allclose(ss.predicted_cov, P, rtol=1e-6, atol=1e-9 * np.max(np.abs(P)))
