"""Tests of rnnss.frequency: the LinearRNN as an LTI filter (responses, zeros, norms, spectra, SNR)."""

import dataclasses
import math
import warnings

import control
import numpy as np
import pytest
import scipy.integrate
import scipy.signal
from statsmodels.tsa.arima_process import ArmaProcess

import rnnss
from rnnss import (
    PSD,
    ARNoise,
    DimensionError,
    FrequencyResponse,
    LinearRNN,
    NotStableError,
    NumericalError,
    Sinusoid,
    WhiteNoise,
    frequency_response,
    h2_norm,
    hinf_norm,
    poles,
    power_spectrum,
    resonator,
    response_covariance,
    snr_gain,
    snr_gain_mc,
    transmission_zeros,
)

from .conftest import random_stable

SHAPES = [(1, 1, 1), (3, 1, 1), (4, 2, 3), (5, 3, 2), (6, 2, 2)]  # (n, m, p)
OMEGA = np.linspace(0.0, np.pi, 97)


def _systems():
    return [random_stable(n, m, p, seed, bias=False) for seed, (n, m, p) in enumerate(SHAPES)]


def _sorted(z):
    z = np.asarray(z, dtype=complex)
    return z[np.lexsort((np.round(z.imag, 6), np.round(z.real, 6)))]


def _ss(A, B, C, D):
    return control.ss(A, B, C, D, 1)


# -- frequency response ----------------------------------------------------------------------------


@pytest.mark.parametrize("rnn", _systems(), ids=[str(s) for s in SHAPES])
def test_frequency_response_matches_python_control_times_z(rnn):
    """Reference: python-control frequency_response of to_statespace(rnn), MIMO, times e^{i omega}."""
    fr = frequency_response(rnn, OMEGA)
    ref = control.frequency_response(rnnss.to_statespace(rnn), OMEGA)
    G = np.moveaxis(np.asarray(ref.complex).reshape(rnn.n_outputs, rnn.n_inputs, -1), -1, 0)
    scale = np.max(np.abs(G))
    np.testing.assert_allclose(fr.response, np.exp(1j * OMEGA)[:, None, None] * G, rtol=0, atol=1e-12 * scale)
    # Same magnitude (what python-control's Bode plot shows); the phase leads by exactly omega (mod 2 pi).
    mag = np.moveaxis(np.asarray(ref.magnitude).reshape(G.shape[1:] + (-1,)), -1, 0)
    ph = np.moveaxis(np.asarray(ref.phase).reshape(G.shape[1:] + (-1,)), -1, 0)
    np.testing.assert_allclose(fr.magnitude, mag, rtol=1e-12, atol=1e-14 * scale)
    lead = fr.phase - ph - OMEGA[:, None, None]
    np.testing.assert_allclose(np.exp(1j * lead), 1.0, atol=1e-10)


@pytest.mark.parametrize("rnn", _systems()[2:4], ids=["4x2x3", "5x3x2"])
@pytest.mark.parametrize("target", ["output", "hidden"])
def test_frequency_response_matches_scipy_dfreqresp_entry_by_entry(rnn, target):
    """Reference: scipy.signal.dfreqresp on each SISO channel of the python-control-timed system (times z)."""
    C = rnn.V if target == "output" else np.eye(rnn.n_hidden)
    fr = frequency_response(rnn, OMEGA, target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.signal.BadCoefficients)  # leading zero of a strictly proper numerator
        for j in range(rnn.n_inputs):
            for i in range(C.shape[0]):
                sys = scipy.signal.StateSpace(rnn.W, rnn.U[:, [j]], C[[i]], [[0.0]], dt=1.0)
                _, G = scipy.signal.dfreqresp(sys, OMEGA)
                np.testing.assert_allclose(fr.response[:, i, j], np.exp(1j * OMEGA) * G, rtol=1e-9, atol=1e-11)


