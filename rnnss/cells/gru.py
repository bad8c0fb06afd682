"""The gated recurrent unit (GRU) cell of Cho et al. (2014), with analytic Jacobians."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._model import register_model
from .base import Cell
from .elman import _sigmoid
from .lstm import _gated_params

__all__ = ["GRUCell"]


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class GRUCell(Cell):
    r"""Gated recurrent unit: an update gate interpolates between the old state and a candidate.

    .. math::

        r_t &= \sigma(W_r h_{t-1} + U_r x_t + b_r), \qquad z_t = \sigma(W_z h_{t-1} + U_z x_t + b_z), \\
        \tilde h_t &= \tanh(W_c (r_t \odot h_{t-1}) + U_c x_t + b_c), \\
        h_t &= (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t .

    This is the update-gate convention (``z_t`` near 0 keeps the old state; ``1 - z_t`` plays the LSTM forget
    gate) and Cho et al.'s original candidate, with the reset gate applied *before* ``W_c``. PyTorch's
    ``nn.GRU`` instead applies it after (``r * (W_c h + b_hc)``) and swaps the roles of ``z`` and ``1 - z``.

    Parameters
    ----------
    W : array_like, shape (3n, n)
        Recurrent weights ``[W_r; W_z; W_c]``.
    U : array_like, shape (3n, p), optional
        Input weights ``[U_r; U_z; U_c]``. Default: no input (``p = 0``).
    b : array_like, shape (3n,), optional
        Biases ``[b_r; b_z; b_c]``. Default zeros.

    Raises
    ------
    DimensionError
        If the shapes are not ``(3n, n)``, ``(3n, p)``, ``(3n,)``.
    ValueError
        If an entry is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import GRUCell
    >>> cell = GRUCell(W=np.zeros((3, 1)), b=[0.0, -50.0, 0.0])  # z = sigma(-50): keep the state
    >>> float(cell.step(np.zeros(0), [0.7])[0])
    0.7
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None

    def __post_init__(self) -> None:
        _gated_params(self, ("r", "z", "c"))

    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``n``."""
        return self.W.shape[1]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.U.shape[1]

    def _parts(self, xa: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.n_hidden
        a = h @ self.W[: 2 * n].T + xa @ self.U[: 2 * n].T + self.b[: 2 * n]
        r, z = _sigmoid(a[:, :n]), _sigmoid(a[:, n:])
        cand = np.tanh((r * h) @ self.W[2 * n :].T + xa @ self.U[2 * n :].T + self.b[2 * n :])
        return r, z, cand

    def gates(self, x: Any, state: Any) -> dict[str, np.ndarray]:
        """The reset gate ``r``, update gate ``z`` and candidate ``c`` of one step, each ``(n,)`` or ``(batch, n)``.

        Parameters
        ----------
        x : array_like, shape (p,) or (batch, p)
            Input ``x_t``.
        state : array_like, shape (n,) or (batch, n)
            Previous state ``h_{t-1}``.

        Returns
        -------
        dict
            ``{"r", "z", "c"}`` -> values.
        """
        xa, h, batched = self._check_step_args(x, state)
        out = dict(zip("rzc", self._parts(xa, h)))
        return out if batched else {k: val[0] for k, val in out.items()}

    def step(self, x: Any, state: Any) -> np.ndarray:
        """One step ``h_{t-1} -> h_t``; shapes ``(p,)``/``(batch, p)`` and ``(n,)``/``(batch, n)``."""
        xa, h, batched = self._check_step_args(x, state)
        _, z, cand = self._parts(xa, h)
        out = (1 - z) * h + z * cand
        return out if batched else out[0]

    def _derivatives(self, xa: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, ...]:
        r, z, cand = self._parts(xa, h)
        dz = (cand - h) * z * (1 - z)  # d h_t / d a_z  (diagonal)
        dc = z * (1 - cand**2)  # d h_t / d a_c  (diagonal)
        dr_h = h * r * (1 - r)  # d (r * h) / d a_r  (diagonal)
        return r, z, dz, dc, dr_h

    def jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d h_t / d h_{t-1} = diag(1 - z) + diag(dz) W_z + diag(dc) W_c (diag(r) + diag(h r (1 - r)) W_r)``.

        Shape ``(n, n)`` or ``(batch, n, n)``.
        """
        xa, h, batched = self._check_step_args(x, state)
        n = self.n_hidden
        Wr, Wz, Wc = self.W[:n], self.W[n : 2 * n], self.W[2 * n :]
        r, z, dz, dc, dr_h = self._derivatives(xa, h)
        # d a_c / d h_{t-1}: r enters directly and through its own pre-activation W_r h.
        dac = Wc[None] * r[:, None, :] + np.einsum("ij,bj,jk->bik", Wc, dr_h, Wr)
        J = dz[:, :, None] * Wz + dc[:, :, None] * dac
        idx = np.arange(n)
        J[:, idx, idx] += 1 - z
        return J if batched else J[0]

    def input_jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d h_t / d x_t = diag(dz) U_z + diag(dc) (U_c + W_c diag(h r (1 - r)) U_r)``, ``(n, p)``/``(b, n, p)``."""
        xa, h, batched = self._check_step_args(x, state)
        n = self.n_hidden
        Ur, Uz, Uc = self.U[:n], self.U[n : 2 * n], self.U[2 * n :]
        _, _, dz, dc, dr_h = self._derivatives(xa, h)
        dac = Uc[None] + np.einsum("ij,bj,jk->bik", self.W[2 * n :], dr_h, Ur)
        B = dz[:, :, None] * Uz + dc[:, :, None] * dac
        return B if batched else B[0]

    def __repr__(self) -> str:
        return (
            f"GRUCell(n={self.n_hidden}, p={self.n_inputs}, "
            f"||W_c||_2={np.linalg.norm(self.W[2 * self.n_hidden :], 2):.4g})"
        )
