"""The gated recurrent unit (GRU) in its two variants (reset gate before or after ``W``), with analytic Jacobians."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import register_model
from .base import Cell
from .elman import _sigmoid
from .lstm import _gated_params

__all__ = ["GRUCell", "TorchGRUCell"]


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
    ``nn.GRU`` instead applies it after (``r * (W_c h + b_hc)``) and swaps the roles of ``z`` and ``1 - z``:
    that variant is :class:`TorchGRUCell`.

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


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class TorchGRUCell(Cell):
    r"""PyTorch's GRU (``torch.nn.GRU`` / ``GRUCell``, cuDNN's variant): reset gate applied *after* ``W_n``.

    .. math::

        r_t &= \sigma(U_r x_t + b_{ir} + W_r h_{t-1} + b_{hr}), \qquad
        z_t = \sigma(U_z x_t + b_{iz} + W_z h_{t-1} + b_{hz}), \\
        n_t &= \tanh\big(U_n x_t + b_{in} + r_t \odot (W_n h_{t-1} + b_{hn})\big), \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1} .

    Two differences from :class:`GRUCell` (Cho et al.'s first form): the reset gate multiplies the
    recurrent product ``W_n h_{t-1} + b_{hn}`` instead of ``h_{t-1}`` before it (so ``b_{hn}`` is not
    absorbed into ``b_{in}``, hence two bias vectors), and ``z_t`` near 1 *keeps* the old state (``z_t``
    plays the LSTM forget gate). Keras' ``GRU(reset_after=True)`` is the same map with its gates stacked
    ``z, r, h``.

    The fields are PyTorch's parameters of a one-layer GRU, gate blocks stacked in PyTorch's order
    ``r, z, n``:

    ============  ====================  ==================================
    field         PyTorch name          blocks
    ============  ====================  ==================================
    ``W``         ``weight_hh_l0``      ``[W_hr; W_hz; W_hn]``, ``(3n, n)``
    ``U``         ``weight_ih_l0``      ``[W_ir; W_iz; W_in]``, ``(3n, p)``
    ``b``         ``bias_ih_l0``        ``[b_ir; b_iz; b_in]``, ``(3n,)``
    ``b_h``       ``bias_hh_l0``        ``[b_hr; b_hz; b_hn]``, ``(3n,)``
    ============  ====================  ==================================

    (PyTorch writes ``W_ir`` for the input weights this library calls ``U_r``; ``W_hr`` is ``W_r``.)
    Only the sums ``b_ir + b_hr`` and ``b_iz + b_hz`` act, but both biases are kept as given so that
    weights move to and from PyTorch unchanged.

    Parameters
    ----------
    W : array_like, shape (3n, n)
        Recurrent weights ``[W_r; W_z; W_n]`` (PyTorch ``weight_hh_l0``).
    U : array_like, shape (3n, p), optional
        Input weights ``[U_r; U_z; U_n]`` (PyTorch ``weight_ih_l0``). Default: no input (``p = 0``).
    b : array_like, shape (3n,), optional
        Input-side biases ``[b_ir; b_iz; b_in]`` (PyTorch ``bias_ih_l0``). Default zeros.
    b_h : array_like, shape (3n,), optional
        Hidden-side biases ``[b_hr; b_hz; b_hn]`` (PyTorch ``bias_hh_l0``). Default zeros.

    Raises
    ------
    DimensionError
        If the shapes are not ``(3n, n)``, ``(3n, p)``, ``(3n,)``, ``(3n,)``.
    ValueError
        If an entry is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import TorchGRUCell
    >>> cell = TorchGRUCell(W=np.zeros((3, 1)), b=[0.0, 50.0, 0.0])  # z = sigma(50): keep the state
    >>> float(cell.step(np.zeros(0), [0.7])[0])
    0.7
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None
    b_h: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = _gated_params(self, ("r", "z", "n"))
        b_h = np.zeros(3 * n) if self.b_h is None else v.as_vector("b_h", self.b_h, 3 * n)
        object.__setattr__(self, "b_h", v.freeze(b_h))

    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``n``."""
        return self.W.shape[1]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.U.shape[1]

    def _parts(self, xa: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, ...]:
        """``r, z, n`` and the hidden-side candidate term ``W_n h + b_hn`` of a step (batch, n) each."""
        n = self.n_hidden
        ai = xa @ self.U.T + self.b
        ah = h @ self.W.T + self.b_h
        r = _sigmoid(ai[:, :n] + ah[:, :n])
        z = _sigmoid(ai[:, n : 2 * n] + ah[:, n : 2 * n])
        gn = ah[:, 2 * n :]
        return r, z, np.tanh(ai[:, 2 * n :] + r * gn), gn

    def gates(self, x: Any, state: Any) -> dict[str, np.ndarray]:
        """The reset gate ``r``, update gate ``z`` and candidate ``n`` of one step, each ``(n,)`` or ``(batch, n)``.

        Parameters
        ----------
        x : array_like, shape (p,) or (batch, p)
            Input ``x_t``.
        state : array_like, shape (n,) or (batch, n)
            Previous state ``h_{t-1}``.

        Returns
        -------
        dict
            ``{"r", "z", "n"}`` -> values.
        """
        xa, h, batched = self._check_step_args(x, state)
        out = dict(zip("rzn", self._parts(xa, h)[:3]))
        return out if batched else {k: val[0] for k, val in out.items()}

    def step(self, x: Any, state: Any) -> np.ndarray:
        """One step ``h_{t-1} -> h_t``; shapes ``(p,)``/``(batch, p)`` and ``(n,)``/``(batch, n)``."""
        xa, h, batched = self._check_step_args(x, state)
        _, z, cand, _ = self._parts(xa, h)
        out = (1 - z) * cand + z * h
        return out if batched else out[0]

    def _derivatives(self, xa: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, ...]:
        r, z, cand, gn = self._parts(xa, h)
        dz = (h - cand) * z * (1 - z)  # d h_t / d a_z  (diagonal)
        dn = (1 - z) * (1 - cand**2)  # d h_t / d a_n  (diagonal)
        dr = gn * r * (1 - r)  # d a_n / d a_r  (diagonal)
        return r, z, dz, dn, dr

    def jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d h_t / d h_{t-1} = diag(z) + diag(dz) W_z + diag(dn) (diag(r) W_n + diag(g_n r (1 - r)) W_r)``.

        Here ``dz = (h_{t-1} - n_t) z (1 - z)``, ``dn = (1 - z)(1 - n_t^2)`` and ``g_n = W_n h_{t-1} + b_hn``.
        Shape ``(n, n)`` or ``(batch, n, n)``.
        """
        xa, h, batched = self._check_step_args(x, state)
        n = self.n_hidden
        Wr, Wz, Wn = self.W[:n], self.W[n : 2 * n], self.W[2 * n :]
        r, z, dz, dn, dr = self._derivatives(xa, h)
        J = dz[:, :, None] * Wz + dn[:, :, None] * (r[:, :, None] * Wn + dr[:, :, None] * Wr)
        idx = np.arange(n)
        J[:, idx, idx] += z
        return J if batched else J[0]

    def input_jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d h_t / d x_t = diag(dz) U_z + diag(dn) (U_n + diag(g_n r (1 - r)) U_r)``, ``(n, p)``/``(b, n, p)``."""
        xa, h, batched = self._check_step_args(x, state)
        n = self.n_hidden
        Ur, Uz, Un = self.U[:n], self.U[n : 2 * n], self.U[2 * n :]
        _, _, dz, dn, dr = self._derivatives(xa, h)
        B = dz[:, :, None] * Uz + dn[:, :, None] * (Un + dr[:, :, None] * Ur)
        return B if batched else B[0]

    def __repr__(self) -> str:
        return (
            f"TorchGRUCell(n={self.n_hidden}, p={self.n_inputs}, "
            f"||W_n||_2={np.linalg.norm(self.W[2 * self.n_hidden :], 2):.4g})"
        )
