"""The LSTM cell on the joint state ``[h; c]``, with the analytic Jacobian of both halves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import register_model
from .base import Cell
from .elman import _sigmoid

__all__ = ["LSTMCell"]


def _gated_params(cell: Any, gates: str) -> int:
    """Validate ``W (k n, n)``, ``U (k n, p)``, ``b (k n,)`` of a cell with ``k = len(gates)`` stacked gate blocks."""
    k = len(gates)
    W = v.as_float_array("W", cell.W)
    if W.ndim != 2 or W.shape[1] == 0 or W.shape[0] != k * W.shape[1]:
        raise v.DimensionError(
            f"W must have shape ({k}n, n): the {', '.join(gates)} blocks of shape (n, n) stacked; got shape {W.shape}"
        )
    n = W.shape[1]
    W = v.as_matrix("W", W, (k * n, n))
    U = np.zeros((k * n, 0)) if cell.U is None else v.as_matrix("U", cell.U, (k * n, None))
    b = np.zeros(k * n) if cell.b is None else v.as_vector("b", cell.b, k * n)
    for name, arr in (("W", W), ("U", U), ("b", b)):
        object.__setattr__(cell, name, v.freeze(arr))
    return n


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class LSTMCell(Cell):
    r"""Long short-term memory cell; its recurrent state is ``s = [h; c]`` of length ``2 n``.

    .. math::

        i_t &= \sigma(W_i h_{t-1} + U_i x_t + b_i), \quad f_t = \sigma(W_f h_{t-1} + U_f x_t + b_f), \\
        g_t &= \tanh(W_g h_{t-1} + U_g x_t + b_g), \quad o_t = \sigma(W_o h_{t-1} + U_o x_t + b_o), \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).

    The gate blocks are stacked in the order ``i, f, g, o`` (PyTorch's ``weight_hh``, ``weight_ih``
    layout; its two biases add up to ``b``). Along the cell state the Jacobian block
    ``d c_t / d c_{t-1} = diag(f_t)``: the additive "gradient highway" whose product over ``k`` steps
    is the product of the forget gates.

    Parameters
    ----------
    W : array_like, shape (4n, n)
        Recurrent weights ``[W_i; W_f; W_g; W_o]``.
    U : array_like, shape (4n, p), optional
        Input weights ``[U_i; U_f; U_g; U_o]``. Default: no input (``p = 0``).
    b : array_like, shape (4n,), optional
        Biases ``[b_i; b_f; b_g; b_o]``. Default zeros.

    Raises
    ------
    DimensionError
        If the shapes are not ``(4n, n)``, ``(4n, p)``, ``(4n,)``.
    ValueError
        If an entry is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import random_cell
    >>> cell = random_cell("lstm", 3, 2, rng=0)
    >>> cell.state_size, cell.jacobian(np.zeros(2), np.zeros(6)).shape
    (6, (6, 6))
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None

    def __post_init__(self) -> None:
        _gated_params(self, ("i", "f", "g", "o"))

    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``n`` (the state has ``2 n`` entries)."""
        return self.W.shape[1]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.U.shape[1]

    @property
    def state_size(self) -> int:
        """``2 n``: the state is ``[h; c]``."""
        return 2 * self.n_hidden

    def hidden(self, state: np.ndarray) -> np.ndarray:
        """The hidden vector ``h`` (first ``n`` entries of the state)."""
        return np.asarray(state)[..., : self.n_hidden]

    def cell_state(self, state: np.ndarray) -> np.ndarray:
        """The cell (memory) vector ``c`` (last ``n`` entries of the state).

        Parameters
        ----------
        state : ndarray, shape (2n,) or (batch, 2n)
            Full states ``[h; c]``.

        Returns
        -------
        ndarray, shape (n,) or (batch, n)
            ``c``.
        """
        return np.asarray(state)[..., self.n_hidden :]

    def gates(self, x: Any, state: Any) -> dict[str, np.ndarray]:
        """The gate activations ``i, f, g, o`` of one step, each ``(n,)`` or ``(batch, n)``.

        Parameters
        ----------
        x : array_like, shape (p,) or (batch, p)
            Input ``x_t``.
        state : array_like, shape (2n,) or (batch, 2n)
            Previous state ``[h_{t-1}; c_{t-1}]``.

        Returns
        -------
        dict
            ``{"i", "f", "g", "o"}`` -> gate values.
        """
        xa, sa, batched = self._check_step_args(x, state)
        out = self._gates(xa, sa)
        return out if batched else {k: val[0] for k, val in out.items()}

    def _gates(self, xa: np.ndarray, sa: np.ndarray) -> dict[str, np.ndarray]:
        n = self.n_hidden
        a = sa[:, :n] @ self.W.T + xa @ self.U.T + self.b
        return {
            "i": _sigmoid(a[:, :n]),
            "f": _sigmoid(a[:, n : 2 * n]),
            "g": np.tanh(a[:, 2 * n : 3 * n]),
            "o": _sigmoid(a[:, 3 * n :]),
        }

    def step(self, x: Any, state: Any) -> np.ndarray:
        """One step ``[h_{t-1}; c_{t-1}] -> [h_t; c_t]``; shapes ``(p,)``/``(batch, p)``, ``(2n,)``/``(batch, 2n)``."""
        xa, sa, batched = self._check_step_args(x, state)
        gt = self._gates(xa, sa)
        c = gt["f"] * sa[:, self.n_hidden :] + gt["i"] * gt["g"]
        out = np.concatenate([gt["o"] * np.tanh(c), c], axis=1)
        return out if batched else out[0]

    def _derivatives(self, x: Any, state: Any, M: np.ndarray) -> tuple[np.ndarray, ...]:
        """``d h_t / d z`` and ``d c_t / d z`` through the gates, for ``z = h_{t-1}`` (M = W) or ``x_t`` (M = U).

        Returns the two blocks (batch, n, k), the diagonals of ``d h_t / d c_{t-1}`` and
        ``d c_t / d c_{t-1}``, and the batch flag.
        """
        xa, sa, batched = self._check_step_args(x, state)
        n = self.n_hidden
        gt = self._gates(xa, sa)
        i, f, g, o = gt["i"], gt["f"], gt["g"], gt["o"]
        c_prev = sa[:, n:]
        c = f * c_prev + i * g
        tc = np.tanh(c)
        Mi, Mf, Mg, Mo = (M[j * n : (j + 1) * n] for j in range(4))
        # Chain rule through each gate's pre-activation: sigma' = s (1 - s), tanh' = 1 - t^2.
        dc = (
            (c_prev * f * (1 - f))[:, :, None] * Mf
            + (g * i * (1 - i))[:, :, None] * Mi
            + (i * (1 - g**2))[:, :, None] * Mg
        )
        through_c = o * (1 - tc**2)
        dh = (tc * o * (1 - o))[:, :, None] * Mo + through_c[:, :, None] * dc
        return dh, dc, through_c * f, f, batched

    def jacobian(self, x: Any, state: Any) -> np.ndarray:
        """Joint Jacobian ``d [h_t; c_t] / d [h_{t-1}; c_{t-1}]``, shape ``(2n, 2n)`` or ``(batch, 2n, 2n)``.

        Blocks: ``dh/dh``, ``dh/dc = diag(o (1 - tanh^2 c_t) f)``; ``dc/dh``, ``dc/dc = diag(f)``.
        """
        dh, dc, dh_dc, dc_dc, batched = self._derivatives(x, state, self.W)
        n = self.n_hidden
        J = np.zeros((dh.shape[0], 2 * n, 2 * n))
        J[:, :n, :n] = dh
        J[:, n:, :n] = dc
        idx = np.arange(n)
        J[:, idx, n + idx] = dh_dc
        J[:, n + idx, n + idx] = dc_dc
        return J if batched else J[0]

    def input_jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d [h_t; c_t] / d x_t``, shape ``(2n, p)`` or ``(batch, 2n, p)``."""
        dh, dc, _, _, batched = self._derivatives(x, state, self.U)
        B = np.concatenate([dh, dc], axis=1)
        return B if batched else B[0]

    def __repr__(self) -> str:
        n = self.n_hidden
        f_bias = float(np.mean(self.b[n : 2 * n]))
        return f"LSTMCell(n={n}, p={self.n_inputs}, state=[h; c] of size {2 * n}, mean forget bias={f_bias:.3g})"
