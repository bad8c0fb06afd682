"""Optimiser steps for training: Adam on named parameter arrays, and the projection onto a spectral-norm ball."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate as v

__all__ = ["clip_spectral_norm"]


def clip_spectral_norm(W: Any, max_norm: float) -> np.ndarray:
    r"""Project a matrix onto the spectral-norm ball ``{||W||_2 <= max_norm}``: clip its singular values.

    With the SVD ``W = P diag(s) Q^T``, the result is ``P diag(min(s, c)) Q^T``: the closest matrix to
    ``W`` in the Frobenius norm (and in the spectral norm) whose largest singular value is at most
    ``c = max_norm``. A matrix already inside the ball is returned unchanged (a copy). For an Elman
    cell, ``||W||_2 sup|phi'| < 1`` makes the cell contracting: a bound on how fast gradients may grow.

    Parameters
    ----------
    W : array_like, shape (n, k)
        The matrix.
    max_norm : float
        Radius ``c > 0`` of the ball.

    Returns
    -------
    ndarray, shape (n, k)
        The projection.

    Raises
    ------
    ValueError
        If ``W`` is not finite or ``max_norm <= 0``.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> rnnss.clip_spectral_norm(np.diag([3.0, 0.5]), 1.0)
    array([[1. , 0. ],
           [0. , 0.5]])
    """
    A = v.as_matrix("W", W, (None, None))
    c = v.as_float("max_norm", max_norm, positive=True)
    if A.size == 0:
        return A
    P, s, Qt = np.linalg.svd(A, full_matrices=False)
    if s[0] <= c:
        return A
    return (P * np.minimum(s, c)) @ Qt


class Adam:
    """Adam (Kingma & Ba 2015) on a dict of named arrays: bias-corrected first and second moment estimates.

    ``m <- b1 m + (1 - b1) g``, ``s <- b2 s + (1 - b2) g^2``, ``theta <- theta - lr m_hat / (sqrt(s_hat) + eps)``
    with ``m_hat = m / (1 - b1^k)``, ``s_hat = s / (1 - b2^k)`` at step ``k``. The optimiser's state is the
    only mutable object of a training run; it never leaves :func:`rnnss.train`.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float, beta1: float = 0.9, beta2: float = 0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = {k: np.zeros_like(p) for k, p in params.items()}
        self.s = {k: np.zeros_like(p) for k, p in params.items()}
        self.k = 0

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """New parameters after one step along ``grads`` (the inputs are not modified)."""
        self.k += 1
        c1, c2 = 1.0 - self.beta1**self.k, 1.0 - self.beta2**self.k
        out = {}
        for key, p in params.items():
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1.0 - self.beta1) * g
            self.s[key] = self.beta2 * self.s[key] + (1.0 - self.beta2) * g * g
            out[key] = p - self.lr * (self.m[key] / c1) / (np.sqrt(self.s[key] / c2) + self.eps)
        return out
