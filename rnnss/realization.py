"""Realisations: Kalman decomposition, minimal realisation, balanced truncation and the canonical (balanced) form."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import _validate as v
from ._linalg import symmetrize
from .exceptions import StructureError
from .linear import LinearRNN, require_stable
from .structure.common import EPS, KALMAN_BLOCKS, driving, fro_norm, noise_factor, normalised
from .structure.gramians import controllability_gramian, hankel_factors, observability_gramian
from .structure.staircase import staircase_reduce

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = [
    "KalmanDecomposition",
    "BalancedTruncation",
    "kalman_decomposition",
    "minimal_realization",
    "balanced_truncation",
    "canonical_form",
]

# -- Kalman decomposition and minimal realisation ----------------------------------------------------------


@dataclass(frozen=True)
class KalmanDecomposition:
    """The orthogonal Kalman decomposition of ``(W, B, V)`` into four parts.

    With ``R`` the reachable and ``N`` the unobservable subspace, the columns of ``T`` are orthonormal
    bases of ``R cap N`` (``c_not_o``), of the rest of ``R`` (``co``), of the rest of ``R + N``
    (``not_c_not_o``) and of ``(R + N)^perp`` (``not_c_o``), in that order. Each leading group spans an
    invariant subspace, so::

        T^T W T = [[W11, W12, W13, W14],    T^T B = [B1,     V T = [0, V2, V3, V4]
                   [0,   W22, W23, W24],             B2,
                   [0,   0,   W33, W34],             0,
                   [0,   0,   0,   W44]]             0]

    and the input-output map is ``V2 (zI - W22)^{-1} B2``: ``(W22, B2, V2)`` is a minimal realisation.
    The eigenvalues of ``W11, W22, W33, W44`` are the controllable-unobservable, controllable-observable,
    uncontrollable-unobservable and uncontrollable-observable modes. (The textbook form with more zero
    blocks needs a non-orthogonal, possibly ill-conditioned ``T``.)

    Attributes
    ----------
    T : ndarray, shape (n, n)
        Orthogonal transformation, ``h = T z``.
    W : ndarray, shape (n, n)
        ``T^T W T``.
    B : ndarray, shape (n, k)
        ``T^T B`` for the driving matrix of ``source``.
    V : ndarray, shape (m, n)
        ``V T``.
    sizes : tuple of int
        Dimensions of the four parts in the order of ``blocks``.
    blocks : tuple of str
        ``("c_not_o", "co", "not_c_not_o", "not_c_o")``.
    residual : float
        Largest entry of the blocks that should be zero, relative to ``||[W, B; V, 0]||_F``; it is at the
        level of the rank tolerances for a consistent decomposition.
    source : str
        What drives the state.
    """

    T: np.ndarray
    W: np.ndarray
    B: np.ndarray
    V: np.ndarray
    sizes: tuple
    blocks: tuple
    residual: float
    source: str

    @property
    def dims(self) -> dict[str, int]:
        """``{block name: dimension}``."""
        return dict(zip(self.blocks, self.sizes))

    def block(self, name: str) -> slice:
        """The index range of part ``name`` (one of :attr:`blocks`) in the transformed coordinates."""
        if name not in self.blocks:
            raise ValueError(f"name must be one of {self.blocks}; got {name!r}")
        i = self.blocks.index(name)
        start = int(sum(self.sizes[:i]))
        return slice(start, start + self.sizes[i])

    def basis(self, name: str) -> np.ndarray:
        """Orthonormal basis (columns of ``T``) of part ``name``."""
        return self.T[:, self.block(name)]

    def __repr__(self) -> str:
        parts = ", ".join(f"{b}={s}" for b, s in zip(self.blocks, self.sizes))
        return f"KalmanDecomposition(n={self.T.shape[0]}: {parts}; residual={self.residual:.2g})"


def _orth_complement(Y: np.ndarray, n: int) -> np.ndarray:
    """Orthonormal basis of the orthogonal complement of the columns of (orthonormal) ``Y``."""
    if Y.shape[1] == 0:
        return np.eye(n)
    Uq, _ = np.linalg.qr(Y, mode="complete")
    return Uq[:, Y.shape[1] :]


def _kalman(W: np.ndarray, B: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int], float]:
    """``T`` and the four sizes of the orthogonal Kalman decomposition, and its structural residual."""
    n = W.shape[0]
    Bs, scale = normalised(W, B)
    Vs, _ = normalised(W, V.T)
    empty = (np.zeros((0, 0)), None, (), 0)
    # R from the controllability staircase, then R cap N = unobservable part of the system restricted to R
    # (R is W-invariant, so x = T1 z in R is unobservable iff z is for (T1^T W T1, V T1)). The restricted
    # pair inherits the first reduction's rounding errors: same scale, full n, and its amplification.
    Zc, _, _, r, _, _, sc = staircase_reduce(W, Bs, scale)
    T1 = Zc[:, :r]
    A1, C1s = T1.T @ W @ T1, T1.T @ Vs  # the same scaling of V as below: no re-normalised rounding noise
    So, _, _, q = staircase_reduce(A1.T, C1s, scale, n, sc)[:4] if r else empty
    # (R + N)^perp = R^perp cap N^perp by duality: N^perp is the controllable subspace of (W^T, V^T) and,
    # within it, R^perp is the part the dual "output" B^T cannot see.
    Zo, _, _, k, _, _, so = staircase_reduce(W.T, Vs, scale)
    P = Zo[:, :k]
    A2, B2s = P.T @ W @ P, P.T @ Bs
    Sp, _, _, s = staircase_reduce(A2, B2s, scale, n, so)[:4] if k else empty
    # Both q and s are the McMillan degree in exact arithmetic. Rounding only ever adds spurious couplings,
    # so a disagreement is an overestimate on one side: keep the smaller, and on the other side take the
    # intersection as the principal directions closest to it (R cap N: the directions of R with the
    # smallest component in N^perp; R^perp cap N^perp: those of N^perp with the smallest component in R).
    d = min(q, s)
    if q == d:
        X_cno = T1 @ So[:, q:]
    else:
        X_cno = T1 @ np.linalg.svd(P.T @ T1)[2][d:].T
    if s == d:
        X_nco = P @ Sp[:, s:]
    else:
        X_nco = P @ np.linalg.svd(T1.T @ P)[2][d:].T
    X_co = _orth_complement(T1.T @ X_cno, r)
    X_co = T1 @ X_co
    # Make the last block exactly orthogonal to R (it is so up to the rank tolerances), then fill in.
    head = np.hstack([X_cno, X_co])
    X_nco = X_nco - head @ (head.T @ X_nco)
    if X_nco.shape[1]:
        X_nco = np.linalg.qr(X_nco)[0]
    known = np.hstack([head, X_nco])
    X_ncno = _orth_complement(known, n)
    T = np.hstack([X_cno, X_co, X_ncno, X_nco])
    sizes = (X_cno.shape[1], X_co.shape[1], X_ncno.shape[1], X_nco.shape[1])
    Wt, Bt, Vt = T.T @ W @ T, T.T @ B, V @ T
    cuts = np.cumsum((0,) + sizes)
    off = [0.0]
    for i in range(4):
        for j in range(i):
            blk = Wt[cuts[i] : cuts[i + 1], cuts[j] : cuts[j + 1]]
            off.append(float(np.max(np.abs(blk), initial=0.0)))
    off.append(float(np.max(np.abs(Bt[cuts[2] :]), initial=0.0)))
    off.append(float(np.max(np.abs(Vt[:, : cuts[1]]), initial=0.0)))
    scale = max(np.sqrt(fro_norm(W) ** 2 + fro_norm(B) ** 2 + fro_norm(V) ** 2), np.finfo(float).tiny)
    return T, sizes, max(off) / scale


def kalman_decomposition(rnn: LinearRNN, *, source: str = "input") -> KalmanDecomposition:
    r"""Split the hidden space into controllable/uncontrollable x observable/unobservable parts.

    Built from staircase reductions only (no powers of ``W``, no eigenvectors), with an orthogonal
    transformation; see :class:`KalmanDecomposition` for the block structure.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    KalmanDecomposition
        Transformation, transformed matrices and the four dimensions.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import kalman_decomposition
    >>> rnn = rnnss.LinearRNN(W=[[0.9, 0, 0], [0, 0.5, 0], [0, 0, 0.2]], U=[[1.0], [1.0], [0.0]], V=[[1.0, 0.0, 1.0]])
    >>> kalman_decomposition(rnn).dims
    {'c_not_o': 1, 'co': 1, 'not_c_not_o': 0, 'not_c_o': 1}
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    B = driving(rnn, source)
    T, sizes, residual = _kalman(np.array(rnn.W), B, np.array(rnn.V))
    return KalmanDecomposition(T, T.T @ rnn.W @ T, T.T @ B, rnn.V @ T, sizes, KALMAN_BLOCKS, residual, source)


