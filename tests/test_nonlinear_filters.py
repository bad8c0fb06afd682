"""Tests of rnnss.nonlinear_filters: EKF and UKF against an exact Kalman filter on linear cells, against
filterpy's UnscentedKalmanFilter and ExtendedKalmanFilter on nonlinear cells, and on simulated data."""

import numpy as np
import pytest
from filterpy.kalman import ExtendedKalmanFilter, KalmanFilter, MerweScaledSigmaPoints, UnscentedKalmanFilter

from rnnss import (
    DimensionError,
    ElmanCell,
    NoisyCell,
    NumericalError,
    extended_kalman_filter,
    random_cell,
    simulate,
    unscented_kalman_filter,
)


def reference_kalman(W, U, b, V, d, Q, R, h0, P0, y, x):
    """A textbook Kalman filter (predict, then update on the observed components), written independently."""
    m, P = h0.copy(), P0.copy()
    means, covs, ll = [], [], 0.0
    for t in range(len(y)):
        m = W @ m + U @ x[t] + b
        P = W @ P @ W.T + Q
        obs = ~np.isnan(y[t])
        if obs.any():
            H = V[obs]
            S = H @ P @ H.T + R[np.ix_(obs, obs)]
            e = y[t][obs] - H @ m - d[obs]
            K = P @ H.T @ np.linalg.inv(S)
            m = m + K @ e
            P = P - K @ H @ P
            ll += -0.5 * (obs.sum() * np.log(2 * np.pi) + np.linalg.slogdet(S)[1] + e @ np.linalg.solve(S, e))
        means.append(m.copy())
        covs.append(P.copy())
    return np.array(means), np.array(covs), ll


@pytest.fixture
def linear_model(rng):
    """A linear cell (identity activation) with inputs, biases and a 2-output read-out."""
    W = np.array([[0.8, 0.3, 0.0], [-0.2, 0.7, 0.1], [0.0, 0.2, 0.5]])
    U, b = rng.standard_normal((3, 1)), rng.standard_normal(3)
    V, d = rng.standard_normal((2, 3)), rng.standard_normal(2)
    Q, R = 0.2 * np.eye(3) + 0.05, np.array([[0.3, 0.1], [0.1, 0.4]])
    cell = ElmanCell(W, U, b, activation="identity")
    return NoisyCell(cell, Q=Q, R=R, V=V, d=d, h0=[0.1, -0.2, 0.3], P0=0.5 * np.eye(3))


@pytest.mark.parametrize("method", ["ekf", "ukf"])
def test_linear_cell_filters_equal_exact_kalman_filter(method, linear_model, rng):
    """On a linear cell the EKF is exact and the UKF's sigma points reproduce the moments exactly: both equal
    the textbook Kalman filter, including missing rows and single missing components."""
    model = linear_model
    x = rng.standard_normal((40, 1))
    y = simulate(model, x=x, rng=1).y
    y[5] = np.nan
    y[9, 1] = np.nan
    if method == "ekf":
        res = extended_kalman_filter(model, y, x)
    else:
        res = unscented_kalman_filter(model, y, x, alpha=0.7, beta=2.0, kappa=1.0)
    c = model.cell
    means, covs, ll = reference_kalman(c.W, c.U, c.b, model.V, model.d, model.Q, model.R, model.h0, model.P0, y, x)
    np.testing.assert_allclose(res.filtered_means, means, atol=1e-12)
    np.testing.assert_allclose(res.filtered_covs, covs, atol=1e-12)
    assert res.loglik == pytest.approx(ll, rel=1e-12)
    assert res.loglik_terms[5] == 0.0 and np.isnan(res.innovations[5]).all() and np.isnan(res.innovations[9, 1])
    np.testing.assert_array_equal(res.filtered_covs[5], res.predicted_covs[5])


