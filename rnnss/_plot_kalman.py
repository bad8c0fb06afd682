"""Figures for the Kalman-RNN equivalence report and the MSE-ratio sweep (merged into rnnss.plot)."""

from __future__ import annotations

from typing import Any

import numpy as np


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
    import matplotlib.pyplot as plt

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.6))
    t = np.arange(1, report.T + 1)
    tiny = np.finfo(float).tiny
    ax.semilogy(t, np.maximum(report.filter_errors, tiny), label="filter RNN vs exact filter")
    ax.semilogy(t, np.maximum(report.smoother_errors, tiny), label="smoother RNN vs exact smoother", alpha=0.8)
    start = max(report.filter_errors[0], tiny)
    ax.semilogy(t, start * report.filter_radius ** (t - 1), "k:", label=f"theory: radius$^t$ ({report.filter_radius:.3f})")
    ax.axhline(report.tol * report.filter_max_abs / max(report.filter_max_rel, tiny), color="gray", lw=0.8, ls="--", label=f"tolerance {report.tol:g} (rel)")
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
        The seeds' "ratio <= 1, reduction depends on the process" as curves.
    """
    import matplotlib.pyplot as plt

    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 3.6))
    for j, r in enumerate(sweep.radius):
        ax.semilogx(sweep.noise_ratio, sweep.ratio[:, j], label=f"|lambda| = {r:g}")
    ax.axhline(1.0, color="gray", lw=0.8, ls="--")
    ax.set_xlabel("noise ratio Q / R (multiplier of Q)")
    ax.set_ylabel("smoother MSE / filter MSE")
    ax.set_title("What the backward direction buys")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