def test_rnn_timing_is_scipy_freqz_of_the_advanced_numerator():
    """Reference: scipy.signal.freqz / group_delay of H(z) = z G(z) (numerator of G without its leading zero)."""
    rnn = random_stable(4, 2, 2, 11, bias=False)
    fr = frequency_response(rnn, OMEGA)
    w = OMEGA[1:-1]
    for j in range(2):
        num, den = scipy.signal.ss2tf(rnn.W, rnn.U, rnn.V, np.zeros((2, 2)), input=j)
        for i in range(2):
            assert abs(num[i][0]) < 1e-12  # G is strictly proper
            _, h = scipy.signal.freqz(num[i][1:], den, worN=OMEGA)
            _, gd = scipy.signal.group_delay((num[i][1:], den), w=w)
            np.testing.assert_allclose(fr.response[:, i, j], h, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(fr.group_delay[1:-1, i, j], gd, rtol=1e-8, atol=1e-9)


def test_group_delay_closed_form_and_one_sample_shorter_than_control_timing():
    """Closed form for H = 1 / (1 - a z^-1): tau = (a cos w - a^2) / (1 - 2 a cos w + a^2); G = z^-1 H adds 1."""
    a = 0.7
    fr = frequency_response(LinearRNN(W=a, U=[[1.0]]), OMEGA)
    tau = (a * np.cos(OMEGA) - a**2) / (1 - 2 * a * np.cos(OMEGA) + a**2)
    np.testing.assert_allclose(fr.group_delay[:, 0, 0], tau, rtol=1e-12, atol=1e-14)
    # python-control timing: its unwrapped phase falls one radian per rad/sample faster.
    ref = control.frequency_response(rnnss.to_statespace(LinearRNN(W=a, U=[[1.0]])), OMEGA)
    tau_g = -np.gradient(np.asarray(ref.phase).ravel(), OMEGA)
    np.testing.assert_allclose(tau_g[5:-5], tau[5:-5] + 1.0, rtol=0, atol=2e-3)  # finite differences


def test_response_of_a_nonnormal_network_matches_dense_solves():
    """Brute force: numpy.linalg.solve(zI - W, U) at every frequency, for a strongly non-normal W."""
    W = np.array([[0.9, 50.0, 0.0], [0.0, 0.8, 50.0], [0.0, 0.0, 0.7]])
    rnn = LinearRNN(W=W, U=[[0.0], [0.0], [1.0]], V=[[1.0, 0.0, 0.0]])
    fr = frequency_response(rnn, OMEGA, target="hidden")
    for k, w in enumerate(OMEGA):
        z = np.exp(1j * w)
        ref = z * np.linalg.solve(z * np.eye(3) - W, rnn.U)
        np.testing.assert_allclose(fr.response[k], ref, rtol=1e-12)


def test_hz_keyword_and_frequency_property():
    rnn = dataclasses.replace(random_stable(3, 1, 1, 4, bias=False), dt=0.02)
    f = np.array([0.0, 1.0, 5.0, 25.0])  # Hz with dt = 0.02 s; 25 Hz is Nyquist
    a = frequency_response(rnn, f, hz=True)
    b = frequency_response(rnn, 2 * np.pi * f * 0.02)
    np.testing.assert_allclose(a.response, b.response, rtol=1e-13)
    np.testing.assert_allclose(a.frequency, f, rtol=1e-15)
    assert a.omega[-1] == pytest.approx(np.pi)


def test_frequency_response_record():
    fr = frequency_response(random_stable(3, 2, 1, 5, bias=False), OMEGA)
    assert isinstance(fr, FrequencyResponse) and fr.response.shape == (97, 2, 1)
    np.testing.assert_allclose(fr.magnitude_db, 20 * np.log10(np.abs(fr.response)))
    assert np.all(np.abs(np.diff(fr.phase, axis=0)) < np.pi)  # unwrapped
    assert "FrequencyResponse(target='output', 2 x 1, K=97" in repr(fr)
    empty = frequency_response(LinearRNN(W=0.5), OMEGA)
    assert empty.response.shape == (97, 1, 0)


@pytest.mark.parametrize(
    "omega, exc, match",
    [
        ([0.1, np.nan], ValueError, r"omega must be finite; got non-finite value .*nan.* at index \(1,\)"),
        ([0.1, np.inf], ValueError, "omega must be finite"),
        ([[0.1, 0.2]], DimensionError, r"omega must have shape \(\?,\); got shape \(1, 2\)"),
        (0.5, DimensionError, r"omega must have shape \(\?,\); got shape \(\)"),
        ([], ValueError, "at least one frequency"),
        ("abc", TypeError, "omega must be an array of real numbers"),
        ([0.1j], TypeError, "omega must be real"),
    ],
)
def test_bad_omega_raises(omega, exc, match):
    rnn = LinearRNN(W=0.5, U=[[1.0]])
    with pytest.raises(exc, match=match):
        frequency_response(rnn, omega)
    with pytest.raises(exc, match=match):
        power_spectrum(rnn, omega, WhiteNoise(1.0))


def test_bad_target_and_model_raise():
    rnn = LinearRNN(W=0.5, U=[[1.0]])
    for func in (frequency_response, power_spectrum):
        with pytest.raises(ValueError, match="target must be"):
            func(rnn, OMEGA, target="state")
    for func in (transmission_zeros, h2_norm, hinf_norm):
        with pytest.raises(ValueError, match="target must be 'output' or 'hidden'; got 'y'"):
            func(rnn, target="y")
    with pytest.raises(TypeError, match="rnn must be a rnnss.LinearRNN; got StateSpace"):
        frequency_response(rnnss.to_statespace(rnn), OMEGA)


def test_omega_on_a_unit_circle_pole_raises():
    """A rotation has poles on the unit circle: the response at their angle is infinite."""
    th = 0.3
    rnn = LinearRNN(W=[[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]], U=[[1.0], [0.0]])
    with pytest.raises(NumericalError, match=r"omega\[1\] = 0.3.* lies on a pole"):
        frequency_response(rnn, [0.1, th])
    assert np.all(np.isfinite(frequency_response(rnn, [0.1, th + 1e-6]).response))


# -- poles and zeros ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rnn", _systems(), ids=[str(s) for s in SHAPES])
def test_poles_match_python_control(rnn):
    """Reference: control.poles(to_statespace(rnn))."""
    np.testing.assert_allclose(_sorted(poles(rnn)), _sorted(control.poles(rnnss.to_statespace(rnn))), atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_zeros_match_slycot_on_the_rnn_realisation(seed):
    """Reference: control.zeros (SLICOT AB08ND) of the realisation (W, U, VW, VU) of H, square and non-square."""
    gen = np.random.default_rng(seed)
    n, m, p = (int(k) for k in gen.integers(1, [7, 4, 4]))
    rnn = random_stable(n, m, p, 100 + seed, bias=False)
    for target, C in (("output", rnn.V), ("hidden", np.eye(n))):
        ours = transmission_zeros(rnn, target=target)
        ref = control.zeros(_ss(rnn.W, rnn.U, C @ rnn.W, C @ rnn.U))
        assert len(ours) == len(ref), (n, m, p, target, ours, ref)
        np.testing.assert_allclose(_sorted(ours), _sorted(ref), atol=1e-7)


@pytest.mark.parametrize("seed", range(5))
def test_square_zeros_are_python_controls_plus_m_at_the_origin(seed):
    """Reference: control.zeros(to_statespace(rnn)) = zeros of G; det P_H(z) = +-z^m det P_G(z)."""
    m = 1 + seed % 3
    rnn = random_stable(5, m, m, 200 + seed, bias=False)
    ref = np.concatenate([control.zeros(rnnss.to_statespace(rnn)), np.zeros(m)])
    np.testing.assert_allclose(_sorted(transmission_zeros(rnn)), _sorted(ref), atol=1e-8)


def test_siso_zeros_closed_form_roots_of_numerator():
    """Closed form: H = z num_G(z) / den(z), so the zeros are the roots of num_G and 0."""
    rnn = random_stable(5, 1, 1, 21, bias=False)
    num, _ = scipy.signal.ss2tf(rnn.W, rnn.U, rnn.V, [[0.0]])
    ref = np.concatenate([np.roots(np.trim_zeros(num[0], "f")), [0.0]])
    np.testing.assert_allclose(_sorted(transmission_zeros(rnn)), _sorted(ref), atol=1e-9)


def test_structured_nonsquare_and_degenerate_zeros_match_slycot():
    """Reference: control.zeros on tall/wide systems that do have zeros, and on degenerate ones."""
    base = random_stable(4, 1, 1, 31, bias=False)
    W, u, v = base.W, base.U, base.V
    cases = {
        "tall, repeated output": (W, u, np.vstack([v, 2 * v])),
        "wide, repeated input": (W, np.hstack([u, -3 * u]), v),
        "zero read-out": (W, u, np.zeros((2, 4))),
        "uncontrollable mode": (np.diag([0.5, -0.3, 0.8]), np.array([[1.0], [1.0], [0.0]]), np.ones((1, 3))),
        "singular W": (np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[0.0], [1.0]]), np.array([[1.0, 0.5]])),
    }
    for name, (A, B, C) in cases.items():
        rnn = LinearRNN(W=A, U=B, V=C)
        ours = transmission_zeros(rnn)
        ref = control.zeros(_ss(A, B, C @ A, C @ B))
        assert len(ours) == len(ref), (name, ours, ref)
        np.testing.assert_allclose(_sorted(ours), _sorted(ref), atol=1e-8, err_msg=name)
    # The tall system has the SISO system's zeros.
    np.testing.assert_allclose(
        _sorted(transmission_zeros(LinearRNN(W=W, U=u, V=np.vstack([v, 2 * v])))),
        _sorted(transmission_zeros(base)),
        atol=1e-9,
    )


