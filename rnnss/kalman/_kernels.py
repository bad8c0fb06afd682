"""Compiled (numba) inner loops of the Kalman filter and RTS smoother; the NumPy engine is their reference."""

from __future__ import annotations

import math

import numpy as np

from .._engine import cholesky, equal, jit, max_abs_diff, mm, mmt
from .._linalg import LOG_2PI

# Every routine mirrors a line of the NumPy engine in kalman.py; comments there explain the mathematics.
# Full products go through the shared loop kernels of _jit; products restricted to the observed outputs
# (index list ``idx``) are written out here.


@jit
def filter_kernel(
    W, U, b, V, d, Q, R, h0, P0, x, y, obs, store, tol, mp_out, mf_out, innov, terms, Pp_s, Pf_s, S_s, K_s, Pf_last
):
    """Kalman filter of B sequences sharing model and missing-data pattern ``obs`` (T, m).

    Returns 0, or ``t + 1`` if the innovation covariance of step t is not positive definite.
    ``tol`` > 0 enables the steady-state switch (see kalman._filter_group), ``tol`` <= 0 disables it.
    """
    B, T, m = y.shape
    n = W.shape[0]
    p = U.shape[1]
    Pf = P0.copy()
    Pp = np.zeros((n, n))
    Pp_prev = np.zeros((n, n))
    tmp = np.zeros((n, n))
    A = np.zeros((n, n))
    So = np.zeros((m, m))
    L = np.zeros((m, m))
    VP = np.zeros((m, n))
    X = np.zeros((m, n))
    Kc = np.zeros((n, m))
    KR = np.zeros((n, m))
    idx = np.zeros(m, np.int64)
    mf = np.zeros((B, n))
    for i in range(B):
        for a in range(n):
            mf[i, a] = h0[a]
    mp = np.zeros(n)
    v = np.zeros(m)
    z = np.zeros(m)
    steady = False
    prev_full = False
    logdet = 0.0
    k = 0
    for t in range(T):
        kt = 0
        for j in range(m):
            if obs[t, j]:
                idx[kt] = j
                kt += 1
        full = kt == m
        if not (steady and full):
            steady = False
            # Pp = W Pf W^T + Q, symmetrised
            mm(W, Pf, tmp)
            mmt(tmp, W, A)
            for i in range(n):
                for j in range(n):
                    Pp[i, j] = 0.5 * (A[i, j] + A[j, i]) + Q[i, j]
            k = kt
            if k > 0:
                # So = Vo Pp Vo^T + Ro
                for r in range(k):
                    for j in range(n):
                        s = 0.0
                        for a in range(n):
                            s += V[idx[r], a] * Pp[a, j]
                        VP[r, j] = s
                for r in range(k):
                    for c in range(k):
                        s = 0.0
                        for a in range(n):
                            s += VP[r, a] * V[idx[c], a]
                        So[r, c] = s + R[idx[r], idx[c]]
                if not cholesky(So, k, L):
                    return t + 1
                logdet = 0.0
                for r in range(k):
                    logdet += 2.0 * math.log(L[r, r])
                # X = So^{-1} VP by forward and back substitution; gain Kc = X^T (n x k)
                for j in range(n):
                    for r in range(k):
                        s = VP[r, j]
                        for c in range(r):
                            s -= L[r, c] * X[c, j]
                        X[r, j] = s / L[r, r]
                    for r in range(k - 1, -1, -1):
                        s = X[r, j]
                        for c in range(r + 1, k):
                            s -= L[c, r] * X[c, j]
                        X[r, j] = s / L[r, r]
                for a in range(n):
                    for r in range(k):
                        Kc[a, r] = X[r, a]
                # Joseph form: Pf = (I - Kc Vo) Pp (I - Kc Vo)^T + Kc Ro Kc^T
                for i in range(n):
                    for j in range(n):
                        s = 1.0 if i == j else 0.0
                        for r in range(k):
                            s -= Kc[i, r] * V[idx[r], j]
                        A[i, j] = s
                mm(A, Pp, tmp)
                for i in range(n):
                    for r in range(k):
                        s = 0.0
                        for c in range(k):
                            s += Kc[i, c] * R[idx[c], idx[r]]
                        KR[i, r] = s
                mmt(tmp, A, Pf)
                for i in range(n):
                    for j in range(n):
                        s = 0.0
                        for r in range(k):
                            s += KR[i, r] * Kc[j, r]
                        Pf[i, j] += s
                for i in range(n):
                    for j in range(i):
                        s = 0.5 * (Pf[i, j] + Pf[j, i])
                        Pf[i, j] = s
                        Pf[j, i] = s
            else:
                for i in range(n):
                    for j in range(n):
                        Pf[i, j] = Pp[i, j]
            if tol > 0.0:
                if full and prev_full:
                    diff, scale = max_abs_diff(Pp, Pp_prev)
                    steady = diff <= tol * scale
                for i in range(n):
                    for j in range(n):
                        Pp_prev[i, j] = Pp[i, j]
            prev_full = full
        # means of every sequence in the group
        for bi in range(B):
            for a in range(n):
                s = b[a]
                for c in range(p):
                    s += U[a, c] * x[bi, t, c]
                for c in range(n):
                    s += W[a, c] * mf[bi, c]
                mp[a] = s
            if k > 0:
                quad = 0.0
                for r in range(k):
                    s = y[bi, t, idx[r]] - d[idx[r]]
                    for a in range(n):
                        s -= V[idx[r], a] * mp[a]
                    v[r] = s
                    innov[bi, t, idx[r]] = s
                for r in range(k):
                    s = v[r]
                    for c in range(r):
                        s -= L[r, c] * z[c]
                    z[r] = s / L[r, r]
                    quad += z[r] * z[r]
                terms[bi, t] = -0.5 * (k * LOG_2PI + logdet + quad)
                for a in range(n):
                    s = mp[a]
                    for r in range(k):
                        s += Kc[a, r] * v[r]
                    mf[bi, a] = s
            else:
                for a in range(n):
                    mf[bi, a] = mp[a]
            for a in range(n):
                mp_out[bi, t, a] = mp[a]
                mf_out[bi, t, a] = mf[bi, a]
        if store:
            for i in range(n):
                for j in range(n):
                    Pp_s[t, i, j] = Pp[i, j]
                    Pf_s[t, i, j] = Pf[i, j]
                for j in range(m):
                    K_s[t, i, j] = 0.0
                for r in range(k):
                    K_s[t, i, idx[r]] = Kc[i, r]
            mm(V, Pp, VP)
            mmt(VP, V, S_s[t])
            for r in range(m):
                for c in range(m):
                    S_s[t, r, c] += R[r, c]
    for i in range(n):
        for j in range(n):
            Pf_last[i, j] = Pf[i, j]
    return 0


