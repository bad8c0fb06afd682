"""The exact score of the Kalman log-likelihood: reverse-mode differentiation of the filter, on numba or NumPy."""

from __future__ import annotations

import math
import types

import numpy as np
import scipy.linalg

from .._engine import AVAILABLE as _NUMBA

# =====================================================================================================
# The exact score: reverse-mode differentiation of the Kalman filter
# =====================================================================================================
#
# Forward pass, per step t (o = 0/1 mask of observed outputs; missing outputs get a zero row of V, a unit
# variance and a zero innovation, so they drop out of every formula):
#     a = W f + c_t,  P = W F W^T + Q,  v = o*(y_t - d) - Vo a,  S = Vo P Vo^T + R~,  z = S^{-1} v,
#     B = Vo P,  f' = a + B^T z,  F' = P - B^T S^{-1} B,  l_t = -(k log 2pi + log|S| + v^T z) / 2 .
# The backward pass applies the adjoint of each line in reverse order (every matrix entry treated as an
# independent variable, so the chain rule holds exactly for the recursion as computed). Its cost is one
# more filter pass, whatever the number of parameters; Q and R may be singular (only S must be
# positive definite), which Fisher's-identity scores (they need Q^{-1} and R^{-1}) cannot handle.
#
# Steady-state freeze (as in kalman_filter): once two consecutive fully observed steps give predicted
# covariances within `tol` (relative) and every later step is fully observed, the later steps reuse that
# P, S^{-1} and B. The computed function is then "P_t = P_t0 for t > t0"; its exact adjoint sends each
# frozen step's covariance adjoint to P_t0, and because those adjoints are sums of rank-one terms in the
# per-step vectors, the frozen tail costs O(n^2) per step instead of O(n^3).