@pytest.mark.parametrize("n, m, p", [(12, 3, 4), (23, 1, 3), (9, 3, 2), (6, 2, 1)])
def test_nonsquare_zeros_at_the_origin_have_the_structural_count(n, m, p):
    """Closed form: with W invertible H(z) = z G(z) and G(0) of full rank, so a generic non-square H has
    exactly min(m, p) zeros, all at z = 0 (G itself has none). SLICOT's count wavers on such systems
    (it changes when B is scaled by 1 + 1e-4), so the structure is the reference here."""
    rnn = random_stable(n, m, p, 300 + n, radius=0.99, bias=False)
    assert np.linalg.matrix_rank(rnn.V @ np.linalg.solve(-rnn.W, rnn.U)) == min(m, p)  # G(0)
    z = transmission_zeros(rnn)
    assert len(z) == min(m, p) and np.all(np.abs(z) < 1e-10)


def test_zeros_need_inputs():
    with pytest.raises(ValueError, match="need inputs; this network has p = 0"):
        transmission_zeros(LinearRNN(W=0.5))


# -- norms ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rnn", _systems(), ids=[str(s) for s in SHAPES])
def test_h2_norm_matches_python_control_and_impulse_sum(rnn):
    """References: control.norm(sys, 2) (SLICOT) and the sum of squared Markov parameters (brute force)."""
    ref = control.norm(rnnss.to_statespace(rnn), 2)
    assert h2_norm(rnn) == pytest.approx(ref, rel=1e-11)
    irf = rnnss.impulse_response(rnn, 2000, target="hidden")  # radius 0.8: 0.8^4000 is far below eps
    assert h2_norm(rnn, target="hidden") == pytest.approx(math.sqrt(np.sum(irf**2)), rel=1e-12)


@pytest.mark.parametrize(
    "rnn",
    [
        *_systems(),
        resonator(0.7, radius=0.999),
        resonator(0.7, radius=0.99999),
        resonator(0.0, radius=0.99),
        LinearRNN(W=[[0.9, 5.0], [0.0, 0.9]], U=[[0.0], [1.0]], V=[[1.0, 0.0]]),
        LinearRNN(W=[[0.0]], U=[[2.0]]),
    ],
    ids=[*(str(s) for s in SHAPES), "sharp-resonator", "very-sharp-resonator", "dc-resonator", "non-normal", "fir"],
)
def test_hinf_norm_matches_slycot_and_is_attained(rnn):
    """Reference: control.linfnorm (SLICOT AB13DD, tol 1e-12); the value is a gain attained at .omega."""
    res = hinf_norm(rnn)
    ref, _ = control.linfnorm(rnnss.to_statespace(rnn), tol=1e-12)
    assert res.value == pytest.approx(float(ref), rel=1e-9)
    attained = np.linalg.svd(frequency_response(rnn, [res.omega]).response[0], compute_uv=False)[0]
    assert attained == pytest.approx(res.value, rel=1e-14)
    grid = np.linspace(0, np.pi, 4001)
    assert res.value >= np.max(np.linalg.svd(frequency_response(rnn, grid).response, compute_uv=False)) * (1 - 1e-14)
    assert float(res) == res.value and "HinfNorm(value=" in repr(res)


