"""Tests of rnnss.linear: the LinearRNN container and its exact algebra."""

import dataclasses
import math

import control
import numpy as np
import pytest
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st

import rnnss
from rnnss import DimensionError, IllConditionedError, LinearRNN, NotStableError, NumericalError

from .conftest import random_stable

# -- construction and validation -------------------------------------------------------------------


def test_defaults_fill_in_sensibly():
    rnn = LinearRNN(W=[[0.5, 0.0], [0.1, 0.2]])
    assert (rnn.n_hidden, rnn.n_inputs, rnn.n_outputs) == (2, 0, 2)
    np.testing.assert_array_equal(rnn.V, np.eye(2))
    for name in ("b", "d", "h0"):
        np.testing.assert_array_equal(getattr(rnn, name), np.zeros(2))
    for name in ("Q", "R", "P0"):
        np.testing.assert_array_equal(getattr(rnn, name), np.zeros((2, 2)))
    assert rnn.U.shape == (2, 0) and rnn.dt == 1.0


def test_scalar_conveniences():
    rnn = LinearRNN(W=0.9, Q=2.0, R=0.5, P0=1.0)
    assert rnn.W.shape == (1, 1) and rnn.Q[0, 0] == 2.0 and rnn.R[0, 0] == 0.5
    rnn2 = LinearRNN(W=np.eye(3) * 0.5, Q=0.1)
    np.testing.assert_array_equal(rnn2.Q, 0.1 * np.eye(3))


def test_model_is_immutable(small_rnn):
    with pytest.raises(dataclasses.FrozenInstanceError):
        small_rnn.W = np.eye(4)
    with pytest.raises(ValueError, match="read-only"):
        small_rnn.W[0, 0] = 1.0
    other = dataclasses.replace(small_rnn, dt=0.5)
    assert other.dt == 0.5
    np.testing.assert_array_equal(other.W, small_rnn.W)


def test_inputs_are_copied():
    W = np.array([[0.5]])
    rnn = LinearRNN(W=W)
    W[0, 0] = 2.0
    assert rnn.W[0, 0] == 0.5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(W=np.ones((2, 3))), r"W must be a square matrix with shape \(n, n\); got shape \(2, 3\)"),
        (dict(W=np.ones(3)), r"W must be a square matrix .* got shape \(3,\)"),
        (dict(W=np.zeros((0, 0))), r"at least one hidden unit"),
        (dict(W=np.eye(2), U=np.ones((3, 1))), r"U must have shape \(2, \?\); got shape \(3, 1\)"),
        (dict(W=np.eye(2), U=np.ones(2)), r"U must have shape \(2, \?\); got shape \(2,\)"),
        (dict(W=np.eye(2), b=np.ones(3)), r"b must have shape \(2,\); got shape \(3,\)"),
        (dict(W=np.eye(2), b=np.ones((2, 1))), r"b must have shape \(2,\); got shape \(2, 1\)"),
        (dict(W=np.eye(2), V=np.ones((1, 3))), r"V must have shape \(\?, 2\); got shape \(1, 3\)"),
        (dict(W=np.eye(2), V=np.ones((0, 2))), r"at least one output"),
        (dict(W=np.eye(2), V=np.ones((1, 2)), d=np.ones(2)), r"d must have shape \(1,\); got shape \(2,\)"),
        (dict(W=np.eye(2), Q=np.ones((3, 3))), r"Q must have shape \(2, 2\); got shape \(3, 3\)"),
        (dict(W=np.eye(2), h0=np.ones(3)), r"h0 must have shape \(2,\)"),
        (dict(W=np.eye(2), P0=np.eye(3)), r"P0 must have shape \(2, 2\)"),
    ],
)
def test_shape_errors_name_argument_and_shapes(kwargs, match):
    with pytest.raises(DimensionError, match=match):
        LinearRNN(**kwargs)


@pytest.mark.parametrize("name", ["Q", "R", "P0"])
def test_non_symmetric_covariance_rejected(name):
    with pytest.raises(ValueError, match=rf"{name} must be symmetric positive semi-definite .*non-symmetric"):
        LinearRNN(W=np.eye(2), **{name: [[1.0, 0.5], [0.0, 1.0]]})


@pytest.mark.parametrize("name", ["Q", "R", "P0"])
def test_indefinite_covariance_rejected_with_min_eigenvalue(name):
    with pytest.raises(
        ValueError,
        match=(
            rf"{name} must be symmetric positive semi-definite with "
            r"shape \(2, 2\); got shape \(2, 2\) with min eigenvalue -1"
        ),
    ):
        LinearRNN(W=np.eye(2), **{name: [[1.0, 2.0], [2.0, 1.0]]})


