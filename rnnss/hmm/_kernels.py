"""The HMM recursions, written once: compiled by numba, or run as they are on NumPy (the reference engine)."""

# Every recursion below (scaled and log-space forward, backward with smoothing statistics, Viterbi) is one
# Python function in the subset numba's nopython mode compiles. Its per-step vector work goes through a few
# primitives (``vmax``, ``mul_into``, ``mtv``, ...). Two engines run the *same* function objects' code:
#
# * ``numba``: the functions compiled (``cache=True``), the primitives compiled loops over ``K``;
# * ``numpy``: the very same code objects, uncompiled, with each primitive name bound to a vectorised NumPy
#   twin of one line (``np.matmul``, ``np.exp``, ...), so the reference engine is not a Python loop over
#   ``K`` (that is the approach of :mod:`rnnss.kalman._adjoint`).
#
# Layout shared by all kernels: ``n`` sequences are concatenated along time, sequence ``s`` occupying rows
# ``offsets[s]:offsets[s + 1]`` (ragged lengths). Emissions are a table ``E`` with a row index per time step:
# row ``t`` of the emission likelihoods is ``E[idx[t]]``. For a categorical HMM ``E = B^T`` (``M`` rows) and
# ``idx`` is the symbol sequence, so no ``(T, K)`` array is formed; for a Gaussian HMM ``E`` holds one row
# per step and ``idx = arange(T)``. Scaled kernels read likelihoods divided by a per-row constant and add
# ``shift[idx[t]]`` (the log of that constant) back in log space; log kernels read log-likelihoods.

from __future__ import annotations

import math
import types

import numpy as np

from .._engine import AVAILABLE, numba

# A log-space column sum s = sum_i exp(x_i - max x) a_ij is trusted when s >= FAST_LOG_MIN: every term it
# could have lost to underflow is below 5e-324, i.e. below 1e-73 of s. Below that (an unreachable state,
# or one reachable only through a probability < 1e-250) the column is recomputed as an exact log-sum-exp
# with its own maximum, so a state reachable only through a tiny probability is never lost.
FAST_LOG_MIN = 1e-250

NEG_INF = -np.inf

# =====================================================================================================
# Primitives (compiled loops; NumPy twins below)
# =====================================================================================================


def vmax(x):
    m = -np.inf
    for i in range(x.shape[0]):
        if x[i] > m:
            m = x[i]
    return m


def vmin(x):
    m = np.inf
    for i in range(x.shape[0]):
        if x[i] < m:
            m = x[i]
    return m


