"""Tests of rnnss.fit: the exact score, maximum-likelihood fits of linear RNNs and VARMA-equivalent RNNs."""

import dataclasses
import warnings

import control
import numpy as np
import pytest

import rnnss
from rnnss import (
    VARMA,
    DimensionError,
    LinearRNN,
    NotStableError,
    StructureError,
    autocovariances,
    canonical_form,
    fit_linear_rnn,
    fit_varma_rnn,
    innovation_responses,
    loglik_gradient,
    simulate,
    to_statsmodels_params,
    varma_to_rnn,
)
from rnnss._engine import AVAILABLE as _NUMBA


@pytest.fixture(scope="module")
def macro():
    """statsmodels' bundled US macro data: quarterly growth rates (100 x log-differences) of real GDP,
    consumption and investment, 1959Q2-2009Q3 (202 x 3)."""
    import statsmodels.api as sm

    d = sm.datasets.macrodata.load_pandas().data
    return 100 * np.diff(np.log(d[["realgdp", "realcons", "realinv"]].to_numpy()), axis=0)


def _varmax(y, order, **kw):
    from statsmodels.tsa.statespace.varmax import VARMAX

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # VARMAX warns that VARMA(p, q > 0) is not generically identified
        return VARMAX(y, order=order, trend="c", **kw)


def _fd_gradient(rnn, y, x, init):
    """Brute force: central differences of rnnss.kalman_filter's log-likelihood, entry by entry
    (symmetric matrices perturbed symmetrically)."""
    out = {}
    for name in ("W", "U", "b", "V", "d", "Q", "R", "h0", "P0"):
        M = getattr(rnn, name)
        fd = np.zeros(M.shape)
        for idx in np.ndindex(M.shape):
            E = np.zeros(M.shape)
            E[idx] = 1.0
            if name in ("Q", "R", "P0"):
                E[idx[::-1]] = 1.0
            ll = [
                rnnss.kalman_filter(
                    dataclasses.replace(rnn, **{name: M + s * 1e-6 * E}), y, x, initialization=init, steady_tol=None
                ).loglik
                for s in (1, -1)
            ]
            fd[idx] = (ll[0] - ll[1]) / 2e-6
        out[name] = fd
    return out


# -- the exact score ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("init", ["prior", "stationary"])
def test_loglik_gradient_matches_finite_differences_with_missing_entries(init):
    """Reference: central finite differences of the Kalman log-likelihood (inputs, biases, NaN rows and entries)."""
    rnn = rnnss.random_rnn(3, 2, 2, bias=True, rng=3)
    g = np.random.default_rng(1)
    x = g.standard_normal((40, 2))
    y = rnnss.simulate(rnn, 40, x, rng=2).y.copy()
    y[3], y[10, 1], y[25, 0] = np.nan, np.nan, np.nan
    grad = loglik_gradient(rnn, y, x, initialization=init)
    assert grad.loglik == pytest.approx(rnnss.kalman_filter(rnn, y, x, initialization=init).loglik, rel=1e-12)
    fd = _fd_gradient(rnn, y, x, init)
    for name, ref in fd.items():
        ours = getattr(grad, name)
        if ours is None:
            assert init == "stationary" and name in ("h0", "P0")
            continue
        if name in ("Q", "R", "P0"):  # d/dM_ij for a symmetric perturbation of (i, j) and (j, i)
            ours = 2 * ours - np.diag(np.diag(ours))
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6 * max(1.0, np.max(np.abs(ref))), err_msg=name)


def test_loglik_gradient_with_singular_noise_of_a_varma_realisation():
    """Reference: finite differences; R = 0 and rank-one Q (where Fisher's-identity scores do not exist)."""
    rnn = varma_to_rnn(VARMA(ar=[0.5, -0.2], ma=[0.4], sigma=1.3, intercept=[0.2]))
    y = simulate(VARMA(ar=[0.5, -0.2], ma=[0.4], sigma=1.3), 50, rng=0).y
    grad = loglik_gradient(rnn, y)
    E = np.zeros((2, 2))
    E[1, 0] = 1e-6
    ll = [rnnss.kalman_filter(dataclasses.replace(rnn, W=rnn.W + s * E), y).loglik for s in (1, -1)]
    assert grad.W[1, 0] == pytest.approx((ll[0] - ll[1]) / 2e-6, rel=1e-6)


