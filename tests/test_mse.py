"""Tests of rnnss.mse: smoother/filter MSE ratios, analytic (closed form, Riccati) and Monte Carlo."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnss
from rnnss import LinearRNN


@pytest.mark.parametrize(
    "a, q, r, c",
    [
        (0.9, 1.0, 1.0, 1.0),
        (0.5, 0.1, 2.0, 1.0),
        (0.99, 0.01, 1.0, 1.0),
        (-0.7, 2.0, 0.3, 0.5),
        (1.05, 1.0, 1.0, 1.0),
        (0.0, 1.0, 1.0, 2.0),
    ],
)
def test_ar1_closed_form_matches_riccati(a, q, r, c):
    """Closed form (scalar quadratic) against the DARE + Stein solution of steady_state."""
    closed = rnnss.ar1_mse_ratio(a, q, r, c)
    num = rnnss.mse_ratio(LinearRNN(W=a, V=[[c]], Q=q, R=r))
    assert closed.total == pytest.approx(num.total, rel=1e-12)
    assert closed.filter_mse == pytest.approx(num.filter_mse, rel=1e-12)
    assert closed.smoother_mse == pytest.approx(num.smoother_mse, rel=1e-12)
    assert closed.predictor_mse == pytest.approx(num.predictor_mse, rel=1e-12)
    assert float(closed) == closed.total <= 1.0


def test_ar1_limits():
    """No information (r -> inf) and no dynamics (a = 0): smoothing cannot help, the ratio is 1."""
    assert rnnss.ar1_mse_ratio(0.9, 1.0, 1e12).total == pytest.approx(1.0, abs=1e-9)
    assert rnnss.ar1_mse_ratio(0.0, 1.0, 1.0).total == pytest.approx(1.0, abs=1e-14)
    # A slower process gains more from the future at the same noise levels.
    assert rnnss.ar1_mse_ratio(0.99, 1.0, 1.0).total < rnnss.ar1_mse_ratio(0.5, 1.0, 1.0).total


def test_ar1_bad_input():
    with pytest.raises(ValueError, match="q must be > 0"):
        rnnss.ar1_mse_ratio(0.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="r must be > 0"):
        rnnss.ar1_mse_ratio(0.5, 1.0, -1.0)
    with pytest.raises(ValueError, match="c must be non-zero"):
        rnnss.ar1_mse_ratio(0.5, 1.0, 1.0, 0.0)
    with pytest.raises(TypeError, match="a must be a real number"):
        rnnss.ar1_mse_ratio("0.5", 1.0, 1.0)


def test_per_unit_ratios(demo_rnn):
    res = rnnss.mse_ratio(demo_rnn)
    ss = rnnss.steady_state(demo_rnn)
    np.testing.assert_allclose(res.per_unit, np.diag(ss.smoothed_cov) / np.diag(ss.filtered_cov), rtol=1e-14)
    assert res.total == pytest.approx(np.trace(ss.smoothed_cov) / np.trace(ss.filtered_cov), rel=1e-14)
    assert np.all(res.per_unit <= 1) and "per unit" in repr(res)


@settings(max_examples=20)
@given(n=st.integers(1, 5), m=st.integers(1, 3), seed=st.integers(0, 2**31 - 1), radius=st.floats(0.0, 0.99))
def test_property_ratio_at_most_one(n, m, seed, radius):
    """The seeds' claim: the bidirectional (smoother) MSE never exceeds the causal (filter) MSE."""
    res = rnnss.mse_ratio(rnnss.random_rnn(n, m, radius=radius, rng=seed))
    assert res.total <= 1 + 1e-12
    assert np.all(res.per_unit <= 1 + 1e-12)
    assert res.smoother_mse <= res.filter_mse <= res.predictor_mse + 1e-12


@pytest.mark.parametrize("model", ["scalar", "demo"])
def test_monte_carlo_agrees_with_analytic(model, demo_rnn):
    """Monte Carlo (fixed seed): the analytic ratio lies in the 95% CI; the MSEs match their exact expectations."""
    rnn = LinearRNN(W=0.9, Q=1.0, R=1.0, P0=1.0) if model == "scalar" else demo_rnn
    mc = rnnss.mse_ratio_mc(rnn, steps=600, n_runs=150, rng=123)
    assert mc.contains_analytic, mc
    assert abs(mc.filter_mse - mc.expected_filter_mse) < 4 * mc.filter_mse_se
    assert abs(mc.smoother_mse - mc.expected_smoother_mse) < 4 * mc.smoother_mse_se
    # The window excludes both ends, so the exact expectations are the steady-state values.
    assert mc.expected_filter_mse == pytest.approx(mc.analytic.filter_mse, rel=1e-6)
    assert mc.ci[0] < mc.ratio < mc.ci[1] and "CI" in repr(mc)