def vsum(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s


def vdot(x, y):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * y[i]
    return s


def vargmax(x):  # first maximum: ties go to the lowest index
    k = 0
    m = x[0]
    for i in range(1, x.shape[0]):
        if x[i] > m:
            m = x[i]
            k = i
    return k


def fill(out, c):
    for i in range(out.shape[0]):
        out[i] = c


def fill_rows(X, a, b, c):  # X[a:b] = c
    for t in range(a, b):
        for i in range(X.shape[1]):
            X[t, i] = c


def copy_into(x, out):
    for i in range(x.shape[0]):
        out[i] = x[i]


def add_into(x, y, out):  # out = x + y
    for i in range(x.shape[0]):
        out[i] = x[i] + y[i]


def mul_into(x, y, out):  # out = x * y
    for i in range(x.shape[0]):
        out[i] = x[i] * y[i]


def div_scalar(x, c, out):  # out = x / c
    for i in range(x.shape[0]):
        out[i] = x[i] / c


def sub_scalar(x, c, out):  # out = x - c
    for i in range(x.shape[0]):
        out[i] = x[i] - c


def exp_sub(x, c, out):  # out = exp(x - c)
    for i in range(x.shape[0]):
        out[i] = math.exp(x[i] - c)


def log_add(x, c, out):  # out = log(x) + c
    for i in range(x.shape[0]):
        out[i] = np.log(x[i]) + c


def mtv(M, MT, x, out):  # out = M^T x, as axpy over the rows of M: the K outputs vectorise (large K)
    for j in range(out.shape[0]):
        out[j] = 0.0
    for i in range(M.shape[0]):
        xi = x[i]
        for j in range(out.shape[0]):
            out[j] += M[i, j] * xi


def mtv_dot(M, MT, x, out):  # out = M^T x as K dot products with the rows of MT = M^T (small K)
    for j in range(out.shape[0]):
        s = 0.0
        for i in range(x.shape[0]):
            s += MT[j, i] * x[i]
        out[j] = s


# Small-K forms of the maxima: ``max`` compiles to a branch-free select, which beats a well-predicted branch
# only when there are few states (the comparisons' outcomes then change from step to step).


def vmax_select(x):
    m = x[0]
    for i in range(1, x.shape[0]):
        m = max(m, x[i])
    return m


def vmin_select(x):
    m = x[0]
    for i in range(1, x.shape[0]):
        m = min(m, x[i])
    return m


def maxplus_select(delta, logA, new):
    for j in range(new.shape[0]):
        new[j] = delta[0] + logA[0, j]
    for i in range(1, delta.shape[0]):
        di = delta[i]
        for j in range(new.shape[0]):
            new[j] = max(new[j], di + logA[i, j])


def ger(x, y, alpha, out):  # out += alpha x y^T
    for i in range(x.shape[0]):
        ax = alpha * x[i]
        for j in range(y.shape[0]):
            out[i, j] += ax * y[j]


def add_masked(X, A, out):  # out += X * A (elementwise)
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            out[i, j] += X[i, j] * A[i, j]


def lse_sum(x, y):  # log sum_i exp(x_i + y_i), with its own maximum; -inf if every term is -inf
    m = -np.inf
    for i in range(x.shape[0]):
        v = x[i] + y[i]
        if v > m:
            m = v
    if m == -np.inf:
        return m
    s = 0.0
    for i in range(x.shape[0]):
        s += math.exp(x[i] + y[i] - m)
    return m + np.log(s)


def xi_log_step(lf, logA, v, out):  # out += exp(L - lse(L)), L_ij = lf_i + logA_ij + v_j (exact, slow)
    K = lf.shape[0]
    m = -np.inf
    for i in range(K):
        for j in range(K):
            L = lf[i] + logA[i, j] + v[j]
            if L > m:
                m = L
    s = 0.0
    for i in range(K):
        for j in range(K):
            s += math.exp(lf[i] + logA[i, j] + v[j] - m)
    for i in range(K):
        for j in range(K):
            out[i, j] += math.exp(lf[i] + logA[i, j] + v[j] - m) / s


def maxplus(delta, logA, new):  # new_j = max_i (delta_i + log A_ij)
    # i outer, j inner: the K maxima are independent, so the inner loop runs over contiguous rows of log A.
    for j in range(new.shape[0]):
        new[j] = delta[0] + logA[0, j]
    for i in range(1, delta.shape[0]):
        di = delta[i]
        for j in range(new.shape[0]):
            val = di + logA[i, j]
            if val > new[j]:
                new[j] = val


def argmax_col(delta, logA, j):  # first argmax_i (delta_i + log A_ij): ties go to the lowest state
    best = delta[0] + logA[0, j]
    arg = 0
    for i in range(1, delta.shape[0]):
        val = delta[i] + logA[i, j]
        if val > best:
            best = val
            arg = i
    return arg


# =====================================================================================================
# The recursions
# =====================================================================================================
#
# Sums of T per-step log-normalisers use Neumaier's compensated summation (error ~1 ulp of the total
# plus O(T eps^2)), so a log-likelihood of size 1e5 keeps ~16 digits.


# Loop shape: a branch inside the time loop (e.g. "first step?") keeps LLVM from optimising the step, so
# each step ends by preparing the next one (one wasted prediction per sequence).


def _forward_scaled(pi, A, AT, E, shift, idx, offsets, store, filtered, lognorm, loglik, stops):
    """Rabiner's normalised forward recursion for every sequence; returns nothing, fills the outputs.

    ``filtered`` (T, K) and ``lognorm`` (T,) are written when ``store``: from an impossible step on,
    ``filtered`` is NaN, and ``lognorm`` is -inf at that step and NaN after it.
    ``loglik[s] = sum_t log c_t`` (``-inf`` if impossible); ``stops[s]`` is the first impossible step of
    sequence ``s`` (its length if none).
    """
    K = A.shape[0]
    pred = np.empty(K)
    buf = np.empty(K)
    for n in range(offsets.shape[0] - 1):
        a = offsets[n]
        z = offsets[n + 1]
        total = 0.0
        comp = 0.0
        stops[n] = z - a
        copy_into(pi, pred)
        for t in range(a, z):
            f = filtered[t] if store else buf
            r = idx[t]
            mul_into(E[r], pred, f)
            c = vsum(f)  # p(y_t | y_1..y_t-1), up to exp(shift)
            if not c > 0.0:
                total = -np.inf
                comp = 0.0
                stops[n] = t - a
                if store:
                    fill_rows(filtered, t, z, np.nan)
                    fill(lognorm[t:z], np.nan)
                    lognorm[t] = -np.inf
                break
            div_scalar(f, c, f)
            lc = np.log(c) + shift[r]
            if store:
                lognorm[t] = lc
            s = total + lc
            if abs(total) >= abs(lc):
                comp += (total - s) + lc
            else:
                comp += (lc - s) + total
            total = s
            mtv(A, AT, f, pred)  # p(z_t+1 | y_1..y_t) = A^T p(z_t | y_1..y_t)
        loglik[n] = total + comp


def _forward_log(logpi, A, AT, logAT, Elog, idx, offsets, store, lf, lognorm, loglik, stops):
    """The forward recursion in log space: ``lf`` = log p(z_t | y_1..y_t), normalised every step.

    The prediction ``logsumexp_i(lf_i + log A_ij)`` is ``m + log(A^T exp(lf - m))`` (one exp per state, not
    per pair) whenever that column sum is at least ``FAST_LOG_MIN``; otherwise the column is an exact
    log-sum-exp with its own maximum. ``exp(lf - max lf)`` are the normaliser's terms, reused.
    Outputs as in ``_forward_scaled``.
    """
    K = A.shape[0]
    prior = np.empty(K)
    e = np.empty(K)
    s = np.empty(K)
    joint = np.empty(K)
    buf = np.empty(K)
    for n in range(offsets.shape[0] - 1):
        a = offsets[n]
        z = offsets[n + 1]
        total = 0.0
        comp = 0.0
        stops[n] = z - a
        copy_into(logpi, prior)
        for t in range(a, z):
            add_into(prior, Elog[idx[t]], joint)
            top = vmax(joint)
            f = lf[t] if store else buf
            if top == -np.inf:
                total = -np.inf
                comp = 0.0
                stops[n] = t - a
                if store:
                    fill_rows(lf, t, z, np.nan)
                    fill(lognorm[t:z], np.nan)
                    lognorm[t] = -np.inf
                break
            exp_sub(joint, top, e)  # exp(f - max f)
            lc = top + np.log(vsum(e))
            sub_scalar(joint, lc, f)
            if store:
                lognorm[t] = lc
            s2 = total + lc
            if abs(total) >= abs(lc):
                comp += (total - s2) + lc
            else:
                comp += (lc - s2) + total
            total = s2
            # the next prediction, m = max f = top - lc
            mtv(A, AT, e, s)
            if vmin(s) >= FAST_LOG_MIN:
                log_add(s, top - lc, prior)
            else:
                for j in range(K):
                    if s[j] >= FAST_LOG_MIN:
                        prior[j] = np.log(s[j]) + (top - lc)
                    else:
                        prior[j] = lse_sum(f, logAT[j])
        loglik[n] = total + comp


def _backward_scaled(A, AT, E, shift, idx, offsets, F, mode, bh, off, gamma, xi):
    """The normalised backward recursion, and (``mode`` >= 1) posteriors, (``mode`` 2) expected transitions.

    ``bh[t] = beta_t / sum(beta_t)`` with ``log beta_t = log bh[t] + sum_{s >= t} off[s]``; where the future
    is impossible from every state, ``bh = 0``, ``off = -inf`` and ``gamma`` NaN. With ``F`` the
    filtered distributions: ``gamma[t] ∝ F[t] ⊙ bh[t]`` and ``xi += sum_t xi_t`` where
    ``xi_t(i, j) = F_t(i) A_ij w_j / Z_t``, ``w = b_{t+1} ⊙ bh_{t+1}`` and ``Z_t = sum_i F_t(i) (A w)_i``:
    the sum of ``F_t w^T / Z_t`` is accumulated and multiplied by ``A`` once at the end.
    """
    K = A.shape[0]
    w = np.empty(K)
    u = np.empty(K)
    acc = np.zeros((K, K))
    for n in range(offsets.shape[0] - 1):
        a = offsets[n]
        last = offsets[n + 1] - 1
        fill(bh[last], 1.0)
        off[last] = 0.0
        if mode >= 1:
            div_scalar(F[last], vsum(F[last]), gamma[last])
        for t in range(last - 1, a - 1, -1):
            r = idx[t + 1]
            mul_into(E[r], bh[t + 1], w)
            mtv(AT, A, w, u)  # u = A w
            d = vsum(u)
            if not d > 0.0:  # y_t+1..y_T impossible from every state: beta_s = 0 for all s <= t
                fill(off[a : t + 1], -np.inf)
                fill_rows(bh, a, t + 1, 0.0)
                if mode >= 1:
                    fill_rows(gamma, a, t + 1, np.nan)
                break
            div_scalar(u, d, bh[t])
            off[t] = np.log(d) + shift[r]
            if mode >= 1:
                mul_into(F[t], u, gamma[t])  # u ∝ bh[t]: the same posterior, and its sum is Z_t
                Z = vsum(gamma[t])
                div_scalar(gamma[t], Z, gamma[t])
                if mode == 2:
                    ger(F[t], w, 1.0 / Z, acc)
    if mode == 2:
        add_masked(acc, A, xi)


def _backward_log(A, AT, logA, Elog, idx, offsets, LF, mode, lbn, off, gamma, xi):
    """The backward recursion in log space; outputs as in ``_backward_scaled`` with ``lbn = log bh``.

    ``logsumexp_j(log A_ij + v_j)`` with ``v = log b_{t+1} + lbn_{t+1}`` is ``m + log(A exp(v - m))`` when that
    row sum is at least ``FAST_LOG_MIN``, else an exact log-sum-exp.
    Expected transitions: as in ``_backward_scaled``; a step whose ``Z_t`` is below ``FAST_LOG_MIN`` is
    added exactly in log space instead.
    """
    K = A.shape[0]
    v = np.empty(K)
    w = np.empty(K)
    u = np.empty(K)
    row = np.empty(K)
    e = np.empty(K)
    fe = np.empty(K)
    acc = np.zeros((K, K))
    for n in range(offsets.shape[0] - 1):
        a = offsets[n]
        last = offsets[n + 1] - 1
        fill(lbn[last], 0.0)
        off[last] = 0.0
        if mode >= 1:
            exp_sub(LF[last], vmax(LF[last]), gamma[last])
            div_scalar(gamma[last], vsum(gamma[last]), gamma[last])
        for t in range(last - 1, a - 1, -1):
            add_into(Elog[idx[t + 1]], lbn[t + 1], v)
            m = vmax(v)
            if m == -np.inf:
                fill(off[a : t + 1], -np.inf)
                fill_rows(lbn, a, t + 1, -np.inf)
                if mode >= 1:
                    fill_rows(gamma, a, t + 1, np.nan)
                break
            exp_sub(v, m, w)
            mtv(AT, A, w, u)  # u = A w
            if vmin(u) >= FAST_LOG_MIN:
                d = vsum(u)
                off[t] = m + np.log(d)
                log_add(u, -np.log(d), lbn[t])
            else:
                for i in range(K):
                    if u[i] >= FAST_LOG_MIN:
                        row[i] = np.log(u[i]) + m
                    else:
                        row[i] = lse_sum(logA[i], v)
                top = vmax(row)
                if top == -np.inf:
                    fill(off[a : t + 1], -np.inf)
                    fill_rows(lbn, a, t + 1, -np.inf)
                    if mode >= 1:
                        fill_rows(gamma, a, t + 1, np.nan)
                    break
                exp_sub(row, top, e)
                ln = top + np.log(vsum(e))
                off[t] = ln
                sub_scalar(row, ln, lbn[t])
            if mode >= 1:
                add_into(LF[t], lbn[t], e)
                exp_sub(e, vmax(e), gamma[t])
                div_scalar(gamma[t], vsum(gamma[t]), gamma[t])
                if mode == 2:
                    exp_sub(LF[t], 0.0, fe)  # the filtered distribution (LF is normalised)
                    Z = vdot(fe, u)
                    if Z >= FAST_LOG_MIN:
                        ger(fe, w, 1.0 / Z, acc)
                    else:
                        xi_log_step(LF[t], logA, v, xi)
    if mode == 2:
        add_masked(acc, A, xi)


def _viterbi(logpi, logA, Elog, idx, offsets, path, logprob, stops):
    """Max-product in log space; ``logprob[s] = log p(y, z*)`` of sequence ``s`` (``-inf`` if impossible).

    ``delta_t`` is stored, kept with maximum 0 (the maxima summed apart); the path is recovered backwards as
    ``z*_{t-1} = argmax_i (delta_{t-1}(i) + log A[i, z*_t])``, the same sums the forward pass maximised, so it
    is the forward pass's argmax (ties to the lowest state) without storing back-pointers: the forward pass
    only takes maxima, which do not branch unpredictably. An impossible sequence's path is left as the
    caller filled it; ``stops`` as in ``_forward_scaled``.
    """
    K = logA.shape[0]
    longest = 0
    for n in range(offsets.shape[0] - 1):
        longest = max(longest, offsets[n + 1] - offsets[n])
    D = np.empty((longest, K))
    new = np.empty(K)
    for n in range(offsets.shape[0] - 1):
        a = offsets[n]
        z = offsets[n + 1]
        total = 0.0
        comp = 0.0
        stops[n] = z - a
        copy_into(logpi, new)
        for t in range(a, z):
            add_into(new, Elog[idx[t]], new)
            top = vmax(new)
            if top == -np.inf:
                total = -np.inf
                comp = 0.0
                stops[n] = t - a
                break
            sub_scalar(new, top, D[t - a])
            s = total + top
            if abs(total) >= abs(top):
                comp += (total - s) + top
            else:
                comp += (top - s) + total
            total = s
            maxplus(D[t - a], logA, new)  # for step t + 1
        logprob[n] = total + comp
        if total > -np.inf:
            path[z - 1] = vargmax(D[z - 1 - a])
            for t in range(z - 1, a, -1):
                path[t - 1] = argmax_col(D[t - 1 - a], logA, path[t])


# =====================================================================================================
# NumPy twins of the primitives, and the two engines
# =====================================================================================================


def _np_add_into(x, y, out):
    np.add(x, y, out=out)


def _np_mul_into(x, y, out):
    np.multiply(x, y, out=out)


def _np_div_scalar(x, c, out):
    np.divide(x, c, out=out)


def _np_sub_scalar(x, c, out):
    np.subtract(x, c, out=out)


def _np_exp_sub(x, c, out):
    np.exp(np.subtract(x, c, out=out), out=out)


def _np_log_add(x, c, out):
    np.add(np.log(x, out=out), c, out=out)


def _np_mtv(M, MT, x, out):
    np.matmul(x, M, out=out)


def _np_fill_rows(X, a, b, c):
    X[a:b] = c


def _np_ger(x, y, alpha, out):
    out += np.outer(alpha * x, y)


def _np_add_masked(X, A, out):
    out += X * A


def _np_lse_sum(x, y):
    v = x + y
    m = v.max()
    return m if m == -np.inf else m + math.log(np.exp(v - m).sum())


def _np_xi_log_step(lf, logA, v, out):
    L = lf[:, None] + logA + v
    E = np.exp(L - L.max())
    out += E / E.sum()


def _np_maxplus(delta, logA, new):
    np.max(delta[:, None] + logA, axis=0, out=new)


def _np_argmax_col(delta, logA, j):
    return int(np.argmax(delta + logA[:, j]))


def _np_fill(out, c):
    out[:] = c


def _np_copy_into(x, out):
    out[:] = x


NUMPY_PRIMITIVES = dict(
    vmax=lambda x: x.max(),
    vmin=lambda x: x.min(),
    vsum=lambda x: x.sum(),
    vdot=lambda x, y: np.dot(x, y),
    vargmax=lambda x: int(np.argmax(x)),
    fill=_np_fill,
    fill_rows=_np_fill_rows,
    copy_into=_np_copy_into,
    add_into=_np_add_into,
    mul_into=_np_mul_into,
    div_scalar=_np_div_scalar,
    sub_scalar=_np_sub_scalar,
    exp_sub=_np_exp_sub,
    log_add=_np_log_add,
    mtv=_np_mtv,
    ger=_np_ger,
    add_masked=_np_add_masked,
    lse_sum=_np_lse_sum,
    xi_log_step=_np_xi_log_step,
    maxplus=_np_maxplus,
    argmax_col=_np_argmax_col,
)
_PRIMITIVE_SOURCES = {name: globals()[name] for name in NUMPY_PRIMITIVES}
_KERNEL_SOURCES = {
    "forward_scaled": _forward_scaled,
    "forward_log": _forward_log,
    "backward_scaled": _backward_scaled,
    "backward_log": _backward_log,
    "viterbi": _viterbi,
}

# The same kernel code run on NumPy: a copy of each function whose global primitive names are the NumPy
# twins. (A closure would do too, but numba cannot cache closures across processes.)
_numpy_globals = {**globals(), **NUMPY_PRIMITIVES}
NUMPY = types.SimpleNamespace(
    **{name: types.FunctionType(f.__code__, _numpy_globals, name) for name, f in _KERNEL_SOURCES.items()}
)

# Below this number of states the products A^T x run as K dot products (the axpy form only pays once its
# loop over K vectorises) and the maxima as selects; each kernel is compiled in both forms, each on first use.
SMALL_K = 8
_SMALL_K_FORMS = {"mtv": "mtv_dot", "vmax": "vmax_select", "vmin": "vmin_select", "maxplus": "maxplus_select"}

if AVAILABLE:

    def _compile(f):
        # error_model="numpy": 0/0 is NaN and x/0 is inf, as on the NumPy engine (and no zero test per division)
        return numba.njit(cache=True, nogil=True, error_model="numpy")(f)

    # Rebind the primitive names of this module to their compiled versions; numba resolves the kernels'
    # globals when it compiles them (on first call). The per-step primitives are inlined into the kernels
    # (a call per step would cost more than the step at small K); those off the hot path are not, which
    # keeps the compile time down.
    _COLD = ("vargmax", "fill", "fill_rows", "lse_sum", "xi_log_step", "add_masked")
    globals().update(
        {
            name: numba.njit(
                cache=True, nogil=True, error_model="numpy", inline="never" if name in _COLD else "always"
            )(f)
            for name, f in {**_PRIMITIVE_SOURCES, **{v: globals()[v] for v in _SMALL_K_FORMS.values()}}.items()
        }
    )

    def _small_k_variant(f):
        # The same code with the small-K forms of the primitives; its own name keeps numba's cache entries apart.
        forms = {name: globals()[small] for name, small in _SMALL_K_FORMS.items()}
        g = types.FunctionType(f.__code__, {**globals(), **forms}, f.__name__ + "_small_k")
        g.__qualname__ = g.__name__
        return g

    NUMBA = types.SimpleNamespace(**{name: _compile(f) for name, f in _KERNEL_SOURCES.items()})
    NUMBA_SMALL_K = types.SimpleNamespace(
        **{name: _compile(_small_k_variant(f)) for name, f in _KERNEL_SOURCES.items()}
    )
else:  # pragma: no cover - exercised only where numba is missing
    NUMBA = NUMBA_SMALL_K = None


def kernels(engine: str, n_states: int = SMALL_K) -> types.SimpleNamespace:
    """The kernels of a resolved engine name (``"numba"`` or ``"numpy"``) for ``n_states`` states."""
    if engine != "numba":
        return NUMPY
    return NUMBA_SMALL_K if n_states < SMALL_K else NUMBA
