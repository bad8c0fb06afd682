"""Memory in recurrent cells: BPTT Jacobian products and bounds, bidirectional gradient paths, clipping, timescales."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._deprecation import keyword_only
from ._linalg import half_lives
from .cells.base import Cell, checked_step, input_sequence, state_or_zero
from .cells.bidirectional import Bidirectional

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "GradientFlow",
    "GradientPaths",
    "BidirectionalGradientFlow",
    "jacobian_products",
    "bidirectional_gradient_flow",
    "clip_by_norm",
    "gradient_paths",
    "time_constant",
    "half_life",
]

# Largest T for gradient_paths: 2^20 paths of T factors is ~20 million numbers.
MAX_PATH_STEPS = 20


# -- backpropagation through time ----------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class GradientFlow:
    """The Jacobian products of backpropagation through time along one trajectory.

    Entry ``k`` refers to lag ``k``: the sensitivity of the last state to the state ``k`` steps earlier,
    ``d s_T / d s_{T-k} = J_T J_{T-1} ... J_{T-k+1}`` (``k = 0`` is the identity).

    Attributes
    ----------
    norms : ndarray, shape (T + 1,)
        ``||d s_T / d s_{T-k}||_2``: how much of a gradient at ``T`` reaches ``k`` steps back.
    stepwise_bound : ndarray, shape (T + 1,)
        ``prod ||J_j||_2`` over the same ``k`` factors, the submultiplicative bound.
    uniform_bound : ndarray, shape (T + 1,) or None
        ``c^k`` with ``c = cell.jacobian_bound`` (Elman: ``|phi'|_inf ||W||_2``); None when the cell has no
        such bound (gated cells, custom activations).
    products : ndarray, shape (T + 1, S, S) or None
        The products themselves (None with ``store_products=False``).
    states : ndarray, shape (T + 1, S)
        The trajectory ``s_0 .. s_T``.
    """

    norms: np.ndarray
    stepwise_bound: np.ndarray
    uniform_bound: np.ndarray | None
    products: np.ndarray | None
    states: np.ndarray

    @property
    def lags(self) -> np.ndarray:
        """``k = 0 .. T``."""
        return np.arange(self.norms.size)

    @property
    def rate(self) -> float:
        """Geometric-mean decay per step, ``(norms[T] / norms[0])^(1/T)`` (``< 1``: vanishing gradients)."""
        T = self.norms.size - 1
        return float(self.norms[-1] ** (1.0 / T)) if T else 1.0

    def __repr__(self) -> str:
        T = self.norms.size - 1
        return f"GradientFlow(T={T}, ||ds_T/ds_0||_2={self.norms[-1]:.4g}, rate={self.rate:.4g} per step)"


@keyword_only(2, "h0")
def jacobian_products(
    cell: Cell,
    x: ArrayLike | None = None,
    *,
    h0: ArrayLike | None = None,
    steps: int | None = None,
    store_products: bool = True,
) -> GradientFlow:
    r"""BPTT's Jacobian products ``d s_T / d s_{T-k}`` along a trajectory, their norms and bounds.

    The chain rule gives ``d L / d s_k = (d L / d s_T) prod_{j=k+1}^{T} J_j`` with ``J_j = d s_j / d s_{j-1}``,
    and ``||prod J_j||_2 <= prod ||J_j||_2 <= (|phi'|_inf ||W||_2)^{T-k}`` for an Elman cell: below one the
    gradient vanishes geometrically (``0.95^60 = 0.046``), above one it may explode. For an LSTM the
    ``c -> c`` block is the product of the forget gates.

    Parameters
    ----------
    cell : Cell
        Any rnnss cell.
    x : array_like, shape (T, p) or (T,) if p == 1, optional
        Inputs ``x_1 .. x_T``; omit for zero input and give ``steps``.
    h0 : array_like, shape (S,), optional
        Initial state ``s_0`` (default zeros).
    steps : int, optional
        ``T`` when ``x`` is omitted.
    store_products : bool, default True
        Keep the ``(T + 1, S, S)`` products (otherwise only norms and bounds).

    Returns
    -------
    GradientFlow
        Norms, bounds, products and the trajectory.

    Raises
    ------
    TypeError
        If neither ``x`` nor ``steps`` is given.
    DimensionError
        If ``x`` or ``h0`` has the wrong shape.
    ValueError
        If ``x`` or ``h0`` is not finite.
    NumericalError
        If the trajectory overflows to a non-finite state.

    Examples
    --------
    >>> from rnnss import ElmanCell
    >>> from rnnss import jacobian_products
    >>> cell = ElmanCell(W=[[0.95]], activation="identity")
    >>> flow = jacobian_products(cell, steps=60, h0=[1.0])
    >>> round(float(flow.norms[60]), 3)  # 0.95^60
    0.046
    """
    store_products = v.as_bool("store_products", store_products)
    cell = v.check_instance(cell, Cell, "cell", "an rnnss cell (rnnss.Cell)")
    xs = input_sequence(cell, x, steps)
    T = xs.shape[0]
    dim = cell.state_size
    states = np.empty((T + 1, dim))
    states[0] = state_or_zero(cell, h0)
    for t in range(T):
        states[t + 1] = checked_step(cell, xs[t], states[t], t)
    Js = cell.jacobian(xs, states[:-1])  # J_t at (x_t, s_{t-1}), t = 1..T, one batched call
    P = np.eye(dim)
    norms = np.empty(T + 1)
    step_norms = np.linalg.norm(Js, 2, axis=(1, 2))
    prods = np.empty((T + 1, dim, dim)) if store_products else None
    norms[0] = 1.0
    if prods is not None:
        prods[0] = P
    for k in range(1, T + 1):
        P = P @ Js[T - k]  # d s_T / d s_{T-k} = (d s_T / d s_{T-k+1}) J_{T-k+1}
        norms[k] = np.linalg.norm(P, 2)
        if prods is not None:
            prods[k] = P
    stepwise = np.concatenate([[1.0], np.cumprod(step_norms[::-1])])
    c = cell.jacobian_bound
    uniform = None if c is None else c ** np.arange(T + 1, dtype=float)
    return GradientFlow(norms, stepwise, uniform, prods, states)


# -- bidirectional networks: the short path --------------------------------------------------------


@dataclass(frozen=True, repr=False)
class BidirectionalGradientFlow:
    """Input-to-representation sensitivities of a bidirectional network, per direction and combined.

    Entry ``[t, s]`` is the spectral norm of a Jacobian with respect to the input ``x_s`` (steps 0-based),
    the factor by which a gradient arriving at the representation of step ``t`` reaches ``x_s``.

    Attributes
    ----------
    forward : ndarray, shape (T, T)
        ``||d h^->_t / d x_s||_2 = ||H_f J_t ... J_{s+1} B_s||_2``: lower triangular (the forward cell sees
        only the past), ``t - s`` state Jacobians on the path.
    backward : ndarray, shape (T, T)
        ``||d h^<-_t / d x_s||_2``: upper triangular, ``s - t`` backward state Jacobians on the path.
    combined : ndarray, shape (T, T)
        ``||d [h^->_t; h^<-_t] / d x_s||_2``, the representation a tagger reads at every step.
    endpoints : ndarray, shape (T,)
        ``||d [h^->_{T}; h^<-_{1}] / d x_s||_2``: the read-out of a sequence classifier (last forward
        state, first backward state). Input ``x_s`` reaches it through ``min(T - 1 - s, s)`` state
        Jacobians (:attr:`path_length`), never more than ``(T - 1) / 2``: the short path the backward
        direction gives.
    path_length : ndarray, shape (T,), int
        ``min(T - 1 - s, s)``, the fewest state Jacobians between ``x_s`` and the read-out.
    states : ndarray, shape (T, S_f + S_b)
        The full states ``[s^->_t; s^<-_t]`` of the trajectory.
    """

    forward: np.ndarray
    backward: np.ndarray
    combined: np.ndarray
    endpoints: np.ndarray
    path_length: np.ndarray
    states: np.ndarray

    @property
    def forward_endpoint(self) -> np.ndarray:
        """``||d h^->_T / d x_s||_2``, shape ``(T,)``: the read-out of a forward-only network."""
        return self.forward[-1]

    @property
    def backward_endpoint(self) -> np.ndarray:
        """``||d h^<-_1 / d x_s||_2``, shape ``(T,)``: the read-out of a backward-only network."""
        return self.backward[0]

    def __repr__(self) -> str:
        T = self.endpoints.size
        return (
            f"BidirectionalGradientFlow(T={T}, weakest input at the read-out: {self.endpoints.min():.3g} "
            f"(forward alone: {self.forward_endpoint.min():.3g}), longest path {int(self.path_length.max())} "
            f"steps instead of {T - 1})"
        )


def _input_sensitivities(
    cell: Cell, xs: np.ndarray, h0: Any, name: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For one direction: norms ``||H J_t .. J_{s+1} B_s||_2`` (T, T), the matrices at ``t = T - 1`` (T, n, p),
    the matrices at ``t = s`` (T, n, p) and the states (T, S)."""
    T, S = xs.shape[0], cell.state_size
    states = np.empty((T + 1, S))
    states[0] = state_or_zero(cell, h0, name)
    for t in range(T):
        states[t + 1] = checked_step(cell, xs[t], states[t], t)
    J = cell.jacobian(xs, states[:-1])  # J[t] = d s_{t+1} / d s_t, 0-based step t
    G = cell.input_jacobian(xs, states[:-1])  # lag 0: d s_t / d x_t
    H = np.asarray(cell.hidden(np.eye(S))).T  # the (linear) selection of h inside the state
    norms = np.zeros((T, T))
    last = np.empty((T, H.shape[0], xs.shape[1]))
    diag = H @ G
    for k in range(T):
        if k:
            G = J[k:] @ G[:-1]  # d s_{s+k} / d x_s = J_{s+k} d s_{s+k-1} / d x_s, for all s at once
        HG = H @ G
        s = np.arange(T - k)
        norms[s + k, s] = np.linalg.norm(HG, 2, axis=(1, 2))
        last[T - 1 - k] = HG[-1]
    return norms, last, diag, states[1:]


def bidirectional_gradient_flow(
    bi: Bidirectional, x: ArrayLike, *, h0_forward: ArrayLike | None = None, h0_backward: ArrayLike | None = None
) -> BidirectionalGradientFlow:
    r"""Gradient paths of a bidirectional network: how strongly each input reaches each representation.

    The forward cell carries ``x_s`` to step ``t >= s`` through ``t - s`` state Jacobians,
    ``d h^->_t / d x_s = H_f J^->_t \cdots J^->_{s+1} B^->_s``; the backward cell carries it to ``t <= s``
    through ``s - t`` of its own. In a contracting network each Jacobian shrinks the gradient, so the
    number of factors decides what is learnable. A sequence classifier reading ``[h^->_T; h^<-_1]`` reaches
    ``x_s`` through ``min(T - 1 - s, s)`` factors: the backward direction is a short path to the
    *early* inputs, which a forward network reaches only through ``T - 1 - s`` factors (0.9^99 = 3e-5 for the
    first of 100 steps), and the longest path halves. For linear cells the norms are
    ``||W_f^{t-s} U_f||_2`` and ``||W_b^{s-t} U_b||_2`` exactly.

    Parameters
    ----------
    bi : Bidirectional
        The forward and backward cells.
    x : array_like, shape (T, p) or (T,) if p == 1
        One input sequence (``p >= 1``).
    h0_forward, h0_backward : array_like, shape (S_f,) and (S_b,), optional
        Initial states of the two cells (default zeros).

    Returns
    -------
    BidirectionalGradientFlow
        Per-direction, combined and read-out sensitivities, the shortest path lengths and the states.

    Raises
    ------
    TypeError
        If ``bi`` is not a :class:`~rnnss.Bidirectional`.
    DimensionError
        If ``x`` or an initial state has the wrong shape, or ``x`` is a batch.
    ValueError
        If the cells take no input (``p = 0``) or a value is not finite.
    NumericalError
        If a trajectory overflows.

    Examples
    --------
    >>> import rnnss
    >>> cell = rnnss.ElmanCell(W=[[0.5]], U=[[1.0]], activation="identity")
    >>> flow = rnnss.bidirectional_gradient_flow(rnnss.Bidirectional(cell, cell), [0.0] * 5)
    >>> flow.forward_endpoint  # 0.5^(T - 1 - s): the first input is 4 steps from h->_T
    array([0.0625, 0.125 , 0.25  , 0.5   , 1.    ])
    >>> flow.endpoints.round(4)  # the backward state h<-_1 reaches it in 0 steps
    array([1.    , 0.5154, 0.3536, 0.5154, 1.    ])
    """
    bi = v.check_instance(bi, Bidirectional, "bi", "an rnnss.Bidirectional")
    if bi.n_inputs == 0:
        raise ValueError("bi must take inputs (p >= 1): the sensitivities are with respect to the inputs x_s")
    xs = input_sequence(bi.forward, x, None)
    T = xs.shape[0]
    fw, fw_last, fw_diag, fw_states = _input_sensitivities(bi.forward, xs, h0_forward, "h0_forward")
    bw_r, bw_last_r, bw_diag_r, bw_states_r = _input_sensitivities(bi.backward, xs[::-1], h0_backward, "h0_backward")
    bw = bw_r[::-1, ::-1]  # reversed time: row t' = T - 1 - t, column s' = T - 1 - s
    combined = fw + bw
    stacked = np.concatenate([fw_diag, bw_diag_r[::-1]], axis=1)  # t = s: both directions see x_t
    combined[np.arange(T), np.arange(T)] = np.linalg.norm(stacked, 2, axis=(1, 2))
    ends = np.linalg.norm(np.concatenate([fw_last, bw_last_r[::-1]], axis=1), 2, axis=(1, 2))
    s = np.arange(T)
    states = np.concatenate([fw_states, bw_states_r[::-1]], axis=1)
    return BidirectionalGradientFlow(fw, bw, combined, ends, np.minimum(T - 1 - s, s), states)


def clip_by_norm(grads: Any, max_norm: float) -> tuple[Any, float]:
    r"""Gradient clipping by global norm: rescale so that ``||g|| <= max_norm``, keeping the direction.

    ``g <- g * min(1, max_norm / ||g||)`` with ``||g||`` the Euclidean norm of all entries of all arrays
    (PyTorch's ``clip_grad_norm_``). It tames exploding gradients; it cannot revive vanishing ones.

    Parameters
    ----------
    grads : ndarray or list/tuple of array_like
        One gradient array, or a list/tuple of gradient arrays (e.g. for ``W``, ``U``, ``b``) clipped
        jointly. A list is always read as several arrays, never as one vector.
    max_norm : float
        Largest allowed norm (> 0).

    Returns
    -------
    clipped : ndarray or list of ndarray
        New arrays, in the structure given.
    norm : float
        The norm before clipping.

    Raises
    ------
    ValueError
        If a gradient is not finite (clipping would hide the overflow) or ``max_norm <= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import clip_by_norm
    >>> (gW, gb), norm = clip_by_norm([np.array([[3.0]]), np.array([4.0])], 1.0)
    >>> norm, gW.round(12), gb.round(12)
    (5.0, array([[0.6]]), array([0.8]))
    """
    max_norm = v.as_float("max_norm", max_norm, positive=True)
    single = not isinstance(grads, (list, tuple))
    arrays = [v.as_float_array("grads", g) for g in ([grads] if single else grads)]
    for i, a in enumerate(arrays):
        v.check_finite("grads" if single else f"grads[{i}]", a)
    norm = math.sqrt(sum(float(np.sum(a * a)) for a in arrays))
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    out = [a * factor for a in arrays]
    return (out[0] if single else out), norm


@dataclass(frozen=True, repr=False)
class GradientPaths:
    """The ``2^T`` additive paths of ``d h_T / d h_0`` for ``h_t = alpha h_{t-1} + g_t beta tanh(h_{t-1})``.

    Attributes
    ----------
    choices : ndarray, shape (2^T, T), bool
        Path ``j`` takes the nonlinear branch ``g_t beta (1 - tanh^2 h_{t-1})`` at step ``t`` where True,
        the linear branch ``alpha`` where False.
    products : ndarray, shape (2^T,)
        The product of the chosen factors along each path.
    derivative : float
        ``d h_T / d h_0 = prod_t (alpha + g_t beta (1 - tanh^2 h_{t-1}))`` by the chain rule.
    trajectory : ndarray, shape (T + 1,)
        ``h_0 .. h_T``.
    """

    choices: np.ndarray
    products: np.ndarray
    derivative: float
    trajectory: np.ndarray

    @property
    def path_sum(self) -> float:
        """``sum`` of all path products: equals :attr:`derivative` (binomial expansion of the product)."""
        return float(np.sum(self.products))

    def __repr__(self) -> str:
        return (
            f"GradientPaths(T={self.choices.shape[1]}, paths={self.products.size}, "
            f"derivative={self.derivative:.6g}, path_sum={self.path_sum:.6g})"
        )


def gradient_paths(alpha: float, beta: float, g: ArrayLike, h0: float) -> GradientPaths:
    r"""The ``2^T`` gradient paths of the gated scalar recurrence ``h_t = alpha h_{t-1} + g_t beta tanh(h_{t-1})``.

    Each Jacobian ``d h_t / d h_{t-1} = alpha + g_t beta (1 - tanh^2 h_{t-1})`` is a sum of two terms, so
    ``d h_T / d h_0``, their product over ``T`` steps, expands into ``2^T`` products, one per choice of
    term at every step: the combinatorial picture of gradient flow through an unrolled graph.

    Parameters
    ----------
    alpha : float
        Linear (skip) coefficient.
    beta : float
        Nonlinear coefficient.
    g : array_like, shape (T,)
        Gate values ``g_1 .. g_T`` (``1 <= T <= 20``).
    h0 : float
        Initial state.

    Returns
    -------
    GradientPaths
        Path choices, path products, the chain-rule derivative and the trajectory.

    Raises
    ------
    ValueError
        If ``T > 20`` (over a million paths) or a value is not finite.

    Examples
    --------
    >>> from rnnss import gradient_paths
    >>> gp = gradient_paths(0.5, 1.0, [1.0, 1.0, 0.0], 0.3)
    >>> gp.products.size, round(gp.path_sum - gp.derivative, 12)
    (8, 0.0)
    """
    alpha = v.as_float("alpha", alpha)
    beta = v.as_float("beta", beta)
    h0 = v.as_float("h0", h0)
    gs = v.as_vector("g", np.atleast_1d(v.as_float_array("g", g)), None)
    T = gs.size
    if not 1 <= T <= MAX_PATH_STEPS:
        raise ValueError(f"g must hold 1 to {MAX_PATH_STEPS} gate values (2^T paths are enumerated); got T = {T}")
    h = np.empty(T + 1)
    h[0] = h0
    for t in range(T):
        h[t + 1] = alpha * h[t] + gs[t] * beta * np.tanh(h[t])
    nonlinear = gs * beta * (1.0 - np.tanh(h[:-1]) ** 2)
    choices = ((np.arange(2**T)[:, None] >> np.arange(T)) & 1).astype(bool)
    products = np.prod(np.where(choices, nonlinear, alpha), axis=1)
    return GradientPaths(choices, products, float(np.prod(alpha + nonlinear)), h)


# -- memory timescales -----------------------------------------------------------------------------


def _retention(name: str, f: Any) -> np.ndarray:
    arr = v.as_float_array(name, f)
    v.check_finite(name, arr)
    if np.any((arr <= 0) | (arr > 1)):
        bad = arr[(arr <= 0) | (arr > 1)].flat[0]
        raise ValueError(f"{name} must lie in (0, 1] (the fraction of memory kept per step); got {bad}")
    return arr


def time_constant(f: ArrayLike, dt: float = 1.0) -> Any:
    r"""Memory time constant ``tau = -dt / ln f`` of a retention factor ``f`` per step.

    ``f`` is a forget-gate value, a leak ``1 - alpha`` or an eigenvalue modulus: ``c_t = f c_{t-1}`` is
    the exponential decay ``e^{-t dt / tau}`` sampled every ``dt``. With ``dt = 0.02`` s and ``f = 0.95``,
    ``tau = 0.39`` s.

    Parameters
    ----------
    f : float or array_like
        Retention factors in ``(0, 1]`` (``f = 1`` gives ``inf``).
    dt : float, default 1
        Sampling interval; ``tau`` is in its units.

    Returns
    -------
    float or ndarray
        ``tau`` with the shape of ``f``.

    Raises
    ------
    ValueError
        If some ``f`` is outside ``(0, 1]`` or ``dt <= 0``.

    Examples
    --------
    >>> from rnnss import time_constant
    >>> round(time_constant(0.95, dt=0.02), 4)
    0.3899
    """
    arr = _retention("f", f)
    dt = v.as_float("dt", dt, positive=True)
    with np.errstate(divide="ignore"):
        tau = np.where(arr == 1, np.inf, -dt / np.log(np.where(arr == 1, 0.5, arr)))
    return float(tau) if tau.ndim == 0 else tau


def half_life(f: ArrayLike) -> Any:
    """Steps for a memory retained with factor ``f`` per step to halve: ``ln 0.5 / ln f``.

    Parameters
    ----------
    f : float or array_like
        Retention factors in ``(0, 1]`` (``f = 1`` gives ``inf``).

    Returns
    -------
    float or ndarray
        Half-lives in steps, with the shape of ``f``.

    Raises
    ------
    ValueError
        If some ``f`` is outside ``(0, 1]``.

    Examples
    --------
    >>> from rnnss import half_life
    >>> half_life(0.5)
    1.0
    """
    hl = half_lives(_retention("f", f))
    return float(hl) if hl.ndim == 0 else hl