def test_singular_psd_accepted_and_rounding_asymmetry_tolerated(rng):
    L = rng.standard_normal((3, 1))
    Q = L @ L.T  # rank one
    Q[0, 1] += 1e-14 * abs(Q[0, 1])  # a floating-point asymmetry
    rnn = LinearRNN(W=np.eye(3) * 0.5, Q=Q)
    np.testing.assert_array_equal(rnn.Q, rnn.Q.T)


@pytest.mark.parametrize("name", ["W", "U", "b", "V", "d", "Q", "R", "h0", "P0"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_entries_rejected(name, bad):
    kwargs = dict(
        W=np.eye(2) * 0.5,
        U=np.ones((2, 1)),
        b=np.zeros(2),
        V=np.eye(2),
        d=np.zeros(2),
        Q=np.eye(2),
        R=np.eye(2),
        h0=np.zeros(2),
        P0=np.eye(2),
    )
    arr = kwargs[name].copy()
    arr.flat[0] = bad
    kwargs[name] = arr
    with pytest.raises(ValueError, match=rf"{name} must be finite"):
        LinearRNN(**kwargs)


@pytest.mark.parametrize("value", ["abc", [[1 + 1j]], [["a"]], None])
def test_non_numeric_rejected(value):
    with pytest.raises(TypeError, match="W must be"):
        LinearRNN(W=value)


def test_ragged_rejected():
    with pytest.raises(DimensionError, match="W must be a rectangular array"):
        LinearRNN(W=[[1.0, 2.0], [3.0]])


@pytest.mark.parametrize("dt, exc", [(0.0, ValueError), (-1.0, ValueError), (np.nan, ValueError), ("1", TypeError)])
def test_bad_dt(dt, exc):
    with pytest.raises(exc, match="dt must be"):
        LinearRNN(W=0.5, dt=dt)


def test_equality_is_exact(small_rnn):
    same = LinearRNN(
        small_rnn.W,
        small_rnn.U,
        small_rnn.b,
        small_rnn.V,
        small_rnn.d,
        small_rnn.Q,
        small_rnn.R,
        small_rnn.h0,
        small_rnn.P0,
    )
    assert same == small_rnn
    assert dataclasses.replace(small_rnn, b=small_rnn.b + 1e-15) != small_rnn
    assert small_rnn != "not a model"


def test_repr_and_summary(demo_rnn):
    text = repr(demo_rnn)
    assert "n=3, p=1, m=2" in text and "stable" in text
    assert "W =" in demo_rnn.summary() and "R =" in demo_rnn.summary()


# -- simulation against python-control and scipy ------------------------------------------------------


def _shifted_inputs(rnn, x):
    """State-space input u[k] = [x_{k+1}; 1] for k = 0..T (last sample unused)."""
    u = np.vstack([x, np.zeros((1, x.shape[1]))])
    if rnn.has_bias:
        u = np.column_stack([u, np.ones(len(u))])
    return u


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_simulate_matches_python_control_forced_response(seed):
    """Reference: python-control forced_response on to_statespace(rnn), inputs shifted one sample."""
    rnn = dataclasses.replace(random_stable(4, 2, 2, seed), h0=np.arange(4.0))
    x = np.random.default_rng(seed).standard_normal((50, 2))
    traj = rnnss.simulate(rnn, x=x, noise=False)
    sys = rnnss.to_statespace(rnn)
    u = _shifted_inputs(rnn, x)
    ref = control.forced_response(sys, T=np.arange(51), U=u.T, X0=rnn.h0)
    np.testing.assert_allclose(traj.h, ref.states[:, 1:].T, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.y, ref.outputs[:, 1:].T, rtol=1e-12, atol=1e-12)


def test_simulate_matches_scipy_dlsim(small_rnn):
    """Reference: scipy.signal.dlsim on to_dlti(rnn)."""
    rnn = dataclasses.replace(small_rnn, h0=np.ones(4))
    x = np.random.default_rng(3).standard_normal((40, 2))
    traj = rnnss.simulate(rnn, x=x, noise=False)
    _, yout, xout = scipy.signal.dlsim(rnnss.to_dlti(rnn), _shifted_inputs(rnn, x), x0=rnn.h0)
    np.testing.assert_allclose(traj.h, xout[1:], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(traj.y, yout[1:], rtol=1e-12, atol=1e-12)


def test_simulate_closed_form_scalar():
    rnn = LinearRNN(W=0.5, U=[[1.0]], b=[1.0], V=[[2.0]], d=[-1.0], h0=[4.0])
    traj = rnnss.simulate(rnn, x=[[2.0], [0.0]], noise=False)
    # h1 = 0.5*4 + 2 + 1 = 5; h2 = 2.5 + 0 + 1 = 3.5
    np.testing.assert_array_equal(traj.h[:, 0], [5.0, 3.5])
    np.testing.assert_array_equal(traj.y[:, 0], [9.0, 6.0])


def test_simulate_noise_statistics_match_closed_form():
    """Stationary AR(1): var h = q / (1 - w^2), var y = var h + r (closed form), checked at 5 sigma."""
    w, q, r = 0.8, 0.5, 0.3
    rnn = rnnss.with_stationary_prior(LinearRNN(W=w, Q=q, R=r))
    traj = rnnss.simulate(rnn, 200_000, rng=11)
    var_h = q / (1 - w**2)
    # Standard error of a sample variance of an AR(1): var_h * sqrt(2 (1 + w^2) / ((1 - w^2) T)).
    se = var_h * math.sqrt(2 * (1 + w**2) / ((1 - w**2) * 200_000))
    assert abs(traj.h.var() - var_h) < 5 * se
    assert abs(traj.y.var() - (var_h + r)) < 5 * (se + r * math.sqrt(2 / 200_000))


def test_simulate_batch_shapes_and_determinism(small_rnn):
    x = np.random.default_rng(0).standard_normal((3, 20, 2))
    a = rnnss.simulate(small_rnn, x=x, rng=5)
    b = rnnss.simulate(small_rnn, x=x, rng=np.random.default_rng(5))
    assert a.h.shape == (3, 20, 4) and a.y.shape == (3, 20, 2)
    np.testing.assert_array_equal(a.h, b.h)
    shared = rnnss.simulate(small_rnn, x=x[0], batch=4, noise=False)
    assert shared.h.shape == (4, 20, 4)
    np.testing.assert_allclose(shared.h[2], rnnss.simulate(small_rnn, x=x[0], noise=False).h, rtol=0, atol=1e-13)
    # Noise-free batch equals each sequence run alone.
    nf = rnnss.simulate(small_rnn, x=x, noise=False)
    np.testing.assert_allclose(nf.h[1], rnnss.simulate(small_rnn, x=x[1], noise=False).h, rtol=0, atol=1e-14)


def test_simulate_without_input_and_1d_input():
    rnn = LinearRNN(W=0.5, Q=1.0)
    assert rnnss.simulate(rnn, 7, rng=0).h.shape == (7, 1)
    assert rnnss.simulate(rnn, 7, rng=0, batch=2).y.shape == (2, 7, 1)
    rnn1 = LinearRNN(W=0.5, U=[[1.0]])
    np.testing.assert_array_equal(rnnss.simulate(rnn1, x=np.ones(3), noise=False).h[:, 0], [1.0, 1.5, 1.75])
    assert rnn1.simulate(x=np.ones(3), noise=False).h.shape == (3, 1)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda r: rnnss.simulate(r), TypeError, "number of steps or the input sequence"),
        (lambda r: rnnss.simulate(r, 5), ValueError, "x is required"),
        (
            lambda r: rnnss.simulate(r, x=np.ones((5, 3))),
            DimensionError,
            r"x must have shape \(T, 2\) or \(batch, T, 2\); got shape \(5, 3\)",
        ),
        (lambda r: rnnss.simulate(r, 4, x=np.ones((5, 2))), DimensionError, "T = 4"),
        (lambda r: rnnss.simulate(r, x=np.ones((2, 5, 2)), batch=3), DimensionError, "batch = 3"),
        (lambda r: rnnss.simulate(r, x=np.full((5, 2), np.nan)), ValueError, "x must be finite"),
        (lambda r: rnnss.simulate(r, x=np.ones((0, 2))), ValueError, "at least one time step"),
        (lambda r: rnnss.simulate(r, x=np.ones((5, 2)), rng="seed"), TypeError, "rng must be"),
        (lambda r: rnnss.simulate("model", 5), TypeError, "model must be a LinearRNN, VARMA"),
    ],
)
def test_simulate_bad_input(small_rnn, call, exc, match):
    with pytest.raises(exc, match=match):
        call(small_rnn)