def test_monte_carlo_ci_coverage_is_honest():
    """The 95% interval covers the truth in about 95% of independent repetitions (binomial check)."""
    rnn = LinearRNN(W=0.8, Q=1.0, R=0.5)
    hits = sum(rnnss.mse_ratio_mc(rnn, steps=200, n_runs=40, rng=seed).contains_analytic for seed in range(60))
    assert 50 <= hits <= 60  # P(hits < 50 | p = 0.95) < 0.3%


def test_monte_carlo_with_inputs_and_bias_ignores_them(small_rnn):
    mc = rnnss.mse_ratio_mc(small_rnn, steps=300, n_runs=40, rng=0)
    assert mc.contains_analytic and mc.window[0] >= 1


def test_monte_carlo_bad_input():
    rnn = LinearRNN(W=0.9, Q=1.0, R=1.0)
    with pytest.raises(ValueError, match="steps must exceed 2 \\* burn_in"):
        rnnss.mse_ratio_mc(rnn, steps=10, n_runs=5, burn_in=5)
    with pytest.raises(ValueError, match="n_runs must be an integer >= 2"):
        rnnss.mse_ratio_mc(rnn, steps=100, n_runs=1)
    with pytest.raises(ValueError, match="confidence must be in"):
        rnnss.mse_ratio_mc(rnn, steps=100, n_runs=5, confidence=1.5)


def test_sweep_shapes_and_closed_form():
    """For the default scalar model the sweep equals the AR(1) closed form at every grid point."""
    s, rad = np.array([0.1, 1.0, 10.0]), np.array([0.0, 0.5, 0.9])
    sweep = rnnss.mse_ratio_sweep(noise_ratio=s, radius=rad)
    assert sweep.ratio.shape == (3, 3) and "MSESweep" in repr(sweep)
    for i, si in enumerate(s):
        for j, a in enumerate(rad):
            assert sweep.ratio[i, j] == pytest.approx(rnnss.ar1_mse_ratio(a, si, 1.0).total, rel=1e-10)
    np.testing.assert_allclose(sweep.ratio[:, 0], 1.0, atol=1e-12)  # white hidden process: no gain


def test_sweep_on_a_multivariate_model(small_rnn):
    sweep = rnnss.mse_ratio_sweep(small_rnn, noise_ratio=[0.5, 2.0], radius=[0.3, 0.95])
    ref = rnnss.mse_ratio(
        dataclasses.replace(small_rnn, W=small_rnn.W * 0.95 / small_rnn.spectral_radius, Q=2.0 * small_rnn.Q)
    )
    assert sweep.ratio[1, 1] == pytest.approx(ref.total, rel=1e-12)
    assert np.all(sweep.smoother_mse <= sweep.filter_mse)


def test_sweep_bad_input():
    with pytest.raises(ValueError, match="noise_ratio must be positive"):
        rnnss.mse_ratio_sweep(noise_ratio=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"radius must lie in \[0, 1\)"):
        rnnss.mse_ratio_sweep(radius=[0.5, 1.0])
    with pytest.raises(ValueError, match="spectral radius 0"):
        rnnss.mse_ratio_sweep(LinearRNN(W=0.0, Q=1.0, R=1.0), radius=[0.5])


def test_monte_carlo_in_chunks_is_deterministic_and_shows_progress(capsys):
    """T * n large enough that runs are processed in several memory-bounded chunks."""

    rnn = LinearRNN(W=0.9, Q=1.0, R=1.0)
    a = rnnss.mse_ratio_mc(rnn, steps=20_000, n_runs=250, rng=7)
    b = rnnss.mse_ratio_mc(rnn, steps=20_000, n_runs=250, rng=7)
    assert a.ratio == b.ratio and a.contains_analytic
    rnnss.mse_ratio_mc(rnn, steps=20_000, n_runs=250, rng=7, progress=True)
    assert "Monte Carlo runs" in capsys.readouterr().err
