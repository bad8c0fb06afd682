"""The forward and adjoint (BPTT) recursions of every trainable cell, one source run compiled (numba) or on NumPy."""

from __future__ import annotations

import types

import numpy as np

from .._engine import AVAILABLE as _NUMBA
from .._engine import jit as _jit

# Every recursion below is written once, in the subset of NumPy that numba compiles (whole-array
# arithmetic, ``@`` on contiguous 2-D arrays); ``numpy_kernels`` runs the plain functions, ``numba_kernels``
# their compiled copies. Arrays are time-major, ``(T, batch, .)``, so every ``X[t]`` is a contiguous block.
#
# Only the recurrences live here. The parts without a time dependence - input projections ``X U^T + b``,
# the parameter gradients ``sum_t delta_t^T s_{t-1}``, the read-out and the loss - are single large matrix
# products done by the caller (``grads.py``) for both engines.
#
# The backward kernels return ``delta_t``, the adjoints of the pre-activations of every step, and the
# adjoint of the initial state. They run the reverse-mode chain rule of the forward kernel line by line:
# ``lam`` is dL/ds_t, accumulated from the direct term ``G[t]`` (read-out and loss) and from step ``t + 1``.
# ``cut[t]`` (truncated BPTT) stops the adjoint flowing from step ``t`` into ``s_{t-1}``.
#
# Activation codes of the affine cells (``ACTIVATION_CODES`` in grads.py): 0 tanh, 1 relu, 2 sigmoid,
# 3 identity. ReLU's derivative at 0 is taken as 0, as in ElmanCell.


# The two transcendental helpers differ by engine. NumPy's own tanh is vectorised and fast, and the
# NumPy engine uses exactly the formulas of rnnss.cells. numba's elementwise tanh calls the scalar libm
# function (about 3x slower than exp), so the compiled engine uses exp-based forms, exact to a few ulps
# everywhere: tanh a = -sign(a) m / (m + 2) with m = expm1(-2|a|) (no cancellation near 0, no overflow),
# and sigma(z) = 1 / (1 + exp(-z)) (exp may overflow to inf for z < -709, giving the correct 0).


def _tanh_numpy(a):
    return np.tanh(a)


def _sigmoid_numpy(z):
    # 0.5 (1 + tanh(z/2)): the logistic function without overflow, as in rnnss.cells.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _tanh_numba(a):
    m = np.expm1(-2.0 * np.abs(a))
    return -np.sign(a) * m / (m + 2.0)


def _sigmoid_numba(z):
    return 1.0 / (1.0 + np.exp(-z))


_tanh = _tanh_numpy
_sigmoid = _sigmoid_numpy


def _phi(a, act):
    if act == 0:
        return _tanh(a)
    if act == 1:
        return np.maximum(a, 0.0)
    if act == 2:
        return _sigmoid(a)
    return a.copy()


def _dphi(a, act):
    if act == 0:
        t = _tanh(a)
        return 1.0 - t * t
    if act == 1:
        return np.where(a > 0.0, 1.0, 0.0)
    if act == 2:
        s = _sigmoid(a)
        return s * (1.0 - s)
    return np.ones_like(a)


# -- Elman and leaky: s_t = (1 - alpha) s_{t-1} + alpha phi(a_t),  a_t = W s_{t-1} + (U x_t + b) ----------


def affine_forward(Zin, Wt, s0, alpha, act):
    """States ``S (T+1, B, n)`` (``S[0] = s0``) and pre-activations ``A (T, B, n)``; ``Wt = W^T``."""
    T, B, n = Zin.shape
    S = np.empty((T + 1, B, n))
    A = np.empty((T, B, n))
    S[0] = s0
    for t in range(T):
        a = S[t] @ Wt + Zin[t]
        A[t] = a
        if alpha == 1.0:
            S[t + 1] = _phi(a, act)
        else:
            S[t + 1] = (1.0 - alpha) * S[t] + alpha * _phi(a, act)
    return S, A


def affine_backward(W, A, G, alpha, act, cut):
    """Pre-activation adjoints ``D (T, B, n)`` and ``dL/ds_0 (B, n)`` for state adjoints ``G = dL/ds_t``."""
    T, B, n = A.shape
    D = np.empty((T, B, n))
    lam = np.zeros((B, n))
    for t in range(T - 1, -1, -1):
        lam = lam + G[t]
        d = alpha * _dphi(A[t], act) * lam
        D[t] = d
        if alpha == 1.0:
            lam = d @ W
        else:
            lam = (1.0 - alpha) * lam + d @ W
        if cut[t]:
            lam[:, :] = 0.0
    return D, lam