@jit
def _gain(Pf, W, Pp, L, out):
    """Smoother gain J = Pf W^T Pp^{-1} (Cholesky solve; pseudo-inverse where Pp is near singular)."""
    n = W.shape[0]
    rhs = np.zeros((n, n))
    mm(W, Pf, rhs)  # J^T = Pp^{-1} (W Pf)
    maxdiag = 0.0
    for i in range(n):
        if abs(Pp[i, i]) > maxdiag:
            maxdiag = abs(Pp[i, i])
    ok = cholesky(Pp, n, L)
    if ok:
        mind = math.inf
        for i in range(n):
            if L[i, i] < mind:
                mind = L[i, i]
        ok = mind > 1e-7 * math.sqrt(max(maxdiag, 1e-300))
    if ok:
        X = np.zeros((n, n))
        for j in range(n):
            for r in range(n):
                s = rhs[r, j]
                for c in range(r):
                    s -= L[r, c] * X[c, j]
                X[r, j] = s / L[r, r]
            for r in range(n - 1, -1, -1):
                s = X[r, j]
                for c in range(r + 1, n):
                    s -= L[c, r] * X[c, j]
                X[r, j] = s / L[r, r]
        for i in range(n):
            for j in range(n):
                out[i, j] = X[j, i]
    else:
        X = np.linalg.pinv(Pp) @ rhs
        for i in range(n):
            for j in range(n):
                out[i, j] = X[j, i]


@jit
def _update_cov(Pf, G, Ps_next, Pp_next, D, tmp, out):
    """``out = sym(Pf + G (Ps_next - Pp_next) G^T)``, the RTS covariance step."""
    n = Pf.shape[0]
    for i in range(n):
        for j in range(n):
            D[i, j] = Ps_next[i, j] - Pp_next[i, j]
    mm(G, D, tmp)
    mmt(tmp, G, D)
    for i in range(n):
        for j in range(n):
            out[i, j] = Pf[i, j] + 0.5 * (D[i, j] + D[j, i])


@jit
def smoother_kernel(W, h0, P0, mp, Pp, mf, Pf, tol, ms, Ps, J, lag, m0, P0s):
    """RTS backward pass of B sequences sharing covariances (see kalman._smooth_group)."""
    B, T, n = mf.shape
    L = np.zeros((n, n))
    G = np.zeros((n, n))
    D = np.zeros((n, n))
    tmp = np.zeros((n, n))
    for b in range(B):
        for a in range(n):
            ms[b, T - 1, a] = mf[b, T - 1, a]
    for i in range(n):
        for j in range(n):
            Ps[T - 1, i, j] = Pf[T - 1, i, j]
    have_g = False
    frozen = False
    for t in range(T - 2, -1, -1):
        reuse = have_g and t + 2 <= T - 1 and equal(Pf[t], Pf[t + 1]) and equal(Pp[t + 1], Pp[t + 2])
        if not reuse:
            _gain(Pf[t], W, Pp[t + 1], L, G)
            frozen = False
        have_g = True
        for b in range(B):
            for a in range(n):
                s = mf[b, t, a]
                for c in range(n):
                    s += G[a, c] * (ms[b, t + 1, c] - mp[b, t + 1, c])
                ms[b, t, a] = s
        if reuse and frozen and tol > 0.0:
            for i in range(n):
                for j in range(n):
                    Ps[t, i, j] = Ps[t + 1, i, j]
                    lag[t + 1, i, j] = lag[t + 2, i, j]
        else:
            _update_cov(Pf[t], G, Ps[t + 1], Pp[t + 1], D, tmp, Ps[t])
            mmt(Ps[t + 1], G, lag[t + 1])
            if reuse and tol > 0.0:
                diff, scale = max_abs_diff(Ps[t], Ps[t + 1])
                frozen = diff <= tol * scale
        for i in range(n):
            for j in range(n):
                J[t + 1, i, j] = G[i, j]
    _gain(P0, W, Pp[0], L, G)
    for b in range(B):
        for a in range(n):
            s = h0[a]
            for c in range(n):
                s += G[a, c] * (ms[b, 0, c] - mp[b, 0, c])
            m0[b, a] = s
    _update_cov(P0, G, Ps[0], Pp[0], D, tmp, P0s)
    mmt(Ps[0], G, lag[0])
    for i in range(n):
        for j in range(n):
            J[0, i, j] = G[i, j]
    return 0