def test_hinf_closed_forms():
    """Closed forms: 1 / (1 - a) for a > 0 at DC; 1 / (1 + a) ... at Nyquist for a < 0."""
    assert float(hinf_norm(LinearRNN(W=0.6, U=[[1.0]]))) == pytest.approx(2.5, rel=1e-12)
    res = hinf_norm(LinearRNN(W=-0.6, U=[[1.0]]))
    assert res.value == pytest.approx(2.5, rel=1e-12) and res.omega == pytest.approx(np.pi)
    assert float(hinf_norm(LinearRNN(W=0.6, U=[[1.0]]), target="hidden")) == pytest.approx(2.5, rel=1e-12)
    assert float(hinf_norm(LinearRNN(W=0.5))) == 0.0


def test_hinf_rtol_validated():
    with pytest.raises(ValueError, match=r"rtol must be in \[1e-14, 1e-2\]; got 0.5"):
        hinf_norm(LinearRNN(W=0.5, U=[[1.0]]), rtol=0.5)


@pytest.mark.parametrize(
    "call",
    [
        lambda r: hinf_norm(r),
        lambda r: power_spectrum(r, OMEGA, WhiteNoise(1.0)),
        lambda r: response_covariance(r, WhiteNoise(1.0)),
        lambda r: snr_gain(r, Sinusoid(0.3), WhiteNoise(1.0)),
    ],
    ids=["hinf", "psd", "covariance", "snr"],
)
@pytest.mark.parametrize("w", [1.0, 1.2])
def test_unstable_or_marginal_network_raises_not_stable(call, w):
    with pytest.raises(NotStableError, match=rf"spectral radius of W is {w:g} >= 1"):
        call(LinearRNN(W=w, U=[[1.0]]))


@pytest.mark.parametrize("seed", range(5))
def test_h2_norm_is_infinite_for_rotations_and_orthogonal_w_as_python_control_says(seed):
    """Reference: python-control's system_norm(p=2) is inf for a system that is not asymptotically stable; a rotation's
    computed spectral radius 0.9999999999999999 must not pass as stable (it did: rnnss returned 0.0)."""
    th = 0.1 + seed
    rot = LinearRNN(W=[[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]], U=[[1.0], [0.0]], V=[[1.0, 0.0]])
    orth = LinearRNN(W=rnnss.random_orthogonal(6, rng=seed), U=np.ones((6, 1)), V=np.ones((1, 6)))
    for rnn in (rot, orth):
        assert not rnn.is_stable
        assert h2_norm(rnn) == math.inf
        with pytest.raises(NotStableError, match="within rounding error of 1|>= 1"):
            rnnss.stationary_covariance(rnn)
        with pytest.raises(NotStableError):
            rnnss.controllability_gramian(rnn)
    with pytest.warns(UserWarning, match="unit circle"):
        assert control.system_norm(rnnss.to_statespace(rot), p=2) == math.inf


def test_h2_norm_of_an_unstable_network_is_infinite():
    assert h2_norm(LinearRNN(W=1.2, U=[[1.0]])) == math.inf
    assert h2_norm(LinearRNN(W=0.5)) == 0.0


# -- power spectra and Parseval ------------------------------------------------------------------------


MIXED = [WhiteNoise([[1.0, 0.3], [0.3, 0.5]]), ARNoise([0.5, -0.3], 0.7), Sinusoid(0.7, [1.0, -2.0])]


@pytest.mark.parametrize("target", ["output", "hidden", "input"])
def test_parseval_lyapunov_equals_integral_of_psd_exactly(target):
    """Lyapunov covariance = (1/2pi) int S + line powers, by the periodic trapezoid rule.

    For a rational spectrum the K-point rule on [0, 2 pi) is exact up to the aliased autocovariances
    gamma(K), gamma(2K), ..., which decay like rho^K: with rho = 0.9 and K = 2048 that is 1e-94.
    """
    rnn = random_stable(4, 2, 2, 5, radius=0.9, bias=False)
    cov = response_covariance(rnn, MIXED, target=target)
    K = 2048
    S = power_spectrum(rnn, 2 * np.pi * np.arange(K) / K, MIXED, target=target)
    total = np.real(S.density.mean(axis=0)) + S.line_power.sum(axis=0)
    np.testing.assert_allclose(total, cov, rtol=0, atol=1e-12 * np.abs(cov).max())


def test_parseval_with_scipy_quad_to_1e10():
    """Reference: scipy.integrate.quad of the output PSD (tight tolerances) for white + AR(2) inputs and Q, R."""
    rnn = dataclasses.replace(random_stable(3, 1, 1, 8, radius=0.95, bias=False), Q=0.2 * np.eye(3), R=0.3)
    inputs = [WhiteNoise(0.5), ARNoise([1.2, -0.6], 1.0)]
    var = response_covariance(rnn, inputs)[0, 0]

    def density(w):
        return power_spectrum(rnn, [w], inputs).total[0]

    val, err = scipy.integrate.quad(density, 0.0, np.pi, epsabs=1e-13, epsrel=1e-13, limit=500)
    assert val / np.pi == pytest.approx(var, rel=1e-10)


