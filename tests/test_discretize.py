"""Tests of rnnss.discretize: continuous-time models to LinearRNNs (Euler, exact ZOH with noise)."""

import math
import warnings

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal

import rnnss
from rnnss import LinearRNN


def _strip_noise(rnn):
    return LinearRNN(rnn.W, rnn.U, rnn.b, rnn.V, rnn.d, dt=rnn.dt)


# -- continuous time -----------------------------------------------------------------------------------------


def test_euler_closed_form_and_max_step():
    J = np.array([[-1.0, 2.0], [-2.0, -1.0]])  # eigenvalues -1 +- 2i
    rnn = rnnss.from_continuous(J, [[1.0], [0.0]], dt=0.1, method="euler", b=[1.0, 2.0], Qc=np.eye(2))
    np.testing.assert_allclose(rnn.W, np.eye(2) + 0.1 * J)
    np.testing.assert_allclose(rnn.U, [[0.1], [0.0]])
    np.testing.assert_allclose(rnn.b, [0.1, 0.2])
    np.testing.assert_allclose(rnn.Q, 0.1 * np.eye(2))
    # |1 + dt(-1 + 2i)| < 1  <=>  dt < 2 * 1 / 5
    assert rnnss.euler_max_step(J) == pytest.approx(0.4)
    assert rnnss.euler_max_step([[-10.0]]) == pytest.approx(0.2)
    assert rnnss.euler_max_step([[0.0]]) == 0.0 and rnnss.euler_max_step([[1.0]]) == 0.0


def test_euler_instability_is_exposed():
    """The seeds' point: a decaying ODE, an Euler step past the limit, an exploding RNN."""
    J = [[-10.0]]
    with pytest.warns(UserWarning, match="stability limit 0.2"):
        rnn = rnnss.from_continuous(J, dt=0.25, method="euler")
    assert rnn.spectral_radius == pytest.approx(1.5) and not rnn.is_stable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rnnss.from_continuous(J, dt=0.15, method="euler").is_stable
        assert rnnss.from_continuous(J, dt=0.25, method="zoh").is_stable  # exact discretisation never explodes


