"""The Kalman recursions, written once: predict, masked update, mean step, information-form smoothing step."""
#
# Every engine runs these functions: the numba engine compiles them, the NumPy engine runs the same source
# with NumPy helpers (``rnnss._engine.numpy_twins``), and the exact score's forward pass (``_adjoint``) calls
# the same ``predict_cov`` and ``masked_update``. A fix lands once.
#
# Conventions (0-based step ``t`` is the model's step ``t + 1``):
#
# * system arrays carry a leading time axis of length 1 (time-invariant) or ``T``: ``W[t]`` maps ``h_{t-1}``
#   to ``h_t``, ``Q[t]`` is the covariance of that step's noise, ``V[t]``, ``R[t]`` belong to ``y_t``, and
#   ``S[t] = Cov(eta_{t+1}, eps_t)`` couples the output noise of step ``t`` to the state noise of step
#   ``t + 1`` (the textbook ``E[w_t v_t^T]`` of ``x_{t+1} = A x_t + w_t``, ``y_t = C x_t + v_t``);
# * missing outputs are masked, not dropped: their row of ``V`` is zeroed and their innovation variance set
#   to one, so they drop out of every formula and one code path serves every missing-data pattern;
# * the update is ``B = Vo P``, ``F = Vo P Vo^T + R~ = L L^T``, ``X = L^{-1} B``, ``P_f = P - X^T X``: no
#   inverse of a (possibly singular) state covariance is ever formed;
# * the smoother is the backward information recursion (de Jong 1989; Durbin & Koopman 2012, sec. 4.4)
#   ``r_t = Vo^T F^{-1} v_t + L_t^T r_{t+1}``, ``N_t = Vo^T F^{-1} Vo + L_t^T N_{t+1} L_t`` with the error
#   transition ``L_t = W_{t+1} - (W_{t+1} P_t Vo^T + S_t) F^{-1} Vo``, giving ``E[h_t | Y] = a_t + P_t r_t``
#   and ``Cov[h_t | Y] = P_t - P_t N_t P_t``: exact when ``Q`` is rank-deficient, ``R = 0`` or ``P`` is
#   singular, where the RTS form's ``P_{t+1|t}^{-1}`` does not exist.

from __future__ import annotations

import numpy as np

from .._engine import (
    cholesky,
    jit,
    max_abs_diff,
    mm,
    mmt,
    mtm,
    numpy_twins,
    solve_lower,
    solve_upper_t,
    symmetrize,
)
from .._linalg import LOG_2PI


@jit
def at(A, t):
    """``A[t]`` of a time-varying system array, ``A[0]`` of a time-invariant one."""
    return A[t] if A.shape[0] > 1 else A[0]


@jit
def predict_cov(W, Pf, Q, tmp, P):
    """``P = sym(W Pf W^T) + Q``: the covariance of the next state before its output is seen."""
    mm(W, Pf, tmp)
    mmt(tmp, W, P)
    symmetrize(P)
    for i in range(P.shape[0]):
        for j in range(P.shape[1]):
            P[i, j] += Q[i, j]


@jit
def masked_update(V, R, o, P, Vo, B, F, L, X):
    """The update quantities of one step with observed-output mask ``o`` (1 observed, 0 missing).

    Fills ``Vo = diag(o) V``, ``B = Vo P``, ``F = Vo P Vo^T + diag(o) R diag(o) + diag(1 - o)``, its lower
    Cholesky factor ``L`` and ``X = L^{-1} B``. Returns ``(ok, log|F|, k)``: ``ok`` False when ``F`` is not
    positive definite (an observed output is an exact function of the past), ``k`` the number observed.
    """
    m = V.shape[0]
    k = 0
    for i in range(m):
        k += int(o[i])
        for j in range(V.shape[1]):
            Vo[i, j] = V[i, j] * o[i]
    mm(Vo, P, B)
    mmt(B, Vo, F)
    symmetrize(F)
    for i in range(m):
        for j in range(m):
            F[i, j] += R[i, j] * o[i] * o[j]
        F[i, i] += 1.0 - o[i]
    ok, logdet = cholesky(F, L)
    if ok:
        solve_lower(L, B, X)
    return ok, logdet, k


@jit
def filtered_cov(P, X, tmp, Pf):
    """``Pf = sym(P - X^T X)``: the covariance after the update (``X = L^{-1} Vo P``)."""
    mtm(X, X, tmp)
    for i in range(P.shape[0]):
        for j in range(P.shape[1]):
            Pf[i, j] = P[i, j] - tmp[i, j]
    symmetrize(Pf)


@jit
def cross_factor(S, o, L, T1, Y):
    """With ``S = Cov(eta_{t+1}, eps_t)``: ``Y = L^{-1} (S diag(o))^T``, so that ``S F^{-1} v = Y^T z``."""
    m, n = T1.shape
    for i in range(m):
        for j in range(n):
            T1[i, j] = S[j, i] * o[i]
    solve_lower(L, T1, Y)


