"""Shared numerics, written once: Stein and DARE solvers, PSD factors, companion matrices, Gaussian constants."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

__all__ = [
    "LOG_2PI",
    "symmetrize",
    "psd_sqrt",
    "psd_factor",
    "solve_stein",
    "solve_stein_schur",
    "SteinSolver",
    "solve_dare",
    "companion",
    "companion_radius",
    "half_lives",
]

#: ``log(2 pi)``, the constant of every Gaussian log-density.
LOG_2PI = math.log(2.0 * math.pi)


def symmetrize(A: np.ndarray) -> np.ndarray:
    """``(A + A^T) / 2``: the symmetric part of a square matrix (a new array)."""
    return 0.5 * (A + A.T)


def psd_sqrt(S: np.ndarray) -> np.ndarray:
    """A factor ``L`` with ``L @ L.T == S`` for a symmetric PSD (possibly singular) ``S``, from its eigenvectors.

    Eigenvalues below zero by rounding are clipped, so a singular covariance gives a rank-deficient factor
    instead of an error.
    """
    if not S.size:
        return S.copy()
    w, vecs = np.linalg.eigh(S)
    return vecs * np.sqrt(np.clip(w, 0.0, None))


def psd_factor(S: np.ndarray) -> np.ndarray:
    """``L`` with ``L @ L.T == S``: the lower Cholesky factor, or :func:`psd_sqrt` when ``S`` is singular.

    Cholesky first on purpose: sigma-point filters must place their points exactly as filterpy does.
    """
    try:
        return np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return psd_sqrt(symmetrize(S))


def solve_stein(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The symmetric solution of the Stein (discrete Lyapunov) equation ``X = A X A^T + Q`` for stable ``A``.

    scipy's solver switches to a bilinear transformation for ``n >= 10``, which loses up to four digits
    (relative residual ~1e-12 near eigenvalues of modulus 1); one step of iterative refinement on the
    residual restores a residual of a few ulps.
    """
    X = symmetrize(scipy.linalg.solve_discrete_lyapunov(A, Q))
    R = A @ X @ A.T + Q - X
    X = X + scipy.linalg.solve_discrete_lyapunov(A, symmetrize(R))
    return symmetrize(X)