def test_ekf_equals_filterpy_kalman_filter_on_linear_cell(linear_model, rng):
    """Peer: filterpy's KalmanFilter, biases as a constant input and d subtracted from y."""
    model = linear_model
    x = rng.standard_normal((30, 1))
    y = simulate(model, x=x, rng=2).y
    c = model.cell
    kf = KalmanFilter(dim_x=3, dim_z=2, dim_u=2)
    kf.F, kf.B, kf.H = c.W.copy(), np.column_stack([c.U, c.b]), model.V.copy()
    kf.Q, kf.R, kf.x, kf.P = model.Q.copy(), model.R.copy(), model.h0.copy(), model.P0.copy()
    means, ll = [], 0.0
    for t in range(30):
        kf.predict(u=np.r_[x[t], 1.0])
        kf.update(y[t] - model.d)
        means.append(kf.x.copy())
        ll += kf.log_likelihood
    res = extended_kalman_filter(model, y, x)
    np.testing.assert_allclose(res.filtered_means, np.array(means), atol=1e-12)
    assert res.loglik == pytest.approx(ll, rel=1e-12)


def _filterpy_ukf(model, y, x, alpha, beta, kappa):
    n = model.state_size
    points = MerweScaledSigmaPoints(n, alpha=alpha, beta=beta, kappa=kappa)
    ukf = UnscentedKalmanFilter(
        dim_x=n,
        dim_z=model.n_outputs,
        dt=1.0,
        fx=lambda s, dt, u: model.cell.step(u, s),
        hx=model.observe,
        points=points,
    )
    ukf.x, ukf.P, ukf.Q, ukf.R = model.h0.copy(), model.P0.copy(), model.Q.copy(), model.R.copy()
    out = {"pm": [], "fm": [], "fc": [], "ll": 0.0}
    for t in range(len(y)):
        ukf.predict(u=x[t])
        out["pm"].append(ukf.x.copy())
        ukf.update(y[t])
        out["fm"].append(ukf.x.copy())
        out["fc"].append(ukf.P.copy())
        out["ll"] += ukf.log_likelihood
    return out


@pytest.mark.parametrize("alpha, beta, kappa", [(1.0, 2.0, 0.0), (0.5, 2.0, 1.0), (0.3, 0.0, 0.5)])
def test_ukf_equals_filterpy_on_tanh_cell(alpha, beta, kappa, rng):
    """Peer: filterpy UnscentedKalmanFilter with MerweScaledSigmaPoints(alpha, beta, kappa), same model."""
    cell = random_cell("elman", 3, 1, gain=1.8, rng=2)
    model = NoisyCell(
        cell, Q=0.05 * np.eye(3), R=0.1 * np.eye(2), V=rng.standard_normal((2, 3)), h0=[0.1, 0.0, 0.0], P0=0.5
    )
    x = rng.standard_normal((60, 1))
    y = simulate(model, x=x, rng=4).y
    res = unscented_kalman_filter(model, y, x, alpha=alpha, beta=beta, kappa=kappa)
    ref = _filterpy_ukf(model, y, x, alpha, beta, kappa)
    np.testing.assert_allclose(res.predicted_means, np.array(ref["pm"]), atol=1e-10)
    np.testing.assert_allclose(res.filtered_means, np.array(ref["fm"]), atol=1e-10)
    np.testing.assert_allclose(res.filtered_covs, np.array(ref["fc"]), atol=1e-10)
    assert res.loglik == pytest.approx(ref["ll"], abs=1e-9)


def test_ukf_equals_filterpy_on_lstm_with_callable_readout(rng):
    """LSTM state [h; c] observed through y = tanh(h) + 0.5 c (a callable read-out); filterpy as peer."""
    cell = random_cell("lstm", 2, 1, gain=1.5, rng=3)

    def readout(s):
        return np.tanh(s[:2]) + 0.5 * s[2:]

    model = NoisyCell(cell, Q=0.02, R=0.05, readout=readout, P0=0.3)
    x = rng.standard_normal((40, 1))
    y = simulate(model, x=x, rng=5).y
    res = unscented_kalman_filter(model, y, x, alpha=0.8)
    ref = _filterpy_ukf(model, y, x, 0.8, 2.0, 0.0)
    np.testing.assert_allclose(res.filtered_means, np.array(ref["fm"]), atol=1e-10)
    np.testing.assert_allclose(res.filtered_covs, np.array(ref["fc"]), atol=1e-10)
    assert res.loglik == pytest.approx(ref["ll"], abs=1e-9)