@jit
def cross_correction(X, Y, W, KS, WKS, C):
    """``C = S F^{-1} S^T + W K S^T + S K^T W^T`` (``K S^T = X^T Y``), to subtract from ``W P_f W^T + Q``."""
    n = C.shape[0]
    mtm(Y, Y, C)
    mtm(X, Y, KS)
    mm(W, KS, WKS)
    for i in range(n):
        for j in range(n):
            C[i, j] += WKS[i, j] + WKS[j, i]


#: ``filter_covariances`` ran out of table rows: grow the table and resume.
NEED_ROWS = -1


@jit
def filter_covariances(
    W, Q, V, R, S, has_s, P0, first_predicted, obs, tol, start, counters, node, Pp, Pf, L, X, Y, logdet, k
):
    """Phase 1 of the filter: the covariance path of one missing-data pattern ``obs`` (T, m), as a table.

    Each step either reuses the previous step's row (``node[t] = node[t-1]``) or writes a new row of the
    tables ``Pp``, ``Pf`` (predicted and filtered covariances), ``L``, ``X``, ``Y`` (update factors),
    ``logdet``, ``k``: a row is reused once the Riccati recursion has converged -- two consecutive fully
    observed steps of a time-invariant system with predicted covariances within ``tol`` (relative,
    max-abs; ``tol <= 0`` disables it) -- until a step with missing outputs. Long steady stretches then cost
    one row, so the path of a million steps fits in a few rows.

    ``counters = [rows used, steady flag, previous step fully observed]`` carries the state between calls:
    the function returns ``(status, t)`` with ``status = 0`` when done, ``t + 1`` if the innovation
    covariance of step ``t`` is not positive definite, or :data:`NEED_ROWS` when the tables are full at
    step ``t`` (grow them and call again with ``start = t``).
    """
    T, m = obs.shape
    n = P0.shape[0]
    cap = Pp.shape[0]
    tv = W.shape[0] > 1 or Q.shape[0] > 1 or V.shape[0] > 1 or R.shape[0] > 1 or S.shape[0] > 1
    tmp = np.empty((n, n))
    C = np.empty((n, n))
    KS = np.empty((n, n))
    WKS = np.empty((n, n))
    Vo = np.empty((m, n))
    B = np.empty((m, n))
    F = np.empty((m, m))
    T1 = np.empty((m, n))
    for t in range(start, T):
        o = obs[t]
        full = True
        for j in range(m):
            if o[j] == 0.0:
                full = False
        if counters[1] == 1 and full:
            node[t] = node[t - 1]
            continue
        counters[1] = 0
        e = counters[0]
        if e >= cap:
            return NEED_ROWS, t
        P = Pp[e]
        if t == 0:
            if first_predicted:
                P[:, :] = P0
            else:
                predict_cov(at(W, 0), P0, at(Q, 0), tmp, P)
        else:
            prev = node[t - 1]
            predict_cov(at(W, t), Pf[prev], at(Q, t), tmp, P)
            if has_s and k[prev] > 0:
                cross_correction(X[prev], Y[prev], at(W, t), KS, WKS, C)
                for i in range(n):
                    for j in range(n):
                        P[i, j] -= C[i, j]
                symmetrize(P)
        ok, ld, kt = masked_update(at(V, t), at(R, t), o, P, Vo, B, F, L[e], X[e])
        if not ok:
            return t + 1, t
        logdet[e] = ld
        k[e] = kt
        filtered_cov(P, X[e], tmp, Pf[e])
        if has_s and kt > 0:
            cross_factor(at(S, t), o, L[e], T1, Y[e])
        node[t] = e
        counters[0] = e + 1
        if tol > 0.0 and not tv and full and counters[2] == 1:
            diff, scale = max_abs_diff(P, Pp[node[t - 1]])
            if diff <= tol * scale:
                counters[1] = 1
        counters[2] = 1 if full else 0
    return 0, T