def _kernel(W, C, V, d, Q, R, h0, P0, y, om, grad, tol):
    """The filter and its adjoint for one sequence (see the comment above); helpers are module globals."""
    T, m = y.shape
    n = W.shape[0]
    fprev = np.empty((T, n))
    As = np.empty((T, n))
    zs = np.empty((T, m))
    Fprev = np.empty((T, n, n))
    Ps = np.empty((T, n, n))
    Sinvs = np.empty((T, m, m))
    full = np.empty(T + 1, dtype=np.bool_)  # full[t]: steps t..T-1 all fully observed
    full[T] = True
    for t in range(T - 1, -1, -1):
        ok_t = full[t + 1]
        for i in range(m):
            if om[t, i] == 0.0:
                ok_t = False
        full[t] = ok_t
    f = h0.copy()
    F = P0.copy()
    WF = np.empty((n, n))
    P = np.empty((n, n))
    Vo = np.empty((m, n))
    B = np.empty((m, n))
    S = np.empty((m, m))
    Sinv = np.empty((m, m))
    SB = np.empty((m, n))
    BSB = np.empty((n, n))
    a = np.empty(n)
    tn = np.empty(n)
    tm = np.empty(m)
    v_ = np.empty(m)
    z = np.empty(m)
    ll = 0.0
    logdet = 0.0
    k = 0.0
    status = 0
    frozen = T  # first step that reuses the steady covariances
    log2pi = math.log(2.0 * math.pi)
    for t in range(T):
        fprev[t] = f
        o = om[t]
        if t < frozen:
            Fprev[t] = F
            _mm(W, F, WF)
            _mmt(WF, W, P)
            P += Q
            _symmetrize(P)
            _mask_rows(V, o, Vo)
            _mm(Vo, P, B)
            _mmt(B, Vo, S)
            k = 0.0
            for i in range(m):
                k += o[i]
                for j in range(m):
                    S[i, j] += R[i, j] * o[i] * o[j]
                S[i, i] += 1.0 - o[i]
            logdet, ok = _chol_inv(S, Sinv)
            if not ok:
                status = t + 1
                break
            _mm(Sinv, B, SB)
            _mtm(B, SB, BSB)
            F = P - BSB
            _symmetrize(F)
            Ps[t] = P
            Sinvs[t] = Sinv
            if tol > 0.0 and t >= 1 and full[t - 1]:
                diff = 0.0
                scale = 0.0
                for i in range(n):
                    for j in range(n):
                        diff = max(diff, abs(P[i, j] - Ps[t - 1, i, j]))
                        scale = max(scale, abs(P[i, j]))
                if diff <= tol * scale:
                    frozen = t + 1
        _mv(W, f, a)
        a += C[t]
        _mv(Vo, a, tm)
        for i in range(m):
            v_[i] = o[i] * (y[t, i] - d[i]) - tm[i]
        _mv(Sinv, v_, z)
        _mtv(B, z, tn)
        f = a + tn
        ll -= 0.5 * (k * log2pi + logdet + np.dot(v_, z))
        As[t] = a
        zs[t] = z
    gW = np.zeros((n, n))
    gC = np.zeros((T, n))
    gV = np.zeros((m, n))
    gd = np.zeros(m)
    gQ = np.zeros((n, n))
    gR = np.zeros((m, m))
    fb = np.zeros(n)
    Fb = np.zeros((n, n))
    if not grad or status != 0:
        return ll, status, frozen, gW, gC, gV, gd, gQ, gR, fb, Fb
    zb = np.empty(m)
    Sz = np.empty(m)
    vb = np.empty(m)
    ab = np.empty(n)
    Pb = np.zeros((n, n))  # adjoint of the frozen P from the tail, then per step
    if frozen < T:
        # Frozen tail: Vo = V (fully observed), P, B, S^{-1} those of step t0 = frozen - 1; the filtered
        # covariance is unused there, so no matrix adjoint flows between tail steps.
        t0 = frozen - 1
        P[:, :] = Ps[t0]
        Sinv[:, :] = Sinvs[t0]
        _mm(V, P, B)
        Bb = np.zeros((m, n))
        Sb = np.zeros((m, m))
        vba = np.zeros((m, n))
        for t in range(T - 1, frozen - 1, -1):
            z = zs[t]
            _ger(z, fb, 1.0, Bb)  # f' = a + B^T z
            _mv(B, fb, zb)
            _mv(Sinv, zb, Sz)  # z = S^{-1} v
            for i in range(m):
                vb[i] = Sz[i] - z[i]
            _ger(z, z, 0.5, Sb)
            _ger(Sz, z, -1.0, Sb)
            gd -= vb
            _mtv(V, vb, tn)
            ab = fb - tn
            _ger(vb, As[t], 1.0, vba)
            gC[t] = ab
            _ger(ab, fprev[t], 1.0, gW)
            _mtv(W, ab, fb)
        Sb -= (0.5 * (T - frozen)) * Sinv
        # the per-step rules of the backward step below, summed over the tail (all linear in Bb, Sb)
        Sbs = Sb + Sb.T
        _mm(Bb, P, SB)
        gV += SB
        _mm(Sbs, V, SB)
        _mm(SB, P, B)
        gV += B
        gV -= vba
        gR += Sb
        _mtm(V, Bb, Pb)
        _mm(Sb, V, SB)
        _mtm(V, SB, BSB)
        Pb += BSB
    Bb = np.empty((m, n))
    Sb = np.empty((m, m))
    Vob = np.empty((m, n))
    Fs = np.empty((n, n))
    nn = np.empty((n, n))
    nn2 = np.empty((n, n))
    mn = np.empty((m, n))
    mmx = np.empty((m, m))
    for t in range(min(frozen, T) - 1, -1, -1):
        o = om[t]
        z = zs[t]
        P[:, :] = Ps[t]
        Sinv[:, :] = Sinvs[t]
        _mask_rows(V, o, Vo)
        _mm(Vo, P, B)
        _mm(Sinv, B, SB)
        _symmetrize(Fb)  # adjoint of the forward symmetrisation F = (F + F^T) / 2
        Pb += Fb  # F' = P - B^T S^{-1} B; P also from the frozen tail (first pass only)
        # l_t = -(log|S| + v^T S^{-1} v)/2, with S and v as independent variables
        Sb[:, :] = -0.5 * Sinv
        _ger(z, z, 0.5, Sb)
        # f' = a + B^T z
        Bb[:, :] = 0.0
        _ger(z, fb, 1.0, Bb)
        _mv(B, fb, zb)
        # F' = P - B^T S^{-1} B
        Fs[:, :] = Fb + Fb.T
        _mm(SB, Fs, mn)
        Bb -= mn
        _mm(SB, Fb, mn)
        _mmt(mn, SB, mmx)
        Sb += mmx
        # z = S^{-1} v
        _mv(Sinv, zb, Sz)
        for i in range(m):
            vb[i] = Sz[i] - z[i]
        _ger(Sz, z, -1.0, Sb)
        # B = Vo P  and  S = Vo P Vo^T + R~
        _mm(Bb, P, Vob)
        _mtm(Vo, Bb, nn)
        Pb += nn
        _mm(Sb, Vo, mn)
        _mtm(Vo, mn, nn)
        Pb += nn
        mmx[:, :] = Sb + Sb.T
        _mm(mmx, Vo, mn)
        _mm(mn, P, B)
        Vob += B
        for i in range(m):
            for j in range(m):
                gR[i, j] += Sb[i, j] * o[i] * o[j]
        # v = o*(y - d) - Vo a
        for i in range(m):
            gd[i] -= o[i] * vb[i]
        _mtv(Vo, vb, tn)
        ab = fb - tn
        _ger(vb, As[t], -1.0, Vob)
        for i in range(m):
            for j in range(n):
                gV[i, j] += Vob[i, j] * o[i]
        # P = sym(W F W^T + Q): symmetrising the adjoint also stops rounding-level antisymmetric parts,
        # which cancel in every gradient, from growing step after step
        _symmetrize(Pb)
        gQ += Pb
        _mm(Pb, W, nn)
        _mtm(W, nn, Fb)
        Fs[:, :] = Pb + Pb.T
        _mm(Fs, W, nn)
        _mm(nn, Fprev[t], nn2)
        gW += nn2
        # a = W f + c_t
        gC[t] = ab
        _mtv(W, ab, fb)
        _ger(ab, fprev[t], 1.0, gW)
        Pb[:, :] = 0.0
    return ll, status, frozen, gW, gC, gV, gd, gQ, gR, fb, Fb


