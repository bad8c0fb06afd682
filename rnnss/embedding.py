"""Delay embeddings (Takens): delay vectors, the false-nearest-neighbour dimension test, state geometry against them."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.spatial

from . import _validate as v

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "FalseNeighbors",
    "GeometryComparison",
    "delay_embedding",
    "false_nearest_neighbors",
    "compare_geometry",
]


def _series(name: str, y: Any) -> np.ndarray:
    arr = v.as_float_array(name, y)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise v.DimensionError(f"{name} must have shape (T,) or (T, m) with m >= 1; got shape {arr.shape}")
    v.check_finite(name, arr)
    return arr


def _embed(y: np.ndarray, dim: int, lag: int) -> np.ndarray:
    span = (dim - 1) * lag
    T = y.shape[0]
    return np.concatenate([y[span - j * lag : T - j * lag] for j in range(dim)], axis=1)


def delay_embedding(y: ArrayLike, dim: int, lag: int = 1) -> np.ndarray:
    r"""Delay vectors ``[y_t, y_{t - lag}, ..., y_{t - (dim - 1) lag}]`` of a series (Takens 1981).

    By Takens' theorem, for a generic observation ``y`` of a flow on an attractor of box-counting
    dimension ``D``, the delay map is an embedding (one-to-one, smooth inverse) once ``dim > 2 D``; in
    practice far fewer coordinates often suffice (:func:`false_nearest_neighbors`). The vectors look
    into the past, so row ``i`` belongs to time ``t = i + (dim - 1) lag`` and is, like the hidden state of a
    causal RNN at ``t``, a function of ``y_1 .. y_t``.

    Parameters
    ----------
    y : array_like, shape (T,) or (T, m)
        The series (``m`` observed channels).
    dim : int
        Number of delays (>= 1).
    lag : int, default 1
        Delay in samples (>= 1).

    Returns
    -------
    ndarray, shape (T - (dim - 1) lag, dim m)
        Row ``i`` is ``[y_t, y_{t - lag}, ...]`` with ``t = i + (dim - 1) lag`` (blocks of ``m`` per delay).

    Raises
    ------
    DimensionError
        If ``y`` is not 1-D or 2-D.
    ValueError
        If ``dim`` or ``lag`` is below 1, the series is too short for one vector, or a value is not
        finite.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.delay_embedding([0.0, 1.0, 2.0, 3.0, 4.0], dim=2, lag=2)
    array([[2., 0.],
           [3., 1.],
           [4., 2.]])
    """
    arr = _series("y", y)
    dim = v.as_int("dim", dim, minimum=1)
    lag = v.as_int("lag", lag, minimum=1)
    if arr.shape[0] <= (dim - 1) * lag:
        raise ValueError(f"y must be longer than (dim - 1) lag = {(dim - 1) * lag} samples; got T = {arr.shape[0]}")
    return _embed(arr, dim, lag)


@dataclass(frozen=True, repr=False)
class FalseNeighbors:
    """False-nearest-neighbour fractions over embedding dimensions (Kennel, Brown & Abarbanel 1992).

    Attributes
    ----------
    dims : ndarray, shape (k,), int
        The embedding dimensions tested.
    fraction : ndarray, shape (k,)
        Fraction of nearest neighbours in dimension ``d`` that are false: they separate when the
        ``(d + 1)``-th delay is added. Falls to about zero once ``d`` embeds the attractor.
    n_points : ndarray, shape (k,), int
        Points tested at each dimension.
    lag : int
        Delay in samples.
    rtol : float
        Kennel's ``R_tol``: a neighbour is false if the added coordinate separates it by more than
        ``rtol`` times its distance.
    atol : float
        Kennel's ``A_tol``: a neighbour is also false if its distance in ``d + 1`` dimensions exceeds
        ``atol`` times the series' standard deviation (a "neighbour" that is only nearest, not near).
    theiler : int
        Neighbours closer than this many samples in time were excluded.
    """

    dims: np.ndarray
    fraction: np.ndarray
    n_points: np.ndarray
    lag: int
    rtol: float
    atol: float
    theiler: int

    def embedding_dimension(self, threshold: float = 0.01) -> int | None:
        """The smallest tested dimension whose false-neighbour fraction is below ``threshold``.

        Parameters
        ----------
        threshold : float, default 0.01
            Largest acceptable fraction (1%).

        Returns
        -------
        int or None
            The dimension, or None if no tested dimension reaches the threshold.
        """
        below = np.flatnonzero(self.fraction < v.as_float("threshold", threshold, positive=True))
        return int(self.dims[below[0]]) if below.size else None

    def __repr__(self) -> str:
        pairs = ", ".join(f"{d}: {f:.3%}" for d, f in zip(self.dims, self.fraction))
        return f"FalseNeighbors(lag={self.lag}, {pairs}; embedding dimension {self.embedding_dimension()})"


def false_nearest_neighbors(
    y: ArrayLike,
    dims: ArrayLike = (1, 2, 3, 4, 5, 6),
    *,
    lag: int = 1,
    rtol: float = 15.0,
    atol: float = 2.0,
    theiler: int = 0,
    max_points: int | None = None,
    rng: Any = None,
) -> FalseNeighbors:
    r"""The false-nearest-neighbour test for the embedding dimension of a series (Kennel et al. 1992).

    In dimension ``d`` every delay vector's nearest neighbour (distance ``R_d``, by a k-d tree,
    :class:`scipy.spatial.cKDTree`) is checked when the next delay is added: it is *false* if the new
    coordinate separates the two by more than ``rtol R_d`` (criterion 1, an unfolding of the attractor),
    or if their distance in ``d + 1`` dimensions exceeds ``atol`` times the standard deviation of the
    series (criterion 2, Kennel's fix for noise and sparse data). The fraction of false neighbours falls
    to about zero at the dimension that embeds the attractor: 3 for the Lorenz ``x`` series (below 1% for
    lags of 0.05 to 0.2 time units; at dimension 2, 4-10%).

    As in Kennel et al., the added coordinate is the sample one lag *after* the vector's latest one. Adding
    an older sample instead (extending :func:`delay_embedding`'s vectors into the past) flags many more
    neighbours on a dissipative flow, whose contracting directions expand backwards in time (Lorenz:
    ``exp(14.6 t)``), although the vectors in dimension ``d`` are the same.

    Parameters
    ----------
    y : array_like, shape (T,) or (T, m)
        The series.
    dims : array_like of int, default (1, ..., 6)
        Dimensions ``d >= 1`` to test.
    lag : int, default 1
        Delay in samples (a common choice is the first minimum of the auto mutual information, or
        where the autocorrelation first falls below ``1/e``).
    rtol : float, default 15
        Kennel's ``R_tol``.
    atol : float, default 2
        Kennel's ``A_tol``.
    theiler : int, default 0
        Exclude neighbours within this many samples in time (Theiler window): on a finely sampled flow
        the nearest neighbour is otherwise often the next sample on the same trajectory piece.
    max_points : int, optional
        Test at most this many points (drawn at random; the tree still holds all of them).
    rng : numpy.random.Generator or int, optional
        Source of the draw of ``max_points``.

    Returns
    -------
    FalseNeighbors
        Fractions per dimension and :meth:`~FalseNeighbors.embedding_dimension`.

    Raises
    ------
    DimensionError
        If ``y`` or ``dims`` has the wrong shape.
    ValueError
        If an option is out of range, the series is constant, or it is too short for the largest
        dimension and the Theiler window.

    Examples
    --------
    >>> import numpy as np
    >>> import rnnss
    >>> t = np.arange(2000) * 0.05
    >>> fnn = rnnss.false_nearest_neighbors(np.sin(t), dims=[1, 2, 3], lag=10)  # a circle: 2 delays unfold it
    >>> fnn.embedding_dimension()
    2
    """
    arr = _series("y", y)
    d_arr = np.atleast_1d(np.asarray(dims))
    if d_arr.ndim != 1 or d_arr.size == 0 or not np.issubdtype(d_arr.dtype, np.integer) or np.any(d_arr < 1):
        raise v.DimensionError(f"dims must be a non-empty sequence of integers >= 1; got {dims!r}")
    d_arr = np.unique(d_arr.astype(int))
    lag = v.as_int("lag", lag, minimum=1)
    rtol = v.as_float("rtol", rtol, positive=True)
    atol = v.as_float("atol", atol, positive=True)
    theiler = v.as_int("theiler", theiler, minimum=0)
    scale = float(np.sqrt(np.sum(np.var(arr, axis=0))))
    if scale == 0:
        raise ValueError("y is constant: every pair of points is a neighbour and the test is undefined")
    T, m = arr.shape
    need = int(d_arr.max()) * lag + 2 * theiler + 3
    if T < need:
        raise ValueError(
            f"y is too short: dimension {int(d_arr.max())} with lag {lag} and Theiler window {theiler} needs "
            f"T >= {need}; got T = {T}"
        )
    gen = None if max_points is None else v.as_rng(rng)
    k = 2 * theiler + 2  # at most 2 theiler + 1 points (self included) lie inside the window
    fractions, counts = [], []
    for d in d_arr:
        # Rows [y_t, y_{t-lag}, ..., y_{t-d lag}]: the d-dimensional vector ending at t - lag and the sample
        # one lag after it, the coordinate Kennel et al. add (forward in time).
        E = _embed(arr, int(d) + 1, lag)
        base, extra = E[:, m:], E[:, :m]
        N = E.shape[0]
        pts = np.arange(N)
        if max_points is not None and N > v.as_int("max_points", max_points, minimum=1):
            pts = np.sort(gen.choice(N, size=max_points, replace=False))
        dist, idx = scipy.spatial.cKDTree(base).query(base[pts], k=k)
        dist, idx = dist.reshape(pts.size, k), idx.reshape(pts.size, k)
        ok = np.abs(idx - pts[:, None]) > theiler
        first = np.argmax(ok, axis=1)
        rows = np.arange(pts.size)
        j, R = idx[rows, first], dist[rows, first]
        gap = np.linalg.norm(extra[pts] - extra[j], axis=1)
        false = (gap > rtol * R) | (np.sqrt(R**2 + gap**2) > atol * scale)
        fractions.append(float(np.mean(false)))
        counts.append(pts.size)
    return FalseNeighbors(d_arr, np.array(fractions), np.array(counts), lag, rtol, atol, theiler)


@dataclass(frozen=True, repr=False)
class GeometryComparison:
    """How well a model's hidden states and a delay reconstruction determine each other, linearly.

    Attributes
    ----------
    canonical_correlations : ndarray, shape (r,)
        Correlations of the canonical variate pairs, decreasing, ``r = min(rank states, rank delays)``:
        1 means a direction of the state space is exactly a linear function of the delay vector.
    r2_delays_from_states : ndarray, shape (dim m,)
        ``R^2`` of each delay coordinate regressed (with intercept) on the hidden state, or on its
        monomials up to ``degree``.
    r2_states_from_delays : ndarray, shape (S,)
        ``R^2`` of each hidden-state coordinate regressed on the delay vector (or its monomials).
    n_samples : int
        Number of aligned time points.
    dim : int
        Number of delays.
    lag : int
        Delay in samples.
    degree : int
        Degree of the polynomial regressions (1: linear).
    """

    canonical_correlations: np.ndarray
    r2_delays_from_states: np.ndarray
    r2_states_from_delays: np.ndarray
    n_samples: int
    dim: int
    lag: int
    degree: int

    def __repr__(self) -> str:
        with np.printoptions(precision=4, suppress=True):
            return (
                f"GeometryComparison(dim={self.dim}, lag={self.lag}, degree={self.degree}, T={self.n_samples}, "
                f"canonical correlations "
                f"{np.array2string(self.canonical_correlations)}, min R^2 delays|states "
                f"{self.r2_delays_from_states.min():.4f}, states|delays {self.r2_states_from_delays.min():.4f})"
            )


def _whiten(X: np.ndarray, name: str) -> np.ndarray:
    """An orthonormal basis of the centred column space (rank by the singular values, as numpy's matrix_rank)."""
    Xc = X - X.mean(axis=0)
    U, s, _ = np.linalg.svd(Xc, full_matrices=False)
    tol = s.max(initial=0.0) * max(Xc.shape) * np.finfo(float).eps
    rank = int(np.sum(s > tol))
    if rank == 0:
        raise ValueError(f"{name} is constant over the aligned samples: no geometry to compare")
    return U[:, :rank]


def _monomials(X: np.ndarray, degree: int) -> np.ndarray:
    """``[1, all monomials of the standardised columns of X up to degree]`` (standardised for conditioning)."""
    sd = X.std(axis=0)
    Z = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    cols = [np.ones(X.shape[0])]
    for k in range(1, degree + 1):
        for combo in itertools.combinations_with_replacement(range(Z.shape[1]), k):
            cols.append(np.prod(Z[:, list(combo)], axis=1))
    return np.column_stack(cols)


def _r2(X: np.ndarray, Y: np.ndarray, degree: int) -> np.ndarray:
    """``R^2`` of every column of ``Y`` regressed on the monomials of ``X`` (1 for a constant column)."""
    A = _monomials(X, degree)
    coef, *_ = np.linalg.lstsq(A, Y, rcond=None)
    ss_res = np.sum((Y - A @ coef) ** 2, axis=0)
    ss_tot = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / np.where(ss_tot > 0, ss_tot, 1.0), 1.0)


def compare_geometry(states: ArrayLike, y: ArrayLike, *, dim: int, lag: int = 1, degree: int = 1) -> GeometryComparison:
    r"""Compare a model's hidden-state trajectory with the delay reconstruction of its data.

    Takens' view of a recurrent predictor: if the hidden state ``h_t`` carries what the past says about
    the future of a deterministic system, it is (a smooth function of) a point on the attractor, and so
    is the delay vector ``[y_t, ..., y_{t - (dim - 1) lag}]``. This measures the *linear* part of that
    correspondence at the same times: canonical correlations between the two point clouds (Hotelling
    1936, from orthonormal bases of the centred data) and the ``R^2`` of each coordinate of one regressed
    on the other. For a linear RNN's filtered states (themselves linear filters of the past of ``y``)
    correlations near one mean the state space *is* a linear delay reconstruction. A state may also be a
    *curved* function of the delays, which linear measures miss: the Lorenz ``z`` is even under the
    system's symmetry ``(x, y, z) -> (-x, -y, z)`` while delays of ``x`` are odd, so its linear ``R^2`` on
    them is about 0 although it is a smooth function of them. ``degree > 1`` regresses on all monomials of
    the (standardised) coordinates up to that degree (``R^2 = 0.95`` for the Lorenz ``z`` at degree 2).

    Parameters
    ----------
    states : array_like, shape (T, S)
        Hidden states ``h_1 .. h_T`` aligned with ``y`` (e.g. Kalman-filtered means, or :func:`rnnss.scan`).
    y : array_like, shape (T,) or (T, m)
        The series the model was driven by or fitted to.
    dim : int
        Number of delays.
    lag : int, default 1
        Delay in samples.
    degree : int, default 1
        Degree of the polynomial regressions (1: linear). The canonical correlations are always linear.

    Returns
    -------
    GeometryComparison
        Canonical correlations and both regressions' ``R^2``.

    Raises
    ------
    DimensionError
        If the shapes do not match.
    ValueError
        If a value is not finite, the series is too short, or either cloud is constant.

    Examples
    --------
    >>> import numpy as np
    >>> import rnnss
    >>> y = np.sin(0.3 * np.arange(200))
    >>> states = np.column_stack([y, np.r_[0.0, y[:-1]]])  # [y_t, y_{t-1}]: a delay vector itself
    >>> rnnss.compare_geometry(states, y, dim=2).canonical_correlations.round(12)
    array([1., 1.])
    """
    H = v.as_float_array("states", states)
    if H.ndim == 1:
        H = H[:, None]
    Y = _series("y", y)
    if H.ndim != 2 or H.shape[0] != Y.shape[0]:
        raise v.DimensionError(f"states must have shape ({Y.shape[0]}, S), one row per sample of y; got {H.shape}")
    v.check_finite("states", H)
    D = delay_embedding(Y, dim, lag)
    H = H[(dim - 1) * lag :]
    Uh, Ud = _whiten(H, "states"), _whiten(D, "the delay vectors")
    degree = v.as_int("degree", degree, minimum=1)
    n_features = max(math.comb(q + degree, degree) for q in (H.shape[1], D.shape[1]))  # with the constant
    if n_features >= H.shape[0]:
        raise ValueError(f"degree {degree} needs more than {n_features} aligned samples; got {H.shape[0]}")
    rho = np.clip(np.linalg.svd(Uh.T @ Ud, compute_uv=False), 0.0, 1.0)
    return GeometryComparison(rho, _r2(H, D, degree), _r2(D, H, degree), H.shape[0], dim, lag, degree)