def solve_stein_schur(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """``X = A X A^T + Q`` for stable ``A`` by the direct complex-Schur (Bartels-Stewart) column recursion.

    With ``A = Z T Z^H`` (``T`` upper triangular) the columns of ``Y = Z^H X Z`` follow from the last one
    backwards, each from one triangular solve ``(I - conj(t_jj) T) y_j = (Z^H Q Z)_j + T sum_{l>j} conj(t_jl) y_l``.
    No bilinear transformation and no Kronecker system: for the highly non-normal companion-like matrices of
    VARMA realisations with slow modes it is several orders of magnitude more accurate than
    :func:`solve_stein` (measured on echelon-form realisations with eigenvalues near 0.999: relative errors
    1e-10 where the bilinear route gives 1e-7); on well-conditioned ``A`` both are at rounding level. It costs
    ``n`` triangular solves (about 4x :func:`solve_stein` at ``n = 500``), so it is used where the accuracy
    matters: the minimal predictor state of an echelon-form VARMA.
    """
    n = A.shape[0]
    if n == 0:
        return Q.copy()
    T, Z = scipy.linalg.schur(A, output="complex")
    Y = Z.conj().T @ Q @ Z
    X = np.zeros((n, n), dtype=complex)
    eye = np.eye(n)
    for j in range(n - 1, -1, -1):
        rhs = Y[:, j] + T @ (X[:, j + 1 :] @ T[j, j + 1 :].conj())
        X[:, j] = scipy.linalg.solve_triangular(eye - np.conj(T[j, j]) * T, rhs, check_finite=False)
    return symmetrize((Z @ X @ Z.conj().T).real)


class SteinSolver:
    """Solver of ``X = W X W^T + Y`` and of its adjoint ``L = W^T L W + G`` for one fixed ``W``.

    Small ``n``: one LU factorisation of ``I - W (x) W`` (row-major ``vec(W X W^T) = (W (x) W) vec X``)
    serves both equations (the adjoint uses the transposed system). Larger ``n``: the refined
    Bartels-Stewart solver :func:`solve_stein`.
    """

    #: Largest ``n`` for which the ``n^2 x n^2`` Kronecker system is factorised.
    KRON_MAX = 12

    def __init__(self, W: np.ndarray):
        self.W = W
        n = W.shape[0]
        self.lu = (
            scipy.linalg.lu_factor(np.eye(n * n) - np.kron(W, W), check_finite=False) if n <= self.KRON_MAX else None
        )

    def solve(self, Y: np.ndarray, *, adjoint: bool = False) -> np.ndarray:
        """``X`` with ``X = W X W^T + Y`` (or ``X = W^T X W + Y`` with ``adjoint=True``)."""
        n = self.W.shape[0]
        if self.lu is not None:
            X = scipy.linalg.lu_solve(self.lu, Y.ravel(), trans=1 if adjoint else 0, check_finite=False)
            return symmetrize(X.reshape(n, n))
        return solve_stein(self.W.T if adjoint else self.W, Y)


def solve_dare(W: np.ndarray, V: np.ndarray, Q: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Stabilising solution of the filter DARE by the structure-preserving doubling algorithm.

    The filter DARE ``P = W P W^T - W P V^T (V P V^T + R)^{-1} V P W^T + Q`` equals
    ``P = W P (I + G P)^{-1} W^T + Q`` with ``G = V^T R^{-1} V`` (``R`` must be positive definite).
    Doubling (Chu, Fan & Lin 2005) iterates ``A <- A (I + G H)^{-1} A``,
    ``G <- G + A (I + G H)^{-1} G A^T``, ``H <- H + A^T H (I + G H)^{-1} A`` from ``(W^T, G, Q)``; ``H``
    converges quadratically to ``P``. Unlike the QZ approach it is unbothered by a (numerically)
    singular ``W``. Falls back to scipy's QZ solver if doubling does not converge.
    """
    n = W.shape[0]
    eye = np.eye(n)
    A, G, H = W.T.copy(), symmetrize(V.T @ np.linalg.solve(R, V)), Q.copy()
    for _ in range(100):
        M = eye + G @ H
        A_next = A @ np.linalg.solve(M, A)
        G_next = symmetrize(G + A @ np.linalg.solve(M, G) @ A.T)
        H_next = symmetrize(H + A.T @ H @ np.linalg.solve(M, A))
        if not np.all(np.isfinite(H_next)):
            break
        done = np.linalg.norm(H_next - H, 1) <= 1e-15 * max(np.linalg.norm(H_next, 1), np.finfo(float).tiny)
        A, G, H = A_next, G_next, H_next
        if done:
            return H
    return scipy.linalg.solve_discrete_are(W.T, V.T, Q, R)


def companion(blocks) -> np.ndarray:
    """Block companion matrix ``[[C_1 .. C_k], [I 0 .. 0], ...]`` of ``k`` square ``(m, m)`` blocks.

    Its eigenvalues are the inverse roots of ``det(I - C_1 z - ... - C_k z^k)``. ``blocks`` may be a
    sequence of ``(m, m)`` arrays, a ``(k, m, m)`` array, or a 1-D array of scalar coefficients.
    """
    arr = np.asarray(blocks, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None, None]
    k = arr.shape[0]
    if k == 0:
        return np.zeros((0, 0))
    m = arr.shape[1]
    C = np.zeros((k * m, k * m))
    C[:m] = np.hstack(list(arr))
    C[m:, :-m] = np.eye((k - 1) * m)
    return C


def companion_radius(blocks) -> float:
    """Spectral radius of :func:`companion` (0 for no blocks): the inverse of the smallest root modulus."""
    C = companion(blocks)
    return float(np.max(np.abs(np.linalg.eigvals(C)))) if C.size else 0.0


def half_lives(factors) -> np.ndarray:
    """Steps for ``|f|^k`` to halve, ``ln 0.5 / ln |f|``, elementwise.

    ``inf`` for ``|f| = 1`` (no decay), ``0`` for ``f = 0``, negative for ``|f| > 1`` (then ``-half_life`` is
    the doubling time).
    """
    with np.errstate(divide="ignore"):
        lf = np.log(np.abs(np.asarray(factors)))
        return np.where(lf == 0, np.inf, math.log(0.5) / np.where(lf == 0, 1.0, lf))
