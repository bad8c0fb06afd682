"""The exact score of the Kalman log-likelihood: reverse-mode differentiation of the filter, on numba or NumPy."""

from __future__ import annotations

import numpy as np

from .._engine import ger, jit, max_abs_diff, mm, mmt, mtm, mtv, mv, numpy_twins, solve_lower, symmetrize
from .._linalg import LOG_2PI
from ._core import NUMPY, filtered_cov, masked_update, predict_cov

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
    Lc = np.empty((m, m))
    X = np.empty((m, n))
    Li = np.empty((m, m))
    eye_m = np.eye(m)
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
    for t in range(T):
        fprev[t] = f
        o = om[t]
        if t < frozen:
            Fprev[t] = F
            # the shared recursion (rnnss.kalman._core): predict, masked update, filtered covariance
            predict_cov(W, F, Q, WF, P)
            ok, logdet, kk = masked_update(V, R, o, P, Vo, B, S, Lc, X)
            if not ok:
                status = t + 1
                break
            k = float(kk)
            filtered_cov(P, X, WF, F)
            solve_lower(Lc, eye_m, Li)
            mtm(Li, Li, Sinv)  # S^{-1} = L^{-T} L^{-1}, kept for the backward pass
            Ps[t] = P
            Sinvs[t] = Sinv
            if tol > 0.0 and t >= 1 and full[t - 1]:
                diff, scale = max_abs_diff(P, Ps[t - 1])
                if diff <= tol * scale:
                    frozen = t + 1
        mv(W, f, a)
        a += C[t]
        mv(Vo, a, tm)
        for i in range(m):
            v_[i] = o[i] * (y[t, i] - d[i]) - tm[i]
        mv(Sinv, v_, z)
        mtv(B, z, tn)
        f = a + tn
        ll -= 0.5 * (k * LOG_2PI + logdet + np.dot(v_, z))
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
        mm(V, P, B)
        Bb = np.zeros((m, n))
        Sb = np.zeros((m, m))
        vba = np.zeros((m, n))
        for t in range(T - 1, frozen - 1, -1):
            z = zs[t]
            ger(z, fb, 1.0, Bb)  # f' = a + B^T z
            mv(B, fb, zb)
            mv(Sinv, zb, Sz)  # z = S^{-1} v
            for i in range(m):
                vb[i] = Sz[i] - z[i]
            ger(z, z, 0.5, Sb)
            ger(Sz, z, -1.0, Sb)
            gd -= vb
            mtv(V, vb, tn)
            ab = fb - tn
            ger(vb, As[t], 1.0, vba)
            gC[t] = ab
            ger(ab, fprev[t], 1.0, gW)
            mtv(W, ab, fb)
        Sb -= (0.5 * (T - frozen)) * Sinv
        # the per-step rules of the backward step below, summed over the tail (all linear in Bb, Sb)
        Sbs = Sb + Sb.T
        mm(Bb, P, SB)
        gV += SB
        mm(Sbs, V, SB)
        mm(SB, P, B)
        gV += B
        gV -= vba
        gR += Sb
        mtm(V, Bb, Pb)
        mm(Sb, V, SB)
        mtm(V, SB, BSB)
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
        mask_rows(V, o, Vo)
        mm(Vo, P, B)
        mm(Sinv, B, SB)
        symmetrize(Fb)  # adjoint of the forward symmetrisation F = (F + F^T) / 2
        Pb += Fb  # F' = P - B^T S^{-1} B; P also from the frozen tail (first pass only)
        # l_t = -(log|S| + v^T S^{-1} v)/2, with S and v as independent variables
        Sb[:, :] = -0.5 * Sinv
        ger(z, z, 0.5, Sb)
        # f' = a + B^T z
        Bb[:, :] = 0.0
        ger(z, fb, 1.0, Bb)
        mv(B, fb, zb)
        # F' = P - B^T S^{-1} B
        Fs[:, :] = Fb + Fb.T
        mm(SB, Fs, mn)
        Bb -= mn
        mm(SB, Fb, mn)
        mmt(mn, SB, mmx)
        Sb += mmx
        # z = S^{-1} v
        mv(Sinv, zb, Sz)
        for i in range(m):
            vb[i] = Sz[i] - z[i]
        ger(Sz, z, -1.0, Sb)
        # B = Vo P  and  S = Vo P Vo^T + R~
        mm(Bb, P, Vob)
        mtm(Vo, Bb, nn)
        Pb += nn
        mm(Sb, Vo, mn)
        mtm(Vo, mn, nn)
        Pb += nn
        mmx[:, :] = Sb + Sb.T
        mm(mmx, Vo, mn)
        mm(mn, P, B)
        Vob += B
        for i in range(m):
            for j in range(m):
                gR[i, j] += Sb[i, j] * o[i] * o[j]
        # v = o*(y - d) - Vo a
        for i in range(m):
            gd[i] -= o[i] * vb[i]
        mtv(Vo, vb, tn)
        ab = fb - tn
        ger(vb, As[t], -1.0, Vob)
        for i in range(m):
            for j in range(n):
                gV[i, j] += Vob[i, j] * o[i]
        # P = sym(W F W^T + Q): symmetrising the adjoint also stops rounding-level antisymmetric parts,
        # which cancel in every gradient, from growing step after step
        symmetrize(Pb)
        gQ += Pb
        mm(Pb, W, nn)
        mtm(W, nn, Fb)
        Fs[:, :] = Pb + Pb.T
        mm(Fs, W, nn)
        mm(nn, Fprev[t], nn2)
        gW += nn2
        # a = W f + c_t
        gC[t] = ab
        mtv(W, ab, fb)
        ger(ab, fprev[t], 1.0, gW)
        Pb[:, :] = 0.0
    return ll, status, frozen, gW, gC, gV, gd, gQ, gR, fb, Fb


@jit
def mask_rows(V, o, out):
    """``out = diag(o) V``."""
    for i in range(V.shape[0]):
        for j in range(V.shape[1]):
            out[i, j] = V[i, j] * o[i]


kernel_numba = jit(_kernel)
# The NumPy engine: the same kernel source, with the shared steps and helpers as their NumPy twins.
kernel_numpy = numpy_twins(
    {"kernel_numpy": _kernel}, {**globals(), **NUMPY, "mask_rows": getattr(mask_rows, "py_func", mask_rows)}
)["kernel_numpy"]
