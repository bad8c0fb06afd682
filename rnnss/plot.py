"""Matplotlib figures of rnnss models and results; matplotlib is imported only when a plot is made."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from .cells import Cell
from .dynamics import FixedPoints, LyapunovSpectrum, TanhBifurcation
from .frequency import FrequencyResponse, frequency_response, poles, transmission_zeros
from .linear import LinearRNN
from .memory import GradientFlow
from .spectra import InputSpectrum, power_spectrum
from .training import TrainingResult

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

__all__ = [
    "plot_bode",
    "plot_pole_zero",
    "plot_psd",
    "plot_equivalence",
    "plot_mse_ratio_sweep",
    "plot_phase_portrait",
    "plot_bifurcation",
    "plot_lyapunov",
    "plot_gradient_norms",
    "plot_training",
]


def _pyplot() -> Any:
    import matplotlib.pyplot as plt

    return plt


def _new_axes(ax: Any, nrows: int = 1, **kwargs: Any) -> tuple[Any, Any]:
    """``(figure, axes)``: new ones, or the figure of the axes the caller passed."""
    if ax is None:
        return _pyplot().subplots(nrows, 1, squeeze=True, **kwargs)
    first = ax[0] if isinstance(ax, (list, tuple, np.ndarray)) else ax
    return first.figure, ax


def _freq_axis(omega: np.ndarray, dt: float, hz: bool) -> tuple[np.ndarray, str, float]:
    """Abscissa values, label and Nyquist frequency in the chosen unit."""
    if hz:
        return omega / (2.0 * np.pi * dt), f"frequency [cycles per time unit; dt = {dt:g}]", 1.0 / (2.0 * dt)
    return omega, r"$\omega$ [rad/sample]", np.pi


def plot_bode(
    system: LinearRNN | FrequencyResponse,
    omega: ArrayLike | None = None,
    *,
    target: str = "output",
    hz: bool = False,
    db: bool = True,
    xscale: str = "log",
    axes: Any = None,
) -> Figure:
    """Bode plot: magnitude and phase of every input-to-output (or hidden) channel against frequency.

    The phase is the RNN's own (input acting in the same step, see :func:`rnnss.frequency_response`):
    ``omega`` radians ahead of python-control's ``bode_plot`` of :func:`rnnss.to_statespace`, with the
    same magnitude.

    Parameters
    ----------
    system : LinearRNN or FrequencyResponse
        A network (its response is computed on ``omega``) or a computed response.
    omega : array_like, shape (K,), optional
        Frequencies in rad/sample for a network (default 1000 log-spaced points from ``pi/1000`` to
        ``pi``); must be omitted with a :class:`FrequencyResponse`.
    target : {"output", "hidden"}
        For a network: which response to plot.
    hz : bool, default False
        Label the frequency axis in cycles per unit of ``dt`` instead of rad/sample (for a network,
        ``omega`` is then read in that unit too).
    db : bool, default True
        Magnitude in decibels (``20 log10 |H|``) instead of a linear gain on a log axis.
    xscale : {"log", "linear"}
        Scale of the frequency axis.
    axes : sequence of two matplotlib Axes, optional
        Draw into these (magnitude, phase) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        The figure with the magnitude axes (first) and the phase axes (second); one line per channel,
        labelled ``"y1 <- x1"`` (or ``"h1 <- x1"``), and a dotted line at the Nyquist frequency.

    Raises
    ------
    TypeError
        If ``system`` is neither a network nor a frequency response.
    ValueError
        If ``omega`` is given with a :class:`FrequencyResponse`, or an option is invalid.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from rnnss import resonator
    >>> from rnnss.plot import plot_bode
    >>> fig = plot_bode(resonator(0.5, radius=0.9))
    >>> len(fig.axes), len(fig.axes[0].get_lines())
    (2, 3)
    """
    hz, db = v.as_bool("hz", hz), v.as_bool("db", db)
    if xscale not in ("log", "linear"):
        raise ValueError(f"xscale must be 'log' or 'linear'; got {xscale!r}")
    if isinstance(system, FrequencyResponse):
        if omega is not None:
            raise ValueError("omega must be omitted when plotting a FrequencyResponse (it has its own)")
        fr = system
    elif isinstance(system, LinearRNN):
        if omega is None:
            w = np.geomspace(np.pi / 1000.0, np.pi, 1000)
            omega, hz_in = (w / (2.0 * np.pi * system.dt), True) if hz else (w, False)
        else:
            hz_in = hz
        fr = frequency_response(system, omega, target=target, hz=hz_in)
    else:
        raise TypeError(f"system must be a rnnss.LinearRNN or FrequencyResponse; got {type(system).__name__}")
    fig, (ax_m, ax_p) = _new_axes(axes, 2, sharex=True, figsize=(6.0, 5.0))
    x, xlabel, nyq = _freq_axis(fr.omega, fr.dt, hz)
    sym = "y" if fr.target == "output" else "h"
    _, d, p = fr.response.shape
    for i in range(d):
        for j in range(p):
            label = f"{sym}{i + 1} <- x{j + 1}"
            mag = fr.magnitude_db[:, i, j] if db else fr.magnitude[:, i, j]
            ax_m.plot(x, mag, label=label)
            ax_p.plot(x, np.degrees(fr.phase[:, i, j]), label=label)
    for ax in (ax_m, ax_p):
        ax.set_xscale(xscale)
        ax.grid(True, which="both", alpha=0.3)
    if not db:
        ax_m.set_yscale("log")
    ax_m.axvline(nyq, color="0.5", linestyle=":", label="Nyquist")
    ax_m.set_ylabel("magnitude [dB]" if db else "|H|")
    ax_p.set_ylabel("phase [deg]")
    ax_p.set_xlabel(xlabel)
    if d * p <= 12:
        ax_m.legend(fontsize=7)
    ax_m.set_title(f"Bode plot, input -> {fr.target}")
    return fig


def plot_pole_zero(rnn: LinearRNN, *, target: str = "output", ax: Any = None) -> Figure:
    """Pole-zero map in the z-plane with the unit circle.

    Poles (``x``) are the eigenvalues of ``W``; zeros (``o``) are :func:`rnnss.transmission_zeros` of the
    RNN's transfer function (so they include the zeros at ``z = 0`` of its one-sample advance; python-control's
    ``pole_zero_plot`` of :func:`rnnss.to_statespace` omits those).

    Parameters
    ----------
    rnn : LinearRNN
        The network (without inputs only the poles are drawn).
    target : {"output", "hidden"}
        Zeros from the inputs to ``y`` or to ``h``.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Equal-aspect axes; its first three lines are the unit circle, the poles and the zeros.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from rnnss import resonator
    >>> from rnnss.plot import plot_pole_zero
    >>> fig = plot_pole_zero(resonator(1.0, radius=0.8))
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:3]
    ['unit circle', 'poles (2)', 'zeros (1)']
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    p_ = poles(rnn)
    z_ = transmission_zeros(rnn, target=target) if rnn.n_inputs else np.zeros(0, dtype=complex)
    fig, ax = _new_axes(ax, 1, figsize=(4.5, 4.5))
    t = np.linspace(0.0, 2.0 * np.pi, 721)
    ax.plot(np.cos(t), np.sin(t), color="0.5", linestyle="--", linewidth=0.8, label="unit circle")
    ax.plot(p_.real, p_.imag, "x", markersize=9, markeredgewidth=2, label=f"poles ({len(p_)})")
    ax.plot(z_.real, z_.imag, "o", markersize=8, fillstyle="none", markeredgewidth=1.5, label=f"zeros ({len(z_)})")
    ax.axhline(0.0, color="0.8", linewidth=0.6)
    ax.axvline(0.0, color="0.8", linewidth=0.6)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("Re z")
    ax.set_ylabel("Im z")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"poles and zeros, input -> {target}")
    return fig