# -- LSTM on s = [h; c]: gates i, f, g, o stacked in W (4n, n) -------------------------------------------------


def lstm_forward(Zin, Wt, h0, c0):
    """Hidden ``H``, cell ``C`` (both ``(T+1, B, n)``) and gate values ``Gt (T, B, 4n)`` (i, f, g, o)."""
    T, B, k = Zin.shape
    n = k // 4
    H = np.empty((T + 1, B, n))
    C = np.empty((T + 1, B, n))
    Gt = np.empty((T, B, k))
    H[0] = h0
    C[0] = c0
    for t in range(T):
        z = H[t] @ Wt + Zin[t]
        i = _sigmoid(z[:, :n])
        f = _sigmoid(z[:, n : 2 * n])
        g = _tanh(z[:, 2 * n : 3 * n])
        o = _sigmoid(z[:, 3 * n :])
        c = f * C[t] + i * g
        C[t + 1] = c
        H[t + 1] = o * _tanh(c)
        Gt[t, :, :n] = i
        Gt[t, :, n : 2 * n] = f
        Gt[t, :, 2 * n : 3 * n] = g
        Gt[t, :, 3 * n :] = o
    return H, C, Gt


def lstm_backward(W, Gt, C, Gh, Gc, cut):
    """Pre-activation adjoints ``D (T, B, 4n)`` and ``dL/dh_0``, ``dL/dc_0`` for adjoints ``Gh``, ``Gc``."""
    T, B, k = Gt.shape
    n = k // 4
    D = np.empty((T, B, k))
    lam_h = np.zeros((B, n))
    lam_c = np.zeros((B, n))
    for t in range(T - 1, -1, -1):
        lam_h = lam_h + Gh[t]
        i = Gt[t, :, :n]
        f = Gt[t, :, n : 2 * n]
        g = Gt[t, :, 2 * n : 3 * n]
        o = Gt[t, :, 3 * n :]
        tc = _tanh(C[t + 1])
        # h_t = o tanh(c_t):  the cell-state adjoint gathers the direct term and the one through h_t
        lc = lam_c + Gc[t] + lam_h * o * (1.0 - tc * tc)
        d = np.empty((B, k))
        d[:, :n] = lc * g * i * (1.0 - i)
        d[:, n : 2 * n] = lc * C[t] * f * (1.0 - f)
        d[:, 2 * n : 3 * n] = lc * i * (1.0 - g * g)
        d[:, 3 * n :] = lam_h * tc * o * (1.0 - o)
        D[t] = d
        lam_h = d @ W
        lam_c = lc * f
        if cut[t]:
            lam_h[:, :] = 0.0
            lam_c[:, :] = 0.0
    return D, lam_h, lam_c


# -- GRU, reset before W_c (GRUCell): h_t = (1 - z) h + z tanh(W_c (r h) + U_c x + b_c) ------------------------


def gru_forward(Zin, Wrz_t, Wc_t, h0):
    """Hidden ``H (T+1, B, n)``, gates ``Gt (T, B, 3n)`` (r, z, candidate) and ``Q = r h_{t-1} (T, B, n)``."""
    T, B, k = Zin.shape
    n = k // 3
    H = np.empty((T + 1, B, n))
    Gt = np.empty((T, B, k))
    Q = np.empty((T, B, n))
    H[0] = h0
    for t in range(T):
        h = H[t]
        a = h @ Wrz_t
        r = _sigmoid(a[:, :n] + Zin[t, :, :n])
        z = _sigmoid(a[:, n:] + Zin[t, :, n : 2 * n])
        q = r * h
        cand = _tanh(q @ Wc_t + Zin[t, :, 2 * n :])
        H[t + 1] = (1.0 - z) * h + z * cand
        Q[t] = q
        Gt[t, :, :n] = r
        Gt[t, :, n : 2 * n] = z
        Gt[t, :, 2 * n :] = cand
    return H, Gt, Q


def gru_backward(Wrz, Wc, H, Gt, G, cut):
    """Pre-activation adjoints ``D (T, B, 3n)`` (r, z, candidate) and ``dL/dh_0``."""
    T, B, k = Gt.shape
    n = k // 3
    D = np.empty((T, B, k))
    lam = np.zeros((B, n))
    for t in range(T - 1, -1, -1):
        lam = lam + G[t]
        h = H[t]
        r = Gt[t, :, :n]
        z = Gt[t, :, n : 2 * n]
        cand = Gt[t, :, 2 * n :]
        dc = lam * z * (1.0 - cand * cand)
        drz = np.empty((B, 2 * n))
        drz[:, n:] = lam * (cand - h) * z * (1.0 - z)
        dq = dc @ Wc  # adjoint of q = r h
        drz[:, :n] = dq * h * r * (1.0 - r)
        D[t, :, : 2 * n] = drz
        D[t, :, 2 * n :] = dc
        lam = lam * (1.0 - z) + dq * r + drz @ Wrz
        if cut[t]:
            lam[:, :] = 0.0
    return D, lam