def test_scalar_spectra_closed_forms():
    """Closed forms for h_t = a h_{t-1} + x_t + eta_t, y = h + eps: S_h = (s + q) / |1 - a e^{-iw}|^2."""
    a, s, q, r = 0.8, 1.5, 0.5, 0.1
    rnn = LinearRNN(W=a, U=[[1.0]], Q=q, R=r)
    S = power_spectrum(rnn, OMEGA, WhiteNoise(s))
    np.testing.assert_allclose(S.auto[:, 0], (s + q) / np.abs(1 - a * np.exp(-1j * OMEGA)) ** 2 + r, rtol=1e-13)
    assert response_covariance(rnn, WhiteNoise(s))[0, 0] == pytest.approx((s + q) / (1 - a**2) + r, rel=1e-13)
    assert response_covariance(rnn, WhiteNoise(s), noise=False)[0, 0] == pytest.approx(s / (1 - a**2), rel=1e-13)
    Sx = power_spectrum(rnn, OMEGA, ARNoise([0.5], 2.0), target="input")
    np.testing.assert_allclose(Sx.auto[:, 0], 2.0 / np.abs(1 - 0.5 * np.exp(-1j * OMEGA)) ** 2, rtol=1e-13)


def test_ar_input_covariance_matches_statsmodels_acovf():
    """Reference: statsmodels ArmaProcess.acovf for the AR(3) input itself."""
    phi, s2 = [0.5, -0.3, 0.2], 1.7
    ref = ArmaProcess(ar=np.r_[1.0, -np.array(phi)]).acovf(1)[0] * s2
    rnn = LinearRNN(W=0.3, U=[[1.0]])
    assert response_covariance(rnn, ARNoise(phi, s2), target="input")[0, 0] == pytest.approx(ref, rel=1e-12)


def test_psd_callable_reproduces_ar_noise_by_quadrature():
    """The augmented-Lyapunov AR covariance equals the quadrature over the same density given as a PSD."""
    phi = np.array([0.9, -0.5])
    psd = PSD(lambda w: 1.3 / np.abs(1 - phi[0] * np.exp(-1j * w) - phi[1] * np.exp(-2j * w)) ** 2)
    rnn = random_stable(3, 2, 1, 9, bias=False)
    for target in ("input", "hidden", "output"):
        np.testing.assert_allclose(
            response_covariance(rnn, psd, target=target),
            response_covariance(rnn, ARNoise(phi, 1.3), target=target),
            rtol=1e-10,
            atol=1e-12,
        )


def test_psd_from_samples_is_the_linear_interpolant():
    """Closed form: through W = 0, U = 1 the variance is (1/pi) times the trapezoid integral of the samples."""
    w = np.array([0.0, 0.5, 1.0, 2.0, np.pi])
    s = np.array([1.0, 3.0, 0.5, 0.0, 2.0])
    rnn = LinearRNN(W=0.0, U=[[1.0]])
    psd = PSD.from_samples(w, s)
    assert response_covariance(rnn, psd)[0, 0] == pytest.approx(np.trapezoid(s, w) / np.pi, rel=1e-12)
    folded = power_spectrum(rnn, [-0.25, 0.25, 2 * np.pi - 0.25], psd, target="input").auto[:, 0]
    np.testing.assert_allclose(folded, 2.0)  # even and 2 pi-periodic


def test_matrix_psd_is_accepted_and_validated():
    rnn = random_stable(2, 1, 2, 12, bias=False)
    Sigma = np.array([[1.0, 0.2], [0.2, 0.5]])
    cov = response_covariance(rnn, PSD(lambda w: np.broadcast_to(Sigma, (len(w), 2, 2))))
    np.testing.assert_allclose(cov, response_covariance(rnn, WhiteNoise(Sigma)), rtol=1e-10)
    with pytest.raises(DimensionError, match=r"density must return shape \(1,\) or \(1, 2, 2\); got shape \(1, 3\)"):
        response_covariance(rnn, PSD(lambda w: np.ones((len(w), 3))))
    with pytest.raises(ValueError, match="PSD density must be non-negative"):
        power_spectrum(rnn, OMEGA, PSD(lambda w: -np.ones(len(w))))


def test_sinusoid_line_is_the_simulated_steady_state_including_the_phase_lead():
    """Brute force: simulate a sinusoid; after the transient h_t = Re(H_h(e^{iw}) a e^{i(w t + phi)}) (RNN timing)."""
    rnn = random_stable(3, 2, 1, 13, bias=False)
    w0, a, phi = 0.9, 1.7, 0.4
    t = np.arange(1, 301)
    h = rnnss.simulate(rnn, x=a * np.cos(w0 * t + phi), noise=False).h
    c = frequency_response(rnn, [w0], target="hidden").response[0, :, 0] * a
    np.testing.assert_allclose(h[200:], np.real(np.outer(np.exp(1j * (w0 * t[200:] + phi)), c)), atol=1e-12)
    S = power_spectrum(rnn, OMEGA, Sinusoid(w0, a), target="hidden", noise=False)
    np.testing.assert_allclose(S.line_power[0], 0.5 * np.real(np.outer(c, c.conj())), rtol=1e-13)
    assert S.line_omega[0] == w0 and np.all(S.density == 0)
    assert "1 line(s)" in repr(S)


