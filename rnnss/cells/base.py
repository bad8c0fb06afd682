"""The cell protocol shared by every nonlinear recurrent cell, and ``scan`` that drives a cell over a sequence."""

from __future__ import annotations

import abc
from typing import Any

import numpy as np

from .. import _validate as v
from .._deprecation import keyword_only
from .._model import Model
from ..exceptions import NumericalError

__all__ = ["Cell", "scan", "numerical_jacobian"]


class Cell(Model, abc.ABC):
    """A recurrent cell ``s_t = f(x_t, s_{t-1})`` on frozen parameters.

    Every cell has a flat state vector ``s`` of length :attr:`state_size`. For most cells the state is
    the hidden vector ``h`` itself; an LSTM's state is ``[h; c]`` (so ``state_size = 2 n``) and
    :meth:`hidden` extracts ``h``. All array methods accept one vector or a batch (batch first) and
    keep the caller's layout:

    * ``x``: ``(p,)`` or ``(batch, p)``;
    * ``state``: ``(S,)`` or ``(batch, S)``.

    Subclasses are frozen dataclasses that validate their parameters in ``__post_init__`` and
    implement :meth:`step`, :meth:`jacobian` and :meth:`input_jacobian` analytically.
    """

    @property
    @abc.abstractmethod
    def n_inputs(self) -> int:
        """Input size ``p``."""

    @property
    @abc.abstractmethod
    def n_hidden(self) -> int:
        """Size ``n`` of the visible hidden vector ``h``."""

    @property
    def state_size(self) -> int:
        """Length ``S`` of the full recurrent state (``n`` unless the cell carries more, e.g. LSTM ``2n``)."""
        return self.n_hidden

    @abc.abstractmethod
    def step(self, x: np.ndarray, state: np.ndarray) -> np.ndarray:
        """One step ``s_t = f(x_t, s_{t-1})``; shapes ``(p,)``/``(batch, p)`` and ``(S,)``/``(batch, S)``."""

    @abc.abstractmethod
    def jacobian(self, x: np.ndarray, state: np.ndarray) -> np.ndarray:
        """``d s_t / d s_{t-1}`` at ``(x_t, s_{t-1})``: shape ``(S, S)`` or ``(batch, S, S)``."""

    @abc.abstractmethod
    def input_jacobian(self, x: np.ndarray, state: np.ndarray) -> np.ndarray:
        """``d s_t / d x_t`` at ``(x_t, s_{t-1})``: shape ``(S, p)`` or ``(batch, S, p)``."""

    def hidden(self, state: np.ndarray) -> np.ndarray:
        """The visible hidden vector ``h`` inside a state (the state itself by default)."""
        return state

    @property
    def jacobian_bound(self) -> float | None:
        """A bound ``c >= ||d s_t / d s_{t-1}||_2`` valid at every state and input, or None if none is known.

        Then ``||d s_T / d s_{T-k}||_2 <= c^k`` (for Elman cells ``c = sup|phi'| ||W||_2``).
        """
        return None

    def initial_state(self, batch: int | None = None) -> np.ndarray:
        """The zero state, ``(S,)`` or ``(batch, S)``."""
        return np.zeros(self.state_size if batch is None else (batch, self.state_size))

    def __call__(self, x: np.ndarray, state: np.ndarray) -> np.ndarray:
        return self.step(x, state)

    # -- argument checks shared by subclasses ------------------------------------------------------
    def _check_step_args(self, x: Any, state: Any) -> tuple[np.ndarray, np.ndarray, bool]:
        """Validate ``x`` and ``state`` as one step; return 2-D arrays and whether input was batched."""
        xa = v.as_float_array("x", x)
        sa = v.as_float_array("state", state)
        if xa.ndim not in (1, 2) or xa.shape[-1] != self.n_inputs:
            raise v.DimensionError(
                f"x must have shape ({self.n_inputs},) or (batch, {self.n_inputs}); got shape {xa.shape}"
            )
        if sa.ndim not in (1, 2) or sa.shape[-1] != self.state_size:
            raise v.DimensionError(
                f"state must have shape ({self.state_size},) or (batch, {self.state_size}); got shape {sa.shape}"
            )
        v.check_finite("x", xa)
        v.check_finite("state", sa)
        batched = xa.ndim == 2 or sa.ndim == 2
        xa, sa = np.atleast_2d(xa), np.atleast_2d(sa)
        if xa.shape[0] != sa.shape[0] and 1 not in (xa.shape[0], sa.shape[0]):
            raise v.DimensionError(f"x and state disagree on the batch size: {xa.shape[0]} vs {sa.shape[0]}")
        nb = max(xa.shape[0], sa.shape[0])
        return np.broadcast_to(xa, (nb, self.n_inputs)), np.broadcast_to(sa, (nb, self.state_size)), batched