def _is_spectrum(value: Any) -> bool:
    items = value if isinstance(value, (list, tuple)) else [value]
    return bool(items) and all(isinstance(item, InputSpectrum) for item in items)


def plot_psd(
    rnn: LinearRNN,
    omega: ArrayLike | None = None,
    inputs: Any = None,
    *,
    target: str = "hidden",
    noise: bool = True,
    hz: bool = False,
    ax: Any = None,
) -> Figure:
    """Power spectrum of the input against that of the hidden state (or output), with sinusoid lines.

    Continuous parts are drawn as densities (summed over channels, two-sided per-sample normalisation of
    :func:`rnnss.power_spectrum`); each sinusoid is a stem whose height is its *power* (a line carries
    power, not density), so the picture shows how the filter lifts the line above the noise floor.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W`` and inputs.
    omega : array_like, shape (K,), optional
        Frequencies in rad/sample (default 1024 points on ``[0, pi]``); the argument order is that of
        :func:`rnnss.power_spectrum`.
    inputs : Sinusoid, WhiteNoise, ARNoise, PSD or list of them
        The independent input components (required).
    target : {"hidden", "output"}
        The network signal to compare with the input.
    noise : bool, default True
        Include the model noise ``Q`` (and ``R``).
    hz : bool, default False
        Frequency axis (and ``omega``) in cycles per unit of ``dt``.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        One axes, log scale: the input and target densities as lines, and one stem per sinusoid and signal.

    Raises
    ------
    NotStableError
        If ``W`` is not stable.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from rnnss import Sinusoid, WhiteNoise, resonator
    >>> from rnnss.plot import plot_psd
    >>> fig = plot_psd(resonator(0.5, radius=0.9), inputs=[Sinusoid(0.5), WhiteNoise(1.0)])
    >>> [line.get_label() for line in fig.axes[0].get_lines()][:2]
    ['input', 'hidden']
    """
    noise, hz = v.as_bool("noise", noise), v.as_bool("hz", hz)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if _is_spectrum(omega) and (inputs is None or not _is_spectrum(inputs)):
        # the old order plot_psd(rnn, inputs, omega): kept working for one release
        warnings.warn(
            "plot_psd(rnn, inputs, omega) is deprecated; use plot_psd(rnn, omega, inputs), the order of "
            "rnnss.power_spectrum (the old form is removed in rnnss 0.3)",
            DeprecationWarning,
            stacklevel=2,
        )
        omega, inputs = inputs, omega
    if inputs is None:
        raise TypeError("plot_psd needs the input spectrum: plot_psd(rnn, omega, inputs=[Sinusoid(...), ...])")
    if target not in ("hidden", "output"):
        raise ValueError(f"target must be 'hidden' or 'output'; got {target!r}")
    if omega is None:
        w = np.linspace(0.0, np.pi, 1024)
        omega = w / (2.0 * np.pi * rnn.dt) if hz else w
    s_in = power_spectrum(rnn, omega, inputs, target="input", hz=hz)
    s_out = power_spectrum(rnn, omega, inputs, target=target, noise=noise, hz=hz)
    fig, ax = _new_axes(ax, 1, figsize=(6.0, 3.8))
    x, xlabel, _ = _freq_axis(s_in.omega, rnn.dt, hz)
    lines = []
    for spec, name in ((s_in, "input"), (s_out, target)):
        (ln,) = ax.semilogy(x, spec.total, label=name)
        lines.append((spec, name, ln.get_color()))
    floor = ax.get_ylim()[0]  # stems start at the bottom of the log axis (0 is not on it)
    for spec, name, color in lines:
        if len(spec.line_omega):
            xl, _, _ = _freq_axis(spec.line_omega, rnn.dt, hz)
            power = np.trace(spec.line_power, axis1=1, axis2=2)
            ax.vlines(xl, floor, power, colors=color, linestyles="-", linewidth=2, alpha=0.6)
            ax.plot(xl, power, "^", color=color, label=f"sinusoid power ({name})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("PSD (trace) / line power")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(f"input vs {target} spectrum")
    return fig


# -- Kalman filter and smoother as RNNs ---------------------------------------------------------------


def plot_equivalence(report: Any, *, ax: Any = None) -> Any:
    """The transient of the filter and smoother RNNs: per-step difference to the exact recursions.

    Parameters
    ----------
    report : EquivalenceReport
        From :func:`rnnss.verify_kalman_equivalence`.
    ax : matplotlib Axes, optional
        Draw into this axes (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        Log-scale error curves, the tolerance, and the theoretical decay ``radius^t``.
    """
    fig, ax = _new_axes(ax, figsize=(6, 3.6))
    t = np.arange(1, report.T + 1)
    tiny = np.finfo(float).tiny
    ax.semilogy(t, np.maximum(report.filter_errors, tiny), label="filter RNN vs exact filter")
    ax.semilogy(t, np.maximum(report.smoother_errors, tiny), label="smoother RNN vs exact smoother", alpha=0.8)
    start = max(report.filter_errors[0], tiny)
    ax.semilogy(
        t, start * report.filter_radius ** (t - 1), "k:", label=f"theory: radius$^t$ ({report.filter_radius:.3f})"
    )
    ax.axhline(report.tol * report.filter_scale, color="gray", lw=0.8, ls="--", label=f"tolerance {report.tol:g} (rel)")
    top = max(np.max(report.filter_errors), np.max(report.smoother_errors), report.tol)
    ax.set_ylim(1e-17, 10 * top)
    ax.set_xlabel("step t")
    ax.set_ylabel("max |RNN form - exact|")
    ax.set_title("Kalman filter and RTS smoother as linear RNNs")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_mse_ratio_sweep(sweep: Any, *, ax: Any = None) -> Any:
    """Smoother/filter MSE ratio against the noise ratio, one curve per spectral radius.

    Parameters
    ----------
    sweep : MSESweep
        From :func:`rnnss.mse_ratio_sweep`.
    ax : matplotlib Axes, optional
        Draw into this axes (default: a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        The result "ratio <= 1, reduction depends on the process" as curves.
    """
    fig, ax = _new_axes(ax, figsize=(6, 3.6))
    for j, r in enumerate(sweep.radius):
        ax.semilogx(sweep.noise_ratio, sweep.ratio[:, j], label=f"|lambda| = {r:g}")
    ax.axhline(1.0, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("noise ratio Q / R (multiplier of Q)")
    ax.set_ylabel("smoother MSE / filter MSE")
    ax.set_title("What the backward direction buys")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# -- dynamics of nonlinear cells ------------------------------------------------------------------------

_MARKERS = {"stable": ("o", "k"), "unstable": ("o", "w"), "saddle": ("X", "tab:red"), "marginal": ("D", "tab:orange")}


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, bool]:
    """The axes to draw on, and whether this call created their figure (then it may re-layout it)."""
    return _new_axes(ax, figsize=figsize)[1], ax is None


def _finish(ax: Any, created: bool) -> Any:
    if created:
        ax.figure.tight_layout()
    return ax.figure


def plot_phase_portrait(
    cell: Cell,
    x: Any = None,
    *,
    fixed: FixedPoints | None = None,
    lim: float = 1.2,
    grid: int = 21,
    ax: Any = None,
) -> Any:
    """Flow ``f(x, s) - s`` of a two-dimensional cell on a grid, with its fixed points.

    Parameters
    ----------
    cell : Cell
        A cell with ``state_size == 2``.
    x : array_like, shape (p,), optional
        Constant input (default zeros).
    fixed : FixedPoints, optional
        Fixed points to mark (stable filled, unstable open, saddles as crosses).
    lim : float, default 1.2
        The portrait covers ``[-lim, lim]^2``.
    grid : int, default 21
        Arrows per axis.
    ax : matplotlib Axes, optional
        Where to draw (default a new figure).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ValueError
        If the cell's state is not two-dimensional.
    """
    if not isinstance(cell, Cell):
        raise TypeError(f"cell must be an rnnss cell; got {type(cell).__name__}")
    if cell.state_size != 2:
        raise ValueError(f"a phase portrait needs a cell with state_size 2; got {cell.state_size}")
    xc = np.zeros(cell.n_inputs) if x is None else v.as_vector("x", x, cell.n_inputs)
    lim = v.as_float("lim", lim, positive=True)
    grid = v.as_int("grid", grid, minimum=2)
    ax, created = _axes(ax, (4.5, 4.2))
    g = np.linspace(-lim, lim, grid)
    S = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    D = cell.step(np.broadcast_to(xc, (len(S), xc.size)), S) - S
    speed = np.hypot(D[:, 0], D[:, 1])
    ax.quiver(S[:, 0], S[:, 1], D[:, 0], D[:, 1], speed, cmap="viridis", angles="xy")
    if fixed is not None:
        for pt, lab in zip(fixed.points, fixed.stability):
            marker, face = _MARKERS[lab]
            ax.plot(pt[0], pt[1], marker, mfc=face, mec="k", ms=9, label=lab)
        handles, labels = ax.get_legend_handles_labels()
        uniq = dict(zip(labels, handles))
        ax.legend(uniq.values(), uniq.keys(), loc="upper left", fontsize=8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("$s_1$")
    ax.set_ylabel("$s_2$")
    ax.set_title(r"flow $f(x, s) - s$ and fixed points")
    return _finish(ax, created)


def plot_bifurcation(bif: TanhBifurcation, *, b_slice: float = 0.0, fig: Any = None) -> Any:
    """Fixed points of ``h = tanh(w h + b)``: the ``(w, b)`` map and the pitchfork at one bias.

    Left: number of stable fixed points over ``(w, b)``, with the fold curve ``|b| = b_c(w)``. Right: the
    fixed points against ``w`` at the bias closest to ``b_slice`` (stable solid, unstable hollow).

    Parameters
    ----------
    bif : TanhBifurcation
        Output of :func:`rnnss.tanh_bifurcation`.
    b_slice : float, default 0
        Bias of the right panel (0 shows the symmetric pitchfork at ``w = 1``).
    fig : matplotlib Figure, optional
        Figure to draw into (default a new one).

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    import matplotlib.pyplot as plt

    if not isinstance(bif, TanhBifurcation):
        raise TypeError(f"bif must be a TanhBifurcation; got {type(bif).__name__}")
    fig = plt.figure(figsize=(9, 3.8)) if fig is None else fig
    ax1, ax2 = fig.subplots(1, 2)
    if bif.w.size > 1 and bif.b.size > 1:
        mesh = ax1.pcolormesh(bif.w, bif.b, bif.n_stable.T, shading="nearest", cmap="Blues", vmin=0, vmax=2.5)
        fig.colorbar(mesh, ax=ax1, ticks=[0, 1, 2], label="stable fixed points")
    bc = bif.saddle_node_bias()
    ax1.plot(bif.w, bc, "r-", lw=1.2, label=r"fold $|b| = b_c(w)$")
    ax1.plot(bif.w, -bc, "r-", lw=1.2)
    ax1.set_xlabel("w")
    ax1.set_ylabel("b")
    ax1.set_ylim(bif.b.min(), bif.b.max())
    ax1.legend(loc="upper left", fontsize=8)
    ax1.set_title("bistable switch: two stable states")
    j = int(np.argmin(np.abs(bif.b - b_slice)))
    for k in range(3):
        pts, sl = bif.points[:, j, k], bif.slopes[:, j, k]
        stable = np.abs(sl) < 1
        ax2.plot(bif.w[stable], pts[stable], "k.", ms=4, label="stable" if k == 0 else None)
        ax2.plot(bif.w[~stable], pts[~stable], ".", color="0.6", ms=3, label="unstable" if k == 1 else None)
    ax2.axvline(1.0, color="r", lw=0.8, ls="--")
    ax2.set_xlabel("w")
    ax2.set_ylabel("$h^*$")
    ax2.set_title(f"fixed points at b = {bif.b[j]:.3g}")
    ax2.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_lyapunov(spectra: LyapunovSpectrum | dict[str, LyapunovSpectrum], *, ax: Any = None) -> Any:
    """Running estimates of Lyapunov exponents against the number of averaged steps.

    Parameters
    ----------
    spectra : LyapunovSpectrum or dict of str to LyapunovSpectrum
        One spectrum, or several by label.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    items = spectra.items() if isinstance(spectra, dict) else [("", spectra)]
    ax, created = _axes(ax, (5.5, 3.6))
    for i, (label, spec) in enumerate(items):
        if not isinstance(spec, LyapunovSpectrum):
            raise TypeError(f"spectra must hold LyapunovSpectrum records; got {type(spec).__name__}")
        t = np.arange(1, spec.steps + 1)
        color = f"C{i}"
        for k in range(spec.history.shape[1]):
            ax.plot(t, spec.history[:, k], color=color, lw=1.0, label=(label or "exponents") if k == 0 else None)
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("averaged steps")
    ax.set_ylabel("Lyapunov exponent [1/step]")
    ax.legend(fontsize=8)
    ax.set_title("QR estimates of the Lyapunov spectrum")
    return _finish(ax, created)


def plot_gradient_norms(flows: GradientFlow | dict[str, GradientFlow], *, bounds: bool = True, ax: Any = None) -> Any:
    """``||d s_T / d s_{T-k}||_2`` against the lag ``k`` on a log scale, with the bounds.

    Parameters
    ----------
    flows : GradientFlow or dict of str to GradientFlow
        One or several results of :func:`rnnss.jacobian_products`, by label.
    bounds : bool, default True
        Also draw ``(|phi'|_inf ||W||_2)^k`` where the cell has it.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    bounds = v.as_bool("bounds", bounds)
    items = flows.items() if isinstance(flows, dict) else [("", flows)]
    ax, created = _axes(ax, (5.5, 3.6))
    for i, (label, flow) in enumerate(items):
        if not isinstance(flow, GradientFlow):
            raise TypeError(f"flows must hold GradientFlow records; got {type(flow).__name__}")
        ax.semilogy(flow.lags, flow.norms, color=f"C{i}", label=label or "norm")
        if bounds and flow.uniform_bound is not None:
            ax.semilogy(flow.lags, flow.uniform_bound, color=f"C{i}", ls=":", lw=1, label=f"{label} bound".strip())
    ax.set_xlabel("lag k [steps]")
    ax.set_ylabel(r"$\|\partial s_T / \partial s_{T-k}\|_2$")
    ax.legend(fontsize=8)
    ax.set_title("gradient signal reaching k steps back")
    return _finish(ax, created)


def plot_training(results: TrainingResult | dict[str, TrainingResult], *, ax: Any = None) -> Any:
    """Training curves: mini-batch loss (thin), validation loss (markers) and the task's baseline (dashed).

    Parameters
    ----------
    results : TrainingResult or dict of str to TrainingResult
        One or several results of :func:`rnnss.train`, by label.
    ax : matplotlib Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    items = results.items() if isinstance(results, dict) else [("", results)]
    ax, created = _axes(ax, (5.5, 3.6))
    baselines = set()
    for i, (label, res) in enumerate(items):
        if not isinstance(res, TrainingResult):
            raise TypeError(f"results must hold TrainingResult records; got {type(res).__name__}")
        color = f"C{i}"
        ax.plot(np.arange(res.loss.size), res.loss, color=color, lw=0.6, alpha=0.5)
        if res.validation_loss.size:
            ax.plot(res.validation_steps, res.validation_loss, "o-", color=color, ms=3, label=label or "validation")
        if res.baseline is not None and res.baseline not in baselines:
            baselines.add(res.baseline)
            ax.axhline(res.baseline, color="k", ls="--", lw=0.8, label="baseline" if len(baselines) == 1 else None)
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    ax.set_title("training curves (thin: mini-batch loss)")
    return _finish(ax, created)