def test_ekf_equals_filterpy_extended_kalman_filter_on_nonlinear_cell(rng):
    """Peer: filterpy ExtendedKalmanFilter with predict_x overridden to the cell step and F = the cell's
    analytic Jacobian; the read-out is nonlinear, y = sin(s) with Jacobian diag(cos s)."""
    cell = random_cell("gru", 3, 1, gain=2.0, rng=6)
    model = NoisyCell(cell, Q=0.03, R=0.1, readout=np.sin, readout_jacobian=lambda s: np.diag(np.cos(s)), P0=0.4)
    x = rng.standard_normal((40, 1))
    y = simulate(model, x=x, rng=7).y

    class CellEKF(ExtendedKalmanFilter):
        def predict_x(self, u=0):
            self.x = cell.step(u, self.x)

    ekf = CellEKF(dim_x=3, dim_z=3)
    ekf.x, ekf.P, ekf.Q, ekf.R = model.h0.copy(), model.P0.copy(), model.Q.copy(), model.R.copy()
    means, covs, ll = [], [], 0.0
    for t in range(40):
        ekf.F = cell.jacobian(x[t], ekf.x)
        ekf.predict(u=x[t])
        ekf.update(y[t], lambda s: np.diag(np.cos(s)), np.sin)
        means.append(ekf.x.copy())
        covs.append(ekf.P.copy())
        ll += ekf.log_likelihood
    res = extended_kalman_filter(model, y, x)
    np.testing.assert_allclose(res.filtered_means, np.array(means), atol=1e-10)
    np.testing.assert_allclose(res.filtered_covs, np.array(covs), atol=1e-10)
    assert res.loglik == pytest.approx(ll, abs=1e-9)


def test_filters_recover_hidden_state_of_a_bistable_network(rng):
    """A tanh network with two attractors, observed through one noisy output: both filters track the
    hidden state far better than the prior alone, and UKF's covariance is roughly calibrated (NEES ~ S)."""
    W = np.array([[1.8, 0.3], [0.3, 1.2]])
    model = NoisyCell(ElmanCell(W), Q=0.02 * np.eye(2), R=0.05, V=[[1.0, 0.5]], P0=0.5)
    ekf_err, ukf_err, prior_err, nees = [], [], [], []
    for seed in range(6):
        traj = simulate(model, 150, rng=seed)
        ekf = extended_kalman_filter(model, traj.y)
        ukf = unscented_kalman_filter(model, traj.y)
        ekf_err.append(np.mean((ekf.filtered_means - traj.h) ** 2))
        ukf_err.append(np.mean((ukf.filtered_means - traj.h) ** 2))
        prior_err.append(np.mean(traj.h**2))  # the prior mean 0 (the unstable fixed point)
        e = ukf.filtered_means - traj.h
        nees.append(np.mean(np.einsum("ti,tij,tj->t", e, np.linalg.inv(ukf.filtered_covs), e)))
    assert np.mean(ekf_err) < 0.1 * np.mean(prior_err)
    assert np.mean(ukf_err) < 0.1 * np.mean(prior_err)
    assert 0.75 * 2 < np.mean(nees) < 1.3 * 2  # measured 2.00 for S = 2


def test_batch_layout_equals_per_sequence_runs(linear_model, rng):
    x = rng.standard_normal((3, 20, 1))
    y = np.stack([simulate(linear_model, x=x[i], rng=i).y for i in range(3)])
    for fn in (extended_kalman_filter, unscented_kalman_filter):
        res = fn(linear_model, y, x)
        assert res.filtered_means.shape == (3, 20, 3) and res.loglik.shape == (3,)
        one = fn(linear_model, y[2], x[2])
        np.testing.assert_allclose(res.filtered_means[2], one.filtered_means, rtol=1e-14, atol=1e-15)
        assert res.loglik[2] == pytest.approx(one.loglik, rel=1e-14)
        assert "batch=3" in repr(res)
    assert "NonlinearFilterResult(ekf, T=20, S=3" in repr(extended_kalman_filter(linear_model, y[0], x[0]))