@keyword_only(2, "h0")
def scan(cell: Cell, xs: Any, *, h0: Any = None, lengths: Any = None) -> np.ndarray:
    """Drive a cell over a sequence: ``s_t = cell(x_t, s_{t-1})`` for ``t = 1..T``.

    Parameters
    ----------
    cell : Cell
        Any rnnss cell.
    xs : array_like, shape (T, p), (T,) if p == 1, or (batch, T, p)
        Inputs ``x_1 .. x_T``, time on axis 0 or batch first. With ``lengths``, entries past a sequence's
        end are padding: they are never read and may hold anything finite or NaN.
    h0 : array_like, shape (S,) or (batch, S), optional
        Initial state ``s_0`` (default zeros).
    lengths : array_like of int, shape (batch,), optional
        Ragged batches: sequence ``i`` has ``lengths[i]`` steps (``0 <= lengths[i] <= T``); an int for a
        single sequence. The states past each sequence's end are NaN (not held at the last state): padding
        cannot silently enter a loss or a statistic. ``out[i, lengths[i] - 1]`` is sequence ``i``'s last
        state (for ``lengths[i] = 0`` the whole row is NaN: the state is still ``h0``).

    Returns
    -------
    ndarray, shape (T, S) or (batch, T, S)
        States ``s_1 .. s_T`` (``s_0`` not included), in the caller's layout; NaN past each end with
        ``lengths``.

    Raises
    ------
    DimensionError
        If ``xs``, ``h0`` or ``lengths`` has the wrong shape.
    ValueError
        If an input inside a sequence is not finite, or a length is outside ``[0, T]``.
    TypeError
        If ``lengths`` does not hold integers.

    Examples
    --------
    >>> import numpy as np
    >>> import rnnss
    >>> cell = rnnss.ElmanCell(W=[[0.5]], U=[[1.0]], activation="identity")
    >>> xs = np.array([[1.0, 1.0, 1.0], [1.0, np.nan, np.nan]])[:, :, None]  # lengths 3 and 1
    >>> rnnss.scan(cell, xs, lengths=[3, 1])[:, :, 0]
    array([[1.  , 1.5 , 1.75],
           [1.  ,  nan,  nan]])
    """
    if not isinstance(cell, Cell):
        raise TypeError(f"cell must be an rnnss cell; got {type(cell).__name__}")
    arr, batched = v.as_sequence("xs", xs, cell.n_inputs, allow_nan=lengths is not None)
    nb, T, _ = arr.shape
    L = None if lengths is None else sequence_lengths(lengths, nb, T, batched)
    if L is not None:
        inside = np.arange(T) < L[:, None]
        bad = inside & np.isnan(arr).any(axis=2)
        if bad.any():
            i, t = (int(k) for k in np.argwhere(bad)[0])
            raise ValueError(f"xs must be finite inside each sequence; got NaN at sequence {i}, step {t} < {L[i]}")
    if h0 is None:
        s = cell.initial_state(nb)
    else:
        s = v.as_float_array("h0", h0)
        if s.shape not in ((cell.state_size,), (nb, cell.state_size)):
            raise v.DimensionError(
                f"h0 must have shape ({cell.state_size},) or ({nb}, {cell.state_size}); got shape {s.shape}"
            )
        v.check_finite("h0", s)
        s = np.broadcast_to(s, (nb, cell.state_size)).copy()
    out = np.empty((nb, T, cell.state_size))
    full = T if L is None or not L.size else int(L.min())  # steps every sequence takes
    for t in range(T):
        if t < full:
            s = cell.step(arr[:, t], s)
            out[:, t] = s
        else:
            alive = t < L
            if alive.any():
                s[alive] = cell.step(arr[alive, t], s[alive])
            out[:, t] = np.where(alive[:, None], s, np.nan)
    return out if batched else out[0]