def test_steady_state_freeze_and_engines_agree():
    """The steady-state freeze changes the gradient only at rounding level; NumPy and numba run one algorithm."""
    rnn = rnnss.random_rnn(4, 2, 1, bias=True, rng=5)
    x = np.random.default_rng(0).standard_normal((300, 1))
    y = rnnss.simulate(rnn, 300, x, rng=1).y
    full = loglik_gradient(rnn, y, x, steady_tol=None, engine="numpy")
    for engine in ("numpy", "numba") if _NUMBA else ("numpy",):
        fast = loglik_gradient(rnn, y, x, engine=engine)
        assert fast.loglik == pytest.approx(full.loglik, rel=1e-13)
        for name in ("W", "U", "b", "V", "d", "Q", "R", "h0", "P0"):
            np.testing.assert_allclose(getattr(fast, name), getattr(full, name), rtol=1e-8, atol=1e-9, err_msg=name)


def test_loglik_gradient_errors():
    with pytest.raises(rnnss.NumericalError, match="step t = 1 is not positive definite"):
        loglik_gradient(LinearRNN(W=0.5), [0.1, 0.2])  # no noise anywhere: y_1 is known exactly
    with pytest.raises(ValueError, match="engine must be"):
        loglik_gradient(LinearRNN(W=0.5, R=1.0), [0.1], engine="fortran")
    with pytest.raises(ValueError, match="initialization must be"):
        loglik_gradient(LinearRNN(W=0.5, R=1.0), [0.1], initialization="diffuse")
    with pytest.raises(NotStableError):
        loglik_gradient(LinearRNN(W=1.5, Q=1.0, R=1.0), [0.1], initialization="stationary")
    with pytest.raises(DimensionError):
        loglik_gradient(LinearRNN(W=0.5, R=1.0), np.ones((4, 2)))


def test_loglik_gradient_batch_is_the_sum():
    rnn = rnnss.random_rnn(2, 1, 0, rng=1)
    y = rnnss.simulate(rnn, 20, batch=3, rng=2).y
    total = loglik_gradient(rnn, y)
    parts = [loglik_gradient(rnn, yb) for yb in y]
    assert total.loglik == pytest.approx(sum(p.loglik for p in parts), rel=1e-13)
    np.testing.assert_allclose(total.W, sum(p.W for p in parts), rtol=1e-12)


# -- fit_varma_rnn ----------------------------------------------------------------------------------------------


