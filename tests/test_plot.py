"""Tests of rnnss.plot: every figure builds with the Agg backend and holds the data it claims (no pixel tests)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnss  # noqa: E402
from rnnss import (  # noqa: E402
    Sinusoid,
    WhiteNoise,
    frequency_response,
    poles,
    resonator,
    transmission_zeros,
)
from rnnss.plot import plot_bode, plot_pole_zero, plot_psd  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _data_lines(ax):
    return [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]


def test_bode_of_a_mimo_network_has_one_line_per_channel():
    rnn = rnnss.random_rnn(3, 2, 2, rng=0)
    fig = plot_bode(rnn)
    ax_m, ax_p = fig.axes
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 2
    labels = [ln.get_label() for ln in _data_lines(ax_m)]
    assert labels == ["y1 <- x1", "y1 <- x2", "y2 <- x1", "y2 <- x2", "Nyquist"]
    assert len(_data_lines(ax_p)) == 4
    assert ax_m.get_xscale() == "log" and ax_m.get_ylabel() == "magnitude [dB]" and ax_p.get_ylabel() == "phase [deg]"
    # The curves are the frequency response (default grid: 1000 log-spaced points up to pi).
    fr = frequency_response(rnn, np.geomspace(np.pi / 1000, np.pi, 1000))
    x, y = _data_lines(ax_m)[1].get_data()
    np.testing.assert_allclose(x, fr.omega)
    np.testing.assert_allclose(y, 20 * np.log10(fr.magnitude[:, 0, 1]))
    np.testing.assert_allclose(_data_lines(ax_p)[2].get_ydata(), np.degrees(fr.phase[:, 1, 0]))


def test_bode_from_a_frequency_response_in_hz_and_into_given_axes():
    rnn = resonator(0.5, radius=0.9, dt=0.02)
    fr = frequency_response(rnn, np.linspace(0.01, np.pi, 50), target="hidden")
    fig0, axes = plt.subplots(2, 1)
    fig = plot_bode(fr, hz=True, db=False, xscale="linear", axes=axes)
    assert fig is fig0
    assert [ln.get_label() for ln in _data_lines(axes[0])] == ["h1 <- x1", "h2 <- x1", "Nyquist"]
    np.testing.assert_allclose(_data_lines(axes[0])[0].get_xdata(), fr.frequency)
    assert "cycles per time unit" in axes[1].get_xlabel() and axes[0].get_yscale() == "log"
    assert axes[0].get_lines()[-1].get_xdata()[0] == pytest.approx(25.0)  # Nyquist at 1 / (2 dt)


def test_bode_bad_arguments():
    fr = frequency_response(resonator(0.5, radius=0.9), [0.1, 0.2])
    with pytest.raises(ValueError, match="omega must be omitted"):
        plot_bode(fr, [0.1])
    with pytest.raises(TypeError, match="system must be a rnnss.LinearRNN or FrequencyResponse; got str"):
        plot_bode("model")
    with pytest.raises(ValueError, match="xscale must be"):
        plot_bode(fr, xscale="symlog")


def test_pole_zero_map_marks_poles_and_zeros():
    rnn = rnnss.random_rnn(4, 1, 1, rng=3)
    fig = plot_pole_zero(rnn)
    ax = fig.axes[0]
    circle, p_line, z_line = ax.get_lines()[:3]
    np.testing.assert_allclose(np.hypot(*circle.get_data()), 1.0)
    p_ = poles(rnn)
    z_ = transmission_zeros(rnn)
    np.testing.assert_allclose(p_line.get_xdata() + 1j * p_line.get_ydata(), p_)
    np.testing.assert_allclose(z_line.get_xdata() + 1j * z_line.get_ydata(), z_)
    assert p_line.get_label() == "poles (4)" and z_line.get_label() == f"zeros ({len(z_)})"
    # Without inputs only the poles are drawn.
    fig2 = plot_pole_zero(rnnss.LinearRNN(W=0.5))
    assert fig2.axes[0].get_lines()[2].get_label() == "zeros (0)"


def test_psd_plot_shows_input_and_hidden_densities_and_line_powers():
    res = resonator(0.6, radius=0.95)
    fig = plot_psd(res, inputs=[Sinusoid(0.6, 1.0), WhiteNoise(1.0)])
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in _data_lines(ax)]
    assert labels == ["input", "hidden", "sinusoid power (input)", "sinusoid power (hidden)"]
    assert ax.get_yscale() == "log"
    inp, hid, line_in, line_h = _data_lines(ax)
    np.testing.assert_allclose(inp.get_ydata(), 1.0)  # white noise of unit variance
    assert np.max(hid.get_ydata()) > 100  # the resonance lifts the noise floor near omega0
    assert line_in.get_ydata()[0] == pytest.approx(0.5)  # a unit sinusoid carries power 1/2
    assert line_h.get_ydata()[0] > 10 * line_in.get_ydata()[0]
    assert len(ax.collections) == 2  # one stem collection per signal


def test_psd_plot_errors():
    with pytest.raises(rnnss.NotStableError):
        plot_psd(rnnss.LinearRNN(W=1.1, U=[[1.0]]), inputs=WhiteNoise(1.0))
    with pytest.raises(ValueError, match="target must be 'hidden' or 'output'"):
        plot_psd(resonator(0.5, radius=0.9), inputs=WhiteNoise(1.0), target="input")


def test_plot_module_imports_matplotlib_lazily():
    import subprocess
    import sys

    code = "import sys, rnnss.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_equivalence_plot_shows_both_error_curves_and_the_theory():
    import rnnss
    from rnnss.plot import plot_equivalence

    rnn = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0, h0=[3.0])
    report = rnnss.verify_kalman_equivalence(rnn, rnnss.simulate(rnn, 300, rng=0).y, peers=False)
    fig = plot_equivalence(report)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 4  # filter, smoother, theory, tolerance
    np.testing.assert_allclose(lines[0].get_ydata()[50:], np.maximum(report.filter_errors[50:], np.finfo(float).tiny))
    assert lines[3].get_ydata()[0] == pytest.approx(
        report.tol * np.max(np.abs(rnnss.kalman_filter(rnn, rnnss.simulate(rnn, 300, rng=0).y).filtered_means))
    )
    assert fig.axes[0].get_yscale() == "log"


def test_mse_sweep_plot_has_one_curve_per_radius():
    import rnnss
    from rnnss.plot import plot_mse_ratio_sweep

    sweep = rnnss.mse_ratio_sweep(noise_ratio=[0.1, 1.0, 10.0], radius=[0.5, 0.9])
    fig = plot_mse_ratio_sweep(sweep)
    curves = [ln for ln in fig.axes[0].get_lines() if len(ln.get_xdata()) == 3]
    assert len(curves) == 2
    np.testing.assert_allclose(curves[1].get_ydata(), sweep.ratio[:, 1])


def test_plot_psd_old_argument_order_still_works_with_a_deprecation_warning():
    res = resonator(0.5, radius=0.9)
    with pytest.warns(DeprecationWarning, match="plot_psd\\(rnn, omega, inputs\\)"):
        fig = plot_psd(res, WhiteNoise(1.0), np.linspace(0.1, 3.0, 50))
    assert len(fig.axes[0].get_lines()[0].get_xdata()) == 50
    with pytest.raises(TypeError, match="needs the input spectrum"):
        plot_psd(res)
