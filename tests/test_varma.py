"""Tests of rnnss.varma: the VARMA model, its exact equivalence with linear RNNs, and the statsmodels bridge."""

import warnings

import numpy as np
import pytest
import scipy.stats
from statsmodels.tsa.arima_process import arma_acovf
from statsmodels.tsa.statespace.varmax import VARMAX
from statsmodels.tsa.vector_ar.var_model import VARProcess

import rnnss
from rnnss import (
    VARMA,
    DimensionError,
    LinearRNN,
    NotStableError,
    NumericalError,
    autocovariances,
    from_statsmodels,
    innovation_responses,
    rnn_to_varma,
    simulate,
    to_statsmodels_params,
    varma_loglik,
    varma_to_rnn,
)


def _varma(m, p, q, k=0, seed=0, lags=1, radius=0.8):
    """A random stationary, invertible VARMA(p, q) with intercept (and k inputs with `lags` exogenous lags)."""
    g = np.random.default_rng(seed)

    def stable(order):
        blocks = g.standard_normal((order, m, m)) / m
        if order:
            rho = rnnss._linalg.companion_radius(blocks)
            blocks = blocks * (radius / rho) ** np.arange(1, order + 1)[:, None, None]
        return blocks

    A = g.standard_normal((m, m))
    return VARMA(
        ar=stable(p),
        ma=stable(q),
        sigma=A @ A.T / m + 0.5 * np.eye(m),
        intercept=g.standard_normal(m),
        exog=g.standard_normal((lags, m, k)) if k else None,
    )


def _psi_autocov(varma, lags, terms=3000):
    """Brute force: Gamma(k) = sum_j Psi_{j+k} Sigma Psi_j^T over a long truncated psi sequence."""
    psi = innovation_responses(varma, terms + lags + 1)
    return np.array(
        [np.einsum("jab,bc,jdc->ad", psi[k : k + terms], varma.sigma, psi[:terms]) for k in range(lags + 1)]
    )


def _dense_loglik(varma, y, x=None):
    """Brute force: the stacked y is one Gaussian vector; covariance blocks Gamma(t - s), mean from the inputs."""
    T, m = y.shape
    gam = autocovariances(varma, T)
    cov = np.empty((T * m, T * m))
    for t in range(T):
        for s in range(T):
            cov[t * m : (t + 1) * m, s * m : (s + 1) * m] = gam[t - s] if t >= s else gam[s - t].T
    mean = (
        rnnss.simulate(varma_to_rnn(varma), x=x, steps=T, noise=False).y
        if x is not None
        else np.tile(varma.mean(), (T, 1))
    )
    obs = ~np.isnan(y.ravel())
    return scipy.stats.multivariate_normal(mean.ravel()[obs], cov[np.ix_(obs, obs)]).logpdf(y.ravel()[obs])


