"""Nonlinear cells as dynamical systems: fixed points, linearisation, bifurcation, Lyapunov exponents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._deprecation import keyword_only
from ._linalg import half_lives
from .cells.base import Cell, checked_step, constant_input, input_sequence, state_or_zero
from .linear import LinearRNN

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "FixedPoints",
    "TanhBifurcation",
    "LyapunovSpectrum",
    "fixed_points",
    "linearize",
    "tanh_bifurcation",
    "lyapunov_exponents",
]

# |lambda| within this distance of 1 is "marginal": eigenvalues of a Jacobian evaluated at a point
# converged to ~1e-12 are accurate to about that much, so a finer split would be noise.
STABILITY_MARGIN = 1e-8


_LABELS = ("stable", "unstable", "saddle", "marginal")


def _label(moduli: np.ndarray) -> str:
    if np.any(moduli > 1 + STABILITY_MARGIN):
        return "saddle" if np.any(moduli < 1 - STABILITY_MARGIN) else "unstable"
    return "marginal" if np.any(moduli >= 1 - STABILITY_MARGIN) else "stable"


# -- fixed points ---------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class FixedPoints:
    """Fixed points ``s* = f(x, s*)`` of a cell under a constant input, with their linear stability.

    Attributes
    ----------
    points : ndarray, shape (k, S)
        The distinct fixed points, sorted lexicographically.
    eigenvalues : ndarray, shape (k, S), complex
        Eigenvalues of the state Jacobian ``d s_t / d s_{t-1}`` at each point, by decreasing modulus.
    spectral_radius : ndarray, shape (k,)
        ``max |lambda|`` per point: a perturbation shrinks like ``rho^t`` near a stable point.
    stability : tuple of str
        ``"stable"`` (all ``|lambda| < 1``), ``"unstable"`` (all ``> 1``), ``"saddle"`` (some of each) or
        ``"marginal"`` (some ``|lambda|`` within ``1e-8`` of 1, none above).
    half_life : ndarray, shape (k,)
        ``ln 0.5 / ln rho`` in steps, the half-life of the slowest perturbation mode (``inf`` for
        ``rho = 1``, negative for growing modes, 0 for ``rho = 0``).
    residuals : ndarray, shape (k,)
        ``max |f(x, s*) - s*|``.
    basin_counts : ndarray, shape (k,)
        How many starts converged to each point (a crude size of its Newton basin, not its attraction basin).
    x : ndarray, shape (p,)
        The constant input.
    n_starts : int
        Number of starts tried.
    n_failed : int
        Starts whose Newton iteration did not converge.
    """

    points: np.ndarray
    eigenvalues: np.ndarray
    spectral_radius: np.ndarray
    stability: tuple[str, ...]
    half_life: np.ndarray
    residuals: np.ndarray
    basin_counts: np.ndarray
    x: np.ndarray
    n_starts: int
    n_failed: int

    def __len__(self) -> int:
        return self.points.shape[0]

    def where(self, label: str) -> np.ndarray:
        """The points with a given stability label.

        Parameters
        ----------
        label : {"stable", "unstable", "saddle", "marginal"}
            Which points.

        Returns
        -------
        ndarray, shape (k', S)
            Those points.

        Raises
        ------
        ValueError
            If ``label`` is not one of the four labels.
        """
        if label not in _LABELS:
            raise ValueError(f"label must be one of {', '.join(map(repr, _LABELS))}; got {label!r}")
        return self.points[np.array([s == label for s in self.stability], bool)].reshape(-1, self.points.shape[1])

    def __repr__(self) -> str:
        counts = {
            lab: self.stability.count(lab)
            for lab in ("stable", "saddle", "unstable", "marginal")
            if lab in self.stability
        }
        text = ", ".join(f"{c} {lab}" for lab, c in counts.items()) or "none found"
        return f"FixedPoints({len(self)} points: {text}; {self.n_starts} starts, {self.n_failed} failed)"

    def summary(self) -> str:
        """One line per fixed point: coordinates, spectral radius, half-life and label."""
        rows = [repr(self)]
        with np.printoptions(precision=4, suppress=True, linewidth=120):
            for i in range(len(self)):
                rows.append(
                    f"  {np.array2string(self.points[i])}  rho={self.spectral_radius[i]:.4f}  "
                    f"half-life={self.half_life[i]:.4g} steps  {self.stability[i]}"
                )
        return "\n".join(rows)


def _newton(cell: Cell, x: np.ndarray, S: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Damped Newton on ``F(s) = f(x, s) - s`` for all starts at once; returns states and a converged mask."""
    nb, dim = S.shape
    eye = np.eye(dim)
    X = np.broadcast_to(x, (nb, x.size))
    alive = np.ones(nb, bool)
    F = cell.step(X, S) - S
    res = np.max(np.abs(F), axis=1)
    for _ in range(max_iter):
        todo = alive & (res > tol * np.maximum(1.0, np.max(np.abs(S), axis=1)))
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        A = cell.jacobian(X[idx], S[idx]) - eye
        try:
            delta = np.linalg.solve(A, -F[idx][:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            # A singular Jacobian (a fold, a dead ReLU layer): take the least-squares (minimum-norm) step.
            delta = np.einsum("bij,bj->bi", np.linalg.pinv(A, rcond=1e-12), -F[idx])
        # Backtracking on max|F| keeps Newton from jumping between basins or off to infinity.
        t = np.ones(len(idx))
        pending = np.isfinite(delta).all(axis=1)
        alive[idx[~pending]] = False
        for _ in range(40):
            if not pending.any():
                break
            j = np.flatnonzero(pending)
            trial = S[idx[j]] + t[j, None] * delta[j]
            ok_num = np.isfinite(trial).all(axis=1) & (np.max(np.abs(trial), axis=1) < 1e150)
            Ft = np.full_like(trial, np.inf)
            if ok_num.any():
                Ft[ok_num] = cell.step(X[idx[j[ok_num]]], trial[ok_num]) - trial[ok_num]
            rt = np.max(np.abs(Ft), axis=1)
            accept = rt <= (1 - 1e-4 * t[j]) * res[idx[j]]
            acc = j[accept]
            S[idx[acc]], F[idx[acc]], res[idx[acc]] = trial[accept], Ft[accept], rt[accept]
            pending[acc] = False
            t[j[~accept]] *= 0.5
        alive[idx[pending]] = False  # no decrease along the Newton direction: a local minimum of |F|
    converged = res <= tol * np.maximum(1.0, np.max(np.abs(S), axis=1))
    return S, converged


def _polish(cell: Cell, x: np.ndarray, pts: np.ndarray, iters: int = 3) -> np.ndarray:
    """A few plain Newton steps on converged points, kept only where they reduce ``max |F|``.

    The stopping rule of :func:`_newton` is on the residual, which near a strongly repelling or weakly
    attracting point leaves ``|s - s*| ~ tol / |1 - lambda|``; Newton's quadratic convergence takes that
    to rounding level in one or two steps.
    """
    X = np.broadcast_to(x, (len(pts), x.size))
    eye = np.eye(pts.shape[1])
    F = cell.step(X, pts) - pts
    for _ in range(iters):
        A = cell.jacobian(X, pts) - eye
        delta = np.einsum("bij,bj->bi", np.linalg.pinv(A, rcond=1e-12), -F)
        trial = pts + delta
        Ft = cell.step(X, trial) - trial
        better = np.max(np.abs(Ft), axis=1) < np.max(np.abs(F), axis=1)
        pts = np.where(better[:, None], trial, pts)
        F = np.where(better[:, None], Ft, F)
    return pts


def fixed_points(
    cell: Cell,
    x: ArrayLike | None = None,
    *,
    n_starts: int = 64,
    starts: ArrayLike | None = None,
    scale: float = 1.0,
    tol: float = 1e-12,
    max_iter: int = 100,
    rng: Any = None,
) -> FixedPoints:
    r"""Fixed points of a cell under a constant input, by damped Newton from many starts.

    Solves ``F(s) = f(x, s) - s = 0`` with Newton steps ``(J - I) delta = -F`` (a least-squares step where
    ``J - I`` is singular) and backtracking on ``max |F|``, from every start at once; converged points are
    deduplicated and classified by the eigenvalues of the Jacobian ``J = d s_t / d s_{t-1}`` there. For an
    Elman cell ``h* = phi(W h* + U x + b)``: the bias ``b`` (or a constant input) moves the fixed points.

    Parameters
    ----------
    cell : Cell
        Any rnnss cell.
    x : array_like, shape (p,), optional
        The constant input (default zeros).
    n_starts : int, default 64
        Number of random starts, drawn uniformly in ``[-scale, scale]^S`` (the zero state is always added).
    starts : array_like, shape (k, S), optional
        Explicit starts instead of random ones.
    scale : float, default 1
        Half-width of the box of random starts. Fixed points of tanh and sigmoid units lie in ``[-1, 1]``;
        widen it for ReLU units or LSTM cell states.
    tol : float, default 1e-12
        Convergence: ``max |F(s)| <= tol * max(1, max |s|)``.
    max_iter : int, default 100
        Newton iterations per start.
    rng : numpy.random.Generator or int, optional
        Source of the random starts.

    Returns
    -------
    FixedPoints
        Points, Jacobian eigenvalues, spectral radii, stability labels and half-lives.

    Raises
    ------
    TypeError
        If ``cell`` is not a cell.
    DimensionError
        If ``x`` or ``starts`` has the wrong shape.
    ValueError
        If a start is not finite.

    Examples
    --------
    >>> from rnnss import ElmanCell
    >>> from rnnss import fixed_points
    >>> cell = ElmanCell(W=[[2.0]])  # h = tanh(2 h): a bistable switch
    >>> fp = fixed_points(cell, rng=0)
    >>> fp.points[:, 0].round(4), fp.stability
    (array([-0.9575,  0.    ,  0.9575]), ('stable', 'unstable', 'stable'))
    """
    cell = v.check_instance(cell, Cell, "cell", "an rnnss cell (rnnss.Cell)")
    xc = constant_input(cell, x)
    dim = cell.state_size
    tol = v.as_float("tol", tol, positive=True)
    max_iter = v.as_int("max_iter", max_iter, minimum=1)
    if starts is None:
        n_starts = v.as_int("n_starts", n_starts, minimum=1)
        scale = v.as_float("scale", scale, positive=True)
        S0 = np.vstack([np.zeros((1, dim)), v.as_rng(rng).uniform(-scale, scale, (n_starts, dim))])
    else:
        S0 = v.as_float_array("starts", starts)
        if S0.ndim == 1 and dim == 1:
            S0 = S0[:, None]
        if S0.ndim != 2 or S0.shape[1] != dim or S0.shape[0] == 0:
            raise v.DimensionError(f"starts must have shape (k, {dim}) with k >= 1; got shape {S0.shape}")
        v.check_finite("starts", S0)
    S, ok = _newton(cell, xc, S0.copy(), tol, max_iter)
    found = S[ok]
    # Deduplicate: two converged points are the same if they agree to ~1e-7 relative, far above the
    # Newton accuracy (~tol) and far below the spacing of genuinely distinct fixed points.
    order = np.lexsort(found.T[::-1]) if len(found) else np.zeros(0, int)
    reps: list[np.ndarray] = []
    counts: list[int] = []
    for s in found[order]:
        for i, r in enumerate(reps):
            if np.max(np.abs(s - r)) <= 1e-7 * max(1.0, float(np.max(np.abs(r)))):
                counts[i] += 1
                break
        else:
            reps.append(s)
            counts.append(1)
    pts = np.array(reps).reshape(-1, dim)
    if len(pts):
        pts = _polish(cell, xc, pts)
        eig = np.linalg.eigvals(cell.jacobian(np.broadcast_to(xc, (len(pts), xc.size)), pts))
        eig = np.take_along_axis(eig, np.argsort(-np.abs(eig), axis=1, kind="stable"), axis=1).astype(complex)
        resid = np.max(np.abs(cell.step(np.broadcast_to(xc, (len(pts), xc.size)), pts) - pts), axis=1)
    else:
        eig, resid = np.zeros((0, dim), complex), np.zeros(0)
    rho = np.abs(eig).max(axis=1) if len(pts) else np.zeros(0)
    labels = tuple(_label(np.abs(e)) for e in eig)
    return FixedPoints(
        points=pts,
        eigenvalues=eig,
        spectral_radius=rho,
        stability=labels,
        half_life=half_lives(rho),
        residuals=resid,
        basin_counts=np.array(counts, int),
        x=xc,
        n_starts=S0.shape[0],
        n_failed=int(np.sum(~ok)),
    )


# -- linearisation --------------------------------------------------------------------------------


def linearize(
    cell: Cell,
    state: ArrayLike,
    x: ArrayLike | None = None,
    *,
    V: ArrayLike | None = None,
    d: ArrayLike | None = None,
    Q: ArrayLike | None = None,
    R: ArrayLike | None = None,
    dt: float = 1.0,
) -> LinearRNN:
    r"""The first-order (affine) model of a cell around ``(s*, x*)``, as a :class:`~rnnss.LinearRNN`.

    .. math::

        s_t \approx W s_{t-1} + U x_t + b, \quad W = \frac{\partial f}{\partial s}(x^*, s^*), \quad
        U = \frac{\partial f}{\partial x}(x^*, s^*), \quad b = f(x^*, s^*) - W s^* - U x^* .

    Exact for ``s = s*, x = x*`` with error ``O(|s - s*|^2 + |x - x*|^2)`` nearby. At a fixed point the
    linear model's fixed point is ``s*`` and its eigenmodes are the perturbation modes: their half-lives
    (:func:`rnnss.eigenmodes`) say how long the cell remembers a small kick. Controllability, frequency
    response and Kalman tools then apply to the linearisation.

    Parameters
    ----------
    cell : Cell
        Any rnnss cell.
    state : array_like, shape (S,)
        Expansion point ``s*`` (for an LSTM, ``[h*; c*]``). It becomes the model's ``h0``.
    x : array_like, shape (p,), optional
        Expansion input ``x*`` (default zeros).
    V, d, Q, R : array_like, optional
        Read-out and noise of the linear model, passed to :class:`~rnnss.LinearRNN` (default: ``V = I``,
        zeros).
    dt : float, default 1
        Sampling interval of the linear model.

    Returns
    -------
    LinearRNN
        ``W`` of shape (S, S), ``U`` of shape (S, p), ``b`` of shape (S,), ``h0 = s*``.

    Raises
    ------
    DimensionError
        If ``state`` or ``x`` has the wrong shape.

    Examples
    --------
    >>> from rnnss import ElmanCell
    >>> from rnnss import linearize
    >>> cell = ElmanCell(W=[[0.5]], U=[[1.0]])
    >>> lin = linearize(cell, [0.0])
    >>> lin.W, lin.U
    (array([[0.5]]), array([[1.]]))
    """
    cell = v.check_instance(cell, Cell, "cell", "an rnnss cell (rnnss.Cell)")
    s = v.as_vector("state", state, cell.state_size)
    xc = constant_input(cell, x)
    W = cell.jacobian(xc, s)
    U = cell.input_jacobian(xc, s)
    b = cell.step(xc, s) - W @ s - U @ xc
    return LinearRNN(W=W, U=U, b=b, V=V, d=d, Q=Q, R=R, h0=s, dt=dt)


# -- bifurcation of the scalar tanh neuron ------------------------------------------------------


@dataclass(frozen=True, repr=False)
class TanhBifurcation:
    """Fixed points of ``h = tanh(w h + b)`` over a ``(w, b)`` grid.

    Attributes
    ----------
    w : ndarray, shape (nw,)
        Self-coupling values.
    b : ndarray, shape (nb,)
        Bias values.
    points : ndarray, shape (nw, nb, 3)
        The fixed points in increasing order, NaN-padded (there are at most three).
    slopes : ndarray, shape (nw, nb, 3)
        ``f'(h*) = w (1 - h*^2)``, the 1x1 Jacobian at each point (NaN-padded).
    n_fixed : ndarray, shape (nw, nb), int
        Number of fixed points.
    n_stable : ndarray, shape (nw, nb), int
        Number of stable ones (``|f'(h*)| < 1``); two means a bistable switch.
    """

    w: np.ndarray
    b: np.ndarray
    points: np.ndarray
    slopes: np.ndarray
    n_fixed: np.ndarray
    n_stable: np.ndarray

    @property
    def bistable(self) -> np.ndarray:
        """``(nw, nb)`` bool: where the neuron stores a bit (two stable fixed points)."""
        return self.n_stable == 2

    def saddle_node_bias(self) -> np.ndarray:
        """The fold curve ``b_c(w) = sqrt(w (w - 1)) - artanh(sqrt(1 - 1/w))`` for each ``w`` (NaN for ``w <= 1``).

        Returns
        -------
        ndarray, shape (nw,)
            Three fixed points exist iff ``w > 1`` and ``|b| < b_c(w)``.
        """
        return _saddle_node_bias(self.w)

    def __repr__(self) -> str:
        return (
            f"TanhBifurcation(w: {self.w.size} values in [{self.w.min():.3g}, {self.w.max():.3g}], "
            f"b: {self.b.size} values in [{self.b.min():.3g}, {self.b.max():.3g}]; "
            f"bistable on {int(self.bistable.sum())} of {self.bistable.size} grid points)"
        )


def _saddle_node_bias(w: np.ndarray) -> np.ndarray:
    # At a fold the fixed point is tangent: tanh(w h + b) = h and w (1 - h^2) = 1, so h = sqrt(1 - 1/w)
    # and b = artanh(h) - w h; its absolute value is the half-width of the bistable band.
    w = np.asarray(w, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.sqrt(1.0 - 1.0 / w)
        return np.where(w > 1, w * h - np.arctanh(h), np.nan)


def tanh_bifurcation(w: ArrayLike, b: ArrayLike) -> TanhBifurcation:
    r"""Number, position and stability of the fixed points of the tanh neuron ``h = tanh(w h + b)``.

    ``g(h) = tanh(w h + b) - h`` has ``g' = w sech^2(w h + b) - 1``, which vanishes at most at
    ``h_± = (±artanh(sqrt(1 - 1/w)) - b) / w`` (only for ``w > 1``). These split ``[-2, 2]`` (the roots
    lie in ``(-1, 1)``) into at most three monotone pieces, each holding at most one root, found by
    bisection to machine precision: no root is missed, even next to a fold. For ``b = 0`` this is the
    pitchfork at ``w = 1``: one stable point ``h = 0`` below, an unstable 0 between two stable ``±h*``
    above (a bistable switch). A bias tilts the pitchfork into folds at ``|b| = b_c(w)``.

    Parameters
    ----------
    w : array_like, shape (nw,)
        Self-coupling values (a scalar is one value).
    b : array_like, shape (nb,)
        Bias values.

    Returns
    -------
    TanhBifurcation
        Fixed points, slopes ``f'(h*)``, counts and stable counts on the grid.

    Raises
    ------
    DimensionError
        If ``w`` or ``b`` is not 0-d or 1-d.
    ValueError
        If a value is not finite.

    Examples
    --------
    >>> from rnnss import tanh_bifurcation
    >>> bif = tanh_bifurcation([0.5, 2.0], [0.0])
    >>> bif.n_fixed[:, 0], bif.n_stable[:, 0]
    (array([1, 3]), array([1, 2]))
    """
    wa = np.atleast_1d(v.as_float_array("w", w))
    ba = np.atleast_1d(v.as_float_array("b", b))
    for name, arr in (("w", wa), ("b", ba)):
        if arr.ndim != 1:
            raise v.DimensionError(f"{name} must be a scalar or have shape (k,); got shape {arr.shape}")
        v.check_finite(name, arr)
    Wg, Bg = np.meshgrid(wa, ba, indexing="ij")

    def g(h: np.ndarray) -> np.ndarray:
        return np.tanh(Wg[..., None] * h + Bg[..., None]) - h

    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.where(Wg > 1, np.arctanh(np.sqrt(np.clip(1.0 - 1.0 / Wg, 0.0, 1.0))), 0.0)
        h_lo = np.where(Wg > 1, (-a - Bg) / Wg, 2.0)
        h_hi = np.where(Wg > 1, (a - Bg) / Wg, 2.0)
    edges = np.stack(
        [np.full_like(Wg, -2.0), np.clip(h_lo, -2, 2), np.clip(h_hi, -2, 2), np.full_like(Wg, 2.0)], axis=-1
    )
    lo, hi = edges[..., :-1].copy(), edges[..., 1:].copy()
    glo, ghi = g(lo), g(hi)
    # A root at a shared edge (a fold, g = g' = 0) is counted once: in the piece it ends.
    has = ((glo * ghi < 0) | (ghi == 0)) & (hi > lo)
    exact = ghi == 0
    for _ in range(200):  # bisection: halves [lo, hi] until it cannot shrink in floating point
        mid = 0.5 * (lo + hi)
        if np.all((mid <= lo) | (mid >= hi) | ~has):
            break
        gm = g(mid)
        left = np.sign(gm) == np.sign(ghi)
        hi = np.where(left, mid, hi)
        ghi = np.where(left, gm, ghi)
        lo = np.where(left, lo, mid)
    roots = np.where(exact, edges[..., 1:], 0.5 * (lo + hi))
    roots = np.where(has, roots, np.nan)
    roots = np.sort(roots, axis=-1)
    slopes = Wg[..., None] * (1.0 - np.tanh(Wg[..., None] * roots + Bg[..., None]) ** 2)
    n_fixed = np.sum(np.isfinite(roots), axis=-1)
    n_stable = np.sum(np.abs(slopes) < 1 - STABILITY_MARGIN, axis=-1)
    return TanhBifurcation(wa, ba, roots, slopes, n_fixed, n_stable)


# -- Lyapunov exponents ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class LyapunovSpectrum:
    """Lyapunov exponents along a trajectory (natural log, per step of a cell or per unit time of a flow).

    Attributes
    ----------
    exponents : ndarray, shape (k,)
        ``lambda_1 >= ... >= lambda_k``, sorted: a perturbation along the ``i``-th Lyapunov direction grows
        like ``exp(lambda_i t)``. Negative ``lambda_1``: contracting (vanishing gradients); positive:
        chaotic (exploding gradients). ``-inf`` where a direction is annihilated (a dead ReLU unit, a
        nilpotent block).
    history : ndarray, shape (T - discard, k)
        Running estimates after each averaged step, each row sorted like ``exponents`` (converges like
        ``1 / t``).
    steps : int
        Number of steps (or re-orthonormalisation intervals of a flow) averaged (``T - discard``).
    discard : int
        Transient steps skipped before averaging.
    final_state : ndarray, shape (S,)
        The state at the end of the trajectory.
    """

    exponents: np.ndarray
    history: np.ndarray
    steps: int
    discard: int
    final_state: np.ndarray

    @property
    def max_exponent(self) -> float:
        """The largest exponent ``lambda_1``."""
        return float(self.exponents[0])

    def __repr__(self) -> str:
        with np.printoptions(precision=4, suppress=True):
            return (
                f"LyapunovSpectrum(exponents={np.array2string(self.exponents)}, "
                f"steps={self.steps}, discard={self.discard})"
            )


def random_frame(dim: int, k: int, rng: Any) -> np.ndarray:
    """``k`` orthonormal columns in ``R^dim`` drawn from the Haar measure (QR of a Gaussian matrix).

    The QR method needs a start with a component along every Lyapunov direction; the identity has none
    when a coordinate axis is invariant (diagonal or triangular Jacobians, decoupled units), and then
    reports the exponent of that axis instead of the largest. A Haar-random frame is generic with
    probability one.
    """
    # Draw all dim columns and keep the first k: the QR of the first k columns of Z is the first k columns
    # of the QR of Z, so the k leading exponents do not depend on how many are asked for (same rng).
    Z = v.as_rng(rng).standard_normal((dim, dim))[:, :k]
    Q, R = np.linalg.qr(Z)
    return Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def qr_step(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Q, log|diag R|`` of ``M = Q R`` with ``diag R >= 0`` (``-inf`` where a column is annihilated).

    ``M`` may be a stack ``(..., S, k)``; the logs then have shape ``(..., k)``.
    """
    Q, R = np.linalg.qr(M)
    diag = np.diagonal(R, axis1=-2, axis2=-1)
    # Flip signs so diag(R) >= 0: Q then varies continuously and ln|R_ii| is the stretch of direction i.
    Q = Q * np.where(diag < 0, -1.0, 1.0)[..., None, :]
    with np.errstate(divide="ignore"):
        return Q, np.log(np.abs(diag))


@keyword_only(2, "h0")
def lyapunov_exponents(
    cell: Cell,
    x: ArrayLike | None = None,
    *,
    h0: ArrayLike | None = None,
    steps: int | None = None,
    discard: int = 0,
    n_exponents: int | None = None,
    rng: Any = None,
) -> LyapunovSpectrum:
    r"""Lyapunov spectrum along a driven or autonomous trajectory, by the QR (Benettin) method.

    With ``J_t = d s_t / d s_{t-1}`` along the trajectory, ``Q_t R_t = J_t Q_{t-1}`` from a random
    orthonormal ``Q_0`` of ``k`` columns, and ``lambda_i = (1 / T') sum_t ln |(R_t)_{ii}|`` over the
    ``T' = T - discard`` steps after the transient. The product of Jacobians is re-orthonormalised every
    step, so the smaller exponents survive although ``prod J_t`` itself would collapse onto its leading
    direction. The start is random because an identity start fails whenever a coordinate axis is
    invariant: for ``W = diag(0.5, 1.2)`` the first column would stay on ``e_1`` and report ``ln 0.5``
    instead of ``ln 1.2``. The estimates carry an ``O(1/T')`` error from the start's orientation; a
    ``discard`` of a few times ``1 / (lambda_i - lambda_{i+1})`` steps aligns the frame first. For a linear
    cell (``J_t = W``) the exponents tend to ``ln |lambda_i(W)|``; with ``k = S``,
    ``sum_i lambda_i = mean ln |det J_t|`` exactly at every ``T``.

    Parameters
    ----------
    cell : Cell
        Any rnnss cell.
    x : array_like, shape (T, p) or (T,) if p == 1, optional
        Inputs driving the trajectory. Omit for an autonomous run with zero input (then give ``steps``).
    h0 : array_like, shape (S,), optional
        Initial state (default zeros).
    steps : int, optional
        Number of steps when ``x`` is omitted (or a check of ``len(x)``).
    discard : int, default 0
        Transient steps run (and re-orthonormalised) but not averaged.
    n_exponents : int, optional
        Compute only the ``k`` largest exponents (default all ``S``): the frame then has ``k`` columns.
    rng : numpy.random.Generator or int, optional
        Source of the random orthonormal start ``Q_0``.

    Returns
    -------
    LyapunovSpectrum
        Exponents per step (sorted, largest first), running estimates and the final state.

    Raises
    ------
    TypeError
        If neither ``x`` nor ``steps`` is given.
    DimensionError
        If ``x`` or ``h0`` has the wrong shape.
    ValueError
        If ``discard >= T`` or ``n_exponents`` is out of range, or ``h0`` is not finite.
    NumericalError
        If the trajectory overflows to a non-finite state.

    Examples
    --------
    >>> from rnnss import ElmanCell
    >>> from rnnss import lyapunov_exponents
    >>> cell = ElmanCell(W=[[0.5, 0.0], [0.0, 1.2]], activation="identity")
    >>> spec = lyapunov_exponents(cell, steps=100, discard=50, h0=[1.0, 1.0], rng=0)
    >>> spec.exponents.round(6)  # ln 1.2, ln 0.5: the growing axis comes first
    array([ 0.182322, -0.693147])
    """
    cell = v.check_instance(cell, Cell, "cell", "an rnnss cell (rnnss.Cell)")
    xs = input_sequence(cell, x, steps)
    T = xs.shape[0]
    s = state_or_zero(cell, h0)
    discard = v.as_int("discard", discard, minimum=0)
    if discard >= T:
        raise ValueError(f"discard must be smaller than the number of steps T = {T}; got {discard}")
    dim = cell.state_size
    k = dim if n_exponents is None else v.as_int("n_exponents", n_exponents, minimum=1)
    if k > dim:
        raise ValueError(f"n_exponents must be <= the state size {dim}; got {k}")
    Q = random_frame(dim, k, rng)
    total = np.zeros(k)
    history = np.empty((T - discard, k))
    for t in range(T):
        J = cell.jacobian(xs[t], s)
        s = checked_step(cell, xs[t], s, t)
        Q, logs = qr_step(J @ Q)
        if t >= discard:
            total += logs
            history[t - discard] = total / (t - discard + 1)
    return spectrum(total / (T - discard), history, discard, s)


def spectrum(exponents: np.ndarray, history: np.ndarray, discard: int, final_state: np.ndarray) -> LyapunovSpectrum:
    """The record with exponents (and every row of the history) sorted in decreasing order.

    In the limit the QR method delivers the exponents in decreasing order; over a finite run two close
    exponents may come out swapped, and the record promises ``lambda_1 >= ... >= lambda_k``.
    """
    return LyapunovSpectrum(-np.sort(-exponents), -np.sort(-history, axis=1), history.shape[0], discard, final_state)