@jit
def filter_means(W, V, obs, first_predicted, has_s, h0, C, E, ys, node, L, X, Y, logdet, k, mp, mf, innov, terms):
    """Phase 2 of the filter: means, innovations and log-likelihood terms of ``B`` sequences.

    ``C`` (B, T, n) holds ``U x_t + b``, ``E`` (B, T, m) ``D x_t + d`` (either may be (1, 1, .) when
    constant), ``ys`` (B, T, m) the outputs (any value where missing); the covariance factors are the rows
    ``node[t]`` of the tables of :func:`filter_covariances`.
    """
    nb, T, m = ys.shape
    n = W.shape[1]
    cb, ct = C.shape[0] > 1, C.shape[1] > 1
    eb, et = E.shape[0] > 1, E.shape[1] > 1
    a = np.empty(n)
    f = np.empty(n)
    v = np.empty(m)
    z = np.empty(m)
    vz = np.empty((m, 1))
    zz = np.empty((m, 1))
    for b in range(nb):
        for t in range(T):
            Wt = at(W, t)
            if t == 0:
                if first_predicted:
                    for i in range(n):
                        a[i] = h0[b, i]
                else:
                    for i in range(n):
                        s = C[b if cb else 0, 0, i]
                        for j in range(n):
                            s += Wt[i, j] * h0[b, j]
                        a[i] = s
            else:
                for i in range(n):
                    s = C[b if cb else 0, t if ct else 0, i]
                    for j in range(n):
                        s += Wt[i, j] * f[j]
                    a[i] = s
                if has_s and k[node[t - 1]] > 0:
                    # E[eta_t | y_{t-1}] = S F^{-1} v_{t-1} = Y^T z of the previous step
                    Yp = Y[node[t - 1]]
                    for i in range(n):
                        s = 0.0
                        for r in range(m):
                            s += Yp[r, i] * z[r]
                        a[i] += s
            Vt = at(V, t)
            o = obs[t]
            for r in range(m):
                if o[r] != 0.0:
                    s = ys[b, t, r] - E[b if eb else 0, t if et else 0, r]
                    for j in range(n):
                        s -= Vt[r, j] * a[j]
                    v[r] = s
                    innov[b, t, r] = s
                else:
                    v[r] = 0.0
                    innov[b, t, r] = np.nan
            e = node[t]
            if k[e] > 0:
                for r in range(m):
                    vz[r, 0] = v[r]
                solve_lower(L[e], vz, zz)
                quad = 0.0
                for r in range(m):
                    z[r] = zz[r, 0]
                    quad += z[r] * z[r]
                Xt = X[e]
                for i in range(n):
                    s = a[i]
                    for r in range(m):
                        s += Xt[r, i] * z[r]
                    f[i] = s
                terms[b, t] = -0.5 * (k[e] * LOG_2PI + logdet[e] + quad)
            else:
                for i in range(n):
                    f[i] = a[i]
                for r in range(m):
                    z[r] = 0.0
                terms[b, t] = 0.0
            for i in range(n):
                mp[b, t, i] = a[i]
                mf[b, t, i] = f[i]


