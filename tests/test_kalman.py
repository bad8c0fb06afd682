"""Tests of rnnss.kalman: exact filter and smoother, steady state, and the RNN equivalents."""

import dataclasses
import math

import control
import numpy as np
import pytest
import scipy.linalg
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnss
from rnnss import (
    DimensionError,
    IllConditionedError,
    LinearRNN,
    NotDetectableError,
    NotStabilizableError,
    NotStableError,
    NumericalError,
)
from rnnss.interop import peers as _peers

from .conftest import dense_joint, dense_posterior, random_stable


def _data(rnn, T, seed, missing=None):
    """Inputs and observations simulated from ``rnn``; ``missing`` in {None, "rows", "entries"}."""
    gen = np.random.default_rng(seed)
    x = gen.standard_normal((T, rnn.n_inputs)) if rnn.n_inputs else None
    y = rnnss.simulate(rnn, T, x, rng=gen).y.copy()
    if missing in ("rows", "entries"):
        y[gen.choice(T, T // 6, replace=False)] = np.nan
    if missing == "entries":
        y[gen.random(y.shape) < 0.15] = np.nan
    return x, y


MODELS = {
    "random-4x2x2": lambda: random_stable(4, 2, 2, 3),
    "demo": lambda: __import__("rnnss.demo", fromlist=["default_model"]).default_model(),
    "scalar": lambda: LinearRNN(W=0.95, Q=0.3, R=2.0, h0=[1.0], P0=0.5),
    "unstable-observable": lambda: LinearRNN(
        W=[[1.02, 0.1], [0.0, 0.7]], V=[[1.0, 0.5]], Q=np.diag([0.1, 0.2]), R=0.4, P0=np.eye(2)
    ),
}


# -- exact filter and smoother against the peers -------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_filter_smoother_match_statsmodels_with_missing_entries(name):
    """Reference: statsmodels' compiled KalmanSmoother (handles NaN per component)."""
    rnn = MODELS[name]()
    x, y = _data(rnn, 80, 1, missing="entries")
    sm = rnnss.rts_smoother(rnn, y, x)
    ref = _peers.statsmodels_smoother(rnn, y, x)
    f = sm.filter
    for ours, key in [
        (f.predicted_means, "predicted_means"),
        (f.predicted_covs, "predicted_covs"),
        (f.filtered_means, "filtered_means"),
        (f.filtered_covs, "filtered_covs"),
        (sm.smoothed_means, "smoothed_means"),
        (sm.smoothed_covs, "smoothed_covs"),
    ]:
        np.testing.assert_allclose(ours, ref[key], rtol=1e-9, atol=1e-9, err_msg=key)
    np.testing.assert_allclose(sm.lag_one_covs[1:], ref["lag_one_covs"], rtol=1e-9, atol=1e-9)
    assert f.loglik == pytest.approx(ref["loglik"], rel=1e-10)


@pytest.mark.parametrize("name", MODELS)
def test_filter_matches_filterpy_with_missing_rows(name):
    """Reference: filterpy KalmanFilter.batch_filter (predict-first convention, biases as an extra input)."""
    rnn = MODELS[name]()
    x, y = _data(rnn, 60, 2, missing="rows")
    f = rnnss.kalman_filter(rnn, y, x)
    ref = _peers.filterpy_filter(rnn, y, x)
    for key in ("predicted_means", "predicted_covs", "filtered_means", "filtered_covs"):
        np.testing.assert_allclose(getattr(f, key), ref[key], rtol=1e-9, atol=1e-9, err_msg=key)


def test_smoother_matches_filterpy_without_inputs():
    """Reference: filterpy rts_smoother (it has no input term, so a model without inputs or bias)."""
    rnn = random_stable(3, 2, 0, 5, bias=False)
    _, y = _data(rnn, 50, 3, missing="rows")
    sm = rnnss.rts_smoother(rnn, y)
    ref = _peers.filterpy_filter(rnn, y)
    np.testing.assert_allclose(sm.smoothed_means, ref["smoothed_means"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sm.smoothed_covs, ref["smoothed_covs"], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", ["random-4x2x2", "demo"])
def test_filter_smoother_loglik_match_pykalman(name):
    """Reference: pykalman filter/smooth/loglikelihood (missing rows masked)."""
    rnn = MODELS[name]()
    x, y = _data(rnn, 60, 4, missing="rows")
    sm = rnnss.rts_smoother(rnn, y, x)
    ref = _peers.pykalman_smoother(rnn, y, x)
    np.testing.assert_allclose(sm.filter.filtered_means, ref["filtered_means"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sm.filter.filtered_covs, ref["filtered_covs"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sm.smoothed_means, ref["smoothed_means"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(sm.smoothed_covs, ref["smoothed_covs"], rtol=1e-9, atol=1e-9)
    assert sm.loglik == pytest.approx(ref["loglik"], rel=1e-10)


# -- brute force: the dense joint Gaussian of all states and observations --------------------------------


def test_against_dense_joint_gaussian_with_missing_entries():
    """Brute force: filter, smoother, lag-one covariances, smoothed h_0 and loglik from the dense joint Gaussian."""
    rnn = dataclasses.replace(random_stable(3, 2, 1, 11), h0=np.array([0.5, -1.0, 0.2]))
    x, y = _data(rnn, 7, 12, missing="entries")
    y[2, 0] = np.nan
    y[4] = np.nan
    T, n, m = 7, 3, 2
    mh, Ch, my, Cy, Chy = dense_joint(rnn, x)
    flat = y.reshape(-1)
    observed = ~np.isnan(flat)
    sm = rnnss.rts_smoother(rnn, y, x)
    mean, cov = dense_posterior(mh, Ch, my, Cy, Chy, flat, observed)
    for t in range(1, T + 1):
        sl = slice(t * n, (t + 1) * n)
        np.testing.assert_allclose(sm.smoothed_means[t - 1], mean[sl], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(sm.smoothed_covs[t - 1], cov[sl, sl], rtol=1e-9, atol=1e-10)
        prev = slice((t - 1) * n, t * n)
        np.testing.assert_allclose(sm.lag_one_covs[t - 1], cov[sl, prev], rtol=1e-9, atol=1e-10)
        # Filter at t: condition on the observed entries of y_1..y_t only.
        keep = observed & (np.arange(T * m) < t * m)
        fm, fc = dense_posterior(mh, Ch, my, Cy, Chy, flat, keep)
        np.testing.assert_allclose(sm.filter.filtered_means[t - 1], fm[sl], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(sm.filter.filtered_covs[t - 1], fc[sl, sl], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(sm.initial_mean, mean[:n], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(sm.initial_cov, cov[:n, :n], rtol=1e-9, atol=1e-10)
    ll = scipy.stats.multivariate_normal(my[observed], Cy[np.ix_(observed, observed)]).logpdf(flat[observed])
    assert sm.loglik == pytest.approx(ll, rel=1e-11)
    assert sm.filter.n_observed == int(observed.sum())


def test_loglik_terms_and_innovations():
    rnn = random_stable(3, 2, 1, 13)
    x, y = _data(rnn, 30, 14, missing="entries")
    f = rnnss.kalman_filter(rnn, y, x)
    assert f.loglik == pytest.approx(f.loglik_terms.sum())
    np.testing.assert_array_equal(np.isnan(f.innovations), np.isnan(y))
    np.testing.assert_allclose(f.innovations, y - f.predicted_means @ rnn.V.T - rnn.d, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(f.innovation_covs, rnn.V @ f.predicted_covs @ rnn.V.T + rnn.R, rtol=1e-12)
    # Gains: zero columns for missing components; filtered = predicted + K * innovation.
    v = np.nan_to_num(f.innovations)
    np.testing.assert_allclose(f.filtered_means, f.predicted_means + np.einsum("tnm,tm->tn", f.gains, v), atol=1e-12)
    assert np.all(f.gains[np.isnan(y)[:, None, :].repeat(3, axis=1)] == 0)
    assert np.all(f.loglik_terms[np.isnan(y).all(axis=1)] == 0)
    assert "loglik" in repr(f)


# -- batches ------------------------------------------------------------------------------------------------


def test_batch_equals_sequences_and_shares_covariances():
    rnn = random_stable(3, 2, 2, 21)
    gen = np.random.default_rng(0)
    x = gen.standard_normal((5, 40, 2))
    y = rnnss.simulate(rnn, x=x, rng=gen).y.copy()
    y[1, 3] = np.nan  # sequence 1 and 3 share one pattern, the others another
    y[3, 3] = np.nan
    y[4, 10, 0] = np.nan  # and sequence 4 its own
    sm = rnnss.rts_smoother(rnn, y, x)
    assert sm.smoothed_means.shape == (5, 40, 3) and sm.smoothed_covs.shape == (5, 40, 3, 3)
    assert sm.filter.loglik.shape == (5,) and sm.filter.batched
    for i in range(5):
        one = rnnss.rts_smoother(rnn, y[i], x[i])
        np.testing.assert_allclose(sm.smoothed_means[i], one.smoothed_means, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(sm.smoothed_covs[i], one.smoothed_covs, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(sm.lag_one_covs[i], one.lag_one_covs, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(sm.initial_mean[i], one.initial_mean, rtol=1e-12, atol=1e-13)
        assert sm.filter.loglik[i] == pytest.approx(one.loglik, rel=1e-13)
        assert sm.filter.n_observed[i] == one.filter.n_observed


def test_batch_with_one_pattern_returns_read_only_views():
    rnn = random_stable(2, 1, 0, 22)
    y = rnnss.simulate(rnn, 30, batch=4, rng=1).y
    f = rnnss.kalman_filter(rnn, y)
    assert f.filtered_covs.shape == (4, 30, 2, 2)
    assert not f.filtered_covs.flags.writeable  # one shared array, not 4 copies
    np.testing.assert_array_equal(f.filtered_covs[0], f.filtered_covs[3])


def test_shared_x_for_a_batch_of_y():
    rnn = random_stable(2, 1, 1, 23)
    x = np.random.default_rng(0).standard_normal((25, 1))
    y = rnnss.simulate(rnn, x=x, batch=3, rng=2).y
    f = rnnss.kalman_filter(rnn, y, x)
    np.testing.assert_allclose(f.filtered_means[2], rnnss.kalman_filter(rnn, y[2], x).filtered_means, rtol=1e-13)


# -- numerical care ------------------------------------------------------------------------------------------


def test_covariances_stay_symmetric_psd_on_a_hard_long_run():
    """A near-unit-root, nearly noise-free model: the Joseph form keeps P symmetric PSD (checked exactly)."""
    rnn = LinearRNN(
        W=[[0.9999, 1.0], [0.0, 0.9999]], V=[[1.0, 0.0]], Q=np.diag([1e-10, 1e-8]), R=1e-8, P0=1e6 * np.eye(2)
    )
    _, y = _data(rnn, 20_000, 5)
    f = rnnss.kalman_filter(rnn, y)
    for P in (f.filtered_covs, f.predicted_covs):
        np.testing.assert_array_equal(P, np.swapaxes(P, 1, 2))
        assert np.linalg.eigvalsh(P).min() >= 0
    ss = rnnss.steady_state(rnn)
    np.testing.assert_allclose(f.filtered_covs[-1], ss.filtered_cov, rtol=1e-6)


def test_store_covariances_false():
    rnn = random_stable(3, 2, 1, 31)
    x, y = _data(rnn, 50, 6)
    full = rnnss.kalman_filter(rnn, y, x)
    lean = rnnss.kalman_filter(rnn, y, x, store_covariances=False)
    assert lean.filtered_covs is None and lean.gains is None and lean.predicted_covs is None
    np.testing.assert_array_equal(lean.filtered_means, full.filtered_means)
    assert lean.loglik == full.loglik
    np.testing.assert_array_equal(lean.final_filtered_cov, full.filtered_covs[-1])
    # the compact covariance path is kept, so a lean result still smooths, to the same numbers
    np.testing.assert_array_equal(rnnss.rts_smoother(lean).smoothed_covs, rnnss.rts_smoother(full).smoothed_covs)
    with pytest.raises(ValueError, match="store_covariances=True"):
        rnnss.rts_smoother(lean).smoother_gains  # noqa: B018


def test_stationary_initialization():
    rnn = random_stable(3, 2, 0, 32)
    _, y = _data(rnn, 20, 7)
    a = rnnss.kalman_filter(rnn, y, initialization="stationary")
    b = rnnss.kalman_filter(rnnss.with_stationary_prior(rnn), y)
    np.testing.assert_array_equal(a.filtered_means, b.filtered_means)
    np.testing.assert_allclose(a.rnn.P0, rnnss.stationary_covariance(rnn))
    with pytest.raises(NotStableError):
        rnnss.kalman_filter(LinearRNN(W=1.1, Q=1.0, R=1.0), np.ones(3), initialization="stationary")
    with pytest.raises(ValueError, match="initialization must be"):
        rnnss.kalman_filter(rnn, y, initialization="diffuse")


def test_smoother_from_filter_result_and_single_step():
    rnn = random_stable(2, 1, 0, 33)
    _, y = _data(rnn, 15, 8)
    f = rnnss.kalman_filter(rnn, y)
    np.testing.assert_array_equal(rnnss.rts_smoother(f).smoothed_means, rnnss.rts_smoother(rnn, y).smoothed_means)
    one = rnnss.rts_smoother(rnn, y[:1])
    np.testing.assert_array_equal(one.smoothed_means, one.filter.filtered_means)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda r, x, y: rnnss.kalman_filter(r, y[:, :1], x), DimensionError, r"y must have shape \(T, 2\)"),
        (lambda r, x, y: rnnss.kalman_filter(r, y, x[:-1]), DimensionError, "T = 30 time steps"),
        (lambda r, x, y: rnnss.kalman_filter(r, y), ValueError, "x is required"),
        (
            lambda r, x, y: rnnss.kalman_filter(r, y, np.where(np.arange(30)[:, None] == 3, np.nan, x)),
            ValueError,
            "x must be finite",
        ),
        (
            lambda r, x, y: rnnss.kalman_filter(r, np.where(np.arange(30)[:, None] == 3, np.inf, y), x),
            ValueError,
            "y must be finite",
        ),
        (
            lambda r, x, y: rnnss.kalman_filter(r, np.stack([y, y]), np.stack([x, x, x])),
            DimensionError,
            "x holds 3 sequences but y holds 2",
        ),
        (lambda r, x, y: rnnss.kalman_filter("model", y, x), TypeError, "rnn must be a rnnss.LinearRNN"),
        (lambda r, x, y: rnnss.rts_smoother(r), TypeError, "needs the observations y"),
        (lambda r, x, y: rnnss.rts_smoother(rnnss.kalman_filter(r, y, x), y), TypeError, "FilterResult alone"),
    ],
)
def test_bad_input(call, exc, match):
    rnn = random_stable(3, 2, 1, 40)
    x, y = _data(rnn, 30, 9)
    with pytest.raises(exc, match=match):
        call(rnn, x, y)


def test_singular_innovation_covariance_is_reported():
    rnn = LinearRNN(W=0.5, Q=0.0, R=0.0, P0=0.0)  # y_t is a known number: its density is degenerate
    with pytest.raises(NumericalError, match="innovation covariance at step t = 1 is singular"):
        rnnss.kalman_filter(rnn, [1.0, 2.0])


# -- steady state -------------------------------------------------------------------------------------------


def test_steady_state_scalar_closed_form():
    """Scalar DARE: P^2 + (r(1-a^2) - q) P - q r = 0; P_f = P r/(P + r); python-control dlqe agrees."""
    a, q, r = 0.9, 1.0, 1.0
    ss = rnnss.steady_state(LinearRNN(W=a, Q=q, R=r))
    beta = r * (1 - a * a) - q
    P = (-beta + math.sqrt(beta * beta + 4 * q * r)) / 2
    assert ss.predicted_cov[0, 0] == pytest.approx(P, rel=1e-13)
    assert ss.filtered_cov[0, 0] == pytest.approx(P * r / (P + r), rel=1e-13)
    assert ss.gain[0, 0] == pytest.approx(P / (P + r), rel=1e-13)
    assert ss.smoother_gain[0, 0] == pytest.approx(a * r / (P + r), rel=1e-13)
    L, Pc, _ = control.dlqe(np.array([[a]]), np.eye(1), np.eye(1), np.array([[q]]), np.array([[r]]))
    assert ss.predicted_cov[0, 0] == pytest.approx(Pc[0, 0], rel=1e-12)
    assert a * ss.gain[0, 0] == pytest.approx(L[0, 0], rel=1e-12)  # dlqe returns the predictor gain W K


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steady_state_matches_python_control_dlqe_and_time_varying_limit(seed):
    rnn = dataclasses.replace(random_stable(4, 2, 1, seed), P0=np.eye(4) * 3.0)
    ss = rnnss.steady_state(rnn)
    L, P, _ = control.dlqe(rnn.W, np.eye(4), rnn.V, rnn.Q, rnn.R)
    np.testing.assert_allclose(ss.predicted_cov, P, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rnn.W @ ss.gain, L, rtol=1e-9, atol=1e-12)
    assert ss.riccati_residual < 1e-12
    # The time-varying recursions converge to it: filter at the end, smoother in the middle.
    x, y = _data(rnn, 400, seed)
    sm = rnnss.rts_smoother(rnn, y, x)
    np.testing.assert_allclose(sm.filter.filtered_covs[-1], ss.filtered_cov, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sm.filter.gains[-1], ss.gain, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sm.smoothed_covs[200], ss.smoothed_cov, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sm.lag_one_covs[200], ss.lag_one_cov, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ss.filter_matrix, (np.eye(4) - ss.gain @ rnn.V) @ rnn.W)
    assert "filter radius" in repr(ss)


def test_steady_state_with_numerically_zero_w():
    """W ~ 1e-200 (where QZ-based DARE solvers fail): the steady state is P = Q, P_f = (Q^-1 + V^T R^-1 V)^-1."""
    rnn = rnnss.random_rnn(5, 1, radius=5e-200, rng=2)
    ss = rnnss.steady_state(rnn)
    np.testing.assert_allclose(ss.predicted_cov, rnn.Q, rtol=1e-12)
    info = np.linalg.inv(rnn.Q) + rnn.V.T @ np.linalg.solve(rnn.R, rnn.V)
    np.testing.assert_allclose(ss.filtered_cov, np.linalg.inv(info), rtol=1e-10)
    np.testing.assert_allclose(ss.smoothed_cov, ss.filtered_cov, rtol=1e-10)  # no dynamics, nothing to smooth


def test_steady_state_with_noise_free_outputs_matches_the_time_varying_limit():
    """R singular (one output noise-free): the extended-pencil DARE; the time-varying filter converges to it."""
    rnn = LinearRNN(W=[[0.9, 0.2], [0.0, 0.5]], Q=np.eye(2), R=np.diag([1.0, 0.0]), P0=np.eye(2))
    ss = rnnss.steady_state(rnn)
    np.testing.assert_allclose(
        ss.predicted_cov, [[(0.81 + math.sqrt(0.81**2 + 4)) / 2, 0.0], [0.0, 1.0]], rtol=1e-12, atol=1e-14
    )
    f = rnnss.kalman_filter(rnn, rnnss.simulate(rnn, 300, rng=0).y, steady_tol=None)
    np.testing.assert_allclose(f.predicted_covs[-1], ss.predicted_cov, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(f.gains[-1], ss.gain, rtol=1e-10, atol=1e-12)
    scalar = rnnss.steady_state(LinearRNN(W=0.5, Q=1.0, R=0.0))  # y_t = h_t exactly: P = Q, P_f = 0
    assert scalar.predicted_cov[0, 0] == pytest.approx(1.0) and scalar.filtered_cov[0, 0] == pytest.approx(
        0.0, abs=1e-15
    )


def test_steady_state_errors():
    with pytest.raises(NotDetectableError, match=r"1\.1.*do not reach the outputs"):
        rnnss.steady_state(LinearRNN(W=np.diag([1.1, 0.5]), V=[[0.0, 1.0]], Q=np.eye(2), R=1.0))
    with pytest.raises(NotStabilizableError, match="receive no process noise"):
        rnnss.steady_state(LinearRNN(W=np.diag([1.0, 0.5]), Q=np.diag([0.0, 1.0]), R=np.eye(2)))
    with pytest.raises(NumericalError, match=r"innovation covariance V P V\^T \+ R is singular"):
        rnnss.steady_state(LinearRNN(W=np.diag([0.5, 0.4]), V=[[1.0, 0.0], [2.0, 0.0]], Q=np.eye(2), R=0.0))
    with pytest.raises(IllConditionedError, match="condition number") as info:
        rnnss.steady_state(
            LinearRNN(W=np.diag([0.5, 0.5]), Q=np.eye(2), R=np.diag([1.0, 1e-14]), V=np.diag([1.0, 1e-7]))
        )
    assert info.value.condition_number > 1e12
    # An unobservable but stable mode is fine (detectable).
    assert rnnss.steady_state(LinearRNN(W=np.diag([0.9, 0.5]), V=[[1.0, 0.0]], Q=np.eye(2), R=1.0)).filter_radius < 1


# -- the RNN equivalents -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_filter_and_smoother_rnns_equal_exact_recursions_after_transient(name):
    rnn = MODELS[name]()
    x, y = _data(rnn, 600, 17)
    pair = rnnss.smoother_rnn(rnn)
    fwd, bwd = pair.run(y, x)
    sm = rnnss.rts_smoother(rnn, y, x)
    scale = np.max(np.abs(sm.smoothed_means))
    np.testing.assert_allclose(fwd[300:], sm.filter.filtered_means[300:], rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(bwd[300:], sm.smoothed_means[300:], rtol=0, atol=1e-10 * scale)
    # The filter RNN is literally a LinearRNN on [x; y].
    xy = np.hstack([x, y]) if x is not None else y
    np.testing.assert_array_equal(rnnss.simulate(rnnss.kalman_rnn(rnn), x=xy, noise=False).h, fwd)


def test_kalman_rnn_structure():
    rnn = random_stable(3, 2, 2, 41)
    ss = rnnss.steady_state(rnn)
    f = rnnss.kalman_rnn(rnn)
    A = np.eye(3) - ss.gain @ rnn.V
    np.testing.assert_allclose(f.W, A @ rnn.W)
    np.testing.assert_allclose(f.U, np.hstack([A @ rnn.U, ss.gain]))
    np.testing.assert_allclose(f.b, A @ rnn.b - ss.gain @ rnn.d)
    assert (
        (f.n_inputs, f.n_outputs) == (4, 3) and not np.any(f.Q) and f.spectral_radius == pytest.approx(ss.filter_radius)
    )
    pair = rnnss.smoother_rnn(rnn)
    # the backward RNN is the information recursion: W = L^T, read-out P (no P^{-1} anywhere)
    np.testing.assert_allclose(pair.backward.W, ss.error_transition.T)
    np.testing.assert_allclose(pair.backward.V, ss.predicted_cov)
    assert pair.backward.n_inputs == rnn.n_hidden + rnn.n_inputs + rnn.n_outputs and "SmootherRNN" in repr(pair)


def test_transient_decays_at_the_filter_radius():
    """The RNN form's start error contracts like the spectral radius of (I - K V) W per step."""
    rnn = LinearRNN(W=0.95, Q=0.1, R=1.0, P0=0.0, h0=[5.0])
    _, y = _data(rnn, 300, 3)
    report = rnnss.verify_kalman_equivalence(rnn, y, peers=False)
    err = report.filter_errors[20:60]
    rate = np.exp(np.polyfit(np.arange(err.size), np.log(err), 1)[0])
    assert rate == pytest.approx(report.filter_radius, rel=0.02)


def test_verify_report_passes_and_prints():
    rnn = MODELS["random-4x2x2"]()
    x, y = _data(rnn, 800, 19)
    report = rnnss.verify_kalman_equivalence(rnn, y, x)
    assert report.passed
    assert report.filter_max_rel < 1e-12 and report.smoother_max_rel < 1e-12
    assert report.filter_transient <= report.predicted_transient + 20
    assert report.peers["statsmodels"]["loglik"] < 1e-8
    assert report.peers["filterpy"]["filtered means"] < 1e-9
    text = str(report)
    assert "PASSED" in text and "statsmodels" in text and "filterpy" in text


def test_verify_too_short_series_is_inconclusive_not_failed():
    """A record shorter than the predicted transient cannot decide: 'inconclusive: needs >= N steps'."""
    rnn = LinearRNN(W=0.99, Q=0.01, R=10.0, h0=[50.0])
    _, y = _data(rnn, 20, 4)
    report = rnnss.verify_kalman_equivalence(rnn, y, peers=False)
    assert not report.passed and report.filter_transient is None and report.status == "inconclusive"
    assert report.needed_steps == 2 * report.predicted_transient + 10 > 20
    assert f"INCONCLUSIVE: the record is shorter than the transient, needs >= {report.needed_steps}" in str(report)
    long = rnnss.verify_kalman_equivalence(rnn, _data(rnn, report.needed_steps + 50, 4)[1], peers=False)
    assert long.status == "passed"


def test_verify_reports_a_failing_peer_instead_of_crashing():
    """filterpy raises LinAlgError on R = 0 (a textbook AR(3)): the report names filterpy's failure and passes."""
    ar3 = rnnss.varma_to_rnn(rnnss.VARMA(ar=[0.5, -0.2, 0.1], ma=[], sigma=1.0))
    assert not np.any(ar3.R)
    y = rnnss.simulate(ar3, 400, rng=1).y
    report = rnnss.verify_kalman_equivalence(ar3, y)
    assert report.passed, str(report)
    assert report.peers["filterpy"].startswith("failed on this model (")
    assert isinstance(report.peers["statsmodels"], dict) and report.peers["statsmodels"]["loglik"] < 1e-8


def test_verify_and_rnn_errors():
    rnn = random_stable(2, 1, 0, 42)
    _, y = _data(rnn, 30, 5)
    y[3] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        rnnss.verify_kalman_equivalence(rnn, y)
    with pytest.raises(ValueError, match="tol must be > 0"):
        rnnss.verify_kalman_equivalence(rnn, np.ones((5, 1)), tol=0.0)
    with pytest.raises(DimensionError, match="one sequence"):
        rnnss.verify_kalman_equivalence(rnn, np.ones((2, 5, 1)))
    with pytest.raises(DimensionError, match="one sequence"):
        rnnss.smoother_rnn(rnn).run(np.ones((2, 5, 1)))
    with pytest.raises(ValueError, match="x is required"):
        rnnss.smoother_rnn(random_stable(2, 1, 1, 43)).run(np.ones((5, 1)))
    with pytest.raises(NotDetectableError):
        rnnss.kalman_rnn(LinearRNN(W=np.diag([1.1, 0.5]), V=[[0.0, 1.0]], Q=np.eye(2), R=1.0))


@settings(max_examples=15)
@given(n=st.integers(1, 4), m=st.integers(1, 3), p=st.integers(0, 2), seed=st.integers(0, 2**31 - 1))
def test_property_smoother_never_worse_than_filter(n, m, p, seed):
    """For any model, P_{t|T} <= P_{t|t} in the PSD order (more data never hurts)."""
    rnn = rnnss.random_rnn(n, m, p, rng=seed)
    x, y = _data(rnn, 25, seed, missing="entries")
    sm = rnnss.rts_smoother(rnn, y, x)
    gap = sm.filter.filtered_covs - sm.smoothed_covs
    assert np.linalg.eigvalsh(0.5 * (gap + np.swapaxes(gap, 1, 2))).min() > -1e-10


# -- engines: the fast paths against the reference path --------------------------------------------------


def _all_fields(sm):
    f = sm.filter
    return {
        "predicted_means": f.predicted_means,
        "predicted_covs": f.predicted_covs,
        "filtered_means": f.filtered_means,
        "filtered_covs": f.filtered_covs,
        "innovations": f.innovations,
        "innovation_covs": f.innovation_covs,
        "gains": f.gains,
        "loglik_terms": f.loglik_terms,
        "smoothed_means": sm.smoothed_means,
        "smoothed_covs": sm.smoothed_covs,
        "lag_one_covs": sm.lag_one_covs,
        "smoother_gains": sm.smoother_gains,
        "initial_mean": sm.initial_mean,
        "initial_cov": sm.initial_cov,
    }


@pytest.mark.parametrize("missing", [None, "rows", "entries"])
@pytest.mark.parametrize("name", MODELS)
def test_numba_and_steady_switch_match_the_reference_path(name, missing):
    """Reference: the NumPy engine with the full Riccati recursion at every step (steady_tol=None)."""
    rnn = MODELS[name]()
    x, y = _data(rnn, 700, 23, missing=missing)
    ref = _all_fields(rnnss.rts_smoother(rnn, y, x, engine="numpy", steady_tol=None))
    for engine in ("numba", "numpy"):
        for tol in (None, 1e-14):
            got = _all_fields(rnnss.rts_smoother(rnn, y, x, engine=engine, steady_tol=tol))
            for key, val in ref.items():
                scale = max(np.nanmax(np.abs(val)), 1.0)
                np.testing.assert_allclose(got[key], val, rtol=0, atol=1e-10 * scale, err_msg=f"{engine} {tol} {key}")


def test_numba_batch_matches_reference_with_mixed_patterns():
    rnn = random_stable(3, 2, 2, 51)
    gen = np.random.default_rng(3)
    x = gen.standard_normal((6, 120, 2))
    y = rnnss.simulate(rnn, x=x, rng=gen).y.copy()
    y[0, 5] = np.nan
    y[2, 5] = np.nan
    y[3, 7, 1] = np.nan
    ref = rnnss.rts_smoother(rnn, y, x, engine="numpy", steady_tol=None)
    got = rnnss.rts_smoother(rnn, y, x, engine="numba")
    np.testing.assert_allclose(got.smoothed_means, ref.smoothed_means, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got.smoothed_covs, ref.smoothed_covs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(got.filter.loglik, ref.filter.loglik, rtol=1e-12)


def test_steady_switch_is_used_and_exact_reuse_in_the_smoother():
    """After convergence the stored covariances are bit-identical (reused), and the smoother reuses its gain."""
    rnn = random_stable(3, 2, 0, 52)
    _, y = _data(rnn, 400, 6)
    sm = rnnss.rts_smoother(rnn, y, engine="numba")
    Pf = sm.filter.filtered_covs
    assert np.array_equal(Pf[300], Pf[301])
    assert np.array_equal(sm.smoother_gains[200], sm.smoother_gains[201])
    full = rnnss.rts_smoother(rnn, y, engine="numba", steady_tol=None)
    # Identical during the transient, then within tol / (1 - rho^2) of the recursion it replaced.
    np.testing.assert_array_equal(Pf[:20], full.filter.filtered_covs[:20])
    rho = rnnss.steady_state(rnn).filter_radius
    np.testing.assert_allclose(Pf, full.filter.filtered_covs, rtol=0, atol=2e-14 / (1 - rho**2) * np.max(np.abs(Pf)))


def test_a_million_steps_stay_symmetric_psd():
    """1e6 steps of the full Riccati recursion (no steady-state reuse) on a hard model: exactly symmetric, PSD."""
    rnn = LinearRNN(
        W=[[0.9999, 1.0], [0.0, 0.9999]], V=[[1.0, 0.0]], Q=np.diag([1e-10, 1e-8]), R=1e-8, P0=1e6 * np.eye(2)
    )
    y = np.random.default_rng(0).standard_normal((1_000_000, 1))
    f = rnnss.kalman_filter(rnn, y, engine="numba", steady_tol=None)
    for P in (f.filtered_covs, f.predicted_covs):
        assert np.array_equal(P, np.swapaxes(P, 1, 2))
        assert np.linalg.eigvalsh(P[::997]).min() >= 0
        assert np.linalg.eigvalsh(P[-5:]).min() >= 0
    np.testing.assert_allclose(f.filtered_covs[-1], rnnss.steady_state(rnn).filtered_cov, rtol=1e-6)


def test_a_million_step_filter_runs_in_bounded_memory():
    """store_covariances=False: peak traced memory below 200 MB for T = 1e6, n = 4, m = 2."""
    import tracemalloc

    rnn = rnnss.random_rnn(4, 2, 0, rng=0)
    y = np.random.default_rng(1).standard_normal((1_000_000, 2))
    tracemalloc.start()
    try:
        f = rnnss.kalman_filter(rnn, y, store_covariances=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert np.isfinite(f.loglik) and f.filtered_covs is None


def test_engine_errors():
    rnn = random_stable(2, 1, 0, 53)
    with pytest.raises(ValueError, match="engine must be one of"):
        rnnss.kalman_filter(rnn, np.ones((5, 1)), engine="gpu")
    with pytest.raises(ValueError, match="steady_tol must be >= 0"):
        rnnss.kalman_filter(rnn, np.ones((5, 1)), steady_tol=-1.0)
    with pytest.raises(NumericalError, match="step t = 1 is singular"):
        rnnss.kalman_filter(LinearRNN(W=0.5, Q=0.0, R=0.0, P0=0.0), [1.0, 2.0], engine="numba")
