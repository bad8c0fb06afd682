"""Tests of rnnss.embedding: delay vectors by index, false nearest neighbours against a brute-force search and on the
Lorenz system (Kennel et al. 1992), state geometry against statsmodels' canonical correlations and OLS."""

import numpy as np
import pytest

import rnnss
from rnnss import DimensionError, compare_geometry, delay_embedding, false_nearest_neighbors


@pytest.fixture(scope="module")
def lorenz():
    """6000 samples of the Lorenz system at dt = 0.01 (60 time units) after a transient of 20."""
    return rnnss.simulate_flow(rnnss.Lorenz(), 6000, dt=0.01, discard=20.0, rng=0, rtol=1e-9, atol=1e-9)


# -- delay vectors ------------------------------------------------------------------------------------------


def test_delay_embedding_by_index(rng):
    y = rng.standard_normal((20, 2))
    E = delay_embedding(y, 3, lag=4)
    assert E.shape == (20 - 8, 6)
    for i in range(E.shape[0]):
        t = i + 8
        np.testing.assert_array_equal(E[i], np.r_[y[t], y[t - 4], y[t - 8]])
    np.testing.assert_array_equal(delay_embedding(y[:, 0], 1), y[:, :1])
    with pytest.raises(ValueError, match=r"y must be longer than \(dim - 1\) lag = 8 samples; got T = 8"):
        delay_embedding(y[:8], 3, lag=4)
    with pytest.raises(ValueError, match="dim must be an integer >= 1"):
        delay_embedding(y, 0)
    with pytest.raises(DimensionError, match=r"y must have shape \(T,\) or \(T, m\)"):
        delay_embedding(np.zeros((3, 2, 2)), 2)
    with pytest.raises(ValueError, match="y must be finite"):
        delay_embedding([0.0, np.nan, 1.0], 2)


# -- false nearest neighbours ------------------------------------------------------------------------------


def brute_force_fnn(y, d, lag, rtol, atol, theiler):
    """Kennel's test by exhaustive search: all pairwise distances, forward-in-time added coordinate."""
    T = y.size
    N = T - d * lag
    base = np.column_stack([y[d * lag - j * lag : T - j * lag] for j in range(1, d + 1)])  # ends at t - lag
    extra = y[d * lag :]
    D = np.linalg.norm(base[:, None] - base[None], axis=2)
    idx = np.arange(N)
    D[np.abs(idx[:, None] - idx[None]) <= theiler] = np.inf
    j = np.argmin(D, axis=1)
    R = D[idx, j]
    gap = np.abs(extra - extra[j])
    return np.mean((gap > rtol * R) | (np.sqrt(R**2 + gap**2) > atol * y.std()))


