"""numba availability, the engine choice, and the small dense kernels the compiled recursions share."""

from __future__ import annotations

import math

import numpy as np

try:  # numba is optional: without it rnnss runs its NumPy engines.
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None
    AVAILABLE = False

# For n of a few units, products compiled as loops writing into preallocated arrays beat calls into BLAS,
# whose per-call overhead dominates 4x4 products, and they avoid an allocation per product.


ENGINES = ("auto", "numba", "numpy")


def resolve_engine(engine: str) -> str:
    """``"numba"`` or ``"numpy"`` for an ``engine`` option; ``"auto"`` picks numba when it is installed.

    Raises ``ValueError`` for an unknown name and ``ImportError`` for ``"numba"`` without numba.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
    if engine == "numba" and not AVAILABLE:
        raise ImportError("engine='numba' needs numba: pip install numba (or use engine='numpy')")
    if engine == "auto":
        return "numba" if AVAILABLE else "numpy"
    return engine


def jit(func):
    """``numba.njit(cache=True, nogil=True)`` when numba is installed, else the plain Python function."""
    return numba.njit(cache=True, nogil=True)(func) if AVAILABLE else func


@jit
def mm(A, B, out):  # out = A @ B
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            out[i, j] = 0.0
        for r in range(A.shape[1]):
            a = A[i, r]
            if a != 0.0:
                for j in range(B.shape[1]):
                    out[i, j] += a * B[r, j]


@jit
def mmt(A, B, out):  # out = A @ B.T
    for i in range(A.shape[0]):
        for j in range(B.shape[0]):
            s = 0.0
            for r in range(A.shape[1]):
                s += A[i, r] * B[j, r]
            out[i, j] = s


@jit
def mtm(A, B, out):  # out = A.T @ B
    out[:, :] = 0.0
    for r in range(A.shape[0]):
        for i in range(A.shape[1]):
            a = A[r, i]
            if a != 0.0:
                for j in range(B.shape[1]):
                    out[i, j] += a * B[r, j]


@jit
def mv(A, x, out):  # out = A @ x
    for i in range(A.shape[0]):
        s = 0.0
        for r in range(A.shape[1]):
            s += A[i, r] * x[r]
        out[i] = s


@jit
def mtv(A, x, out):  # out = A.T @ x
    out[:] = 0.0
    for r in range(A.shape[0]):
        xl = x[r]
        if xl != 0.0:
            for i in range(A.shape[1]):
                out[i] += A[r, i] * xl


@jit
def ger(x, y, alpha, out):  # out += alpha x y^T
    for i in range(x.shape[0]):
        ax = alpha * x[i]
        for j in range(y.shape[0]):
            out[i, j] += ax * y[j]


@jit
def chol_inv(S, out):
    """``out = S^{-1}``, returns ``(log|S|, True)`` via a Cholesky factor; ``(0, False)`` if S is not PD."""
    m = S.shape[0]
    L = np.zeros((m, m))
    logdet = 0.0
    for j in range(m):
        s = S[j, j]
        for r in range(j):
            s -= L[j, r] * L[j, r]
        if not s > 0.0:
            return 0.0, False
        L[j, j] = math.sqrt(s)
        logdet += math.log(s)
        for i in range(j + 1, m):
            s = S[i, j]
            for r in range(j):
                s -= L[i, r] * L[j, r]
            L[i, j] = s / L[j, j]
    Li = np.zeros((m, m))
    for j in range(m):
        Li[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, m):
            s = 0.0
            for r in range(j, i):
                s -= L[i, r] * Li[r, j]
            Li[i, j] = s / L[i, i]
    mtm(Li, Li, out)
    return logdet, True


@jit
def symmetrize(A):
    for i in range(A.shape[0]):
        for j in range(i):
            s = 0.5 * (A[i, j] + A[j, i])
            A[i, j] = s
            A[j, i] = s


@jit
def mask_rows(V, o, out):
    for i in range(V.shape[0]):
        for j in range(V.shape[1]):
            out[i, j] = V[i, j] * o[i]


@jit
def cholesky(S, k, L):
    """Lower Cholesky factor of the leading k x k block of S into L; False if not positive definite."""
    for j in range(k):
        s = S[j, j]
        for r in range(j):
            s -= L[j, r] * L[j, r]
        if not s > 0.0:
            return False
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, k):
            s = S[i, j]
            for r in range(j):
                s -= L[i, r] * L[j, r]
            L[i, j] = s / L[j, j]
        for i in range(j):
            L[i, j] = 0.0
    return True


@jit
def max_abs_diff(A, B):
    """``(max|A - B|, max|A|)``: the change of a matrix and its scale."""
    diff, scale = 0.0, 0.0
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            dd = abs(A[i, j] - B[i, j])
            if dd > diff:
                diff = dd
            a = abs(A[i, j])
            if a > scale:
                scale = a
    return diff, scale


@jit
def equal(A, B):
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if A[i, j] != B[i, j]:
                return False
    return True