def minimal_realization(rnn: LinearRNN, *, preserve: str = "mean") -> LinearRNN:
    r"""An equivalent LinearRNN without the states the outputs never need.

    The states kept are the controllable-and-observable part of the orthogonal Kalman decomposition
    (``z = T_co^T h``), computed with what drives the state taken as:

    * ``preserve="mean"`` (default): the inputs ``U``, the bias ``b`` and the prior mean ``h0`` (both act
      like inputs: ``b`` is a constant input, ``h0`` an impulse before step 1). The noiseless response
      ``simulate(rnn, x=x, noise=False).y`` is then identical for every input sequence, and so are the
      Markov parameters ``V W^k U``. ``Q`` and ``P0`` are projected (``T_co^T Q T_co``); the output
      covariance is exact only if the noise lies in the kept reachable subspace.
    * ``preserve="distribution"``: also ``Q^{1/2}`` and ``P0^{1/2}``; then the whole output distribution
      (every mean and covariance of ``y_1 .. y_T``, hence the Kalman likelihood) is unchanged, at the
      price of keeping every observable state the noise excites.

    ``d``, ``R`` and ``dt`` are unchanged. Without inputs, bias or prior mean (and with
    ``preserve="mean"``) the minimal order is 0; since a LinearRNN has at least one unit, the result then
    has a single inert unit (``W = 0``, ``U = 0``, ``V = 0``) and outputs ``y = d``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    preserve : {"mean", "distribution"}
        What must stay identical (see above).

    Returns
    -------
    LinearRNN
        Of order ``n_co`` (the McMillan degree for ``preserve="mean"`` with ``b = h0 = 0``).

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``preserve`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import minimal_realization
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.5]], U=[[1.0], [1.0]], V=[[1.0, 1.0]])
    >>> small = minimal_realization(rnn)
    >>> small.n_hidden, float(abs(small.W[0, 0]))
    (1, 0.5)
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if preserve not in ("mean", "distribution"):
        raise ValueError(f"preserve must be 'mean' or 'distribution'; got {preserve!r}")
    drive = [rnn.U, rnn.b[:, None], rnn.h0[:, None]]
    if preserve == "distribution":
        drive += [noise_factor(rnn.Q), noise_factor(rnn.P0)]
    B = np.hstack(drive)
    n, m = rnn.n_hidden, rnn.n_outputs
    if not np.any(B):
        return dataclasses.replace(
            rnn,
            W=np.zeros((1, 1)),
            U=np.zeros((1, rnn.n_inputs)),
            b=np.zeros(1),
            V=np.zeros((m, 1)),
            Q=np.zeros((1, 1)),
            h0=np.zeros(1),
            P0=np.zeros((1, 1)),
        )
    T, sizes, _ = _kalman(np.array(rnn.W), B, np.array(rnn.V))
    X = T[:, sizes[0] : sizes[0] + sizes[1]]
    if X.shape[1] == 0:  # the drive reaches only unobservable states: the output is y = d
        return minimal_realization(
            dataclasses.replace(rnn, U=np.zeros_like(rnn.U), b=np.zeros(n), h0=np.zeros(n), Q=0.0, P0=0.0)
        )
    cong = lambda S: (lambda M: 0.5 * (M + M.T))(X.T @ S @ X)  # noqa: E731
    return dataclasses.replace(
        rnn,
        W=X.T @ rnn.W @ X,
        U=X.T @ rnn.U,
        b=X.T @ rnn.b,
        V=rnn.V @ X,
        Q=cong(rnn.Q),
        h0=X.T @ rnn.h0,
        P0=cong(rnn.P0),
    )


# -- balanced truncation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalancedTruncation:
    """A reduced-order model by balanced truncation, with the a-priori error bound.

    Attributes
    ----------
    rnn : LinearRNN
        The reduced network (order ``order``).
    order : int
        Number of states kept.
    hankel_singular_values : ndarray, shape (n,)
        All Hankel singular values of the original, decreasing.
    error_bound : float
        ``2 * sum(hankel_singular_values[order:])``: a bound on the H-infinity norm of the error
        ``G - G_r`` of the input-output map ``x -> y`` (Enns; Al-Saggaf & Franklin for discrete time).
        Its lower counterpart is ``hankel_singular_values[order]``.
    T : ndarray, shape (n, order)
        Right projection: the reduced state ``z`` stands for ``h ~ T z``.
    Ti : ndarray, shape (order, n)
        Left projection, ``z = Ti h``; ``Ti @ T = I``.
    """

    rnn: LinearRNN
    order: int
    hankel_singular_values: np.ndarray
    error_bound: float
    T: np.ndarray
    Ti: np.ndarray

    def __repr__(self) -> str:
        n = self.hankel_singular_values.size
        return f"BalancedTruncation(order {self.order} of {n}, H-infinity error bound {self.error_bound:.4g})"


def balanced_truncation(rnn: LinearRNN, order: int) -> BalancedTruncation:
    r"""Reduce a stable LinearRNN to ``order`` states by balanced truncation (square-root method).

    In balanced coordinates both Gramians equal ``diag(sigma)`` (the Hankel singular values); the
    states with small ``sigma`` are both hard to reach and hard to see and are dropped. The reduced
    model is stable and ``sigma_{k+1} <= ||G - G_r||_inf <= 2 sum_{i>k} sigma_i`` for the map
    ``x -> y``. The projection is applied consistently to everything else: ``b -> Ti b``,
    ``h0 -> Ti h0``, ``Q -> Ti Q Ti^T``, ``P0 -> Ti P0 Ti^T`` (``d``, ``R`` unchanged); the bound covers
    only the input-output map.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    order : int
        Number of states to keep, ``1 <= order <= n`` and at most the number of non-zero Hankel
        singular values.

    Returns
    -------
    BalancedTruncation
        The reduced model, the Hankel singular values and the error bound.

    Raises
    ------
    NotStableError
        If the spectral radius of ``W`` is ``>= 1``.
    ValueError
        If ``order`` is out of range or exceeds the numerical McMillan degree (then use
        :func:`minimal_realization` first).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import balanced_truncation
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.1]], U=[[1.0], [0.1]], V=[[1.0, 0.1]])
    >>> red = balanced_truncation(rnn, 1)
    >>> red.rnn.n_hidden, red.error_bound < 0.01
    (1, True)
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    n = rnn.n_hidden
    order = v.as_int("order", order, minimum=1)
    if order > n:
        raise ValueError(f"order must be an integer between 1 and n = {n}; got {order}")
    Lc, Lo, Z, s, Yt = hankel_factors(rnn)
    tol = n * EPS * (s[0] if s.size else 0.0)
    if not s[order - 1] > tol:
        degree = int(np.sum(s > tol))
        raise ValueError(
            f"order = {order} exceeds the numerical McMillan degree {degree} (Hankel singular value {order} is "
            f"{s[order - 1]:.3g} <= tol {tol:.3g}); use minimal_realization for an exact reduction"
        )
    scale = 1.0 / np.sqrt(s[:order])
    T = (Lc @ Yt[:order].T) * scale
    Ti = scale[:, None] * (Z[:, :order].T @ Lo.T)
    cong = lambda S: (lambda M: 0.5 * (M + M.T))(Ti @ S @ Ti.T)  # noqa: E731
    reduced = dataclasses.replace(
        rnn, W=Ti @ rnn.W @ T, U=Ti @ rnn.U, b=Ti @ rnn.b, V=rnn.V @ T, Q=cong(rnn.Q), h0=Ti @ rnn.h0, P0=cong(rnn.P0)
    )
    return BalancedTruncation(reduced, order, s, float(2.0 * np.sum(s[order:])), T, Ti)