def sequence_lengths(lengths: Any, nb: int, T: int, batched: bool) -> np.ndarray:
    """Validate ``lengths`` of a ragged batch: integers in ``[0, T]``, one per sequence; returns shape ``(nb,)``."""
    arr = np.asarray(lengths)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"lengths must hold integers; got dtype {arr.dtype}")
    if arr.ndim == 0 and not batched:
        arr = arr[None]
    if arr.shape != (nb,):
        raise v.DimensionError(f"lengths must have shape ({nb},), one length per sequence; got shape {arr.shape}")
    if arr.size and (arr.min() < 0 or arr.max() > T):
        bad = int(arr[(arr < 0) | (arr > T)][0])
        raise ValueError(f"lengths must lie in [0, T] with T = {T}; got {bad}")
    return arr.astype(int)


def numerical_jacobian(cell: Cell, x: Any, state: Any, *, wrt: str = "state", eps: float = 1e-6) -> np.ndarray:
    """Central finite-difference Jacobian of one step, the independent check of analytic Jacobians.

    Parameters
    ----------
    cell : Cell
        Any rnnss cell.
    x : array_like, shape (p,)
        Input of the step.
    state : array_like, shape (S,)
        Previous state.
    wrt : {"state", "input"}
        Differentiate with respect to the previous state or the input.
    eps : float
        Step of the central difference (error O(eps^2)).

    Returns
    -------
    ndarray, shape (S, S) or (S, p)
        The finite-difference Jacobian.
    """
    x = v.as_vector("x", x, cell.n_inputs)
    state = v.as_vector("state", state, cell.state_size)
    if wrt not in ("state", "input"):
        raise ValueError(f"wrt must be 'state' or 'input'; got {wrt!r}")
    base = state if wrt == "state" else x
    cols = []
    for j in range(base.size):
        e = np.zeros(base.size)
        e[j] = eps
        if wrt == "state":
            plus, minus = cell.step(x, state + e), cell.step(x, state - e)
        else:
            plus, minus = cell.step(x + e, state), cell.step(x - e, state)
        cols.append((plus - minus) / (2 * eps))
    return np.stack(cols, axis=-1)


# -- argument helpers shared by the analyses of cells ------------------------------------------------


def constant_input(cell: Cell, x: Any) -> np.ndarray:
    return np.zeros(cell.n_inputs) if x is None else v.as_vector("x", x, cell.n_inputs)


def state_or_zero(cell: Cell, h0: Any, name: str = "h0") -> np.ndarray:
    return cell.initial_state() if h0 is None else v.as_vector(name, h0, cell.state_size)


def input_sequence(cell: Cell, x: Any, steps: Any) -> np.ndarray:
    """Inputs ``(T, p)``: the given sequence, or ``steps`` zero inputs (autonomous run)."""
    if x is None:
        if steps is None:
            raise TypeError("give the input sequence x or, for an autonomous run with zero input, steps")
        return np.zeros((v.as_int("steps", steps, minimum=1), cell.n_inputs))
    xs, batched = v.as_sequence(
        "x", x, cell.n_inputs, steps=None if steps is None else v.as_int("steps", steps, minimum=1)
    )
    if batched:
        raise v.DimensionError(f"x must be one sequence of shape (T, {cell.n_inputs}); got a batch of shape {xs.shape}")
    return xs[0]


def checked_step(cell: Cell, x: np.ndarray, s: np.ndarray, t: int) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below, by step number
        out = cell.step(x, s)
    if not np.all(np.isfinite(out)):
        raise NumericalError(
            f"the trajectory diverged: the state after step {t + 1} is not finite (max |s| before it was "
            f"{np.max(np.abs(s)):.3g}); shorten the run or use a contracting cell"
        )
    return out
