"""What drives the state, and the scale-aware conventions every structural test shares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from .._linalg import EPS, fro_norm
from ..linear import LinearRNN

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = []


# A steering target counts as reached when the part of (target - free response) outside the numerically
# reachable subspace is below this fraction of the problem's scale (max of |target|, |free response|).
STEER_RTOL = 1e-8

SOURCES = ("input", "noise", "both")

# Block order of the orthogonal Kalman decomposition: each leading group of blocks spans a W-invariant
# subspace (R cap N, R, R + N, everything), which is what makes the transformed W block upper triangular.
KALMAN_BLOCKS = ("c_not_o", "co", "not_c_not_o", "not_c_o")


# -- what drives the state ---------------------------------------------------------------------------


def noise_factor(Q: np.ndarray) -> np.ndarray:
    """A factor ``L`` (n, r) with ``L L^T = Q``, dropping eigenvalues at rounding level of ``max eig Q``."""
    w, vecs = np.linalg.eigh(Q)
    keep = w > Q.shape[0] * EPS * max(float(w[-1]), 0.0)
    return vecs[:, keep] * np.sqrt(w[keep])


def check_source(source: Any) -> str:
    if source not in SOURCES:
        raise ValueError(f"source must be one of 'input', 'noise', 'both'; got {source!r}")
    return source


def driving(rnn: LinearRNN, source: str) -> np.ndarray:
    """The matrix ``B`` through which ``source`` enters: ``U``, a square root of ``Q``, or both side by side."""
    check_source(source)
    if source == "input":
        return np.array(rnn.U)
    if source == "noise":
        return noise_factor(rnn.Q)
    return np.hstack([rnn.U, noise_factor(rnn.Q)])


def steps_or_n(steps: Any, n: int) -> int:
    return n if steps is None else v.as_int("steps", steps, minimum=1)


def normalised(W: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, float]:
    """``B`` rescaled to the Frobenius norm of ``W``, and that scale.

    Controllability does not depend on the units of the input (``B -> c B``), so every rank decision is
    taken on the rescaled pair and judged relative to ``||W||_F``: tiny input weights are not mistaken
    for missing ones. With ``W = 0`` the scale is that of ``B`` (or 1 when both vanish).
    """
    nb = fro_norm(B)
    scale = fro_norm(W) or nb or 1.0
    return (B * (scale / nb) if nb else B), scale
