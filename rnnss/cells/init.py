"""Seeded initialisation of cell weights: fan-in of one recurrence step, orthogonal or identity recurrent matrices."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _validate as v
from .base import Cell

__all__ = ["step_fan_in", "random_orthogonal", "random_cell"]

_GATES = {"elman": 1, "leaky": 1, "lstm": 4, "gru": 3, "torch_gru": 3}
_RECURRENT = ("fan_in", "orthogonal", "identity")


def step_fan_in(n_hidden: int, n_inputs: int) -> int:
    """Fan-in of a recurrent unit: the number of inputs to *one step*, ``n + p``.

    A unit's pre-activation ``sum_j W_ij h_{t-1,j} + sum_k U_ik x_{t,k}`` adds ``n + p`` terms, whatever
    the sequence length: the weights are shared across time, so the network is a compact recursive map,
    not a ``T``-layer unrolled one, and the fan-in must not grow with ``T``.

    Parameters
    ----------
    n_hidden : int
        Hidden units ``n`` (the entries of ``h_{t-1}``).
    n_inputs : int
        Inputs ``p`` (the entries of ``x_t``).

    Returns
    -------
    int
        ``n + p``.

    Examples
    --------
    >>> from rnnss import step_fan_in
    >>> step_fan_in(64, 16)
    80
    """
    return v.as_int("n_hidden", n_hidden, minimum=1) + v.as_int("n_inputs", n_inputs, minimum=0)


def random_orthogonal(n: int, *, gain: float = 1.0, rng: Any = None) -> np.ndarray:
    """A Haar-distributed random orthogonal matrix times ``gain``.

    Orthogonal recurrent weights preserve the norm of every vector (all singular values equal ``gain``),
    so with ``gain = 1`` the linear part of the recurrence neither shrinks nor amplifies gradients.

    Parameters
    ----------
    n : int
        Size.
    gain : float, default 1
        Common singular value.
    rng : numpy.random.Generator or int, optional
        Random source.

    Returns
    -------
    ndarray, shape (n, n)
        ``gain * Q`` with ``Q^T Q = I``.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import random_orthogonal
    >>> Q = random_orthogonal(4, rng=0)
    >>> bool(np.allclose(Q.T @ Q, np.eye(4)))
    True
    """
    n = v.as_int("n", n, minimum=1)
    gain = v.as_float("gain", gain, positive=True)
    gen = v.as_rng(rng)
    Q, R = np.linalg.qr(gen.standard_normal((n, n)))
    # Fixing the signs of diag(R) makes Q Haar-distributed (QR alone is biased by its sign convention).
    return gain * Q * np.where(np.diag(R) < 0, -1.0, 1.0)


def random_cell(
    kind: str,
    n_hidden: int,
    n_inputs: int = 0,
    *,
    activation: str = "tanh",
    alpha: float | None = None,
    recurrent: str = "fan_in",
    gain: float = 1.0,
    forget_bias: float = 1.0,
    chrono: int | None = None,
    rng: Any = None,
) -> Cell:
    """A cell with seeded random weights scaled by the fan-in of one recurrence step.

    Every entry of ``W`` and ``U`` is drawn from ``Uniform(-a, a)`` with ``a = gain sqrt(3 / (n + p))``, so
    its variance is ``gain^2 / (n + p)`` (:func:`step_fan_in`): a pre-activation that sums ``n + p``
    unit-variance terms has variance ``gain^2`` at every step. Biases are zero except the LSTM forget gate
    (``forget_bias``, so it starts by remembering). Use ``gain = sqrt(2)`` for ReLU (He's correction).

    Parameters
    ----------
    kind : {"elman", "leaky", "lstm", "gru", "torch_gru"}
        The cell type (``"torch_gru"`` is :class:`TorchGRUCell`, PyTorch's GRU).
    n_hidden : int
        Hidden units ``n``.
    n_inputs : int, default 0
        Inputs ``p``.
    activation : str, default "tanh"
        Activation of an Elman or leaky cell (one of :data:`rnnss.ACTIVATIONS`).
    alpha : float, optional
        Leak rate of a leaky cell (required for ``kind="leaky"``).
    recurrent : {"fan_in", "orthogonal", "identity"}
        ``"orthogonal"`` draws each recurrent block ``(n, n)`` as ``gain`` times a random orthogonal matrix
        (:func:`random_orthogonal`) instead; ``"identity"`` sets each block to ``gain * I`` (Le, Jaitly &
        Hinton 2015: a ReLU network with ``W = I`` and zero bias starts by copying its state, so gradients
        neither vanish nor explode at the start; their "IRNN"). Input weights keep the fan-in scaling.
    gain : float, default 1
        Overall scale.
    forget_bias : float, default 1
        Bias of the LSTM forget gate (``sigma(1) = 0.73``).
    chrono : int, optional
        Chrono initialisation of an LSTM (Tallec & Ollivier 2018) for dependencies up to ``chrono``
        steps: forget biases ``b_f = ln u`` with ``u ~ Uniform(1, chrono - 1)`` per unit and input biases
        ``b_i = -b_f``. A unit then starts with forget gate ``f = u / (1 + u)``, a memory time constant
        ``-1 / ln f ~ u`` steps spread up to ``chrono``, and an input gate that is mostly shut, so the cell
        state is not flooded by every input. Replaces ``forget_bias``; drawn after the input weights.
    rng : numpy.random.Generator or int, optional
        Random source. Draw order: the recurrent blocks, then the input weights (then the chrono biases).

    Returns
    -------
    Cell
        An :class:`ElmanCell`, :class:`LeakyCell`, :class:`LSTMCell`, :class:`GRUCell` or :class:`TorchGRUCell`.

    Raises
    ------
    ValueError
        If ``kind`` or ``recurrent`` is unknown, or ``alpha`` is missing for a leaky cell (or given for another).

    Examples
    --------
    >>> from rnnss import random_cell
    >>> random_cell("elman", 3, 1, rng=0)
    ElmanCell(n=3, p=1, activation='tanh', ||W||_2=1.494)
    """
    kind = v.as_choice("kind", kind, tuple(_GATES))
    if kind not in _GATES:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _GATES))}; got {kind!r}")
    if recurrent not in _RECURRENT:
        raise ValueError(f"recurrent must be one of {', '.join(map(repr, _RECURRENT))}; got {recurrent!r}")
    if (kind == "leaky") != (alpha is not None):
        raise ValueError(
            "alpha is required for kind='leaky' and only used there"
            + ("" if kind == "leaky" else f"; got alpha={alpha!r}")
        )
    n = v.as_int("n_hidden", n_hidden, minimum=1)
    p = v.as_int("n_inputs", n_inputs, minimum=0)
    gain = v.as_float("gain", gain, positive=True)
    forget_bias = v.as_float("forget_bias", forget_bias)
    if chrono is not None:
        if kind != "lstm":
            raise ValueError(f"chrono initialises the gates of kind='lstm' only; got kind={kind!r}")
        chrono = v.as_int("chrono", chrono, minimum=3)
    gen = v.as_rng(rng)
    k = _GATES[kind]
    a = gain * math.sqrt(3.0 / step_fan_in(n, p))
    if recurrent == "orthogonal":
        W = np.vstack([random_orthogonal(n, gain=gain, rng=gen) for _ in range(k)])
    elif recurrent == "identity":
        W = np.vstack([gain * np.eye(n)] * k)
    else:
        W = gen.uniform(-a, a, (k * n, n))
    U = gen.uniform(-a, a, (k * n, p))
    from .elman import ElmanCell
    from .gru import GRUCell, TorchGRUCell
    from .leaky import LeakyCell
    from .lstm import LSTMCell

    if kind == "elman":
        return ElmanCell(W, U, activation=activation)
    if kind == "leaky":
        return LeakyCell(W, U, activation=activation, alpha=alpha)
    if kind == "gru":
        return GRUCell(W, U)
    if kind == "torch_gru":
        return TorchGRUCell(W, U)
    b = np.zeros(4 * n)
    if chrono is None:
        b[n : 2 * n] = forget_bias
    else:
        b[n : 2 * n] = np.log(gen.uniform(1.0, chrono - 1.0, n))
        b[:n] = -b[n : 2 * n]
    return LSTMCell(W, U, b)