@pytest.mark.parametrize("theiler", [0, 3])
def test_fnn_against_brute_force(theiler, rng):
    """A noisy sine: the k-d tree search with a Theiler window gives the exhaustive-search fractions exactly."""
    t = np.arange(500) * 0.13
    y = np.sin(t) + 0.3 * np.sin(2.7 * t) + 0.05 * rng.standard_normal(500)
    fnn = false_nearest_neighbors(y, dims=[1, 2, 3, 4], lag=3, theiler=theiler)
    ref = [brute_force_fnn(y, d, 3, 15.0, 2.0, theiler) for d in (1, 2, 3, 4)]
    np.testing.assert_allclose(fnn.fraction, ref, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(fnn.n_points, [500 - d * 3 for d in (1, 2, 3, 4)])


def test_fnn_lorenz_x_drops_below_one_percent_at_dimension_three(lorenz):
    """The issue's claim (Kennel et al. 1992, Fig. 2): the Lorenz x series needs 3 delays. Above 1% at d = 2,
    below 1% at d = 3, for lags of 0.1 and 0.17 time units (the latter the first minimum of mutual information)."""
    x = lorenz[:, 0]
    for lag in (10, 17):
        fnn = false_nearest_neighbors(x, dims=[1, 2, 3, 4], lag=lag)
        assert fnn.fraction[0] > 0.9 and fnn.fraction[1] > 0.01
        assert fnn.fraction[2] < 0.01 and fnn.fraction[3] < 0.01
        assert fnn.embedding_dimension() == 3
    assert "embedding dimension 3" in repr(fnn)


def test_fnn_of_noise_never_settles_and_of_a_circle_at_two(rng):
    """White noise has no low-dimensional attractor: nearest neighbours stay far apart (Kennel's criterion 2);
    a sine is a closed curve, unfolded by 2 delays."""
    noise = false_nearest_neighbors(rng.standard_normal(3000), dims=[1, 2, 3, 4, 5])
    assert np.all(noise.fraction > 0.1) and noise.embedding_dimension() is None
    sine = false_nearest_neighbors(np.sin(0.05 * np.arange(2000)), dims=[1, 2, 3], lag=10)
    assert sine.embedding_dimension() == 2 and sine.fraction[1] == 0.0


def test_fnn_subsampling_and_errors(lorenz, rng):
    x = lorenz[:, 0]
    sub = false_nearest_neighbors(x, dims=[2, 3], lag=10, max_points=800, rng=1)
    assert np.all(sub.n_points == 800) and sub.fraction[1] < 0.01
    same = false_nearest_neighbors(x, dims=[2, 3], lag=10, max_points=800, rng=1)
    np.testing.assert_array_equal(sub.fraction, same.fraction)
    with pytest.raises(ValueError, match="y is constant"):
        false_nearest_neighbors(np.ones(100))
    with pytest.raises(ValueError, match="y is too short"):
        false_nearest_neighbors(x[:30], dims=[5], lag=10)
    with pytest.raises(DimensionError, match="dims must be a non-empty sequence of integers >= 1"):
        false_nearest_neighbors(x, dims=[0, 1])
    with pytest.raises(DimensionError, match="dims must be"):
        false_nearest_neighbors(x, dims=[1.5])
    with pytest.raises(ValueError, match="rtol must be > 0"):
        false_nearest_neighbors(x, rtol=0.0)


# -- state geometry against the delay reconstruction ------------------------------------------------------


def test_geometry_of_a_delay_vector_is_exact(rng):
    """States that are an invertible linear map of the delay vector: all canonical correlations and R^2 are 1."""
    y = rng.standard_normal(300)
    E = delay_embedding(y, 3, lag=2)
    states = np.full((300, 3), np.nan)
    states[4:] = E @ rng.standard_normal((3, 3)) + 1.0
    states[:4] = 0.0  # the rows before the first delay vector are not compared
    g = compare_geometry(states, y, dim=3, lag=2)
    np.testing.assert_allclose(g.canonical_correlations, 1.0, atol=1e-12)
    np.testing.assert_allclose(g.r2_delays_from_states, 1.0, atol=1e-12)
    np.testing.assert_allclose(g.r2_states_from_delays, 1.0, atol=1e-12)
    assert g.n_samples == 296 and "canonical correlations" in repr(g)


def test_geometry_against_statsmodels(lorenz):
    """Canonical correlations against statsmodels' CanCorr, R^2 against statsmodels' OLS, on the Lorenz state and the
    delays of x."""
    from statsmodels.multivariate.cancorr import CanCorr
    from statsmodels.regression.linear_model import OLS

    y, x = lorenz[::5], lorenz[::5, 0]
    g = compare_geometry(y, x, dim=3, lag=2)
    E, H = delay_embedding(x, 3, 2), y[4:]
    np.testing.assert_allclose(g.canonical_correlations, np.sort(CanCorr(H, E).cancorr)[::-1], rtol=1e-8, atol=1e-10)
    for j in range(3):
        ols = OLS(H[:, j], np.column_stack([np.ones(len(E)), E])).fit()
        assert g.r2_states_from_delays[j] == pytest.approx(ols.rsquared, rel=1e-9, abs=1e-12)
        ols = OLS(E[:, j], np.column_stack([np.ones(len(H)), H])).fit()
        assert g.r2_delays_from_states[j] == pytest.approx(ols.rsquared, rel=1e-9)


def test_lorenz_z_is_a_curved_function_of_the_delays(lorenz):
    """Takens: the true state (x, y, z) is a smooth function of the delay vector of x. x and y are (nearly) linear in
    it; z is even under (x, y, z) -> (-x, -y, z) while the delays are odd, so its linear R^2 is ~0 and a quadratic
    regression recovers it."""
    y, x = lorenz[::5], lorenz[::5, 0]
    lin = compare_geometry(y, x, dim=3, lag=2)
    quad = compare_geometry(y, x, dim=3, lag=2, degree=2)
    assert lin.r2_states_from_delays[0] == pytest.approx(1.0, abs=1e-12)
    assert lin.r2_states_from_delays[1] > 0.95 and lin.r2_states_from_delays[2] < 0.01
    assert quad.r2_states_from_delays[2] > 0.9 and quad.degree == 2
    np.testing.assert_array_equal(quad.canonical_correlations, lin.canonical_correlations)


def test_fitted_linear_rnn_states_are_a_linear_delay_reconstruction(lorenz):
    """A 3-unit linear RNN fitted to the Lorenz x series (subspace estimate): its Kalman-filtered states and the
    3-delay vectors determine each other linearly (all canonical correlations above 0.95)."""
    x = lorenz[::5, 0]
    fit = rnnss.fit_linear_rnn(x, 3, method="subspace", standard_errors=False)
    states = rnnss.kalman_filter(fit.rnn, x).filtered_means
    g = compare_geometry(states, x, dim=3, lag=1)
    assert np.all(g.canonical_correlations > 0.95)
    assert np.all(g.r2_delays_from_states > 0.95)


def test_geometry_errors(rng):
    y = rng.standard_normal(50)
    with pytest.raises(DimensionError, match=r"states must have shape \(50, S\)"):
        compare_geometry(np.zeros((49, 2)), y, dim=2)
    with pytest.raises(ValueError, match="states is constant over the aligned samples"):
        compare_geometry(np.ones((50, 2)), y, dim=2)
    with pytest.raises(ValueError, match="degree 3 needs more than"):
        compare_geometry(rng.standard_normal((50, 8)), y, dim=2, degree=3)
    with pytest.raises(ValueError, match="states must be finite"):
        compare_geometry(np.full((50, 1), np.nan), y, dim=2)
