"""numba availability, the engine choice, and the dense kernels one recursion source runs on (compiled or NumPy)."""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg

try:  # numba is optional: without it rnnss runs its NumPy engines.
    import numba

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    numba = None
    AVAILABLE = False

__all__ = [
    "AVAILABLE",
    "ENGINES",
    "BLAS_MIN_FLOPS",
    "resolve_engine",
    "jit",
    "numpy_twins",
    "HELPERS",
]

ENGINES = ("auto", "numba", "numpy")

# A product of at most this many multiply-adds runs as compiled loops: below it the fixed cost of a BLAS
# call (about 1 us from compiled code) dominates (n <= 6 for square matrices); above it BLAS wins by
# 5-15x at n = 16..64.
BLAS_MIN_FLOPS = 216


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


# -- the dense helpers, compiled: loops for small operands, BLAS for large ones ---------------------------
# Every helper writes into a preallocated ``out`` (C-contiguous float64) so a recursion allocates nothing
# per step. ``numpy_twins`` swaps each of them for the NumPy expression of the same operation.


@jit
def mm(A, B, out):  # out = A @ B
    if A.shape[0] * A.shape[1] * B.shape[1] > BLAS_MIN_FLOPS:
        np.dot(A, B, out)
        return
    for i in range(A.shape[0]):
        for j in range(B.shape[1]):
            s = 0.0
            for r in range(A.shape[1]):
                s += A[i, r] * B[r, j]
            out[i, j] = s


@jit
def mmt(A, B, out):  # out = A @ B.T
    if A.shape[0] * A.shape[1] * B.shape[0] > BLAS_MIN_FLOPS:
        np.dot(A, B.T, out)
        return
    for i in range(A.shape[0]):
        for j in range(B.shape[0]):
            s = 0.0
            for r in range(A.shape[1]):
                s += A[i, r] * B[j, r]
            out[i, j] = s


@jit
def mtm(A, B, out):  # out = A.T @ B
    if A.shape[0] * A.shape[1] * B.shape[1] > BLAS_MIN_FLOPS:
        np.dot(A.T, B, out)
        return
    for i in range(A.shape[1]):
        for j in range(B.shape[1]):
            s = 0.0
            for r in range(A.shape[0]):
                s += A[r, i] * B[r, j]
            out[i, j] = s


@jit
def mv(A, x, out):  # out = A @ x
    for i in range(A.shape[0]):
        s = 0.0
        for r in range(A.shape[1]):
            s += A[i, r] * x[r]
        out[i] = s


@jit
def mtv(A, x, out):  # out = A.T @ x
    for i in range(A.shape[1]):
        s = 0.0
        for r in range(A.shape[0]):
            s += A[r, i] * x[r]
        out[i] = s


@jit
def ger(x, y, alpha, out):  # out += alpha x y^T
    for i in range(x.shape[0]):
        ax = alpha * x[i]
        for j in range(y.shape[0]):
            out[i, j] += ax * y[j]


@jit
def symmetrize(A):  # A = (A + A^T) / 2, in place
    for i in range(A.shape[0]):
        for j in range(i):
            s = 0.5 * (A[i, j] + A[j, i])
            A[i, j] = s
            A[j, i] = s


@jit
def cholesky(S, L):
    """Lower Cholesky factor of ``S`` into ``L``; returns ``(True, log|S|)``, or ``(False, 0)`` if not PD."""
    m = S.shape[0]
    logdet = 0.0
    for j in range(m):
        s = S[j, j]
        for r in range(j):
            s -= L[j, r] * L[j, r]
        if not s > 0.0:
            return False, 0.0
        d = math.sqrt(s)
        L[j, j] = d
        logdet += 2.0 * math.log(d)
        for i in range(j + 1, m):
            s = S[i, j]
            for r in range(j):
                s -= L[i, r] * L[j, r]
            L[i, j] = s / d
        for i in range(j):
            L[i, j] = 0.0
    return True, logdet


@jit
def solve_lower(L, B, out):  # out = L^{-1} B (forward substitution, B of shape (m, k))
    m = L.shape[0]
    for c in range(B.shape[1]):
        for r in range(m):
            s = B[r, c]
            for q in range(r):
                s -= L[r, q] * out[q, c]
            out[r, c] = s / L[r, r]


@jit
def solve_upper_t(L, B, out):  # out = L^{-T} B (back substitution with the transpose of a lower L)
    m = L.shape[0]
    for c in range(B.shape[1]):
        for r in range(m - 1, -1, -1):
            s = B[r, c]
            for q in range(r + 1, m):
                s -= L[q, r] * out[q, c]
            out[r, c] = s / L[r, r]


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
def equal(A, B):  # bit-for-bit equality of two matrices
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            if A[i, j] != B[i, j]:
                return False
    return True


# -- the same helpers as NumPy expressions -----------------------------------------------------------------


def _np_mm(A, B, out):
    np.matmul(A, B, out=out)


def _np_mmt(A, B, out):
    np.matmul(A, B.T, out=out)


def _np_mtm(A, B, out):
    np.matmul(A.T, B, out=out)


def _np_mv(A, x, out):
    np.matmul(A, x, out=out)


def _np_mtv(A, x, out):
    np.matmul(A.T, x, out=out)


def _np_ger(x, y, alpha, out):
    out += alpha * np.outer(x, y)


def _np_symmetrize(A):
    A[...] = 0.5 * (A + A.T)


def _np_cholesky(S, L):
    try:
        L[...] = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return False, 0.0
    return True, 2.0 * float(np.sum(np.log(np.diag(L))))


def _np_solve_lower(L, B, out):
    out[...] = scipy.linalg.solve_triangular(L, B, lower=True, check_finite=False)


def _np_solve_upper_t(L, B, out):
    out[...] = scipy.linalg.solve_triangular(L, B, lower=True, trans="T", check_finite=False)


def _np_max_abs_diff(A, B):
    return float(np.max(np.abs(A - B), initial=0.0)), float(np.max(np.abs(A), initial=0.0))


def _np_equal(A, B):
    return bool(np.array_equal(A, B))


#: The NumPy expression of every compiled helper, by the name a recursion calls it with.
HELPERS = {
    "mm": _np_mm,
    "mmt": _np_mmt,
    "mtm": _np_mtm,
    "mv": _np_mv,
    "mtv": _np_mtv,
    "ger": _np_ger,
    "symmetrize": _np_symmetrize,
    "cholesky": _np_cholesky,
    "solve_lower": _np_solve_lower,
    "solve_upper_t": _np_solve_upper_t,
    "max_abs_diff": _np_max_abs_diff,
    "equal": _np_equal,
}


def numpy_twins(funcs: dict[str, Callable[..., Any]], module_globals: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """The NumPy engine of a set of recursions: the same source, with every helper a NumPy expression.

    ``funcs`` maps names to the plain Python functions (``func.py_func`` of compiled ones); each twin is a
    copy of the function whose global names resolve first to :data:`HELPERS` and to the other twins, so a
    recursion written once runs compiled (numba engine) or on NumPy (reference engine) unchanged.
    """
    namespace = dict(module_globals)
    namespace.update(HELPERS)
    twins = {
        name: types.FunctionType(
            getattr(f, "py_func", f).__code__, namespace, name, getattr(f, "py_func", f).__defaults__
        )
        for name, f in funcs.items()
    }
    namespace.update(twins)
    return twins