def test_samplers_have_the_stated_second_moments():
    """Monte Carlo at 5 standard errors: AR(2) variance and lag-1 autocovariance (statsmodels), white noise."""
    phi, s2 = [0.6, -0.3], 0.8
    x = ARNoise(phi, s2).sample(2000, batch=50, rng=3)[:, :, 0]
    acov = ArmaProcess(ar=np.r_[1.0, -np.array(phi)]).acovf(2) * s2
    v0 = np.mean(x**2, axis=1)
    v1 = np.mean(x[:, 1:] * x[:, :-1], axis=1)
    for est, ref in ((v0, acov[0]), (v1, acov[1])):
        assert abs(est.mean() - ref) < 5 * est.std(ddof=1) / math.sqrt(len(est))
    assert abs(x[:, 0].var() - acov[0]) < 5 * acov[0] * math.sqrt(2 / 50)  # the first sample is stationary
    xw = WhiteNoise([[2.0, 0.5], [0.5, 1.0]]).sample(20000, 2, rng=4)
    np.testing.assert_allclose(np.cov(xw.T), [[2.0, 0.5], [0.5, 1.0]], atol=5 * 2.0 * math.sqrt(2 / 20000))
    xs = Sinusoid(0.3, 2.0).sample(5, batch=3, rng=5)
    assert xs.shape == (3, 5, 1) and np.all(np.abs(xs) <= 2.0)
    with pytest.raises(TypeError, match="PSD cannot be sampled"):
        PSD(lambda w: np.ones(len(w))).sample(10)


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: Sinusoid(3.5), ValueError, r"Sinusoid omega must be in \[0, pi\]"),
        (lambda: Sinusoid(np.nan), ValueError, "omega must be finite"),
        (lambda: Sinusoid(0.3, [[1.0]]), DimensionError, "Sinusoid amplitude must be a scalar or have shape"),
        (lambda: WhiteNoise(-1.0), ValueError, "variance must be >= 0"),
        (lambda: WhiteNoise([[1.0, 2.0], [2.0, 1.0]]), ValueError, "variance must be symmetric positive semi-definite"),
        (lambda: WhiteNoise(np.ones(3)), DimensionError, r"variance must be a scalar or a \(p, p\) covariance"),
        (lambda: ARNoise([1.0]), NotStableError, "stationary process .* modulus 1 >= 1"),
        (lambda: ARNoise([0.5, 0.6]), NotStableError, "stationary process"),
        (lambda: ARNoise([[0.5]]), DimensionError, "coeffs must have shape"),
        (lambda: PSD(3.0), TypeError, "PSD density must be a callable"),
        (lambda: PSD(np.cos, breakpoints=[4.0]), ValueError, r"breakpoints must lie in \(0, pi\)"),
        (lambda: PSD.from_samples([0.0, 1.0], [1.0, 1.0]), ValueError, "from 0 to pi"),
        (lambda: PSD.from_samples([0.0, np.pi], [1.0, -1.0]), ValueError, "non-negative"),
    ],
)
def test_bad_spectrum_records_raise(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_spectrum_inputs_are_checked_against_the_network():
    rnn = random_stable(3, 1, 2, 14, bias=False)
    with pytest.raises(DimensionError, match=r"amplitude must have shape \(2,\) .* for p = 2 inputs; got a scalar"):
        response_covariance(rnn, Sinusoid(0.2, 1.0))
    with pytest.raises(DimensionError, match=r"variance must be a scalar or have shape \(2, 2\) for p = 2 inputs"):
        power_spectrum(rnn, OMEGA, WhiteNoise(np.eye(3)))
    with pytest.raises(TypeError, match="inputs must be a Sinusoid, WhiteNoise, ARNoise or PSD record, or a list"):
        power_spectrum(rnn, OMEGA, [WhiteNoise(1.0), 0.5])
    with pytest.raises(ValueError, match=r"this network has no inputs \(p = 0\)"):
        response_covariance(LinearRNN(W=0.5), WhiteNoise(1.0))
    # Without inputs only the model noise remains.
    np.testing.assert_allclose(response_covariance(LinearRNN(W=0.5, Q=0.75)), [[1.0]], rtol=1e-14)


# -- SNR -----------------------------------------------------------------------------------------------


def test_snr_gain_closed_form_first_order():
    """Closed form for h_t = a h_{t-1} + x_t, sinusoid at w0 in white noise: gain = (1 - a^2) / |1 - a e^{-i w0}|^2."""
    a, w0 = 0.8, 0.2
    g = snr_gain(LinearRNN(W=a, U=[[1.0]]), Sinusoid(w0, 3.0), WhiteNoise(2.0))
    assert g.input_snr == pytest.approx(4.5 / 2.0, rel=1e-14)
    assert g.gain == pytest.approx((1 - a**2) / abs(1 - a * np.exp(-1j * w0)) ** 2, rel=1e-12)
    assert g.gain_db == pytest.approx(10 * np.log10(g.gain)) and float(g) == g.gain


def test_resonator_snr_gain_is_peak_over_mean_gain():
    """Independent route: |H_h(e^{i w0})|^2 / ||H_h||_2^2 from frequency_response and h2_norm."""
    res = resonator(0.6, radius=0.95)
    g = snr_gain(res, Sinusoid(0.6, 1.0), WhiteNoise(1.0))
    peak = np.sum(np.abs(frequency_response(res, [0.6], target="hidden").response) ** 2)
    assert g.gain == pytest.approx(peak / h2_norm(res, target="hidden") ** 2, rel=1e-12)
    assert g.gain == pytest.approx(1.95 / 0.1, rel=0.01)  # (1 + alpha) / (2 (1 - alpha)), up to the mirror pole
    assert g.per_unit_snr.shape == (2,)
    # Model noise counts as noise; off-tune sinusoids gain less.
    assert snr_gain(dataclasses.replace(res, Q=0.01), Sinusoid(0.6), WhiteNoise(1.0)).gain < g.gain
    assert snr_gain(res, Sinusoid(1.2), WhiteNoise(1.0)).gain < 1.0


def test_snr_of_psd_described_signal_equals_its_rational_twin():
    res = resonator(1.0, bandwidth=0.1)
    ar = ARNoise([2 * 0.97 * np.cos(1.0), -(0.97**2)], 0.01)  # a narrow-band AR(2) signal near omega = 1
    psd = PSD(lambda w: ar._density(w, 1)[:, 0, 0].real)
    g1 = snr_gain(res, ar, WhiteNoise(1.0))
    g2 = snr_gain(res, psd, WhiteNoise(1.0))
    assert g2.gain == pytest.approx(g1.gain, rel=1e-9) and g1.gain > 3


def test_snr_bad_input():
    res = resonator(0.5, radius=0.9)
    with pytest.raises(ValueError, match="noise must describe at least one input component"):
        snr_gain(res, Sinusoid(0.5), [])
    with pytest.raises(ValueError, match="noise has zero power at the input"):
        snr_gain(res, Sinusoid(0.5), WhiteNoise(0.0))
    with pytest.raises(ValueError, match="signal has zero power at the input"):
        snr_gain(res, Sinusoid(0.5, 0.0), WhiteNoise(1.0))
    with pytest.raises(ValueError, match="target must be 'output' or 'hidden'"):
        snr_gain(res, Sinusoid(0.5), WhiteNoise(1.0), target="input")
    with pytest.raises(TypeError, match="PSD cannot be sampled"):
        snr_gain_mc(res, PSD(lambda w: np.ones(len(w))), WhiteNoise(1.0), steps=500, n_runs=2, rng=0)
    with pytest.raises(ValueError, match="steps must exceed burn_in = 175"):
        snr_gain_mc(res, Sinusoid(0.5), WhiteNoise(1.0), steps=100, n_runs=2, rng=0)


def test_documented_example_tuned_resonator_simulation_matches_analytic_within_2_se():
    """docs/frequency.md: alpha = 0.95 resonator at w0 = 0.6 on a unit sinusoid in unit white noise.

    40 independent runs of 4000 steps (burn-in 360); jackknife standard error over runs.
    """
    res = resonator(0.6, radius=0.95)
    mc = snr_gain_mc(res, Sinusoid(0.6, 1.0), WhiteNoise(1.0), steps=4000, n_runs=40, rng=2026)
    assert mc.analytic.gain == pytest.approx(19.5402, abs=1e-4)
    assert mc.standard_error < 0.02 * mc.analytic.gain  # the comparison has teeth
    assert abs(mc.gain - mc.analytic.gain) < 2 * mc.standard_error, repr(mc)
    assert mc.window == (360, 4000) and float(mc) == mc.gain


def test_monte_carlo_standard_error_is_honest():
    """Over 60 independent replications the z-scores have mean ~0 and spread ~1 (t with 19 dof: sd 1.05)."""
    res = resonator(1.2, radius=0.9, Q=0.02, R=0.3)
    sig, noise = Sinusoid(1.2, 0.7), [ARNoise([0.7], 0.5), WhiteNoise(0.2)]
    z = np.array([snr_gain_mc(res, sig, noise, steps=700, n_runs=20, rng=7000 + k).z_score for k in range(60)])
    assert abs(z.mean()) < 3 / math.sqrt(60)
    assert 0.75 < z.std(ddof=1) < 1.4


def test_hidden_target_and_model_noise_in_simulation():
    res = resonator(0.9, radius=0.9, Q=0.05)
    mc = snr_gain_mc(res, Sinusoid(0.9, 1.0), WhiteNoise(0.5), steps=2000, n_runs=20, target="hidden", rng=11)
    assert abs(mc.z_score) < 3, repr(mc)
    assert "MonteCarloSNR(gain=" in repr(mc) and mc.contains_analytic == (mc.ci[0] <= mc.analytic.gain <= mc.ci[1])


# -- resonator design ----------------------------------------------------------------------------------


def test_resonator_is_the_seeds_alpha_rotation():
    w0, r = 0.8, 0.93
    res = resonator(w0, radius=r)
    A = np.array([[np.cos(w0), -np.sin(w0)], [np.sin(w0), np.cos(w0)]])
    np.testing.assert_allclose(res.W, r * A, rtol=1e-15)
    np.testing.assert_allclose(res.U, [[r], [0.0]])
    np.testing.assert_allclose(poles(res), r * np.exp(np.array([1j, -1j]) * w0), rtol=1e-14)
    assert hinf_norm(res, target="hidden").omega == pytest.approx(w0, abs=0.01)


@pytest.mark.parametrize("bw", [0.02, 0.2, 1.0])
def test_resonator_bandwidth_is_the_half_power_width_of_the_pole_factor(bw):
    """Brute force: measure where 1 / |1 - r e^{i(w0 - w)}|^2 falls to half its peak on a fine grid."""
    r = abs(poles(resonator(1.5, bandwidth=bw))[0])
    d = np.linspace(0, bw, 200001)  # offsets from w0; the half-power point is at bw / 2
    g = 1 / np.abs(1 - r * np.exp(1j * d)) ** 2
    half = d[np.argmin(np.abs(g - g[0] / 2))]
    assert 2 * half == pytest.approx(bw, abs=2 * bw / 200000)
    # And the actual resonator's -3 dB band is close to it when w0 is far from 0 and pi.
    res = resonator(1.5, bandwidth=bw)
    w = np.linspace(1.5 - 2 * bw, 1.5 + 2 * bw, 20001)
    mag2 = np.sum(frequency_response(res, w, target="hidden").magnitude ** 2, axis=(1, 2))
    band = w[mag2 >= mag2.max() / 2]
    assert band.max() - band.min() == pytest.approx(bw, rel=0.1)


def test_resonator_normalize_and_options():
    res = resonator(0.5, radius=0.9, normalize=True, Q=0.1, dt=0.02)
    gain = np.linalg.norm(frequency_response(res, [0.5], target="hidden").response[0, :, 0])
    assert gain == pytest.approx(1.0, rel=1e-14)
    assert res.dt == 0.02 and res.Q[0, 0] == 0.1
    g1 = snr_gain(resonator(0.5, radius=0.9), Sinusoid(0.5), WhiteNoise(1.0), model_noise=False).gain
    assert snr_gain(res, Sinusoid(0.5), WhiteNoise(1.0), model_noise=False).gain == pytest.approx(g1, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(omega0=4.0, radius=0.9), r"omega0 must be in \[0, pi\]"),
        (dict(omega0=0.5), "exactly one of radius and bandwidth"),
        (dict(omega0=0.5, radius=0.9, bandwidth=0.1), "exactly one of radius and bandwidth"),
        (dict(omega0=0.5, radius=1.0), r"radius must be in \(0, 1\)"),
        (dict(omega0=0.5, bandwidth=7.0), r"bandwidth must be in \(0, 2 pi\)"),
    ],
)
def test_resonator_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        resonator(**kwargs)