# =====================================================================================================
# Canonical form
# =====================================================================================================


def canonical_realization(rnn: LinearRNN, ref: LinearRNN | None = None, tol: float = 1e-10) -> LinearRNN:
    """Balanced realisation; with ``ref``, the state signs are chosen to match ``ref`` (for derivatives)."""
    W, V = rnn.W, rnn.V
    n = rnn.n_hidden
    require_stable(rnn, "the canonical (balanced) form")
    P = controllability_gramian(rnn, source="both")  # reachability from [U, Q^{1/2}]
    G = observability_gramian(rnn)
    for name, M, what in (
        ("reachability", P, "the noise and inputs do not reach"),
        ("observability", G, "the outputs do not see"),
    ):
        lam = np.linalg.eigvalsh(M)
        if lam[0] <= tol * max(lam[-1], np.finfo(float).tiny):
            raise StructureError(
                f"the model is not minimal: its {name} Gramian is singular "
                f"(eigenvalues {lam[0]:.3g} .. {lam[-1]:.3g}), "
                f"{what} some hidden direction; remove it (a minimal realisation) before comparing canonical forms"
            )
    Lc = np.linalg.cholesky(P)
    s2, Ub = np.linalg.eigh(Lc.T @ G @ Lc)
    order = np.argsort(s2)[::-1]
    s2, Ub = s2[order], Ub[:, order]
    hsv = np.sqrt(s2)
    Tinv = Lc @ Ub / np.sqrt(hsv)  # h = Tinv h'
    T = (Ub * np.sqrt(hsv)).T @ np.linalg.inv(Lc)
    # Sign convention: the largest entry (in modulus) of each column of the observability matrix is positive.
    Vb = V @ Tinv
    Wb = T @ W @ Tinv
    obs = [Vb]
    for _ in range(n - 1):
        obs.append(obs[-1] @ Wb)
    Ob = np.vstack(obs)
    if ref is None:
        signs = np.sign(Ob[np.argmax(np.abs(Ob), axis=0), np.arange(n)])
    else:
        Oref = np.vstack([ref.V @ np.linalg.matrix_power(ref.W, i) for i in range(n)])
        signs = np.sign(np.sum(Ob * Oref, axis=0))
    signs[signs == 0] = 1.0
    T, Tinv = T * signs[:, None], Tinv * signs[None, :]
    return LinearRNN(
        W=T @ W @ Tinv,
        U=T @ rnn.U,
        b=T @ rnn.b,
        V=V @ Tinv,
        d=rnn.d,
        Q=symmetrize(T @ rnn.Q @ T.T),
        R=rnn.R,
        h0=T @ rnn.h0,
        P0=symmetrize(T @ rnn.P0 @ T.T),
        dt=rnn.dt,
    )