def test_default_readout_is_the_hidden_part_of_an_lstm_state():
    model = NoisyCell(random_cell("lstm", 2, 1, rng=0), Q=0.1, R=0.1)
    np.testing.assert_array_equal(model.V, [[1, 0, 0, 0], [0, 1, 0, 0]])
    assert model.n_outputs == 2 and model.state_size == 4 and model.n_inputs == 1
    assert "linear readout" in repr(model)


# -- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(cell="no"), TypeError, "cell must be an rnnss cell"),
        (dict(Q=np.eye(3)), DimensionError, r"Q must have shape \(2, 2\); got shape \(3, 3\)"),
        (dict(R=[[1.0, 2.0], [2.0, 1.0]]), ValueError, "R must be symmetric positive semi-definite"),
        (dict(V=np.ones((1, 3))), DimensionError, r"V must have shape \(\?, 2\)"),
        (dict(V=np.ones((1, 2)), d=np.ones(2)), DimensionError, r"d must have shape \(1,\)"),
        (dict(h0=[np.nan, 0.0]), ValueError, "h0 must be finite"),
        (dict(readout=np.sin, V=np.eye(2)), ValueError, "either a linear read-out"),
        (dict(readout=3.0), TypeError, "readout must be a callable"),
        (dict(readout=lambda s: np.ones((2, 2))), DimensionError, r"readout must map a state of shape \(2,\)"),
        (
            dict(readout=np.sin, readout_jacobian=lambda s: np.eye(3)),
            DimensionError,
            r"readout_jacobian must return shape \(2, 2\)",
        ),
        (
            dict(readout=np.sin, readout_jacobian=lambda s: np.eye(2)),
            ValueError,
            "readout_jacobian disagrees with central differences",
        ),
        (
            dict(readout_jacobian=lambda s: np.eye(2)),
            ValueError,
            "readout_jacobian is only used with a callable readout",
        ),
    ],
)
def test_model_validation(kwargs, exc, match):
    base = dict(cell=ElmanCell(W=np.eye(2) * 0.5), Q=0.1, R=0.1, h0=[0.2, 0.3])
    base.update(kwargs)
    with pytest.raises(exc, match=match):
        NoisyCell(**base)


def test_filter_argument_errors(linear_model):
    y = np.zeros((5, 2))
    with pytest.raises(ValueError, match="x is required: the cell has p = 1 inputs"):
        extended_kalman_filter(linear_model, y)
    with pytest.raises(DimensionError, match=r"y must have shape \(T, 2\)"):
        unscented_kalman_filter(linear_model, np.zeros((5, 3)), np.zeros((5, 1)))
    with pytest.raises(DimensionError, match="x must have T = 5 time steps"):
        extended_kalman_filter(linear_model, y, np.zeros((4, 1)))
    with pytest.raises(ValueError, match="x must be finite"):
        extended_kalman_filter(linear_model, y, np.full((5, 1), np.inf))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        unscented_kalman_filter(linear_model, y, np.zeros((5, 1)), alpha=0.0)
    with pytest.raises(TypeError, match="model must be an rnnss NoisyCell"):
        extended_kalman_filter(linear_model.cell, y)
    callable_out = NoisyCell(ElmanCell(W=[[0.5]]), Q=0.1, R=0.1, readout=np.sin)
    with pytest.raises(TypeError, match="needs readout_jacobian"):
        extended_kalman_filter(callable_out, np.zeros(3))
    exact = NoisyCell(ElmanCell(W=[[0.5]]), Q=0.0, R=0.0)
    with pytest.raises(NumericalError, match="innovation covariance at step 1 is not positive definite"):
        extended_kalman_filter(exact, np.zeros(3))
    with pytest.raises(TypeError, match="give the number of steps"):
        simulate(exact)