# -- the SNR-optimal RNN (the steady-state Kalman/Wiener filter) -----------------------------------------------


def _filter_error_power(signal, A, B, C):
    """Brute force: stationary E||C f_t - V h_t||^2 of a linear filter f_t = A f_{t-1} + B y_t (augmented Lyapunov)."""
    import scipy.linalg

    n, k = signal.n_hidden, A.shape[0]
    W_aug = np.block([[signal.W, np.zeros((n, k))], [B @ signal.V @ signal.W, A]])
    G = np.block([[np.eye(n), np.zeros((n, signal.n_outputs))], [B @ signal.V, B]])
    noise = scipy.linalg.block_diag(signal.Q, signal.R)
    S = scipy.linalg.solve_discrete_lyapunov(W_aug, G @ noise @ G.T)
    E = np.hstack([signal.V, -C])
    return float(np.trace(E @ S @ E.T))


def test_snr_optimal_rnn_is_the_kalman_filter_and_beats_every_perturbation():
    """Reference: brute-force stationary error of the filter and of 200 random perturbations of it."""
    import rnnss
    from rnnss import snr_optimal_rnn

    signal = rnnss.random_rnn(3, 2, radius=0.9, rng=4)
    opt = snr_optimal_rnn(signal)
    f = rnnss.kalman_rnn(signal)
    np.testing.assert_array_equal(opt.rnn.W, f.W)
    np.testing.assert_array_equal(opt.rnn.U, f.U)
    power = np.trace(signal.V @ rnnss.stationary_covariance(signal) @ signal.V.T)
    best = _filter_error_power(signal, f.W, f.U, signal.V)
    assert power / best == pytest.approx(opt.output_snr, rel=1e-9)
    gen = np.random.default_rng(0)
    for _ in range(200):
        A = f.W + 0.05 * gen.standard_normal(f.W.shape)
        if np.max(np.abs(np.linalg.eigvals(A))) >= 1:
            continue
        B = f.U + 0.05 * gen.standard_normal(f.U.shape)
        assert _filter_error_power(signal, A, B, signal.V) >= best * (1 - 1e-12)
    assert opt.gain == pytest.approx(opt.output_snr / opt.input_snr) and "dB" in repr(opt)