# -- GRU, reset after W_n (TorchGRUCell): h_t = (1 - z) n + z h, n = tanh(U_n x + b_in + r (W_n h + b_hn)) ------


def torch_gru_forward(Zin, Wt, bh, h0):
    """Hidden ``H (T+1, B, n)``, gates ``Gt (T, B, 3n)`` (r, z, n) and ``GN = W_n h_{t-1} + b_hn (T, B, n)``."""
    T, B, k = Zin.shape
    n = k // 3
    H = np.empty((T + 1, B, n))
    Gt = np.empty((T, B, k))
    GN = np.empty((T, B, n))
    H[0] = h0
    for t in range(T):
        h = H[t]
        gh = h @ Wt + bh
        r = _sigmoid(Zin[t, :, :n] + gh[:, :n])
        z = _sigmoid(Zin[t, :, n : 2 * n] + gh[:, n : 2 * n])
        gn = gh[:, 2 * n :]
        cand = _tanh(Zin[t, :, 2 * n :] + r * gn)
        H[t + 1] = (1.0 - z) * cand + z * h
        GN[t] = gn
        Gt[t, :, :n] = r
        Gt[t, :, n : 2 * n] = z
        Gt[t, :, 2 * n :] = cand
    return H, Gt, GN


def torch_gru_backward(W, H, Gt, GN, G, cut):
    """Adjoints of the input-side ``Di`` and hidden-side ``Dh`` pre-activations (both ``(T, B, 3n)``), ``dL/dh_0``."""
    T, B, k = Gt.shape
    n = k // 3
    Di = np.empty((T, B, k))
    Dh = np.empty((T, B, k))
    lam = np.zeros((B, n))
    for t in range(T - 1, -1, -1):
        lam = lam + G[t]
        h = H[t]
        r = Gt[t, :, :n]
        z = Gt[t, :, n : 2 * n]
        cand = Gt[t, :, 2 * n :]
        dan = lam * (1.0 - z) * (1.0 - cand * cand)
        dar = dan * GN[t] * r * (1.0 - r)
        daz = lam * (h - cand) * z * (1.0 - z)
        dh = np.empty((B, k))
        dh[:, :n] = dar
        dh[:, n : 2 * n] = daz
        dh[:, 2 * n :] = dan * r  # the reset gate multiplies W_n h + b_hn
        Di[t, :, :n] = dar
        Di[t, :, n : 2 * n] = daz
        Di[t, :, 2 * n :] = dan
        Dh[t] = dh
        lam = lam * z + dh @ W
        if cut[t]:
            lam[:, :] = 0.0
    return Di, Dh, lam


_SOURCES = {
    "affine_forward": affine_forward,
    "affine_backward": affine_backward,
    "lstm_forward": lstm_forward,
    "lstm_backward": lstm_backward,
    "gru_forward": gru_forward,
    "gru_backward": gru_backward,
    "torch_gru_forward": torch_gru_forward,
    "torch_gru_backward": torch_gru_backward,
}


def _in_namespace(fn, namespace):
    """A copy of ``fn`` whose global names resolve in ``namespace`` (the helpers of one engine)."""
    return types.FunctionType(fn.__code__, namespace, fn.__name__)


# The recursions as plain Python on NumPy (the reference engine): copies of the functions above whose
# global helper names are the NumPy helpers, whatever the module globals become below.
_numpy_namespace = {**globals(), "_tanh": _tanh_numpy, "_sigmoid": _sigmoid_numpy}
_numpy_namespace["_phi"] = _in_namespace(_phi, _numpy_namespace)
_numpy_namespace["_dphi"] = _in_namespace(_dphi, _numpy_namespace)
numpy_kernels = {name: _in_namespace(fn, _numpy_namespace) for name, fn in _SOURCES.items()}

if _NUMBA:
    # numba resolves the helpers through the module globals when it compiles a kernel: make them compiled.
    _tanh = _jit(_tanh_numba)
    _sigmoid = _jit(_sigmoid_numba)
    _phi = _jit(_phi)
    _dphi = _jit(_dphi)
    numba_kernels: dict | None = {name: _jit(fn) for name, fn in _SOURCES.items()}
else:  # pragma: no cover
    numba_kernels = None