def test_simulate_bad_steps():
    rnn = LinearRNN(W=0.5)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        rnnss.simulate(rnn, 0)
    with pytest.raises(TypeError, match="steps must be an integer"):
        rnnss.simulate(rnn, 2.5)


# -- impulse, step, unroll ----------------------------------------------------------------------------------


def test_impulse_response_matches_python_control(small_rnn):
    """Reference: python-control impulse_response, whose sample k+1 is V W^k U."""
    rnn = dataclasses.replace(small_rnn, b=np.zeros(4), d=np.zeros(2))
    ours = rnnss.impulse_response(rnn, 15)
    ref = control.impulse_response(rnnss.to_statespace(rnn), T=np.arange(16)).outputs  # (m, p, T)
    np.testing.assert_allclose(ours, np.moveaxis(ref, 2, 0)[1:], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(rnnss.markov_parameters(rnn, 15), ours)


def test_impulse_response_closed_form():
    W = np.diag([0.5, -0.25])
    rnn = LinearRNN(W=W, U=[[1.0], [2.0]], V=[[1.0, 1.0]])
    irf = rnnss.impulse_response(rnn, 4)[:, 0, 0]
    np.testing.assert_allclose(irf, [0.5**k + 2 * (-0.25) ** k for k in range(4)], rtol=1e-15)
    hid = rnnss.impulse_response(rnn, 3, target="hidden")
    assert hid.shape == (3, 2, 1)
    np.testing.assert_allclose(hid[2, :, 0], [0.25, 2 * 0.0625])


def test_step_response_matches_python_control_and_dc_gain(small_rnn):
    rnn = dataclasses.replace(small_rnn, b=np.zeros(4), d=np.zeros(2))
    ours = rnnss.step_response(rnn, 300)
    ref = control.step_response(rnnss.to_statespace(rnn), T=np.arange(301)).outputs
    np.testing.assert_allclose(ours, np.moveaxis(ref, 2, 0)[1:], rtol=1e-10, atol=1e-12)
    dc = rnn.V @ np.linalg.solve(np.eye(4) - rnn.W, rnn.U)
    np.testing.assert_allclose(ours[-1], dc, rtol=1e-8)


def test_impulse_bad_input(small_rnn):
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        rnnss.impulse_response(small_rnn, 0)
    with pytest.raises(ValueError, match="target must be"):
        rnnss.impulse_response(small_rnn, 3, target="state")


@pytest.mark.parametrize("seed", range(3))
def test_unroll_matches_recursion(seed):
    """The unrolled sum equals the recursion (brute force: simulate without noise)."""
    rnn = dataclasses.replace(random_stable(5, 2, 3, seed, radius=0.95), h0=np.linspace(-1, 1, 5))
    x = np.random.default_rng(seed).standard_normal((2, 60, 3))
    hT = rnnss.unroll(rnn, x)
    ref = rnnss.simulate(rnn, x=x, noise=False).h[:, -1]
    np.testing.assert_allclose(hT, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        rnnss.unroll(rnn, x[0], h0=np.zeros(5)),
        rnnss.simulate(dataclasses.replace(rnn, h0=np.zeros(5)), x=x[0], noise=False).h[-1],
        rtol=1e-12,
        atol=1e-12,
    )


def test_unroll_without_input_is_power():
    rnn = LinearRNN(W=[[0.0, 1.0], [-1.0, 0.0]], h0=[1.0, 0.0])
    np.testing.assert_allclose(rnnss.unroll(rnn, steps=4), [1.0, 0.0], atol=1e-15)  # rotation by 90 deg, 4 times
    with pytest.raises(DimensionError, match="h0 must have shape"):
        rnnss.unroll(rnn, steps=2, h0=np.ones(3))


# -- eigenmodes and norms -----------------------------------------------------------------------------------


def test_eigenmodes_diagonal_closed_form():
    lam = np.array([0.95, 0.5, -0.5, 0.0])
    modes = rnnss.eigenmodes(LinearRNN(W=np.diag(lam), dt=0.02))
    np.testing.assert_allclose(modes.modulus, [0.95, 0.5, 0.5, 0.0])
    np.testing.assert_allclose(modes.half_life, [math.log(0.5) / math.log(0.95), 1.0, 1.0, 0.0])
    # The seeds' leak time constant: dt = 0.02 s, f = 0.95 -> tau = 0.39 s.
    assert modes.time_constant[0] == pytest.approx(-0.02 / math.log(0.95), rel=1e-14)
    assert round(modes.time_constant[0], 2) == 0.39
    assert modes.period[0] == np.inf and modes.period[2] == pytest.approx(0.04)  # lambda = -0.5: period 2 dt
    # Eigenvectors really are eigenvectors.
    for i in range(4):
        np.testing.assert_allclose(
            np.diag(lam) @ modes.eigenvectors[:, i], modes.eigenvalues[i] * modes.eigenvectors[:, i], atol=1e-15
        )


def test_eigenmodes_rotation_closed_form():
    r, th = 0.9, 2 * np.pi / 12
    W = r * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    modes = rnnss.eigenmodes(LinearRNN(W=W))
    np.testing.assert_allclose(modes.modulus, [r, r], rtol=1e-14)
    np.testing.assert_allclose(modes.period, [12.0, 12.0], rtol=1e-12)
    np.testing.assert_allclose(np.sort(modes.eigenvalues.imag), [-r * np.sin(th), r * np.sin(th)], rtol=1e-13)
    assert rnnss.spectral_radius(LinearRNN(W=W)) == pytest.approx(r, rel=1e-14)
    assert rnnss.spectral_norm(LinearRNN(W=W)) == pytest.approx(r, rel=1e-14)  # normal matrix: norm = radius
    assert "half-life" in str(modes)


def test_unit_and_growing_modes():
    modes = rnnss.eigenmodes(LinearRNN(W=np.diag([2.0, 1.0])))
    assert modes.half_life[0] == pytest.approx(-1.0)  # doubling time 1 step
    assert modes.half_life[1] == np.inf and modes.time_constant[1] == np.inf
    assert not rnnss.is_stable(LinearRNN(W=np.diag([2.0, 1.0])))
    assert not LinearRNN(W=1.0).is_stable and LinearRNN(W=0.999).is_stable
    # The printed table calls the negative half-life of a growing mode a doubling time (2^1 = 2: 1 step).
    rows = str(modes).splitlines()
    assert rows[1].split()[3:5] == ["1", "doubling"] and "-1 " not in rows[1]
    assert rows[2].split()[3] == "inf" and "doubling:" in rows[-1]
    assert "doubling" not in str(rnnss.eigenmodes(LinearRNN(W=np.diag([0.5, 0.25]))))


def test_transient_growth_closed_form():
    """W = [[a, c], [0, a]] has W^k = [[a^k, k c a^(k-1)], [0, a^k]]; its 2-norm in closed form."""
    a, c = 0.9, 5.0
    tg = rnnss.transient_growth(LinearRNN(W=[[a, c], [0.0, a]]), 60)

    def norm2(k):
        p, q = a**k, k * c * a ** (k - 1) if k else 0.0
        # largest singular value of [[p, q], [0, p]]
        return math.sqrt((2 * p * p + q * q + math.sqrt((2 * p * p + q * q) ** 2 - 4 * p**4)) / 2)

    np.testing.assert_allclose(tg.norms, [norm2(k) for k in range(61)], rtol=1e-12)
    assert tg.peak > 10 and rnnss.spectral_radius(LinearRNN(W=[[a, c], [0.0, a]])) < 1
    assert tg.norms[0] == 1.0 and tg.peak == tg.norms[tg.peak_step]
    assert "peak" in repr(tg)


def test_transient_growth_default_horizon_decays():
    tg = rnnss.transient_growth(LinearRNN(W=[[0.9, 5.0], [0.0, 0.9]]))
    assert tg.norms[-1] < 1e-3 * tg.peak
    assert len(rnnss.transient_growth(LinearRNN(W=1.1)).norms) == 101


# -- fixed points and stationary distribution ---------------------------------------------------------------


def test_fixed_point_closed_form_and_invariance(small_rnn):
    x = np.array([0.3, -1.2])
    h = rnnss.fixed_point(small_rnn, x)
    np.testing.assert_allclose(small_rnn.W @ h + small_rnn.U @ x + small_rnn.b, h, rtol=1e-12, atol=1e-13)
    assert rnnss.fixed_point(LinearRNN(W=0.5, U=[[1.0]], b=[1.0]), [1.0])[0] == pytest.approx(4.0)
    np.testing.assert_allclose(small_rnn.fixed_point(x), h)


def test_fixed_point_is_the_limit_of_the_recursion(small_rnn):
    x = np.array([0.3, -1.2])
    traj = rnnss.simulate(small_rnn, x=np.tile(x, (2000, 1)), noise=False)
    np.testing.assert_allclose(traj.h[-1], rnnss.fixed_point(small_rnn, x), rtol=1e-10)


def test_fixed_point_singular_and_ill_conditioned():
    with pytest.raises(NumericalError, match="singular"):
        rnnss.fixed_point(LinearRNN(W=np.diag([1.0, 0.5])))
    with pytest.raises(IllConditionedError, match="condition number") as info:
        rnnss.fixed_point(LinearRNN(W=np.diag([1.0 - 1e-14, 0.5])))
    assert info.value.condition_number > 1e12
    with pytest.raises(DimensionError, match=r"x must have shape \(2,\)"):
        rnnss.fixed_point(rnnss.random_rnn(3, 1, 2, rng=0), x=[1.0])


def test_stationary_covariance_brute_force(small_rnn):
    """Reference: the truncated series sum_k W^k Q W^k^T."""
    S = rnnss.stationary_covariance(small_rnn)
    ref, P = np.zeros((4, 4)), np.eye(4)
    for _ in range(2000):
        ref += P @ small_rnn.Q @ P.T
        P = small_rnn.W @ P
    np.testing.assert_allclose(S, ref, rtol=1e-9)
    np.testing.assert_allclose(S, small_rnn.W @ S @ small_rnn.W.T + small_rnn.Q, rtol=1e-10)


def test_stationary_needs_stability():
    with pytest.raises(NotStableError, match="spectral radius of W is 1.05 >= 1"):
        rnnss.stationary_covariance(LinearRNN(W=1.05, Q=1.0))
    with pytest.raises(NotStableError):
        rnnss.with_stationary_prior(LinearRNN(W=1.05, Q=1.0))


def test_with_stationary_prior(small_rnn):
    st_rnn = rnnss.with_stationary_prior(small_rnn, x=[1.0, 0.0])
    np.testing.assert_allclose(st_rnn.h0, rnnss.fixed_point(small_rnn, [1.0, 0.0]))
    np.testing.assert_allclose(st_rnn.P0, rnnss.stationary_covariance(small_rnn))


def test_random_rnn_radius_and_validation():
    rnn = rnnss.random_rnn(6, 2, 1, radius=0.7, rng=1)
    assert rnn.spectral_radius == pytest.approx(0.7, rel=1e-12)
    assert (rnn.n_hidden, rnn.n_outputs, rnn.n_inputs) == (6, 2, 1)
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        rnnss.random_rnn(0)


# -- property tests -------------------------------------------------------------------------------------------


@given(
    n=st.integers(1, 5),
    m=st.integers(1, 3),
    p=st.integers(0, 3),
    seed=st.integers(0, 2**31 - 1),
    radius=st.floats(0.0, 0.99),
)
def test_property_unroll_equals_recursion(n, m, p, seed, radius):
    rnn = rnnss.random_rnn(n, m, p, radius=radius, bias=True, rng=seed)
    x = np.random.default_rng(seed).standard_normal((30, p))
    if p:
        ref = rnnss.simulate(rnn, x=x, noise=False).h[-1]
        got = rnnss.unroll(rnn, x)
    else:
        ref = rnnss.simulate(rnn, 30, noise=False).h[-1]
        got = rnnss.unroll(rnn, steps=30)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)