def test_snr_optimal_rnn_scalar_closed_form_and_simulation():
    """AR(1) in white noise: output SNR = (q / (1 - a^2)) / P_f with the closed-form P_f; simulation agrees."""
    import rnnss
    from rnnss import snr_optimal_rnn

    a, q, r = 0.95, 0.1, 1.0
    opt = snr_optimal_rnn(rnnss.LinearRNN(W=a, Q=q, R=r))
    pf = rnnss.ar1_mse_ratio(a, q, r).filter_mse
    assert opt.output_snr == pytest.approx(q / (1 - a * a) / pf, rel=1e-12)
    assert opt.input_snr == pytest.approx(q / (1 - a * a) / r, rel=1e-12)
    signal = rnnss.with_stationary_prior(rnnss.LinearRNN(W=a, Q=q, R=r))
    traj = rnnss.simulate(signal, 200_000, rng=1)
    est = rnnss.simulate(opt.rnn, x=traj.y, noise=False).y
    err = np.mean((est[1000:] - traj.h[1000:]) ** 2)
    assert err == pytest.approx(float(opt.error_cov[0, 0]), rel=0.02)  # MC error ~0.5% at this length


def test_snr_optimal_rnn_needs_a_stable_signal():
    import rnnss
    from rnnss import snr_optimal_rnn

    with pytest.raises(rnnss.NotStableError):
        snr_optimal_rnn(rnnss.LinearRNN(W=1.01, Q=1.0, R=1.0))