@jit
def smoother_pass(W, V, R, S, has_s, obs, node, Pp, L, X, innov, mp, pre_sample, h0, P0, tol, ms, Ps, lag, m0, P0s):
    """The backward information recursion for ``B`` sequences sharing one covariance path.

    The rows ``node[t]`` of ``Pp``, ``L``, ``X`` come from :func:`filter_covariances`; ``innov`` (B, T, m), ``mp``
    (B, T, n) from :func:`filter_means`. Writes smoothed means ``ms`` (B, T, n), covariances ``Ps`` and
    lag-one cross-covariances ``lag[t] = Cov(h_t, h_{t-1} | Y)`` (T, n, n), and, with ``pre_sample``, the
    smoothed pre-sample state ``m0`` (B, n), ``P0s`` (lag[0] pairs h_1 with h_0). Where the filter reused
    its steady covariances (the same row on consecutive steps) the error transition is reused exactly, and
    with ``tol > 0`` ``N`` is frozen once it has converged there.
    """
    nb, T, n = mp.shape
    m = obs.shape[1]
    tv = W.shape[0] > 1 or V.shape[0] > 1 or R.shape[0] > 1 or S.shape[0] > 1
    N = np.zeros((n, n))
    Nn = np.empty((n, n))
    r = np.zeros((nb, n))
    rn = np.empty(n)
    Lt = np.empty((n, n))
    Lz = np.empty((m, m))
    H = np.empty((m, n))
    G = np.empty((m, n))
    A = np.empty((n, n))
    PN = np.empty((n, n))
    tmp = np.empty((n, n))
    tmp2 = np.empty((n, n))
    u = np.empty((m, 1))
    col = np.empty((m, 1))
    T1 = np.empty((m, n))
    SH = np.empty((n, n))
    have_L = False
    frozen = False
    for t in range(T - 1, -1, -1):
        o = obs[t]
        Vt = at(V, t)
        e = node[t]
        P = Pp[e]
        Lz[:, :] = L[e]
        # L_t equals L_{t+1} on a reused row (not for t = T - 2: L_{T-1} is the zero sentinel)
        same = have_L and not tv and t + 2 < T and node[t + 1] == e
        # H = F^{-1} Vo (m, n) from the stored factor L F = L L^T
        for i in range(m):
            for j in range(n):
                T1[i, j] = Vt[i, j] * o[i]
        solve_lower(Lz, T1, G)
        solve_upper_t(Lz, G, H)
        if not same:
            # error transition L_t = W_{t+1} (I - P Vo^T F^{-1} Vo) - S diag(o) F^{-1} Vo
            if t + 1 < T:
                mtm(X[e], G, tmp)  # X^T L^{-1} Vo = B^T F^{-1} Vo = P Vo^T F^{-1} Vo
                for i in range(n):
                    for j in range(n):
                        A[i, j] = (1.0 if i == j else 0.0) - tmp[i, j]
                mm(at(W, t + 1), A, Lt)
                if has_s:
                    St = at(S, t)
                    for i in range(n):
                        for j in range(n):
                            s = 0.0
                            for q in range(m):
                                s += St[i, q] * o[q] * H[q, j]
                            SH[i, j] = s
                    for i in range(n):
                        for j in range(n):
                            Lt[i, j] -= SH[i, j]
            else:
                Lt[:, :] = 0.0
            have_L = True
        # N_t = Vo^T F^{-1} Vo + L_t^T N_{t+1} L_t (frozen once converged on a steady stretch)
        if not (frozen and same):
            mm(N, Lt, tmp)
            mtm(Lt, tmp, Nn)
            mtm(T1, H, tmp)
            for i in range(n):
                for j in range(n):
                    Nn[i, j] += tmp[i, j]
            symmetrize(Nn)
            if same and tol > 0.0:
                diff, scale = max_abs_diff(Nn, N)
                frozen = diff <= tol * scale
            else:
                frozen = False
            # lag-one: Cov(h_{t+1}, h_t | Y) = (I - P_{t+1} N_{t+1}) L_t P_t, with N_{t+1} = N (before update)
            if t + 1 < T:
                mm(Pp[node[t + 1]], N, PN)
                for i in range(n):
                    for j in range(n):
                        tmp2[i, j] = (1.0 if i == j else 0.0) - PN[i, j]
                mm(Lt, P, tmp)
                mm(tmp2, tmp, lag[t + 1])
            N[:, :] = Nn
            # Ps = P - P N P
            mm(P, N, PN)
            mm(PN, P, tmp)
            for i in range(n):
                for j in range(n):
                    Ps[t, i, j] = P[i, j] - tmp[i, j]
            symmetrize(Ps[t])
        else:
            Ps[t] = Ps[t + 1]
            lag[t + 1] = lag[t + 2]
        # means: r_t = Vo^T F^{-1} v_t + L_t^T r_{t+1};  E[h_t | Y] = a_t + P_t r_t
        for b in range(nb):
            for q in range(m):
                col[q, 0] = innov[b, t, q] if o[q] != 0.0 else 0.0
            solve_lower(Lz, col, u)
            solve_upper_t(Lz, u, col)
            for i in range(n):
                s = 0.0
                for j in range(n):
                    s += Lt[j, i] * r[b, j]
                for q in range(m):
                    s += T1[q, i] * col[q, 0]
                rn[i] = s
            for i in range(n):
                r[b, i] = rn[i]
            for i in range(n):
                s = mp[b, t, i]
                for j in range(n):
                    s += P[i, j] * rn[j]
                ms[b, t, i] = s
    if pre_sample:
        # the state before step 1: no output, error transition W_1, moments (h0, P0)
        W0 = at(W, 0)
        for b in range(nb):
            for i in range(n):
                s = 0.0
                for j in range(n):
                    s += W0[j, i] * r[b, j]
                rn[i] = s
            for i in range(n):
                s = h0[b, i]
                for j in range(n):
                    s += P0[i, j] * rn[j]
                m0[b, i] = s
        mm(N, W0, tmp)
        mtm(W0, tmp, Nn)
        mm(P0, Nn, PN)
        mm(PN, P0, tmp)
        for i in range(n):
            for j in range(n):
                P0s[i, j] = P0[i, j] - tmp[i, j]
        symmetrize(P0s)
        mm(Pp[node[0]], N, PN)
        for i in range(n):
            for j in range(n):
                tmp2[i, j] = (1.0 if i == j else 0.0) - PN[i, j]
        mm(W0, P0, tmp)
        mm(tmp2, tmp, lag[0])


_RECURSIONS = {
    "at": at,
    "predict_cov": predict_cov,
    "masked_update": masked_update,
    "filtered_cov": filtered_cov,
    "cross_factor": cross_factor,
    "cross_correction": cross_correction,
    "filter_covariances": filter_covariances,
    "filter_means": filter_means,
    "smoother_pass": smoother_pass,
}

#: The NumPy engine: the same recursions, with NumPy helpers (the reference the numba engine is tested against).
NUMPY = numpy_twins(_RECURSIONS, globals())
#: The compiled engine (the module's own functions; plain Python where numba is missing).
NUMBA = dict(_RECURSIONS)