def canonical_form(rnn: LinearRNN, *, tol: float = 1e-10) -> LinearRNN:
    r"""The model in balanced coordinates: a canonical representative of its similarity class.

    The hidden basis of a linear RNN is not identified: ``h -> T h`` (``W -> T W T^{-1}``, ``U -> T U``,
    ``V -> V T^{-1}``, ``Q -> T Q T^T``) changes nothing observable. This picks the basis in which the
    reachability Gramian of ``(W, [Q^{1/2}, U])`` (the stationary state covariance plus the input part) and
    the observability Gramian of ``(W, V)`` are equal and diagonal, ``diag(sigma_1 >= ... >= sigma_n)``, the
    Hankel singular values (Moore's balanced realisation), and fixes each state's sign so that the largest
    entry of its column of the observability matrix ``[V; V W; ...]`` is positive. Two models related by a
    similarity map to the same canonical form; compare fits this way.

    Parameters
    ----------
    rnn : LinearRNN
        A stable, minimal model (noise or inputs reach every hidden direction, and every direction is seen).
    tol : float, default 1e-10
        Relative size of the smallest Gramian eigenvalue below which the model counts as non-minimal.

    Returns
    -------
    LinearRNN
        The transformed model (``R``, ``d`` and ``dt`` unchanged; ``b``, ``h0``, ``P0`` transformed too).

    Raises
    ------
    NotStableError
        If ``W`` is not stable (the Gramians do not exist).
    StructureError
        If the model is not minimal.

    Notes
    -----
    Unique when the Hankel singular values are distinct (generic); with repeated values any rotation within
    their block is balanced too. For ``n >= 2m`` even the canonical forms of two equally likely models can
    differ in their ``Q``/``R`` split, which the likelihood does not identify.

    Examples
    --------
    >>> import numpy as np, rnnss
        >>> rnn = rnnss.random_rnn(3, 2, 1, rng=0)
    >>> T = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, -1.0]])
    >>> Ti = np.linalg.inv(T)
    >>> other = rnnss.LinearRNN(W=T @ rnn.W @ Ti, U=T @ rnn.U, V=rnn.V @ Ti, Q=T @ rnn.Q @ T.T, R=rnn.R)
    >>> bool(np.allclose(rnnss.canonical_form(rnn).W, rnnss.canonical_form(other).W))
    True
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    tol = v.as_float("tol", tol, positive=True)
    return canonical_realization(rnn, None, tol)
