"""Shared numerics, written once: Stein and DARE solvers, PSD factors, companion matrices, Gaussian constants."""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass

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
    "EigenCluster",
    "eigen_clusters",
    "EPS",
    "CLUSTER_FACTOR",
    "fro_norm",
]

EPS = float(np.finfo(float).eps)

# Computed eigenvalues whose error disks, enlarged by this factor, overlap are treated as one repeated
# eigenvalue. The first-order bound kappa * eps * ||W|| underestimates the O(eps^(1/k)) splitting of a
# k x k Jordan block by a modest factor (about 1 for k = 2, a few for k = 3); 10 covers that.
CLUSTER_FACTOR = 10.0

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


def _stein_residual(A: np.ndarray, Q: np.ndarray, X: np.ndarray) -> float:
    scale = max(fro_norm(X), fro_norm(Q), np.finfo(float).tiny)
    return fro_norm(A @ X @ A.T + Q - X) / scale


def _stein_doubling(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """Smith's doubling ``X <- X + A_k X A_k^T``, ``A_k <- A_k^2``: sums ``A^j Q A^{jT}`` in ``log2`` steps.

    Exact after ``log2(k)`` steps for a nilpotent ``A`` of index ``k`` and unbothered by a huge, highly
    non-normal ``A``, where the Kronecker and Bartels-Stewart forms are ill-conditioned.
    """
    X, Ak = symmetrize(Q), A.copy()
    for _ in range(80):
        step = Ak @ X @ Ak.T
        X = symmetrize(X + step)
        Ak = Ak @ Ak
        if fro_norm(step) <= EPS * fro_norm(X) or not np.any(Ak):
            break
    return X


def solve_stein(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The symmetric solution of the Stein (discrete Lyapunov) equation ``X = A X A^T + Q`` for stable ``A``.

    scipy's solver switches to a bilinear transformation for ``n >= 10``, which loses up to four digits
    (relative residual ~1e-12 near eigenvalues of modulus 1); one step of iterative refinement on the
    residual restores a residual of a few ulps. Where scipy's solves are ill-conditioned (a huge non-normal
    ``A``, such as ``[[0, 1e6], [0, 0]]``) Smith's doubling takes over, and the better residual wins; no
    ``LinAlgWarning`` leaks.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        X = symmetrize(scipy.linalg.solve_discrete_lyapunov(A, Q))
        R = A @ X @ A.T + Q - X
        X = symmetrize(X + scipy.linalg.solve_discrete_lyapunov(A, symmetrize(R)))
    res = _stein_residual(A, Q, X) if np.all(np.isfinite(X)) else np.inf
    if res > 64 * A.shape[0] * EPS:
        Y = _stein_doubling(A, Q)
        if np.all(np.isfinite(Y)) and _stein_residual(A, Q, Y) < res:
            return Y
    return X


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


def fro_norm(M: np.ndarray) -> float:
    """Frobenius norm, scaled first so that entries near the overflow limit do not overflow their squares."""
    big = float(np.max(np.abs(M), initial=0.0))
    return big * float(np.linalg.norm(M / big)) if big > 0 else 0.0


# -- eigenvalue clusters and their error bounds -----------------------------------------------------------


def _spectrum(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of ``W`` and their condition numbers ``kappa_i = 1 / |y_i^H x_i|`` (unit eigenvectors).

    LAPACK's eigenvalues are exact for ``W + E`` with ``||E|| ~ n eps ||W||``; to first order a simple
    eigenvalue then moves by at most ``kappa_i ||E||``. Defective eigenvalues have ``kappa = inf`` (or
    huge) and move by ``O(||E||^(1/k))`` instead.
    """
    lam, vl, vr = scipy.linalg.eig(W, left=True, right=True)
    cosine = np.abs(np.einsum("ij,ij->j", vl.conj(), vr))
    with np.errstate(divide="ignore"):
        kappa = np.where(cosine > 0, 1.0 / np.where(cosine > 0, cosine, 1.0), np.inf)
    return lam.astype(complex), kappa


def _projector_norm(W: np.ndarray, members: np.ndarray, mu: complex, kappa: np.ndarray, scatter: float) -> float:
    """``||P||_2`` for the spectral projector onto the invariant subspace of one eigenvalue cluster.

    The mean of a cluster of eigenvalues moves by at most ``||P|| ||E||`` (to first order) under a
    perturbation ``E``; unlike the individual members of a defective cluster it is well conditioned.
    Computed from a Schur form with the cluster moved to the top (``T11``): ``||P||^2 = 1 + ||R||^2``
    where ``T11 R - R T22 = T12`` (the quantity LAPACK's ``trsen`` estimates). ``scatter`` bounds how far
    a recomputation may move the members (for a defective cluster the Hoelder bound, ~sqrt(eps) for a
    2 x 2 Jordan block), so the reordering picks the same cluster however its members are split.
    """
    n, k = W.shape[0], members.size
    if k == n:
        return 1.0
    if k == 1:
        return float(kappa[0])
    rad = 2.0 * float(np.max(np.abs(members - mu))) + 2.0 * scatter + 4.0 * n * EPS * fro_norm(W)
    T, _, sdim = scipy.linalg.schur(W.astype(complex), output="complex", sort=lambda z: abs(z - mu) <= rad)
    if sdim != k:  # the recomputed eigenvalues did not separate the same way: the Hoelder-type bound
        return float(min(np.max(kappa), (n * EPS) ** (-(k - 1) / k)))
    R = scipy.linalg.solve_sylvester(T[:k, :k], -T[k:, k:], T[:k, k:])
    return float(np.sqrt(1.0 + np.linalg.norm(R, 2) ** 2))


@dataclass(frozen=True)
class EigenCluster:
    """Computed eigenvalues that cannot be told apart, and where to evaluate the PBH matrices.

    ``points[0]`` is the cluster mean; the other points are the distinct computed members. ``errors`` are
    absolute error bounds of those points as eigenvalues of ``W``.
    """

    mean: complex
    size: int
    points: np.ndarray
    errors: np.ndarray
    unstable: bool
    conj_of: int | None = None


def eigen_clusters(W: np.ndarray) -> list[EigenCluster]:
    """The eigenvalues of ``W`` grouped into clusters that rounding cannot tell apart, by decreasing modulus.

    A repeated or defective eigenvalue (a Jordan block at 1 of a rigid-body plant, say) comes back from
    LAPACK split by up to ``(n eps)^(1/k)``; the members of such a cluster are merged, the cluster mean
    (well conditioned, through the norm of its spectral projector) carries an error bound, and each
    cluster says whether it is unstable: ``|mean| >= 1 - error``. Every decision that needs "is this mode
    inside the unit circle" (stability, PBH detectability and stabilisability) uses these bounds.
    """
    n = W.shape[0]
    normW = fro_norm(W)
    lam, kappa = _spectrum(W)
    # Clustering: eigenvalues whose first-order error disks (enlarged by CLUSTER_FACTOR) overlap are one.
    # kappa * eps matches the actual O(eps^(1/k)) scatter of a perturbed k x k Jordan block within a
    # modest factor, because kappa itself grows like eps^(-(k-1)/k) there; the disks are capped at the
    # scatter of a 4 x 4 block, (n eps)^(1/4), so that one wildly ill-conditioned eigenvalue cannot swallow
    # the spectrum. kappa = inf (exactly parallel eigenvectors) only happens for exactly equal computed
    # eigenvalues (e.g. a triangular Jordan block), which merge by equality with a zero-width disk.
    err = np.where(np.isfinite(kappa), np.minimum(kappa * n * EPS, (n * EPS) ** 0.25), 0.0) * normW
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if abs(lam[i] - lam[j]) <= CLUSTER_FACTOR * (err[i] + err[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    clusters = []
    for g in groups.values():
        members, kap = lam[g], kappa[g]
        mu = complex(members.mean())
        k = len(g)
        # a member of a defective cluster is off by at most about (n eps)^(1/k) ||W|| (Hoelder bound)
        member_err = np.minimum(kap * n * EPS, (n * EPS) ** (1.0 / k)) * normW
        mean_err = min(_projector_norm(W, members, mu, kap, float(np.max(member_err))) * n * EPS, 1.0) * normW
        distinct = np.abs(members - mu) > 0
        points = np.concatenate([[mu], members[distinct]]) if k > 1 else np.array([mu])
        errors = np.concatenate([[mean_err], member_err[distinct]]) if k > 1 else np.array([mean_err])
        # unstable unless |lambda| < 1 holds beyond the mean's rounding error
        clusters.append(EigenCluster(mu, k, points, errors, abs(mu) >= 1.0 - mean_err))
    clusters.sort(key=lambda c: (-abs(c.mean), -c.mean.imag))
    # mark each cluster in the lower half-plane that mirrors an earlier one (same size, conjugate mean)
    for i, cl in enumerate(clusters):
        if cl.mean.imag < 0:
            for j in range(i):
                other = clusters[j]
                if other.size == cl.size and abs(other.mean - cl.mean.conjugate()) <= 4 * n * EPS * max(normW, 1e-300):
                    clusters[i] = dataclasses.replace(cl, conj_of=j)
                    break
    return clusters
