"""Figures for the dynamics of nonlinear cells (phase portraits, bifurcation, Lyapunov spectra, gradient norms)."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _validate as v
from .cells.base import Cell
from .dynamics import FixedPoints, GradientFlow, LyapunovSpectrum, TanhBifurcation

__all__ = ["plot_phase_portrait", "plot_bifurcation", "plot_lyapunov", "plot_gradient_norms"]

_MARKERS = {"stable": ("o", "k"), "unstable": ("o", "w"), "saddle": ("X", "tab:red"), "marginal": ("D", "tab:orange")}


def _axes(ax: Any, figsize: tuple[float, float]) -> tuple[Any, bool]:
    """The axes to draw on, and whether this call created their figure (then it may re-layout it)."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=figsize)
        return ax, True
    return ax, False


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
