"""Bidirectional wrapper: a forward and a backward cell over one sequence, states concatenated per step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import Model, register_model
from .base import Cell, scan, sequence_lengths

__all__ = ["Bidirectional", "bidirectional_scan"]


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class Bidirectional(Model):
    r"""Two cells reading one sequence in opposite directions (a bidirectional RNN).

    The forward cell runs ``t = 1 .. T`` and summarises the past, ``s^->_t = f(x_t, s^->_{t-1})``; the
    backward cell runs ``t = T .. 1`` and summarises the future, ``s^<-_t = g(x_t, s^<-_{t+1})``. The
    representation at step ``t`` is ``[h^->_t; h^<-_t]``: non-causal, like the RTS smoother against the
    Kalman filter. Saveable with :func:`rnnss.save` (the two cells are stored inside the file).

    It is deliberately not a :class:`~rnnss.Cell`: a cell is a causal step map
    ``s_t = f(x_t, s_{t-1})``, and a bidirectional network has none (step ``t`` needs ``x_{t+1} .. x_T``),
    so the cell tools (fixed points, Lyapunov exponents, filters) would give meaningless answers. Its
    gradient paths are measured by :func:`rnnss.bidirectional_gradient_flow`.

    Parameters
    ----------
    forward : Cell
        The cell run from the start of the sequence.
    backward : Cell
        The cell run from the end; it must take the same input size.

    Raises
    ------
    TypeError
        If either argument is not an rnnss cell.
    DimensionError
        If the two cells disagree on the input size.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import Bidirectional, ElmanCell, bidirectional_scan
    >>> fw = ElmanCell(W=[[0.5]], U=[[1.0]], activation="identity")
    >>> bi = Bidirectional(fw, fw)
    >>> bidirectional_scan(bi, [1.0, 0.0, 0.0])
    array([[1.  , 1.  ],
           [0.5 , 0.  ],
           [0.25, 0.  ]])
    """

    forward: Cell
    backward: Cell

    def __post_init__(self) -> None:
        for name in ("forward", "backward"):
            if not isinstance(getattr(self, name), Cell):
                raise TypeError(f"{name} must be an rnnss cell; got {type(getattr(self, name)).__name__}")
        if self.forward.n_inputs != self.backward.n_inputs:
            raise v.DimensionError(
                f"forward and backward cells must take the same input size; got p = {self.forward.n_inputs} "
                f"and p = {self.backward.n_inputs}"
            )

    @property
    def n_inputs(self) -> int:
        """Input size ``p``."""
        return self.forward.n_inputs

    @property
    def n_hidden(self) -> int:
        """Size of the concatenated hidden vector, ``n_forward + n_backward``."""
        return self.forward.n_hidden + self.backward.n_hidden

    def scan(self, xs: Any, **kwargs: Any) -> np.ndarray:
        """Run both directions; see :func:`bidirectional_scan`."""
        return bidirectional_scan(self, xs, **kwargs)

    def __repr__(self) -> str:
        return f"Bidirectional(forward={self.forward!r}, backward={self.backward!r})"


def bidirectional_scan(
    bi: Bidirectional,
    xs: Any,
    *,
    h0_forward: Any = None,
    h0_backward: Any = None,
    full_state: bool = False,
    lengths: Any = None,
) -> np.ndarray:
    """Run a bidirectional pair over a sequence and concatenate the two states at every step.

    Parameters
    ----------
    bi : Bidirectional
        The forward and backward cells.
    xs : array_like, shape (T, p), (T,) if p == 1, or (batch, T, p)
        Inputs ``x_1 .. x_T``.
    h0_forward : array_like, shape (S_f,) or (batch, S_f), optional
        State before ``x_1`` of the forward cell (default zeros).
    h0_backward : array_like, shape (S_b,) or (batch, S_b), optional
        State "after" ``x_T``, where the backward cell starts (default zeros).
    full_state : bool, default False
        Concatenate the full states (e.g. ``[h; c]`` of an LSTM) instead of the hidden vectors.
    lengths : array_like of int, shape (batch,), optional
        Ragged batches (see :func:`rnnss.scan`): the backward cell of sequence ``i`` starts at its own last
        step ``lengths[i]``, not at the padded end, and rows past each end are NaN.

    Returns
    -------
    ndarray, shape (T, n_f + n_b) or (batch, T, n_f + n_b)
        Row ``t`` is ``[h^->_t; h^<-_t]``: the forward state after ``x_1 .. x_t`` and the backward state
        after ``x_T .. x_t`` (with ``full_state``, ``S_f + S_b`` columns).

    Raises
    ------
    TypeError
        If ``bi`` is not a :class:`Bidirectional`.
    DimensionError
        If ``xs``, an initial state or ``lengths`` has the wrong shape.
    ValueError
        If an input inside a sequence is not finite or a length is outside ``[0, T]``.
    """
    full_state = v.as_bool("full_state", full_state)
    if not isinstance(bi, Bidirectional):
        raise TypeError(f"bi must be an rnnss.Bidirectional; got {type(bi).__name__}")
    full_state = v.as_bool("full_state", full_state)
    arr, batched = v.as_sequence("xs", xs, bi.n_inputs, allow_nan=lengths is not None)
    nb, T, _ = arr.shape
    for name, h0, cell in (("h0_forward", h0_forward, bi.forward), ("h0_backward", h0_backward, bi.backward)):
        if h0 is not None:
            shape = np.shape(h0)
            if shape not in ((cell.state_size,), (nb, cell.state_size)):
                raise v.DimensionError(
                    f"{name} must have shape ({cell.state_size},) or ({nb}, {cell.state_size}); got shape {shape}"
                )
    if lengths is None:
        fw = scan(bi.forward, arr, h0=h0_forward)
        bw = scan(bi.backward, arr[:, ::-1], h0=h0_backward)[:, ::-1]
    else:
        L = sequence_lengths(lengths, nb, T, batched)
        fw = scan(bi.forward, arr, h0=h0_forward, lengths=L)
        # Reverse each sequence inside its own length (padding stays in place); the map is an involution.
        t = np.arange(T)
        rev = np.where(t < L[:, None], L[:, None] - 1 - t, t)
        rows = np.arange(nb)[:, None]
        bw = scan(bi.backward, arr[rows, rev], h0=h0_backward, lengths=L)[rows, rev]
    if not full_state:
        fw, bw = bi.forward.hidden(fw), bi.backward.hidden(bw)
    out = np.concatenate([fw, bw], axis=-1)
    return out if batched else out[0]