def test_zoh_matches_scipy_cont2discrete(rng):
    """Reference: scipy.signal.cont2discrete (zero-order hold) for W, U."""
    J = rng.standard_normal((4, 4)) - 2 * np.eye(4)
    B = rng.standard_normal((4, 2))
    C = rng.standard_normal((3, 4))
    rnn = rnnss.from_continuous(J, B, C=C, dt=0.05)
    Ad, Bd, Cd, _, _ = scipy.signal.cont2discrete((J, B, C, np.zeros((3, 2))), 0.05, method="zoh")
    np.testing.assert_allclose(rnn.W, Ad, rtol=1e-12)
    np.testing.assert_allclose(rnn.U, Bd, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(rnn.V, Cd)
    assert rnn.dt == 0.05


def test_zoh_bias_and_noise_closed_form_scalar():
    """Scalar dh = (j h + c) dt + dW: W = e^{j dt}, b = c (e^{j dt} - 1)/j, Q = qc (e^{2 j dt} - 1)/(2 j)."""
    j, c, qc, dt = -0.7, 0.3, 2.0, 0.4
    rnn = rnnss.from_continuous([[j]], dt=dt, b=[c], Qc=[[qc]])
    assert rnn.W[0, 0] == pytest.approx(math.exp(j * dt), rel=1e-14)
    assert rnn.b[0] == pytest.approx(c * (math.exp(j * dt) - 1) / j, rel=1e-13)
    assert rnn.Q[0, 0] == pytest.approx(qc * (math.exp(2 * j * dt) - 1) / (2 * j), rel=1e-13)


def test_zoh_noise_matches_quadrature(rng):
    """Reference: numerical integration of e^{Js} Qc e^{J^T s} over [0, dt]."""
    J = rng.standard_normal((3, 3)) - np.eye(3)
    A = rng.standard_normal((3, 3))
    Qc = A @ A.T
    dt = 0.3
    rnn = rnnss.from_continuous(J, dt=dt, Qc=Qc)
    ref = scipy.integrate.quad_vec(
        lambda s: scipy.linalg.expm(J * s) @ Qc @ scipy.linalg.expm(J.T * s), 0, dt, epsabs=1e-14, epsrel=1e-13
    )[0]
    np.testing.assert_allclose(rnn.Q, ref, rtol=1e-9)


def test_from_continuous_bad_input():
    with pytest.raises(ValueError, match="method must be"):
        rnnss.from_continuous([[-1.0]], dt=0.1, method="tustin")
    with pytest.raises(ValueError, match="dt must be > 0"):
        rnnss.from_continuous([[-1.0]], dt=0.0)
    with pytest.raises(rnnss.DimensionError, match=r"B must have shape \(1, \?\)"):
        rnnss.from_continuous([[-1.0]], [[1.0], [2.0]], dt=0.1)
    with pytest.raises(ValueError, match="Qc must be symmetric positive semi-definite"):
        rnnss.from_continuous([[-1.0]], dt=0.1, Qc=[[-1.0]])
    with pytest.raises(rnnss.DimensionError, match="J must be a square matrix"):
        rnnss.euler_max_step(np.ones((2, 3)))


@pytest.mark.parametrize("qc", [1e-300, 1e-20, 1.0, 1e60, 1e120, 1e300])
def test_zoh_noise_exact_for_any_intensity_closed_form(qc):
    """Q = qc (1 - e^{-2 a dt}) / (2 a) is linear in qc: exact to rounding from 1e-300 to 1e300."""
    a, dt = 0.7, 0.3
    Q = rnnss.from_continuous([[-a]], dt=dt, Qc=[[qc]]).Q[0, 0]
    assert Q == pytest.approx(qc * -math.expm1(-2 * a * dt) / (2 * a), rel=4e-16)


def test_zoh_noise_huge_intensity_matches_quadrature():
    """A rotating, decaying 2x2 J with Qc ~ 1e120 (4.5% off before the scaling) against direct quadrature."""
    J = np.array([[-0.5, 2.0], [-2.0, -0.5]])
    Qc = 1e120 * np.array([[1.0, 0.3], [0.3, 2.0]])
    dt = 0.1
    ref = scipy.integrate.quad_vec(
        lambda s: scipy.linalg.expm(J * s) @ Qc @ scipy.linalg.expm(J.T * s), 0, dt, epsabs=0, epsrel=1e-14
    )[0]
    np.testing.assert_allclose(rnnss.from_continuous(J, dt=dt, Qc=Qc).Q, ref, rtol=1e-13)
    base = rnnss.from_continuous(J, dt=dt, Qc=Qc / 1e120).Q
    assert np.array_equal(rnnss.from_continuous(J, dt=dt, Qc=2.0**300 * Qc / 1e120).Q, 2.0**300 * base)  # exact


def test_zoh_input_huge_column_is_exact():
    """U = (e^{j dt} - 1)/j * B is linear in each column of B: exact for columns of very different size."""
    j, dt = -0.7, 0.4
    rnn = rnnss.from_continuous([[j]], [[1e200, 1e-200]], dt=dt, b=[1e150])
    gain = math.expm1(j * dt) / j
    np.testing.assert_allclose(rnn.U[0], [1e200 * gain, 1e-200 * gain], rtol=4e-16)
    assert rnn.b[0] == pytest.approx(1e150 * gain, rel=4e-16)


def test_from_continuous_errors_name_the_callers_fields():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning leaks from the matrix exponential
        with pytest.raises(rnnss.DimensionError, match=r"^C must have shape \(\?, 1\)"):
            rnnss.from_continuous([[-1.0]], dt=0.1, C=[[1.0, 2.0]])
        with pytest.raises(rnnss.DimensionError, match=r"^d must have shape \(2,\)"):
            rnnss.from_continuous([[-1.0]], dt=0.1, C=[[1.0], [2.0]], d=[1.0])
        with pytest.raises(ValueError, match="^R must be symmetric"):
            rnnss.from_continuous([[-1.0]], dt=0.1, R=[[-1.0]])
        with pytest.raises(ValueError, match="^P0 must be symmetric"):
            rnnss.from_continuous([[-1.0]], dt=0.1, P0=[[-1.0]])
        with pytest.raises(ValueError, match=r"discrete W \(computed from J and dt\): use a smaller dt"):
            rnnss.from_continuous([[1e4]], dt=0.1)
        with pytest.raises(ValueError, match=r"discrete W \(computed from J and dt\)"):
            rnnss.from_continuous([[1e4]], dt=1e305, method="euler")
        with pytest.raises(ValueError, match=r"discrete U \(computed from B, J and dt\).*smaller B"):
            rnnss.from_continuous([[30.0]], [[1e308]], dt=10.0)
        with pytest.raises(ValueError, match=r"discrete Q \(computed from Qc, J and dt\).*smaller Qc"):
            rnnss.from_continuous([[30.0]], dt=10.0, Qc=[[1e308]])
        with pytest.raises(ValueError, match="method must be one of 'zoh', 'euler'"):
            rnnss.from_continuous([[-1.0]], dt=0.1, method=["zoh"])
        assert rnnss.from_continuous([[-30.0]], dt=10.0, Qc=[[1e308]]).Q[0, 0] == pytest.approx(1e308 / 60, rel=1e-15)
