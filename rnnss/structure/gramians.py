"""Controllability and observability Gramians (finite and infinite horizon) and Hankel singular values."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import _validate as v
from .._linalg import psd_sqrt, solve_stein
from ..linear import LinearRNN, require_stable
from .common import driving

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["controllability_gramian", "observability_gramian", "hankel_singular_values"]

# -- Gramians -------------------------------------------------------------------------------------------


def _gramian(A: np.ndarray, BB: np.ndarray, steps: int | None) -> np.ndarray:
    """``sum_{i<N} A^i BB (A^i)^T``; the infinite sum solves ``X = A X A^T + BB``."""
    if steps is None:
        X = solve_stein(A, BB)
    else:
        X = np.zeros_like(BB)
        P = BB.copy()
        for _ in range(steps):
            X += P
            P = A @ P @ A.T
    return 0.5 * (X + X.T)


def controllability_gramian(rnn: LinearRNN, steps: int | None = None, *, source: str = "input") -> np.ndarray:
    r"""The controllability Gramian ``sum_i W^i B B^T (W^i)^T``, finite or infinite horizon.

    With ``steps = N`` it is ``C_N C_N^T`` for the Kalman matrix ``C_N``: the minimum input energy that
    reaches ``h`` from 0 in ``N`` steps is ``h^T W_c(N)^{-1} h`` (see :func:`steer`). Without ``steps`` it
    is the solution of the discrete Lyapunov equation ``X = W X W^T + B B^T``; for ``source="noise"``
    that is the stationary covariance of the hidden state.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Horizon ``N >= 1``; default the infinite horizon (needs a stable ``W``).
    source : {"input", "noise", "both"}
        What drives the state (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric PSD.

    Raises
    ------
    NotStableError
        For the infinite horizon with spectral radius ``>= 1``.
    ValueError
        If ``steps < 1`` or ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import controllability_gramian
    >>> controllability_gramian(rnnss.LinearRNN(W=0.5, U=[[1.0]]))  # 1 / (1 - 0.25)
    array([[1.33333333]])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    B = driving(rnn, source)
    if steps is None:
        require_stable(rnn, "the infinite-horizon controllability Gramian", "; pass steps=N for the finite-horizon one")
    else:
        steps = v.as_int("steps", steps, minimum=1)
    return _gramian(np.array(rnn.W), B @ B.T, steps)


def observability_gramian(rnn: LinearRNN, steps: int | None = None) -> np.ndarray:
    r"""The observability Gramian ``sum_i (W^i)^T V^T V W^i``, finite or infinite horizon.

    ``h^T W_o(N) h`` is the energy of the noiseless output ``y_t = V W^t h`` over ``t = 0 .. N-1``
    (an initial state ``h`` read ``N`` times). Without ``steps``: the solution of ``X = W^T X W + V^T V``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Horizon ``N >= 1``; default the infinite horizon (needs a stable ``W``).

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric PSD.

    Raises
    ------
    NotStableError
        For the infinite horizon with spectral radius ``>= 1``.
    ValueError
        If ``steps < 1``.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import observability_gramian
    >>> observability_gramian(rnnss.LinearRNN(W=0.5), steps=2)  # 1 + 0.25
    array([[1.25]])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if steps is None:
        require_stable(rnn, "the infinite-horizon observability Gramian", "; pass steps=N for the finite-horizon one")
    else:
        steps = v.as_int("steps", steps, minimum=1)
    return _gramian(np.array(rnn.W.T), rnn.V.T @ rnn.V, steps)


def hankel_factors(rnn: LinearRNN) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Square-root balancing data: ``Lc, Lo`` with ``Wc = Lc Lc^T``, ``Wo = Lo Lo^T`` and ``svd(Lo^T Lc)``."""
    require_stable(rnn, "Hankel singular values (infinite-horizon Gramians)")
    Lc = psd_sqrt(_gramian(np.array(rnn.W), rnn.U @ rnn.U.T, None))
    Lo = psd_sqrt(_gramian(np.array(rnn.W.T), rnn.V.T @ rnn.V, None))
    Z, s, Yt = np.linalg.svd(Lo.T @ Lc)
    return Lc, Lo, Z, s, Yt


def hankel_singular_values(rnn: LinearRNN) -> np.ndarray:
    r"""Hankel singular values ``sigma_i = sqrt(lambda_i(W_c W_o))`` of the input-output map ``x -> y``.

    They measure how much each balanced state both receives from the inputs and shows in the outputs;
    their number of non-zero values is the order of a minimal realisation. Computed by the square-root
    method, as the singular values of ``L_o^T L_c`` for Gramian factors ``W_c = L_c L_c^T``,
    ``W_o = L_o L_o^T`` (never forming the product ``W_c W_o``).

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.

    Returns
    -------
    ndarray, shape (n,)
        In decreasing order.

    Raises
    ------
    NotStableError
        If the spectral radius of ``W`` is ``>= 1``.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import hankel_singular_values
    >>> hankel_singular_values(rnnss.LinearRNN(W=0.5, U=[[1.0]], V=[[1.0]]))  # 1 / (1 - 0.25)
    array([1.33333333])
    """
    return hankel_factors(v.check_instance(rnn, LinearRNN, "rnn"))[3]