def test_stationary_covariance_is_accurate_for_larger_near_unit_systems():
    """scipy's bilinear Stein solver (n >= 10) leaves ~1e-12 residuals near |lambda| = 1; refined: a few ulps."""
    rnn = rnnss.random_rnn(30, 2, radius=0.999, rng=0)
    S = rnnss.stationary_covariance(rnn)
    resid = np.linalg.norm(rnn.W @ S @ rnn.W.T + rnn.Q - S) / np.linalg.norm(S)
    assert resid < 1e-14
    np.testing.assert_array_equal(S, S.T)


def test_non_finite_message_shows_a_plain_number():
    with pytest.raises(ValueError, match=r"got non-finite value nan at index \(0, 0\)"):
        LinearRNN(W=[[np.nan]])


def test_simulate_initial_state_override(small_rnn):
    x = np.random.default_rng(0).standard_normal((2, 10, 2))
    h0 = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 0.5, 2.0]])
    got = rnnss.simulate(small_rnn, x=x, h0=h0, noise=False).h
    for i in range(2):
        ref = rnnss.simulate(dataclasses.replace(small_rnn, h0=h0[i]), x=x[i], noise=False).h
        np.testing.assert_allclose(got[i], ref, rtol=0, atol=1e-13)
    with pytest.raises(DimensionError, match=r"h0 must have shape \(4,\) or \(2, 4\)"):
        rnnss.simulate(small_rnn, x=x, h0=np.ones(3))