def test_varma_fit_beats_statsmodels_varmax_on_macrodata(macro):
    """Reference: statsmodels VARMAX(1, 1).fit() on the same data; both maximise the same exact likelihood,
    and statsmodels' loglike at the rnnss estimate reproduces the rnnss value."""
    fit = fit_varma_rnn(macro, 1, 1, standard_errors=False)
    mod = _varmax(macro, (1, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = mod.fit(disp=False)
    assert fit.loglik >= ref.llf - 1e-6
    assert fit.converged and fit.n_params == ref.params.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same = _varmax(macro, (1, 1), enforce_invertibility=False).loglike(to_statsmodels_params(fit.varma))
    assert abs(same - fit.loglik) <= 1e-8 * abs(fit.loglik)
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * ref.params.size)
    assert fit.bic == pytest.approx(-2 * fit.loglik + np.log(len(macro)) * ref.params.size)
    assert abs(rnnss.kalman_filter(fit.rnn, macro).loglik - fit.loglik) <= 1e-8 * abs(fit.loglik)


def test_var_fit_and_standard_errors_match_statsmodels(macro):
    """Reference: statsmodels VARMAX(1, 0) fit and its numerical-Hessian standard errors (cov_type='approx')."""
    fit = fit_varma_rnn(macro, 1, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _varmax(macro, (1, 0)).fit(disp=False, maxiter=1000, cov_type="approx")
    assert fit.loglik >= ref.llf - 1e-6
    np.testing.assert_allclose(to_statsmodels_params(fit.varma)[:12], ref.params[:12], rtol=1e-3, atol=1e-3)
    ours = np.concatenate([fit.std_errors["intercept"], fit.std_errors["ar"][0].ravel()])
    np.testing.assert_allclose(ours, ref.bse[:12], rtol=2e-3)


def test_arma_fit_matches_statsmodels_arima():
    """Reference: statsmodels ARIMA(1, 0, 1) exact-likelihood fit with numerical-Hessian standard errors."""
    from statsmodels.tsa.arima.model import ARIMA

    y = simulate(VARMA(ar=[0.7], ma=[-0.3], sigma=2.0, intercept=[0.5]), 400, rng=4).y[:, 0]
    fit = fit_varma_rnn(y, 1, 1)
    ref = ARIMA(y, order=(1, 0, 1), trend="c").fit(cov_type="approx")
    assert fit.loglik >= ref.llf - 1e-6
    np.testing.assert_allclose(
        [fit.varma.ar[0][0, 0], fit.varma.ma[0][0, 0], fit.varma.sigma[0, 0]], ref.params[1:], rtol=2e-3
    )
    np.testing.assert_allclose(fit.varma.mean(), ref.params[0], rtol=1e-3)
    np.testing.assert_allclose([fit.std_errors["ar"][0, 0, 0], fit.std_errors["ma"][0, 0, 0]], ref.bse[1:3], rtol=1e-2)


def test_white_noise_fit_is_the_sample_mean_and_covariance(macro):
    """Closed form: VARMA(0, 0) by ML is the sample mean and the (biased) sample covariance."""
    fit = fit_varma_rnn(macro, 0, 0)
    np.testing.assert_allclose(fit.varma.intercept, macro.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(fit.varma.sigma, np.cov(macro.T, bias=True), rtol=1e-4)
    assert fit.rnn.n_hidden == 3 and not np.any(fit.rnn.W)


def test_varma_fit_with_missing_values_and_inputs(macro):
    """Reference: statsmodels VARMAX(1, 0) on data with NaN; and the inputs' coefficients recover a known effect."""
    y = macro.copy()
    g = np.random.default_rng(0)
    y[g.random(y.shape) < 0.1] = np.nan
    fit = fit_varma_rnn(y, 1, 0, standard_errors=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _varmax(y, (1, 0)).fit(disp=False, maxiter=1000)
    assert fit.loglik >= ref.llf - 1e-6 and fit.n_obs == int(np.sum(~np.isnan(y)))
    truth = VARMA(ar=[[[0.5, 0.1], [0.0, 0.3]]], ma=[], sigma=np.eye(2), intercept=[1.0, -1.0], exog=[[2.0], [0.0]])
    x = g.standard_normal((600, 1))
    ys = simulate(truth, x=x, rng=1).y
    est = fit_varma_rnn(ys, 1, 0, x).varma
    np.testing.assert_allclose(est.exog[0], truth.exog[0], atol=0.1)
    np.testing.assert_allclose(est.ar[0], truth.ar[0], atol=0.1)


def test_varma_fit_errors(macro):
    with pytest.raises(ValueError, match="observed values but a VARMA"):
        fit_varma_rnn(macro[:5], 1, 1)
    with pytest.raises(ValueError, match="p must be an integer >= 0"):
        fit_varma_rnn(macro, -1, 0)
    with pytest.raises(TypeError, match="q must be an integer"):
        fit_varma_rnn(macro, 1, 0.5)
    with pytest.raises(ValueError, match="trend must be 'c'"):
        fit_varma_rnn(macro, 1, 0, trend="ct")
    with pytest.raises(NotStableError, match="start must be stationary"):
        fit_varma_rnn(macro, 1, 0, start=VARMA(ar=[np.eye(3)], ma=[], sigma=np.eye(3)))
    with pytest.raises(DimensionError, match="start must be a VARMA"):
        fit_varma_rnn(macro, 1, 1, start=VARMA(ar=[0.5 * np.eye(3)], ma=[], sigma=np.eye(3)))
    with pytest.raises(DimensionError, match="one sequence"):
        fit_varma_rnn(np.stack([macro, macro]), 1, 0)
    with pytest.raises(DimensionError, match=r"x must have shape \(202, k\)"):
        fit_varma_rnn(macro, 1, 0, np.ones((10, 1)))
    with pytest.raises(ValueError, match="hold no observed value"):
        fit_varma_rnn(np.column_stack([macro[:, 0], np.full(202, np.nan)]), 1, 0)


def test_varma_fit_from_start_and_progress(macro, capsys):
    start = VARMA(ar=[0.2 * np.eye(3)], ma=[], sigma=np.diag(macro.var(axis=0)), intercept=macro.mean(axis=0))
    fit = fit_varma_rnn(macro, 1, 0, start=start, standard_errors=False, progress=True)
    assert fit.converged and fit.loglik > fit.start_loglik
    assert "fit_varma_rnn VARMA(1,0)" in capsys.readouterr().err
    assert "loglik" in fit.summary() and "se(ar)" not in fit.summary()


# -- fit_linear_rnn ----------------------------------------------------------------------------------------------


TRUE = LinearRNN(
    W=[[0.8, 0.3], [-0.3, 0.7]],
    U=[[1.0], [0.5]],
    V=[[1.0, 0.0], [0.4, 1.0]],
    d=[0.5, -1.0],
    Q=np.diag([0.5, 0.3]),
    R=np.diag([0.3, 0.2]),
)


@pytest.fixture(scope="module")
def simulated():
    g = np.random.default_rng(5)
    x = g.standard_normal((3000, 1))
    y = rnnss.simulate(rnnss.with_stationary_prior(TRUE), x=x, rng=g).y
    return y, x


@pytest.mark.slow
def test_linear_rnn_fit_recovers_the_transfer_function_and_autocovariances(simulated):
    """Reference: the true model (closed-form autocovariances and Markov parameters), not its basis."""
    y, x = simulated
    fit = fit_linear_rnn(y, 2, x, standard_errors=False)
    ll_true = rnnss.kalman_filter(TRUE, y, x, initialization="stationary").loglik
    assert fit.converged and fit.loglik >= ll_true - 1e-6
    assert fit.loglik - ll_true < 20  # the ML gain over the truth is chi^2-sized (n_params / 2 on average)
    gam, ref = autocovariances(fit.rnn, 4), autocovariances(TRUE, 4)
    np.testing.assert_allclose(gam, ref, atol=0.08 * np.max(np.abs(ref)))
    np.testing.assert_allclose(rnnss.markov_parameters(fit.rnn, 6), rnnss.markov_parameters(TRUE, 6), atol=0.05)
    np.testing.assert_allclose(innovation_responses(fit.rnn, 6), innovation_responses(TRUE, 6), atol=0.08)
    np.testing.assert_allclose(canonical_form(fit.rnn).W, canonical_form(TRUE).W, atol=0.04)


def test_linear_rnn_fit_from_the_truth_with_missing_values(simulated):
    """Starting at the true parameters, the maximised likelihood is at least the truth's (NaN handled as missing)."""
    y, x = simulated
    y, x = y[:800].copy(), x[:800]
    y[np.random.default_rng(0).random(y.shape) < 0.1] = np.nan
    fit = fit_linear_rnn(y, 2, x, start=TRUE, standard_errors=False)
    ll_true = rnnss.kalman_filter(TRUE, y, x, initialization="stationary").loglik
    assert fit.loglik >= ll_true - 1e-6
    assert fit.loglik == pytest.approx(rnnss.kalman_filter(fit.rnn, y, x).loglik, rel=1e-12)
    assert fit.n_obs == int(np.sum(~np.isnan(y))) and fit.n_params == 3 + 4 + 3 + 2 + 2
    np.testing.assert_allclose(fit.rnn.P0, rnnss.stationary_covariance(fit.rnn), atol=1e-10)  # stationary prior


def test_linear_rnn_standard_errors_match_brute_force_hessian():
    """Reference: a direct finite-difference Hessian of the Kalman log-likelihood in the n = m = 1 canonical
    coordinates (phi, v, r, d) with Q = v^2 (balanced: reachability = observability Gramian)."""
    y = rnnss.simulate(rnnss.with_stationary_prior(LinearRNN(W=0.8, Q=1.0, R=0.5, d=[2.0])), 600, rng=2).y
    fit = fit_linear_rnn(y, 1)
    c = canonical_form(fit.rnn)
    theta = np.array([c.W[0, 0], c.V[0, 0], c.R[0, 0], c.d[0]])
    assert c.Q[0, 0] == pytest.approx(theta[1] ** 2, rel=1e-10)

    def ll(th):
        return rnnss.kalman_filter(
            LinearRNN(W=th[0], V=[[th[1]]], Q=th[1] ** 2, R=th[2], d=[th[3]]), y, initialization="stationary"
        ).loglik

    h = 1e-4
    H = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h, np.eye(4)[j] * h
            H[i, j] = (ll(theta + ei + ej) - ll(theta + ei - ej) - ll(theta - ei + ej) + ll(theta - ei - ej)) / (
                4 * h * h
            )
    se = np.sqrt(np.diag(np.linalg.inv(-H)))
    ours = [fit.std_errors[k][0, 0] for k in ("W", "V", "R")] + [fit.std_errors["d"][0]]
    np.testing.assert_allclose(ours, se, rtol=2e-3)
    assert fit.std_errors["Q"][0, 0] == pytest.approx(2 * theta[1] * se[1], rel=2e-3)


def test_linear_rnn_fit_options_and_notes(simulated):
    y, x = simulated
    sub = fit_linear_rnn(y[:500], 2, x[:500], method="subspace")
    assert sub.n_iter == 0 and sub.loglik == pytest.approx(sub.start_loglik, rel=1e-9) and sub.std_errors is None
    wide = fit_linear_rnn(y[:400, :1], 2, standard_errors=True, max_iter=200)
    assert wide.std_errors is None and "not identified" in wide.std_errors_note
    assert wide.rnn.spectral_radius < 1 and np.all(np.linalg.eigvalsh(wide.rnn.Q) > 0)


def test_linear_rnn_fit_errors(simulated):
    y, x = simulated
    with pytest.raises(ValueError, match="too short for a 3-state fit"):
        fit_linear_rnn(y[:12], 3)
    with pytest.raises(ValueError, match="observed values but a 3-state linear RNN"):
        fit_linear_rnn(y[:8], 3)
    with pytest.raises(ValueError, match="n_states must be an integer >= 1"):
        fit_linear_rnn(y, 0)
    with pytest.raises(ValueError, match="method must be 'mle' or 'subspace'"):
        fit_linear_rnn(y, 2, method="em")
    with pytest.raises(NotStableError, match="start must be stable"):
        fit_linear_rnn(y, 2, x, start=dataclasses.replace(TRUE, W=[[1.1, 0.0], [0.0, 0.5]]))
    with pytest.raises(DimensionError, match="start must have n = 3 hidden units"):
        fit_linear_rnn(y, 3, x, start=TRUE)
    with pytest.raises(ValueError, match="stationary state covariance is singular"):
        fit_linear_rnn(y, 2, x, start=dataclasses.replace(TRUE, Q=np.diag([1.0, 0.0]), W=np.diag([0.5, 0.4])))
    with pytest.raises(ValueError, match="y must be finite"):
        fit_linear_rnn(np.full((100, 2), np.inf), 1)


# -- canonical form -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_similar_models_have_the_same_canonical_form(seed):
    """Two similarity-transformed copies map to one canonical form (brute force: a random transform T)."""
    rnn = rnnss.random_rnn(3, 2, 1, bias=True, rng=seed)
    T = np.random.default_rng(seed + 100).standard_normal((3, 3)) + 2 * np.eye(3)
    Ti = np.linalg.inv(T)
    other = LinearRNN(
        W=T @ rnn.W @ Ti,
        U=T @ rnn.U,
        b=T @ rnn.b,
        V=rnn.V @ Ti,
        d=rnn.d,
        Q=T @ rnn.Q @ T.T,
        R=rnn.R,
        h0=T @ rnn.h0,
        P0=T @ rnn.P0 @ T.T,
    )
    a, b = canonical_form(rnn), canonical_form(other)
    for name in ("W", "U", "b", "V", "Q", "h0", "P0"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=1e-9, err_msg=name)


def test_canonical_form_is_balanced_with_python_control_gramians():
    """Reference: python-control (slycot) Gramians of (W, [Q^1/2, U], V): Hankel singular values sqrt(eig(Wc Wo))."""
    rnn = rnnss.random_rnn(4, 2, 1, rng=9)
    c = canonical_form(rnn)
    B = np.hstack([np.linalg.cholesky(c.Q), c.U])
    P = rnnss.stationary_covariance(LinearRNN(W=c.W, Q=B @ B.T))
    G = rnnss.stationary_covariance(LinearRNN(W=c.W.T, Q=c.V.T @ c.V))
    sys = control.ss(rnn.W, np.hstack([np.linalg.cholesky(rnn.Q), rnn.U]), rnn.V, 0, dt=1)
    hsv = np.sort(np.sqrt(np.linalg.eigvals(control.gram(sys, "c") @ control.gram(sys, "o")).real))[::-1]
    np.testing.assert_allclose(np.diag(P), hsv, rtol=1e-8)
    np.testing.assert_allclose(P, np.diag(hsv), atol=1e-9)
    np.testing.assert_allclose(G, np.diag(hsv), atol=1e-9)
    np.testing.assert_allclose(rnnss.markov_parameters(c, 5), rnnss.markov_parameters(rnn, 5), atol=1e-10)


def test_canonical_form_errors():
    with pytest.raises(NotStableError):
        canonical_form(LinearRNN(W=1.2, Q=1.0))
    with pytest.raises(StructureError, match="not minimal.*observability"):
        canonical_form(LinearRNN(W=np.diag([0.5, 0.3]), V=[[1.0, 0.0]], Q=np.eye(2)))
    with pytest.raises(StructureError, match="not minimal.*reachability"):
        canonical_form(LinearRNN(W=np.diag([0.5, 0.3]), Q=np.diag([1.0, 0.0])))
    with pytest.raises(TypeError, match="rnnss.LinearRNN"):
        canonical_form(VARMA(ar=[], ma=[], sigma=1.0))