def _varmax(varma, y, x=None, trend="c", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # VARMAX warns that VARMA(p, q > 0) estimation is not identified
        return VARMAX(y, exog=x, order=(varma.p, varma.q), trend=trend, **kw)


# -- the container ----------------------------------------------------------------------------------------


def test_validation_names_argument_and_shapes():
    with pytest.raises(DimensionError, match=r"ar must be a sequence of \(2, 2\) matrices.*got shape \(1, 3, 3\)"):
        VARMA(ar=[np.eye(3)], ma=[], sigma=np.eye(2))
    with pytest.raises(DimensionError, match=r"ma .*wrap a single matrix in a list"):
        VARMA(ar=[], ma=np.eye(2), sigma=np.eye(2))
    with pytest.raises(ValueError, match=r"sigma must be symmetric positive semi-definite.*min eigenvalue"):
        VARMA(ar=[], ma=[], sigma=[[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="intercept must be finite"):
        VARMA(ar=[], ma=[], sigma=1.0, intercept=[np.nan])
    with pytest.raises(DimensionError, match=r"intercept must have shape \(2,\)"):
        VARMA(ar=[], ma=[], sigma=np.eye(2), intercept=[1.0])
    with pytest.raises(DimensionError, match=r"exog must be a sequence of \(2, k\) matrices"):
        VARMA(ar=[], ma=[], sigma=np.eye(2), exog=np.ones((3, 1)))
    with pytest.raises(TypeError, match="ar must be an array of real numbers"):
        VARMA(ar="0.5", ma=[], sigma=1.0)
    with pytest.raises(DimensionError, match="sigma must be a square matrix"):
        VARMA(ar=[], ma=[], sigma=np.ones((2, 3)))


def test_containers_are_frozen_and_univariate_shorthand():
    arma = VARMA(ar=[0.5, -0.2], ma=[0.3], sigma=2.0, intercept=[1.0], exog=[[0.7]])
    assert (arma.p, arma.q, arma.n_outputs, arma.n_inputs) == (2, 1, 1, 1)
    assert arma.ar[1].shape == (1, 1) and arma.exog[0][0, 0] == 0.7
    with pytest.raises(ValueError):
        arma.ar[0][0, 0] = 1.0  # read-only
    assert VARMA(ar=[], ma=[], sigma=np.eye(3)).p == 0
    assert "A_2 =" in arma.summary() and "B_0 =" in arma.summary() and "stationary" in repr(arma)


@pytest.mark.parametrize("fmt", ["npz", "json"])
def test_save_load_round_trip(tmp_path, fmt):
    varma = _varma(2, 2, 1, k=1, lags=2)
    rnnss.save(varma, tmp_path / f"m.{fmt}")
    back = rnnss.load(tmp_path / f"m.{fmt}")
    assert back == varma and back is not varma


def test_stationarity_and_invertibility_match_statsmodels_var_stability():
    """Reference: statsmodels VARProcess.is_stable (companion eigenvalues) and numpy polynomial roots."""
    for seed in range(6):
        g = np.random.default_rng(seed)
        A = g.standard_normal((2, 3, 3)) * 0.6
        M = g.standard_normal((1, 3, 3)) * 0.6
        varma = VARMA(ar=A, ma=M, sigma=np.eye(3))
        assert varma.is_stationary == VARProcess(A, None, np.eye(3)).is_stable()
        assert varma.is_invertible == VARProcess(-M, None, np.eye(3)).is_stable()
    # univariate: roots of 1 - 0.5 z - 0.4 z^2 are outside the unit circle iff stationary
    for a1, a2 in [(0.5, 0.4), (0.5, 0.6), (-1.2, -0.5)]:
        roots = np.roots([-a2, -a1, 1.0])
        assert VARMA(ar=[a1, a2], ma=[], sigma=1.0).is_stationary == bool(np.all(np.abs(roots) > 1))


def test_mean_closed_form():
    varma = _varma(2, 2, 1, k=1)
    x = np.array([0.7])
    mu = varma.mean(x)
    assert np.allclose(mu, varma.intercept + varma.ar[0] @ mu + varma.ar[1] @ mu + varma.exog[0] @ x, atol=1e-12)
    with pytest.raises(NumericalError, match="unit root"):
        VARMA(ar=[1.0], ma=[], sigma=1.0).mean()


# -- second-order structure ---------------------------------------------------------------------------------


def test_univariate_autocovariances_match_statsmodels_arma_acovf():
    """Reference: statsmodels arma_acovf (ar = [1, -phi], ma = [1, theta] sign conventions)."""
    varma = VARMA(ar=[0.6, -0.3], ma=[0.4, 0.2], sigma=1.7)
    ref = arma_acovf(np.array([1.0, -0.6, 0.3]), np.array([1.0, 0.4, 0.2]), nobs=12, sigma2=1.7)
    np.testing.assert_allclose(autocovariances(varma, 11)[:, 0, 0], ref, rtol=1e-12)


def test_var_autocovariances_match_statsmodels_var_process():
    """Reference: statsmodels VARProcess.acf (Cov(y_t, y_{t-k}), the same convention)."""
    varma = _varma(3, 2, 0, seed=4)
    ref = VARProcess(np.array(varma.ar), None, varma.sigma).acf(6)
    np.testing.assert_allclose(autocovariances(varma, 6), ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p, q", [(1, 2), (2, 1), (0, 3)])
def test_varma_autocovariances_match_psi_weight_sums(p, q):
    """Reference: brute-force sum of psi weights, Gamma(k) = sum_j Psi_{j+k} Sigma Psi_j^T."""
    varma = _varma(2, p, q, seed=p + 3 * q, radius=0.7)
    np.testing.assert_allclose(autocovariances(varma, 5), _psi_autocov(varma, 5), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("p, q", [(2, 1), (1, 0), (0, 2)])
def test_psi_weights_match_statsmodels_impulse_responses(p, q):
    """Reference: statsmodels VARMAX.impulse_responses(orthogonalized=False), one impulse at a time."""
    varma = _varma(2, p, q, seed=10 + p + q)
    mod = _varmax(varma, np.zeros((20, 2)))
    params = to_statsmodels_params(varma)
    psi = innovation_responses(varma, 9)
    for j in range(2):
        ref = mod.impulse_responses(params, steps=8, impulse=j, orthogonalized=False)
        np.testing.assert_allclose(psi[:, :, j], ref, rtol=1e-12, atol=1e-14)


# -- likelihood and simulation -----------------------------------------------------------------------------


@pytest.mark.parametrize("p, q", [(1, 1), (2, 0), (0, 2)])
def test_loglik_matches_dense_gaussian_with_missing_values(p, q):
    """Reference: the joint Gaussian density of the stacked series (block-Toeplitz covariance)."""
    varma = _varma(2, p, q, seed=20 + p)
    y = simulate(varma, 25, rng=1).y.copy()
    y[3] = np.nan
    y[7, 1] = np.nan
    assert varma_loglik(varma, y) == pytest.approx(_dense_loglik(varma, y), rel=1e-10)


def test_loglik_with_distributed_lag_inputs_matches_dense_gaussian():
    """Reference: dense Gaussian whose mean is the noiseless response to x (zero pre-sample input)."""
    varma = _varma(2, 1, 1, k=2, lags=3, seed=3)
    x = np.random.default_rng(2).standard_normal((20, 2))
    y = simulate(varma, x=x, rng=3).y
    assert varma_loglik(varma, y, x) == pytest.approx(_dense_loglik(varma, y, x), rel=1e-10)


@pytest.mark.parametrize("p, q, trend", [(1, 0, "c"), (2, 1, "c"), (0, 2, "n"), (1, 1, "n")])
def test_loglik_matches_statsmodels_varmax(p, q, trend):
    """Reference: statsmodels VARMAX.loglike with the same parameters (stationary initialisation)."""
    varma = _varma(3, p, q, seed=30 + p + q)
    if trend == "n":
        varma = VARMA(ar=varma.ar, ma=varma.ma, sigma=varma.sigma)
    y = simulate(varma, 120, rng=5).y.copy()
    y[10, 2] = np.nan
    mod = _varmax(varma, y, trend=trend)
    ref = mod.loglike(to_statsmodels_params(varma, trend=trend))
    assert abs(varma_loglik(varma, y) - ref) <= 1e-8 * abs(ref)


def test_loglik_with_exog_matches_statsmodels_given_its_initial_input():
    """Reference: statsmodels VARMAX with exog. statsmodels centres the first state at the stationary mean
    under x_2; with x_1 = x_2 and x0 = x_1 both initialisations coincide."""
    varma = _varma(2, 1, 1, k=2, seed=7)
    x = np.random.default_rng(3).standard_normal((80, 2))
    x[1] = x[0]
    y = simulate(varma_to_rnn(varma, x0=x[0]), x=x, rng=4).y
    ref = _varmax(varma, y, x).loglike(to_statsmodels_params(varma))
    assert abs(varma_loglik(varma, y, x, x0=x[0]) - ref) <= 1e-8 * abs(ref)


def test_simulation_starts_stationary_and_has_the_exact_autocovariances():
    """Reference: the exact autocovariances, against the sample moments of many simulated paths."""
    varma = _varma(2, 1, 1, seed=8)
    y = simulate(varma, 3, batch=40000, rng=9).y
    mu = varma.mean()
    gam = autocovariances(varma, 2)
    centered = y - mu
    np.testing.assert_allclose(centered[:, 0].mean(axis=0), 0, atol=0.03)
    np.testing.assert_allclose(
        np.einsum("bi,bj->ij", centered[:, 0], centered[:, 0]) / len(y), gam[0], rtol=0.05, atol=0.03
    )
    np.testing.assert_allclose(np.einsum("bi,bj->ij", centered[:, 2], centered[:, 0]) / len(y), gam[2], atol=0.03)
    assert np.array_equal(simulate(varma, 3, rng=1).y, simulate(varma, 3, rng=1).y)


# -- VARMA <-> linear RNN ---------------------------------------------------------------------------------------


def test_observer_form_closed_form():
    rnn = varma_to_rnn(VARMA(ar=[0.5, 0.2], ma=[0.4], sigma=2.0, intercept=[1.0], exog=[[3.0]]))
    np.testing.assert_array_equal(rnn.W, [[0.5, 1.0], [0.2, 0.0]])
    np.testing.assert_allclose(rnn.Q, 2.0 * np.array([[1.0, 0.4], [0.4, 0.16]]), rtol=1e-15)
    np.testing.assert_array_equal(rnn.U, [[3.0], [0.0]])
    np.testing.assert_array_equal(rnn.b, [1.0, 0.0])
    assert not np.any(rnn.R)
    np.testing.assert_allclose(rnn.P0, rnnss.stationary_covariance(rnn))


@pytest.mark.parametrize("p, q, k, lags", [(2, 1, 0, 1), (1, 2, 1, 3), (0, 1, 2, 1), (3, 0, 0, 1)])
def test_round_trip_varma_rnn_varma_is_exact(p, q, k, lags):
    """varma -> rnn -> varma (final-equation form): same psi weights, autocovariances and input responses."""
    varma = _varma(2, p, q, k=k, lags=lags, seed=40 + p + q + k)
    back = rnn_to_varma(varma_to_rnn(varma))
    np.testing.assert_allclose(innovation_responses(back, 15), innovation_responses(varma, 15), atol=1e-11)
    np.testing.assert_allclose(autocovariances(back, 6), autocovariances(varma, 6), rtol=1e-10, atol=1e-11)
    np.testing.assert_allclose(back.sigma, varma.sigma, atol=1e-11)
    np.testing.assert_allclose(back.mean(), varma.mean(), atol=1e-10)
    if k:
        np.testing.assert_allclose(
            rnnss.impulse_response(varma_to_rnn(back), 12), rnnss.impulse_response(varma_to_rnn(varma), 12), atol=1e-11
        )


def test_var1_elimination_for_square_noiseless_readout():
    """Closed form (the seeds' elimination of h): y_t = V W V^{-1} y_{t-1} + (I - A) d + V b + V U x_t + V eta_t."""
    rnn = rnnss.random_rnn(3, 3, 1, noise=True, bias=True, rng=2)
    rnn = LinearRNN(W=rnn.W, U=rnn.U, b=rnn.b, V=rnn.V, d=rnn.d, Q=rnn.Q)  # R = 0
    var = rnn_to_varma(rnn)
    assert (var.p, var.q) == (1, 0)
    A = rnn.V @ rnn.W @ np.linalg.inv(rnn.V)
    np.testing.assert_allclose(var.ar[0], A, rtol=1e-12)
    np.testing.assert_allclose(var.sigma, rnn.V @ rnn.Q @ rnn.V.T, rtol=1e-12)
    x = np.random.default_rng(1).standard_normal((30, 1))
    y = rnnss.simulate(rnn, x=x, noise=False).y
    resid = y[1:] - y[:-1] @ var.ar[0].T - var.intercept - x[1:] @ var.exog[0].T
    np.testing.assert_allclose(resid, 0, atol=1e-12)


RNNS = {
    "m<n": lambda: rnnss.random_rnn(4, 2, 0, bias=True, rng=11),
    "m>n": lambda: rnnss.random_rnn(2, 3, 0, bias=True, rng=12),
    "m=n, R>0": lambda: rnnss.random_rnn(3, 3, 0, rng=13),
    "inputs": lambda: rnnss.random_rnn(3, 2, 2, bias=True, rng=14),
    "R=0, m<n": lambda: LinearRNN(W=[[0.6, 0.3], [-0.2, 0.5]], V=[[1.0, 0.5]], Q=np.eye(2)),
}


@pytest.mark.parametrize("name", RNNS)
def test_rnn_to_varma_same_distribution_three_ways(name):
    """Three independent checks: autocovariances, psi weights (Kalman innovations), and log-likelihood."""
    rnn = rnnss.with_stationary_prior(RNNS[name]())
    varma = rnn_to_varma(rnn)
    assert varma.p <= rnn.n_hidden and varma.q <= rnn.n_hidden and varma.is_invertible
    np.testing.assert_allclose(autocovariances(varma, 6), autocovariances(rnn, 6), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(innovation_responses(varma, 12), innovation_responses(rnn, 12), atol=1e-10)
    np.testing.assert_allclose(varma.sigma, rnnss.steady_state(rnn).innovation_cov if np.any(rnn.R) else varma.sigma)
    g = np.random.default_rng(1)
    x = g.standard_normal((150, rnn.n_inputs)) if rnn.n_inputs else None
    y = rnnss.simulate(rnn, 150, x, rng=g).y.copy()
    y[5] = np.nan
    ll_rnn = rnnss.kalman_filter(rnn, y, x).loglik  # the RNN with its stationary prior
    assert varma_loglik(varma, y, x) == pytest.approx(ll_rnn, rel=1e-9)
    if rnn.n_inputs:
        np.testing.assert_allclose(
            rnnss.impulse_response(varma_to_rnn(varma), 10), rnnss.impulse_response(rnn, 10), atol=1e-10
        )


def test_rnn_psi_weights_are_the_kalman_innovation_responses():
    """Closed form: AR(1) plus noise is ARMA(1, 1); its psi weights are phi^(k-1) (phi + theta)."""
    rnn = LinearRNN(W=0.9, Q=1.0, R=1.0)
    varma = rnn_to_varma(rnn)
    phi, theta = 0.9, varma.ma[0][0, 0]
    # lag-one autocorrelation of the MA part: theta / (1 + theta^2) = -phi r / (q + r (1 + phi^2)), |theta| < 1
    rho1 = -phi / (1 + 1 + phi**2)
    assert theta == pytest.approx((1 - np.sqrt(1 - 4 * rho1**2)) / (2 * rho1), rel=1e-10)
    psi = innovation_responses(rnn, 6)[:, 0, 0]
    np.testing.assert_allclose(psi[1:], phi ** np.arange(5) * (phi + theta), rtol=1e-10)


def test_rnn_to_varma_errors():
    with pytest.raises(NumericalError, match="innovations form|innovation covariance"):
        rnn_to_varma(
            LinearRNN(W=[[0.5, 0.0], [0.0, 0.3]], V=[[1.0, 0.0], [1.0, 0.0]], Q=np.eye(2))
        )  # R = 0, V singular
    with pytest.raises(TypeError, match="rnnss.LinearRNN"):
        rnn_to_varma(VARMA(ar=[], ma=[], sigma=1.0))
    with pytest.raises(NotStableError):
        autocovariances(VARMA(ar=[1.1], ma=[], sigma=1.0), 3)
    with pytest.raises(NotStableError, match="stationary"):
        varma_loglik(VARMA(ar=[1.0], ma=[], sigma=1.0), [0.1, 0.2])
    with pytest.raises(TypeError, match="VARMA or rnnss.LinearRNN"):
        autocovariances("model", 3)
    unstable = varma_to_rnn(VARMA(ar=[1.0], ma=[], sigma=1.0))
    assert not np.any(unstable.P0) and not np.any(unstable.h0)


# -- statsmodels bridge ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("trend, k", [("c", 0), ("n", 0), ("c", 2)])
def test_statsmodels_round_trip(trend, k):
    varma = _varma(2, 2, 1, k=k, seed=50)
    if trend == "n":
        varma = VARMA(ar=varma.ar, ma=varma.ma, sigma=varma.sigma)
    y = np.zeros((10, 2))
    x = np.zeros((10, k)) if k else None
    mod = _varmax(varma, y, x, trend=trend)
    params = to_statsmodels_params(varma, trend=trend)
    assert params.shape == (mod.k_params,)
    back = from_statsmodels(mod, params)
    assert back.p == varma.p and back.q == varma.q
    for a, b in [
        (back.sigma, varma.sigma),
        (back.intercept, varma.intercept),
        *zip(back.ar, varma.ar, strict=True),
        *zip(back.ma, varma.ma, strict=True),
        *zip(back.exog, varma.exog, strict=True),
    ]:
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    res = mod.smooth(params)  # a results object without fitting
    assert from_statsmodels(res) == back


def test_from_statsmodels_diagonal_error_covariance():
    """statsmodels' error_cov_type='diagonal' stores the variances themselves (not a Cholesky factor)."""
    mod = _varmax(VARMA(ar=[0.5 * np.eye(2)], ma=[], sigma=np.eye(2)), np.zeros((10, 2)), error_cov_type="diagonal")
    params = np.array([0.1, 0.2, 0.5, 0.1, 0.0, 0.4, 2.0, 3.0])  # c, A_1 rows, sigma^2
    varma = from_statsmodels(mod, params)
    np.testing.assert_array_equal(varma.sigma, np.diag([2.0, 3.0]))
    np.testing.assert_array_equal(varma.ar[0], [[0.5, 0.1], [0.0, 0.4]])
    assert mod.loglike(params) == pytest.approx(varma_loglik(varma, np.zeros((10, 2))), rel=1e-10)


def test_statsmodels_bridge_errors():
    varma = _varma(2, 1, 0)
    with pytest.raises(ValueError, match="trend='n' drops the intercept"):
        to_statsmodels_params(varma, trend="n")
    with pytest.raises(ValueError, match="trend must be 'c' or 'n'"):
        to_statsmodels_params(varma, trend="ct")
    with pytest.raises(ValueError, match="exogenous lags up to 2"):
        to_statsmodels_params(_varma(2, 1, 0, k=1, lags=3))
    with pytest.raises(ValueError, match="positive definite"):
        to_statsmodels_params(VARMA(ar=[], ma=[0.2], sigma=0.0))
    y = np.zeros((10, 2))
    noisy = _varmax(varma, y, measurement_error=True)
    with pytest.raises(ValueError, match="measurement_error"):
        from_statsmodels(noisy, np.zeros(noisy.k_params))
    mod = _varmax(varma, y)
    with pytest.raises(TypeError, match="params is required"):
        from_statsmodels(mod)
    with pytest.raises(DimensionError, match=r"params must have shape \(9,\)"):
        from_statsmodels(mod, np.zeros(3))
    with pytest.raises(TypeError, match="statsmodels VARMAX"):
        from_statsmodels(object(), np.zeros(3))