def _np_mm(A, B, out):
    np.matmul(A, B, out=out)


def _np_mmt(A, B, out):
    np.matmul(A, B.T, out=out)


def _np_mtm(A, B, out):
    np.matmul(A.T, B, out=out)


def _np_mtv(A, x, out):
    np.matmul(A.T, x, out=out)


def _np_ger(x, y, alpha, out):
    out += alpha * np.outer(x, y)


def _np_chol_inv(S, out):
    try:
        L = np.linalg.cholesky(S)
    except np.linalg.LinAlgError:
        return 0.0, False
    Li = scipy.linalg.solve_triangular(L, np.eye(S.shape[0]), lower=True, check_finite=False)
    np.matmul(Li.T, Li, out=out)
    return 2.0 * float(np.sum(np.log(np.diag(L)))), True


def _np_sym(A):
    A[...] = 0.5 * (A + A.T)


def _np_mask_rows(V, o, out):
    np.multiply(V, o[:, None], out=out)


_NUMPY_HELPERS = dict(
    _mm=_np_mm,
    _mmt=_np_mmt,
    _mtm=_np_mtm,
    _mv=_np_mm,
    _mtv=_np_mtv,
    _ger=_np_ger,
    _chol_inv=_np_chol_inv,
    _symmetrize=_np_sym,
    _mask_rows=_np_mask_rows,
)
# The same kernel source run on NumPy: a copy of the function whose global helper names are the NumPy ones.
# (A closure over the helpers would do too, but numba cannot cache closures across processes.)
kernel_numpy = types.FunctionType(_kernel.__code__, {**globals(), **_NUMPY_HELPERS}, "kernel_numpy")

if _NUMBA:
    from .._engine import chol_inv as _chol_inv
    from .._engine import ger as _ger
    from .._engine import jit as _jit
    from .._engine import mask_rows as _mask_rows
    from .._engine import mm as _mm
    from .._engine import mmt as _mmt
    from .._engine import mtm as _mtm
    from .._engine import mtv as _mtv
    from .._engine import mv as _mv
    from .._engine import symmetrize as _symmetrize

    kernel_numba = _jit(_kernel)
else:  # pragma: no cover
    globals().update(_NUMPY_HELPERS)
    kernel_numba = None
