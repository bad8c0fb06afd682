"""Acting on controllability and observability: minimum-energy steering and state reconstruction from outputs."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import _validate as v
from .exceptions import IllConditionedWarning, NotReachableError, NumericalError
from .linear import LinearRNN, input_sequences, simulate
from .structure.common import EPS, STEER_RTOL
from .structure.matrices import numerical_rank

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["SteeringResult", "StateReconstruction", "steer", "reconstruct_state"]

# -- acting on the answer: steering and reconstruction ---------------------------------------------------------


@dataclass(frozen=True)
class SteeringResult:
    """The minimum-energy input sequence that drives the noiseless state to a target.

    Attributes
    ----------
    inputs : ndarray, shape (N, p)
        ``x_1 .. x_N``.
    energy : float
        ``sum_t ||x_t||^2``.
    final_state : ndarray, shape (n,)
        ``h_N`` obtained by running the noiseless recursion with ``inputs`` (not the algebraic prediction).
    target : ndarray, shape (n,)
        The requested ``h_N``.
    miss : float
        ``||final_state - target||``.
    reached : bool
        Whether the target lies in the reachable set (False only with ``best_effort=True``).
    rank : int
        Dimension of the subspace reachable in ``N`` steps (numerical rank of the reachability map).
    condition : float
        Condition number of the reachability map on that subspace; the relative accuracy of
        ``final_state`` is about ``eps * condition``.
    """

    inputs: np.ndarray
    energy: float
    final_state: np.ndarray
    target: np.ndarray
    miss: float
    reached: bool
    rank: int
    condition: float

    def __repr__(self) -> str:
        return (
            f"SteeringResult(steps={self.inputs.shape[0]}, energy={self.energy:.4g}, miss={self.miss:.2g}, "
            f"reached={self.reached}, rank={self.rank}, condition={self.condition:.3g})"
        )


def steer(
    rnn: LinearRNN, target: ArrayLike, steps: int, *, h0: ArrayLike | None = None, best_effort: bool = False
) -> SteeringResult:
    r"""The minimum-energy inputs that drive the noiseless hidden state from ``h0`` to ``target`` in ``N`` steps.

    Unrolling ``h_t = W h_{t-1} + U x_t + b`` gives

    .. math:: h_N = W^N h_0 + \sum_{i=0}^{N-1} W^i b + \sum_{i=0}^{N-1} W^i U x_{N-i}
              = f_N + C_N \, [x_1; \dots; x_N],

    with ``C_N = [W^{N-1} U, ..., W U, U]``. The inputs are the minimum-norm solution
    ``C_N^+ (target - f_N)`` (by SVD, singular values below ``n N p eps sigma_max`` dropped); their
    energy is ``(target - f_N)^T W_c(N)^{-1} (target - f_N)`` for the finite-horizon Gramian.

    Parameters
    ----------
    rnn : LinearRNN
        The network (needs inputs, ``p >= 1``, to steer anywhere but along the free response).
    target : array_like, shape (n,)
        The hidden state wanted after ``N`` steps.
    steps : int
        ``N >= 1``.
    h0 : array_like, shape (n,), optional
        Starting state; default ``rnn.h0``.
    best_effort : bool, default False
        If the target is not reachable, return the minimum-energy inputs reaching the closest reachable
        state (``reached=False``) instead of raising.

    Returns
    -------
    SteeringResult
        Inputs ``(N, p)``, energy and the achieved final state.

    Raises
    ------
    NotReachableError
        If the target is not reachable in ``N`` steps (the message gives the closest reachable state and
        the residual; the exception carries them as ``closest_state`` and ``residual``).
    DimensionError
        If ``target`` or ``h0`` has the wrong shape.
    TypeError
        If ``rnn`` is not a LinearRNN or ``steps`` is not an integer.
    ValueError
        If ``steps < 1``.

    Warns
    -----
    IllConditionedWarning
        If the achieved state misses a reachable target by more than ``1e-8`` relative (a badly conditioned
        reachability map; the condition number is in the message).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import steer
    >>> rnn = rnnss.LinearRNN(W=[[0.0, 0.0], [1.0, 0.0]], U=[[1.0], [0.0]])  # a shift register
    >>> res = steer(rnn, [2.0, 3.0], steps=2)
    >>> res.inputs[:, 0], res.energy
    (array([3., 2.]), 13.0)
    """
    best_effort = v.as_bool("best_effort", best_effort)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    N = v.as_int("steps", steps, minimum=1)
    n, p = rnn.n_hidden, rnn.n_inputs
    goal = v.as_vector("target", target, n)
    start = np.array(rnn.h0) if h0 is None else v.as_vector("h0", h0, n)
    free = start.copy()
    blocks = [rnn.U]
    for _ in range(N):
        free = rnn.W @ free + rnn.b
    for _ in range(N - 1):
        blocks.append(rnn.W @ blocks[-1])
    C = np.hstack(blocks[::-1])  # column block j multiplies x_{j+1}: W^{N-1-j} U
    if not (np.all(np.isfinite(C)) and np.all(np.isfinite(free))):
        raise NumericalError(f"W^k overflowed over {N} steps; steer over fewer steps")
    r = goal - free
    if C.size:
        Us, s, Vt = np.linalg.svd(C, full_matrices=False)
        k = int(np.sum(s > max(C.shape) * EPS * s[0]))
    else:
        Us, s, Vt, k = np.zeros((n, 0)), np.zeros(0), np.zeros((0, 0)), 0
    coef = Us[:, :k].T @ r
    u = Vt[:k].T @ (coef / s[:k]) if k else np.zeros(N * p)
    outside = r - Us[:, :k] @ coef  # the part of target - f_N no input can produce
    scale = max(float(np.linalg.norm(goal)), float(np.linalg.norm(free)), np.finfo(float).tiny)
    reached = float(np.linalg.norm(outside)) <= STEER_RTOL * scale
    cond = float(s[0] / s[k - 1]) if k else 1.0
    if not reached and not best_effort:
        closest = goal - outside
        err = NotReachableError(
            f"target is not reachable from h0 in {N} steps: the reachable set is the free response plus a "
            f"{k}-dimensional subspace of the {n}-dimensional hidden space; the closest reachable state is "
            f"{np.array2string(closest, precision=4)} and the residual is |target - closest| = "
            f"{np.linalg.norm(outside):.3g} (relative {np.linalg.norm(outside) / scale:.3g}). Try more steps, "
            "check structure_report(rnn), or pass best_effort=True"
        )
        err.closest_state = closest  # type: ignore[attr-defined]
        err.residual = outside  # type: ignore[attr-defined]
        raise err
    inputs = u.reshape(N, p)
    final = simulate(rnn, x=inputs, h0=start, noise=False).h[-1]
    miss = float(np.linalg.norm(final - goal))
    if reached and miss > 1e-8 * scale:
        warnings.warn(
            f"the steering inputs miss the target by {miss:.3g} (relative {miss / scale:.3g}): the reachability map "
            f"has condition number {cond:.3g}, so the inputs are huge and rounding dominates; steer over more steps",
            IllConditionedWarning,
            stacklevel=2,
        )
    return SteeringResult(inputs, float(np.sum(u**2)), final, goal, miss, bool(reached), k, cond)


@dataclass(frozen=True)
class StateReconstruction:
    """Hidden states recovered from noiseless outputs by least squares.

    Attributes
    ----------
    h0 : ndarray, shape (n,) or (batch, n)
        Minimum-norm least-squares estimate of the state before step 1.
    states : ndarray, shape (T, n) or (batch, T, n)
        The hidden trajectory ``h_1 .. h_T`` implied by ``h0``, the inputs and the biases.
    rank : int
        Numerical rank of the map ``h0 -> (y_1 .. y_T)`` (``[V W; V W^2; ...; V W^T]``).
    condition : float
        Its condition number on the determined subspace: noise in ``y`` is amplified by up to this factor.
    undetermined : ndarray, shape (n, n - rank)
        Orthonormal directions of ``h0`` the outputs do not determine (the estimate has no component
        along them).
    states_determined : bool
        Whether the trajectory is unique. It can be even when ``h0`` is not: directions in the null space of
        ``W`` are forgotten at the first step (``rank(map) == rank(W)``).
    residual : float
        Root-mean-square of ``y - (V h_t + d)``: zero up to rounding for noiseless data from this model.
    """

    h0: np.ndarray
    states: np.ndarray
    rank: int
    condition: float
    undetermined: np.ndarray
    states_determined: bool
    residual: float

    def __repr__(self) -> str:
        return (
            f"StateReconstruction(T={self.states.shape[-2]}, rank={self.rank} of {self.h0.shape[-1]}, "
            f"condition={self.condition:.3g}, states_determined={self.states_determined}, residual={self.residual:.2g})"
        )


def reconstruct_state(rnn: LinearRNN, y: ArrayLike, x: ArrayLike | None = None) -> StateReconstruction:
    r"""Recover the initial state and the hidden trajectory from noiseless outputs (and inputs).

    With known inputs and biases the output is ``y_t = V W^t h_0 + g_t`` where ``g_t`` (the response from
    ``h_0 = 0``) is computed exactly, so ``h_0`` solves the linear least-squares problem
    ``[V W; ...; V W^T] h_0 = y - g``. Its minimum-norm solution (SVD, rank tolerance
    ``max(T m, n) eps sigma_max``) is exact for an observable system with ``T`` large enough and ``W``
    invertible. For noisy outputs this is the plain least-squares fit, not the Kalman smoother.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Outputs ``y_1 .. y_T``.
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs ``x_1 .. x_T``; required when ``p > 0``.

    Returns
    -------
    StateReconstruction
        ``h0``, ``states`` and the diagnostics (rank, conditioning, undetermined directions).

    Raises
    ------
    DimensionError
        If ``y`` or ``x`` has the wrong shape or their lengths or batch sizes disagree.
    ValueError
        If ``x`` is missing although ``p > 0``, or ``y`` holds non-finite values.
    TypeError
        If ``rnn`` is not a LinearRNN.

    Warns
    -----
    UserWarning
        If the trajectory is not determined by the outputs (an unobservable mode is excited): the
        minimum-norm solution is returned and ``undetermined`` lists the free directions.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import reconstruct_state
    >>> rnn = rnnss.LinearRNN(W=[[0.9, 0.0], [1.0, 0.5]], V=[[0.0, 1.0]], h0=[1.0, -2.0])
    >>> y = rnnss.simulate(rnn, steps=4, noise=False).y
    >>> reconstruct_state(rnn, y).h0.round(12)
    array([ 1., -2.])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    n, m = rnn.n_hidden, rnn.n_outputs
    ys, batched = v.as_sequence("y", y, m)
    nb, T, _ = ys.shape
    if x is None and rnn.n_inputs:
        raise ValueError(f"x is required: this network has p = {rnn.n_inputs} inputs")
    xs, xbatched = input_sequences(rnn, T, x, None) if x is not None else (np.zeros((1, T, 0)), False)
    if xbatched and xs.shape[0] != nb and nb != 1:
        raise v.DimensionError(f"x holds {xs.shape[0]} sequences but y holds {nb}")
    nb = max(nb, xs.shape[0])
    ys = np.broadcast_to(ys, (nb, T, m))
    xs = np.broadcast_to(xs, (nb, T, xs.shape[2]))
    forced = simulate(rnn, x=xs, h0=np.zeros(n), noise=False).h @ rnn.V.T + rnn.d  # g_t
    G = np.empty((T * m, n))
    P = np.array(rnn.W)
    for t in range(T):
        G[t * m : (t + 1) * m] = rnn.V @ P
        P = rnn.W @ P
    if not np.all(np.isfinite(G)):
        raise NumericalError(f"W^t overflowed over T = {T} steps; reconstruct from a shorter window")
    Us, s, Vt = np.linalg.svd(G, full_matrices=True)
    k = int(np.sum(s > max(G.shape) * EPS * (s[0] if s.size else 0.0)))
    rhs = (ys - forced).reshape(nb, T * m)
    h0 = ((rhs @ Us[:, :k]) / s[:k]) @ Vt[:k] if k else np.zeros((nb, n))
    states = simulate(rnn, x=xs, h0=h0, noise=False).h
    resid = ys - (states @ rnn.V.T + rnn.d)
    determined = k >= numerical_rank(rnn.W).rank
    undetermined = Vt[k:].T.copy()
    if not determined:
        warnings.warn(
            f"the outputs do not determine the hidden trajectory: the map h0 -> y has rank {k} < rank W = "
            f"{numerical_rank(rnn.W).rank} (an unobservable mode is in play); returning the minimum-norm solution, "
            "see .undetermined for the free directions of h0",
            UserWarning,
            stacklevel=2,
        )
    cond = float(s[0] / s[k - 1]) if k else np.inf
    return StateReconstruction(
        h0 if batched or xbatched else h0[0],
        states if batched or xbatched else states[0],
        k,
        cond,
        undetermined,
        bool(determined),
        float(np.sqrt(np.mean(resid**2))),
    )
